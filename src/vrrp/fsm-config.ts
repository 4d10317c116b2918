// Turn an InstanceConfig into a ResolvedInstanceConfig: defaults, range checks and the fix-ups
// keepalived applies at start (each reported as a warning), without throwing.

import { addrBytes } from './fsm-addr.js';
import type { ConfigIssue, InstanceConfig, InstanceState, ResolvedInstanceConfig } from './fsm-types.js';
import { evaluateTracks, effectivePriority, PRIO_OWNER, type TrackSpec, type TrackStatus } from './tracking.js';
import { DOWN_TIMER_ADVERTS, masterDownInterval, TIMER_CENTI_HZ, TIMER_HZ } from './timers.js';

const PRIO_DFL = 100;
const GARP_DELAY_DFL = 5 * TIMER_HZ;
const GARP_REP_DFL = 5;
const PREEMPT_DELAY_MAX = 1000 * TIMER_HZ;

export type ResolveResult =
  | { ok: true; config: ResolvedInstanceConfig; issues: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[] };

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function resolveInstanceConfig(c: InstanceConfig): ResolveResult {
  const issues: ConfigIssue[] = [];
  if (c === null || typeof c !== 'object') {
    return { ok: false, issues: [{ severity: 'error', where: 'instance', message: 'configuration is not an object' }] };
  }
  const name = typeof c.name === 'string' && c.name !== '' ? c.name : '?';
  const err = (field: string, message: string) => issues.push({ severity: 'error', where: `${name}.${field}`, message });
  const warn = (field: string, message: string) => issues.push({ severity: 'warning', where: `${name}.${field}`, message });

  if (name === '?') err('name', 'instance name must be a non-empty string');
  if (!isInt(c.vrid) || c.vrid < 1 || c.vrid > 255) err('virtual_router_id', `must be an integer 1-255, got ${String(c.vrid)}`);
  const version = c.version ?? 2;
  if (version !== 2 && version !== 3) err('vrrp_version', `must be 2 or 3, got ${String(c.version)}`);
  const primaryAddrBytes = addrBytes(c.primaryAddr);
  if (!primaryAddrBytes) err('primary address', `not an IP address: ${String(c.primaryAddr)}`);
  const family = c.family ?? (primaryAddrBytes?.length === 16 ? 6 : 4);
  if (family !== 4 && family !== 6) err('family', `must be 4 or 6, got ${String(c.family)}`);
  else if (primaryAddrBytes && primaryAddrBytes.length !== (family === 4 ? 4 : 16)) {
    err('primary address', `${c.primaryAddr} is not an IPv${family} address`);
  }
  const vips = Array.isArray(c.vips) ? c.vips : [];
  if (!Array.isArray(c.vips)) err('virtual_ipaddress', 'must be a list of addresses');
  vips.forEach((v, i) => {
    const b = addrBytes(v);
    if (!b) err(`virtual_ipaddress[${i}]`, `not an IP address: ${String(v)}`);
  });
  if (c.interface !== undefined && (typeof c.interface !== 'string' || c.interface === '')) {
    err('interface', `must be a non-empty interface name, got ${String(c.interface)}`);
  }
  const unicastPeers = Array.isArray(c.unicastPeers) ? c.unicastPeers : [];
  if (c.unicastPeers !== undefined && !Array.isArray(c.unicastPeers)) err('unicast_peer', 'must be a list of addresses');
  unicastPeers.forEach((v, i) => {
    if (!addrBytes(v)) err(`unicast_peer[${i}]`, `not an IP address: ${String(v)}`);
  });
  if (vips.length === 0 && version === 3) err('virtual_ipaddress', 'VRRPv3 needs at least one virtual address');

  const state = c.state ?? undefined;
  if (state !== undefined && state !== 'MASTER' && state !== 'BACKUP') err('state', `must be MASTER or BACKUP, got ${String(state)}`);
  let priority = c.priority ?? (state === 'MASTER' ? PRIO_OWNER : PRIO_DFL);
  if (!isInt(priority) || priority < 1 || priority > 255) {
    err('priority', `must be an integer 1-255, got ${String(c.priority)}`);
    priority = PRIO_DFL;
  }
  const initial: 'MASTER' | 'BACKUP' = state ?? (priority === PRIO_OWNER ? 'MASTER' : 'BACKUP');

  let advertIntUs = c.advertIntUs ?? TIMER_HZ;
  if (!isInt(advertIntUs) || advertIntUs < TIMER_CENTI_HZ || advertIntUs > 255 * TIMER_HZ) {
    err('advert_int', `must be 0.01-255 s in whole microseconds, got ${String(c.advertIntUs)}`);
    advertIntUs = TIMER_HZ;
  } else if (version === 2 && advertIntUs % TIMER_HZ !== 0) {
    const rounded = Math.max(TIMER_HZ, Math.round(advertIntUs / TIMER_HZ) * TIMER_HZ);
    warn('advert_int', `VRRPv2 advert interval must be whole seconds; rounded to ${rounded / TIMER_HZ} s`);
    advertIntUs = rounded;
  } else if (version === 3) {
    if (advertIntUs >= 4096 * TIMER_CENTI_HZ) {
      warn('advert_int', 'VRRPv3 advert interval must be below 40.96 s; set to 40.95 s');
      advertIntUs = 4095 * TIMER_CENTI_HZ;
    } else if (advertIntUs % TIMER_CENTI_HZ !== 0) {
      const rounded = Math.max(1, Math.round(advertIntUs / TIMER_CENTI_HZ)) * TIMER_CENTI_HZ;
      warn('advert_int', `VRRPv3 advert interval is in centiseconds; rounded to ${rounded / TIMER_HZ} s`);
      advertIntUs = rounded;
    }
  }

  let nopreempt = !!c.nopreempt;
  let preemptDelayUs = c.preemptDelayUs ?? 0;
  if (!isInt(preemptDelayUs) || preemptDelayUs < 0 || preemptDelayUs > PREEMPT_DELAY_MAX) {
    err('preempt_delay', `must be 0-1000 s in whole microseconds, got ${String(c.preemptDelayUs)}`);
    preemptDelayUs = 0;
  }
  // keepalived's start-up fix-ups, in its order.
  if (priority === PRIO_OWNER && nopreempt) {
    warn('nopreempt', 'nopreempt is incompatible with priority 255; cleared');
    nopreempt = false;
  }
  if (initial === 'MASTER') {
    if (nopreempt) {
      warn('nopreempt', 'nopreempt does not work with initial state MASTER; cleared');
      nopreempt = false;
    }
    if (preemptDelayUs) {
      warn('preempt_delay', 'preempt_delay does not work with initial state MASTER; cleared');
      preemptDelayUs = 0;
    }
  }
  if (preemptDelayUs && nopreempt) {
    warn('preempt_delay', 'preempt_delay is incompatible with nopreempt; cleared');
    preemptDelayUs = 0;
  }

  const nonNeg = (field: string, v: number | undefined, dfl: number, max: number): number => {
    if (v === undefined) return dfl;
    if (!isInt(v) || v < 0 || v > max) {
      err(field, `must be an integer 0-${max}, got ${String(v)}`);
      return dfl;
    }
    return v;
  };
  const garpMasterDelayUs = nonNeg('garp_master_delay', c.garpMasterDelayUs, GARP_DELAY_DFL, 255 * TIMER_HZ);
  const garpMasterRepeat = nonNeg('garp_master_repeat', c.garpMasterRepeat, GARP_REP_DFL, 255);
  const garpMasterRefreshUs = nonNeg('garp_master_refresh', c.garpMasterRefreshUs, 0, 0x7fffffff);
  const garpMasterRefreshRepeat = nonNeg('garp_master_refresh_repeat', c.garpMasterRefreshRepeat, 1, 255);
  let downTimerAdverts = c.downTimerAdverts ?? DOWN_TIMER_ADVERTS;
  if (!isInt(downTimerAdverts) || downTimerAdverts < 1 || downTimerAdverts > 100) {
    err('down_timer_adverts', `must be an integer 1-100, got ${String(c.downTimerAdverts)}`);
    downTimerAdverts = DOWN_TIMER_ADVERTS;
  }

  const tracks: TrackSpec[] = [];
  const seen = new Set<string>();
  (Array.isArray(c.tracks) ? c.tracks : []).forEach((t, i) => {
    const kinds = ['interface', 'script', 'file', 'process', 'bfd'];
    if (!t || typeof t.name !== 'string' || t.name === '') return err(`track[${i}]`, 'track needs a name');
    if (!kinds.includes(t.kind)) return err(`track[${i}]`, `unknown track kind ${String(t.kind)}`);
    if (!isInt(t.weight)) return err(`track[${i}]`, `weight must be an integer, got ${String(t.weight)}`);
    if (t.kind !== 'file' && (t.weight < -253 || t.weight > 253)) return err(`track[${i}]`, `weight must be -253..253, got ${t.weight}`);
    if (seen.has(t.name)) return err(`track[${i}]`, `${t.name} is tracked twice`);
    seen.add(t.name);
    tracks.push({ name: t.name, kind: t.kind, weight: t.weight, reverse: !!t.reverse });
  });
  if (c.initialTrackStatus !== undefined) {
    for (const [k, v] of Object.entries(c.initialTrackStatus)) {
      if (!seen.has(k)) err('initialTrackStatus', `status given for untracked object ${k}`);
      else if (!validTrackStatus(v)) err('initialTrackStatus', `bad status for ${k}: ${String(v)}`);
    }
  }
  if (issues.some((i) => i.severity === 'error') || !primaryAddrBytes) return { ok: false, issues };
  return {
    ok: true,
    issues,
    config: {
      name, vrid: c.vrid, version, family: family as 4 | 6, ...(c.interface !== undefined ? { interface: c.interface } : {}),
      unicastPeers: [...unicastPeers], priority, advertIntUs, state: initial, nopreempt,
      preemptDelayUs, primaryAddr: c.primaryAddr, primaryAddrBytes, vips: [...vips], garpMasterDelayUs,
      garpMasterRepeat, garpMasterRefreshUs, garpMasterRefreshRepeat, downTimerAdverts,
      lowerPrioNoAdvert: !!c.lowerPrioNoAdvert, higherPrioSendAdvert: !!c.higherPrioSendAdvert,
      authType: c.authType ?? 'none', authData: c.authData, tracks,
    },
  };
}

export function validTrackStatus(v: unknown): v is TrackStatus {
  return typeof v === 'boolean' || v === 'init' || (typeof v === 'number' && Number.isFinite(v));
}

/** A fresh instance in INIT, before the 'start' event. */
export function initialInstanceState(cfg: ResolvedInstanceConfig, trackStatus: Record<string, TrackStatus> = {}): InstanceState {
  const outcome = evaluateTracks(cfg.tracks, trackStatus);
  const eff = effectivePriority(cfg.priority, outcome.delta);
  return {
    cfg,
    state: 'INIT',
    wantstate: cfg.state,
    basePriority: cfg.priority,
    effectivePriority: eff,
    overridePriority: null,
    overrideTakeover: false,
    trackStatus: { ...trackStatus },
    masterAdverIntUs: cfg.advertIntUs,
    msDownTimerUs: masterDownInterval(cfg.version, cfg.downTimerAdverts, cfg.advertIntUs, eff),
    timers: {},
    preemptTime: null,
    masterAddr: null,
    masterPriority: null,
    vipSet: false,
    garpRefreshAt: null,
    lastTransition: null,
  };
}
