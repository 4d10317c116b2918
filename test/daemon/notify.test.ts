// The notify settings as read from a config, and the pure decisions (argv, FIFO lines, mail,
// ordering, sync group suppression, DELETED -> FAULT) against keepalived 2.2.7's vrrp_notify.c.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { readNotifyPlan } from '../../src/daemon/notify-config.js';
import { type Delivery, fifoLine, NotifyCore } from '../../src/daemon/notify-core.js';

const HOST = { hostname: 'lb1', userName: 'root' };
const planOf = (text: string) => readNotifyPlan(loadConfigText(text, 'test.conf').model, HOST);

const CONF = `
global_defs {
  router_id R1
  notify_fifo /run/k.fifo
  notify_fifo_script "/usr/local/bin/fifo-reader --verbose" nobody
  smtp_server 192.0.2.25 2525
  smtp_connect_timeout 7
  notification_email {
    ops@example.com
    oncall@example.com
  }
  notification_email_from ka@example.com
  smtp_alert_vrrp
}
vrrp_sync_group G {
  group {
    VI_1
  }
  notify "/bin/group-notify x"
  notify_master /bin/group-master
}
vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
  notify_master "/usr/bin/logger -t ka 'now master'"
  notify_backup /bin/backup arg1 nobody nogroup
  notify "/bin/all \\"quoted arg\\""
  notify_stop /bin/stop
  notify_deleted
  notify_master_rx_lower_pri /bin/lower
}
vrrp_instance VI_2 {
  interface veth0
  virtual_router_id 52
  priority 90
  smtp_alert off
  notify_priority_changes
  virtual_ipaddress {
    192.0.2.101/24
  }
}
`;

const scripts = (ds: Delivery[]) => ds.filter((d) => d.kind === 'script').map((d) => (d.kind === 'script' ? [...d.script.argv, ...d.args] : []));
const lines = (ds: Delivery[]) => ds.filter((d) => d.kind === 'fifo').map((d) => (d.kind === 'fifo' ? d.line : ''));
const mails = (ds: Delivery[]) => ds.filter((d) => d.kind === 'mail').map((d) => (d.kind === 'mail' ? `${d.subject} | ${d.body}` : ''));

describe('notify settings from the config', () => {
  const p = planOf(CONF);

  it('splits script lines as keepalived (quotes group, the word after is the user)', () => {
    const i = p.instances.get('VI_1')!;
    expect(p.issues).toEqual([]);
    expect(i.scripts.master?.argv).toEqual(['/usr/bin/logger', '-t', 'ka', 'now master']);
    expect(i.scripts.backup?.argv).toEqual(['/bin/backup']);
    expect(i.scripts.backup?.user).toEqual(['arg1', 'nobody']);
    expect(i.scripts.notify?.argv).toEqual(['/bin/all', 'quoted arg']);
    expect(i.scripts.deleted).toBeUndefined();
    expect(i.notifyDeleted).toBe(true);
    expect(i.scripts.masterRxLowerPri?.argv).toEqual(['/bin/lower']);
    expect(i.group).toBe('G');
  });

  it('resolves smtp_alert and notify_priority_changes as vrrp.c does', () => {
    expect(p.instances.get('VI_1')!.smtpAlert).toBe(true); // smtp_alert_vrrp
    expect(p.instances.get('VI_2')!.smtpAlert).toBe(false); // own smtp_alert off wins
    expect(p.groups.get('G')!.smtpAlert).toBe(true);
    expect(p.instances.get('VI_1')!.priorityChanges).toBe(false);
    expect(p.instances.get('VI_2')!.priorityChanges).toBe(true);
  });

  it('reads the FIFO, its script and the SMTP settings', () => {
    expect(p.fifos).toEqual([
      { kind: 'notify_fifo', path: '/run/k.fifo', script: { kind: 'notify_fifo_script', argv: ['/usr/local/bin/fifo-reader', '--verbose'], user: ['nobody'] } },
    ]);
    expect(p.smtp).toEqual({ host: '192.0.2.25', port: 2525, connectTimeoutMs: 7000, from: 'ka@example.com', helo: 'lb1', to: ['ops@example.com', 'oncall@example.com'] });
    expect(p.routerId).toBe('R1');
  });

  it('defaults: router_id and From from the host, port 25, 30 s, and no mail without notification_email', () => {
    const q = planOf('global_defs {\n smtp_server 192.0.2.25\n notification_email {\n a@b\n }\n}\n');
    expect(q.smtp).toEqual({ host: '192.0.2.25', port: 25, connectTimeoutMs: 30_000, from: 'root@lb1', helo: 'lb1', to: ['a@b'] });
    expect(q.routerId).toBe('lb1');
    expect(planOf('global_defs {\n smtp_server 192.0.2.25\n}\n').smtp).toBeNull();
  });

  it('ignores a vrrp_notify_fifo that is the global one', () => {
    const q = planOf('global_defs {\n notify_fifo /tmp/f\n vrrp_notify_fifo /tmp/f\n}\n');
    expect(q.fifos.map((f) => f.kind)).toEqual(['notify_fifo']);
    expect(q.issues[0]!.message).toMatch(/specified for global and vrrp FIFO - ignoring vrrp FIFO/);
  });
});

describe('notify decisions', () => {
  it('FIFO lines in keepalived format', () => {
    expect(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100)).toBe('INSTANCE "VI_1" MASTER 100\n');
    expect(fifoLine('GROUP', 'G', 'BACKUP', 0)).toBe('GROUP "G" BACKUP 0\n');
  });

  it('an instance transition: own script, generic notify with INSTANCE name state prio, FIFO line, mail, in that order', () => {
    const c = new NotifyCore(planOf(CONF));
    const d = c.instance('VI_1', 'MASTER', 100);
    expect(d.map((x) => x.kind)).toEqual(['script', 'script', 'fifo', 'mail']);
    expect(scripts(d)).toEqual([['/usr/bin/logger', '-t', 'ka', 'now master'], ['/bin/all', 'quoted arg', 'INSTANCE', 'VI_1', 'MASTER', '100']]);
    expect(lines(d)).toEqual(['INSTANCE "VI_1" MASTER 100\n']);
    expect(mails(d)).toEqual(['[R1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=']);
    // The same state again sends no second mail (last_email_state).
    expect(mails(c.instance('VI_1', 'MASTER', 100))).toEqual([]);
  });

  it('a sync group: GROUP argv with priority 0, and members moved into the group state say nothing more', () => {
    const c = new NotifyCore(planOf(CONF));
    c.instance('VI_1', 'BACKUP', 100);
    const g = c.group('G', 'MASTER');
    expect(scripts(g)).toEqual([['/bin/group-master'], ['/bin/group-notify', 'x', 'GROUP', 'G', 'MASTER', '0']]);
    expect(lines(g)).toEqual(['GROUP "G" MASTER 0\n']);
    expect(mails(g)).toEqual(['[R1] VRRP Group G - Entering MASTER state | => All VRRP group instances are now in MASTER state <=']);
    expect(c.instance('VI_1', 'MASTER', 100)).toEqual([]);
    expect(c.group('G', 'MASTER')).toEqual([]);
  });

  it('the order of lines is the order of transitions', () => {
    const c = new NotifyCore(planOf(CONF));
    const seq: [string, 'MASTER' | 'BACKUP' | 'FAULT', number][] = [
      ['VI_2', 'BACKUP', 90], ['VI_1', 'BACKUP', 100], ['VI_2', 'MASTER', 90], ['VI_2', 'FAULT', 90], ['VI_2', 'BACKUP', 90],
    ];
    const out = seq.flatMap(([n, s, p]) => lines(c.instance(n, s, p)));
    expect(out).toEqual(seq.map(([n, s, p]) => `INSTANCE "${n}" ${s} ${p}\n`));
  });

  it('priority changes only with notify_priority_changes, worded by state', () => {
    const c = new NotifyCore(planOf(CONF));
    expect(c.priority('VI_1', 80)).toEqual([]);
    c.instance('VI_2', 'MASTER', 90);
    expect(lines(c.priority('VI_2', 70))).toEqual(['INSTANCE "VI_2" MASTER_PRIORITY 70\n']);
    c.instance('VI_2', 'BACKUP', 70);
    expect(lines(c.priority('VI_2', 90))).toEqual(['INSTANCE "VI_2" BACKUP_PRIORITY 90\n']);
  });

  it('master_rx_lower_pri runs its script with its own args and writes the event line', () => {
    const c = new NotifyCore(planOf(CONF));
    const d = c.rxLowerPri('VI_1', 100);
    expect(scripts(d)).toEqual([['/bin/lower']]);
    expect(lines(d)).toEqual(['INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100\n']);
  });

  it('DELETED without notify_deleted is reported as FAULT (keepalived\'s default)', () => {
    const c = new NotifyCore(planOf(CONF));
    expect(lines(c.instance('VI_2', 'DELETED', 90))).toEqual(['INSTANCE "VI_2" FAULT 90\n']);
    expect(lines(c.instance('VI_1', 'DELETED', 100))).toEqual(['INSTANCE "VI_1" DELETED 100\n']);
  });

  it('shutdown: STOP for instances not stopped yet, then the groups; STOP scripts are marked for the 1 s limit', () => {
    const c = new NotifyCore(planOf(CONF));
    c.instance('VI_1', 'MASTER', 100);
    c.instance('VI_2', 'STOP', 90);
    const d = c.shutdown(() => 100);
    expect(lines(d)).toEqual(['INSTANCE "VI_1" STOP 100\n', 'GROUP "G" STOP 0\n']);
    const stops = d.filter((x) => x.kind === 'script' && x.who === '(VI_1)');
    expect(stops.length).toBe(2);
    expect(stops.every((x) => x.kind === 'script' && x.stop)).toBe(true);
    expect(c.shutdown(() => 100)).toEqual([]);
  });

  it('no_email_faults: no mail for FAULT', () => {
    const c = new NotifyCore(planOf(CONF.replace('smtp_alert_vrrp', 'smtp_alert_vrrp\n  no_email_faults')));
    expect(mails(c.instance('VI_1', 'FAULT', 100))).toEqual([]);
    expect(mails(c.instance('VI_1', 'BACKUP', 100)).length).toBe(1);
  });
});
