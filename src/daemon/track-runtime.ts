// The glue between the tracker manager and the VRRP runtime: tracker changes become state machine
// 'track' events and control-socket 'track' events; instance configs get the trackers' initial
// statuses (and lose tracks keepalived disables); status shows every tracked object.
import type { TrackState } from '../control/protocol.js';
import type { InstanceConfig } from '../vrrp/fsm.js';
import type { TrackStatus } from '../vrrp/tracking.js';
import type { InstancePlan } from './instance-config.js';
import { trackKey, type TrackerKind } from './instance-tracks.js';
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
