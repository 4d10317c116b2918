// One VRID on two interfaces (two segments): each instance elects on its own segment, adverts are
// routed by the receiving socket's interface, and the other segment's instance never sees them.
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeLan } from './fakes.js';
import { makeHost, S, settle, stateOf, vi } from './hosts.js';

describe('same VRID on two interfaces', () => {
  it('runs both instances, each electing its own master on its own segment', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    for (const h of ['a', 'b']) {
      lan.segments.set(`${h}/veth0`, 's0');
      lan.segments.set(`${h}/veth1`, 's1');
    }
    const conf = (p0: number, p1: number) => vi('VI_A', 'veth0', 51, p0, '192.0.2.100/24') + vi('VI_B', 'veth1', 51, p1, '198.51.100.100/24');
    const a = makeHost(lan, clock, 'a', conf(150, 100), { veth0: ['192.0.2.1'], veth1: ['198.51.100.1'] });
    const b = makeHost(lan, clock, 'b', conf(100, 150), { veth0: ['192.0.2.2'], veth1: ['198.51.100.2'] });
    expect(await a.rt.start()).toEqual({ ok: true });
    expect(await b.rt.start()).toEqual({ ok: true });
    await clock.advance(6 * S, settle(a, b));
    expect([stateOf(a, 'VI_A'), stateOf(a, 'VI_B')]).toEqual(['MASTER', 'BACKUP']);
    expect([stateOf(b, 'VI_A'), stateOf(b, 'VI_B')]).toEqual(['BACKUP', 'MASTER']);
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(true);
    expect(b.rtnl.has('veth1', '198.51.100.100')).toBe(true);
    expect(a.rt.statusOf('VI_B')!.masterAddr).toBe('198.51.100.2');
    expect(b.rt.statusOf('VI_A')!.masterAddr).toBe('192.0.2.1');
    // Nothing was misrouted: no instance dropped a packet meant for the other one.
    for (const h of [a, b]) for (const n of ['VI_A', 'VI_B']) expect(h.rt.statusOf(n)!.counters.drops).toEqual({});
    expect(a.rt.statusOf('VI_B')!.counters.advertsReceived).toBeGreaterThan(2);
    await a.rt.stop();
    await b.rt.stop();
  });
});
