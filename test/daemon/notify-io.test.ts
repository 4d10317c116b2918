// The notifier's I/O: FIFOs (with and without a reader), notify scripts (argv, script security
// refusal, the STOP time limit, bounded concurrency, nothing left at stop) and smtp_alert to an
// smtp-server on loopback. Scripts run as root need a root-owned path: the test's own temp dir.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonEvent } from '../../src/control/protocol.js';
import type { Logger } from '../../src/daemon/log.js';
import type { FifoSpec } from '../../src/daemon/notify-config.js';
import { closeFifo, openFifo, writeFifo } from '../../src/daemon/notify-fifo.js';
import { MAX_QUEUED, MAX_RUNNING, NotifyScripts } from '../../src/daemon/notify-scripts.js';
import { loadNotify, Notifier } from '../../src/daemon/notify.js';
import type { ScriptExit } from '../../src/daemon/script-run.js';

const isRoot = process.getuid?.() === 0;

function memLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { detail: true, lines, log: (level, m) => void lines.push(`${level}: ${m}`) };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dir: string;
const readers: ChildProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ka-notify-'));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  for (const r of readers) if (r.exitCode === null && r.pid) process.kill(r.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** `cat FIFO` collecting what it reads. */
function reader(path: string): { out: () => string; proc: ChildProcess } {
  const proc = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  readers.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { out: () => out, proc };
}

describe('notify FIFO', () => {
  it('without a reader: 20000 lines (far more than a pipe holds) neither block nor throw; the overflow is logged once', () => {
    const log = memLog();
    const spec: FifoSpec = { kind: 'notify_fifo', path: join(dir, 'noreader.fifo') };
    const f = openFifo(spec, log)!;
    expect(f).not.toBeNull();
    expect(statSync(spec.path).isFIFO()).toBe(true);
    expect(statSync(spec.path).mode & 0o777).toBe(0o644);
    const t0 = Date.now();
    for (let i = 0; i < 20_000; i++) writeFifo(f, `INSTANCE "VI_${i}" MASTER 100\n`, log);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(f.dropped).toBeGreaterThan(0);
    expect(log.lines.filter((l) => /write failed/.test(l)).length).toBe(1);
    closeFifo(f);
    expect(existsSync(spec.path)).toBe(false); // we made it: we remove it
  });

  it('with a reader: every line, in the order written; a FIFO made by the operator is used and left in place', async () => {
    const log = memLog();
    const spec: FifoSpec = { kind: 'vrrp_notify_fifo', path: join(dir, 'reader.fifo') };
    execFileSync('mkfifo', ['-m', '0600', spec.path]);
    const f = openFifo(spec, log)!;
    expect(f.created).toBe(false);
    const r = reader(spec.path);
    const want = Array.from({ length: 200 }, (_, i) => `INSTANCE "VI_1" ${i % 2 ? 'MASTER' : 'BACKUP'} ${i % 256}\n`);
    for (const l of want) writeFifo(f, l, log);
    await until('the reader got every line', () => r.out() === want.join(''));
    closeFifo(f);
    expect(statSync(spec.path).isFIFO()).toBe(true);
    expect(log.lines).toEqual([]);
  });

  it('a path that is not a FIFO is refused with a log line, not a crash', () => {
    const log = memLog();
    const p = join(dir, 'plain');
    writeFileSync(p, '');
    expect(openFifo({ kind: 'notify_fifo', path: p }, log)).toBeNull();
    expect(log.lines.join('\n')).toMatch(/Unable to (create|open) notify fifo/);
  });
});

describe('Notifier waits for the transition\'s I/O (keepalived notifies after the VIPs and GARP)', () => {
  it('a delivery waits for the I/O queued before its event, later ones keep their order, stop() delivers what waits', async () => {
    const d = join(dir, 'io-order');
    mkdirSync(d);
    const fifo = join(d, 'k.fifo');
    const conf = join(d, 'k.conf');
    writeFileSync(conf, `global_defs {\n vrrp_notify_fifo ${fifo}\n}\nvrrp_instance VI_1 {\n interface lo\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n`);
    const log = memLog();
    // The runtime's I/O queue, as the test drives it: each event captures what is queued at that moment.
    let release: () => void = () => {};
    let io: Promise<void> = Promise.resolve();
    const n = new Notifier(loadNotify(conf, 'test', log)!, { log, priorityOf: () => 100, ioDone: () => io });
    n.start();
    const r = reader(fifo);
    const tr = (to: 'BACKUP' | 'MASTER' | 'STOP'): DaemonEvent => ({ type: 'transition', instance: 'VI_1', transition: { from: 'INIT', to, at: '', reason: '' } });
    n.onEvent(tr('BACKUP'));
    await until('BACKUP, with nothing queued', () => r.out() === 'INSTANCE "VI_1" BACKUP 100\n');
    io = new Promise<void>((res) => (release = res)); // the VIP add is in flight
    n.onEvent(tr('MASTER'));
    io = Promise.resolve(); // a later event with nothing queued must not overtake it
    n.onEvent(tr('BACKUP'));
    await new Promise((res) => setTimeout(res, 200));
    expect(r.out()).toBe('INSTANCE "VI_1" BACKUP 100\n');
    release();
    await until('MASTER then BACKUP', () => r.out() === 'INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" BACKUP 100\n');
    io = new Promise<void>((res) => (release = res));
    n.onEvent(tr('MASTER'));
    const stopped = n.stop();
    release();
    await stopped;
    await until('the reader saw the FIFO close', () => r.proc.exitCode !== null);
    // The MASTER that waited, then what stop() itself reports.
    expect(r.out().split('\n').slice(3, 4)).toEqual(['INSTANCE "VI_1" MASTER 100']);
    expect(log.lines.filter((l) => /^(err|warning):/.test(l))).toEqual([]);
  });
});

describe.runIf(isRoot)('notify scripts (root)', () => {
  const rec = () => {
    const p = join(dir, 'rec.sh');
    // Appends its arguments, one run per line, to the file named by the first.
    writeFileSync(p, '#!/bin/sh\nf="$1"; shift\necho "$*" >> "$f"\n', { mode: 0o755 });
    return p;
  };

  it('runs argv without a shell (quoted words stay one argument) and logs what ran', async () => {
    const log = memLog();
    const s = new NotifyScripts(log, { scriptUser: ['root'], scriptSecurity: true });
    const out = join(dir, 'argv.log');
    const exits: ScriptExit[] = [];
    s.onExit = (_j, e) => exits.push(e);
    s.run({ kind: 'notify', argv: [rec(), out, 'a b', '$HOME;x'] }, '(VI_1)', ['INSTANCE', 'VI_1', 'MASTER', '100'], false);
    await until('the script ran', () => exits.length === 1);
    expect(readFileSync(out, 'utf8')).toBe('a b $HOME;x INSTANCE VI_1 MASTER 100\n');
    expect(log.lines.some((l) => /\(VI_1\) Running notify script '.*rec\.sh'/.test(l))).toBe(true);
  });

  it('enable_script_security refuses a script in a directory others may write, and says why', async () => {
    const log = memLog();
    const unsafe = join(dir, 'unsafe');
    mkdirSync(unsafe, { recursive: true });
    chmodSync(unsafe, 0o777);
    const p = join(unsafe, 'x.sh');
    const out = join(dir, 'unsafe.log');
    writeFileSync(p, `#!/bin/sh\necho ran >> ${out}\n`, { mode: 0o755 });
    const s = new NotifyScripts(log, { scriptUser: ['root'], scriptSecurity: true });
    s.run({ kind: 'notify_master', argv: [p] }, '(VI_1)', [], false);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(out)).toBe(false);
    expect(log.lines.join('\n')).toMatch(/Unsafe permissions found for script .* - disabling/);
    expect(log.lines.join('\n')).toMatch(/notify_master script .* disabled/);
    // Without script security keepalived runs it (and warns).
    const lax = new NotifyScripts(memLog(), { scriptUser: ['root'], scriptSecurity: false });
    const exits: ScriptExit[] = [];
    lax.onExit = (_j, e) => exits.push(e);
    lax.run({ kind: 'notify_master', argv: [p] }, '(VI_1)', [], false);
    await until('the lax run', () => exits.length === 1);
    expect(readFileSync(out, 'utf8')).toBe('ran\n');
  });

  it('a STOP notify gets 1 s, then its process group is killed and the timeout logged', async () => {
    const log = memLog();
    const p = join(dir, 'slow.sh');
    writeFileSync(p, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
    const s = new NotifyScripts(log, { scriptUser: ['root'], scriptSecurity: true });
    const exits: ScriptExit[] = [];
    s.onExit = (_j, e) => exits.push(e);
    const t0 = Date.now();
    s.run({ kind: 'notify_stop', argv: [p] }, '(VI_1)', [], true);
    await until('the STOP script killed', () => exits.length === 1, 8000);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(exits[0]).toMatchObject({ kind: 'signal', timedOut: true });
    expect(log.lines.join('\n')).toMatch(/notify_stop script .* timed out after 1000 ms and was killed/);
  });

  it('bounded: at most MAX_RUNNING at once, a bounded queue, the rest dropped with one log line; stop() leaves nothing running', async () => {
    const log = memLog();
    const p = join(dir, 'pid.sh');
    const pids = join(dir, 'pids');
    writeFileSync(p, `#!/bin/sh\necho $$ >> ${pids}\nsleep 30\n`, { mode: 0o755 });
    const s = new NotifyScripts(log, { scriptUser: ['root'], scriptSecurity: true });
    const n = MAX_RUNNING + MAX_QUEUED + 10;
    for (let i = 0; i < n; i++) s.run({ kind: 'notify', argv: [p] }, '(VI_1)', [], false);
    expect(s.active).toBe(MAX_RUNNING + MAX_QUEUED);
    expect(log.lines.filter((l) => /dropping/.test(l)).length).toBe(1);
    await until('the running ones started', () => existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length === MAX_RUNNING);
    const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    const t0 = Date.now();
    await s.stop(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(s.active).toBe(0);
    expect(started.filter(alive)).toEqual([]);
    // No queued run started after stop.
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(pids, 'utf8').trim().split('\n').length).toBe(MAX_RUNNING);
  });
});

describe.runIf(isRoot)('Notifier: events -> scripts, FIFO and mail (root, smtp-server on loopback)', () => {
  let smtp: SMTPServer;
  let port = 0;
  const mails: { from: string; to: string[]; raw: string }[] = [];
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (d: Buffer) => (raw += d.toString()));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
          cb();
        });
      },
    });
    await new Promise<void>((res) => smtp.listen(0, '127.0.0.1', () => res()));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((res) => smtp.close(() => res()));
  });

  it('start, transitions, priority, stop: files, FIFO lines and mails follow the events in order', async () => {
    const d = join(dir, 'n1');
    mkdirSync(d);
    const rec = join(d, 'rec.sh');
    writeFileSync(rec, '#!/bin/sh\nf="$1"; shift\necho "$*" >> "$f"\n', { mode: 0o755 });
    const fifo = join(d, 'k.fifo');
    const conf = join(d, 'k.conf');
    writeFileSync(conf, `global_defs {
  router_id T1
  script_user root
  enable_script_security
  notify_fifo ${fifo}
  vrrp_notify_priority_changes
  smtp_server 127.0.0.1 ${port}
  smtp_connect_timeout 5
  notification_email {
    ops@example.com
  }
  notification_email_from ka@example.com
  smtp_helo_name t1.example.com
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  smtp_alert
  virtual_ipaddress {
    192.0.2.100/24
  }
  notify_master "${rec} ${d}/own.log master"
  notify_backup "${rec} ${d}/own.log backup"
  notify_stop "${rec} ${d}/own.log stop"
  notify "${rec} ${d}/gen.log"
}
`);
    const log = memLog();
    const loaded = loadNotify(conf, 'test', log)!;
    expect(loaded).not.toBeNull();
    let prio = 100;
    const n = new Notifier(loaded, { log, priorityOf: () => prio });
    // The FIFO is opened at start; a reader attached afterwards still gets every line (it buffers).
    n.start();
    const r = reader(fifo);
    const tr = (to: 'BACKUP' | 'MASTER' | 'STOP'): DaemonEvent => ({ type: 'transition', instance: 'VI_1', transition: { from: 'INIT', to, at: '', reason: '' } });
    const own = join(d, 'own.log');
    const gen = join(d, 'gen.log');
    const linesOf = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : []);
    n.onEvent(tr('BACKUP'));
    await until('backup notifies', () => linesOf(own).length === 1 && linesOf(gen).length === 1);
    n.onEvent(tr('MASTER'));
    await until('master notifies', () => linesOf(own).length === 2 && linesOf(gen).length === 2);
    prio = 90;
    n.onEvent({ type: 'priority', instance: 'VI_1', effective: 90 });
    n.onEvent(tr('BACKUP'));
    await until('backup notifies again', () => linesOf(own).length === 3 && linesOf(gen).length === 3);
    await until('three mails', () => mails.length === 3, 15_000);
    n.onEvent(tr('STOP'));
    await n.stop();
    expect(linesOf(own)).toEqual(['backup', 'master', 'backup', 'stop']);
    expect(linesOf(gen)).toEqual(['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100', 'INSTANCE VI_1 BACKUP 90', 'INSTANCE VI_1 STOP 90']);
    await until('the reader saw the FIFO close', () => r.proc.exitCode !== null);
    expect(r.out()).toBe('INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" MASTER_PRIORITY 90\nINSTANCE "VI_1" BACKUP 90\nINSTANCE "VI_1" STOP 90\n');
    expect(existsSync(fifo)).toBe(false);
    const subjects = mails.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]?.trim());
    expect(subjects.slice(0, 3)).toEqual([
      '[T1] VRRP Instance VI_1 - Entering BACKUP state',
      '[T1] VRRP Instance VI_1 - Entering MASTER state',
      '[T1] VRRP Instance VI_1 - Entering BACKUP state',
    ]);
    expect(mails[1]!.raw).toMatch(/=> VRRP Instance is now owning VRRP VIPs <=/);
    expect(mails[0]!.from).toBe('ka@example.com');
    expect(mails[0]!.to).toEqual(['ops@example.com']);
    // No failure was logged along the way.
    expect(log.lines.filter((l) => /^(err|warning):/.test(l))).toEqual([]);
  });

  it('reload: a removed instance reports DELETED (notify_deleted) or FAULT, the new scripts apply, the FIFO stays open', async () => {
    const d = join(dir, 'n3');
    mkdirSync(d);
    const rec = join(d, 'rec.sh');
    writeFileSync(rec, '#!/bin/sh\nf="$1"; shift\necho "$*" >> "$f"\n', { mode: 0o755 });
    const fifo = join(d, 'k.fifo');
    const inst = (name: string, vrid: number, extra: string) =>
      `vrrp_instance ${name} {\n interface lo\n virtual_router_id ${vrid}\n priority 100\n virtual_ipaddress {\n  192.0.2.${vrid}/24\n }\n${extra}}\n`;
    const head = `global_defs {\n script_user root\n enable_script_security\n vrrp_notify_fifo ${fifo}\n}\n`;
    const conf = join(d, 'k.conf');
    writeFileSync(conf, head + inst('VI_1', 1, ` notify_master "${rec} ${d}/old.log"\n`) + inst('VI_2', 2, ` notify_deleted "${rec} ${d}/deleted.log VI_2"\n`) +
      inst('VI_3', 3, ''));
    const log = memLog();
    const n = new Notifier(loadNotify(conf, 'test', log)!, { log, priorityOf: () => 100 });
    n.start();
    const r = reader(fifo);
    const tr = (instance: string, to: 'BACKUP' | 'MASTER' | 'STOP'): DaemonEvent => ({ type: 'transition', instance, transition: { from: 'INIT', to, at: '', reason: '' } });
    for (const i of ['VI_1', 'VI_2', 'VI_3']) n.onEvent(tr(i, 'BACKUP'));
    writeFileSync(conf, head + inst('VI_1', 1, ` notify_master "${rec} ${d}/new.log"\n`));
    n.beginReload(loadNotify(conf, 'test', log)!);
    // The runtime stops what the reload removes.
    n.onEvent(tr('VI_2', 'STOP'));
    n.onEvent(tr('VI_3', 'STOP'));
    await n.endReload(true);
    n.onEvent(tr('VI_1', 'MASTER'));
    await until('the new notify_master ran', () => existsSync(join(d, 'new.log')) && existsSync(join(d, 'deleted.log')));
    expect(existsSync(join(d, 'old.log'))).toBe(false);
    expect(readFileSync(join(d, 'deleted.log'), 'utf8')).toBe('VI_2\n');
    await until('FIFO lines', () => r.out().split('\n').length >= 7);
    expect(r.out()).toBe([
      'INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_2" BACKUP 100', 'INSTANCE "VI_3" BACKUP 100',
      'INSTANCE "VI_2" DELETED 100', 'INSTANCE "VI_3" FAULT 100', 'INSTANCE "VI_1" MASTER 100', '',
    ].join('\n'));
    await n.stop();
    await until('reader done', () => r.proc.exitCode !== null);
    expect(r.out().endsWith('INSTANCE "VI_1" STOP 100\n')).toBe(true);
  });

  it('an SMTP server that is not there: the failure is logged, nothing throws, stop still ends', async () => {
    const d = join(dir, 'n2');
    mkdirSync(d);
    const conf = join(d, 'k.conf');
    // Port 9 on loopback: nothing listens (connection refused at once).
    writeFileSync(conf, 'global_defs {\n smtp_server 127.0.0.1 9\n smtp_connect_timeout 2\n notification_email {\n a@example.com\n }\n smtp_alert\n}\nvrrp_instance VI_1 {\n interface lo\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n');
    const log = memLog();
    const n = new Notifier(loadNotify(conf, 'test', log)!, { log, priorityOf: () => 100 });
    n.start();
    n.onEvent({ type: 'transition', instance: 'VI_1', transition: { from: 'INIT', to: 'MASTER', at: '', reason: '' } });
    await until('the failure logged', () => log.lines.some((l) => /^err: SMTP alert '.*VRRP Instance VI_1 - Entering MASTER state' to 127\.0\.0\.1:9 failed/.test(l)), 10_000);
    await n.stop();
  });
});
