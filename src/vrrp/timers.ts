// VRRP timer arithmetic with keepalived's integer semantics. Every time is in microseconds
// (keepalived's TIMER_HZ), so results match the daemon to the microsecond.

import type { VrrpVersion } from './types.js';

/** Microseconds per second. */
export const TIMER_HZ = 1_000_000;
/** Microseconds per centisecond: the unit of the VRRPv3 advert interval field. */
export const TIMER_CENTI_HZ = 10_000;
/** RFC 3768 / RFC 5798: adverts a backup may miss before it declares the master down. */
export const DOWN_TIMER_ADVERTS = 3;

/**
 * Skew time for a priority delta (256 - priority normally; 1 for the minimum skew).
 * v2: delta/256 seconds. v3: (delta * Master_Adver_Interval)/256, where keepalived truncates the
 * interval to whole centiseconds and computes in integers (625/16 == TIMER_CENTI_HZ/256).
 */
export function skewCalc(version: VrrpVersion, delta: number, masterAdverIntUs: number): number {
  if (version === 3) {
    return Math.floor((delta * Math.floor(masterAdverIntUs / TIMER_CENTI_HZ) * 625) / 16);
  }
  return Math.floor((delta * TIMER_HZ) / 256);
}

/** Skew_Time for an instance advertising `priority`. */
export function skewTime(version: VrrpVersion, priority: number, masterAdverIntUs: number): number {
  return skewCalc(version, 256 - priority, masterAdverIntUs);
}

/** The smallest skew (priority 255): used to wait one interval for another master at start-up. */
export function skewMin(version: VrrpVersion, masterAdverIntUs: number): number {
  return skewCalc(version, 1, masterAdverIntUs);
}

/** Master_Down_Interval = down_timer_adverts * Master_Adver_Interval + Skew_Time. */
export function masterDownInterval(
  version: VrrpVersion,
  downTimerAdverts: number,
  masterAdverIntUs: number,
  priority: number,
): number {
  return downTimerAdverts * masterAdverIntUs + skewTime(version, priority, masterAdverIntUs);
}
