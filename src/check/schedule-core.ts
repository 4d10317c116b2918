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
  const s: CheckerState = { ...prev };
  const delayMs = applyResultInPlace(s, t, r.ok, r.detail, r.latencyMs, r.weight, at);
  const changed = s.isUp !== prev.isUp;
  return { state: s, delayMs, changed, weightChanged: !changed && s.isUp && s.weight !== prev.weight };
}

/**
 * applyResult on the state itself, for the scheduler's hot path (no object per check): returns the
 * milliseconds until the next run; the caller compares isUp/weight with what they were.
 */
export function applyResultInPlace(s: CheckerState, t: CheckerTiming, ok: boolean, detail: string, latencyMs: number, weight: number | undefined, at: number): number {
  const wasUp = s.isUp;
  const hadRun = s.hasRun;
  s.lastDetail = detail;
  s.lastLatencyMs = latencyMs;
  s.lastRunAt = at;
  s.runs++;
  s.hasRun = true;
  if (ok) {
    s.retryIt = 0;
    s.isUp = true;
    s.weight = weight;
    return t.delayLoopMs;
  }
  s.failures++;
  if ((wasUp || !hadRun) && s.retryIt < t.retry) {
    s.retryIt++;
    return t.delayBeforeRetryMs;
  }
  s.retryIt = 0;
  s.isUp = false;
  s.weight = undefined;
  return t.delayLoopMs;
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

/** What a DeadlineHeap holds: the item carries its own key and position (no wrapper per push). */
export interface Deadline {
  due: number;
  /** Tie-break: equal deadlines leave in push order. */
  seq: number;
  /** Position in the heap, -1 when not in it. */
  heapIndex: number;
}

/**
 * Intrusive min-heap of deadlines: push, pop and remove in O(log n) with no allocation, so one
 * queue can hold every checker's next run and every connect timeout in flight.
 */
export class DeadlineHeap<T extends Deadline> {
  private readonly a: T[] = [];
  private seq = 0;

  get size(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  push(item: T, due: number): void {
    if (item.heapIndex >= 0) this.remove(item);
    item.due = due;
    item.seq = this.seq++;
    item.heapIndex = this.a.length;
    this.a.push(item);
    this.up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.a[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): void {
    const i = item.heapIndex;
    const a = this.a;
    if (i < 0 || a[i] !== item) return;
    item.heapIndex = -1;
    const last = a.pop()!;
    if (i === a.length) return;
    a[i] = last;
    last.heapIndex = i;
    this.up(i);
    this.down(last.heapIndex);
  }

  private less(x: T, y: T): boolean {
    return x.due < y.due || (x.due === y.due && x.seq < y.seq);
  }

  private up(i: number): void {
    const a = this.a;
    const x = a[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, a[p])) break;
      a[i] = a[p];
      a[i].heapIndex = i;
      i = p;
    }
    a[i] = x;
    x.heapIndex = i;
  }

  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    const x = a[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.less(a[r], a[l]) ? r : l;
      if (!this.less(a[m], x)) break;
      a[i] = a[m];
      a[i].heapIndex = i;
      i = m;
    }
    a[i] = x;
    x.heapIndex = i;
  }
}
