// rtnetlink VIP churn: 1,000 VIPs (500 IPv4 /32, 500 IPv6 /128 nodad) added then deleted through our
// Rtnl vs `ip -batch` doing the same, in a network namespace made for the run and always deleted.
// Run as root. The measuring half runs inside the namespace (`node dist/bench/rtnl.js --child`), because
// a netlink socket belongs to the namespace of the process that opens it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './harness.js';
import type { AddressSpec } from '../src/net/types.js';

const VIPS = 1000;
const RUNS = 3;

/** 500 IPv4 /32 from the three TEST-NETs, 500 IPv6 /128 from 2001:db8::/32. */
function vips(): AddressSpec[] {
  const nets = ['192.0.2', '198.51.100', '203.0.113'];
  const out: AddressSpec[] = [];
  for (let i = 0; i < VIPS / 2; i++) out.push({ ifname: 'veth0', family: 4, addr: `${nets[i % 3]}.${1 + Math.floor(i / 3)}`, prefix: 32 });
  for (let i = 0; i < VIPS / 2; i++) out.push({ ifname: 'veth0', family: 6, addr: `2001:db8:7::${(i + 1).toString(16)}`, prefix: 128, nodad: true });
  return out;
}

/** Inside the namespace: best-of-RUNS ms for adding then deleting every VIP (all issued at once, as a daemon would). */
async function child(): Promise<void> {
  const { createRtnl } = await import('../src/net/rtnl.js');
  const made = createRtnl();
  if (!made.ok) throw new Error(made.error);
  const r = made.value;
  const list = vips();
  let best = Infinity;
  for (let run = 0; run < RUNS; run++) {
    const t0 = process.hrtime.bigint();
    const added = await Promise.all(list.map((a) => r.addAddress(a)));
    const deleted = await Promise.all(list.map((a) => r.deleteAddress(a)));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const bad = [...added, ...deleted].find((x) => !x.ok);
    if (bad && !bad.ok) throw new Error(bad.error);
    best = Math.min(best, ms);
  }
  r.close();
  process.stdout.write(JSON.stringify({ ms: best }) + '\n');
}

export async function run(): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespace)');
  const ns = `kabenchrtnl${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'ka-bench-rtnl-'));
  const ipc = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  try {
    ipc('netns', 'add', ns);
    ipc('-n', ns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'kap0');
    ipc('-n', ns, 'link', 'set', 'veth0', 'up');
    ipc('-n', ns, 'link', 'set', 'kap0', 'up');
    const line = (verb: string, a: AddressSpec) => `addr ${verb} ${a.addr}/${a.prefix} dev ${a.ifname}${verb === 'add' && a.nodad ? ' nodad' : ''}\n`;
    const batch = join(dir, 'churn.batch');
    writeFileSync(batch, vips().map((a) => line('add', a)).join('') + vips().map((a) => line('del', a)).join(''));
    let ipMs = Infinity;
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      ipc('-n', ns, '-batch', batch);
      ipMs = Math.min(ipMs, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const self = fileURLToPath(import.meta.url);
    const c = spawnSync('ip', ['netns', 'exec', ns, process.execPath, self, '--child'], { encoding: 'utf8', timeout: 300_000 });
    if (c.status !== 0) throw new Error(`bench child failed: ${c.stderr.trim()}`);
    const ours = (JSON.parse(c.stdout.trim().split('\n').pop()!) as { ms: number }).ms;
    return [
      { name: `${VIPS} VIPs add+delete (Rtnl vs ip -batch)`, ours, unit: 'ms', reference: ipMs },
      { name: 'per VIP add+delete', ours: (ours / VIPS) * 1000, unit: 'us', reference: (ipMs / VIPS) * 1000 },
    ];
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  child().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
