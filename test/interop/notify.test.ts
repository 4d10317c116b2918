// Notify scripts, notify_fifo and smtp_alert end to end, ours beside keepalived 2.2.7: the same
// config runs on node 0 (first ours, then keepalived), with keepalived as the peer on node 1. Node 0
// starts alone (BACKUP, then MASTER), the peer with a higher priority preempts it (BACKUP), node 0
// stops (STOP). Each notify script appends its argv to a file, a `cat` reads the FIFO, and an
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
      const st = await c.stop(S);
      expect(st.code).toBe(0);
      await until('cat saw the FIFO closed', () => cat.proc.exitCode !== null, 10_000);
      // Mail is sent in the background: give the last ones a moment.
      const mailCount = () => sink.out().split('\n').filter((l) => l.startsWith('{')).length;
      await until('three mails at least', () => mailCount() >= 3, 15_000);
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

  it('ours: the scripts, the FIFO and the mail record exactly start, take over, preempted, stop', async () => {
    expect(existsSync(`${ROOT}/dist/src/daemon/notify.js`)).toBe(true);
    const r = await scenario('ours');
    results.set('ours', r);
    expect(r.own).toEqual(['backup', 'master', 'backup', 'stop']);
    expect(r.gen).toEqual(['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 STOP 100']);
    expect(r.fifo).toBe('INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" STOP 100\n');
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
