// Shared by every benchmark: one printed row per figure, ours beside the reference measured in the same run.

export interface BenchRow {
  name: string;
  ours: number;
  unit: string;
  /** The reference (keepalived / genhash) measured in the same run, when there is one. */
  reference?: number;
  /** Informational target, e.g. "<= 0.5x keepalived". Never asserted. */
  target?: string;
}

export function printRows(title: string, rows: BenchRow[]): void {
  console.log(`\n## ${title}`);
  for (const r of rows) {
    const ours = fmt(r.ours);
    const ref = r.reference === undefined ? '' : `  reference ${fmt(r.reference)} ${r.unit}`;
    const ratio = r.reference ? `  ratio ${(r.ours / r.reference).toFixed(3)}x` : '';
    const target = r.target ? `  (target ${r.target})` : '';
    console.log(`${r.name.padEnd(48)} ours ${ours} ${r.unit}${ref}${ratio}${target}`);
  }
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(4);
}

/** Wall time of fn in milliseconds (best of `runs`). */
export async function timeMs(fn: () => unknown | Promise<unknown>, runs = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}
