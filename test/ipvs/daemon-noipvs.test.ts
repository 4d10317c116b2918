// Our daemon on a kernel without IPVS (this host's): it says so once, keeps running the checkers,
// and `keepalivedctl status --json` shows the virtual servers with their checker states. Runs in a
// network namespace made here (TEST-NET addresses on a veth inside it, no route out).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatusResult } from '../../src/control/protocol.js';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';

const repo = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kd-noipvs-'));
const procs: ChildProcess[] = [];
let ns = '';
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  if (ns) deleteNetns(ns);
  rmSync(dir, { recursive: true, force: true });
});

const CONF = `
virtual_server 203.0.113.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 203.0.113.11 8080 {
        TCP_CHECK {
            connect_timeout 2
        }
    }
    real_server 203.0.113.12 8080 {
        weight 2
        TCP_CHECK {
            connect_timeout 2
            retry 0
        }
    }
}
`;

function status(sock: string): StatusResult | undefined {
  const r = spawnSync('node', [join(repo, 'bin', 'keepalivedctl'), 'status', '--json', '--socket', sock], { encoding: 'utf8', timeout: 20_000 });
  try {
    return JSON.parse(r.stdout) as StatusResult;
  } catch {
    return undefined;
  }
}

describe('daemon without IPVS in the kernel', () => {
  it(isRoot() ? 'says so once, keeps checking, shows the virtual servers in status' : 'needs root for a namespace', async () => {
    if (!isRoot()) {
      expect(() => createNetns('nip')).toThrow();
      return;
    }
    expect(existsSync('/proc/net/ip_vs'), 'this test is for a kernel without IPVS').toBe(false);
    ns = createNetns('nip');
    addVethPairs(ns, ['d0']);
    for (const a of ['203.0.113.1/24', '203.0.113.11/24', '203.0.113.12/24']) ip('-n', ns, 'addr', 'add', a, 'dev', 'd0');
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, CONF);
    const sock = join(dir, 'ctl.sock');
    // The real server .11 listens; .12 refuses.
    const rs = spawn('ip', ['netns', 'exec', ns, 'node', '-e', "require('net').createServer((s) => s.destroy()).listen(8080, '203.0.113.11')"], { stdio: 'ignore' });
    procs.push(rs);
    let log = '';
    const d = spawn('ip', ['netns', 'exec', ns, 'node', join(repo, 'bin', 'keepalived'), '-n', '-l', '-f', conf, '--socket', sock,
      '--state-dir', join(dir, 'state'), '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(d);
    d.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    d.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    let st: StatusResult | undefined;
    const until = Date.now() + 60_000;
    for (let i = 0; i < 120 && Date.now() < until; i++) {
      await new Promise((r) => setTimeout(r, 500));
      if (d.exitCode !== null) break;
      st = existsSync(sock) ? status(sock) : undefined;
      const rss = st?.virtualServers?.[0]?.realServers;
      if (rss?.[0]?.checkers[0]?.up === true && rss[1]?.up === false) break;
    }
    expect(st?.ipvs, log).toEqual({ available: false, detail: expect.stringMatching(/no IPVS/) });
    expect(st?.virtualServers, log).toEqual([{
      name: 'TCP 203.0.113.10:80', services: ['TCP 203.0.113.10:80'], quorumUp: true,
      realServers: [
        { address: '203.0.113.11:8080', up: true, weight: 1, tableWeight: null, checkers: [{ type: 'TCP_CHECK', up: true, detail: expect.any(String) }] },
        { address: '203.0.113.12:8080', up: false, weight: 2, tableWeight: null, checkers: [{ type: 'TCP_CHECK', up: false, detail: expect.stringMatching(/refused/) }] },
      ],
    }]);
    d.kill('SIGTERM');
    await new Promise<void>((r) => {
      const t = setTimeout(r, 20_000);
      d.once('exit', () => { clearTimeout(t); r(); });
    });
    expect(d.exitCode, log).toBe(0);
    expect(log.match(/the kernel has no IPVS/g)?.length, log).toBe(1);
    expect(log).toMatch(/the health checks keep running/);
    expect(log).toMatch(/TCP_CHECK on .*203\.0\.113\.12:8080 failed/);
  }, 120_000);
});
