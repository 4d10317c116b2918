// The VRRP runtime at rest: one daemon with 100 instances (VRIDs 1-100, advert_int 1, each MASTER with
// no peer) in a node namespace, ours vs keepalived 2.2.7 with the same config. Over a 30 s window:
// advert interval jitter (|gap - 1 s| between consecutive adverts of each VRID, from an observer's
// tcpdump capture), CPU (utime+stime of the daemon's whole process tree from /proc/PID/stat) and RSS
// (VmRSS from /proc/PID/status, summed over the tree). Root only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Cluster, type Daemon, type Impl, KEEPALIVED_BIN, sleep, until } from '../test/helpers/cluster.js';
import { isRoot } from '../test/helpers/netns.js';
import { loggedState, status } from '../test/interop/lab.js';
import type { BenchRow } from './harness.js';

const N = 100;
const CLK_TCK = 100; // Linux USER_HZ on every architecture Node runs on here

export function runtimeConf(n = N): string {
  const out = ['global_defs {', '  vrrp_garp_master_delay 0', '}'];
  for (let i = 1; i <= n; i++) {
    out.push(
      `vrrp_instance VI_${i} {`, '  interface veth0', '  state MASTER', `  virtual_router_id ${i}`, '  priority 100', '  advert_int 1',
      '  virtual_ipaddress {', `    198.51.100.${i}/32`, '  }', '}',
    );
  }
  return out.join('\n') + '\n';
}

/** pid and every descendant, from /proc/PID/stat parent links. */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(f[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [root];
  for (let k = 0; k < out.length && k < 64; k++) for (const [p, pp] of parent) if (pp === out[k] && !out.includes(p)) out.push(p);
  return out;
}

/** CPU ticks (utime + stime) and VmRSS (kB) summed over pids. */
function usage(pids: number[]): { ticks: number; rssKb: number } {
  let ticks = 0;
  let rssKb = 0;
  for (const p of pids) {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // fields 14 and 15: utime, stime
      rssKb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return { ticks, rssKb };
}

async function allMaster(d: Daemon): Promise<boolean> {
  if (d.impl === 'ours') {
    const s = await status(d, 5000);
    return !!s && s.instances.length === N && s.instances.every((i) => i.state === 'MASTER');
  }
  const out = d.out();
  for (let i = 1; i <= N; i++) if (loggedState(out, `VI_${i}`) !== 'MASTER') return false;
  return true;
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

interface Figures {
  jitterP50Ms: number;
  /** Mean gap between adverts of one VRID: above 1000 ms means the schedule drifts. */
  meanGapMs: number;
  jitterP99Ms: number;
  jitterMaxMs: number;
  cpuPct: number;
  rssMb: number;
  adverts: number;
}

async function measure(impl: Impl, seconds: number): Promise<Figures> {
  const c = new Cluster(1, 'r');
  try {
    const d = c.start(impl, 0, runtimeConf(), { detail: false });
    await until(`${impl}: all ${N} instances MASTER`, () => allMaster(d), 60_000, 500);
    await sleep(2000); // past the GARP bursts
    const cap = await c.capture('ip proto 112');
    const pids = tree(d.pid);
    const u0 = usage(pids);
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const u1 = usage(pids);
    const wall = (Date.now() - t0) / 1000;
    await cap.stop();
    const byVrid = new Map<number, number[]>();
    for (const f of cap.from(0, 'vrrp')) {
      const l = byVrid.get(f.vrid!) ?? [];
      l.push(f.t);
      byVrid.set(f.vrid!, l);
    }
    const jitter: number[] = [];
    const gaps: number[] = [];
    for (const ts of byVrid.values()) for (let i = 1; i < ts.length; i++) gaps.push((ts[i]! - ts[i - 1]!) * 1000);
    for (const g of gaps) jitter.push(Math.abs(g - 1000));
    return {
      jitterP50Ms: pct(jitter, 0.5),
      meanGapMs: gaps.reduce((a, g) => a + g, 0) / gaps.length,
      jitterP99Ms: pct(jitter, 0.99),
      jitterMaxMs: Math.max(...jitter),
      cpuPct: ((u1.ticks - u0.ticks) / CLK_TCK / wall) * 100,
      rssMb: u1.rssKb / 1024,
      adverts: jitter.length + byVrid.size,
    };
  } finally {
    await c.dispose();
  }
}

export async function run(): Promise<BenchRow[]> {
  if (!isRoot() || !existsSync(KEEPALIVED_BIN)) throw new Error('VRRP runtime bench needs root (network namespaces) and /usr/sbin/keepalived');
  const seconds = Math.max(5, Number(process.env.BENCH_RUNTIME_SECONDS ?? 30));
  const k = await measure('keepalived', seconds);
  const o = await measure('ours', seconds);
  return [
    { name: `advert interval jitter p99 (${N} instances)`, ours: o.jitterP99Ms, reference: k.jitterP99Ms, unit: 'ms', target: '< 2 ms' },
    { name: '  jitter p50', ours: o.jitterP50Ms, reference: k.jitterP50Ms, unit: 'ms' },
    { name: '  mean gap between adverts of one VRID', ours: o.meanGapMs, reference: k.meanGapMs, unit: 'ms' },
    { name: '  jitter max', ours: o.jitterMaxMs, reference: k.jitterMaxMs, unit: 'ms' },
    { name: `  adverts captured over ${seconds} s`, ours: o.adverts, reference: k.adverts, unit: 'adverts' },
    { name: `CPU idle as master (${N} instances)`, ours: o.cpuPct, reference: k.cpuPct, unit: '% of a core', target: '<= 2x keepalived' },
    { name: 'RSS, whole process tree', ours: o.rssMb, reference: k.rssMb, unit: 'MB' },
  ];
}
