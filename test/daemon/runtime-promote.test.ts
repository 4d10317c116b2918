// promote makes this node MASTER now even with nopreempt / preempt_delay; clear leaves a node that may
// stay as it is under its configuration (a nopreempt master) where it is, with no transition.
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeLan } from './fakes.js';
import { makeHost, S, settle, stateOf, vi } from './hosts.js';

describe('promote and clear against preemption settings', () => {
  for (const [what, extra] of [['nopreempt', 'nopreempt'], ['preempt_delay 60', 'preempt_delay 60']] as const) {
    it(`${what}: promote takes over within one advert interval; the old master steps down`, async () => {
      const lan = new FakeLan();
      const clock = new FakeClock();
      const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24'), { veth0: ['192.0.2.1'] });
      const b = makeHost(lan, clock, 'b', vi('VI_1', 'veth0', 51, 100, '192.0.2.100/24', extra), { veth0: ['192.0.2.2'] });
      await a.rt.start();
      await b.rt.start();
      await clock.advance(6 * S, settle(a, b));
      expect([stateOf(a, 'VI_1'), stateOf(b, 'VI_1')]).toEqual(['MASTER', 'BACKUP']);
      expect(b.rt.setOverride('VI_1', 'promote').ok).toBe(true);
      await settle(a, b)();
      expect(stateOf(b, 'VI_1')).toBe('MASTER');
      expect(b.rt.statusOf('VI_1')!.lastTransition).toMatchObject({ from: 'BACKUP', to: 'MASTER', reason: 'operator promote' });
      await clock.advance(S, settle(a, b));
      expect(stateOf(a, 'VI_1')).toBe('BACKUP');
      expect(b.rtnl.has('veth0', '192.0.2.100')).toBe(true);
      expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
      // It holds through many intervals (the old master does not come back while promoted).
      await clock.advance(10 * S, settle(a, b));
      expect([stateOf(a, 'VI_1'), stateOf(b, 'VI_1')]).toEqual(['BACKUP', 'MASTER']);
      await a.rt.stop();
      await b.rt.stop();
    });
  }

  it('clear on a master whose peer has nopreempt: it stays MASTER, no transition, priority back to configured', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', 'nopreempt'), { veth0: ['192.0.2.1'] });
    const b = makeHost(lan, clock, 'b', vi('VI_1', 'veth0', 51, 100, '192.0.2.100/24', 'nopreempt'), { veth0: ['192.0.2.2'] });
    await a.rt.start();
    await b.rt.start();
    await clock.advance(6 * S, settle(a, b));
    expect([stateOf(a, 'VI_1'), stateOf(b, 'VI_1')]).toEqual(['MASTER', 'BACKUP']);
    b.rt.setOverride('VI_1', 'promote');
    await clock.advance(2 * S, settle(a, b));
    expect([stateOf(a, 'VI_1'), stateOf(b, 'VI_1')]).toEqual(['BACKUP', 'MASTER']);
    const transitions = b.events.filter((e) => e.type === 'transition').length;
    b.rt.setOverride('VI_1', null);
    await clock.advance(10 * S, settle(a, b));
    expect([stateOf(a, 'VI_1'), stateOf(b, 'VI_1')]).toEqual(['BACKUP', 'MASTER']);
    expect(b.events.filter((e) => e.type === 'transition').length).toBe(transitions);
    expect(b.rt.statusOf('VI_1')!.priority).toEqual({ configured: 100, effective: 100, override: null });
    expect(b.rt.statusOf('VI_1')!.counters.becameMaster).toBe(1);
    await a.rt.stop();
    await b.rt.stop();
  });
});
