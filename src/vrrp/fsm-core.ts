// Transitions of one VRRP instance, mirroring keepalived's vrrp.c / vrrp_scheduler.c. These work on
// a Draft: private copies of a node's instances that one step() may change, plus the actions the
// step emits. Nothing here does I/O; the caller's clock comes in as d.now.

import type { Advert } from './types.js';
import type { FsmAction, InstanceState, NotifyState, SyncGroupState, TimerId } from './fsm-types.js';
import { masterDownInterval, skewTime } from './timers.js';

/** Sync-group behaviour the instance transitions call back into (sync-group.ts provides it). */
export interface SyncHooks {
  canGotoMaster(d: Draft, i: InstanceState): boolean;
  syncMaster(d: Draft, i: InstanceState): void;
  syncBackup(d: Draft, i: InstanceState): void;
  syncFault(d: Draft, i: InstanceState): void;
}

export interface Draft {
  now: number;
  insts: Map<string, InstanceState>;
  groups: Map<string, SyncGroupState>;
  /** instance name -> sync group name */
  groupOf: Map<string, string>;
  actions: FsmAction[];
  sync: SyncHooks;
}

export function groupOf(d: Draft, i: InstanceState): SyncGroupState | undefined {
  const g = d.groupOf.get(i.cfg.name);
  return g === undefined ? undefined : d.groups.get(g);
}

/** Master_Down_Interval for the instance as it is now (VRRP_MS_DOWN_TIMER). */
export function msDown(i: InstanceState): number {
  return masterDownInterval(i.cfg.version, i.cfg.downTimerAdverts, i.masterAdverIntUs, i.effectivePriority);
}

export function skew(i: InstanceState): number {
  return skewTime(i.cfg.version, i.effectivePriority, i.masterAdverIntUs);
}

export function armTimer(d: Draft, i: InstanceState, timer: TimerId, at: number): void {
  if (i.timers[timer] === at) return; // already armed for that instant
  i.timers[timer] = at;
  d.actions.push({ type: 'arm-timer', instance: i.cfg.name, timer, at });
}

export function cancelTimer(d: Draft, i: InstanceState, timer: TimerId): void {
  if (i.timers[timer] === undefined) return;
  delete i.timers[timer];
  d.actions.push({ type: 'cancel-timer', instance: i.cfg.name, timer });
}

/** vrrp_init_instance_sands: the one protocol timer follows the state. */
export function initSands(d: Draft, i: InstanceState): void {
  if (i.state === 'MASTER') {
    cancelTimer(d, i, 'master-down');
    armTimer(d, i, 'advert', d.now + i.cfg.advertIntUs);
  } else if (i.state === 'BACKUP') {
    cancelTimer(d, i, 'advert');
    armTimer(d, i, 'master-down', d.now + i.msDownTimerUs);
  } else {
    cancelTimer(d, i, 'advert');
    cancelTimer(d, i, 'master-down');
  }
}

/** The advert deadline after `due`: one interval on. A caller more than an interval late starts
 * afresh from `now` rather than sending a burst to catch up. */
export function nextAdvertAt(due: number, advertIntUs: number, now: number): number {
  const next = due + advertIntUs;
  return next > now ? next : now + advertIntUs;
}

export function sendAdvert(d: Draft, i: InstanceState, priority: number): void {
  const c = i.cfg;
  const advert: Advert = {
    version: c.version,
    family: c.family,
    vrid: c.vrid,
    priority,
    advertIntervalCs: Math.round(c.advertIntUs / 10_000),
    srcAddr: c.primaryAddr,
    addrs: [...c.vips],
    authType: c.authType,
  };
  if (c.authData !== undefined) advert.authData = c.authData;
  d.actions.push({ type: 'send-advert', instance: c.name, advert });
}

export function notify(d: Draft, i: InstanceState): void {
  if (i.state === 'INIT') return;
  d.actions.push({ type: 'notify', instance: i.cfg.name, state: i.state as NotifyState });
}

function setState(d: Draft, i: InstanceState, s: InstanceState['state']): boolean {
  if (i.state === s) return false;
  i.state = s;
  i.lastTransition = d.now;
  return true;
}

/** vrrp_state_become_master: take the VIPs, announce them, start the GARP schedule. */
function becomeMaster(d: Draft, i: InstanceState): void {
  const c = i.cfg;
  i.masterAdverIntUs = c.advertIntUs; // RFC 5798: a master advertises at its own interval
  d.actions.push({ type: 'add-vips', instance: c.name, addrs: [...c.vips] });
  i.vipSet = true;
  d.actions.push({ type: 'send-garp', instance: c.name, addrs: [...c.vips], repeat: c.garpMasterRepeat });
  i.garpRefreshAt = c.garpMasterRefreshUs > 0 ? d.now + c.garpMasterRefreshUs : null;
  notify(d, i);
  if (c.garpMasterDelayUs > 0) armTimer(d, i, 'garp-delay', d.now + c.garpMasterDelayUs);
}

/** vrrp_state_master_tx: advertise first (the old master must drop the VIPs before our GARPs). */
export function masterTx(d: Draft, i: InstanceState): void {
  sendAdvert(d, i, i.effectivePriority);
  if (!i.vipSet) {
    becomeMaster(d, i);
  } else if (i.garpRefreshAt !== null && d.now >= i.garpRefreshAt) {
    // keepalived checks the refresh at each advert rather than on its own timer.
    d.actions.push({ type: 'send-garp', instance: i.cfg.name, addrs: [...i.cfg.vips], repeat: i.cfg.garpMasterRefreshRepeat });
    i.garpRefreshAt = d.now + i.cfg.garpMasterRefreshUs;
  }
}

/** vrrp_state_goto_master; false when the sync group holds us back. */
export function gotoMaster(d: Draft, i: InstanceState): boolean {
  if (groupOf(d, i) && !d.sync.canGotoMaster(d, i)) {
    i.wantstate = 'MASTER';
    return false;
  }
  setState(d, i, 'MASTER');
  initSands(d, i);
  masterTx(d, i);
  return true;
}

/** vrrp_restore_interface: optionally tell the peers we leave (priority 0), drop the VIPs. */
export function restoreInterface(d: Draft, i: InstanceState, advF: boolean): void {
  if (advF) sendAdvert(d, i, 0);
  if (i.vipSet) {
    d.actions.push({ type: 'remove-vips', instance: i.cfg.name, addrs: [...i.cfg.vips] });
    i.vipSet = false;
  }
  cancelTimer(d, i, 'garp-delay');
  i.garpRefreshAt = null;
}

/** vrrp_state_leave_master: to wantstate BACKUP or FAULT. */
export function leaveMaster(d: Draft, i: InstanceState, advF: boolean): void {
  if (i.wantstate === 'BACKUP') {
    i.preemptTime = null;
  } else if (i.wantstate === 'FAULT') {
    // keepalived sends priority 0 here and again in restore_interface when advF; once is enough.
    if (!advF) sendAdvert(d, i, 0);
  } else {
    return;
  }
  restoreInterface(d, i, advF);
  i.state = i.wantstate;
  i.lastTransition = d.now;
  notify(d, i);
  i.msDownTimerUs = msDown(i);
  initSands(d, i);
}

/** vrrp_state_leave_fault: to wantstate (MASTER goes through gotoMaster). */
export function leaveFault(d: Draft, i: InstanceState): void {
  if (i.wantstate === 'MASTER') {
    gotoMaster(d, i);
  } else {
    if (i.wantstate === 'FAULT' && i.state === 'MASTER') {
      sendAdvert(d, i, 0);
      restoreInterface(d, i, false);
    }
    if (setState(d, i, i.wantstate)) notify(d, i);
    if (i.state === 'BACKUP') i.preemptTime = null;
  }
  i.masterAdverIntUs = i.cfg.advertIntUs;
  i.msDownTimerUs = msDown(i);
  initSands(d, i);
}

/** vrrp_set_effective_priority: recompute, and keep a backup's down timer consistent. */
export function setEffectivePriority(d: Draft, i: InstanceState, computed: number): void {
  const next = i.overridePriority ?? computed;
  if (next === i.effectivePriority) return;
  i.effectivePriority = next;
  const old = i.msDownTimerUs;
  i.msDownTimerUs = msDown(i);
  const at = i.timers['master-down'];
  if (i.state === 'BACKUP' && at !== undefined) {
    armTimer(d, i, 'master-down', at + (i.msDownTimerUs - old));
  }
  d.actions.push({ type: 'notify-priority', instance: i.cfg.name, priority: next });
}
