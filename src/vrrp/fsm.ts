// The VRRP state machine, pure: step(state, event, now) -> { state, actions }. No I/O, no clock,
// no randomness: the caller delivers adverts, fires the timers it was asked to arm and performs
// the actions (send the advert, add the VIPs, run the notify script, ...).
//
//                 start                                    shutdown (any state)
//   INIT ───────────────────────┐                          ──────────────────▶ STOP
//     │ start, a tracked         ▼                            (a master first sends priority 0
//     │ object down        ┌──────────┐ master-down timer     and removes its VIPs)
//     └──────────────────▶ │  BACKUP  │ ──────────────────┐
//                          └──────────┘ (owner at start:  ▼
//   ┌───────┐ last fault     ▲      ▲     after 1 µs) ┌──────────┐
//   │ FAULT │ ──cleared──────┘      └─────────────────│  MASTER  │ ◀─┐ advert timer:
//   └───────┘                higher priority advert,   └──────────┘ ──┘ send advert
//     ▲   ▲                  or equal with a higher address │
//     │   └──────────── tracked object down ────────────────┘ (sends priority 0)
//     └──────────────── tracked object down (from BACKUP)
//
// BACKUP re-arms Master_Down_Timer = 3 * Master_Adver_Interval + Skew_Time on each advert it
// accepts; priority 0 shortens it to Skew_Time; a lower priority advert is ignored when we may
// preempt (the timer then runs out and we take over). MASTER restarts its advert interval whenever
// it receives an advert. Sync groups (sync-group.ts) move their members together.
//
// Times are microseconds. Timer ids: 'advert', 'master-down', 'garp-delay'. A timer event whose
// deadline has moved (the instance re-armed it) is discarded, so a driver may fire stale timers.

import type { ConfigIssue, FsmAction, FsmEvent, InstanceConfig, InstanceState } from './fsm-types.js';
import { createNode, stepNode, type StepResult } from './fsm-node.js';

export type * from './fsm-types.js';
export { createNode, stepNode, advertProblem, routeEntry } from './fsm-node.js';
export { routeAdvert, vridConflict, type RouteEntry, type RxMeta, type RouteResult } from './fsm-route.js';
export type { NodeConfig, NodeState, StepResult, CreateNodeResult } from './fsm-node.js';
export { evaluateTracks, effectivePriority, type TrackSpec, type TrackStatus, type TrackKind } from './tracking.js';
export { skewTime, masterDownInterval, TIMER_HZ, TIMER_CENTI_HZ } from './timers.js';

export type CreateInstanceResult =
  | { ok: true; instance: InstanceState; issues: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[] };

/** A stand-alone instance (no sync group), in INIT until it receives { type: 'start' }. */
export function createInstance(config: InstanceConfig): CreateInstanceResult {
  const r = createNode({ instances: [config] });
  if (!r.ok) return r;
  return { ok: true, instance: r.node.instances[0], issues: r.issues };
}

/** Apply one event to a stand-alone instance at time `now` (microseconds). */
export function step(instance: InstanceState, event: FsmEvent, now: number): StepResult<InstanceState> {
  if (!instance || typeof instance !== 'object' || !instance.cfg) {
    const actions: FsmAction[] = [{ type: 'error', where: 'state', message: 'not an instance state (use createInstance)' }];
    return { state: instance, actions };
  }
  const r = stepNode({ instances: [instance], groups: [] }, event, now);
  return { state: r.state.instances[0], actions: r.actions };
}
