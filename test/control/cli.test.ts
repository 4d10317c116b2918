// keepalivedctl status/promote/demote/clear as real processes (`node bin/keepalivedctl ...`) against a
// fake daemon: the real control server with canned instances whose states move on promote/demote/clear.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callDaemon } from '../../src/control/client.js';
import { type FakeDaemon, sampleInstances, startFakeDaemon } from '../../src/control/fake-daemon.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { requireDist } from '../helpers/dist.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const bin = join(repoRoot, 'bin', 'keepalivedctl');
const dir = mkdtempSync(join(tmpdir(), 'kactl-cli-'));
chmodSync(dir, 0o755);

beforeAll(() => requireDist('dist/commands/status.js'));

const daemons: FakeDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function fake(opts: Parameters<typeof startFakeDaemon>[0]['instances'] = undefined, transitionMs = 300): Promise<FakeDaemon & { path: string }> {
  const path = join(dir, `d${++n}`, 'ctl.sock');
  const d = await startFakeDaemon({ path, instances: opts, transitionMs });
  daemons.push(d);
  return Object.assign(d, { path });
}

type Run = { code: number | null; stdout: string; stderr: string };
function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.FORCE_COLOR;
  if (!('KEEPALIVEDCTL_SOCKET' in extraEnv)) delete env.KEEPALIVEDCTL_SOCKET;
  return new Promise((res) => {
    // Async: the fake daemon answers from this very process.
    execFile(process.execPath, [bin, ...args], { cwd: repoRoot, env, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

// An operator's terminal: chalk (supports-color) turns colours off under CI=, NO_COLOR=, FORCE_COLOR=0 or
// TERM=dumb, which a CI runner may set; this test is about the terminal, so it starts from a clean one.
function operatorTty(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', COLUMNS: '250' };
  for (const k of Object.keys(env)) if (k === 'CI' || k === 'NO_COLOR' || k === 'FORCE_COLOR' || k.startsWith('CI_') || k === 'CONTINUOUS_INTEGRATION' || k === 'BUILD_NUMBER' || k === 'RUN_ID') delete env[k];
  return env;
}

const noStack = (r: Run) => expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);

describe('keepalivedctl status', () => {
  it('plain aligned text in a pipe: every instance, no colours', async () => {
    const d = await fake();
    const r = await cli(['status', '--socket', d.path]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^keepalived 0\.1\.0-fake, pid \d+, up \d+s, config \/etc\/keepalived\/keepalived\.conf \(config id lb1\)$/);
    expect(lines[1]).toMatch(/^INSTANCE +STATE +VRID +INTERFACE +PRIORITY +MASTER +VIPS +TRACKS +LAST TRANSITION$/);
    expect(lines[2]).toMatch(/^VI_WEB +BACKUP +51 +eth0 +100\/100 +192\.0\.2\.2 +192\.0\.2\.151\/24 +eth0:up,chk_nginx:up\(-20\) +INIT->BACKUP \d+s ago: election at start-up$/);
    expect(lines[3]).toMatch(/^VI_DB +MASTER +52 /);
    expect(lines[5]).toMatch(/^VI_SOLO +MASTER +54 /);
    expect(lines[6]).toBe('sync group VG_DATA: MASTER (VI_DB, VI_DB6)');
    // Columns line up: STATE starts at the same offset on every row.
    const col = lines[1].indexOf('STATE');
    for (const l of lines.slice(2, 6)) expect(l.slice(col, col + 6)).toMatch(/^(BACKUP|MASTER)/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('--json prints the StatusResult; INSTANCE narrows it; the env names the socket', async () => {
    const d = await fake();
    const r = await cli(['status', '--json'], { KEEPALIVEDCTL_SOCKET: d.path });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as StatusResult;
    expect(s.instances.map((i) => [i.name, i.state])).toEqual([
      ['VI_WEB', 'BACKUP'],
      ['VI_DB', 'MASTER'],
      ['VI_DB6', 'MASTER'],
      ['VI_SOLO', 'MASTER'],
    ]);
    const one = await cli(['status', 'VI_DB6', '--json', '--socket', d.path]);
    expect((JSON.parse(one.stdout) as StatusResult).instances.map((i) => i.name)).toEqual(['VI_DB6']);
  });

  it('a table with colours on a terminal', async () => {
    const d = await fake();
    // script(1) gives the CLI a pseudo-terminal, as an operator's shell would.
    const cmd = `${process.execPath} ${bin} status --socket ${d.path}`;
    const r = await new Promise<Run>((res) =>
      execFile('script', ['-qec', cmd, '/dev/null'], { cwd: repoRoot, env: operatorTty(), timeout: 60_000 }, (err, stdout, stderr) =>
        res({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      ),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('┌');
    expect(r.stdout).toMatch(/\x1b\[[0-9;]*m/);
    expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/│ VI_WEB +│ BACKUP +│ 51 +│ eth0 /);
  });

  it('an unknown instance: one line, exit 1', async () => {
    const d = await fake();
    const r = await cli(['status', 'VI_NOPE', '--socket', d.path]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("keepalivedctl status: no vrrp_instance 'VI_NOPE'");
    expect(r.stdout).toBe('');
  });

  it('--watch redraws when an event arrives, and stops on Ctrl-C with exit 0', async () => {
    const d = await fake();
    const child = spawn(process.execPath, [bin, 'status', '--watch', '--socket', d.path], { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: '' } });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await expect.poll(() => out.includes('VI_WEB'), { timeout: 20_000, interval: 50 }).toBe(true);
      expect(out).toMatch(/VI_WEB +BACKUP/);
      const t0 = Date.now();
      expect((await callDaemon('promote', { instance: 'VI_WEB' }, { socket: d.path })).ok).toBe(true);
      await expect.poll(() => /VI_WEB +MASTER/.test(out), { timeout: 10_000, interval: 20 }).toBe(true);
      // Driven by the event (transition after 300 ms), not only by the 2 s timer... allowing for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(5000);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('--watch shows a daemon going away and picks up the new one on the same socket', async () => {
    const d = await fake();
    const child = spawn(process.execPath, [bin, 'status', '--watch', '--socket', d.path], { cwd: repoRoot });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await expect.poll(() => out.includes('VI_WEB'), { timeout: 20_000, interval: 50 }).toBe(true);
      await d.close();
      await expect.poll(() => out.includes(`keepalived is not running (no control socket at ${d.path})`), { timeout: 10_000, interval: 50 }).toBe(true);
      const mark = out.length;
      const again = await startFakeDaemon({ path: d.path, instances: 7 });
      daemons.push(again);
      await expect.poll(() => out.slice(mark).includes('VI_7'), { timeout: 10_000, interval: 50 }).toBe(true);
      // A pipe gets the not-running line once, not every 2 s.
      expect(out.split('keepalived is not running').length - 1).toBe(1);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('--watch also redraws every 2 s without events', async () => {
    const d = await fake();
    const child = spawn(process.execPath, [bin, 'status', '--watch', '--json', '--socket', d.path], { cwd: repoRoot });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await expect.poll(() => out.split('\n').filter(Boolean).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(3);
      for (const line of out.split('\n').filter(Boolean)) expect((JSON.parse(line) as StatusResult).instances).toHaveLength(4);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('keepalivedctl promote / demote / clear', () => {
  it('promote settles at MASTER and prints the change; clear brings back the election result', async () => {
    const d = await fake();
    const p = await cli(['promote', 'VI_WEB', '--for', '1h30m', '--socket', d.path]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    const lines = p.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('promote VI_WEB for 1h30m');
    expect(lines[1]).toMatch(/^ {2}VI_WEB {2}override none -> promote 1h(29|30)m left \(254\) {2}state BACKUP -> MASTER$/);
    expect(lines[2]).toMatch(/^settled at MASTER after \d+\.\ds$/);
    const s = await callDaemon<StatusResult>('status', { instance: 'VI_WEB' }, { socket: d.path });
    expect(s.ok && s.result.instances[0].override?.kind).toBe('promote');

    const c = await cli(['clear', 'VI_WEB', '--socket', d.path]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stdout).toMatch(/VI_WEB {2}override promote 1h(29|30)m left \(254\) -> none {2}state MASTER -> BACKUP/);
    expect(c.stdout).toMatch(/^settled after \d+\.\ds$/m);
  });

  it('demote moves the whole sync group to BACKUP', async () => {
    const d = await fake();
    const r = await cli(['demote', 'VI_DB6', '--socket', d.path]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('demote VI_DB6 (sync group: VI_DB, VI_DB6)');
    expect(r.stdout).toMatch(/ {2}VI_DB {3}override none -> demote \(1\) {2}state MASTER -> BACKUP/);
    expect(r.stdout).toMatch(/ {2}VI_DB6 {2}override none -> demote \(1\) {2}state MASTER -> BACKUP/);
    expect(r.stdout).toContain('settled at BACKUP');
  });

  it('demote with no peer does not settle: says so, exit 1; --fault does', async () => {
    const d = await fake();
    const t0 = Date.now();
    const r = await cli(['demote', 'VI_SOLO', '--wait', '1', '--socket', d.path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('did not settle at BACKUP within 1.0s: VI_SOLO MASTER; is a peer up to take over?');
    expect(Date.now() - t0).toBeLessThan(15_000);
    const f = await cli(['demote', 'VI_SOLO', '--fault', '--json', '--socket', d.path]);
    expect(f.code, f.stdout + f.stderr).toBe(0);
    const j = JSON.parse(f.stdout);
    expect(j).toMatchObject({ action: 'demote-fault', instance: 'VI_SOLO', settled: true, before: { VI_SOLO: 'MASTER' }, after: { VI_SOLO: 'FAULT' } });
    expect(j.result.current.VI_SOLO).toMatchObject({ kind: 'demote-fault', priority: 1 });
  });

  it('a state that never moves: promote reports the time-out and exits 1', async () => {
    const list = sampleInstances();
    list[0].frozen = true;
    list[0].state = 'BACKUP';
    const d = await fake(list);
    const r = await cli(['promote', 'VI_WEB', '--wait', '0.5', '--socket', d.path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/did not settle at MASTER within 0\.5s: VI_WEB BACKUP$/m);
  });

  it('--wait 0 returns at once, --for reaches the daemon as forMs', async () => {
    const d = await fake();
    const r = await cli(['demote', 'VI_WEB', '--wait', '0', '--for', '90s', '--socket', d.path]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('not waiting for the state to settle (--wait 0)');
    const s = await callDaemon<StatusResult>('status', { instance: 'VI_WEB' }, { socket: d.path });
    expect(s.ok).toBe(true);
    if (s.ok) {
      const o = s.result.instances[0].override!;
      expect(Date.parse(o.expiresAt!) - Date.parse(o.setAt)).toBe(90_000);
    }
  });

  it('an unknown instance: one line, exit 1', async () => {
    const d = await fake();
    const r = await cli(['promote', 'VI_NOPE', '--socket', d.path]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("keepalivedctl promote: no vrrp_instance 'VI_NOPE'");
  });
});

describe('failures', () => {
  it('no daemon: the one line, exit 1, no stack trace, for every command', async () => {
    const path = join(dir, 'nobody-here.sock');
    const all = [['status'], ['status', '--watch'], ['promote', 'VI_1'], ['demote', 'VI_1', '--fault'], ['clear', 'VI_1']];
    const runs = await Promise.all(all.map((args) => cli([...args, '--socket', path])));
    for (const [k, args] of all.entries()) {
      const r = runs[k];
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toBe(`keepalived is not running (no control socket at ${path})`);
      expect(r.stdout).toBe('');
    }
  });

  it('--json failures: the line on stderr, {"error": {...}} on stdout', async () => {
    const path = join(dir, 'nobody-json.sock');
    const [st, pr] = await Promise.all([cli(['status', '--json', '--socket', path]), cli(['promote', 'VI_1', '--json', '--socket', path])]);
    for (const r of [st, pr]) {
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`keepalived is not running (no control socket at ${path})`);
      expect(JSON.parse(r.stdout)).toEqual({ error: { message: `keepalived is not running (no control socket at ${path})`, kind: 'not-running' } });
    }
    const d = await fake();
    const unknown = await cli(['clear', 'VI_NOPE', '--json', '--socket', d.path]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { message: "keepalivedctl clear: no vrrp_instance 'VI_NOPE'", kind: 'rpc', code: -32002, data: { instance: 'VI_NOPE' } } });
  });

  it('bad flags: one line naming the flag, exit 2; a missing INSTANCE is a usage error', async () => {
    const path = join(dir, 'unused.sock');
    const cases: [string[], RegExp][] = [
      [['promote', 'VI_1', '--for', 'soon'], /^keepalivedctl promote: --for: 'soon' is not a duration/],
      [['demote', 'VI_1', '--for', '0'], /^keepalivedctl demote: --for: '0' is zero/],
      [['demote', 'VI_1', '--for=-5m'], /^keepalivedctl demote: --for: '-5m' is negative/],
      [['clear', 'VI_1', '--wait', 'x'], /^keepalivedctl clear: --wait: 'x' is not a number of seconds/],
      [['status', '--timeout', '0'], /^keepalivedctl status: --timeout: '0' is not a number of seconds/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli([...args, '--socket', path])));
    for (const [k, [args, re]] of cases.entries()) {
      const r = runs[k];
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(re);
      noStack(r);
    }
    const missing = await cli(['promote', '--socket', path]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/instance/i);
    noStack(missing);
  });

  it('a socket the user may not open: says permission denied', async () => {
    if (process.getuid?.() !== 0) return void expect(process.getuid?.()).not.toBe(0);
    const d = await fake();
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true, mode: 0o777 });
    chmodSync(home, 0o777);
    const r = await new Promise<Run>((res) =>
      execFile('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, bin, 'status', '--socket', d.path], { cwd: repoRoot, env: { ...process.env, HOME: home }, timeout: 60_000 }, (err, stdout, stderr) =>
        res({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      ),
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim()).toBe(`permission denied on the control socket ${d.path} (run as root, or as a member of its group)`);
  });
});
