// Receive buffers of our VRRP sockets (root): with the event loop held, a burst of 800
// VRRP datagrams must wait in the kernel, not be dropped. The default buffer (~208 KiB) holds a
// few hundred; ours (VRRP_RCVBUF_BYTES, doubled by the kernel) holds them all. Two namespaces
// joined by a veth pair: IPv4 unicast to the receiver's address, IPv6 to ff02::12.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

const root = isRoot();
const FIX = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BURST = 800;
let nsA = '';
let nsB = '';

beforeAll(() => {
  if (!root) return;
  requireDist('dist/src/daemon/vrrp-child.js');
  nsA = createNetns('rbA');
  nsB = createNetns('rbB');
  for (const ns of [nsA, nsB]) {
    spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  }
  ip('-n', nsA, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', nsB);
  ip('-n', nsA, 'addr', 'add', '192.0.2.1/24', 'dev', 'v0');
  ip('-n', nsB, 'addr', 'add', '192.0.2.2/24', 'dev', 'v1');
  ip('-n', nsA, 'link', 'set', 'v0', 'up');
  ip('-n', nsB, 'link', 'set', 'v1', 'up');
}, 150_000);
afterAll(() => {
  if (nsA) deleteNetns(nsA);
  if (nsB) deleteNetns(nsB);
});

/** Receiver in A blocked while B floods; resolves the count the receiver read afterwards. */
async function burst(family: 4 | 6, dst: string): Promise<{ sent: number; got: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ka-rcvbuf-'));
  const flag = join(dir, 'flooded');
  const rx = spawn('ip', ['netns', 'exec', nsA, process.execPath, `${FIX}rcvbuf-recv.mjs`, String(family), 'v0', flag], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => rx.kill('SIGKILL'), 20_000);
  let out = '';
  let err = '';
  rx.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const lines: Record<string, unknown>[] = [];
  const waitLine = (pred: (l: Record<string, unknown>) => boolean) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const check = (): boolean => {
      const l = lines.find(pred);
      if (l) resolve(l);
      return !!l;
    };
    if (check()) return;
    rx.stdout.on('data', () => check());
    rx.once('exit', () => (check() ? undefined : reject(new Error(`receiver exited: ${out} ${err}`))));
  });
  rx.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  try {
    await waitLine((l) => l.ready === true || l.openError !== undefined);
    rx.stdin.write('go\n');
    await waitLine((l) => l.blocked === true); // the receiver reads nothing from now on
    const f = spawnSync('ip', ['netns', 'exec', nsB, 'python3', `${FIX}rcvbuf-flood.py`, String(family), dst, 'v1', String(BURST)],
      { encoding: 'utf8', timeout: 10_000 });
    const sent = Number(f.stdout.trim());
    writeFileSync(flag, '');
    const done = await waitLine((l) => l.got !== undefined || l.openError !== undefined);
    if (done.openError) throw new Error(String(done.openError));
    return { sent, got: done.got as number };
  } finally {
    clearTimeout(killer);
    rx.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('VRRP socket receive buffer', () => {
  it.runIf(root)('IPv4: a 800-datagram burst while the loop is busy is all read afterwards', async () => {
    const r = await burst(4, '192.0.2.1');
    expect(r.sent).toBe(BURST);
    expect(r.got).toBe(BURST);
  }, 30_000);
  it.runIf(root)('IPv6 (native addon): a 800-datagram burst to ff02::12 is all read afterwards', async () => {
    const r = await burst(6, 'ff02::12');
    expect(r.sent).toBe(BURST);
    expect(r.got).toBe(BURST);
  }, 30_000);
});
