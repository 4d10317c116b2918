// From the VRRP runtime's state (and the config's global_defs) to the dumps' plain data
// (dump-types.ts), and the keepalived view that `status --json` carries. Pure: the runtime is read,
// never changed; the time is the runtime's injected clock.
import { hostname } from 'node:os';
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import { boolValue, parseDecimal, parseIntStrict } from '../config/values.js';
import type { KeepalivedInstanceView, KeepalivedStats, StatusResult, VrrpStateName } from '../control/protocol.js';
import type { InstanceState } from '../vrrp/fsm-types.js';
import type { DumpGlobals, DumpInstance, DumpSnapshot } from './dump-types.js';
import type { VipSpec } from './instance-config.js';
import type { InstanceIo } from './runtime-io.js';
import type { VrrpRuntime } from './runtime.js';

const word = (n: ConfNode | undefined): string | undefined => n?.args[0]?.text;
const num = (n: ConfNode | undefined): number | undefined => {
  const t = word(n);
  return t === undefined ? undefined : parseDecimal(t) ?? parseIntStrict(t);
};
const flag = (n: ConfNode | undefined): boolean | undefined => (n ? boolValue(word(n)) !== false : undefined);

/** keepalived's global_defs defaults (global_data.c), overridden by what the config sets. */
export function dumpGlobals(model: KeepalivedConfig | null, host: string = hostname()): DumpGlobals {
  const g = model?.globals?.node;
  const garpDelay = num(child(g, 'vrrp_garp_master_delay')) ?? 5;
  const garpRepeat = num(child(g, 'vrrp_garp_master_repeat')) ?? 5;
  const v = num(child(g, 'vrrp_version'));
  return {
    routerId: word(child(g, 'router_id')) ?? host,
    defaultInterface: word(child(g, 'default_interface')) ?? 'eth0',
    vrrpMcastGroup4: word(child(g, 'vrrp_mcast_group4')) ?? '224.0.0.18',
    vrrpMcastGroup6: word(child(g, 'vrrp_mcast_group6')) ?? 'ff02::12',
    garpDelayS: garpDelay,
    garpRepeat,
    garpRefreshS: num(child(g, 'vrrp_garp_master_refresh')) ?? 0,
    garpRefreshRepeat: num(child(g, 'vrrp_garp_master_refresh_repeat')) ?? 1,
    garpLowerPrioDelayS: num(child(g, 'vrrp_garp_lower_prio_delay')) ?? garpDelay,
    garpLowerPrioRepeat: num(child(g, 'vrrp_garp_lower_prio_repeat')) ?? garpRepeat,
    downTimerAdverts: num(child(g, 'vrrp_down_timer_adverts')) ?? 3,
    lowerPrioNoAdvert: flag(child(g, 'vrrp_lower_prio_no_advert')) ?? false,
    higherPrioSendAdvert: flag(child(g, 'vrrp_higher_prio_send_advert')) ?? false,
    garpIntervalS: num(child(g, 'vrrp_garp_interval')) ?? 0,
    gnaIntervalS: num(child(g, 'vrrp_gna_interval')) ?? 0,
    vrrpVersion: v === 3 ? 3 : 2,
    checkUnicastSrc: flag(child(g, 'vrrp_check_unicast_src')) ?? false,
    skipCheckAdvAddr: model?.globals?.vrrpSkipCheckAdvAddr ?? false,
    strict: model?.globals?.vrrpStrict ?? false,
    scriptSecurity: model?.globals?.enableScriptSecurity ?? false,
  };
}

/** keepalived's vrrp_stats (the dumps' fields, in their order): the counters' own fold of drop
 * reasons into keepalived's statistics, plus what the instance's I/O counts. */
export function keepalivedStats(io: InstanceIo): KeepalivedStats {
  const c = io.counters.keepalivedStats();
  return {
    advert_rcvd: c.advert_rcvd,
    advert_sent: io.advertsSent,
    become_master: io.becameMaster,
    release_master: io.releasedMaster,
    packet_len_err: c.packet_len_err,
    advert_interval_err: c.advert_interval_err,
    ip_ttl_err: c.ip_ttl_err,
    invalid_type_rcvd: c.invalid_type_rcvd,
    addr_list_err: c.addr_list_err,
    invalid_authtype: c.invalid_authtype,
    authtype_mismatch: c.authtype_mismatch,
    auth_failure: c.auth_failure,
    pri_zero_rcvd: c.pri_zero_rcvd,
    pri_zero_sent: io.priorityZeroSent,
  };
}

const SCOPES: Record<string, string> = { '0': 'global', '200': 'site', '253': 'link', '254': 'host', '255': 'nowhere' };

/** format_ipaddress: "ADDR/PREFIX [brd B] dev IF scope S [label L] [set]". */
export function formatVip(v: VipSpec, set: boolean): string {
  let out = `${v.addr}/${v.prefix}`;
  if (v.family === 4 && v.brd) out += ` brd ${v.brd}`;
  out += ` dev ${v.ifname} scope ${v.scope ? SCOPES[v.scope] ?? v.scope : 'global'}`;
  if (v.label) out += ` label ${v.label}`;
  return set ? `${out} set` : out;
}

function wallUs(rt: VrrpRuntime, monoUs: number): number {
  const c = rt.deps.clock;
  return Math.round(c.wallMs() * 1000 + (monoUs - c.nowUs()));
}

function oneInstance(rt: VrrpRuntime, i: InstanceState, io: InstanceIo, g: DumpGlobals, startUs: number): DumpInstance {
  const p = io.plan;
  const c = i.cfg;
  const t = rt.transitions.get(p.name);
  const deadlines = Object.values(i.timers).filter((x): x is number => typeof x === 'number');
  const set = i.vipSet && i.state === 'MASTER';
  const d: DumpInstance = {
    name: p.name,
    version: p.version,
    family: p.family,
    state: i.state as VrrpStateName,
    wantState: i.wantstate as VrrpStateName,
    masterAddr: i.masterAddr,
    masterPriority: i.masterPriority ?? 0,
    masterAdverIntUs: i.masterAdverIntUs,
    lastTransitionUs: t ? Date.parse(t.at) * 1000 : startUs,
    readTimeoutUs: deadlines.length > 0 ? wallUs(rt, Math.min(...deadlines)) : null,
    msDownTimerUs: i.msDownTimerUs,
    ifname: p.ifname,
    srcAddr: p.srcAddr ?? (io.primaryAddr || null),
    srcFromConfig: p.srcAddr !== undefined,
    unicast: p.unicastPeers.length > 0,
    dontTrackPrimary: !p.tracks.some((x) => x.own),
    skipCheckAdvAddr: p.check.skipCheckAdvAddr ?? false,
    strict: p.check.strict ?? false,
    garpDelayUs: c.garpMasterDelayUs,
    garpRepeat: c.garpMasterRepeat,
    garpRefreshUs: c.garpMasterRefreshUs,
    garpRefreshRepeat: c.garpMasterRefreshRepeat,
    // Not modelled per instance: keepalived's defaults follow the global values.
    garpLowerPrioDelayUs: g.garpLowerPrioDelayS * 1_000_000,
    garpLowerPrioRepeat: g.garpLowerPrioRepeat,
    downTimerAdverts: c.downTimerAdverts,
    lowerPrioNoAdvert: c.lowerPrioNoAdvert,
    higherPrioSendAdvert: c.higherPrioSendAdvert,
    vrid: p.vrid,
    basePriority: i.basePriority,
    effectivePriority: i.effectivePriority,
    totalPriority: i.effectivePriority,
    advertIntUs: c.advertIntUs,
    accept: !(p.check.strict ?? false),
    nopreempt: c.nopreempt,
    preemptDelayUs: c.preemptDelayUs,
    promoteSecondaries: false,
    authType: c.authType,
    vips: p.vips.filter((v) => v.advertised).map((v) => formatVip(v, set)),
    excludedVips: p.vips.filter((v) => !v.advertised).map((v) => formatVip(v, set)),
    unicastTtl: 255,
    checkUnicastSrc: p.check.checkUnicastSrc ?? false,
    unicastPeers: p.unicastPeers.map((u) => ({ addr: u.addr, minTtl: u.minTtl ?? 0, maxTtl: u.maxTtl ?? 255 })),
    unicastChecksumCompat: p.check.oldUnicastChecksum === 'none' || !p.check.oldUnicastChecksum ? 'no' : p.check.oldUnicastChecksum,
    trackedInterfaces: p.tracks.filter((x) => !x.own).map((x) => ({ ifname: x.ifname, weight: x.weight, reverse: x.reverse })),
    vipSet: i.vipSet,
    stats: keepalivedStats(io),
  };
  if (p.syncGroup) d.syncGroup = p.syncGroup;
  if (c.authData !== undefined) d.authData = c.authData;
  return d;
}

/** Everything the three dumps show, now. startUs: when the runtime started (wall µs). */
export function dumpSnapshot(rt: VrrpRuntime, globals: DumpGlobals, startUs: number): DumpSnapshot {
  const instances: DumpInstance[] = [];
  for (const i of rt.node?.instances ?? []) {
    const io = rt.ios.get(i.cfg.name);
    if (io) instances.push(oneInstance(rt, i, io, globals, startUs));
  }
  const syncGroups = (rt.node?.groups ?? []).map((grp) => {
    const members = instances.filter((x) => grp.members.includes(x.name));
    return {
      name: grp.name,
      state: grp.state as VrrpStateName,
      members: [...grp.members],
      numMemberFault: members.filter((x) => x.state === 'FAULT').length,
      numMemberInit: members.filter((x) => x.state === 'INIT').length,
    };
  });
  return { globals, instances, syncGroups };
}

/** Adds keepalived's view to each instance of a status result (in place; returns it). */
export function withKeepalivedView(st: StatusResult, rt: VrrpRuntime): StatusResult {
  const byName = new Map((rt.node?.instances ?? []).map((i) => [i.cfg.name, i]));
  for (const s of st.instances) {
    const i = byName.get(s.name);
    const io = rt.ios.get(s.name);
    if (!i || !io) continue;
    const view: KeepalivedInstanceView = {
      stats: keepalivedStats(io),
      wantState: i.wantstate as VrrpStateName,
      masterPriority: i.masterPriority ?? 0,
      vipSet: i.vipSet,
    };
    s.keepalived = view;
  }
  return st;
}
