// The advert source follows the interface's addresses without a restart: an instance with no address
// of its family stays out of service (FAULT, clear log line, nothing sent); an address added later
// brings it up; losing the source moves to another address, or to FAULT when none is left.
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeLan } from './fakes.js';
import { makeHost, S, settle, stateOf, vi } from './hosts.js';

const srcOf = (b: Uint8Array) => [...b.subarray(12, 16)].join('.');

describe('advert source follows address changes', () => {
  it('no IPv4 address: FAULT and silent; the address added later brings the instance up and it sends from it', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24'), { veth0: [] });
    const b = makeHost(lan, clock, 'b', vi('VI_1', 'veth0', 51, 100, '192.0.2.100/24'), { veth0: ['192.0.2.2'] });
    expect(await a.rt.start()).toEqual({ ok: true });
    await b.rt.start();
    await clock.advance(6 * S, settle(a, b));
    expect(stateOf(a, 'VI_1')).toBe('FAULT');
    expect(stateOf(b, 'VI_1')).toBe('MASTER');
    expect(a.log.lines).toContain('err: (VI_1) no IPv4 address on veth0 to send adverts from; instance out of service until one is added');
    expect(lan.sent.filter((x) => x.host === 'a')).toEqual([]);
    a.rtnl.setAddr('veth0', '192.0.2.1', true);
    await clock.advance(6 * S, settle(a, b));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(stateOf(b, 'VI_1')).toBe('BACKUP');
    const mine = lan.sent.filter((x) => x.host === 'a');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((x) => srcOf(x.bytes) === '192.0.2.1')).toBe(true);
    expect(a.log.lines).toContain('info: (VI_1) sending adverts from 192.0.2.1 on veth0');
    expect(b.rt.statusOf('VI_1')!.masterAddr).toBe('192.0.2.1');
    await a.rt.stop();
    await b.rt.stop();
  });

  it('source removed: moves to the remaining address with no transition; last one removed: FAULT, VIPs released', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24'), { veth0: ['192.0.2.1'] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    a.rtnl.setAddr('veth0', '192.0.2.7', true);
    await clock.advance(2 * S, settle(a));
    expect(srcOf(lan.sent.at(-1)!.bytes)).toBe('192.0.2.1'); // an added address does not move a working source
    const transitions = a.events.filter((e) => e.type === 'transition').length;
    a.rtnl.setAddr('veth0', '192.0.2.1', false);
    const n = lan.sent.length;
    await clock.advance(2 * S, settle(a));
    expect(lan.sent.slice(n).map((x) => srcOf(x.bytes))).toEqual(['192.0.2.7', '192.0.2.7']);
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(a.events.filter((e) => e.type === 'transition').length).toBe(transitions);
    // The VIP (our own floating address) is never taken as a source.
    a.rtnl.setAddr('veth0', '192.0.2.7', false);
    await settle(a)();
    expect(stateOf(a, 'VI_1')).toBe('FAULT');
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(a.rt.statusOf('VI_1')!.lastTransition?.reason).toBe('no IPv4 address on veth0');
    const m = lan.sent.length;
    await clock.advance(5 * S, settle(a));
    expect(lan.sent.length).toBe(m);
    a.rtnl.setAddr('veth0', '192.0.2.9', true);
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(srcOf(lan.sent.at(-1)!.bytes)).toBe('192.0.2.9');
    await a.rt.stop();
  });

  it('IPv6: waits for the link-local address (a global one is not a source), then elects', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const v6 = 'vrrp_instance V6 {\n interface veth0\n virtual_router_id 61\n priority 200\n advert_int 0.5\n virtual_ipaddress {\n 2001:db8::100/64\n }\n}\n';
    const a = makeHost(lan, clock, 'a', v6, { veth0: ['2001:db8::1'] });
    await a.rt.start();
    await clock.advance(3 * S, settle(a));
    expect(stateOf(a, 'V6')).toBe('FAULT');
    expect(a.log.lines).toContain('err: (V6) no IPv6 link-local address on veth0 to send adverts from; instance out of service until one is added');
    a.rtnl.setAddr('veth0', 'fe80::1', true);
    await clock.advance(3 * S, settle(a));
    expect(stateOf(a, 'V6')).toBe('MASTER');
    expect(lan.sent.at(-1)).toMatchObject({ src: 'fe80::1', family: 6 });
    await a.rt.stop();
  });
});
