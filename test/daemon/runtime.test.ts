import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpRuntime } from '../../src/daemon/runtime.js';
import type { DaemonEvent } from '../../src/control/protocol.js';
import { encode } from '../../src/vrrp/packet.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

const S = 1_000_000;

function conf(prio: number, extra = '', vrid = 51, body = ''): string {
  return `
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1
  ${extra}
  authentication {
    auth_type PASS
    auth_pass pw
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
${body}`;
}

interface Host {
  rt: VrrpRuntime;
  rtnl: FakeRtnl;
  ann: FakeAnnouncer;
  log: ReturnType<typeof memLogger>;
  events: DaemonEvent[];
  saved: unknown[];
}

function host(lan: FakeLan, clock: FakeClock, name: string, text: string, addr: string, links = ['veth0']): Host {
  const { model } = loadConfigText(text, `${name}.conf`);
  const plan = buildVrrpPlan(model);
  const rtnl = new FakeRtnl(links, links.map((l, i) => ({ ifname: l, addr: addr.includes(':') ? addr : addr.replace(/\.\d+$/, `.${Number(addr.split('.')[3]) + i * 100}`) })));
  if (addr.includes(':')) rtnl.addrs.push({ ifname: 'veth0', addr: `fe80::${name === 'a' ? 1 : 2}`, prefix: 64, family: 6, ifindex: 2, flags: [] });
  const ann = new FakeAnnouncer(clock);
  const log = memLogger(true);
  const events: DaemonEvent[] = [];
  const saved: unknown[] = [];
  const rt = new VrrpRuntime(plan, {
    openVrrpSocket: lan.opener(name), announcer: ann, rtnl, clock, log,
    onEvent: (e) => void events.push(e),
    persistOverrides: (s) => (saved.push(JSON.parse(JSON.stringify(s))), null),
  });
  return { rt, rtnl, ann, log, events, saved };
}

const settle = (...hs: Host[]) => async () => {
  for (let i = 0; i < 3; i++) await Promise.all(hs.map((h) => h.rt.idle()));
};

const stateOf = (h: Host, name = 'VI_1') => h.rt.statusOf(name)?.state;

describe('VRRP runtime on fakes', () => {
  it('elects the higher priority, adds the VIP there only, and sends GARP bursts', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = host(lan, clock, 'a', conf(150), '192.0.2.1');
    const b = host(lan, clock, 'b', conf(100), '192.0.2.2');
    expect(await a.rt.start()).toEqual({ ok: true });
    expect(await b.rt.start()).toEqual({ ok: true });
    expect(stateOf(a)).toBe('BACKUP');
    await clock.advance(5 * S, settle(a, b));
    expect(stateOf(a)).toBe('MASTER');
    expect(stateOf(b)).toBe('BACKUP');
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(true);
    expect(b.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(a.log.lines).toContain('info: (VI_1) Entering BACKUP STATE (init)');
    expect(a.log.lines).toContain('info: (VI_1) Receive advertisement timeout');
    expect(a.log.lines).toContain('info: (VI_1) Entering MASTER STATE');
    const st = b.rt.statusOf('VI_1')!;
    expect(st.masterAddr).toBe('192.0.2.1');
    expect(st.counters.advertsReceived).toBeGreaterThan(0);
    expect(a.rt.statusOf('VI_1')!.counters.becameMaster).toBe(1);
    expect(a.rt.statusOf('VI_1')!.lastTransition).toMatchObject({ from: 'BACKUP', to: 'MASTER', reason: expect.stringMatching(/master down timer/) });
    // garp_master_repeat (5) at once, and 5 more garp_master_delay (5 s) later.
    const becameAt = a.ann.calls[0].at;
    expect(a.ann.calls.filter((c) => c.at === becameAt)).toHaveLength(5);
    await clock.advance(6 * S, settle(a, b));
    expect(a.ann.calls).toHaveLength(10);
    expect(a.ann.calls[9].at).toBe(becameAt + 5 * S);
    expect(a.ann.calls.every((c) => c.ifname === 'veth0' && c.addrs[0] === '192.0.2.100')).toBe(true);
    // The wire: IPv4 adverts to the group, TTL 255, TOS 0xc0, incrementing IP id, our source.
    const mine = lan.sent.filter((s) => s.host === 'a');
    expect(mine.length).toBeGreaterThan(5);
    expect(mine.every((s) => s.dst === '224.0.0.18' && s.bytes[8] === 255 && s.bytes[1] === 0xc0)).toBe(true);
    const ids = mine.map((s) => (s.bytes[4] << 8) | s.bytes[5]);
    expect(ids.slice(1).every((id, i) => id === ids[i] + 1)).toBe(true);
    expect([...mine[0].bytes.subarray(12, 16)]).toEqual([192, 0, 2, 1]);
    expect(a.events.some((e) => e.type === 'transition' && e.transition.to === 'MASTER')).toBe(true);
    await a.rt.stop();
    await b.rt.stop();
  });

  it('SIGTERM path: priority 0 advert, VIPs removed, the backup takes over within skew time', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = host(lan, clock, 'a', conf(150), '192.0.2.1');
    const b = host(lan, clock, 'b', conf(100), '192.0.2.2');
    await a.rt.start();
    await b.rt.start();
    await clock.advance(5 * S, settle(a, b));
    expect(stateOf(a)).toBe('MASTER');
    const before = lan.sent.length;
    await a.rt.stop();
    const bye = lan.sent.slice(before).filter((s) => s.host === 'a');
    expect(bye).toHaveLength(1);
    expect(bye[0].bytes[20 + 2]).toBe(0); // VRRP priority field
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(a.log.lines).toContain('info: (VI_1) sent 0 priority');
    expect(a.rt.statusOf('VI_1')!.state).toBe('STOP');
    expect(lan.openCount()).toBe(1);
    expect(clock.pending()).toBeGreaterThan(0); // b's timers only
    await clock.advance(S, settle(a, b)); // skew time for priority 100 is 0.61 s
    expect(stateOf(b)).toBe('MASTER');
    expect(b.rtnl.has('veth0', '192.0.2.100')).toBe(true);
    expect(b.rt.statusOf('VI_1')!.lastTransition?.reason).toMatch(/priority 0/);
    expect(b.log.lines).toContain('info: (VI_1) Backup received priority 0 advertisement');
    await b.rt.stop();
    expect(lan.openCount()).toBe(0);
  });

  it('counts every dropped packet by reason and never changes state for one', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const b = host(lan, clock, 'b', conf(100), '192.0.2.2');
    await b.rt.start();
    const base = { version: 2 as const, family: 4 as const, vrid: 51, priority: 200, advertIntervalCs: 100, srcAddr: '192.0.2.9', addrs: ['192.0.2.100'], dstAddr: '224.0.0.18' };
    const inject = (spec: Parameters<typeof encode>[0], mut?: (b: Uint8Array) => void) => {
      const e = encode(spec);
      if (!e.ok) throw new Error(e.error);
      mut?.(e.bytes);
      b.rt.onPacket({ family: 4, ifname: 'veth0', buf: e.bytes });
    };
    inject({ ...base, authType: 'pass', authData: 'wrong' });
    inject({ ...base, authType: 'none' });
    inject({ ...base, authType: 'pass', authData: 'pw', ttl: 64 });
    inject({ ...base, authType: 'pass', authData: 'pw', advertIntervalCs: 200 });
    inject({ ...base, authType: 'pass', authData: 'pw', addrs: ['192.0.2.101'] });
    inject({ ...base, authType: 'pass', authData: 'pw' }, (x) => void (x[27] ^= 0xff)); // checksum
    inject({ ...base, authType: 'pass', authData: 'pw', vrid: 52 });
    inject({ ...base, authType: 'pass', authData: 'pw', srcAddr: '192.0.2.2' }); // our own, looped back
    const st = b.rt.statusOf('VI_1')!;
    expect(st.counters.drops).toEqual({
      own_packet: 1, authtype_mismatch: 1, ttl_invalid: 1, auth_password: 1, advert_interval_mismatch: 1, addr_list_mismatch: 1, checksum: 1,
    });
    expect(b.rt.socketDrops.get('veth0/4')?.get('vrid_unknown')).toBe(1);
    expect(st.counters.advertsReceived).toBe(0);
    expect(st.masterAddr).toBeNull();
    // A valid one is accepted and names the master; then the bad ones never moved the state.
    inject({ ...base, authType: 'pass', authData: 'pw' });
    expect(b.rt.statusOf('VI_1')!.counters.advertsReceived).toBe(1);
    expect(b.rt.statusOf('VI_1')!.masterAddr).toBe('192.0.2.9');
    expect(stateOf(b)).toBe('BACKUP');
    await b.rt.stop();
  });

  it('removes VIPs a crash left behind before the first election', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const b = host(lan, clock, 'b', conf(100), '192.0.2.2');
    b.rtnl.addrs.push({ ifname: 'veth0', addr: '192.0.2.100', prefix: 24, family: 4, ifindex: 2, flags: ['permanent'] });
    await b.rt.start();
    expect(b.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(b.rtnl.has('veth0', '192.0.2.2')).toBe(true);
    expect(b.rt.statusOf('VI_1')!.state).toBe('BACKUP');
    await b.rt.stop();
  });

  it('link down on the instance interface -> FAULT with VIPs released; link up -> BACKUP', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = host(lan, clock, 'a', conf(150), '192.0.2.1');
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a)).toBe('MASTER');
    a.rtnl.setLink('veth0', false);
    await settle(a)();
    expect(stateOf(a)).toBe('FAULT');
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(a.rt.statusOf('VI_1')!.tracks).toEqual([{ name: 'veth0', kind: 'interface', weight: 0, status: false }]);
    expect(a.log.lines).toContain('info: (VI_1) Entering FAULT STATE');
    expect(a.rt.statusOf('VI_1')!.lastTransition?.reason).toBe('interface veth0 down');
    a.rtnl.setLink('veth0', true);
    await settle(a)();
    expect(stateOf(a)).toBe('BACKUP');
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a)).toBe('MASTER');
    await a.rt.stop();
  });

  it('track_interface weight lowers the priority so the peer preempts', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const track = 'track_interface {\n veth1 weight -60\n }';
    const a = host(lan, clock, 'a', conf(150, track), '192.0.2.1', ['veth0', 'veth1']);
    const b = host(lan, clock, 'b', conf(100), '192.0.2.2');
    await a.rt.start();
    await b.rt.start();
    await clock.advance(5 * S, settle(a, b));
    expect(stateOf(a)).toBe('MASTER');
    a.rtnl.setLink('veth1', false);
    await clock.advance(5 * S, settle(a, b));
    expect(a.rt.statusOf('VI_1')!.priority.effective).toBe(90);
    expect(stateOf(b)).toBe('MASTER');
    expect(stateOf(a)).toBe('BACKUP');
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    await a.rt.stop();
    await b.rt.stop();
  });

  it('IPv6 VRRPv3: election with link-local sources and nodad VIPs', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const v6 = (p: number) => `vrrp_instance V6 {\n interface veth0\n virtual_router_id 61\n priority ${p}\n advert_int 0.5\n virtual_ipaddress {\n 2001:db8::100/64\n }\n}`;
    const a = host(lan, clock, 'a', v6(200), '2001:db8::1');
    const b = host(lan, clock, 'b', v6(100), '2001:db8::2');
    await a.rt.start();
    await b.rt.start();
    await clock.advance(3 * S, settle(a, b));
    expect(stateOf(a, 'V6')).toBe('MASTER');
    expect(stateOf(b, 'V6')).toBe('BACKUP');
    expect(a.rtnl.calls).toContain('add 2001:db8::100/64 veth0 nodad');
    const s = lan.sent.find((x) => x.host === 'a')!;
    expect(s).toMatchObject({ dst: 'ff02::12', src: 'fe80::1', family: 6 });
    expect(s.bytes[0]).toBe(0x31); // v3 advert
    expect(b.rt.statusOf('V6')!.masterAddr).toBe('fe80::1');
    await a.rt.stop();
    await b.rt.stop();
  });
});

describe('reload in place', () => {
  const two = (p2: number, third = '') => `${conf(150)}
vrrp_instance VI_2 {
  interface veth0
  virtual_router_id 52
  priority ${p2}
  virtual_ipaddress {
    198.51.100.2/24
  }
}
${third}`;
  const vi3 = 'vrrp_instance VI_3 {\n interface veth0\n virtual_router_id 53\n priority 100\n virtual_ipaddress {\n 203.0.113.3/24\n }\n}\n';

  it('keeps unchanged instances running untouched, restarts changed ones, starts added ones, stops removed ones', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = host(lan, clock, 'a', two(120), '192.0.2.1');
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    const t1 = a.rt.statusOf('VI_1')!.lastTransition;
    const sentBefore = lan.sent.length;
    a.rtnl.calls = [];
    const next = buildVrrpPlan(loadConfigText(two(130, vi3), 'a.conf').model);
    expect(await a.rt.reload(next)).toEqual({ ok: true });
    await settle(a)();
    // VI_1: same state, same transition, VIP never removed, no goodbye advert.
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(a.rt.statusOf('VI_1')!.lastTransition).toEqual(t1);
    expect(a.rtnl.calls.filter((c) => c.includes('192.0.2.100'))).toEqual([]);
    const goodbyes = lan.sent.slice(sentBefore).filter((x) => x.bytes[22] === 0).map((x) => x.bytes[21]);
    expect(goodbyes).toEqual([52]); // only VI_2 (changed) said goodbye
    expect(a.rtnl.calls).toContain('del 198.51.100.2/24 veth0');
    expect(a.rt.statusOf('VI_2')!.priority.configured).toBe(130);
    expect([stateOf(a, 'VI_2'), stateOf(a, 'VI_3')]).toEqual(['BACKUP', 'BACKUP']);
    await clock.advance(5 * S, settle(a));
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2'), stateOf(a, 'VI_3')]).toEqual(['MASTER', 'MASTER', 'MASTER']);
    // Removing VI_3 again stops it and releases its VIP.
    expect(await a.rt.reload(buildVrrpPlan(loadConfigText(two(130), 'a.conf').model))).toEqual({ ok: true });
    await settle(a)();
    expect(a.rt.statusOf('VI_3')).toBeUndefined();
    expect(a.rtnl.has('veth0', '203.0.113.3')).toBe(false);
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    await a.rt.stop();
  });
});

describe('reload: the VRRP socket follows its users', () => {
  it('a reload from multicast to unicast replaces the socket (the new one opens first) and a carried master keeps advertising', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const opener = lan.opener('a');
    const { model } = loadConfigText(conf(150), 'a.conf');
    const rtnl = new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr: '192.0.2.1' }]);
    const rt = new VrrpRuntime(buildVrrpPlan(model), { openVrrpSocket: opener, announcer: new FakeAnnouncer(clock), rtnl, clock, log: memLogger(false) });
    expect(await rt.start()).toEqual({ ok: true });
    await clock.advance(5 * S, async () => rt.idle());
    expect(rt.statusOf('VI_1')?.state).toBe('MASTER');
    expect(opener.opened.map((o) => o.joinMulticast)).toEqual([true]);
    // Same config again: the socket stays.
    expect(await rt.reload(buildVrrpPlan(loadConfigText(conf(150), 'a.conf').model))).toEqual({ ok: true });
    expect(opener.opened.length).toBe(1);
    // Unicast peers: the instance changes (it restarts) and the socket no longer joins the group.
    const unicast = conf(150, 'unicast_peer {\n 192.0.2.2\n }');
    expect(await rt.reload(buildVrrpPlan(loadConfigText(unicast, 'a.conf').model))).toEqual({ ok: true });
    expect(opener.opened.map((o) => o.joinMulticast)).toEqual([true, false]);
    expect(lan.openCount()).toBe(1);
    await clock.advance(5 * S, async () => rt.idle());
    expect(rt.statusOf('VI_1')?.state).toBe('MASTER');
    const before = lan.sent.length;
    await clock.advance(3 * S, async () => rt.idle());
    expect(lan.sent.slice(before).filter((x) => x.dst === '192.0.2.2').length).toBeGreaterThanOrEqual(2);
    await rt.stop();
    expect(lan.openCount()).toBe(0);
  });
});

describe('operator overrides in the runtime', () => {
  const group = (p1: number, p2: number) => `
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
}
${conf(p1)}
vrrp_instance VI_2 {
  interface veth0
  virtual_router_id 52
  priority ${p2}
  virtual_ipaddress {
    198.51.100.100/24
  }
}`;

  it('promote moves the whole sync group; clear gives it back; demote --fault releases the VIPs', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = host(lan, clock, 'a', group(150, 150), '192.0.2.1');
    const b = host(lan, clock, 'b', group(100, 100), '192.0.2.2');
    await a.rt.start();
    await b.rt.start();
    await clock.advance(6 * S, settle(a, b));
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    const r = b.rt.setOverride('VI_2', 'promote');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.result.instances).toEqual(['VI_1', 'VI_2']);
      expect(r.result.previous).toEqual({ VI_1: null, VI_2: null });
      expect(r.result.current.VI_1).toMatchObject({ kind: 'promote', priority: 254 });
    }
    await clock.advance(6 * S, settle(a, b));
    expect([stateOf(b, 'VI_1'), stateOf(b, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['BACKUP', 'BACKUP']);
    expect(b.rt.statusOf('VI_1')!.priority).toEqual({ configured: 100, effective: 254, override: 254 });
    expect(b.rt.statusOf('VI_1')!.override?.kind).toBe('promote');
    expect(b.saved.at(-1)).toMatchObject({ overrides: { VI_1: { kind: 'promote' }, VI_2: { kind: 'promote' } } });
    expect(b.events.filter((e) => e.type === 'override')).toHaveLength(2);

    b.rt.setOverride('VI_1', null);
    await clock.advance(6 * S, settle(a, b));
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    expect(b.saved.at(-1)).toEqual({ overrides: {} });

    const f = a.rt.setOverride('VI_1', 'demote-fault');
    expect(f.ok).toBe(true);
    await settle(a, b)();
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['FAULT', 'FAULT']);
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(a.rtnl.has('veth0', '198.51.100.100')).toBe(false);
    await clock.advance(6 * S, settle(a, b));
    expect([stateOf(b, 'VI_1'), stateOf(b, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    expect(a.rt.setOverride('NOPE', 'promote')).toEqual({ ok: false, error: 'no vrrp_instance named NOPE' });
    await a.rt.stop();
    await b.rt.stop();
  });

  it('an override --for expires by itself', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = host(lan, clock, 'a', conf(150), '192.0.2.1');
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    a.rt.setOverride('VI_1', 'demote-fault', 10_000);
    await settle(a)();
    expect(stateOf(a)).toBe('FAULT');
    expect(a.rt.statusOf('VI_1')!.override?.expiresAt).toBe(new Date(clock.wallMs() + 10_000).toISOString());
    await clock.advance(11 * S, settle(a));
    expect(a.rt.statusOf('VI_1')!.override).toBeUndefined();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a)).toBe('MASTER');
    expect(a.events.some((e) => e.type === 'override' && e.override === null)).toBe(true);
    await a.rt.stop();
  });

  it('re-applies persisted overrides at start and drops expired ones', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const { model } = loadConfigText(conf(150), 'a.conf');
    const rtnl = new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr: '192.0.2.1' }]);
    const log = memLogger();
    const wall = clock.wallMs();
    const rt = new VrrpRuntime(
      buildVrrpPlan(model),
      { openVrrpSocket: lan.opener('a'), announcer: new FakeAnnouncer(clock), rtnl, clock, log },
      {
        overrides: {
          VI_1: { kind: 'demote', priority: 1, setAt: new Date(wall - 1000).toISOString() },
          GONE: { kind: 'promote', priority: 254, setAt: new Date(wall).toISOString() },
        },
      },
    );
    await rt.start();
    expect(rt.statusOf('VI_1')!.priority).toEqual({ configured: 150, effective: 1, override: 1 });
    expect(Object.keys(rt.store.overrides)).toEqual(['VI_1']);
    await rt.stop();
  });
});
