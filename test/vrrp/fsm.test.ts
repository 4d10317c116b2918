// Unit tests of the pure state machine: one instance stepped by hand, with exact expected actions.
import { describe, expect, it } from 'vitest';
import { createInstance, step, type FsmAction, type InstanceConfig, type InstanceState } from '../../src/vrrp/fsm.js';
import type { Advert } from '../../src/vrrp/types.js';

const base: InstanceConfig = { name: 'VI_1', vrid: 51, primaryAddr: '192.0.2.10', vips: ['203.0.113.51'] };

function make(extra: Partial<InstanceConfig> = {}): InstanceState {
  const r = createInstance({ ...base, ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.instance;
}

function advert(extra: Partial<Advert> = {}): Advert {
  return { version: 2, family: 4, vrid: 51, priority: 100, advertIntervalCs: 100, srcAddr: '192.0.2.20', addrs: ['203.0.113.51'], authType: 'none', ...extra };
}

function run(i: InstanceState, events: Array<[Parameters<typeof step>[1], number]>): { state: InstanceState; actions: FsmAction[] } {
  let s = i;
  let acts: FsmAction[] = [];
  for (const [e, t] of events) {
    const r = step(s, e, t);
    s = r.state;
    acts = r.actions;
  }
  return { state: s, actions: acts };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

/** A MASTER at t=3_609_375 (priority 100, v2, 1 s). */
function master(extra: Partial<InstanceConfig> = {}): InstanceState {
  const s = run(make(extra), [[{ type: 'start' }, 0]]).state;
  const at = s.timers['master-down'] as number;
  return step(s, { type: 'timer', timer: 'master-down' }, at).state;
}

describe('configuration', () => {
  it('rejects bad fields with the field named, without throwing', () => {
    const r = createInstance({ name: 'X', vrid: 0, primaryAddr: 'nope', vips: ['1.2.3'] });
    expect(r.ok).toBe(false);
    const where = r.issues.map((i) => i.where);
    expect(where).toEqual(expect.arrayContaining(['X.virtual_router_id', 'X.primary address', 'X.virtual_ipaddress[0]']));
    const r2 = createInstance(null as unknown as InstanceConfig);
    expect(r2.ok).toBe(false);
    const r3 = createInstance({ ...base, version: 3, vips: [] });
    expect(r3.ok).toBe(false);
    const r4 = createInstance({ ...base, tracks: [{ name: 't', kind: 'script', weight: 300 }] });
    expect(r4.ok === false && r4.issues[0].where).toBe('VI_1.track[0]');
  });

  it("applies keepalived's start-up fix-ups as warnings", () => {
    const r = createInstance({ ...base, priority: 255, nopreempt: true });
    expect(r.ok && r.instance.cfg.nopreempt).toBe(false);
    expect(r.issues[0]).toMatchObject({ severity: 'warning', where: 'VI_1.nopreempt' });
    const m = createInstance({ ...base, state: 'MASTER', priority: 150, preemptDelayUs: 5_000_000 });
    expect(m.ok && m.instance.cfg.preemptDelayUs).toBe(0);
    const v2 = createInstance({ ...base, advertIntUs: 1_400_000 });
    expect(v2.ok && v2.instance.cfg.advertIntUs).toBe(1_000_000);
    const v3 = createInstance({ ...base, version: 3, advertIntUs: 1_234_567 });
    expect(v3.ok && v3.instance.cfg.advertIntUs).toBe(1_230_000);
    // state MASTER without a priority means owner; no state and priority 255 means MASTER.
    const o = createInstance({ ...base, state: 'MASTER' });
    expect(o.ok && o.instance.cfg.priority).toBe(255);
    const o2 = createInstance({ ...base, priority: 255 });
    expect(o2.ok && o2.instance.cfg.state).toBe('MASTER');
  });
});

describe('bad input yields an error action and leaves the state as it was', () => {
  const s = make();
  const cases: Array<[string, unknown, number, string]> = [
    ['negative time', { type: 'start' }, -1, 'now'],
    ['NaN time', { type: 'start' }, NaN, 'now'],
    ['unknown event', { type: 'reboot' }, 0, 'event.type'],
    ['not an object', 42, 0, 'event'],
    ['priority out of range', { type: 'advert', advert: advert({ priority: 300 }) }, 0, 'advert.priority'],
    ['address of the wrong family', { type: 'advert', advert: advert({ srcAddr: '2001:db8::1' }) }, 0, 'advert.srcAddr'],
    ['interval zero', { type: 'advert', advert: advert({ advertIntervalCs: 0 }) }, 0, 'advert.advertIntervalCs'],
    ['override 255', { type: 'override', priority: 255 }, 0, 'event.priority'],
    ['override 0', { type: 'override', priority: 0 }, 0, 'event.priority'],
    ['unknown timer', { type: 'timer', timer: 'soon' }, 0, 'event.timer'],
    ['bad track status', { type: 'track', track: 'x', status: 'maybe' }, 0, 'event.status'],
    ['unknown instance', { type: 'timer', instance: 'VI_9', timer: 'advert' }, 0, 'event.instance'],
  ];
  for (const [label, ev, now, where] of cases) {
    it(label, () => {
      const r = step(s, ev as Parameters<typeof step>[1], now);
      expect(r.state).toBe(s);
      expect(r.actions).toEqual([expect.objectContaining({ type: 'error', where })]);
    });
  }
  it('a non-state yields an error', () => {
    const r = step(undefined as unknown as InstanceState, { type: 'start' }, 0);
    expect(r.actions[0]).toMatchObject({ type: 'error', where: 'state' });
  });
});

describe('purity', () => {
  it('never mutates its input (deep-frozen states step without throwing)', () => {
    let s = deepFreeze(make({ tracks: [{ name: 'eth1', kind: 'interface', weight: -20 }] }));
    const events: Array<[Parameters<typeof step>[1], number]> = [
      [{ type: 'start' }, 0],
      [{ type: 'timer', timer: 'master-down' }, 3_609_375],
      [{ type: 'advert', advert: advert({ priority: 50 }) }, 3_700_000],
      [{ type: 'track', track: 'eth1', status: false }, 3_800_000],
      [{ type: 'override', priority: 200 }, 3_900_000],
      [{ type: 'advert', advert: advert({ priority: 250 }) }, 4_000_000],
      [{ type: 'shutdown' }, 5_000_000],
    ];
    for (const [e, t] of events) s = deepFreeze(step(s, e, t).state);
    expect(s.state).toBe('STOP');
  });
});

describe('BACKUP', () => {
  it('starts in BACKUP with the Master_Down_Timer armed and notifies', () => {
    const r = step(make(), { type: 'start' }, 1_000);
    expect(r.state.state).toBe('BACKUP');
    expect(r.actions).toEqual([
      { type: 'notify', instance: 'VI_1', state: 'BACKUP' },
      { type: 'arm-timer', instance: 'VI_1', timer: 'master-down', at: 1_000 + 3_609_375 },
    ]);
  });

  it('an advert of equal or higher priority re-arms the down timer; priority 0 shortens it to Skew_Time', () => {
    const s = step(make(), { type: 'start' }, 0).state;
    const eq = step(s, { type: 'advert', advert: advert({ priority: 100 }) }, 2_000_000);
    expect(eq.state.timers['master-down']).toBe(2_000_000 + 3_609_375);
    expect(eq.state.masterAddr).toBe('192.0.2.20');
    const zero = step(eq.state, { type: 'advert', advert: advert({ priority: 0 }) }, 2_500_000);
    expect(zero.state.timers['master-down']).toBe(2_500_000 + 609_375);
  });

  it('a lower priority advert is discarded and the deadline kept, so we preempt', () => {
    const s = step(make(), { type: 'start' }, 0).state;
    const r = step(s, { type: 'advert', advert: advert({ priority: 99 }) }, 1_000_000);
    expect(r.state.timers['master-down']).toBe(3_609_375);
    expect(r.actions).toEqual([expect.objectContaining({ type: 'discard', reason: expect.stringContaining('lower priority (99)') })]);
  });

  it('with nopreempt a lower priority advert still re-arms the timer', () => {
    const s = step(make({ nopreempt: true }), { type: 'start' }, 0).state;
    const r = step(s, { type: 'advert', advert: advert({ priority: 99 }) }, 1_000_000);
    expect(r.state.timers['master-down']).toBe(1_000_000 + 3_609_375);
  });

  it('VRRPv2 adverts with another interval, version or password are discarded', () => {
    const s = step(make({ authType: 'pass', authData: 'secret' }), { type: 'start' }, 0).state;
    for (const a of [advert({ advertIntervalCs: 200, authType: 'pass', authData: 'secret' }), advert({ version: 3, authType: 'pass', authData: 'secret' }), advert({ authType: 'pass', authData: 'other' })]) {
      const r = step(s, { type: 'advert', advert: a }, 1_000_000);
      expect(r.state.timers['master-down']).toBe(3_609_375);
      expect(r.actions[0].type).toBe('discard');
    }
  });

  it('a timer that is not due (re-armed since) is discarded', () => {
    const s = step(make(), { type: 'start' }, 0).state;
    const r = step(s, { type: 'timer', timer: 'master-down' }, 3_000_000);
    expect(r.state.state).toBe('BACKUP');
    expect(r.actions[0]).toMatchObject({ type: 'discard' });
  });

  it('a priority change shifts the running down timer by the change in Skew_Time', () => {
    const s = step(make({ tracks: [{ name: 'eth1', kind: 'interface', weight: 50 }] }), { type: 'start' }, 0).state;
    expect(s.effectivePriority).toBe(150);
    expect(s.timers['master-down']).toBe(3_414_062); // 3 s + floor(106e6/256)
    const r = step(s, { type: 'track', track: 'eth1', status: false }, 1_000_000);
    expect(r.state.effectivePriority).toBe(100);
    // skew grows from 414_062 to 609_375: deadline moves by 195_313
    expect(r.state.timers['master-down']).toBe(3_609_375);
    expect(r.actions).toContainEqual({ type: 'notify-priority', instance: 'VI_1', priority: 100 });
  });
});

describe('MASTER', () => {
  it('becoming master: advert timer, then the advert before VIPs and GARP, notify, GARP delay', () => {
    const s = step(make(), { type: 'start' }, 0).state;
    const r = step(s, { type: 'timer', timer: 'master-down' }, 3_609_375);
    expect(r.state.state).toBe('MASTER');
    expect(r.actions.map((a) => a.type)).toEqual(['arm-timer', 'send-advert', 'add-vips', 'send-garp', 'notify', 'arm-timer']);
    expect(r.actions[1]).toMatchObject({ advert: { vrid: 51, priority: 100, advertIntervalCs: 100, srcAddr: '192.0.2.10', addrs: ['203.0.113.51'] } });
    expect(r.state.timers).toEqual({ advert: 4_609_375, 'garp-delay': 3_609_375 + 5_000_000 });
  });

  it('a higher priority advert sends it back to BACKUP and releases the VIPs', () => {
    const r = step(master(), { type: 'advert', advert: advert({ priority: 101 }) }, 4_000_000);
    expect(r.state.state).toBe('BACKUP');
    expect(r.actions.map((a) => a.type)).toEqual(['remove-vips', 'cancel-timer', 'notify', 'cancel-timer', 'arm-timer']);
    expect(r.state.timers['master-down']).toBe(4_000_000 + 3_609_375);
  });

  it('equal priority: the higher address wins, the lower one asserts itself', () => {
    const lose = step(master(), { type: 'advert', advert: advert({ priority: 100, srcAddr: '192.0.2.11' }) }, 4_000_000);
    expect(lose.state.state).toBe('BACKUP');
    const win = step(master(), { type: 'advert', advert: advert({ priority: 100, srcAddr: '192.0.2.9' }) }, 4_000_000);
    expect(win.state.state).toBe('MASTER');
    expect(win.actions.map((a) => a.type)).toEqual(['send-advert', 'notify-event', 'arm-timer']);
    expect(win.state.timers.advert).toBe(5_000_000);
  });

  it('two address owners: ours drops to 254 and steps down', () => {
    const m = master({ priority: 255, state: 'MASTER' });
    const r = step(m, { type: 'advert', advert: advert({ priority: 255, srcAddr: '192.0.2.1' }) }, 4_000_000);
    expect(r.state.basePriority).toBe(254);
    expect(r.state.state).toBe('BACKUP');
  });

  it('shutdown: priority 0 goodbye, VIPs removed, STOP', () => {
    const r = step(master(), { type: 'shutdown' }, 4_000_000);
    expect(r.state.state).toBe('STOP');
    expect(r.actions[0]).toMatchObject({ type: 'send-advert', advert: { priority: 0 } });
    expect(r.actions.map((a) => a.type)).toEqual(['send-advert', 'remove-vips', 'cancel-timer', 'cancel-timer', 'notify']);
    expect(r.state.timers).toEqual({});
    const after = step(r.state, { type: 'advert', advert: advert() }, 4_100_000);
    expect(after.actions[0]).toMatchObject({ type: 'discard', reason: expect.stringContaining('STOP') });
  });

  it('a weight-0 track failing: FAULT with a priority 0 advert; clearing it returns to BACKUP', () => {
    const m = master({ tracks: [{ name: 'chk', kind: 'script', weight: 0 }] });
    const f = step(m, { type: 'track', track: 'chk', status: false }, 4_000_000);
    expect(f.state.state).toBe('FAULT');
    expect(f.actions).toContainEqual(expect.objectContaining({ type: 'send-advert', advert: expect.objectContaining({ priority: 0 }) }));
    expect(f.state.timers).toEqual({});
    const u = step(f.state, { type: 'track', track: 'chk', status: true }, 5_000_000);
    expect(u.state.state).toBe('BACKUP');
    expect(u.state.timers['master-down']).toBe(5_000_000 + 3_609_375);
  });

  it('override replaces the effective priority until cleared', () => {
    const m = master({ tracks: [{ name: 'eth1', kind: 'interface', weight: 20 }] });
    expect(m.effectivePriority).toBe(120);
    const o = step(m, { type: 'override', priority: 10 }, 4_000_000);
    expect(o.state.effectivePriority).toBe(10);
    const still = step(o.state, { type: 'track', track: 'eth1', status: false }, 4_100_000);
    expect(still.state.effectivePriority).toBe(10);
    const c = step(still.state, { type: 'override', priority: null }, 4_200_000);
    expect(c.state.effectivePriority).toBe(100);
  });
});

describe('scripts in their initial state', () => {
  it('hold the instance in FAULT silently, then an owner goes MASTER at once when the script passes', () => {
    const s = make({ priority: 255, tracks: [{ name: 'chk', kind: 'script', weight: 0 }], initialTrackStatus: { chk: 'init' } });
    const st = step(s, { type: 'start' }, 0);
    expect(st.state.state).toBe('FAULT');
    expect(st.actions.filter((a) => a.type === 'notify')).toEqual([]);
    const up = step(st.state, { type: 'track', track: 'chk', status: true }, 2_000_000);
    expect(up.state.state).toBe('MASTER');
  });

  it('a non-owner comes up as BACKUP', () => {
    const s = make({ tracks: [{ name: 'chk', kind: 'script', weight: 0 }], initialTrackStatus: { chk: 'init' } });
    const up = run(s, [[{ type: 'start' }, 0], [{ type: 'track', track: 'chk', status: true }, 1_000]]);
    expect(up.state.state).toBe('BACKUP');
  });
});
