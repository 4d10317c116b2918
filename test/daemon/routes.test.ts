// virtual_routes/virtual_rules, static_*, use_vmac and dont_track_primary in the VRRP runtime, on
// fakes (simulated clock and LAN): what is added and removed, in which order, and what happens when a
// tracked route disappears.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { daemonDiagnostics, fatalErrors } from '../../src/daemon/instance-routes.js';
import { loadNotify } from '../../src/daemon/notify.js';
import type { DaemonEvent } from '../../src/control/protocol.js';
import { FakeClock, FakeLan, memLogger } from './fakes.js';
import { makeHost, S, settle, stateOf, vi } from './hosts.js';

const ROUTES = `
 virtual_routes {
  198.51.100.0/24 via 192.0.2.254 dev veth0 table 100
  blackhole 203.0.113.0/24
 }
 virtual_rules {
  from 192.0.2.100 table 100 priority 100
 }`;
const STATICS = `
static_ipaddress {
 192.0.2.50/24 dev veth0
}
static_routes {
 203.0.113.128/25 via 192.0.2.254 dev veth0
}
static_rules {
 from 198.51.100.7 table 100 priority 50
}
`;

const transitions = (events: DaemonEvent[]) =>
  events.flatMap((e) => (e.type === 'transition' ? [`${e.instance} ${e.transition.from}->${e.transition.to}`] : []));
/** The priority byte of a sent VRRP packet (v2/v3 both keep it at offset 2). */
const priorityOf = (bytes: Uint8Array): number => bytes[2];

const ours = (calls: string[]) => calls.filter((c) => /^(route|rule|vmac|link)|192\.0\.2\.(100|50)/.test(c));

describe('virtual routes and rules follow MASTER', () => {
  it('adds VIPs, routes, rules on MASTER; removes rules, routes, VIPs on leaving; statics from start to stop', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', STATICS + vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', ROUTES), { veth0: ['192.0.2.1'] });
    expect(await a.rt.start()).toEqual({ ok: true });
    await settle(a)();
    // Leftover statics cleared first, then set (keepalived at start); leftover virtual ones cleared.
    expect(ours(a.rtnl.calls)).toEqual([
      'rule del 50', 'route del 203.0.113.128/25 table 254', 'del 192.0.2.50/24 veth0',
      'add 192.0.2.50/24 veth0', 'route add 203.0.113.128/25 table 254', 'rule add 50',
      'rule del 100', 'route del 198.51.100.0/24 table 100', 'route del 203.0.113.0/24 table 254',
    ]);
    a.rtnl.calls.length = 0;
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(ours(a.rtnl.calls)).toEqual(['add 192.0.2.100/24 veth0', 'route add 198.51.100.0/24 table 100', 'route add 203.0.113.0/24 table 254', 'rule add 100']);
    expect(a.rtnl.routes.map((r) => `${r.dst}/${r.dstLen} ${r.table} ${r.protocol} ${r.type}`).sort()).toEqual([
      '198.51.100.0/24 100 18 1', '203.0.113.0/24 254 18 6', '203.0.113.128/25 254 18 1',
    ]);

    // A higher priority peer takes over: rules, routes, then the VIPs go.
    const b = makeHost(lan, clock, 'b', vi('VI_1', 'veth0', 51, 200, '192.0.2.100/24'), { veth0: ['192.0.2.2'] });
    await b.rt.start();
    a.rtnl.calls.length = 0;
    await clock.advance(5 * S, settle(a, b));
    expect(stateOf(a, 'VI_1')).toBe('BACKUP');
    expect(ours(a.rtnl.calls)).toEqual(['rule del 100', 'route del 198.51.100.0/24 table 100', 'route del 203.0.113.0/24 table 254', 'del 192.0.2.100/24 veth0']);
    expect(a.rtnl.routes.map((r) => r.dst)).toEqual(['203.0.113.128']);

    a.rtnl.calls.length = 0;
    await a.rt.stop();
    await b.rt.stop();
    // keepalived clears its static entries at exit.
    expect(ours(a.rtnl.calls)).toEqual(['rule del 50', 'route del 203.0.113.128/25 table 254', 'del 192.0.2.50/24 veth0']);
    expect(a.rtnl.routes).toEqual([]);
    expect(a.rtnl.rules).toEqual([]);
  });

  it('stop from MASTER removes the virtual routes and rules with the VIPs', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', ROUTES), { veth0: ['192.0.2.1'] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(a.rtnl.routes.length).toBe(2);
    await a.rt.stop();
    expect(a.rtnl.routes).toEqual([]);
    expect(a.rtnl.rules).toEqual([]);
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
  });

  it('a tracked virtual route deleted by someone else takes the instance out of MASTER; it comes back and re-adds it', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', STATICS + vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', ROUTES), { veth0: ['192.0.2.1'] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    const before = a.events.length;
    const sentBefore = lan.sent.length;
    a.rtnl.dropRoute((r) => r.dst === '198.51.100.0');
    await settle(a)();
    expect(a.log.lines).toContain('info: (VI_1) virtual route 198.51.100.0/24 via 192.0.2.254 dev veth0 table 100 was deleted; leaving MASTER state');
    // keepalived's set_vrrp_backup: straight to BACKUP, never through FAULT, with a priority 0 advert.
    expect(stateOf(a, 'VI_1')).toBe('BACKUP');
    expect(transitions(a.events.slice(before))).toEqual(['VI_1 MASTER->BACKUP']);
    expect(a.log.lines.filter((l) => l.includes('FAULT'))).toEqual([]);
    expect(lan.sent.slice(sentBefore).filter((x) => x.host === 'a').map((x) => priorityOf(x.bytes))).toEqual([0]);
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    // With no other master it is MASTER again after only Skew_Time (< 1 s at priority 150) and puts everything back.
    await clock.advance(0.5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(transitions(a.events.slice(before))).toEqual(['VI_1 MASTER->BACKUP', 'VI_1 BACKUP->MASTER']);
    expect(a.rtnl.routes.some((r) => r.dst === '198.51.100.0')).toBe(true);
    // The untracked one (no dev: keepalived cannot track it) going away changes nothing.
    a.rtnl.dropRoute((r) => r.dst === '203.0.113.0' && r.dstLen === 24);
    await settle(a)();
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    // A deleted static route is put back.
    a.rtnl.dropRoute((r) => r.dst === '203.0.113.128');
    await settle(a)();
    expect(a.log.lines).toContain('info: Restoring deleted static route 203.0.113.128/25 via 192.0.2.254 dev veth0');
    expect(a.rtnl.routes.some((r) => r.dst === '203.0.113.128')).toBe(true);
    // So is a deleted static address.
    a.rtnl.setAddr('veth0', '192.0.2.50', false);
    await settle(a)();
    expect(a.log.lines).toContain('info: Restoring deleted static address 192.0.2.50/24 dev veth0');
    expect(a.rtnl.has('veth0', '192.0.2.50')).toBe(true);
    await a.rt.stop();
    expect(a.rtnl.has('veth0', '192.0.2.50')).toBe(false);
  });

  it('a tracked route through another interface that goes down takes the instance out of MASTER', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', 'virtual_routes {\n 198.51.100.0/24 dev veth1\n}'), { veth0: ['192.0.2.1'], veth1: [] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    const before = a.events.length;
    a.rtnl.setLink('veth1', false);
    await settle(a)();
    expect(a.log.lines).toContain('info: (VI_1) virtual route 198.51.100.0/24 dev veth1 lost with interface veth1; leaving MASTER state');
    expect(a.rtnl.has('veth0', '192.0.2.100')).toBe(false);
    expect(transitions(a.events.slice(before))).toEqual(['VI_1 MASTER->BACKUP']);
    await a.rt.stop();
  });

  it('a sync group follows: a member losing its tracked rule takes every master of the group to BACKUP (no FAULT), all come back', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const group = 'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n}\n';
    const cfg = group + vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', ROUTES) + vi('VI_2', 'veth0', 52, 150, '192.0.2.101/24');
    const a = makeHost(lan, clock, 'a', cfg, { veth0: ['192.0.2.1'] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    const before = a.events.length;
    // Deleted by someone else (the kernel reports it the same way).
    await a.rtnl.deleteRule(a.rtnl.rules.find((r) => r.priority === 100)!);
    await settle(a)();
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['BACKUP', 'BACKUP']);
    expect(transitions(a.events.slice(before)).sort()).toEqual(['VI_1 MASTER->BACKUP', 'VI_2 MASTER->BACKUP']);
    expect(a.rtnl.has('veth0', '192.0.2.101')).toBe(false);
    await clock.advance(5 * S, settle(a));
    expect([stateOf(a, 'VI_1'), stateOf(a, 'VI_2')]).toEqual(['MASTER', 'MASTER']);
    expect(transitions(a.events.slice(before)).filter((t) => t.includes('FAULT'))).toEqual([]);
    expect(a.rtnl.rules.some((r) => r.priority === 100)).toBe(true);
    await a.rt.stop();
  });
});

describe('reload (HUP)', () => {
  it('static entries follow the new config; a vmac instance keeps sending from its vmac; a vmac no longer configured goes', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const text = (statics: string, vmac: string) => statics + vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', vmac);
    const a = makeHost(lan, clock, 'a', text(STATICS, 'use_vmac'), { veth0: ['192.0.2.1'] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    const next = STATICS.replace('203.0.113.128/25 via 192.0.2.254 dev veth0', '203.0.113.192/26 via 192.0.2.254 dev veth0');
    a.rtnl.calls.length = 0;
    const plan = (t: string) => buildVrrpPlan(loadConfigText(t, 'a.conf').model);
    expect(await a.rt.reload(plan(text(next, 'use_vmac')))).toEqual({ ok: true });
    await settle(a)();
    expect(ours(a.rtnl.calls).filter((c) => c.startsWith('route'))).toEqual(['route del 203.0.113.128/25 table 254', 'route add 203.0.113.192/26 table 254']);
    expect(a.rtnl.routes.map((r) => r.dst)).toEqual(['203.0.113.192']);
    const n = lan.sent.length;
    await clock.advance(3 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(lan.sent.slice(n).filter((x) => x.host === 'a').map((x) => x.ifname)).toContain('vrrp.51');
    expect(await a.rt.reload(plan(text('', '')))).toEqual({ ok: true });
    await settle(a)();
    expect(a.rtnl.links.map((l) => l.ifname)).toEqual(['veth0']);
    expect(a.rtnl.routes).toEqual([]);
    await a.rt.stop();
  });
  it('a carried vmac MASTER keeps its advert schedule across a reload whose netlink work is slow (its socket is never closed)', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const text = (prio: number) => vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', 'use_vmac') + vi('VI_2', 'veth0', 52, prio, '192.0.2.101/24');
    const a = makeHost(lan, clock, 'a', text(100), { veth0: ['192.0.2.1'] });
    await a.rt.start();
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    const vmacSock = a.rt.sockets.get('vrrp.51/4');
    expect(vmacSock).toBeDefined();
    // The reload's VMAC step waits on netlink while 3 advert intervals pass (a loaded host).
    const orig = a.rtnl.ensureVmac.bind(a.rtnl);
    let reached!: () => void;
    const inVmacStep = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    a.rtnl.ensureVmac = async (v) => {
      reached();
      await gate;
      return orig(v);
    };
    const n = lan.sent.length;
    const reloading = a.rt.reload(buildVrrpPlan(loadConfigText(text(120), 'a.conf').model));
    await inVmacStep;
    await clock.advance(3 * S + 1000, settle(a));
    release();
    expect(await reloading).toEqual({ ok: true });
    await settle(a)();
    // One advert per second from the vmac, none missed, from the same socket throughout.
    const vi1 = lan.sent.slice(n).filter((x) => x.host === 'a' && x.ifname === 'vrrp.51');
    expect(vi1.length).toBe(3);
    expect(a.rt.sockets.get('vrrp.51/4')).toBe(vmacSock);
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    await a.rt.stop();
  });
});

describe('use_vmac', () => {
  it('creates vrrp.VRID with the VRRP MAC before the election, puts the VIPs on it, adverts leave from it, removes it at stop', async () => {
    const lan = new FakeLan();
    const clock = new FakeClock();
    const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', 'use_vmac'), { veth0: ['192.0.2.1'] });
    await a.rt.start();
    expect(a.rtnl.calls[0]).toBe('vmac add vrrp.51 00:00:5e:00:01:33 on veth0');
    await clock.advance(5 * S, settle(a));
    expect(stateOf(a, 'VI_1')).toBe('MASTER');
    expect(a.rtnl.has('vrrp.51', '192.0.2.100')).toBe(true);
    expect(a.ann.calls[0]?.ifname).toBe('vrrp.51');
    expect(new Set(lan.sent.filter((x) => x.host === 'a').map((x) => x.ifname))).toEqual(new Set(['vrrp.51']));
    await a.rt.stop();
    expect(a.rtnl.calls.at(-1)).toBe('link del vrrp.51');
    expect(a.rtnl.links.map((l) => l.ifname)).toEqual(['veth0']);
  });

  it('vmac_xmit_base sends from the base interface; a name given to use_vmac is used; unicast forces xmit base', () => {
    const plan = (extra: string) => buildVrrpPlan(loadConfigText(vi('VI_1', 'veth0', 7, 150, '192.0.2.100/24', extra), 'x.conf').model);
    expect(plan('use_vmac vmac7\n vmac_xmit_base').instances[0]).toMatchObject({ vmac: { ifname: 'vmac7', mac: '00:00:5e:00:01:07', xmitBase: true }, vips: [{ ifname: 'vmac7' }] });
    const uni = plan('use_vmac\n unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n }');
    expect(uni.instances[0]?.vmac).toMatchObject({ ifname: 'vrrp.7', xmitBase: true });
    expect(uni.issues.map((i) => i.message)).toContain('unicast with use_vmac requires vmac_xmit_base - setting');
  });

  it('IPv6 instances get 00:00:5e:00:02:VRID', () => {
    const text = 'vrrp_instance V6 {\n interface veth0\n virtual_router_id 10\n priority 100\n use_vmac\n virtual_ipaddress {\n  2001:db8::100/64\n }\n}\n';
    expect(buildVrrpPlan(loadConfigText(text, 'x.conf').model).instances[0]?.vmac?.mac).toBe('00:00:5e:00:02:0a');
  });
});

describe('dont_track_primary', () => {
  it('without it the instance interface going down is a FAULT; with it the instance stays MASTER', async () => {
    for (const [extra, want] of [['', 'FAULT'], ['dont_track_primary', 'MASTER']] as const) {
      const lan = new FakeLan();
      const clock = new FakeClock();
      const a = makeHost(lan, clock, 'a', vi('VI_1', 'veth0', 51, 150, '192.0.2.100/24', extra), { veth0: ['192.0.2.1'] });
      await a.rt.start();
      await clock.advance(5 * S, settle(a));
      expect(stateOf(a, 'VI_1')).toBe('MASTER');
      a.rtnl.setLink('veth0', false);
      await clock.advance(1 * S, settle(a));
      expect(stateOf(a, 'VI_1'), extra || 'tracked').toBe(want);
      await a.rt.stop();
    }
  });
});

// keepalived's alloc_route/alloc_rule report a bad entry and leave it out; the daemon still runs.
describe('invalid route/rule entries are skipped, not fatal (as keepalived 2.2.7)', () => {
  const text = `static_rules {
 from 192.0.2.0/24 table 1
 to 192.0.2./24 table 1
}
static_routes {
 203.0.113.0/24 via 192.0.2.1 table nosuch
}
vrrp_instance VI_1 {
 interface veth0
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  192.0.2.16
 }
 virtual_rules {
  from 198.51.100.0/24 table 2 priority 10
  to 198.51.100./24 table 2
 }
 virtual_routes {
  via 192.0.2.1
  198.51.100.0/24 via 192.0.2.1 dev veth0
 }
}
`;
  it('counts errors on entry lines as skippable, others as fatal, and logs keepalived\'s message on the line', () => {
    const r = loadConfigText(text, 'r.conf');
    expect(r.diagnostics.filter((d) => d.severity === 'error').length).toBeGreaterThan(0);
    expect(fatalErrors(r.diagnostics, r.model.nodes)).toEqual([]);
    const unknown = loadConfigText(`${text}vrrp_sync_group G {\n VI_1\n}\n`, 'r.conf');
    expect(daemonDiagnostics(unknown.diagnostics, unknown.model.nodes).skipped.map((x) => x.log)).toContain("Unknown keyword 'VI_1'");
    expect(fatalErrors(unknown.diagnostics, unknown.model.nodes)).toEqual([]);
    // The notify settings (scripts, FIFOs, smtp_alert) of a config the daemon runs are read too.
    const tmp = mkdtempSync(join(tmpdir(), 'karoutes-'));
    try {
      writeFileSync(join(tmp, 'k.conf'), `${text}vrrp_sync_group G {\n VI_1\n}\n`);
      expect(loadNotify(join(tmp, 'k.conf'), 'x', memLogger())).not.toBeNull();
      writeFileSync(join(tmp, 'k.conf'), `${text}vrrp_instance VI_2 {\n interface veth0\n virtual_router_id 300\n}\n`);
      expect(loadNotify(join(tmp, 'k.conf'), 'x', memLogger())).toBeNull();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const broken = loadConfigText(`${text}vrrp_instance VI_2 {\n interface veth0\n virtual_router_id 300\n}\n`, 'r.conf');
    expect(fatalErrors(broken.diagnostics, broken.model.nodes).map((d) => d.line).filter((l) => l > 24).length).toBeGreaterThan(0);
    const plan = buildVrrpPlan(r.model);
    const msgs = plan.issues.map((i) => `(${i.where}) ${i.message}`);
    expect(msgs).toContain('(r.conf: Line 3) Invalid rule to address 192.0.2./24');
    expect(msgs).toContain('(r.conf: Line 3) VRRP parsed invalid IP 192.0.2./24. skipping IP...');
    expect(msgs).toContain('(r.conf: Line 17) Invalid rule to address 198.51.100./24');
    expect(msgs).toContain('(r.conf: Line 20) Route must have a destination');
    expect(msgs.some((m) => m.startsWith('(r.conf: Line 6) routing table nosuch not found for route'))).toBe(true);
    // The good entries run.
    expect(plan.statics?.rules.map((x) => x.text)).toEqual(['from 192.0.2.0/24 table 1']);
    expect(plan.statics?.routes).toEqual([]);
    expect(plan.instances[0]?.rules?.map((x) => x.text)).toEqual(['from 198.51.100.0/24 table 2 priority 10']);
    expect(plan.instances[0]?.routes?.map((x) => x.text)).toEqual(['198.51.100.0/24 via 192.0.2.1 dev veth0']);
  });
});
