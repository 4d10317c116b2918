// Two daemons on one LAN made of network namespaces (two nodes, a bridge namespace, veth legs),
// TEST-NET addresses only: election, VIP placement, child crash, graceful stop, IPv6 VRRPv3, and
// real keepalived 2.2.7 as the peer. Every wait is bounded; namespaces and processes always go.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callDaemon } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { haveKeepalived, KEEPALIVED } from '../helpers/oracle.js';
import { createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'keepalived');
const root = isRoot();

interface Lab {
  br: string;
  a: string;
  b: string;
}

function makeLab(): Lab {
  const br = createNetns('dbr');
  const a = createNetns('dna');
  const b = createNetns('dnb');
  ip('-n', br, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', br, 'link', 'set', 'br0', 'up');
  for (const [ns, n, leg] of [[a, 1, 'la'], [b, 2, 'lb']] as const) {
    // No DAD in the test namespaces: addresses usable at once, nothing leaves them anyway.
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    ip('link', 'add', 'veth0', 'netns', ns, 'type', 'veth', 'peer', 'name', leg, 'netns', br);
    ip('-n', br, 'link', 'set', leg, 'master', 'br0');
    ip('-n', br, 'link', 'set', leg, 'up');
    ip('-n', ns, 'link', 'set', 'veth0', 'up');
    ip('-n', ns, 'addr', 'add', `192.0.2.${n}/24`, 'dev', 'veth0');
    ip('-n', ns, 'addr', 'add', `2001:db8::${n}/64`, 'dev', 'veth0', 'nodad');
  }
  return { br, a, b };
}

function dropLab(l: Lab | null): void {
  if (!l) return;
  for (const ns of [l.a, l.b, l.br]) deleteNetns(ns);
}

function addrs(ns: string): string[] {
  const j = JSON.parse(ip('-n', ns, '-j', 'addr', 'show', 'dev', 'veth0')) as { addr_info: { local: string }[] }[];
  return j.flatMap((l) => l.addr_info.map((x) => x.local));
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'kaint-'));
const procs: ChildProcess[] = [];
let seq = 0;

interface Daemon {
  proc: ChildProcess;
  out: () => string;
  files: { pid: string; vrrpPid: string; sock: string; conf: string };
  exited: Promise<number | null>;
}

function run(ns: string, args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => proc.on('exit', (c) => res(c)));
  return { proc, out: () => out, exited };
}

function ours(ns: string, conf: string): Daemon {
  const d = join(tmp, `d${seq++}`);
  execFileSync('mkdir', ['-p', d]);
  writeFileSync(join(d, 'k.conf'), conf);
  const files = { pid: join(d, 'k.pid'), vrrpPid: join(d, 'v.pid'), sock: join(d, 'k.sock'), conf: join(d, 'k.conf') };
  const r = run(ns, [process.execPath, BIN, '-n', '-l', '-D', '-f', join(d, 'k.conf'), '-p', files.pid, '-r', files.vrrpPid, '-c', join(d, 'c.pid'), '--socket', files.sock, '--state-dir', join(d, 'state')]);
  return { ...r, files };
}

function theirs(ns: string, conf: string): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const d = join(tmp, `k${seq++}`);
  execFileSync('mkdir', ['-p', d]);
  writeFileSync(join(d, 'k.conf'), conf);
  return run(ns, [KEEPALIVED, '-n', '-l', '-D', '-P', '-f', join(d, 'k.conf'), '-p', join(d, 'k.pid'), '-r', join(d, 'v.pid')]);
}

async function status(d: Daemon): Promise<StatusResult | null> {
  const r = await callDaemon<StatusResult>('status', {}, { socket: d.files.sock, timeoutMs: 2000 });
  return r.ok ? r.result : null;
}

async function stateOf(d: Daemon, name = 'VI_1'): Promise<string | undefined> {
  return (await status(d))?.instances.find((i) => i.name === name)?.state;
}

async function stop(p: { proc: ChildProcess; exited: Promise<number | null> }): Promise<number | null> {
  if (p.proc.exitCode !== null) return p.proc.exitCode;
  // `ip netns exec` execs the program, so the pid is the daemon's.
  p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 15_000);
  const c = await p.exited;
  clearTimeout(t);
  return c;
}

/** The state keepalived entered last, from its log. */
function lastEntered(out: string): string | undefined {
  return [...out.matchAll(/\(VI_1\) Entering (\w+) STATE/g)].at(-1)?.[1];
}
/** What keepalived logs about adverts it rejects. */
const PEER_COMPLAINTS = /invalid|mismatch|bogus|wrong|too short|Unknown VRID|checksum/i;

const v4conf = (prio: number) => `
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const v6conf = (prio: number) => `
vrrp_instance VI_6 {
  interface veth0
  state BACKUP
  virtual_router_id 61
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    2001:db8::100/64
  }
}
`;

describe.runIf(root)('daemon integration in network namespaces (root)', () => {
  let lab: Lab | null = null;
  beforeAll(() => {
    // Tests run bin/keepalived, which imports dist/: it must be built (the test runner builds it).
    expect(existsSync(join(ROOT, 'dist', 'src', 'daemon', 'vrrp-child.js'))).toBe(true);
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
      }
    }
    dropLab(lab);
    lab = null;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('VRRPv2 PASS: one master holding the VIP, VRRP child kill -9 -> the peer takes over, HUP reload in place, SIGTERM -> handover, nothing left', async () => {
    lab = makeLab();
    const A = ours(lab.a, v4conf(150));
    const B = ours(lab.b, v4conf(100));
    await until('A master', async () => (await stateOf(A)) === 'MASTER' && (await stateOf(B)) === 'BACKUP');
    await until('VIP on A only', () => addrs(lab!.a).includes('192.0.2.100') && !addrs(lab!.b).includes('192.0.2.100'), 5000);
    const st = (await status(B))!.instances[0];
    expect(st.masterAddr).toBe('192.0.2.1');
    expect(st.counters.advertsReceived).toBeGreaterThan(0);

    // The VRRP child dies without a goodbye: B takes over; A's supervisor respawns it, it clears the
    // stale VIP and (priority 150) preempts back.
    const childPid = Number(readFileSync(A.files.vrrpPid, 'utf8'));
    process.kill(childPid, 'SIGKILL');
    await until('B takes over', () => addrs(lab!.b).includes('192.0.2.100'));
    await until('A back as master', async () => (await stateOf(A)) === 'MASTER' && (await stateOf(B)) === 'BACKUP', 30_000);
    expect(Number(readFileSync(A.files.vrrpPid, 'utf8'))).not.toBe(childPid);
    await until('VIP on A only again', () => addrs(lab!.a).includes('192.0.2.100') && !addrs(lab!.b).includes('192.0.2.100'), 5000);
    expect(A.out()).toMatch(/VRRP child process\(\d+\) died: exited with signal SIGKILL/);

    // HUP with one more instance: VI_1 keeps running untouched (no failover), VI_2 starts.
    const before = (await status(A))!.instances[0].lastTransition;
    writeFileSync(A.files.conf, v4conf(150) + v4conf(150).replace('VI_1', 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52').replace('192.0.2.100', '192.0.2.102'));
    A.proc.kill('SIGHUP');
    await until('VI_2 running after HUP', async () => (await stateOf(A, 'VI_2')) === 'MASTER');
    expect((await status(A))!.instances[0]).toMatchObject({ name: 'VI_1', state: 'MASTER', lastTransition: before });
    expect(addrs(lab.b)).not.toContain('192.0.2.100');
    expect(A.out()).toMatch(/Reload done: 1 added, 0 removed, 0 changed, 1 unchanged/);
    // A broken configuration (an invalid virtual_router_id: keepalived's VRRP process exits on it) is
    // refused and the running one kept.
    writeFileSync(A.files.conf, v4conf(150).replace('virtual_router_id 51', 'virtual_router_id 300'));
    A.proc.kill('SIGHUP');
    await until('reload refused', () => A.out().includes('Reload failed'), 10_000);
    expect(await stateOf(A, 'VI_2')).toBe('MASTER');

    expect(await stop(A)).toBe(0);
    expect(addrs(lab.a)).not.toContain('192.0.2.100');
    expect(existsSync(A.files.pid) || existsSync(A.files.vrrpPid) || existsSync(A.files.sock)).toBe(false);
    expect(A.out()).toContain('(VI_1) sent 0 priority');
    await until('B master after handover', () => addrs(lab!.b).includes('192.0.2.100'), 5000);
    expect((await status(B))!.instances[0].lastTransition?.reason).toMatch(/priority 0/);
    expect(await stop(B)).toBe(0);
    expect(addrs(lab.b)).not.toContain('192.0.2.100');
  }, 120_000);

  it('promote / demote --fault / clear over the control socket move the master between daemons, persisted', async () => {
    lab = makeLab();
    const A = ours(lab.a, v4conf(150));
    const B = ours(lab.b, v4conf(100));
    await until('A master', async () => (await stateOf(A)) === 'MASTER' && (await stateOf(B)) === 'BACKUP');
    const p = await callDaemon<{ instances: string[] }>('promote', { instance: 'VI_1' }, { socket: B.files.sock });
    expect(p).toMatchObject({ ok: true, result: { instances: ['VI_1'] } });
    await until('B master after promote', async () => (await stateOf(B)) === 'MASTER' && (await stateOf(A)) === 'BACKUP');
    await until('VIP moved to B', () => addrs(lab!.b).includes('192.0.2.100') && !addrs(lab!.a).includes('192.0.2.100'), 5000);
    expect((await status(B))!.instances[0].override?.kind).toBe('promote');
    const stateFile = join(B.files.sock, '..', 'state', 'overrides.json');
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).overrides.VI_1.kind).toBe('promote');
    await callDaemon('clear', { instance: 'VI_1' }, { socket: B.files.sock });
    await until('A master again after clear', async () => (await stateOf(A)) === 'MASTER' && (await stateOf(B)) === 'BACKUP');
    await callDaemon('demote', { instance: 'VI_1', fault: true }, { socket: A.files.sock });
    await until('A in FAULT, B master', async () => (await stateOf(A)) === 'FAULT' && (await stateOf(B)) === 'MASTER');
    expect(addrs(lab.a)).not.toContain('192.0.2.100');
    const none = await callDaemon('promote', { instance: 'NOPE' }, { socket: A.files.sock });
    expect(none).toMatchObject({ ok: false, code: -32002 });
    expect(await stop(A)).toBe(0);
    expect(await stop(B)).toBe(0);
  }, 90_000);

  it('VRRPv3 over IPv6: master election, carrier loss -> FAULT and back, SIGTERM handover with the IPv6 VIP', async () => {
    lab = makeLab();
    const A = ours(lab.a, v6conf(150));
    const B = ours(lab.b, v6conf(100));
    await until('A master', async () => (await stateOf(A, 'VI_6')) === 'MASTER' && (await stateOf(B, 'VI_6')) === 'BACKUP');
    await until('IPv6 VIP on A only', () => addrs(lab!.a).includes('2001:db8::100') && !addrs(lab!.b).includes('2001:db8::100'), 5000);
    const st = (await status(B))!.instances[0];
    expect(st).toMatchObject({ version: 3, family: 6 });
    expect(st.masterAddr).toMatch(/^fe80::/);
    // Carrier loss on A's interface (its leg in the bridge namespace goes down): FAULT, VIP released.
    ip('-n', lab.br, 'link', 'set', 'la', 'down');
    await until('A in FAULT', async () => (await stateOf(A, 'VI_6')) === 'FAULT', 10_000);
    expect(addrs(lab.a)).not.toContain('2001:db8::100');
    expect((await status(A))!.instances[0].lastTransition?.reason).toBe('interface veth0 down');
    await until('B master meanwhile', async () => (await stateOf(B, 'VI_6')) === 'MASTER', 10_000);
    ip('-n', lab.br, 'link', 'set', 'la', 'up');
    await until('A master again', async () => (await stateOf(A, 'VI_6')) === 'MASTER' && (await stateOf(B, 'VI_6')) === 'BACKUP');
    expect(await stop(A)).toBe(0);
    await until('B master', () => addrs(lab!.b).includes('2001:db8::100'), 10_000);
    expect(addrs(lab.a)).not.toContain('2001:db8::100');
    expect(await stop(B)).toBe(0);
  }, 90_000);

  it.runIf(haveKeepalived())('interop with keepalived 2.2.7: ours MASTER / keepalived BACKUP, then the reverse', async () => {
    lab = makeLab();
    let A = ours(lab.a, v4conf(150));
    let K = theirs(lab.b, v4conf(100));
    await until('ours master', async () => (await stateOf(A)) === 'MASTER');
    await until('keepalived backup', () => /\(VI_1\) Entering BACKUP STATE/.test(K.out()));
    await until('VIP on ours only', () => addrs(lab!.a).includes('192.0.2.100') && !addrs(lab!.b).includes('192.0.2.100'), 8000);
    expect(lastEntered(K.out())).toBe('BACKUP');
    expect(K.out()).not.toMatch(PEER_COMPLAINTS);
    expect((await status(A))!.instances[0].counters.drops).toEqual({});
    await stop(K);
    await stop(A);
    expect(addrs(lab.a)).not.toContain('192.0.2.100');

    A = ours(lab.a, v4conf(100));
    K = theirs(lab.b, v4conf(150));
    await until('keepalived master', () => /\(VI_1\) Entering MASTER STATE/.test(K.out()));
    await until('ours backup following keepalived', async () => {
      const s = (await status(A))?.instances[0];
      return s?.state === 'BACKUP' && s.masterAddr === '192.0.2.2';
    });
    await until('VIP on keepalived only', () => addrs(lab!.b).includes('192.0.2.100') && !addrs(lab!.a).includes('192.0.2.100'), 8000);
    expect((await status(A))!.instances[0].counters.drops).toEqual({});
    expect(K.out()).not.toMatch(PEER_COMPLAINTS);
    if (process.env.KA_SHOW_PEER) console.log(K.out());
    await stop(K);
    await until('ours takes over when keepalived stops', async () => (await stateOf(A)) === 'MASTER', 10_000);
    expect(await stop(A)).toBe(0);
  }, 120_000);
});
