// Packets no instance can own (unknown VRID, unreadable headers) show in status as
// unattributedDrops per socket and reason, so every received packet is accounted for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpService } from '../../src/daemon/vrrp-service.js';
import { encode } from '../../src/vrrp/packet.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';
import { makeHost, vi } from './hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'kadrops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONF = vi('VI_1', 'veth0', 51, 100, '192.0.2.100/24') + vi('VI_2', 'veth1', 52, 100, '198.51.100.100/24')
  + 'vrrp_instance V6 {\n interface veth0\n virtual_router_id 61\n priority 100\n virtual_ipaddress {\n  2001:db8::100/64\n }\n}\n';

function v4(vrid: number, mut?: (b: Uint8Array) => void): Uint8Array {
  const e = encode({ version: 2, family: 4, vrid, priority: 200, advertIntervalCs: 100, srcAddr: '192.0.2.9', dstAddr: '224.0.0.18', addrs: ['192.0.2.100'], authType: 'none', ttl: 255 });
  if (!e.ok) throw new Error(e.error);
  mut?.(e.bytes);
  return e.bytes;
}

describe('unattributed drops in status', () => {
  it('counts unknown VRIDs and unreadable packets per socket and reason; every injected packet is accounted for', async () => {
    const h = makeHost(new FakeLan(), new FakeClock(), 'b', CONF, { veth0: ['192.0.2.2', 'fe80::2'], veth1: ['198.51.100.2'] });
    expect(await h.rt.start()).toEqual({ ok: true });
    const injected: Parameters<typeof h.rt.onPacket>[0][] = [
      { family: 4, ifname: 'veth0', buf: v4(99) },
      { family: 4, ifname: 'veth0', buf: v4(98) },
      { family: 4, ifname: 'veth0', buf: v4(52) }, // VI_2's VRID, but on the wrong interface
      { family: 4, ifname: 'veth0', buf: v4(51).subarray(0, 22) },
      { family: 4, ifname: 'veth1', buf: v4(51) },
      { family: 4, ifname: 'veth1', buf: v4(52) }, // VI_2's own: attributed (accepted)
      { family: 6, ifname: 'veth0', buf: new Uint8Array(40) }, // IPv6 without source/destination
      { family: 6, ifname: 'veth0', buf: new Uint8Array(4), ipv6: { src: 'fe80::9', dst: 'ff02::12', hopLimit: 255 } },
      { family: 4, ifname: 'veth0', buf: v4(51, (b) => void (b[9] = 17)) }, // not protocol 112/51
    ];
    for (const p of injected) h.rt.onPacket(p);
    const st = h.rt.status({ daemonPid: 1, daemonVersion: 'x', configFile: 'k', configId: 'b', startedAt: '' });
    expect(st.unattributedDrops).toEqual([
      { interface: 'veth0', family: 4, reason: 'not_vrrp_protocol', count: 1 },
      { interface: 'veth0', family: 4, reason: 'truncated', count: 1 },
      { interface: 'veth0', family: 4, reason: 'vrid_unknown', count: 3 },
      { interface: 'veth0', family: 6, reason: 'ip_header_invalid', count: 1 },
      { interface: 'veth0', family: 6, reason: 'truncated', count: 1 },
      { interface: 'veth1', family: 4, reason: 'vrid_unknown', count: 1 },
    ]);
    const perInstance = st.instances.reduce((n, i) => n + i.counters.advertsReceived + Object.values(i.counters.drops).reduce((a, b) => a + b, 0), 0);
    const unattributed = (st.unattributedDrops ?? []).reduce((n, d) => n + d.count, 0);
    expect(perInstance + unattributed).toBe(injected.length);
    await h.rt.stop();
  });

  it('status for one instance carries only its own socket\'s unattributed drops', async () => {
    const clock = new FakeClock();
    const svc = new VrrpService(
      {
        type: 'start', role: 'vrrp', configFile: 'k.conf', configId: 'x', log: { console: true, detail: false },
        stateDir: join(dir, 'st'), daemonPid: 42, daemonVersion: '1', startedAt: '2026-01-01T00:00:00.000Z',
      },
      {
        openVrrpSocket: new FakeLan().opener('a'), announcer: new FakeAnnouncer(clock),
        rtnl: new FakeRtnl(['veth0', 'veth1'], [{ ifname: 'veth0', addr: '192.0.2.1' }, { ifname: 'veth1', addr: '198.51.100.1' }]),
        clock, log: memLogger(), onEvent: () => undefined,
        load: () => ({ plan: buildVrrpPlan(loadConfigText(CONF, 'k.conf').model), errors: [] }),
      },
    );
    expect(await svc.run()).toEqual({ ok: true });
    const rt = (svc as unknown as { runtime: { onPacket(p: unknown): void } }).runtime;
    rt.onPacket({ family: 4, ifname: 'veth0', buf: v4(99) });
    rt.onPacket({ family: 4, ifname: 'veth1', buf: v4(99) });
    const all = (await svc.rpc('status', {})) as StatusResult;
    expect(all.unattributedDrops).toHaveLength(2);
    const one = (await svc.rpc('status', { instance: 'VI_2' })) as StatusResult;
    expect(one.unattributedDrops).toEqual([{ interface: 'veth1', family: 4, reason: 'vrid_unknown', count: 1 }]);
    await svc.stop();
  });
});
