// The indexed routing (per family and VRID) and the instance position cache give the answers the
// plain versions give: routeIndexed vs routeAdvert on random instance sets, and a node stepped many
// times still finds, copies and returns the right instance.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNode, stepNode, type NodeState } from '../../src/vrrp/fsm.js';
import { instanceNamed, routeIndexOf } from '../../src/vrrp/fsm-node.js';
import { routeAdvert, routeIndex, routeIndexed, type RouteEntry, type RxMeta } from '../../src/vrrp/fsm-route.js';

const addr = fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3', '0.0.0.0');
const entry = fc.record({
  name: fc.string({ minLength: 1, maxLength: 4 }),
  interface: fc.option(fc.constantFrom('veth0', 'veth1'), { nil: undefined }),
  family: fc.constantFrom(4 as const, 6 as const),
  vrid: fc.integer({ min: 1, max: 4 }),
  unicastPeers: fc.array(addr, { maxLength: 2 }),
  primaryAddr: addr,
}).map((e) => {
  const out: RouteEntry = { name: e.name, family: e.family, vrid: e.vrid, unicastPeers: e.unicastPeers, primaryAddr: e.primaryAddr };
  if (e.interface !== undefined) out.interface = e.interface;
  return out;
});
const rx = fc.record({
  ifname: fc.option(fc.constantFrom('veth0', 'veth1'), { nil: undefined }),
  family: fc.constantFrom(4 as const, 6 as const),
  vrid: fc.integer({ min: 1, max: 5 }),
  srcAddr: fc.option(addr, { nil: undefined }),
  multicast: fc.option(fc.boolean(), { nil: undefined }),
}).map((r) => {
  const out: RxMeta = { family: r.family, vrid: r.vrid };
  if (r.ifname !== undefined) out.ifname = r.ifname;
  if (r.srcAddr !== undefined) out.srcAddr = r.srcAddr;
  if (r.multicast !== undefined) out.multicast = r.multicast;
  return out;
});

describe('routeIndexed', () => {
  it('routes as routeAdvert does', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 8 }), rx, (es, m) => {
      expect(routeIndexed(routeIndex(es), m)).toEqual(routeAdvert(es, m));
    }), { numRuns: 2000 });
  });
});

function node(n: number): NodeState {
  const r = createNode({
    instances: Array.from({ length: n }, (_, k) => ({
      name: `VI_${k + 1}`, vrid: k + 1, priority: 100, family: 4 as const, version: 2 as const, advertIntUs: 1_000_000,
      primaryAddr: '192.0.2.1', vips: [`198.51.100.${k + 1}`], interface: 'veth0',
    })),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.node;
}

describe('instance positions across steps', () => {
  it('each step copies only the instance it touched, and lookups follow the new array', () => {
    let n = node(20);
    n = stepNode(n, { type: 'start' }, 1_000_000).state;
    for (let k = 1; k <= 20; k++) n = stepNode(n, { type: 'timer', instance: `VI_${k}`, timer: 'master-down' }, 5_000_000).state;
    expect(n.instances.every((i) => i.state === 'MASTER')).toBe(true);
    for (let s = 0; s < 200; s++) {
      const name = `VI_${(s % 20) + 1}`;
      const before = n;
      const r = stepNode(n, { type: 'timer', instance: name, timer: 'advert' }, 6_000_000 + s * 50_000);
      n = r.state;
      expect(n.instances.map((i) => i.cfg.name)).toEqual(before.instances.map((i) => i.cfg.name));
      for (const [k, i] of n.instances.entries()) {
        if (i.cfg.name === name) expect(i).not.toBe(before.instances[k]);
        else expect(i).toBe(before.instances[k]);
      }
      expect(instanceNamed(n, name)).toBe(n.instances[s % 20]);
      expect(r.actions.some((a) => a.type === 'send-advert' && a.instance === name)).toBe(true);
    }
    expect(instanceNamed(n, 'VI_21')).toBeUndefined();
    // The routing view is carried over while configs stay, and routes by VRID.
    const ri = routeIndexOf(n.instances);
    expect(routeIndexed(ri, { family: 4, vrid: 7, ifname: 'veth0' })).toEqual({ ok: true, name: 'VI_7' });
    expect(routeIndexed(ri, { family: 6, vrid: 7 })).toEqual({ ok: false, detail: 'no instance for VRID 7 (IPv6)' });
  });

  it('a changed source address (new config) gives a new routing view', () => {
    let n = stepNode(node(3), { type: 'start' }, 1_000_000).state;
    const ri = routeIndexOf(n.instances);
    n = stepNode(n, { type: 'source-address', instance: 'VI_2', addr: '192.0.2.9' }, 1_100_000).state;
    const ri2 = routeIndexOf(n.instances);
    expect(ri2).not.toBe(ri);
    expect(ri2.get(4 * 256 + 2)?.[0]?.primaryAddr).toBe('192.0.2.9');
  });
});
