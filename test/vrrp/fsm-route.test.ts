// VRIDs are per interface: instances keyed by (interface, family, VRID), unicast instances also by
// peer, adverts routed to the right one; true duplicates refused with a clear issue.
import { describe, expect, it } from 'vitest';
import { createNode, routeAdvert, stepNode, type InstanceConfig, type NodeState } from '../../src/vrrp/fsm.js';
import type { Advert } from '../../src/vrrp/types.js';

const inst = (name: string, extra: Partial<InstanceConfig> = {}): InstanceConfig => ({
  name, vrid: 51, priority: 100, primaryAddr: '192.0.2.10', vips: ['203.0.113.51'], ...extra,
});
const adv = (extra: Partial<Advert> = {}): Advert => ({
  version: 2, family: 4, vrid: 51, priority: 200, advertIntervalCs: 100, srcAddr: '192.0.2.20', addrs: ['203.0.113.51'], authType: 'none', ...extra,
});

function node(instances: InstanceConfig[]): NodeState {
  const r = createNode({ instances });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return stepNode(r.node, { type: 'start' }, 0).state;
}

/** The instance whose Master_Down_Timer an accepted advert re-armed (the master it learned). */
const learned = (n: NodeState) => n.instances.filter((i) => i.masterAddr !== null).map((i) => i.cfg.name);

describe('VRIDs per interface', () => {
  it('accepts the same VRID and family on two interfaces, and on the same interface for the other family', () => {
    const r = createNode({
      instances: [
        inst('A', { interface: 'eth0' }),
        inst('B', { interface: 'eth1' }),
        inst('C', { interface: 'eth0', primaryAddr: 'fe80::1', vips: ['2001:db8::51'], version: 3 }),
      ],
    });
    expect(r.ok).toBe(true);
    expect(r.issues).toEqual([]);
  });

  it('refuses the same VRID and family twice on one interface, naming both and the interface', () => {
    const r = createNode({ instances: [inst('A', { interface: 'eth0' }), inst('B', { interface: 'eth0' })] });
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([{ severity: 'error', where: 'B.virtual_router_id', message: 'VRID 51 (IPv4) is already used by A on eth0' }]);
    // Without interfaces (one segment), as before.
    expect(createNode({ instances: [inst('A'), inst('B')] }).ok).toBe(false);
  });

  it('unicast and multicast are separate VRID spaces; unicast instances may share one unless they share a peer', () => {
    const uni = (name: string, peers: string[], src = '192.0.2.10') => inst(name, { interface: 'eth0', unicastPeers: peers, primaryAddr: src });
    expect(createNode({ instances: [inst('M', { interface: 'eth0' }), uni('U', ['192.0.2.30'])] }).ok).toBe(true);
    expect(createNode({ instances: [uni('U1', ['192.0.2.30']), uni('U2', ['192.0.2.31'])] }).ok).toBe(true);
    expect(createNode({ instances: [uni('U1', ['192.0.2.30']), uni('U2', ['192.0.2.30'], '192.0.2.11')] }).ok).toBe(true);
    const bad = createNode({ instances: [uni('U1', ['192.0.2.30', '192.0.2.31']), uni('U2', ['192.0.2.31'])] });
    expect(bad.ok).toBe(false);
    expect(bad.issues[0]).toMatchObject({ where: 'U2.virtual_router_id', message: expect.stringMatching(/U1 on eth0 .*unicast peer 192\.0\.2\.31/) });
  });

  it('routes an advert by the receiving interface', () => {
    const n = node([inst('A', { interface: 'eth0' }), inst('B', { interface: 'eth1', vips: ['198.51.100.51'] })]);
    const a = stepNode(n, { type: 'advert', advert: adv(), ifname: 'eth0' }, 10).state;
    expect(learned(a)).toEqual(['A']);
    const b = stepNode(n, { type: 'advert', advert: adv({ addrs: ['198.51.100.51'] }), ifname: 'eth1' }, 10).state;
    expect(learned(b)).toEqual(['B']);
    // Named by the receiver: no routing at all.
    const c = stepNode(n, { type: 'advert', advert: adv({ addrs: ['198.51.100.51'] }), instance: 'B' }, 10).state;
    expect(learned(c)).toEqual(['B']);
    const none = stepNode(n, { type: 'advert', advert: adv(), ifname: 'eth2' }, 10);
    expect(none.actions).toEqual([{ type: 'discard', reason: 'no instance for VRID 51 (IPv4) on eth2' }]);
    expect(stepNode(n, { type: 'advert', advert: adv({ vrid: 52 }), instance: 'A' }, 10).actions[0]).toMatchObject({ type: 'error', where: 'event.instance' });
    expect(stepNode(n, { type: 'advert', advert: adv(), instance: 'Z' }, 10).actions[0]).toMatchObject({ type: 'error', where: 'event.instance' });
  });

  it('routes a shared unicast VRID by the sender being a peer, and multicast to the multicast instance', () => {
    const n = node([
      inst('U1', { interface: 'eth0', unicastPeers: ['192.0.2.30'] }),
      inst('U2', { interface: 'eth0', unicastPeers: ['192.0.2.31'] }),
      inst('M', { interface: 'eth0' }),
    ]);
    expect(learned(stepNode(n, { type: 'advert', advert: adv({ srcAddr: '192.0.2.31' }), ifname: 'eth0', multicast: false }, 10).state)).toEqual(['U2']);
    expect(learned(stepNode(n, { type: 'advert', advert: adv({ srcAddr: '192.0.2.30' }), ifname: 'eth0', multicast: false }, 10).state)).toEqual(['U1']);
    expect(learned(stepNode(n, { type: 'advert', advert: adv({ srcAddr: '192.0.2.31' }), ifname: 'eth0', multicast: true }, 10).state)).toEqual(['M']);
    const stray = stepNode(n, { type: 'advert', advert: adv({ srcAddr: '192.0.2.99' }), ifname: 'eth0', multicast: false }, 10);
    expect(stray.actions).toEqual([{ type: 'discard', reason: 'no instance for VRID 51 (IPv4) on eth0 has 192.0.2.99 as unicast peer' }]);
  });

  it('routeAdvert: a single candidate gets the packet (validation names what is wrong); addresses compare as addresses', () => {
    const e = [{ name: 'U', interface: 'eth0', family: 6 as const, vrid: 7, unicastPeers: ['2001:db8::30'], primaryAddr: '2001:db8::1' }];
    expect(routeAdvert(e, { ifname: 'eth0', family: 6, vrid: 7, multicast: true })).toEqual({ ok: true, name: 'U' });
    const two = [...e, { ...e[0], name: 'V', unicastPeers: ['2001:db8::31'] }];
    expect(routeAdvert(two, { ifname: 'eth0', family: 6, vrid: 7, srcAddr: '2001:0db8:0:0::31', multicast: false })).toEqual({ ok: true, name: 'V' });
    expect(routeAdvert(two, { ifname: 'eth0', family: 4, vrid: 7 })).toMatchObject({ ok: false });
  });
});
