// One event applied to one instance inside a Draft: start-up (vrrp_init_state), timer expiry
// (vrrp_dispatcher_read_timeout), a received advert (vrrp_dispatcher_read), a tracked object
// changing (down_instance / try_up_instance), an operator override, and shutdown.

import {
  type Draft, armTimer, cancelTimer, gotoMaster, groupOf, initSands, leaveFault, leaveMaster, masterTx, msDown, notify,
  nextAdvertAt, restoreInterface, setEffectivePriority, skew,
} from './fsm-core.js';
import { backupRx, checkAdvert, masterRx } from './fsm-rx.js';
import type { InstanceState, TimerId } from './fsm-types.js';
import { tsmHandle } from './sync-group.js';
import { effectivePriority, evaluateTracks, PRIO_OWNER, type TrackOutcome, type TrackStatus } from './tracking.js';
import { skewMin } from './timers.js';
import type { Advert } from './types.js';

function outcome(i: InstanceState): TrackOutcome {
  return evaluateTracks(i.cfg.tracks, i.trackStatus);
}

function othersDown(d: Draft, i: InstanceState): boolean {
  const g = groupOf(d, i);
  if (!g) return false;
  return g.members.some((m) => {
    const o = d.insts.get(m);
    if (!o || o === i) return false;
    const oc = outcome(o);
    return oc.faults.length > 0 || oc.pending.length > 0;
  });
}

/** vrrp_init_state for one instance. */
export function startInstance(d: Draft, i: InstanceState): void {
  if (i.state !== 'INIT') return;
  const oc = outcome(i);
  if (oc.faults.length > 0) i.wantstate = 'FAULT';
  const g = groupOf(d, i);
  const newState = g ? g.state : i.wantstate;
  const isUp = oc.faults.length === 0;
  const pending = oc.pending.length > 0 || othersPending(d, i);
  if (isUp && !pending && newState === 'MASTER' && i.wantstate === 'MASTER' && i.basePriority === PRIO_OWNER) {
    // keepalived's shortcut for an address owner: time out of BACKUP after 1 microsecond.
    i.state = 'BACKUP';
    i.lastTransition = d.now;
    i.msDownTimerUs = 1;
  } else {
    i.msDownTimerUs =
      newState === 'BACKUP' && i.wantstate === 'MASTER'
        ? i.masterAdverIntUs + skewMin(i.cfg.version, i.masterAdverIntUs) // let one interval pass first
        : msDown(i);
    i.state = isUp && newState !== 'FAULT' && !pending ? 'BACKUP' : 'FAULT';
    i.lastTransition = d.now;
    // A script still in its initial state holds the instance in FAULT without announcing it.
    if (i.state !== 'FAULT' || oc.faults.length > 0) notify(d, i);
  }
  initSands(d, i);
}

function othersPending(d: Draft, i: InstanceState): boolean {
  const g = groupOf(d, i);
  if (!g) return false;
  return g.members.some((m) => {
    const o = d.insts.get(m);
    return !!o && o !== i && outcome(o).pending.length > 0;
  });
}

export function timerExpired(d: Draft, i: InstanceState, timer: TimerId): void {
  const at = i.timers[timer];
  if (at === undefined || at > d.now) {
    d.actions.push({ type: 'discard', instance: i.cfg.name, reason: `timer ${timer} is not due` });
    return;
  }
  delete i.timers[timer];
  if (timer === 'garp-delay') {
    if (i.state === 'MASTER' && i.vipSet) {
      d.actions.push({ type: 'send-garp', instance: i.cfg.name, addrs: [...i.cfg.vips], repeat: i.cfg.garpMasterRepeat });
    }
    return;
  }
  const prev = i.state;
  if (timer === 'master-down' && i.state === 'BACKUP') {
    i.wantstate = 'MASTER';
    gotoMaster(d, i);
  } else if (timer === 'advert' && i.state === 'MASTER') {
    masterTx(d, i);
    tsmHandle(d, prev, i);
    // Arm from the deadline that fired, not from now: the caller's lateness must not accumulate.
    if (i.state === 'MASTER') armTimer(d, i, 'advert', nextAdvertAt(at, i.cfg.advertIntUs, d.now));
    else initSands(d, i);
    return;
  } else {
    return;
  }
  tsmHandle(d, prev, i);
  initSands(d, i);
}

export function advertReceived(d: Draft, i: InstanceState, a: Advert): void {
  const why = checkAdvert(i, a);
  if (why) {
    d.actions.push({ type: 'discard', instance: i.cfg.name, reason: why });
    return;
  }
  if (i.state !== 'BACKUP' && i.state !== 'MASTER') {
    d.actions.push({ type: 'discard', instance: i.cfg.name, reason: `advert received in ${i.state} state` });
    return;
  }
  const prev = i.state;
  if (i.state === 'BACKUP') backupRx(d, i, a);
  else if (masterRx(d, i, a)) leaveMaster(d, i, false);
  tsmHandle(d, prev, i);
  // A master that answered (or received anything) restarts its advert interval, as keepalived does.
  if (i.state !== 'MASTER' || !i.cfg.lowerPrioNoAdvert) initSands(d, i);
}

/** down_instance: a fault appeared. */
function downInstance(d: Draft, i: InstanceState): void {
  i.wantstate = 'FAULT';
  // Held in FAULT without a word (a script in its initial state, or its group's): keepalived's
  // leave_fault announces FAULT now. A member its group already put in FAULT has said so.
  const silent = i.state === 'FAULT' && groupOf(d, i)?.state !== 'FAULT';
  if (i.state === 'MASTER') leaveMaster(d, i, true);
  else leaveFault(d, i);
  if (silent) notify(d, i);
  d.sync.syncFault(d, i);
}

/** try_up_instance: the last fault cleared. */
function tryUpInstance(d: Draft, i: InstanceState): void {
  const owner = i.basePriority === PRIO_OWNER;
  if (!(i.wantstate === 'MASTER' && owner)) i.wantstate = 'BACKUP';
  i.masterAdverIntUs = i.cfg.advertIntUs;
  i.msDownTimerUs = i.wantstate === 'MASTER' ? i.cfg.advertIntUs + skew(i) : msDown(i);
  if (othersDown(d, i)) return; // the group stays in FAULT until every member is healthy
  const want = i.wantstate;
  const g = groupOf(d, i);
  if (g && want === 'MASTER' && !d.sync.canGotoMaster(d, i)) i.wantstate = 'BACKUP';
  leaveFault(d, i);
  i.wantstate = want;
  if (g) {
    if (i.state === 'MASTER') d.sync.syncMaster(d, i);
    else d.sync.syncBackup(d, i);
  }
}

export function trackChanged(d: Draft, i: InstanceState, track: string, status: TrackStatus): void {
  const before = outcome(i);
  i.trackStatus[track] = status;
  const after = outcome(i);
  const computed = effectivePriority(i.basePriority, after.delta);
  if (i.state === 'INIT' || i.state === 'STOP') {
    i.effectivePriority = i.overridePriority ?? computed;
    i.msDownTimerUs = msDown(i);
    return;
  }
  setEffectivePriority(d, i, computed);
  if (after.faults.length > 0) {
    if (before.faults.length === 0) downInstance(d, i);
  } else if (after.pending.length === 0 && (before.faults.length > 0 || before.pending.length > 0)) {
    tryUpInstance(d, i);
  } else if (before.faults.length > 0) {
    faultsClearedWhilePending(d, i);
  }
}

/** try_up_instance when the last fault clears but a weight-0 script has not reported yet: the
 * instance stays in FAULT wanting BACKUP, and its group goes back to INIT (keepalived sets it so
 * whatever the other members; we keep FAULT while another member is still down, which only the
 * group's displayed state can tell apart) so the last member to come up brings them all along. */
function faultsClearedWhilePending(d: Draft, i: InstanceState): void {
  i.wantstate = 'BACKUP';
  const g = groupOf(d, i);
  if (g && g.state === 'FAULT' && !othersFaulted(d, i)) g.state = 'INIT';
}

function othersFaulted(d: Draft, i: InstanceState): boolean {
  const g = groupOf(d, i);
  if (!g) return false;
  return g.members.some((m) => {
    const o = d.insts.get(m);
    return !!o && o !== i && outcome(o).faults.length > 0;
  });
}

/** An operator override. With takeover (promote) a BACKUP becomes MASTER at once, nopreempt and
 * preempt_delay notwithstanding; clearing changes the priority only, so an instance that may stay
 * as it is under its configuration (a nopreempt master) makes no transition. */
export function overridePriority(d: Draft, i: InstanceState, priority: number | null, takeover = false): void {
  i.overridePriority = priority;
  i.overrideTakeover = priority !== null && takeover;
  const computed = effectivePriority(i.basePriority, outcome(i).delta);
  if (i.state === 'INIT' || i.state === 'STOP') {
    i.effectivePriority = priority ?? computed;
    i.msDownTimerUs = msDown(i);
    return;
  }
  setEffectivePriority(d, i, computed);
  if (!i.overrideTakeover || i.state !== 'BACKUP') return;
  // Sync group: wanting MASTER lets the last member promoted take the whole group over.
  i.wantstate = 'MASTER';
  i.preemptTime = null;
  if (gotoMaster(d, i)) tsmHandle(d, 'BACKUP', i);
}

/**
 * set_vrrp_backup (keepalived_netlink.c): a master whose tracked virtual route/rule was deleted goes
 * straight to BACKUP (never FAULT): priority 0 so a peer takes over, VIPs released. Every other
 * MASTER of its sync group does the same and the group is BACKUP (set directly: keepalived sends no
 * group notify here). Each comes back after only Skew_Time unless a master is heard by then.
 */
export function setBackup(d: Draft, i: InstanceState): void {
  if (i.state !== 'MASTER') {
    d.actions.push({ type: 'discard', instance: i.cfg.name, reason: `set-backup in ${i.state} state` });
    return;
  }
  const quickBack = (x: InstanceState): void => {
    x.wantstate = 'BACKUP';
    leaveMaster(d, x, true);
    x.msDownTimerUs = skew(x);
    initSands(d, x);
  };
  quickBack(i);
  const g = groupOf(d, i);
  if (!g) return;
  for (const m of g.members) {
    const o = d.insts.get(m);
    if (o && o !== i && o.state === 'MASTER') quickBack(o);
  }
  g.state = 'BACKUP';
}

/** Daemon stop: a master says goodbye with priority 0 so a backup takes over after Skew_Time. */
export function shutdownInstance(d: Draft, i: InstanceState): void {
  if (i.state === 'STOP') return;
  if (i.state === 'MASTER') restoreInterface(d, i, true);
  cancelTimer(d, i, 'advert');
  cancelTimer(d, i, 'master-down');
  cancelTimer(d, i, 'garp-delay');
  i.state = 'STOP';
  i.wantstate = 'STOP';
  i.lastTransition = d.now;
  notify(d, i);
}
