// Notify scripts, notify_fifo and smtp_alert end to end, ours beside keepalived 2.2.7: the same
// config runs on node 0 (first ours, then keepalived), with keepalived as the peer on node 1. Node 0
// starts alone (BACKUP, then MASTER), the peer with a higher priority preempts it (BACKUP), a tracked
// interface goes down and up (priority change lines), node 0 stops (STOP). Each notify script appends its argv to a file, a `cat` reads the FIFO, and an
// smtp-server inside node 0's namespace (its loopback) takes the mail. What ours records must be
// exactly the transitions, in order, and the same as what keepalived records for the same run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, type Impl, KEEPALIVED_BIN, ROOT, until } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';

const VIP = '192.0.2.200';
const SMTP_PORT = 2525;

const SINK = `
import { SMTPServer } from 'smtp-server';
const s = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
  onData(stream, session, cb) {
    let raw = '';
    stream.on('data', (d) => (raw += d));
    stream.on('end', () => {
      process.stdout.write(JSON.stringify({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address), helo: session.hostNameAppearsAs, raw }) + '\\n');
      cb();
    });
  } });
s.listen(${SMTP_PORT}, '127.0.0.1', () => process.stdout.write('LISTENING\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

function subjectConf(d: string): string {
  const rec = join(d, 'rec.sh');
  return `global_defs {
  router_id N0
  script_user root
  enable_script_security
  notify_fifo ${d}/k.fifo
  vrrp_notify_priority_changes
  smtp_server 127.0.0.1 ${SMTP_PORT}
  smtp_connect_timeout 5
  smtp_helo_name n0.example.com
  notification_email {
    ops@example.com
  }
  notification_email_from keepalived@example.com
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 61
  priority 100
  advert_int 1
  smtp_alert
  track_interface {
    tv0 weight -30
  }
  virtual_ipaddress {
    ${VIP}/24
  }
  notify_master "${rec} ${d}/own.log master"
  notify_backup "${rec} ${d}/own.log backup"
  notify_fault "${rec} ${d}/own.log fault"
  notify_stop "${rec} ${d}/own.log stop"
  notify "${rec} ${d}/gen.log"
}
`;
}

const PEER = `global_defs {
  router_id N1
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 61
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

interface Recorded {
  own: string[];
  gen: string[];
  fifo: string;
  mails: { from: string; to: string[]; helo: string; subject: string; body: string }[];
}

const fileLines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '') : []);

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('notify scripts, FIFO and smtp_alert: ours and keepalived 2.2.7 (root, namespaces)', () => {
  const clusters: Cluster[] = [];
  afterAll(async () => {
    for (const c of clusters) await c.dispose();
  });
  const results = new Map<Impl, Recorded>();

  async function scenario(impl: Impl): Promise<Recorded> {
    const c = new Cluster(2, 'nt');
    clusters.push(c);
    const d = join(c.dir, `notify-${impl}`);
    mkdirSync(d, { mode: 0o755 });
    writeFileSync(join(d, 'rec.sh'), '#!/bin/sh\nf="$1"; shift\necho "$*" >> "$f"\n', { mode: 0o755 });
    const conf = subjectConf(d);
    writeFileSync(join(d, 'check.conf'), conf);
    // A tracked interface whose carrier the test controls: a veth pair inside node 0.
    const ns0 = c.nodes[0]!.ns;
    execFileSync('ip', ['-n', ns0, 'link', 'add', 'tv0', 'type', 'veth', 'peer', 'name', 'tv1']);
    execFileSync('ip', ['-n', ns0, 'link', 'set', 'tv0', 'up']);
    execFileSync('ip', ['-n', ns0, 'link', 'set', 'tv1', 'up']);
    // keepalived itself accepts the config (checked in the namespace, where veth0 exists).
    execFileSync('ip', ['netns', 'exec', c.nodes[0]!.ns, KEEPALIVED_BIN, '-t', '-f', join(d, 'check.conf')], { stdio: 'pipe' });
    const fifo = join(d, 'k.fifo');
    execFileSync('mkfifo', ['-m', '0644', fifo]);
    // cat blocks in open() until the daemon opens the FIFO, reads until the daemon has gone.
    const cat = c.run(c.nodes[0]!.ns, ['cat', fifo]);
    const sink = c.run(c.nodes[0]!.ns, [process.execPath, '--input-type=module', '-e', SINK]);
    await until('smtp sink listening', () => sink.out().includes('LISTENING'), 15_000);
    const own = join(d, 'own.log');
    const tail = (p: { out: () => string }): string => p.out().split('\n').slice(-25).join('\n');
    const S = c.start(impl, 0, conf);
    try {
      await until(`${impl}: BACKUP then MASTER notifies`, () => fileLines(own).length >= 2, 30_000);
      expect(c.holders(VIP)).toEqual([0]);
      const P = c.start('keepalived', 1, PEER);
      await until(`${impl}: preempted by the peer`, () => fileLines(own).length >= 3 && c.holders(VIP).join() === '1', 30_000);
      // Mail goes out in the background: let the three transitions' mails arrive before stopping
      // (keepalived drops a mail still being sent when it stops).
      const mailCount = () => sink.out().split('\n').filter((l) => l.startsWith('{')).length;
      await until('three mails', () => mailCount() >= 3, 15_000);
      // The tracked interface loses its carrier and gets it back: priority 70, then 100 (BACKUP_PRIORITY lines).
      execFileSync('ip', ['-n', ns0, 'link', 'set', 'tv1', 'down']);
      await until(`${impl}: priority down`, () => cat.out().includes('BACKUP_PRIORITY 70'), 15_000);
      execFileSync('ip', ['-n', ns0, 'link', 'set', 'tv1', 'up']);
      await until(`${impl}: priority back`, () => cat.out().includes('BACKUP_PRIORITY 100'), 15_000);
      const st = await c.stop(S);
      expect(st.code).toBe(0);
      await until('cat saw the FIFO closed', () => cat.proc.exitCode !== null, 10_000);
      const n0 = mailCount();
      await new Promise((r) => setTimeout(r, 1500));
      if (mailCount() !== n0) await new Promise((r) => setTimeout(r, 1500));
      await c.stop(P);
      const mails = sink.out().split('\n').filter((l) => l.startsWith('{')).map((l) => {
        const m = JSON.parse(l) as { from: string; to: string[]; helo: string; raw: string };
        const [head, ...rest] = m.raw.split(/\r?\n\r?\n/);
        return {
          from: m.from, to: m.to, helo: m.helo,
          subject: (/^Subject: (.*)$/m.exec(head ?? '')?.[1] ?? '').trim(),
          body: rest.join('\n').replace(/\r/g, '').trim(),
        };
      });
      const rec: Recorded = { own: fileLines(own), gen: fileLines(join(d, 'gen.log')), fifo: cat.out(), mails };
      if (process.env.KA_NOTIFY_DEBUG) console.log(impl, JSON.stringify(rec, null, 1));
      return rec;
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${impl} on node 0:\n${tail(S)}`);
    }
  }

  it('ours: the scripts, the FIFO and the mail record exactly start, take over, preempted, priority down and up, stop', async () => {
    expect(existsSync(`${ROOT}/dist/src/daemon/notify.js`)).toBe(true);
    const r = await scenario('ours');
    results.set('ours', r);
    expect(r.own).toEqual(['backup', 'master', 'backup', 'stop']);
    expect(r.gen).toEqual(['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 STOP 100']);
    expect(r.fifo).toBe('INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" BACKUP 100\n' +
      'INSTANCE "VI_1" BACKUP_PRIORITY 70\nINSTANCE "VI_1" BACKUP_PRIORITY 100\nINSTANCE "VI_1" STOP 100\n');
    expect(r.mails.slice(0, 3).map((m) => m.subject)).toEqual([
      '[N0] VRRP Instance VI_1 - Entering BACKUP state',
      '[N0] VRRP Instance VI_1 - Entering MASTER state',
      '[N0] VRRP Instance VI_1 - Entering BACKUP state',
    ]);
    expect(r.mails[1]!.body).toBe('=> VRRP Instance is now owning VRRP VIPs <=');
    expect(r.mails[0]).toMatchObject({ from: 'keepalived@example.com', to: ['ops@example.com'], helo: 'n0.example.com' });
  }, 120_000);

  it('keepalived 2.2.7 with the same config records the same', async () => {
    const k = await scenario('keepalived');
    const o = results.get('ours');
    expect(o).toBeDefined();
    expect(o!.own).toEqual(k.own);
    expect(o!.gen).toEqual(k.gen);
    expect(o!.fifo).toBe(k.fifo);
    // Mail: the same subjects, bodies, envelope and HELO for every transition keepalived mailed.
    const shape = (m: Recorded['mails'][number]) => ({ from: m.from, to: m.to, helo: m.helo, subject: m.subject, body: m.body });
    expect(k.mails.length).toBeGreaterThanOrEqual(3);
    expect(o!.mails.slice(0, k.mails.length).map(shape)).toEqual(k.mails.map(shape));
  }, 120_000);
});

// A sync group through take over, split brain healed (the MASTER hears the lower priority peer:
// notify_master_rx_lower_pri), its interface down (FAULT) and up again, and stop. The FIFO is the
// ordered record of every instance and group notification; each script writes its own file.
function groupConf(d: string): string {
  const rec = join(d, 'rec.sh');
  const inst = (name: string, vrid: number, vip: string, extra: string) => `vrrp_instance ${name} {
  state BACKUP
  interface veth0
  virtual_router_id ${vrid}
  priority 150
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    ${vip}/24
  }
  notify "${rec} ${d}/gen-${name}.log"
${extra}}
`;
  return `global_defs {
  router_id N0
  script_user root
  enable_script_security
  vrrp_notify_fifo ${d}/k.fifo
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  notify_master "${rec} ${d}/group.log master"
  notify_backup "${rec} ${d}/group.log backup"
  notify_fault "${rec} ${d}/group.log fault"
  notify_stop "${rec} ${d}/group.log stop"
  notify "${rec} ${d}/group-gen.log"
}
${inst('VI_1', 62, '192.0.2.201', `  notify_master_rx_lower_pri "${rec} ${d}/lower.log VI_1"\n`)}${inst('VI_2', 63, '192.0.2.202', '')}`;
}

const GROUP_PEER = `global_defs {
  router_id N1
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 62
  priority 100
  advert_int 1
  unicast_src_ip 192.0.2.2
  unicast_peer {
    192.0.2.1
  }
  virtual_ipaddress {
    192.0.2.201/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface veth0
  virtual_router_id 63
  priority 100
  advert_int 1
  unicast_src_ip 192.0.2.2
  unicast_peer {
    192.0.2.1
  }
  virtual_ipaddress {
    192.0.2.202/24
  }
}
`;

interface GroupRecord {
  fifo: string[];
  group: string[];
  groupGen: string[];
  gen1: string[];
  gen2: string[];
  lower: string[];
}

/** How many lower priority adverts arrive before the peer steps down varies: count once. */
const collapse = (ls: string[]): string[] => ls.filter((l, k) => !(l === ls[k - 1] && /^VI_1$/.test(l)));
/** The FIFO without MASTER_RX_LOWER_PRI lines (a peer may get one more advert out as it is preempted). */
const noRx = (ls: string[]): string[] => ls.filter((l) => !/MASTER_RX_LOWER_PRI/.test(l));
/**
 * Which member's timer fires first is not fixed: between two GROUP lines, order the instance lines
 * by instance (stable, so each instance's own order stays), keeping the GROUP lines where they are.
 */
function byMember(ls: string[]): string[] {
  const out: string[] = [];
  let seg: string[] = [];
  const flush = () => {
    out.push(...seg.map((l, k) => [l, k] as const).sort((a, b) => (/"(\w+)"/.exec(a[0])![1]!.localeCompare(/"(\w+)"/.exec(b[0])![1]!)) || a[1] - b[1]).map((x) => x[0]));
    seg = [];
  };
  for (const l of ls) {
    if (l.startsWith('GROUP')) {
      flush();
      out.push(l);
    } else seg.push(l);
  }
  flush();
  return out;
}
/** The MASTER_RX_LOWER_PRI lines while the peer was cut off (between MASTER and the link going down). */
const rxWhileSplit = (ls: string[]): string[] =>
  [...new Set(ls.slice(ls.indexOf('GROUP "G" MASTER 0'), ls.indexOf('INSTANCE "VI_1" FAULT 150')).filter((l) => /MASTER_RX_LOWER_PRI/.test(l)))].sort();

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('sync group notifies, FAULT and master_rx_lower_pri: ours and keepalived 2.2.7 (root, namespaces)', () => {
  const clusters: Cluster[] = [];
  afterAll(async () => {
    for (const c of clusters) await c.dispose();
  });
  const results = new Map<Impl, GroupRecord>();

  async function scenario(impl: Impl): Promise<GroupRecord> {
    const c = new Cluster(2, 'ng');
    clusters.push(c);
    const d = join(c.dir, `notify-${impl}`);
    mkdirSync(d, { mode: 0o755 });
    writeFileSync(join(d, 'rec.sh'), '#!/bin/sh\nf="$1"; shift\necho "$*" >> "$f"\n', { mode: 0o755 });
    const conf = groupConf(d);
    writeFileSync(join(d, 'check.conf'), conf);
    execFileSync('ip', ['netns', 'exec', c.nodes[0]!.ns, KEEPALIVED_BIN, '-t', '-f', join(d, 'check.conf')], { stdio: 'pipe' });
    const fifo = join(d, 'k.fifo');
    execFileSync('mkfifo', ['-m', '0644', fifo]);
    const cat = c.run(c.nodes[0]!.ns, ['cat', fifo]);
    const group = join(d, 'group.log');
    const S = c.start(impl, 0, conf);
    let peer: { out: () => string } | undefined;
    const count = (p: { out: () => string }, re: RegExp): number => (p.out().match(re) ?? []).length;
    try {
      await until(`${impl}: group BACKUP then MASTER`, () => fileLines(group).join() === 'backup,master', 30_000);
      const P = c.start('keepalived', 1, GROUP_PEER);
      peer = P;
      await until('peer BACKUP', () => count(P, /\(VI_2\) Entering BACKUP STATE/g) >= 1, 20_000);
      // One-way loss: node 0's unicast adverts to the peer go to a neighbour that does not exist
      // (dropped after ARP fails), the peer's still arrive. The peer takes over; our MASTER hears its
      // lower priority adverts until the route is gone again and the peer steps down.
      const ns0 = c.nodes[0]!.ns;
      execFileSync('ip', ['-n', ns0, 'route', 'add', '192.0.2.2/32', 'via', '192.0.2.99', 'dev', 'veth0']);
      await until('peer cut off: MASTER', () => count(P, /\(VI_2\) Entering MASTER STATE/g) >= 1, 20_000);
      await until('ours heard the lower priority peer', () => fileLines(join(d, 'lower.log')).length >= 1, 10_000);
      execFileSync('ip', ['-n', ns0, 'route', 'del', '192.0.2.2/32']);
      await until('healed: the peer steps down', () => count(P, /\(VI_2\) Entering BACKUP STATE/g) >= 2, 20_000);
      execFileSync('ip', ['-n', ns0, 'link', 'set', 'veth0', 'down']);
      await until(`${impl}: group FAULT`, () => fileLines(group).at(-1) === 'fault', 20_000);
      execFileSync('ip', ['-n', ns0, 'link', 'set', 'veth0', 'up']);
      await until(`${impl}: group MASTER again`, () => fileLines(group).at(-1) === 'master', 30_000);
      expect((await c.stop(S)).code).toBe(0);
      await until('cat saw the FIFO closed', () => cat.proc.exitCode !== null, 10_000);
      await c.stop(P);
      const rec: GroupRecord = {
        fifo: cat.out().split('\n').filter((l) => l !== ''),
        group: fileLines(group), groupGen: fileLines(join(d, 'group-gen.log')),
        gen1: fileLines(join(d, 'gen-VI_1.log')), gen2: fileLines(join(d, 'gen-VI_2.log')), lower: fileLines(join(d, 'lower.log')),
      };
      if (process.env.KA_NOTIFY_DEBUG) console.log(impl, JSON.stringify(rec, null, 1));
      return rec;
    } catch (e) {
      const keep = (o: string) => o.split('\n').filter((l) => !/gratuitous ARP/.test(l)).slice(-40).join('\n');
      throw new Error(`${(e as Error).message}\n--- ${impl} on node 0:\n${keep(S.out())}\n--- peer:\n${keep(peer?.out() ?? '')}\n--- fifo:\n${cat.out()}`);
    }
  }

  it('ours: group and instance notifies for each transition, in order', async () => {
    const r = await scenario('ours');
    results.set('ours', r);
    expect(r.group).toEqual(['backup', 'master', 'fault', 'backup', 'master', 'stop']);
    expect(r.groupGen).toEqual(['GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G FAULT 0', 'GROUP G BACKUP 0', 'GROUP G MASTER 0', 'GROUP G STOP 0']);
    expect(collapse(r.lower)).toEqual(['VI_1']);
    expect(rxWhileSplit(r.fifo)).toEqual(['INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150', 'INSTANCE "VI_2" MASTER_RX_LOWER_PRI 150']);
    // A group's start state comes before its members'; members' notifies come before the group's.
    expect(byMember(noRx(r.fifo))).toEqual([
      'GROUP "G" BACKUP 0',
      'INSTANCE "VI_1" BACKUP 150', 'INSTANCE "VI_1" MASTER 150', 'INSTANCE "VI_2" BACKUP 150', 'INSTANCE "VI_2" MASTER 150',
      'GROUP "G" MASTER 0',
      'INSTANCE "VI_1" FAULT 150', 'INSTANCE "VI_2" FAULT 150', 'GROUP "G" FAULT 0',
      'INSTANCE "VI_1" BACKUP 150', 'INSTANCE "VI_2" BACKUP 150', 'GROUP "G" BACKUP 0',
      'INSTANCE "VI_1" MASTER 150', 'INSTANCE "VI_2" MASTER 150', 'GROUP "G" MASTER 0',
      'INSTANCE "VI_1" STOP 150', 'INSTANCE "VI_2" STOP 150', 'GROUP "G" STOP 0',
    ]);
  }, 150_000);

  it('keepalived 2.2.7 with the same config records the same', async () => {
    const k = await scenario('keepalived');
    const o = results.get('ours');
    expect(o).toBeDefined();
    expect(o!.group).toEqual(k.group);
    expect(o!.groupGen).toEqual(k.groupGen);
    expect(o!.gen1).toEqual(k.gen1);
    expect(o!.gen2).toEqual(k.gen2);
    expect(collapse(o!.lower)).toEqual(collapse(k.lower));
    expect(byMember(noRx(o!.fifo))).toEqual(byMember(noRx(k.fifo)));
    expect(rxWhileSplit(o!.fifo)).toEqual(rxWhileSplit(k.fifo));
  }, 150_000);
});
