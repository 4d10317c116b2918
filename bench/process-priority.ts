// Process priorities under load (issue 4/7): the VRRP advert jitter while the checker child runs
// 10,000 TCP_CHECKs (bench/checkers-daemon.ts's measure), plain and with global_defs'
// `vrrp_rt_priority 10` + `checker_priority 19` (SCHED_RR VRRP child, niced checker). Runs
// alternate (plain, tuned, plain, tuned) so both see the shared machine's moments. Root only.
import { isRoot } from '../test/helpers/netns.js';
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

if (process.argv[1]?.endsWith('process-priority.js')) {
  const { printRows } = await import('./harness.js');
  printRows('VRRP jitter with checkers: process priorities on and off', await runPriority());
}
