// The pure part of the scheduler: first-run spreading, keepalived's retry/state rules per result,
// real server aggregation, and a small timer heap. No I/O, no clock: times are passed in.
import type { CheckerTiming, CheckResult } from './types.js';

export interface CheckerState {
  isUp: boolean;
  hasRun: boolean;
  /** check_api.c's retry_it: failures seen since the last success. */
  retryIt: number;
  /** Weight asked for by the last good result (misc_dynamic, FILE_CHECK). */
  weight?: number;
  lastDetail: string;
  lastLatencyMs: number;
  lastRunAt?: number;
  runs: number;
  failures: number;
}

/** Start state (check_data.c): alpha starts down; retry_it = retry so the first failure is final. */
export function initialState(t: CheckerTiming): CheckerState {
  return { isUp: !t.alpha, hasRun: false, retryIt: t.retry, lastDetail: t.alpha ? 'alpha: down until the first success' : 'not checked yet', lastLatencyMs: 0, runs: 0, failures: 0 };
}

export interface Step {
  state: CheckerState;
  /** Milliseconds until the next run. */
  delayMs: number;
  /** up/down flipped. */
  changed: boolean;
  /** The dynamic weight changed (without a flip). */
  weightChanged: boolean;
}

/**
 * One result through keepalived's epilog: success resets the retries and (re)marks up; a failure
 * while up (or before the first run) retries after delay_before_retry until `retry` is used up,
 * then marks down; a down checker simply keeps checking every delay_loop.
 */
export function applyResult(prev: CheckerState, t: CheckerTiming, r: CheckResult, at: number): Step {
  const s: CheckerState = { ...prev, lastDetail: r.detail, lastLatencyMs: r.latencyMs, lastRunAt: at, runs: prev.runs + 1 };
  let delayMs = t.delayLoopMs;
  if (r.ok) {
    s.retryIt = 0;
    s.isUp = true;
    s.weight = r.weight;
  } else {
    s.failures = prev.failures + 1;
    if ((prev.isUp || !prev.hasRun) && prev.retryIt < t.retry) {
      s.retryIt = prev.retryIt + 1;
      delayMs = t.delayBeforeRetryMs;
    } else {
      s.retryIt = 0;
      s.isUp = false;
      s.weight = undefined;
    }
  }
  s.hasRun = true;
  const changed = s.isUp !== prev.isUp;
  return { state: s, delayMs, changed, weightChanged: !changed && s.isUp && s.weight !== prev.weight };
}

/**
 * First-run offsets: checkers sharing a warmup are spread evenly over it, each at a random point of
 * its own slot (keepalived picks a uniform random delay per checker; the slots keep a burst of
 * thousands from landing together by chance).
 */
export function planStarts(warmups: number[], random: () => number): number[] {
  const groups = new Map<number, number[]>();
  warmups.forEach((w, i) => {
    const g = groups.get(w);
    if (g) g.push(i);
    else groups.set(w, [i]);
  });
  const out = new Array<number>(warmups.length).fill(0);
  for (const [w, idx] of groups) {
    if (!(w > 0)) continue;
    const n = idx.length;
    idx.forEach((i, k) => {
      out[i] = (w * (k + Math.min(Math.max(random(), 0), 0.999999))) / n;
    });
  }
  return out;
}

/** A real server is alive when all its checkers are up; dynamic weights move it around the base. */
export function aggregate(base: number, states: CheckerState[]): { up: boolean; weight: number } {
  let weight = base;
  let up = true;
  for (const s of states) {
    if (!s.isUp) up = false;
    else if (s.weight !== undefined) weight += s.weight - base;
  }
  return { up, weight: Math.max(0, Math.min(2147483647, weight)) };
}

/** Min-heap of (due, seq) -> item. */
export class TimerHeap<T> {
  private readonly a: { due: number; seq: number; item: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.a.length;
  }

  peekDue(): number | undefined {
    return this.a[0]?.due;
  }

  push(due: number, item: T): void {
    const a = this.a;
    a.push({ due, seq: this.seq++, item });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top.item;
  }

  private less(i: number, j: number): boolean {
    const x = this.a[i];
    const y = this.a[j];
    return x.due < y.due || (x.due === y.due && x.seq < y.seq);
  }
}
