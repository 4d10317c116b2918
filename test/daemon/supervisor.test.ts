import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callDaemon } from '../../src/control/client.js';
import { startControlServer } from '../../src/control/server.js';
import { parseDaemonArgs } from '../../src/daemon/args.js';
import { BACKOFF_MAX_MS, nextBackoff } from '../../src/daemon/child-manager.js';
import type { ChildRole } from '../../src/daemon/ipc.js';
import { Supervisor } from '../../src/daemon/supervisor.js';
import { memLogger } from './fakes.js';

const FIXTURE = join(__dirname, 'fixtures', 'fake-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'kasup-'));
const forked: ChildProcess[] = [];
afterAll(() => {
  for (const c of forked) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const GOOD = `vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const LVS = `${GOOD}
virtual_server 192.0.2.100 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 198.51.100.1 80 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let seq = 0;
function setup(conf: string, mode = 'ok', extra: string[] = [], detail = false) {
  const d = join(dir, `s${seq++}`);
  const file = join(d, 'keepalived.conf');
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  writeFileSync(file, conf);
  const r = parseDaemonArgs(['-n', '-l', '-f', file, '-p', join(d, 'k.pid'), '-r', join(d, 'v.pid'), '-c', join(d, 'c.pid'), '--socket', join(d, 'ctl.sock'), '--state-dir', join(d, 'state'), ...extra]);
  if (!r.ok) throw new Error(r.error);
  const signals = new Map<string, () => void>();
  const log = memLogger(detail);
  const roles: ChildRole[] = [];
  const sup = new Supervisor(r.args, '9.9.9', {
    log,
    startControlServer,
    forkChild: (role) => {
      roles.push(role);
      const c = fork(FIXTURE, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, FAKE_CHILD_MODE: mode } });
      forked.push(c);
      return c;
    },
    onSignal: (sig, fn) => void signals.set(sig, fn),
    childGraceMs: 500,
  });
  return { sup, args: r.args, file, log, signals, roles, d };
}

describe('respawn backoff', () => {
  it('doubles from 1 s to 30 s and resets after 60 s healthy', () => {
    let b: number | null = null;
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) seen.push((b = nextBackoff(b, 100)));
    expect(seen).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(nextBackoff(BACKOFF_MAX_MS, 60_000)).toBe(1000);
  });
});

describe('supervisor with stand-in children', () => {
  it('starts the VRRP child, forwards control methods, relays signals, respawns it, reloads, stops cleanly', async () => {
    const s = setup(GOOD);
    const running = s.sup.run();
    const vrrp = () => s.sup.children().vrrp!;
    await until(() => !!s.sup.children().vrrp?.ready);
    expect(s.roles).toEqual(['vrrp']); // no virtual_server: no checker child
    expect(readFileSync(s.args.pidFile, 'utf8').trim()).toBe(String(process.pid));
    expect(readFileSync(s.args.vrrpPidFile, 'utf8').trim()).toBe(String(vrrp().proc!.pid));
    const sock = { socket: s.args.socket };
    const st = await callDaemon<{ method: string; start: Record<string, unknown> }>('status', {}, sock);
    expect(st.ok).toBe(true);
    if (st.ok) {
      expect(st.result.method).toBe('status');
      expect(st.result.start).toMatchObject({ type: 'start', role: 'vrrp', configFile: s.file, stateDir: s.args.stateDir, daemonPid: process.pid, daemonVersion: '9.9.9', log: { console: true, detail: false } });
    }
    const bad = await callDaemon('promote', { instance: 'NOPE' }, sock);
    expect(bad).toMatchObject({ ok: false, kind: 'rpc', code: -32002, message: 'no vrrp_instance named NOPE' });
    s.signals.get('SIGUSR1')!();
    await until(() => s.log.lines.includes('info: got SIGUSR1'));

    // A crash: respawned after 1 s; meanwhile a clear "not running" error.
    const firstPid = vrrp().proc!.pid!;
    process.kill(firstPid, 'SIGKILL');
    await until(() => !vrrp().proc);
    const during = await callDaemon('status', {}, sock);
    expect(during).toMatchObject({ ok: false, code: -32003, message: expect.stringMatching(/not running/) });
    expect(existsSync(s.args.vrrpPidFile)).toBe(false);
    await until(() => vrrp().ready && vrrp().proc!.pid !== firstPid, 5000);
    expect(vrrp().spawns).toBe(2);
    expect(s.log.lines.some((l) => l.includes(`VRRP child process(${firstPid}) died`))).toBe(true);

    // HUP with a broken config keeps the running child; a good one is forwarded.
    const pid2 = vrrp().proc!.pid;
    writeFileSync(s.file, GOOD.replace('virtual_router_id 51', 'virtual_router_id 300'));
    s.signals.get('SIGHUP')!();
    await until(() => s.log.lines.some((l) => l.includes('Reload failed')));
    expect(s.log.lines.some((l) => l.startsWith('err: (') && l.includes('Line 3'))).toBe(true);
    expect(vrrp().proc!.pid).toBe(pid2);
    writeFileSync(s.file, GOOD);
    const rel = await callDaemon<{ method: string }>('reload', {}, sock);
    expect(rel).toMatchObject({ ok: true, result: { method: 'reload' } });

    s.signals.get('SIGTERM')!();
    expect(await running).toBe(0);
    expect(vrrp().proc).toBeNull();
    expect(existsSync(s.args.pidFile)).toBe(false);
    expect(existsSync(s.args.vrrpPidFile)).toBe(false);
    expect(existsSync(s.args.socket)).toBe(false);
    expect(s.log.lines.at(-1)).toBe('info: Stopped Keepalived v9.9.9');
  }, 30_000);

  it('starts a checker child when there are virtual servers, not with -P', async () => {
    const s = setup(LVS);
    const running = s.sup.run();
    await until(() => !!s.sup.children().checker?.ready && !!s.sup.children().vrrp?.ready);
    expect(s.roles.sort()).toEqual(['checker', 'vrrp']);
    s.signals.get('SIGINT')!();
    expect(await running).toBe(0);
    const p = setup(LVS, 'ok', ['-P']);
    const r2 = p.sup.run();
    await until(() => !!p.sup.children().vrrp?.ready);
    expect(p.roles).toEqual(['vrrp']);
    p.signals.get('SIGTERM')!();
    expect(await r2).toBe(0);
  }, 20_000);

  it('SIGKILLs a child that does not stop in time', async () => {
    const s = setup(GOOD, 'hang');
    const running = s.sup.run();
    await until(() => !!s.sup.children().vrrp?.ready);
    const child = s.sup.children().vrrp!.proc!;
    s.signals.get('SIGTERM')!();
    expect(await running).toBe(0);
    expect(child.signalCode).toBe('SIGKILL');
    expect(s.log.lines.some((l) => l.includes('did not stop in 500 ms'))).toBe(true);
  }, 20_000);

  it('queues a HUP that arrives during a reload, several of them as one (keepalived 2.2.7 reload_queued)', async () => {
    const s = setup(GOOD, 'ok', ['-D'], true);
    const running = s.sup.run();
    await until(() => !!s.sup.children().vrrp?.ready);
    const count = (m: string) => s.log.lines.filter((l) => l === `info: ${m}`).length;
    const hup = s.signals.get('SIGHUP')!;
    hup(); // starts a reload: it waits on the child's answer...
    hup(); // ...so these two arrive during it: queued, and coalesced into one
    hup();
    expect(count('Reload already in progress, request queued')).toBe(2);
    await until(() => count('Reload complete') === 2);
    expect(count('Processing queued reload')).toBe(1);
    expect(count('Reloading')).toBe(2);
    // Nothing more is queued: a later HUP is a reload of its own.
    await new Promise((r) => setTimeout(r, 200));
    expect(count('Reloading')).toBe(2);
    hup();
    await until(() => count('Reload complete') === 3);
    s.signals.get('SIGTERM')!();
    expect(await running).toBe(0);
  }, 20_000);

  it('runs past the errors keepalived runs past: an unknown keyword, a bad rule entry (not refused)', async () => {
    const s = setup(`${GOOD}vrrp_sync_group VG1 {\n  VI_1\n}\nstatic_rules {\n  to 192.0.2./24 table 1\n}\n`);
    const running = s.sup.run();
    await until(() => !!s.sup.children().vrrp?.ready);
    // keepalived's words on the line; the rule entry is the VRRP child's to report (it skips it).
    expect(s.log.lines.filter((l) => l.startsWith('err: '))).toEqual([`err: (${s.file}: Line 10) Unknown keyword 'VI_1'`]);
    s.signals.get('SIGTERM')!();
    expect(await running).toBe(0);
  }, 20_000);

  it('refuses a config with errors and a daemon that is already running, starting nothing', async () => {
    // An invalid virtual_router_id: keepalived's VRRP process exits on it (a bad priority it runs past).
    const s = setup(GOOD.replace('virtual_router_id 51', 'virtual_router_id 999'));
    expect(await s.sup.run()).toBe(1);
    expect(s.roles).toEqual([]);
    expect(s.log.lines.some((l) => /^err: \(.*keepalived\.conf: Line 3\)/.test(l))).toBe(true);
    const t = setup(GOOD);
    writeFileSync(t.args.pidFile, `${process.ppid}\n`);
    expect(await t.sup.run()).toBe(1);
    expect(t.log.lines.some((l) => l.includes('daemon is already running'))).toBe(true);
    expect(t.roles).toEqual([]);
  });
});
