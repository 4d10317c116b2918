// Process priorities under load (issue 4/7): the VRRP advert jitter while the checker child runs
// 10,000 TCP_CHECKs (bench/checkers-daemon.ts's measure), plain and with global_defs'
// `vrrp_rt_priority 10` + `checker_priority 19` (SCHED_RR VRRP child, niced checker). Runs
// alternate (plain, tuned, plain, tuned) so both see the shared machine's moments. Root only.
import { Cluster, sleep, until } from '../test/helpers/cluster.js';
import { isRoot } from '../test/helpers/netns.js';
import { status } from '../test/interop/lab.js';
import { measure } from './checkers-daemon.js';
import type { BenchRow } from './harness.js';

const TUNED = ['vrrp_rt_priority 10', 'checker_priority 19'];

export async function runPriority(): Promise<BenchRow[]> {
  if (!isRoot()) return [];
  const seconds = Math.max(5, Number(process.env.BENCH_PRIORITY_SECONDS ?? 10));
  const rounds = Math.max(1, Math.min(3, Number(process.env.BENCH_PRIORITY_ROUNDS ?? 2)));
  const plain: Awaited<ReturnType<typeof measure>>[] = [];
  const tuned: typeof plain = [];
  for (let r = 0; r < rounds; r++) {
    plain.push(await measure('batch', seconds));
    tuned.push(await measure('batch', seconds, TUNED));
  }
  const worst = (xs: typeof plain, k: 'jitterP99Ms' | 'jitterP50Ms' | 'checkerCpuPct' | 'checksPerS') => Math.max(...xs.map((x) => x[k]));
  const mean = (xs: typeof plain, k: 'checksPerS' | 'checkerCpuPct') => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  return [
    { name: `[priority] VRRP advert jitter p99, ${rounds} x ${seconds} s (worst run)`, ours: worst(tuned, 'jitterP99Ms'), reference: worst(plain, 'jitterP99Ms'), unit: 'ms', target: 'ours: vrrp_rt_priority 10 + checker_priority 19; reference: plain' },
    { name: '[priority]   VRRP advert jitter p50 (worst run)', ours: worst(tuned, 'jitterP50Ms'), reference: worst(plain, 'jitterP50Ms'), unit: 'ms' },
    { name: '[priority]   checks per second (mean)', ours: mean(tuned, 'checksPerS'), reference: mean(plain, 'checksPerS'), unit: 'checks/s' },
    { name: '[priority]   checker child CPU (mean)', ours: mean(tuned, 'checkerCpuPct'), reference: mean(plain, 'checkerCpuPct'), unit: '% of one core' },
  ];
}

const HOGS = 4; // busy loops on the 2 cores, in the node's namespace
const HOG = 'const end = Date.now() + 600e3; while (Date.now() < end) {}';

/** 50 VRRP instances (advert_int 1) while HOGS busy loops compete for the CPUs: |gap - 1 s| p99/p50. */
async function contended(globals: string[], seconds: number): Promise<{ p99: number; p50: number; n: number }> {
  const c = new Cluster(1, 'pp');
  try {
    let conf = `global_defs {\n vrrp_garp_master_delay 0\n${globals.map((g) => ` ${g}\n`).join('')}}\n`;
    for (let i = 1; i <= 50; i++) conf += `vrrp_instance VI_${i} {\n interface veth0\n state MASTER\n virtual_router_id ${i}\n priority 100\n advert_int 1\n virtual_ipaddress {\n  198.51.100.${i}/32\n }\n}\n`;
    const d = c.start('ours', 0, conf, { detail: false });
    await until('all MASTER', async () => (await status(d, 5000))?.instances.every((i) => i.state === 'MASTER') ?? false, 60_000, 500);
    const hogs = Array.from({ length: HOGS }, () => c.run(c.nodes[0]!.ns, [process.execPath, '-e', HOG]));
    await sleep(3000);
    const cap = await c.capture('ip proto 112');
    await sleep(seconds * 1000);
    await cap.stop();
    for (const h of hogs) h.proc.kill('SIGKILL');
    const byVrid = new Map<number, number[]>();
    for (const f of cap.from(0, 'vrrp')) byVrid.set(f.vrid!, [...(byVrid.get(f.vrid!) ?? []), f.t]);
    const j: number[] = [];
    for (const ts of byVrid.values()) for (let i = 1; i < ts.length; i++) j.push(Math.abs((ts[i]! - ts[i - 1]!) * 1000 - 1000));
    j.sort((a, b) => a - b);
    const q = (x: number) => j[Math.min(j.length - 1, Math.floor(x * j.length))] ?? NaN;
    return { p99: q(0.99), p50: q(0.5), n: j.length };
  } finally {
    await c.dispose();
  }
}

/** BENCH_PRIORITY_MODE=cpu: the VRRP child against busy loops instead of the checker child. */
export async function runContended(): Promise<BenchRow[]> {
  if (!isRoot()) return [];
  const seconds = Math.max(5, Number(process.env.BENCH_PRIORITY_SECONDS ?? 10));
  const plain = await contended([], seconds);
  const rt = await contended(['vrrp_rt_priority 10', `vrrp_rlimit_rttime ${process.env.BENCH_PRIORITY_RTTIME ?? 200000}`], seconds);
  return [
    { name: `[priority] VRRP advert jitter p99, 50 instances, ${HOGS} busy loops on 2 cores, ${seconds} s`, ours: rt.p99, reference: plain.p99, unit: 'ms', target: 'ours: vrrp_rt_priority 10; reference: plain' },
    { name: '[priority]   VRRP advert jitter p50', ours: rt.p50, reference: plain.p50, unit: 'ms' },
    { name: '[priority]   advert gaps measured', ours: rt.n, reference: plain.n, unit: 'gaps' },
  ];
}

if (process.argv[1]?.endsWith('process-priority.js')) {
  const { printRows } = await import('./harness.js');
  if (process.env.BENCH_PRIORITY_MODE === 'cpu') printRows('VRRP jitter under CPU contention: vrrp_rt_priority on and off', await runContended());
  else printRows('VRRP jitter with checkers: process priorities on and off', await runPriority());
}
