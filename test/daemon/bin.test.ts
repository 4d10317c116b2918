// bin/keepalived as a process: usage errors, help/version, config errors, and (root, inside a
// namespace) keepalived's fork to the background with its pid file and "already running".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { pidAlive } from '../../src/daemon/pidfile.js';

const BIN = join(__dirname, '..', '..', 'bin', 'keepalived');
const dir = mkdtempSync(join(tmpdir(), 'kabin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], ns?: string) => {
  const cmd = ns ? ['ip', ['netns', 'exec', ns, process.execPath, BIN, ...args]] as const : [process.execPath, [BIN, ...args]] as const;
  return spawnSync(cmd[0], [...cmd[1]], { encoding: 'utf8', timeout: 30_000 });
};

describe('bin/keepalived command line', () => {
  it.each([[['--bogus']], [['-S', '9']], [['-P', '-C']], [['-p', '']]])('%j: one line on stderr, exit 2', (args) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keepalived: [^\n]+\n$/);
  });

  it('help and version', () => {
    const h = run(['-h']);
    expect(h.status).toBe(0);
    for (const f of ['--use-file', '--vrrp', '--dont-fork', '--log-facility', '--vrrp_pid', '--socket', '--state-dir']) expect(h.stdout).toContain(f);
    expect(run(['--version']).stdout).toMatch(/^Keepalived v\d/);
  });
});

describe.runIf(isRoot())('bin/keepalived as a daemon (root, in a namespace)', () => {
  it('config errors: logged keepalived-style, exit 1, nothing started', () => {
    const ns = createNetns('dbin');
    try {
      const conf = join(dir, 'bad.conf');
      writeFileSync(conf, 'vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 999\n}\n');
      const r = run(['-n', '-l', '-f', conf, '-p', join(dir, 'bad.pid'), '-r', join(dir, 'badv.pid'), '-c', join(dir, 'badc.pid'), '--socket', join(dir, 'bad.sock')], ns);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/Keepalived\[\d+\]: \(.*bad\.conf: Line 3\) /);
      expect(existsSync(join(dir, 'bad.pid')) || existsSync(join(dir, 'bad.sock'))).toBe(false);
    } finally {
      deleteNetns(ns);
    }
  });

  it('forks to the background: exits 0 once the pid file names the daemon; a second start is refused; TERM ends it', async () => {
    const ns = createNetns('dbg');
    ip('-n', ns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ip('-n', ns, 'link', 'set', 'veth0', 'up');
    ip('-n', ns, 'link', 'set', 'veth1', 'up');
    ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
    const conf = join(dir, 'bg.conf');
    writeFileSync(conf, 'vrrp_instance VI_1 {\n  interface veth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n');
    const pidFile = join(dir, 'bg.pid');
    const args = ['-f', conf, '-p', pidFile, '-r', join(dir, 'bgv.pid'), '-c', join(dir, 'bgc.pid'), '--socket', join(dir, 'bg.sock'), '--state-dir', join(dir, 'bgstate')];
    let pid = 0;
    try {
      const t0 = Date.now();
      const r = run(args, ns);
      expect(r.status).toBe(0);
      expect(Date.now() - t0).toBeLessThan(20_000);
      pid = Number(readFileSync(pidFile, 'utf8'));
      expect(pidAlive(pid)).toBe(true);
      const again = run(args, ns);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('daemon is already running');
      process.kill(pid, 'SIGTERM');
      const end = Date.now() + 15_000;
      while (pidAlive(pid) && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
      expect(pidAlive(pid)).toBe(false);
      expect(existsSync(pidFile)).toBe(false);
    } finally {
      if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
      deleteNetns(ns);
    }
  }, 60_000);
});

