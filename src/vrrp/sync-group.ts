// vrrp_sync_group: instances that move together (keepalived's vrrp_sync.c). One member going to
// FAULT takes the whole group to FAULT; one member stepping down takes the group to BACKUP; the
// group becomes MASTER only when every member wants to (prefer BACKUP to avoid thrashing).

import {
  type Draft, type SyncHooks, gotoMaster, groupOf, initSands, leaveFault, leaveMaster, msDown,
} from './fsm-core.js';
import type { InstanceState, NotifyState, SyncGroupState, VrrpState } from './fsm-types.js';
import { evaluateTracks } from './tracking.js';

function others(d: Draft, g: SyncGroupState, i: InstanceState): InstanceState[] {
  const out: InstanceState[] = [];
  for (const m of g.members) {
    const o = d.insts.get(m);
    if (o && o !== i) out.push(o);
  }
  return out;
}

function setGroupState(d: Draft, g: SyncGroupState, s: VrrpState): void {
  g.state = s;
  d.actions.push({ type: 'notify-group', group: g.name, state: s as NotifyState });
}

/** vrrp_sync_can_goto_master: everyone else must want MASTER too. */
export function canGotoMaster(d: Draft, i: InstanceState): boolean {
  const g = groupOf(d, i);
  if (!g || g.state === 'MASTER') return true;
  for (const o of others(d, g, i)) {
    if (o.wantstate !== 'MASTER') {
      // Wait another Master_Down_Interval for the others to get ready.
      i.msDownTimerUs = msDown(i);
      initSands(d, i);
      return false;
    }
  }
  return true;
}

export function syncBackup(d: Draft, i: InstanceState): void {
  const g = groupOf(d, i);
  if (!g || g.state === 'BACKUP') return;
  for (const o of others(d, g, i)) {
    if (o.state === 'BACKUP') continue;
    o.wantstate = 'BACKUP';
    if (o.state === 'FAULT' || o.state === 'INIT') leaveFault(d, o);
    else leaveMaster(d, o, false);
  }
  setGroupState(d, g, 'BACKUP');
}

export function syncMaster(d: Draft, i: InstanceState): void {
  const g = groupOf(d, i);
  if (!g || g.state === 'MASTER') return;
  if (!canGotoMaster(d, i)) return;
  for (const o of others(d, g, i)) {
    if (o.state === 'MASTER') continue;
    o.wantstate = 'MASTER';
    gotoMaster(d, o);
  }
  setGroupState(d, g, 'MASTER');
}

export function syncFault(d: Draft, i: InstanceState): void {
  const g = groupOf(d, i);
  if (!g || g.state === 'FAULT') return;
  for (const o of others(d, g, i)) {
    if (o.state === 'FAULT') continue;
    o.wantstate = 'FAULT';
    if (o.state === 'MASTER') leaveMaster(d, o, false);
    else if (o.state === 'BACKUP' || o.state === 'INIT') leaveFault(d, o);
  }
  setGroupState(d, g, 'FAULT');
}

export const syncHooks: SyncHooks = { canGotoMaster, syncMaster, syncBackup, syncFault };

/** keepalived's transition matrix (VRRP_TSM): what the group does after a member moved. */
export function tsmHandle(d: Draft, prev: VrrpState, i: InstanceState): void {
  if (!groupOf(d, i)) return;
  if (i.state === 'MASTER' && (prev === 'BACKUP' || prev === 'MASTER' || prev === 'FAULT')) syncMaster(d, i);
  else if (prev === 'MASTER' && i.state === 'BACKUP') syncBackup(d, i);
}

/** Initial group state: MASTER only if every member is an address owner starting as MASTER. A member
 * held by a weight-0 script still in its initial state leaves the group in INIT (keepalived's
 * initialise_tracking_priorities; a member in FAULT, which the caller checks first, wins): INIT is
 * what lets the member whose track reports last bring the others out of FAULT (syncBackup). */
export function initialGroupState(members: InstanceState[]): VrrpState {
  if (members.some((m) => evaluateTracks(m.cfg.tracks, m.trackStatus).pending.length > 0)) return 'INIT';
  let st: VrrpState = 'INIT';
  for (const m of members) {
    if (st !== 'BACKUP') st = m.wantstate === 'MASTER' && m.basePriority === 255 ? 'MASTER' : 'BACKUP';
  }
  return st;
}
