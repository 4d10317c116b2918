// Receiving an advert in BACKUP and MASTER state (keepalived's vrrp_state_backup and
// vrrp_state_master_rx), after the checks that need the instance's own settings.

import { addrBytes, compareAddrBytes } from './fsm-addr.js';
import { type Draft, msDown, sendAdvert, skew } from './fsm-core.js';
import type { InstanceState } from './fsm-types.js';
import { PRIO_OWNER } from './tracking.js';
import { TIMER_CENTI_HZ } from './timers.js';
import type { Advert } from './types.js';

/** Checks that depend on the instance: the advert must belong to it, or it is discarded. */
export function checkAdvert(i: InstanceState, a: Advert): string | null {
  const c = i.cfg;
  if (a.version !== c.version) return `version ${a.version} advert for a VRRPv${c.version} instance`;
  // VRRPv2 requires equal intervals: accepting others could leave two masters on one VRID.
  if (c.version === 2 && a.advertIntervalCs * TIMER_CENTI_HZ !== c.advertIntUs) {
    return `advert interval mismatch: ours ${c.advertIntUs / 1e6} s, received ${a.advertIntervalCs / 100} s`;
  }
  if (c.authType !== a.authType || (c.authType === 'pass' && (c.authData ?? '') !== (a.authData ?? ''))) {
    return 'authentication mismatch';
  }
  return null;
}

function learnAdverInt(i: InstanceState, a: Advert): void {
  // RFC 5798 6.4.2: a v3 backup adopts the master's advert interval.
  if (i.cfg.version === 3) i.masterAdverIntUs = a.advertIntervalCs * TIMER_CENTI_HZ;
}

/** BACKUP state: refresh or shorten the down timer, or ignore a lower priority we may preempt.
 * The caller re-arms the down timer from msDownTimerUs afterwards (an ignored advert keeps its deadline). */
export function backupRx(d: Draft, i: InstanceState, a: Advert): void {
  const c = i.cfg;
  // An operator's promote wins over the configured preemption rules.
  const nopreempt = c.nopreempt && !i.overrideTakeover;
  const preemptDelayUs = i.overrideTakeover ? 0 : c.preemptDelayUs;
  if (a.priority === 0) {
    // The master is leaving: take over after Skew_Time, not a whole Master_Down_Interval.
    i.msDownTimerUs = skew(i);
  } else if (
    nopreempt ||
    a.priority >= i.effectivePriority ||
    (preemptDelayUs > 0 && (i.preemptTime === null || i.preemptTime > d.now))
  ) {
    learnAdverInt(i, a);
    i.msDownTimerUs = msDown(i);
    i.masterAddr = a.srcAddr;
    i.masterPriority = a.priority;
    if (preemptDelayUs > 0) {
      if (a.priority >= i.effectivePriority) i.preemptTime = null;
      else if (i.preemptTime === null) i.preemptTime = d.now + c.preemptDelayUs;
    }
    // A sync group may have held us in BACKUP wanting MASTER; a live master settles it.
    i.wantstate = 'BACKUP';
  } else {
    // Preempt: let the down timer run out as it was armed, then take over.
    i.masterAddr = a.srcAddr;
    const at = i.timers['master-down'];
    i.msDownTimerUs = at === undefined ? 0 : Math.max(0, at - d.now);
    d.actions.push({ type: 'discard', instance: c.name, reason: `lower priority (${a.priority}) advert from ${a.srcAddr}` });
  }
}

/** MASTER state; returns true when we must step down to BACKUP. */
export function masterRx(d: Draft, i: InstanceState, a: Advert): boolean {
  const c = i.cfg;
  const theirs = addrBytes(a.srcAddr);
  const cmp = theirs ? compareAddrBytes(theirs, c.primaryAddrBytes) : 0;
  const prio = a.priority;
  if (prio === 0 || (c.higherPrioSendAdvert && (prio > i.effectivePriority || (prio === i.effectivePriority && cmp > 0)))) {
    sendAdvert(d, i, i.effectivePriority);
    if (prio === 0) return false;
  }
  if (prio === i.effectivePriority) {
    if (cmp === 0) {
      d.actions.push({ type: 'discard', instance: c.name, reason: `equal priority advert from our own address ${a.srcAddr}` });
    } else if (i.effectivePriority === PRIO_OWNER) {
      // Two address owners: a configuration error; keepalived lowers its own priority to resolve it.
      i.effectivePriority = PRIO_OWNER - 1;
      i.basePriority = PRIO_OWNER - 1;
    }
  }
  if (prio < i.effectivePriority || (prio === i.effectivePriority && cmp < 0)) {
    // A lower priority router thinks it is master: assert ourselves.
    if (!c.lowerPrioNoAdvert) sendAdvert(d, i, i.effectivePriority);
    d.actions.push({ type: 'notify-event', instance: c.name, event: 'master_rx_lower_pri' });
    return false;
  }
  if (prio > i.effectivePriority || (prio === i.effectivePriority && cmp > 0)) {
    learnAdverInt(i, a);
    i.msDownTimerUs = msDown(i);
    i.masterAddr = a.srcAddr;
    i.masterPriority = prio;
    i.wantstate = 'BACKUP';
    return true;
  }
  return false;
}
