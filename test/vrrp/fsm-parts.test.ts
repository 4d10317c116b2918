// Timer arithmetic, tracking weights, address ordering and sync groups.
import { describe, expect, it } from 'vitest';
import { addrBytes, compareAddrBytes } from '../../src/vrrp/fsm-addr.js';
import { createNode, stepNode, type NodeState } from '../../src/vrrp/fsm-node.js';
import type { FsmAction, FsmEvent } from '../../src/vrrp/fsm-types.js';
import { effectivePriority, evaluateTracks } from '../../src/vrrp/tracking.js';
import { masterDownInterval, skewMin, skewTime } from '../../src/vrrp/timers.js';
import type { Advert } from '../../src/vrrp/types.js';

describe('timers', () => {
  it('v2 skew is (256 - prio)/256 s, truncated to microseconds', () => {
    expect(skewTime(2, 100, 1_000_000)).toBe(609_375);
    expect(skewTime(2, 254, 5_000_000)).toBe(7_812); // v2 ignores the interval
    expect(skewMin(2, 1_000_000)).toBe(3_906);
    expect(masterDownInterval(2, 3, 1_000_000, 100)).toBe(3_609_375);
  });
  it('v3 skew scales with Master_Adver_Interval in centiseconds', () => {
    expect(skewTime(3, 100, 1_000_000)).toBe(609_375);
    expect(skewTime(3, 100, 500_000)).toBe(304_687);
    expect(skewTime(3, 200, 20_000)).toBe(4_375);
    expect(masterDownInterval(3, 3, 20_000, 200)).toBe(64_375);
  });
});

describe('tracking weights', () => {
  it('positive weights count while up, negative while down; reverse negates the amount (keepalived vrrp_track.c)', () => {
    const specs = [
      { name: 'up+', kind: 'interface' as const, weight: 10 },
      { name: 'down-', kind: 'script' as const, weight: -20 },
      { name: 'rev', kind: 'process' as const, weight: 5, reverse: true },
      { name: 'rev-', kind: 'script' as const, weight: -7, reverse: true },
    ];
    // keepalived 2.2.7 with "weight 10 reverse" on an up script shows priority 120 -> 110 (dump-rich3).
    expect(evaluateTracks(specs, {}).delta).toBe(10 - 5);
    expect(evaluateTracks(specs, { 'up+': false, 'down-': false, rev: false, 'rev-': false }).delta).toBe(-20 + 7);
  });
  it('weight 0 failing is a fault; init is pending; files multiply', () => {
    const specs = [
      { name: 's', kind: 'script' as const, weight: 0 },
      { name: 'f', kind: 'file' as const, weight: 3 },
      { name: 'g', kind: 'file' as const, weight: 0 },
    ];
    expect(evaluateTracks(specs, { s: false })).toEqual({ delta: 0, faults: ['s'], pending: [] });
    expect(evaluateTracks(specs, { s: 'init', f: -4 })).toEqual({ delta: -12, faults: [], pending: ['s'] });
    expect(evaluateTracks(specs, { f: -100 }).faults).toEqual(['f']);
    expect(evaluateTracks(specs, { g: 7 }).faults).toEqual(['g']);
  });
  it('effective priority is clamped to 1-254 and an owner keeps 255', () => {
    expect(effectivePriority(100, -500)).toBe(1);
    expect(effectivePriority(100, 500)).toBe(254);
    expect(effectivePriority(255, -100)).toBe(255);
  });
});

describe('address ordering', () => {
  it('parses IPv4 and IPv6 text and compares numerically', () => {
    expect(addrBytes('192.0.2.300')).toBeNull();
    expect(addrBytes('2001:db8::1::2')).toBeNull();
    expect(addrBytes('2001:db8::1')?.length).toBe(16);
    expect(addrBytes('::ffff:192.0.2.1')?.slice(12)).toEqual([192, 0, 2, 1]);
    const cmp = (a: string, b: string) => Math.sign(compareAddrBytes(addrBytes(a) as number[], addrBytes(b) as number[]));
    expect(cmp('192.0.2.10', '192.0.2.9')).toBe(1);
    expect(cmp('2001:db8::a', '2001:db8::1:0')).toBe(-1);
    expect(cmp('2001:db8::1', '2001:0db8:0:0:0:0:0:1')).toBe(0);
  });
});

describe('sync groups', () => {
  function groupNode(): NodeState {
    const inst = (name: string, vrid: number) => ({
      name, vrid, priority: 100, primaryAddr: '192.0.2.10', vips: [`203.0.113.${vrid}`],
      tracks: [{ name: `chk_${name}`, kind: 'script' as const, weight: 0 }],
    });
    const r = createNode({ instances: [inst('A', 1), inst('B', 2)], syncGroups: [{ name: 'G', members: ['A', 'B'] }] });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.node;
  }
  const adv = (vrid: number, priority: number): Advert => ({
    version: 2, family: 4, vrid, priority, advertIntervalCs: 100, srcAddr: '192.0.2.20', addrs: [], authType: 'none',
  });
  function go(n: NodeState, evs: Array<[FsmEvent, number]>): { node: NodeState; actions: FsmAction[] } {
    let acts: FsmAction[] = [];
    for (const [e, t] of evs) {
      const r = stepNode(n, e, t);
      n = r.state;
      acts = r.actions;
    }
    return { node: n, actions: acts };
  }
  const states = (n: NodeState) => n.instances.map((i) => i.state);

  it('a member is held in BACKUP until every member wants MASTER, then all go together', () => {
    let n = go(groupNode(), [[{ type: 'start' }, 0]]).node;
    // B hears a live master; A's down timer runs out first but B does not want MASTER.
    n = go(n, [[{ type: 'advert', advert: adv(2, 200) }, 1_000_000]]).node;
    const held = go(n, [[{ type: 'timer', instance: 'A', timer: 'master-down' }, 3_609_375]]);
    expect(states(held.node)).toEqual(['BACKUP', 'BACKUP']);
    expect(held.node.instances[0].wantstate).toBe('MASTER');
    expect(held.node.instances[0].timers['master-down']).toBe(3_609_375 * 2);
    // B's master goes silent: B times out, A already wants MASTER -> the whole group is MASTER.
    const both = go(held.node, [[{ type: 'timer', instance: 'B', timer: 'master-down' }, 4_609_375]]);
    expect(states(both.node)).toEqual(['MASTER', 'MASTER']);
    expect(both.actions).toContainEqual({ type: 'notify-group', group: 'G', state: 'MASTER' });
  });

  it('one member stepping down takes the group to BACKUP; one member in FAULT takes it to FAULT', () => {
    let n = go(groupNode(), [[{ type: 'start' }, 0]]).node;
    n = go(n, [[{ type: 'timer', instance: 'A', timer: 'master-down' }, 3_609_375]]).node;
    expect(states(n)).toEqual(['BACKUP', 'BACKUP']); // B does not want MASTER yet
    n = go(n, [[{ type: 'timer', instance: 'B', timer: 'master-down' }, 3_609_375]]).node;
    expect(states(n)).toEqual(['MASTER', 'MASTER']);
    const down = go(n, [[{ type: 'advert', advert: adv(2, 200) }, 4_000_000]]);
    expect(states(down.node)).toEqual(['BACKUP', 'BACKUP']);
    expect(down.actions.filter((a) => a.type === 'remove-vips').length).toBe(2);
    const fault = go(down.node, [[{ type: 'track', track: 'chk_A', status: false }, 5_000_000]]);
    expect(states(fault.node)).toEqual(['FAULT', 'FAULT']);
    expect(fault.node.groups[0].state).toBe('FAULT');
    // B's own check failing and recovering does not bring the group back while A is still down.
    let f = go(fault.node, [[{ type: 'track', track: 'chk_B', status: false }, 6_000_000], [{ type: 'track', track: 'chk_B', status: true }, 6_500_000]]).node;
    expect(states(f)).toEqual(['FAULT', 'FAULT']);
    f = go(f, [[{ type: 'track', track: 'chk_A', status: true }, 7_000_000]]).node;
    expect(states(f)).toEqual(['BACKUP', 'BACKUP']);
    expect(f.groups[0].state).toBe('BACKUP');
  });

  it('reports bad groups and duplicate VRIDs', () => {
    const r = createNode({
      instances: [
        { name: 'A', vrid: 1, primaryAddr: '192.0.2.1', vips: [] },
        { name: 'B', vrid: 1, primaryAddr: '192.0.2.1', vips: [] },
      ],
      syncGroups: [{ name: 'G', members: ['A', 'Z'] }],
    });
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => i.where)).toEqual(expect.arrayContaining(['B.virtual_router_id', 'G.group']));
  });
});
