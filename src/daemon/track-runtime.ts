// The glue between the tracker manager and the VRRP runtime: tracker changes become state machine
// 'track' events and control-socket 'track' events; instance configs get the trackers' initial
// statuses (and lose tracks keepalived disables); status shows every tracked object.
import type { TrackState } from '../control/protocol.js';
import type { InstanceConfig, InstanceState } from '../vrrp/fsm.js';
import { neutralStatus, type TrackSpec, type TrackStatus } from '../vrrp/tracking.js';
import type { InstancePlan } from './instance-config.js';
import { refSpecs, trackKey, type TrackerKind } from './instance-tracks.js';
import type { TrackerManager } from './track-manager.js';
import type { VrrpRuntime } from './runtime.js';

/** A tracker changed: one state machine step, and an event per instance that tracks it. */
export function onTrackerChange(rt: VrrpRuntime, key: string, kind: TrackerKind, status: TrackStatus, reason: string): void {
  if (rt.stopping || !rt.node) return;
  rt.dispatch({ type: 'track', track: key, status }, reason);
  for (const p of rt.plan.instances) {
    for (const r of p.trackRefs ?? []) {
      if (r.kind === kind && trackKey(r.kind, r.name) === key) {
        rt.emit({ type: 'track', instance: p.name, track: { name: r.name, kind, weight: r.weight, status } });
      }
    }
  }
}

/** An instance's state machine config with the trackers' current statuses; disabled tracks removed. */
export function withTrackers<T extends InstanceConfig>(trackers: TrackerManager, plan: InstancePlan, cfg: T): T {
  const refs = plan.trackRefs ?? [];
  if (refs.length === 0) return cfg;
  return {
    ...cfg,
    tracks: (cfg.tracks ?? []).filter((t) => !trackers.disabled.has(t.name)),
    initialTrackStatus: { ...(cfg.initialTrackStatus ?? {}), ...trackers.initialStatus(refs.filter((r) => !trackers.disabled.has(trackKey(r.kind, r.name)))) },
  };
}

/** After a reload: instances that kept their state learn statuses that differ from the trackers'. */
export function syncTrackStatus(rt: VrrpRuntime): void {
  retrack(rt);
  const seen = new Set<string>();
  for (const i of rt.node?.instances ?? []) {
    for (const t of i.cfg.tracks ?? []) {
      if (seen.has(t.name)) continue;
      const s = rt.trackers.status(t.name);
      if (s === undefined || i.trackStatus[t.name] === s) continue;
      seen.add(t.name);
      rt.dispatch({ type: 'track', track: t.name, status: s }, 'configuration reload');
    }
  }
}

/** status: the instance's tracked scripts, files, processes and BFD sessions. */
export function trackerStates(trackers: TrackerManager, plan: InstancePlan, trackStatus: Record<string, TrackStatus>): TrackState[] {
  const out: TrackState[] = [];
  for (const r of plan.trackRefs ?? []) {
    const key = trackKey(r.kind, r.name);
    if (trackers.disabled.has(key)) continue;
    const s = key in trackStatus ? trackStatus[key] : trackers.status(key);
    out.push({ name: r.name, kind: r.kind, weight: r.weight, status: s ?? (r.kind === 'file' ? 0 : true) });
  }
  return out;
}

/**
 * keepalived rebuilds every instance at a reload, so an instance the reload leaves unchanged loses
 * the tracks of scripts the reload disables (missing or insecure on disk) and gets back those of
 * scripts enabled again. Ours keeps such instances' state machines, so their tracks are brought in
 * line here through ordinary track events: a dropped track is first renamed for that instance alone
 * and set to a status that counts for nothing (its FAULT clears, its weight goes) and then removed;
 * an added one joins counting for nothing and then gets the tracker's status.
 */
function retrack(rt: VrrpRuntime): void {
  if (!rt.node) return;
  const plans = new Map(rt.plan.instances.map((p) => [p.name, p]));
  for (const i of rt.node.instances) {
    const p = plans.get(i.cfg.name);
    if (!p) continue;
    const refs = refSpecs(p.trackRefs ?? []);
    const managed = new Set(refs.map((r) => r.name));
    const want = refs.filter((r) => !rt.trackers.disabled.has(r.name));
    const wanted = new Set(want.map((r) => r.name));
    for (const t of i.cfg.tracks) {
      if (managed.has(t.name) && !wanted.has(t.name)) dropTrack(rt, i.cfg.name, t);
      else if (!managed.has(t.name) && /^(script|file|process|bfd):/.test(t.name)) dropTrack(rt, i.cfg.name, t);
    }
    for (const t of want) if (!i.cfg.tracks.some((x) => x.name === t.name)) addTrack(rt, i.cfg.name, t);
  }
}

/** Replace one instance of the running node (configuration bookkeeping only; no transition). */
function patch(rt: VrrpRuntime, name: string, f: (i: InstanceState) => InstanceState): void {
  if (!rt.node) return;
  rt.node = { ...rt.node, instances: rt.node.instances.map((i) => (i.cfg.name === name ? f(i) : i)) };
}

function dropTrack(rt: VrrpRuntime, name: string, t: TrackSpec): void {
  const temp = `${t.name}\u0000dropped\u0000${name}`;
  patch(rt, name, (i) => {
    const trackStatus = { ...i.trackStatus, [temp]: i.trackStatus[t.name] ?? neutralStatus(t) };
    delete trackStatus[t.name];
    return { ...i, trackStatus, cfg: { ...i.cfg, tracks: i.cfg.tracks.map((x) => (x.name === t.name ? { ...x, name: temp } : x)) } };
  });
  rt.dispatch({ type: 'track', track: temp, status: neutralStatus(t) }, `configuration reload: ${t.name} no longer tracked`);
  patch(rt, name, (i) => {
    const trackStatus = { ...i.trackStatus };
    delete trackStatus[temp];
    return { ...i, trackStatus, cfg: { ...i.cfg, tracks: i.cfg.tracks.filter((x) => x.name !== temp) } };
  });
  rt.log.log('info', `(${name}) ${t.name} is no longer tracked (configuration reload)`);
}

function addTrack(rt: VrrpRuntime, name: string, t: TrackSpec): void {
  patch(rt, name, (i) => ({ ...i, trackStatus: { ...i.trackStatus, [t.name]: neutralStatus(t) }, cfg: { ...i.cfg, tracks: [...i.cfg.tracks, t] } }));
  // syncTrackStatus then delivers the tracker's status if it differs.
}
