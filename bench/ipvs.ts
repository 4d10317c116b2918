// IPVS reconciler: time to plan 10,000 destination changes (100 services x 100 real servers), pure,
// on the host; and, when the kernel has IPVS, to apply them over generic netlink (this machine's
// kernel has none: that row says so). keepalived has no planner to compare with (it sends one
// command per checker event), so there is no reference column.
// Run directly: node dist/bench/ipvs.js (after npm run build), or import run().
import { fileURLToPath } from 'node:url';
import { printRows, timeMs, type BenchRow } from './harness.js';
import { IpvsClient, NO_IPVS } from '../src/ipvs/client.js';
import { plan, applyOps } from '../src/ipvs/reconcile.js';
import type { Table, TableDest, TableService } from '../src/ipvs/table.js';

const SERVICES = 100;
const DESTS = 100;

function table(weight: (s: number, d: number) => number | null): Table {
  const services: TableService[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const dests: TableDest[] = [];
    for (let d = 0; d < DESTS; d++) {
      const w = weight(s, d);
      if (w === null) continue;
      dests.push({ af: 2, addr: `198.51.${100 + (d >> 8)}.${d & 0xff}`, port: 8080, fwd: 0, weight: w, uThresh: 0, lThresh: 0, tunType: 0, tunPort: 0, tunFlags: 0 });
    }
    services.push({ af: 2, protocol: 6, addr: `192.0.2.${s}`, port: 80, fwmark: 0, sched: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff, peName: '', dests });
  }
  return { services };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const a = table(() => 1);
  const edits = table(() => 2);
  const halfDown = table((_s, d) => (d % 2 ? null : 1));
  const empty: Table = { services: [] };
  let n = 0;
  const msEdit = await timeMs(() => { n = plan(a, edits).length; }, 5);
  rows.push({ name: `plan ${n.toLocaleString('en')} destination weight edits`, ours: msEdit, unit: 'ms' });
  const msBuild = await timeMs(() => { n = plan(empty, a).length; }, 5);
  rows.push({ name: `plan an empty table -> ${n.toLocaleString('en')} operations`, ours: msBuild, unit: 'ms' });
  const msMixed = await timeMs(() => { n = plan(halfDown, edits).length; }, 5);
  rows.push({ name: `plan ${n.toLocaleString('en')} mixed adds and edits`, ours: msMixed, unit: 'ms' });
  const msApplyPure = await timeMs(() => applyOps(a, plan(a, edits)), 3);
  rows.push({ name: 'plan + apply in memory, 10,000 edits', ours: msApplyPure, unit: 'ms' });

  const opened = await IpvsClient.open();
  if (!opened.ok) {
    rows.push({ name: `apply 10,000 changes to the kernel: ${opened.error === NO_IPVS ? 'no IPVS in this kernel' : opened.error}`, ours: NaN, unit: 'ms' });
    return rows;
  }
  // Only on a machine with IPVS (for instance inside the test VM): builds, edits, then removes the table.
  const c = opened.value;
  try {
    const build = await c.apply(plan(empty, a));
    const t0 = process.hrtime.bigint();
    const res = await c.apply(plan(a, edits));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    rows.push({ name: `apply 10,000 weight edits to the kernel (${res.errors.length + build.errors.length} errors)`, ours: ms, unit: 'ms' });
    await c.apply(plan(edits, empty, { exclusive: true }));
  } finally {
    c.close();
  }
  return rows;
}

const self = fileURLToPath(import.meta.url).replace(/\.(ts|js)$/, '');
if (process.argv.slice(1).some((a) => a.replace(/\.(ts|js)$/, '').endsWith(self.slice(self.lastIndexOf('/'))))) {
  printRows('IPVS reconciler', await run());
}
