import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PID_FILE, DEFAULT_STATE_DIR, parseDaemonArgs } from '../../src/daemon/args.js';
import { readPidFile, removePidFile, runningPid, writePidFile } from '../../src/daemon/pidfile.js';

describe('parseDaemonArgs', () => {
  it('has keepalived defaults', () => {
    const r = parseDaemonArgs([]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.args.configFile).toBe('/etc/keepalived/keepalived.conf');
    expect(r.args.pidFile).toBe(DEFAULT_PID_FILE);
    expect(r.args.vrrpPidFile).toBe('/run/vrrp.pid');
    expect(r.args.checkersPidFile).toBe('/run/checkers.pid');
    expect(r.args.stateDir).toBe(DEFAULT_STATE_DIR);
    expect(r.args.socket).toBe('/run/keepalived/keepalivedctl.sock');
    expect(r.args.dontFork).toBe(false);
  });

  it('reads short, long and attached forms', () => {
    const r = parseDaemonArgs(['-nlDP', '-f', 'a.conf', '-S7', '--config-id=lb1', '-p', '/tmp/p', '--vrrp_pid=/tmp/v', '-c/tmp/c', '--socket', '/tmp/s', '--state-dir', '/tmp/st']);
    expect(r).toMatchObject({
      ok: true,
      args: {
        dontFork: true, logConsole: true, logDetail: true, vrrpOnly: true, configFile: 'a.conf', logFacility: 7, configId: 'lb1',
        pidFile: '/tmp/p', vrrpPidFile: '/tmp/v', checkersPidFile: '/tmp/c', socket: '/tmp/s', stateDir: '/tmp/st',
      },
    });
  });

  it('takes the socket from the environment unless --socket is given', () => {
    expect(parseDaemonArgs([], { KEEPALIVEDCTL_SOCKET: '/tmp/e.sock' })).toMatchObject({ ok: true, args: { socket: '/tmp/e.sock' } });
    expect(parseDaemonArgs(['--socket', '/tmp/f.sock'], { KEEPALIVEDCTL_SOCKET: '/tmp/e.sock' })).toMatchObject({ args: { socket: '/tmp/f.sock' } });
  });

  it('config test with and without a log file', () => {
    expect(parseDaemonArgs(['-t'])).toMatchObject({ ok: true, args: { configTest: true, configTestLog: undefined } });
    expect(parseDaemonArgs(['--config-test=/tmp/log'])).toMatchObject({ args: { configTest: true, configTestLog: '/tmp/log' } });
    expect(parseDaemonArgs(['-t/tmp/l2', '-f', 'x'])).toMatchObject({ args: { configTest: true, configTestLog: '/tmp/l2', configFile: 'x' } });
  });

  it.each([
    [['--bogus'], /bogus/],
    [['-S', '8'], /facility '8'/],
    [['-S', 'local0'], /facility/],
    [['-f'], /argument missing|use-file/],
    [['-P', '-C'], /exclude/],
    [['--pid='], /non-empty/],
    [['stray'], /positional|stray/],
  ])('refuses %j with one line', (argv, re) => {
    const r = parseDaemonArgs(argv as string[]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(re);
    expect(r.error).not.toContain('\n');
  });
});

describe('pid files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, detects a live owner, ignores a dead one and removes only its own', () => {
    const f = join(dir, 'sub', 'k.pid');
    expect(writePidFile(f, process.pid)).toEqual({ ok: true });
    expect(readPidFile(f)).toBe(process.pid);
    expect(runningPid(f)).toBeNull(); // our own pid is not "another daemon"
    writeFileSync(f, `${process.ppid}\n`);
    expect(runningPid(f)).toBe(process.ppid);
    writeFileSync(f, '999999999\n');
    expect(runningPid(f)).toBeNull();
    writeFileSync(f, 'garbage');
    expect(readPidFile(f)).toBeNull();
    writeFileSync(f, `${process.ppid}\n`);
    removePidFile(f, process.pid); // not ours: kept
    expect(readFileSync(f, 'utf8')).toBe(`${process.ppid}\n`);
    writePidFile(f, process.pid);
    removePidFile(f, process.pid);
    expect(readPidFile(f)).toBeNull();
  });

  it('reports an unwritable place instead of throwing', () => {
    const f = join(dir, 'file-as-dir');
    writeFileSync(f, 'x');
    const r = writePidFile(join(f, 'k.pid'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('cannot write pid file');
  });
});
