// Exact-timing scenarios on the virtual clock. Expected instants are derived by hand in the
// comments from the RFC formulas with keepalived's integer microsecond arithmetic:
//   v2 Skew_Time = floor((256 - prio) * 1e6 / 256) us
//   v3 Skew_Time = floor((256 - prio) * (Master_Adver_Interval in cs) * 625 / 16) us
//   Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time
// Every link delays adverts by 100 us (the simulator default).
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/vrrp/sim/cluster.js';
import { toSimOptions, type Topology } from '../../src/vrrp/sim/topology.js';

function cluster(t: Topology): Cluster {
  const r = Cluster.create(toSimOptions(t));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.cluster;
}

function firstTransition(c: Cluster, node: string, to: string, after = 0) {
  return c.transitions.find((t) => t.node === node && t.to === to && t.at >= after);
}

describe('master failure and handover timings', () => {
  it('a backup takes over exactly Master_Down_Interval after the last advert it received (v2)', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 10, priority: 200 }] }, { id: 'b', instances: [{ vrid: 10, priority: 100 }] }] });
    c.bootAll();
    c.runUntil(10_000_000);
    // a: down timer 3 s + 56/256 s = 3_218_750 us -> MASTER at 3_218_750.
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(3_218_750);
    expect(c.masters(10)).toEqual(['a']);
    c.crash('a');
    c.runUntil(20_000_000);
    // a's adverts at 3_218_750 + k s; the last before the crash at 10 s is 9_218_750, received at 9_218_850.
    // b: 3 s + 156/256 s = 3_609_375 -> MASTER at 12_828_225.
    expect(firstTransition(c, 'b', 'MASTER')?.at).toBe(12_828_225);
    expect(c.vipOwners(10)).toEqual(['b']);
  });

  it('priority 0 on shutdown hands over after Skew_Time', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 10, priority: 200 }] }, { id: 'b', instances: [{ vrid: 10, priority: 100 }] }] });
    c.bootAll();
    c.runUntil(10_000_000);
    c.shutdown('a');
    c.runUntil(20_000_000);
    // priority 0 sent at 10 s, received at 10_000_100; b's skew = 156/256 s = 609_375 us.
    expect(firstTransition(c, 'b', 'MASTER')?.at).toBe(10_609_475);
    expect(c.transitions.find((t) => t.node === 'a' && t.to === 'STOP')?.at).toBe(10_000_000);
  });

  it('a higher priority node preempts when its down timer runs out (lower adverts are ignored)', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 7, priority: 200 }] }, { id: 'b', instances: [{ vrid: 7, priority: 100 }] }] });
    c.boot('b');
    c.at(10_000_000, () => c.boot('a'));
    c.runUntil(20_000_000);
    // a starts BACKUP at 10 s with down timer 3_218_750 -> MASTER at 13_218_750; b steps down on a's first advert.
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(13_218_750);
    expect(firstTransition(c, 'b', 'BACKUP', 13_000_000)?.at).toBe(13_218_850);
    expect(c.masters(7)).toEqual(['a']);
  });

  it('preempt_delay: lower priority adverts keep the backup waiting until the delay has passed', () => {
    const c = cluster({
      nodes: [
        { id: 'a', instances: [{ vrid: 7, priority: 200, preemptDelayUs: 5_000_000 }] },
        { id: 'b', instances: [{ vrid: 7, priority: 100 }] },
      ],
    });
    c.boot('b');
    c.at(10_000_000, () => c.boot('a'));
    c.runUntil(25_000_000);
    // b MASTER at 3_609_375, adverts at 3_609_375 + k s, seen by a 100 us later.
    // First one a sees: 10_609_475 -> preempt delay ends at 15_609_475. Adverts up to 14_609_475 are
    // accepted (timer re-armed); the one at 15_609_475 is not (delay over) -> MASTER at
    // 14_609_475 + 3_218_750 = 17_828_225.
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(17_828_225);
    expect(c.masters(7)).toEqual(['a']);
  });

  it('nopreempt: a higher priority backup leaves a lower priority master alone', () => {
    const c = cluster({
      nodes: [
        { id: 'a', instances: [{ vrid: 7, priority: 200, nopreempt: true }] },
        { id: 'b', instances: [{ vrid: 7, priority: 100 }] },
      ],
    });
    c.boot('b');
    c.at(10_000_000, () => c.boot('a'));
    c.runUntil(60_000_000);
    expect(c.masters(7)).toEqual(['b']);
    expect(firstTransition(c, 'a', 'MASTER')).toBeUndefined();
  });

  it('v3: the backup learns the master advert interval', () => {
    const c = cluster({
      nodes: [
        { id: 'a', instances: [{ vrid: 3, version: 3, priority: 200, advertIntUs: 500_000 }] },
        { id: 'b', instances: [{ vrid: 3, version: 3, priority: 100, advertIntUs: 2_000_000 }] },
      ],
    });
    c.bootAll();
    c.runUntil(5_000_000);
    // a: 3 * 0.5 s + 56 * 50 * 625 / 16 us = 1_500_000 + 109_375 -> MASTER at 1_609_375.
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(1_609_375);
    const b = c.nodeState('b')?.instances[0];
    expect(b?.masterAdverIntUs).toBe(500_000);
    // b learned 50 cs: 1_500_000 + floor(156 * 50 * 625 / 16) = 1_804_687.
    expect(b?.msDownTimerUs).toBe(1_804_687);
    c.crash('a');
    c.runUntil(7_000_000);
    // a's last advert: 1_609_375 + 6 * 0.5 s = 4_609_375, seen at 4_609_475 -> b MASTER at 6_414_162.
    expect(firstTransition(c, 'b', 'MASTER')?.at).toBe(6_414_162);
    // As master, b advertises at its own 2 s interval again.
    expect(c.nodeState('b')?.instances[0].timers.advert).toBe(8_414_162);
  });

  it('equal priorities: the higher primary address wins the election', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 5 }] }, { id: 'b', instances: [{ vrid: 5 }] }] });
    c.bootAll();
    c.runUntil(10_000_000);
    // Both time out at 3_609_375 and advertise; a (192.0.2.1) sees b (192.0.2.2) and steps down.
    expect(c.masters(5)).toEqual(['b']);
    expect(firstTransition(c, 'a', 'BACKUP', 3_609_375)?.at).toBe(3_609_475);
  });
});

describe('IPv6', () => {
  it('v3 over IPv6: equal priorities elect the higher address, and the VIPs follow a crash', () => {
    const c = cluster({
      nodes: [
        { id: 'a', instances: [{ vrid: 4, version: 3, family: 6 }] },
        { id: 'b', instances: [{ vrid: 4, version: 3, family: 6 }] },
        { id: 'c', addr: '2001:db8::ff', instances: [{ vrid: 4, version: 3, family: 6, priority: 90 }] },
      ],
    });
    c.bootAll();
    c.runUntil(10_000_000);
    // a is 2001:db8::1, b 2001:db8::2: b wins the tie; c (lower priority) stays backup.
    expect(c.masters(4)).toEqual(['b']);
    expect(c.vipOwners(4)).toEqual(['b']);
    c.crash('b');
    c.runUntil(20_000_000);
    expect(c.masters(4)).toEqual(['a']);
    expect(c.vipOwners(4)).toEqual(['a']);
  });
});

describe('initial state', () => {
  it('an address owner with state MASTER is master 1 us after start', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 1, priority: 255, state: 'MASTER' }] }] });
    c.bootAll();
    c.runUntil(1_000);
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(1);
  });

  it('state MASTER below priority 255 still waits a full Master_Down_Interval as BACKUP', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 1, priority: 150, state: 'MASTER' }] }] });
    c.bootAll();
    c.runUntil(10_000_000);
    expect(c.transitions[0]).toMatchObject({ at: 0, from: 'INIT', to: 'BACKUP' });
    // 3 s + floor(106 * 1e6 / 256) = 3_414_062
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(3_414_062);
  });

  it('priority 255 with state BACKUP waits 3 intervals plus the minimum skew', () => {
    const c = cluster({ nodes: [{ id: 'a', instances: [{ vrid: 1, priority: 255, state: 'BACKUP' }] }] });
    c.bootAll();
    c.runUntil(10_000_000);
    expect(firstTransition(c, 'a', 'MASTER')?.at).toBe(3_003_906);
  });
});

describe('tracking, overrides and GARP scheduling in a cluster', () => {
  const two = (): Cluster =>
    cluster({
      nodes: [
        { id: 'a', instances: [{ vrid: 9, priority: 200, tracks: [{ name: 'eth1', kind: 'interface', weight: -60 }, { name: 'chk', kind: 'script', weight: 0 }] }] },
        { id: 'b', instances: [{ vrid: 9, priority: 150 }] },
      ],
    });

  it('a negative weight drops the master below the backup, which then takes over', () => {
    const c = two();
    c.bootAll();
    c.runUntil(10_000_000);
    expect(c.masters(9)).toEqual(['a']);
    c.inject('a', { type: 'track', track: 'eth1', status: false });
    expect(c.nodeState('a')?.instances[0].effectivePriority).toBe(140);
    c.runUntil(20_000_000);
    expect(c.masters(9)).toEqual(['b']);
    c.inject('a', { type: 'track', track: 'eth1', status: true });
    c.runUntil(30_000_000);
    expect(c.masters(9)).toEqual(['a']);
  });

  it('a weight-0 track failing puts the master in FAULT and the backup takes over after Skew_Time', () => {
    const c = two();
    c.bootAll();
    c.runUntil(10_000_000);
    c.inject('a', { type: 'track', track: 'chk', status: false });
    expect(c.stateOf('a', 'VI_9')).toBe('FAULT');
    c.runUntil(20_000_000);
    // priority 0 at 10 s, seen 10_000_100; b's skew = floor(106 * 1e6 / 256) = 414_062.
    expect(firstTransition(c, 'b', 'MASTER')?.at).toBe(10_414_162);
    c.inject('a', { type: 'track', track: 'chk', status: true });
    expect(c.stateOf('a', 'VI_9')).toBe('BACKUP');
  });

  it('an operator override demotes and a cleared override restores', () => {
    const c = two();
    c.bootAll();
    c.runUntil(10_000_000);
    c.inject('a', { type: 'override', priority: 50 });
    c.runUntil(20_000_000);
    expect(c.masters(9)).toEqual(['b']);
    c.inject('a', { type: 'override', priority: null });
    c.runUntil(30_000_000);
    expect(c.masters(9)).toEqual(['a']);
  });

  it('GARP: a burst on becoming master, another garp_master_delay later, refreshes at adverts', () => {
    const c = cluster({
      nodes: [{ id: 'a', instances: [{ vrid: 2, priority: 255, state: 'MASTER', garpMasterDelayUs: 2_000_000, garpMasterRepeat: 3, garpMasterRefreshUs: 10_000_000, garpMasterRefreshRepeat: 2 }] }],
    });
    const garps: Array<{ at: number; repeat: number }> = [];
    c.onAction = (_node, act, at) => {
      if (act.type === 'send-garp') garps.push({ at, repeat: act.repeat });
    };
    c.bootAll();
    c.runUntil(25_000_000);
    // MASTER at 1 us: a burst of 3; 2 s later another 3; the refresh falls due at 10_000_001 and is
    // sent with the advert of that instant, then every 10 s.
    expect(garps).toEqual([
      { at: 1, repeat: 3 },
      { at: 2_000_001, repeat: 3 },
      { at: 10_000_001, repeat: 2 },
      { at: 20_000_001, repeat: 2 },
    ]);
  });
});
