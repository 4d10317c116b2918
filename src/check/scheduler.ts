// Runs every checker of every real server on its own delay_loop: first runs spread over the warmup,
// at most `maxInFlight` checks at once (the rest wait their turn in due order), keepalived's retry
// rules, and a change callback per checker flip and per real server up/down or weight change.
// Time, timers and randomness are injected so the spacing logic is tested on a fake clock.
import { setMaxListeners } from 'node:events';
import { aggregate, applyResult, initialState, planStarts, TimerHeap, type CheckerState } from './schedule-core.js';
import type { CheckerEntry, CheckResult, RealServerEntry } from './types.js';

export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: SchedulerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface CheckerChange {
  kind: 'checker';
  checker: CheckerEntry;
  up: boolean;
  detail: string;
}

export interface RealServerChange {
  kind: 'real-server';
  vsKey: string;
  rsKey: string;
  up: boolean;
  weight: number;
  /** The checker result that caused it. */
  detail: string;
}

export type SchedulerChange = CheckerChange | RealServerChange;

export interface CheckerStatus {
  id: string;
  type: string;
  up: boolean;
  detail: string;
  latencyMs: number;
  runs: number;
  failures: number;
  retryIt: number;
}

export interface RealServerStatus {
  vsKey: string;
  rsKey: string;
  up: boolean;
  weight: number;
  checkers: CheckerStatus[];
}

export interface SchedulerOptions {
  clock?: SchedulerClock;
  random?: () => number;
  /** Checks in flight at most (sockets, children). */
  maxInFlight?: number;
  run: (entry: CheckerEntry, signal: AbortSignal) => Promise<CheckResult>;
  onChange?: (c: SchedulerChange) => void;
}

interface Slot {
  entry: CheckerEntry;
  rs: RealServerEntry;
  state: CheckerState;
}

export class CheckScheduler {
  private readonly clock: SchedulerClock;
  private readonly random: () => number;
  private readonly maxInFlight: number;
  private readonly heap = new TimerHeap<Slot>();
  private readonly ready: Slot[] = [];
  private readonly slots = new Map<string, Slot[]>();
  private readonly rsState = new Map<string, { up: boolean; weight: number; rs: RealServerEntry }>();
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private timer: unknown;
  private timerDue = Infinity;
  private stopped = false;
  inFlight = 0;
  peakInFlight = 0;

  constructor(
    servers: RealServerEntry[],
    private readonly o: SchedulerOptions,
  ) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 256);
    // Every check shares one signal: lift the listener cap so thousands in flight do not warn.
    setMaxListeners(0, this.abort.signal);
    for (const rs of servers) {
      // A real server listed twice (keepalived rejects that) keeps all its checkers under one key.
      const list = [...(this.slots.get(rs.rsKey) ?? []), ...rs.checkers.map((entry) => ({ entry, rs, state: initialState(entry.timing) }))];
      this.slots.set(rs.rsKey, list);
      this.rsState.set(rs.rsKey, { ...aggregate(rs.weight, list.map((s) => s.state)), rs });
    }
  }

  /** Schedules every checker's first run (spread over its warmup). */
  start(): void {
    const all = [...this.slots.values()].flat();
    const offsets = planStarts(all.map((s) => s.entry.timing.warmupMs), this.random);
    const now = this.clock.now();
    all.forEach((s, i) => this.heap.push(now + offsets[i], s));
    this.arm();
  }

  /** Stops scheduling, aborts checks in flight and waits (bounded by the checks' own timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  /** up/weight per realServerKey, for the IPVS reconciler. */
  results(): Map<string, { up: boolean; weight: number }> {
    const m = new Map<string, { up: boolean; weight: number }>();
    for (const [k, v] of this.rsState) m.set(k, { up: v.up, weight: v.weight });
    return m;
  }

  snapshot(): RealServerStatus[] {
    return [...this.rsState.entries()].map(([rsKey, v]) => ({
      vsKey: v.rs.vsKey,
      rsKey,
      up: v.up,
      weight: v.weight,
      checkers: (this.slots.get(rsKey) ?? []).map((s) => ({
        id: s.entry.id,
        type: s.entry.spec.type,
        up: s.state.isUp,
        detail: s.state.lastDetail,
        latencyMs: s.state.lastLatencyMs,
        runs: s.state.runs,
        failures: s.state.failures,
        retryIt: s.state.retryIt,
      })),
    }));
  }

  private arm(): void {
    if (this.stopped) return;
    const due = this.heap.peekDue();
    if (due === undefined) return;
    if (this.timer !== undefined && due >= this.timerDue) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.stopped) return;
    const now = this.clock.now();
    for (let due = this.heap.peekDue(); due !== undefined && due <= now; due = this.heap.peekDue()) this.ready.push(this.heap.pop()!);
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.maxInFlight && this.ready.length) this.launch(this.ready.shift()!);
  }

  private launch(slot: Slot): void {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const p = this.o
      .run(slot.entry, this.abort.signal)
      .catch((e: unknown) => ({ ok: false, detail: `check failed: ${String(e)}`, latencyMs: 0 }) as CheckResult)
      .then((r) => this.complete(slot, r))
      .finally(() => {
        this.inFlight--;
        this.running.delete(p);
        this.pump();
      });
    this.running.add(p);
  }

  private complete(slot: Slot, r: CheckResult): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const step = applyResult(slot.state, slot.entry.timing, r, now);
    slot.state = step.state;
    if (step.changed) this.o.onChange?.({ kind: 'checker', checker: slot.entry, up: step.state.isUp, detail: r.detail });
    if (step.changed || step.weightChanged) this.refreshRs(slot.rs, r.detail);
    this.heap.push(now + step.delayMs, slot);
    this.arm();
  }

  private refreshRs(rs: RealServerEntry, detail: string): void {
    const prev = this.rsState.get(rs.rsKey);
    const next = aggregate(rs.weight, (this.slots.get(rs.rsKey) ?? []).map((s) => s.state));
    if (prev && prev.up === next.up && prev.weight === next.weight) return;
    this.rsState.set(rs.rsKey, { ...next, rs });
    this.o.onChange?.({ kind: 'real-server', vsKey: rs.vsKey, rsKey: rs.rsKey, up: next.up, weight: next.weight, detail });
  }
}
