// Start-up does not wait for the rtnetlink watch to report: the first election runs on what is listed,
// and once the watch is ready the runtime lists again and applies what it missed meanwhile.
import { describe, expect, it } from 'vitest';
import type { AddressEvent, LinkEvent, NetResult } from '../../src/net/types.js';
import { FakeClock, FakeLan, FakeRtnl } from './fakes.js';
import { makeHost, S, settle, stateOf, vi } from './hosts.js';

/** A watch whose subscription takes effect only when the test says so (a slow watch at start). */
class SlowWatchRtnl extends FakeRtnl {
  release: () => void = () => undefined;
  override watch(onEvent: (e: LinkEvent | AddressEvent) => void): NetResult<{ close(): void; ready: Promise<void> }> {
    const w = super.watch(onEvent);
    if (!w.ok) return w;
    const ready = new Promise<void>((res) => (this.release = res));
    return { ok: true, value: { close: w.value.close, ready } };
  }
}

describe('start-up with a slow interface watch', () => {
  it('elects without waiting for the watch, then applies what changed before it reported', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const rtnl = new SlowWatchRtnl(['veth0', 'veth1'], [{ ifname: 'veth0', addr: '192.0.2.1' }]);
    const conf = vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24') + vi('VI_2', 'veth1', 52, 150, '198.51.100.100/24');
    const a = makeHost(lan, clock, 'a', conf, {}, rtnl);
    const t0 = Date.now();
    expect(await a.rt.start()).toEqual({ ok: true });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(stateOf(a, 'VI_1')).toBe('BACKUP');
    expect(stateOf(a, 'VI_2')).toBe('FAULT'); // veth1 has no address yet
    // Changes the (not yet subscribed) watch never reports: veth0 loses carrier, veth1 gets an address.
    rtnl.links[0].running = false;
    rtnl.addrs.push({ ifname: 'veth1', addr: '198.51.100.1', prefix: 24, family: 4, ifindex: 3, flags: ['permanent'] });
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(stateOf(a, 'VI_2')).toBe('FAULT');
    rtnl.release();
    await new Promise((r) => setTimeout(r, 20));
    await settle(a)();
    expect(stateOf(a, 'VI_1')).toBe('FAULT');
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(stateOf(a, 'VI_2')).toBe('BACKUP');
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_2')).toBe('MASTER');
    await a.rt.stop();
  });
});
