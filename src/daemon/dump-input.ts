// From the VRRP runtime's state (and the config's global_defs) to the dumps' plain data
// (dump-types.ts), and the keepalived view that `status --json` carries. Pure: the runtime is read,
// never changed; the time is the runtime's injected clock.
import { hostname, userInfo } from 'node:os';
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import { boolValue, parseDecimal, parseIntStrict } from '../config/values.js';
import type { KeepalivedInstanceView, KeepalivedStats, StatusResult, VrrpStateName } from '../control/protocol.js';
import type { InstanceState } from '../vrrp/fsm-types.js';
import type { DumpConfig, Resolver } from './dump-config.js';
import { linkFacts, type LinkFacts } from './dump-links.js';
import { formatRoute, formatRule, saysNoTrack } from './dump-routes.js';
import type { DumpGlobals, DumpInstance, DumpSnapshot, DumpTracking } from './dump-types.js';
import { OPERATOR_FAULT_PREFIX, type VipSpec } from './instance-config.js';
import { ROUTE_TRACK_PREFIX } from './instance-routes.js';
import { evaluateTracks } from '../vrrp/tracking.js';
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
  const onOff = (kw: string) => {
    const n = child(g, kw);
    return n ? boolValue(word(n)) !== false : undefined;
  };
  const flush = child(g, 'lvs_flush_on_stop') ?? child(g, 'lvs_flush_onstop');
  const server = child(g, 'smtp_server');
  const map = num(child(g, 'max_auto_priority'));
  const out: DumpGlobals = {
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
    rsInitNotifies: onOff('rs_init_notifies') ?? false,
    noCheckerEmails: onOff('no_checker_emails') ?? false,
    checkerLogAllFailures: onOff('checker_log_all_failures') ?? false,
    dynamicInterfaces: onOff('dynamic_interfaces') ?? false,
    lvsFlush: !!child(g, 'lvs_flush'),
    lvsFlushOnStop: !flush ? 'disabled' : word(flush) === 'VS' ? 'VS' : 'full',
    fifoWriteVrrpStatesOnReload: !!child(g, 'fifo_write_vrrp_states_on_reload'),
    vrrpNotifyPriorityChanges: onOff('vrrp_notify_priority_changes') ?? false,
    noEmailFaults: !!child(g, 'no_email_faults'),
    disableLocalIgmp: !!child(g, 'disable_local_igmp'),
    logUnknownVrids: !!child(g, 'log_unknown_vrids'),
  };
  for (const [k, kw] of [['smtpAlert', 'smtp_alert'], ['smtpAlertVrrp', 'smtp_alert_vrrp'], ['smtpAlertChecker', 'smtp_alert_checker']] as const) {
    const b = onOff(kw);
    if (b !== undefined) out[k] = b;
  }
  // max_auto_priority without a value: keepalived's maximum (-1 prints Disabled).
  if (child(g, 'max_auto_priority')) out.maxAutoPriority = map ?? 99;
  const delay = num(child(g, 'vrrp_startup_delay'));
  if (delay) out.vrrpStartupDelayS = delay;
  const vp = word(child(g, 'vmac_prefix'));
  if (vp) out.vmacPrefix = vp;
  const vap = word(child(g, 'vmac_addr_prefix'));
  if (vap) out.vmacAddrPrefix = vap;
  if (server && word(server)) {
    const port = num({ ...server, args: server.args.slice(1) } as ConfNode);
    const emails = (g?.children ?? []).filter((c) => c.keyword === 'notification_email').flatMap((b) => (b.children ?? []).map((c) => c.keyword));
    out.smtp = {
      server: word(server)!, port: port ?? 25, helo: word(child(g, 'smtp_helo_name')) ?? host,
      connectTimeoutS: num(child(g, 'smtp_connect_timeout')) ?? 30, from: word(child(g, 'notification_email_from')) ?? `${userName()}@${host}`, to: emails,
    };
  }
  return out;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
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

/** format_ipaddress: "ADDR[/PREFIX] [brd B] dev IF[@BASE] scope S [label L] [set]" (no prefix for a host address). */
export function formatVip(v: Omit<VipSpec, 'advertised'>, set: boolean, base?: string): string {
  let out = v.prefix === (v.family === 4 ? 32 : 128) ? v.addr : `${v.addr}/${v.prefix}`;
  if (v.family === 4 && v.brd) out += ` brd ${v.brd}`;
  out += ` dev ${v.ifname}${base && base !== v.ifname ? `@${base}` : ''} scope ${v.scope ? SCOPES[v.scope] ?? v.scope : 'global'}`;
  if (v.label) out += ` label ${v.label}`;
  // keepalived's default IPv6 lifetimes: a /128 is added deprecated (preferred_lft 0), others forever.
  if (v.family === 6) out += v.prefix === 128 ? ' deprecated' : ' preferred_lft forever';
  return set ? `${out} set` : out;
}

function wallUs(rt: VrrpRuntime, monoUs: number): number {
  const c = rt.deps.clock;
  return Math.round(c.wallMs() * 1000 + (monoUs - c.nowUs()));
}

function oneInstance(rt: VrrpRuntime, i: InstanceState, io: InstanceIo, g: DumpGlobals, startUs: number, cfg: DumpConfig | null): DumpInstance {
  const p = io.plan;
  // A VIP on a vmac of ours shows its base interface (keepalived's "dev vrrp.51@eth0").
  const baseOf = (ifname: string) => rt.plan.instances.find((x) => x.vmac?.ifname === ifname)?.ifname;
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
    mcastIfindex: rt.addrs.find((a) => a.ifname === (p.vmac && !p.vmac.xmitBase ? p.vmac.ifname : p.ifname))?.ifindex ?? 0,
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
    vips: p.vips.filter((v) => v.advertised).map((v) => formatVip(v, set, baseOf(v.ifname))),
    excludedVips: p.vips.filter((v) => !v.advertised).map((v) => formatVip(v, set, baseOf(v.ifname))),
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
  // Our own weight-0 tracks (operator fault, tracked routes) are not keepalived's tracked objects.
  const ev = evaluateTracks(c.tracks, i.trackStatus);
  const keepalivedTrack = (n: string) => !n.startsWith(OPERATOR_FAULT_PREFIX) && !n.startsWith(ROUTE_TRACK_PREFIX);
  d.trackFaults = ev.faults.filter(keepalivedTrack).length;
  d.scriptsInit = ev.pending.filter((n) => n.startsWith('script:')).length;
  if (p.vmac) d.vmac = { ifname: p.vmac.ifname, base: p.ifname, up: rt.linkUp.get(p.vmac.ifname) ?? false, xmitBase: p.vmac.xmitBase };
  if (p.routes) d.routes = p.routes.map((r) => formatRoute(r.spec, r.text, i.state === 'MASTER'));
  if (p.rules) d.rules = p.rules.map((r) => formatRule(r.spec, saysNoTrack(r.text)));
  const x = cfg?.instances.get(p.name);
  if (x) d.extra = x;
  return d;
}

/** What the dumper adds from outside the runtime: the config side, command resolution, links. */
export interface SnapshotExtras {
  config: DumpConfig | null;
  resolver: Resolver;
  /** The namespace's links as /sys shows them (undefined: no Interfaces section). */
  links?: LinkFacts[];
}

const tracked = (cfg: DumpConfig | null, key: string): DumpTracking[] => cfg?.tracking.get(key)?.map((t) => ({ ...t })) ?? [];

/** vrrp_script, track_file, vrrp_track_process, track_bfd as their trackers run them, in config order. */
function trackerParts(rt: VrrpRuntime, x: SnapshotExtras): Pick<DumpSnapshot, 'scripts' | 'trackFiles' | 'trackProcesses' | 'trackBfds'> {
  const plan = x.config?.trackers ?? rt.plan.trackers;
  const t = rt.trackers;
  const out: Pick<DumpSnapshot, 'scripts' | 'trackFiles' | 'trackProcesses' | 'trackBfds'> = {};
  const INIT = { init: 'INIT', 'init-reload': 'INIT/RELOAD', failed: 'INIT/FAILED', done: 'unknown' } as const;
  out.scripts = (plan?.scripts ?? []).flatMap((def) => {
    const s = t.scripts.get(def.name);
    if (!s) return [];
    const r = x.resolver.command(s.argv, def.user);
    return [{
      name: def.name, cmd: r?.cmd ?? s.argv.map((a) => `'${a}'`).join(' '), intervalS: Math.floor(def.intervalMs / 1000),
      timeoutS: x.config?.scriptTimeoutS.get(def.name) ?? 0, weight: def.weight, reverse: def.reverse, rise: def.rise, fall: def.fall,
      result: s.counter.result, insecure: r?.insecure ?? false, init: INIT[s.counter.init], uid: s.user.uid, gid: s.user.gid,
      tracking: tracked(x.config, `script:${def.name}`), running: s.running,
    }];
  });
  out.trackFiles = (plan?.files ?? []).flatMap((def) => {
    const f = t.files.get(def.name);
    return f ? [{ name: def.name, path: def.path, value: f.value, weight: def.weight, reverse: def.reverse, tracking: tracked(x.config, `file:${def.name}`) }] : [];
  });
  out.trackProcesses = (plan?.processes ?? []).flatMap((def) => {
    const p = t.processes.get(def.name);
    if (!p) return [];
    const d = p.delayRunning;
    const e = {
      name: def.name, process: def.process, params: def.params, paramMatch: def.paramMatch, quorum: def.quorum, current: p.count, haveQuorum: p.up,
      weight: def.weight, reverse: def.reverse, terminateDelayMs: def.terminateDelayMs, forkDelayMs: def.forkDelayMs, forkTimer: d === true,
      terminateTimer: d === false, fullCommand: def.fullCommand, tracking: tracked(x.config, `process:${def.name}`),
    };
    return [def.quorumMax < Number.MAX_SAFE_INTEGER ? { ...e, quorumMax: def.quorumMax } : e];
  });
  out.trackBfds = (plan?.bfds ?? []).filter((b) => t.bfds.has(b.name)).map((b) => ({
    name: b.name, weight: b.weight, reverse: b.reverse, up: t.status(`bfd:${b.name}`) === true, tracking: tracked(x.config, `bfd:${b.name}`),
  }));
  return out;
}

/** Everything the three dumps show, now. startUs: when the runtime started (wall µs). */
export function dumpSnapshot(rt: VrrpRuntime, globals: DumpGlobals, startUs: number, extras?: SnapshotExtras): DumpSnapshot {
  const instances: DumpInstance[] = [];
  const cfg = extras?.config ?? null;
  for (const i of rt.node?.instances ?? []) {
    const io = rt.ios.get(i.cfg.name);
    if (io) instances.push(oneInstance(rt, i, io, globals, startUs, cfg));
  }
  const syncGroups = (rt.node?.groups ?? []).map((grp) => {
    const members = instances.filter((x) => grp.members.includes(x.name));
    return {
      name: grp.name,
      state: grp.state as VrrpStateName,
      members: [...grp.members],
      // keepalived counts members with faults (or scripts in init) of their own, not members in FAULT.
      numMemberFault: members.filter((x) => (x.trackFaults ?? (x.state === 'FAULT' ? 1 : 0)) > 0).length,
      numMemberInit: members.filter((x) => (x.scriptsInit ?? 0) > 0).length,
      ...(cfg?.groups.get(grp.name) ? { extra: cfg.groups.get(grp.name)!, trackingWeight: cfg.groups.get(grp.name)!.trackingWeight } : {}),
    };
  });
  const snap: DumpSnapshot = { globals, instances, syncGroups };
  const st = rt.plan.statics;
  if (st) {
    snap.statics = {
      addresses: st.addresses.map((a) => formatVip(a, true)),
      routes: st.routes.map((r) => formatRoute(r.spec, r.text, true)),
      rules: st.rules.map((r) => formatRule(r.spec, saysNoTrack(r.text))),
    };
  }
  if (extras) {
    Object.assign(snap, trackerParts(rt, extras));
    if (extras.links) snap.interfaces = linkFacts(rt, extras.links);
  }
  return snap;
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
