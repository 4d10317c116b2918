// Property tests over random clusters: 2-5 nodes, random priorities and options, random fault
// schedules. Every run is deterministic (seeded PRNG, virtual clock); fast-check shrinks failures.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/vrrp/sim/cluster.js';
import { toSimOptions, type TopoInstance, type Topology } from '../../src/vrrp/sim/topology.js';

const S = 1_000_000;

interface NodeGen {
  priority: number;
  nopreempt: boolean;
  preemptDelayUs: number;
  advertIntUs: number;
}

type Fault =
  | { at: number; kind: 'crash' | 'boot' | 'shutdown' | 'chk-down' | 'chk-up' | 'weight-down'; node: number }
  | { at: number; kind: 'cut' | 'heal'; a: number; b: number }
  | { at: number; kind: 'partition'; mask: number }
  | { at: number; kind: 'heal-all' };

const faultArb = (n: number): fc.Arbitrary<Fault> => {
  const at = fc.integer({ min: 5 * S, max: 40 * S });
  const node = fc.integer({ min: 0, max: n - 1 });
  return fc.oneof(
    fc.record({ at, kind: fc.constantFrom('crash', 'boot', 'shutdown', 'chk-down', 'chk-up', 'weight-down'), node }) as fc.Arbitrary<Fault>,
    fc.record({ at, kind: fc.constantFrom('cut', 'heal'), a: node, b: node }) as fc.Arbitrary<Fault>,
    fc.record({ at, kind: fc.constant('partition'), mask: fc.integer({ min: 1, max: (1 << n) - 2 }) }) as fc.Arbitrary<Fault>,
    fc.record({ at, kind: fc.constant('heal-all') }) as fc.Arbitrary<Fault>,
  );
};

const clusterArb = fc
  .record({
    n: fc.integer({ min: 2, max: 5 }),
    version: fc.constantFrom(2 as const, 3 as const),
    owner: fc.boolean(),
    seed: fc.integer(),
  })
  .chain(({ n, version, owner, seed }) =>
    fc.record({
      n: fc.constant(n),
      version: fc.constant(version),
      seed: fc.constant(seed),
      sharedInt: fc.constantFrom(S, 2 * S),
      // Distinct priorities so "the highest wins" has one answer; at most one address owner.
      priorities: fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: n, maxLength: n }).map((p) => (owner ? [255, ...p.slice(1)] : p)),
      opts: fc.array(
        fc.record({
          nopreempt: fc.boolean(),
          preemptDelayUs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }).map((x) => x * S)),
          advertIntUs: fc.constantFrom(500_000, S, 2 * S),
        }),
        { minLength: n, maxLength: n },
      ),
      faults: fc.array(faultArb(n), { maxLength: 6 }),
      delays: fc.array(fc.integer({ min: 10, max: 5_000 }), { minLength: 1, maxLength: 1 }),
    }),
  );

type Gen = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

function nodesOf(g: Gen): NodeGen[] {
  return g.priorities.map((priority, i) => ({
    priority,
    nopreempt: g.opts[i].nopreempt,
    preemptDelayUs: g.opts[i].preemptDelayUs,
    // VRRPv2 peers must agree on the interval; v3 peers may differ (backups learn the master's).
    advertIntUs: g.version === 2 ? g.sharedInt : g.opts[i].advertIntUs,
  }));
}

function build(
  g: Gen,
  vrids: number[],
  extra?: (i: number) => Partial<Topology['nodes'][number]>,
  tracked: (vrid: number) => boolean = () => true,
): Cluster {
  const nodes = nodesOf(g);
  const topo: Topology = {
    seed: g.seed,
    linkDelayUs: g.delays[0],
    nodes: nodes.map((ng, i) => ({
      id: `n${i}`,
      instances: vrids.map(
        (vrid): TopoInstance => ({
          vrid,
          version: g.version,
          priority: ng.priority,
          nopreempt: ng.nopreempt,
          preemptDelayUs: ng.preemptDelayUs,
          advertIntUs: ng.advertIntUs,
          tracks: tracked(vrid)
            ? [
                { name: 'chk', kind: 'script', weight: 0 },
                { name: 'w', kind: 'interface', weight: -30 },
              ]
            : [],
        }),
      ),
      ...(extra ? extra(i) : {}),
    })),
  };
  const r = Cluster.create(toSimOptions(topo));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.cluster;
}

function schedule(c: Cluster, faults: Fault[]): void {
  const id = (k: number) => `n${k}`;
  for (const f of faults) {
    c.at(f.at, () => {
      switch (f.kind) {
        case 'crash': c.crash(id(f.node)); break;
        case 'boot': c.boot(id(f.node)); break;
        case 'shutdown': c.shutdown(id(f.node)); break;
        case 'chk-down': c.inject(id(f.node), { type: 'track', track: 'chk', status: false }); break;
        case 'chk-up': c.inject(id(f.node), { type: 'track', track: 'chk', status: true }); break;
        case 'weight-down': c.inject(id(f.node), { type: 'track', track: 'w', status: false }); break;
        case 'cut': c.cut(id(f.a), id(f.b)); break;
        case 'heal': c.heal(id(f.a), id(f.b)); break;
        case 'partition': {
          const ids = c.nodeIds;
          c.partition([ids.filter((_, k) => f.mask & (1 << k)), ids.filter((_, k) => !(f.mask & (1 << k)))]);
          break;
        }
        case 'heal-all': c.healAll(); break;
      }
    });
  }
}

/** End of the fault window: heal everything, bring every node back, restore every track. */
function settle(c: Cluster, at: number): void {
  c.at(at, () => {
    c.healAll();
    c.setLoss(null);
    for (const id of c.nodeIds) {
      c.boot(id);
      c.inject(id, { type: 'track', track: 'chk', status: true });
      c.inject(id, { type: 'track', track: 'w', status: true });
    }
  });
}

const HEAL = 45 * S;
// Longest road to a stable master after HEAL: a restart (<= 3 * 2 s + 1 s down timer), a 5 s
// preempt_delay, then another down timer; 40 s leaves a wide margin.
const END = HEAL + 40 * S;

describe('simulated clusters', () => {
  it('after faults settle: one MASTER per VRID, holding the VIPs; the highest priority wins unless it has nopreempt', () => {
    fc.assert(
      fc.property(clusterArb, (g) => {
        const c = build(g, [1, 2]);
        c.bootAll();
        schedule(c, g.faults);
        settle(c, HEAL);
        expect(c.runUntil(END)).toBe(true);
        const nodes = nodesOf(g);
        const top = nodes.reduce((best, n, i) => (n.priority > nodes[best].priority ? i : best), 0);
        for (const vrid of [1, 2]) {
          const masters = c.masters(vrid);
          expect(masters.length).toBe(1);
          expect(c.vipOwners(vrid)).toEqual(masters);
          if (!nodes[top].nopreempt) expect(masters).toEqual([`n${top}`]);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('no flapping under bounded loss: losing at most 2 adverts in a row never causes a transition', () => {
    fc.assert(
      fc.property(clusterArb, fc.double({ min: 0, max: 0.7, noNaN: true }), (g, prob) => {
        const c = build(g, [1]);
        c.setLoss({ prob, maxConsecutive: 2 });
        c.bootAll();
        const CONVERGED = 30 * S;
        expect(c.runUntil(CONVERGED)).toBe(true);
        expect(c.masters(1).length).toBe(1);
        expect(c.runUntil(CONVERGED + 120 * S)).toBe(true);
        expect(c.transitionsSince(CONVERGED)).toEqual([]);
      }),
      { numRuns: 80 },
    );
  });

  it('a partition elects one master per side; healing it leaves exactly one', () => {
    fc.assert(
      fc.property(clusterArb, (g) => {
        const c = build(g, [1]);
        const ids = c.nodeIds;
        const mask = (g.seed >>> 0) % ((1 << ids.length) - 2) + 1;
        const sides = [ids.filter((_, k) => mask & (1 << k)), ids.filter((_, k) => !(mask & (1 << k)))];
        c.bootAll();
        c.at(20 * S, () => c.partition(sides));
        expect(c.runUntil(60 * S)).toBe(true);
        for (const side of sides) expect(c.masters(1).filter((m) => side.includes(m)).length).toBe(1);
        c.healAll();
        expect(c.runUntil(100 * S)).toBe(true);
        expect(c.masters(1).length).toBe(1);
        expect(c.vipOwners(1)).toEqual(c.masters(1));
      }),
      { numRuns: 80 },
    );
  });

  it('sync groups never split: at the end of every instant a group is MASTER on all its members or on none', () => {
    fc.assert(
      fc.property(clusterArb, (g) => {
        // Only VI_1 tracks anything, so its faults and priority drops must drag VI_2 along.
        const c = build(g, [1, 2], () => ({ syncGroups: [{ name: 'G', members: ['VI_1', 'VI_2'] }] }), (vrid) => vrid === 1);
        let split: string | null = null;
        // Timers due at the same instant are separate steps; judge the states once the instant is over.
        const latest = new Map<string, string[]>();
        let instant = -1;
        const judge = () => {
          for (const [node, states] of latest) {
            const m = states.map((x) => x === 'MASTER');
            if (m.some((x) => x !== m[0]) && split === null) split = `${node} at ${instant}: ${states.join('/')}`;
          }
          latest.clear();
        };
        c.afterStep = (node, st, at) => {
          if (at !== instant) judge();
          instant = at;
          latest.set(node, st.instances.map((i) => i.state));
        };
        c.bootAll();
        schedule(c, g.faults);
        settle(c, HEAL);
        expect(c.runUntil(END)).toBe(true);
        judge();
        expect(split).toBeNull();
        expect(c.masters(1).length).toBe(1);
        expect(c.masters(2)).toEqual(c.masters(1));
      }),
      { numRuns: 100 },
    );
  });
});
