// Failover times on the wire, ours vs keepalived 2.2.7 in the same namespace topology (test/helpers/
// cluster.ts: two nodes and an observer behind a bridge), each implementation as a pair.
// - crash: the master's daemon is SIGKILLed (no goodbye); from the dead master's last advert seen by the
//   observer to the backup's first gratuitous ARP for the VIP. The protocol's floor is the backup's
//   master down interval (3 x advert_int + skew), so the overhead over it is what an implementation adds.
// - graceful: SIGTERM; from the master's priority-0 advert to the new master's first advert (floor: the
//   skew time). Root only (namespaces); needs /usr/sbin/keepalived and tcpdump.
import { existsSync } from 'node:fs';
import { Capture, Cluster, type Daemon, type Impl, KEEPALIVED_BIN, until } from '../test/helpers/cluster.js';
import { isRoot } from '../test/helpers/netns.js';
import { conf, stateOf, VIP, type Variant } from '../test/interop/lab.js';
import type { BenchRow } from './harness.js';

const PRIO_BACKUP = 100;

interface Case {
  label: string;
  variant: Variant;
  advertInt: number;
}

const CASES: Case[] = [
  { label: 'v2 advert_int 1', variant: 'v2-pass', advertInt: 1 },
  { label: 'v3 advert_int 0.1', variant: 'v3-ipv4', advertInt: 0.1 },
];

/** RFC 5798 / keepalived: skew = (256 - priority) * advert_int / 256; master down = 3 * advert_int + skew. */
function skewMs(advertInt: number): number {
  return ((256 - PRIO_BACKUP) * advertInt * 1000) / 256;
}
function masterDownMs(advertInt: number): number {
  return 3 * advertInt * 1000 + skewMs(advertInt);
}

interface Sample {
  crashMs: number;
  /** Crash: the dead master's last advert -> the backup's first advert (its master down timer, then
   * the step to MASTER); the rest of crashMs is the VIP add and the GARP path. */
  crashAdvertMs: number;
  gracefulMs: number;
}

async function pair(c: Cluster, impl: Impl, k: Case): Promise<[Daemon, Daemon]> {
  const o = { variant: k.variant, advertInt: k.advertInt };
  const M = c.start(impl, 0, conf({ ...o, node: 0, priority: 150, state: 'MASTER' }), { detail: false });
  const B = c.start(impl, 1, conf({ ...o, node: 1, priority: PRIO_BACKUP }), { detail: false });
  await until(`${impl} pair settled`, async () =>
    (await stateOf(M)) === 'MASTER' && (await stateOf(B)) === 'BACKUP' && c.holders(VIP[k.variant]).join() === '0', 60_000);
  return [M, B];
}

/** Crash: SIGKILL with no goodbye; the dead master's last advert -> the backup's first advert and its
 * first GARP for the VIP. */
async function crashOnce(impl: Impl, k: Case): Promise<{ garpMs: number; advertMs: number }> {
  const vip = VIP[k.variant];
  const c = new Cluster(2, 'f');
  try {
    const [M] = await pair(c, impl, k);
    const cap = await c.capture('arp or ip proto 112');
    await new Promise((r) => setTimeout(r, 3 * k.advertInt * 1000));
    const tKill = Capture.now();
    await c.crash(M);
    await until('backup announces the VIP', () => cap.from(1, 'garp').some((f) => f.addr === vip && f.t >= tKill), 30_000);
    await cap.stop();
    const lastAdvert = Math.max(...cap.from(0, 'vrrp').filter((f) => f.t <= tKill + 0.05).map((f) => f.t));
    const firstGarp = Math.min(...cap.from(1, 'garp').filter((f) => f.addr === vip && f.t >= tKill).map((f) => f.t));
    const firstAdvert = Math.min(...cap.from(1, 'vrrp').filter((f) => f.t >= tKill && (f.prio ?? 0) > 0).map((f) => f.t));
    return { garpMs: (firstGarp - lastAdvert) * 1000, advertMs: (firstAdvert - lastAdvert) * 1000 };
  } finally {
    await c.dispose();
  }
}

/** Graceful: SIGTERM; the master's priority-0 advert -> the new master's first advert. */
async function gracefulOnce(impl: Impl, k: Case): Promise<number> {
  const c = new Cluster(2, 'g');
  try {
    const [M] = await pair(c, impl, k);
    const cap = await c.capture('ip proto 112');
    await new Promise((r) => setTimeout(r, 3 * k.advertInt * 1000));
    const t0 = Capture.now();
    await c.stop(M);
    await until('new master advertising', () => cap.from(1, 'vrrp').some((f) => f.t >= t0 && (f.prio ?? 0) > 0), 30_000);
    await cap.stop();
    const bye = Math.min(...cap.from(0, 'vrrp').filter((f) => f.prio === 0).map((f) => f.t));
    const first = Math.min(...cap.from(1, 'vrrp').filter((f) => f.t >= bye && (f.prio ?? 0) > 0).map((f) => f.t));
    return (first - bye) * 1000;
  } finally {
    await c.dispose();
  }
}

async function measure(impl: Impl, k: Case): Promise<Sample> {
  const crash = await crashOnce(impl, k);
  return { crashMs: crash.garpMs, crashAdvertMs: crash.advertMs, gracefulMs: await gracefulOnce(impl, k) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<BenchRow[]> {
  if (!isRoot() || !existsSync(KEEPALIVED_BIN)) throw new Error('failover bench needs root (network namespaces) and /usr/sbin/keepalived');
  const reps = Math.max(1, Number(process.env.BENCH_FAILOVER_REPS ?? 3));
  const rows: BenchRow[] = [];
  for (const k of CASES) {
    const got: Record<Impl, Sample[]> = { ours: [], keepalived: [] };
    for (let i = 0; i < reps; i++) for (const impl of ['keepalived', 'ours'] as Impl[]) got[impl].push(await measure(impl, k));
    const m = (impl: Impl, f: keyof Sample): number => median(got[impl].map((s) => s[f]));
    const mdi = masterDownMs(k.advertInt);
    const skew = skewMs(k.advertInt);
    rows.push(
      { name: `crash failover, ${k.label} (master down ${mdi.toFixed(0)} ms)`, ours: m('ours', 'crashMs'), reference: m('keepalived', 'crashMs'), unit: 'ms' },
      { name: `  overhead over master down interval`, ours: m('ours', 'crashMs') - mdi, reference: m('keepalived', 'crashMs') - mdi, unit: 'ms' },
      { name: `    of it, up to the backup's first advert`, ours: m('ours', 'crashAdvertMs') - mdi, reference: m('keepalived', 'crashAdvertMs') - mdi, unit: 'ms' },
      { name: `graceful handover, ${k.label} (skew ${skew.toFixed(0)} ms)`, ours: m('ours', 'gracefulMs'), reference: m('keepalived', 'gracefulMs'), unit: 'ms' },
      { name: `  overhead over skew time`, ours: m('ours', 'gracefulMs') - skew, reference: m('keepalived', 'gracefulMs') - skew, unit: 'ms' },
    );
  }
  return rows;
}
