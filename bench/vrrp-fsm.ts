// VRRP state machine throughput: pure step() events per second for the hot paths (a backup
// receiving adverts, a master's advert timer, a sync-group node), and how fast the deterministic
// simulator runs a cluster (simulated seconds per wall second). Run directly to print, or import run().
import { fileURLToPath } from 'node:url';
import { printRows, timeMs, type BenchRow } from './harness.js';
import { createInstance, createNode, step, stepNode, type InstanceState, type NodeState } from '../src/vrrp/fsm.js';
import { Cluster } from '../src/vrrp/sim/cluster.js';
import { toSimOptions, type Topology } from '../src/vrrp/sim/topology.js';
import type { Advert } from '../src/vrrp/types.js';

const S = 1_000_000;

function instance(priority: number): InstanceState {
  const r = createInstance({ name: 'VI_1', vrid: 51, priority, primaryAddr: '192.0.2.10', vips: ['203.0.113.51'] });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.instance;
}

const advert: Advert = {
  version: 2, family: 4, vrid: 51, priority: 200, advertIntervalCs: 100, srcAddr: '192.0.2.20', addrs: ['203.0.113.51'], authType: 'none',
};

function simulate(topo: Topology, seconds: number, loss?: number): { cluster: Cluster; ms: Promise<number> } {
  const make = (): Cluster => {
    const r = Cluster.create(toSimOptions(topo));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.cluster;
  };
  let last = make();
  const ms = timeMs(() => {
    last = make();
    if (loss) last.setLoss({ prob: loss, maxConsecutive: 2 });
    last.bootAll();
    last.runUntil(seconds * S);
  });
  return { get cluster() { return last; }, ms };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const n = 200_000;

  // A backup accepting a higher priority master's adverts: the steady state of every backup.
  let b = step(instance(100), { type: 'start' }, 0).state;
  const backupMs = await timeMs(() => {
    let t = 0;
    for (let k = 0; k < n; k++) b = step(b, { type: 'advert', advert }, (t += S)).state;
  });
  rows.push({ name: 'step: BACKUP receives advert', ours: (n / backupMs) * 1000, unit: 'events/s' });

  // A master's advert timer: send the advert, re-arm.
  let m = step(instance(255), { type: 'start' }, 0).state;
  m = step(m, { type: 'timer', timer: 'master-down' }, 1).state;
  const masterMs = await timeMs(() => {
    for (let k = 0; k < n; k++) {
      const at = m.timers.advert as number;
      m = step(m, { type: 'timer', timer: 'advert' }, at).state;
    }
  });
  rows.push({ name: 'step: MASTER advert timer', ours: (n / masterMs) * 1000, unit: 'events/s' });

  // A node with a two-member sync group, both backups hearing a master.
  const nr = createNode({
    instances: [1, 2].map((vrid) => ({ name: `VI_${vrid}`, vrid, primaryAddr: '192.0.2.10', vips: [`203.0.113.${vrid}`] })),
    syncGroups: [{ name: 'G', members: ['VI_1', 'VI_2'] }],
  });
  if (!nr.ok) throw new Error(JSON.stringify(nr.issues));
  let node: NodeState = stepNode(nr.node, { type: 'start' }, 0).state;
  const nodeMs = await timeMs(() => {
    let t = 0;
    for (let k = 0; k < n; k++) node = stepNode(node, { type: 'advert', advert: { ...advert, vrid: 1 + (k & 1) } }, (t += S)).state;
  });
  rows.push({ name: 'stepNode: sync group member receives advert', ours: (n / nodeMs) * 1000, unit: 'events/s' });

  const three: Topology = { nodes: ['a', 'b', 'c'].map((id, i) => ({ id, instances: [1, 2].map((vrid) => ({ vrid, priority: 100 + 50 * i })) })) };
  const simSeconds = 3_600;
  const s3 = simulate(three, simSeconds);
  const ms3 = await s3.ms;
  rows.push({ name: 'simulator: 3 nodes x 2 VRIDs, 1 h', ours: simSeconds / (ms3 / 1000), unit: 'sim s/wall s' });
  rows.push({ name: 'simulator: 3 nodes x 2 VRIDs, events', ours: s3.cluster.eventsApplied / (ms3 / 1000), unit: 'events/s' });

  const five: Topology = { nodes: ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ id, instances: [{ vrid: 7, version: 3, advertIntUs: 100_000, priority: 10 + i }] })) };
  const s5 = simulate(five, 600, 0.2);
  const ms5 = await s5.ms;
  rows.push({ name: 'simulator: 5 nodes v3 0.1 s, 20% loss, 10 min', ours: 600 / (ms5 / 1000), unit: 'sim s/wall s' });
  return rows;
}

// Run directly: node dist/bench/vrrp-fsm.js (after npm run build).
const self = fileURLToPath(import.meta.url).replace(/\.(ts|js)$/, '');
if (process.argv.slice(1).some((a) => a.replace(/\.(ts|js)$/, '').endsWith(self.slice(self.lastIndexOf('/'))))) {
  printRows('VRRP state machine', await run());
}
