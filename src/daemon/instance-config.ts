// From the config model to what the VRRP child runs: per instance the state machine's
// InstanceConfig (less the primary address, which comes from the interface at start-up), the
// receive checks' config, the VIPs as netlink address specs, and what to track. Keywords the model
// has no field for are read from each node's syntax tree here. Pure: no I/O.
import { child, type ConfNode } from '../config/ast.js';
import type { IpAddress, KeepalivedConfig, VrrpInstance } from '../config/model.js';
import { boolValue, parseDecimal, parseIntStrict } from '../config/values.js';
import type { ReloadResult } from '../control/protocol.js';
import type { AddressSpec, Family } from '../net/types.js';
import type { InstanceConfig, SyncGroupConfig } from '../vrrp/fsm.js';
import type { TrackSpec } from '../vrrp/tracking.js';
import type { InstanceConfig as CheckConfig, UnicastPeer } from '../vrrp/validate.js';
import { buildTrackerPlan, instanceTrackRefs, refSpecs, type TrackerPlan, type TrackRef } from './instance-tracks.js';
import { instanceRoutes, newRuleCounter, staticPlan, type InstanceRoutesPlan, type RuleCounter, type StaticPlan } from './instance-routes.js';
import { FALLBACK_ADVERT_INT, FALLBACK_PRIORITY } from '../config/runtime-fate.js';

const validPriority = (p: number): number => (Number.isInteger(p) && p >= 1 && p <= 255 ? p : FALLBACK_PRIORITY);

const HZ = 1_000_000;
/** Internal track names: a prefix keeps an interface apart from a vrrp_script of the same name. */
export const IF_TRACK_PREFIX = 'if:';
/** The operator's `demote --fault`: a weight-0 track of each instance (own name), down while in force. */
export const OPERATOR_FAULT_PREFIX = 'operator-fault:';
/** A usable advert source address: a weight-0 track of each instance (own name), down while the
 * interface has no address of the instance's family (keepalived downs the instance then). */
export const SRC_ADDR_PREFIX = 'source-address:';

export interface VipSpec extends AddressSpec {
  /** Carried in adverts (virtual_ipaddress of the instance's family); false: excluded or other family. */
  advertised: boolean;
}

export interface TrackedInterface {
  ifname: string;
  weight: number;
  reverse: boolean;
  /** The instance's own interface (tracked with weight 0 unless dont_track_primary). */
  own: boolean;
}

export interface InstancePlan extends InstanceRoutesPlan {
  name: string;
  ifname: string;
  family: Family;
  version: 2 | 3;
  vrid: number;
  /** The state machine config without primaryAddr (the runtime fills it in). */
  fsm: Omit<InstanceConfig, 'primaryAddr'>;
  /** unicast_src_ip / mcast_src_ip: the advert source instead of the interface's address. */
  srcAddr?: string;
  unicastPeers: UnicastPeer[];
  /** Every address the master adds: virtual_ipaddress (instance family) first, then virtual_ipaddress_excluded. */
  vips: VipSpec[];
  check: CheckConfig;
  /** vrrp_garp_interval / vrrp_gna_interval: gap between announcements on one interface. */
  garpIntervalUs: number;
  gnaIntervalUs: number;
  tracks: TrackedInterface[];
  /** track_script / track_file / track_process / track_bfd of the instance and its sync group. */
  trackRefs?: TrackRef[];
  syncGroup?: string;
}

export interface PlanIssue {
  where: string;
  message: string;
}

export interface VrrpPlan {
  instances: InstancePlan[];
  syncGroups: SyncGroupConfig[];
  /** The tracked objects (scripts, files, processes, BFD) the instances refer to. */
  trackers?: TrackerPlan;
  /** static_ipaddress / static_routes / static_rules (instance-routes.ts). */
  statics?: StaticPlan;
  issues: PlanIssue[];
}

const word = (n: ConfNode | undefined, i = 0): string | undefined => n?.args[i]?.text;
const numOf = (n: ConfNode | undefined, i = 0): number | undefined => {
  const t = word(n, i);
  return t === undefined ? undefined : parseDecimal(t) ?? parseIntStrict(t);
};
/** A keyword that is a flag or takes an optional on/off (lower_prio_no_advert [on|off]). */
const onOff = (n: ConfNode | undefined): boolean | undefined => (n ? boolValue(word(n)) !== false : undefined);
const secondsUs = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * HZ));

/** Instance keyword, else the global_defs vrrp_* default. */
function pick(inst: ConfNode, g: ConfNode | undefined, kw: string): ConfNode | undefined {
  return child(inst, kw) ?? child(g, `vrrp_${kw}`);
}

function familyOf(vi: VrrpInstance): Family {
  if (vi.family) return vi.family;
  for (const a of [vi.unicastSrcIp, vi.mcastSrcIp, vi.unicastPeers[0]?.addr]) {
    if (a) return a.includes(':') ? 6 : 4;
  }
  return 4;
}

function vipSpec(a: IpAddress, ifname: string, advertised: boolean): VipSpec {
  const spec: VipSpec = {
    ifname: a.dev ?? ifname,
    family: a.family,
    addr: a.addr,
    prefix: a.prefix ?? (a.family === 4 ? 32 : 128),
    advertised,
  };
  if (a.scope) spec.scope = a.scope;
  if (a.family === 4 && a.label) spec.label = a.label;
  if (a.family === 4 && a.brd) spec.brd = a.brd;
  if (a.family === 6) spec.nodad = true; // keepalived adds IPv6 VIPs with IFA_F_NODAD
  return spec;
}

function interfaceTracks(vi: VrrpInstance, model: KeepalivedConfig, ifname: string, issues: PlanIssue[]): TrackedInterface[] {
  const out: TrackedInterface[] = [];
  // keepalived: a sync group member (unless sync_group_tracking_weight) tracks unweighted; an owner drops weighted ones.
  const sg = vi.syncGroup ? model.syncGroups.find((s) => s.name === vi.syncGroup) : undefined;
  const owner = validPriority(vi.priority) === 255;
  const groupNoWeight = sg !== undefined && !child(sg.node, 'sync_group_tracking_weight');
  if (!child(vi.node, 'dont_track_primary')) out.push({ ifname, weight: 0, reverse: false, own: true });
  for (const t of vi.trackInterfaces) {
    if (out.some((o) => o.ifname === t.name)) {
      // keepalived: tracking our own interface explicitly adds nothing; its failure is a fault anyway.
      if (t.name !== ifname) issues.push({ where: `${vi.name}.track_interface`, message: `${t.name} is tracked twice; the first wins` });
      continue;
    }
    let w = t.weight ?? 0;
    if (w !== 0 && (owner || groupNoWeight)) {
      issues.push({ where: `${vi.name}.track_interface`, message: `ignoring ${t.name} tracked interface ${owner ? '' : 'weight '}due to ${owner ? 'address owner' : 'SYNC group'}` });
      if (owner) continue;
      w = 0;
    }
    out.push({ ifname: t.name, weight: Math.max(-253, Math.min(253, w)), reverse: t.reverse, own: false });
  }
  return out;
}

function oneInstance(vi: VrrpInstance, model: KeepalivedConfig, trackers: TrackerPlan, issues: PlanIssue[], ruleCounter: RuleCounter = newRuleCounter()): InstancePlan | null {
  const g = model.globals?.node;
  const n = vi.node;
  const where = (f: string) => `${vi.name}.${f}`;
  if (vi.vrid === undefined || !Number.isInteger(vi.vrid) || vi.vrid < 1 || vi.vrid > 255) {
    issues.push({ where: where('virtual_router_id'), message: 'missing or invalid virtual_router_id; instance not started' });
    return null;
  }
  const ifname = vi.interface ?? word(child(g, 'default_interface')) ?? 'eth0';
  const family = familyOf(vi);
  // Version: the instance's, else global vrrp_version, else 3 for IPv6 (as keepalived), else 2.
  const vNode = numOf(child(n, 'version')) ?? numOf(child(g, 'vrrp_version'));
  const version: 2 | 3 = vNode === 3 || (vNode === undefined && family === 6) ? 3 : 2;
  const otherFamily = vi.vips.filter((a) => a.family !== family);
  for (const a of otherFamily) {
    issues.push({ where: where('virtual_ipaddress'), message: `${a.addr} must match the instance's family (IPv${family}); skipped, as keepalived does` });
  }
  const advertised = vi.vips.filter((a) => a.family === family);
  // virtual_routes/rules and use_vmac (instance-routes.ts): VIPs without a dev go on the vmac.
  const extra = instanceRoutes(vi, {
    ifname, family, useVmac: child(n, 'use_vmac'), xmitBase: !!child(n, 'vmac_xmit_base'), vmacPrefix: word(child(g, 'vmac_prefix')),
  }, ruleCounter, issues);
  const vips = [
    ...advertised.map((a) => vipSpec(a, extra.vipIfname, true)),
    ...vi.excludedVips.map((a) => vipSpec(a, extra.vipIfname, false)),
  ];
  const minGarp = onOff(child(g, 'vrrp_min_garp')) === true;
  const secs = (kw: string) => secondsUs(numOf(pick(n, g, kw)));
  const count = (kw: string) => {
    const v = numOf(pick(n, g, kw));
    return v === undefined ? undefined : Math.min(255, Math.max(1, v)); // keepalived reads 0 as 1
  };
  const authType = version === 2 && vi.authType ? (vi.authType === 'PASS' ? 'pass' : 'ah') : 'none';
  const authData = authType === 'none' ? undefined : (vi.authPass ?? '').slice(0, 8);
  const tracks = interfaceTracks(vi, model, ifname, issues);
  const trackRefs = instanceTrackRefs(vi, model, trackers, issues);
  const fsmTracks: TrackSpec[] = [
    ...tracks.map((t) => ({ name: IF_TRACK_PREFIX + t.ifname, kind: 'interface' as const, weight: t.weight, reverse: t.reverse })),
    ...refSpecs(trackRefs),
    ...extra.tracks,
    { name: OPERATOR_FAULT_PREFIX + vi.name, kind: 'script', weight: 0 },
  ];
  // keepalived ignores an invalid advert_int (the default stays) and uses 100 for an invalid priority.
  const advertInt = vi.advertInt > 0 && vi.advertInt <= 255 ? vi.advertInt : FALLBACK_ADVERT_INT;
  const advertIntUs = Math.round(advertInt * HZ);
  const unicastPeers: UnicastPeer[] = vi.unicastPeers
    .filter((p) => p.family === family)
    .map((p) => {
      const peer: UnicastPeer = { addr: p.addr };
      const min = numOf(p.node, p.node.args.findIndex((a) => a.text === 'min_ttl') + 1);
      const max = numOf(p.node, p.node.args.findIndex((a) => a.text === 'max_ttl') + 1);
      if (p.node.args.some((a) => a.text === 'min_ttl') && min !== undefined) peer.minTtl = min;
      if (p.node.args.some((a) => a.text === 'max_ttl') && max !== undefined) peer.maxTtl = max;
      return peer;
    });
  const fsm: Omit<InstanceConfig, 'primaryAddr'> = {
    name: vi.name,
    vrid: vi.vrid,
    version,
    family,
    interface: ifname,
    unicastPeers: unicastPeers.map((u) => u.addr),
    priority: child(n, 'priority') ? validPriority(vi.priority) : undefined,
    advertIntUs,
    state: vi.state,
    nopreempt: vi.nopreempt,
    preemptDelayUs: secondsUs(vi.preemptDelay),
    vips: advertised.map((a) => a.addr),
    garpMasterDelayUs: minGarp ? 0 : secs('garp_master_delay'),
    garpMasterRepeat: minGarp ? 1 : count('garp_master_repeat'),
    garpMasterRefreshUs: secs('garp_master_refresh'),
    garpMasterRefreshRepeat: count('garp_master_refresh_repeat'),
    downTimerAdverts: numOf(pick(n, g, 'down_timer_adverts')),
    lowerPrioNoAdvert: onOff(pick(n, g, 'lower_prio_no_advert')) ?? false,
    higherPrioSendAdvert: onOff(pick(n, g, 'higher_prio_send_advert')) ?? false,
    authType,
    authData,
    tracks: fsmTracks,
  };
  const strict = onOff(child(n, 'strict_mode')) ?? model.globals?.vrrpStrict ?? false;
  const oldCk = child(n, 'old_unicast_checksum');
  const check: CheckConfig = {
    family,
    version,
    vrid: vi.vrid,
    authType,
    authPass: authData,
    advertIntervalCs: Math.round(advertIntUs / 10_000),
    vips: advertised.map((a) => a.addr),
    unicastPeers,
    skipCheckAdvAddr: onOff(child(n, 'skip_check_adv_addr')) ?? model.globals?.vrrpSkipCheckAdvAddr ?? false,
    checkUnicastSrc: !!(onOff(child(n, 'check_unicast_src')) ?? onOff(child(g, 'vrrp_check_unicast_src'))),
    strict,
    oldUnicastChecksum: oldCk ? (word(oldCk) === 'never' ? 'never' : 'config') : 'none',
  };
  const plan: InstancePlan = {
    name: vi.name, ifname, family, version, vrid: vi.vrid, fsm, unicastPeers, vips, check,
    garpIntervalUs: secondsUs(numOf(child(g, 'vrrp_garp_interval'))) ?? 0,
    gnaIntervalUs: secondsUs(numOf(child(g, 'vrrp_gna_interval'))) ?? 0,
    tracks,
    trackRefs,
    ...extra.fields,
  };
  const src = vi.unicastPeers.length > 0 ? vi.unicastSrcIp ?? vi.mcastSrcIp : vi.mcastSrcIp ?? vi.unicastSrcIp;
  if (src && (src.includes(':') ? 6 : 4) === family) plan.srcAddr = src;
  if (vi.syncGroup) plan.syncGroup = vi.syncGroup;
  return plan;
}

/** The whole VRRP side of a config. Never throws; what cannot run is named in `issues`. */
export function buildVrrpPlan(model: KeepalivedConfig): VrrpPlan {
  const issues: PlanIssue[] = [];
  const instances: InstancePlan[] = [];
  const trackers = buildTrackerPlan(model, issues);
  // Rules without a preference are numbered down from 16384 across the config, as keepalived does.
  const ruleCounter = newRuleCounter();
  const statics = staticPlan(model, word(child(model.globals?.node, 'default_interface')) ?? 'eth0', ruleCounter, issues);
  for (const vi of model.instances) {
    try {
      const p = oneInstance(vi, model, trackers, issues, ruleCounter);
      if (p) instances.push(p);
    } catch (e) {
      issues.push({ where: vi.name || 'vrrp_instance', message: `cannot map instance: ${(e as Error).message}` });
    }
  }
  const names = new Set(instances.map((i) => i.name));
  const groupOf = new Map<string, string | undefined>();
  for (const vi of model.instances) if (!groupOf.has(vi.name)) groupOf.set(vi.name, vi.syncGroup);
  const syncGroups: SyncGroupConfig[] = model.syncGroups
    // A member named in an earlier group too stays there (keepalived: "cannot exist in more than one sync group").
    .map((sg) => ({ name: sg.name, members: sg.members.map((m) => m.name).filter((m) => names.has(m) && groupOf.get(m) === sg.name) }))
    .filter((sg) => sg.members.length > 0);
  return { instances, syncGroups, trackers, ...(statics ? { statics } : {}), issues };
}

/** The state machine's config once the primary address is known (with the source-address track). */
export function fsmConfig(plan: InstancePlan, primaryAddr: string): InstanceConfig {
  return { ...plan.fsm, primaryAddr, tracks: [...(plan.fsm.tracks ?? []), { name: SRC_ADDR_PREFIX + plan.name, kind: 'script', weight: 0 }] };
}

/** What a reload would change, by instance name (an instance is "changed" when any setting differs). */
export function planDiff(oldPlan: VrrpPlan, newPlan: VrrpPlan): ReloadResult['plan'] {
  const key = (p: InstancePlan) => JSON.stringify(p);
  const before = new Map(oldPlan.instances.map((p) => [p.name, key(p)]));
  const after = new Map(newPlan.instances.map((p) => [p.name, key(p)]));
  const out: ReloadResult['plan'] = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [n, k] of after) {
    if (!before.has(n)) out.added.push(n);
    else if (before.get(n) !== k) out.changed.push(n);
    else out.unchanged.push(n);
  }
  for (const n of before.keys()) if (!after.has(n)) out.removed.push(n);
  if (JSON.stringify(oldPlan.syncGroups) !== JSON.stringify(newPlan.syncGroups)) {
    // A sync group change moves its members together: treat them as changed.
    for (const g of newPlan.syncGroups) for (const m of g.members) {
      if (out.unchanged.includes(m)) {
        out.unchanged.splice(out.unchanged.indexOf(m), 1);
        out.changed.push(m);
      }
    }
  }
  return out;
}
