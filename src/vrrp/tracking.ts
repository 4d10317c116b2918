// Tracked objects (interfaces, scripts, files, processes, BFD) and how they move an instance's
// priority, with keepalived's rules:
//  - weight 0: the object failing puts the instance in FAULT ("reverse" swaps what failing means);
//  - weight > 0: added while the object is up; weight < 0: added (so subtracted) while it is down;
//    "reverse" negates the amount (weight 10 reverse: 10 taken off while up);
//  - track_file: the file's value times the weight is added; with weight 0 any non-zero value is a
//    failure, and a product below -253 also means FAULT;
//  - a script that has not reported yet ("init") contributes nothing, and with weight 0 holds the
//    instance out of service until it reports;
//  - the address owner (priority 255) keeps 255 whatever the weights; others are clamped to 1-254.

export type TrackKind = 'interface' | 'script' | 'file' | 'process' | 'bfd';

export interface TrackSpec {
  /** Name of the tracked object (interface name, vrrp_script name, track_file name, ...). */
  name: string;
  kind: TrackKind;
  /** -253..253 for scripts/processes/interfaces; any integer multiplier for files. */
  weight: number;
  reverse?: boolean;
}

/** up/down for a boolean object, a number for a track_file, 'init' before a script first reports. */
export type TrackStatus = boolean | number | 'init';

export const PRIO_OWNER = 255;
/** keepalived: a track_file product below this puts the instance in FAULT. */
export const TRACK_FILE_FAULT_BELOW = -253;

export interface TrackOutcome {
  /** Sum of the weighted contributions. */
  delta: number;
  /** Names of tracks that put the instance in FAULT. */
  faults: string[];
  /** Names of weight-0 tracks still in their initial (unknown) state. */
  pending: string[];
}

/** Evaluate every track against its current status (missing status counts as up / 0). */
export function evaluateTracks(
  specs: readonly TrackSpec[],
  status: Readonly<Record<string, TrackStatus>>,
): TrackOutcome {
  const out: TrackOutcome = { delta: 0, faults: [], pending: [] };
  for (const t of specs) {
    const st = Object.prototype.hasOwnProperty.call(status, t.name) ? status[t.name] : undefined;
    if (st === 'init') {
      if (t.weight === 0) out.pending.push(t.name);
      continue;
    }
    if (t.kind === 'file') {
      const value = typeof st === 'number' ? st : st === false ? 1 : 0;
      if (t.weight === 0) {
        if ((value !== 0) !== !!t.reverse) out.faults.push(t.name);
        continue;
      }
      const product = value * t.weight * (t.reverse ? -1 : 1);
      if (product < TRACK_FILE_FAULT_BELOW) out.faults.push(t.name);
      else out.delta += product;
      continue;
    }
    const up = typeof st === 'number' ? st !== 0 : st !== false;
    if (t.weight === 0) {
      // "ok" is the state in which the object is healthy from the instance's point of view.
      if ((t.reverse ? !up : up) === false) out.faults.push(t.name);
    } else if (t.weight > 0 ? up : !up) {
      // keepalived (vrrp_track.c): a positive weight counts while up, a negative one while down;
      // reverse negates the amount (weight 10 reverse: -10 while up), not when it counts.
      out.delta += t.reverse ? -t.weight : t.weight;
    }
  }
  return out;
}

/** Effective priority from the base priority and the track delta (owner stays 255). */
export function effectivePriority(basePriority: number, delta: number): number {
  if (basePriority === PRIO_OWNER) return PRIO_OWNER;
  const total = basePriority + delta;
  if (total < 1) return 1;
  if (total >= PRIO_OWNER) return PRIO_OWNER - 1;
  return total;
}

/** A status under which `spec` contributes nothing: no weight, no FAULT, not pending. Lets a caller
 * take a track out of an instance through ordinary track events (a reload that disables it). */
export function neutralStatus(spec: TrackSpec): TrackStatus {
  if (spec.kind === 'file') return spec.weight === 0 && spec.reverse ? 1 : 0;
  // Boolean kinds: weight 0 faults while not ok (reverse: while up); a weight counts while up
  // (positive) or down (negative), whatever reverse says.
  if (spec.weight === 0) return !spec.reverse;
  return spec.weight < 0;
}
