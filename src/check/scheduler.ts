// Runs every checker of every real server on its own delay_loop: first runs spread over the warmup,
// at most `maxInFlight` checks at once (the rest wait their turn in due order), keepalived's retry
// rules, and a change callback per checker flip and per real server up/down or weight change.
// One deadline queue and one timer drive everything: each checker's next run and, for direct
// probes (TCP_CHECK), the connect deadline of the run in flight. When checks start later than due
// (more work than CPU or maxInFlight allow) the lag is counted and reported, never queued twice:
// each checker is in the queue at most once and its next run is planned from its last completion.
// Time, timers and randomness are injected so the spacing logic is tested on a fake clock.
import { setMaxListeners } from 'node:events';
import { aggregate, applyResultInPlace, initialState, planStarts, DeadlineHeap, type CheckerState } from './schedule-core.js';
import type { CheckerEntry, CheckResult, DirectProbe, ProbeDone, RealServerEntry } from './types.js';

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
  /** When the last run started (wall ms); absent before the first (the checker data dump's "Last ran"). */
  lastRunWallMs?: number;
}

export interface RealServerStatus {
  vsKey: string;
  rsKey: string;
  up: boolean;
  weight: number;
  checkers: CheckerStatus[];
}

/** How late checks start: reported (at most every `lagReportMs`) while behind, and once caught up. */
export interface SchedulerLag {
  behind: boolean;
  /** Worst start delay past due in the window, ms. */
  maxLagMs: number;
  /** Runs that started more than `lagThresholdMs` late in the window. */
  lateRuns: number;
  /** Runs started in the window. */
  runs: number;
  /** Checkers due but waiting for a free slot (maxInFlight) right now. */
  waiting: number;
  windowMs: number;
}

export interface SchedulerStats {
  /** Runs started since start(). */
  runs: number;
  /** Of them, started more than lagThresholdMs past due. */
  lateRuns: number;
  maxLagMs: number;
  inFlight: number;
  peakInFlight: number;
  waiting: number;
}

export interface SchedulerOptions {
  clock?: SchedulerClock;
  random?: () => number;
  /** Checks in flight at most (sockets, children). */
  maxInFlight?: number;
  run: (entry: CheckerEntry, signal: AbortSignal) => Promise<CheckResult>;
  /**
   * A direct probe for checkers that have one (TCP_CHECK): made once per checker, started and
   * timed out by the scheduler itself. Checkers without one go through `run`.
   */
  probe?: (entry: CheckerEntry, done: ProbeDone) => DirectProbe | undefined;
  onChange?: (c: SchedulerChange) => void;
  onLag?: (l: SchedulerLag) => void;
  /** A start later than this past due counts as late (default 1000 ms). */
  lagThresholdMs?: number;
  /** Lag reports at most this often (default 10 s). */
  lagReportMs?: number;
  /** The timer fires at most this often; due checks are batched (default 4 ms). */
  tickMs?: number;
}

const IDLE = 0;
const RUNNING = 1; // through `run` (promise)
const PROBING = 2; // direct probe; its connect deadline is in the heap

class Slot {
  due = 0;
  seq = 0;
  heapIndex = -1;
  phase = IDLE;
  startedAt = 0;
  /** ha_suspend: keepalived's checker->enabled false; its turns pass without a check. */
  suspended = false;
  probe: DirectProbe | undefined;
  readonly state: CheckerState;
  /** Bound once per checker: the probe's completion. */
  readonly done: ProbeDone;

  constructor(
    readonly entry: CheckerEntry,
    readonly rs: RealServerEntry,
    sched: CheckScheduler,
  ) {
    this.state = initialState(entry.timing);
    this.done = (ok, detail) => sched.probeDone(this, ok, detail);
  }
}

export class CheckScheduler {
  private readonly clock: SchedulerClock;
  private readonly random: () => number;
  private readonly maxInFlight: number;
  private readonly tickMs: number;
  private readonly lagThresholdMs: number;
  private readonly lagReportMs: number;
  private readonly heap = new DeadlineHeap<Slot>();
  /** Due checkers waiting for a free slot, FIFO from `readyHead`. */
  private ready: Slot[] = [];
  private readyHead = 0;
  private readonly all: Slot[] = [];
  private readonly slots = new Map<string, Slot[]>();
  private readonly rsState = new Map<string, { up: boolean; weight: number; rs: RealServerEntry }>();
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private timer: unknown;
  private timerDue = Infinity;
  private lastFire = -Infinity;
  private stopped = false;
  private readonly total = { runs: 0, lateRuns: 0, maxLagMs: 0 };
  private win = { start: 0, runs: 0, lateRuns: 0, maxLagMs: 0, behind: false };
  inFlight = 0;
  peakInFlight = 0;

  constructor(
    servers: RealServerEntry[],
    private readonly o: SchedulerOptions,
  ) {
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 256);
    this.tickMs = Math.max(0, o.tickMs ?? 4);
    this.lagThresholdMs = o.lagThresholdMs ?? 1000;
    this.lagReportMs = o.lagReportMs ?? 10_000;
    // Promise-run checks share one signal: lift the listener cap so thousands in flight do not warn.
    setMaxListeners(0, this.abort.signal);
    for (const rs of servers) {
      // A real server listed twice (keepalived rejects that) keeps all its checkers under one key.
      const list = this.slots.get(rs.rsKey) ?? [];
      for (const entry of rs.checkers) {
        const slot = new Slot(entry, rs, this);
        slot.probe = o.probe?.(entry, slot.done);
        list.push(slot);
        this.all.push(slot);
      }
      this.slots.set(rs.rsKey, list);
      this.rsState.set(rs.rsKey, { ...aggregate(rs.weight, list.map((s) => s.state)), rs });
    }
  }

  /** Schedules every checker's first run (spread over its warmup). */
  start(): void {
    const offsets = planStarts(this.all.map((s) => s.entry.timing.warmupMs), this.random);
    const now = this.clock.now();
    this.win.start = now;
    this.all.forEach((s, i) => this.heap.push(s, now + offsets[i]));
    this.arm();
  }

  /** Stops scheduling, cancels checks in flight and waits (bounded by the checks' own timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.all) {
      if (s.phase === PROBING) {
        s.probe!.cancel();
        s.phase = IDLE;
        this.inFlight--;
      }
      // A probe holding something beyond its run (the batch prober's target slot) gives it back.
      (s.probe as { dispose?(): void } | undefined)?.dispose?.();
    }
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  /**
   * ha_suspend for one virtual server (its checkers' vsKey): a suspended checker keeps its state and
   * its turn every delay_loop but runs no check (a check in flight finishes). Returns how many changed.
   */
  suspend(vsKey: string, on: boolean): number {
    let n = 0;
    for (const s of this.all) {
      if (s.rs.vsKey !== vsKey || s.suspended === on) continue;
      s.suspended = on;
      n++;
    }
    return n;
  }

  /** up/weight per realServerKey, for the IPVS reconciler. */
  results(): Map<string, { up: boolean; weight: number }> {
    const m = new Map<string, { up: boolean; weight: number }>();
    for (const [k, v] of this.rsState) m.set(k, { up: v.up, weight: v.weight });
    return m;
  }

  stats(): SchedulerStats {
    return { ...this.total, inFlight: this.inFlight, peakInFlight: this.peakInFlight, waiting: this.ready.length - this.readyHead };
  }

  snapshot(): RealServerStatus[] {
    const wallOffset = Date.now() - this.clock.now();
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
        ...(s.state.runs > 0 ? { lastRunWallMs: s.startedAt + wallOffset } : {}),
      })),
    }));
  }

  private arm(): void {
    if (this.stopped) return;
    const top = this.heap.peek();
    if (top === undefined) return;
    // Batch: no sooner than tickMs after the last firing.
    const due = Math.max(top.due, this.lastFire + this.tickMs);
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
    this.lastFire = now;
    for (let top = this.heap.peek(); top !== undefined && top.due <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (top.phase === PROBING) {
        // The connect deadline passed.
        top.probe!.cancel();
        this.finish(top, false, top.probe!.timeoutDetail, undefined, now);
      } else {
        this.ready.push(top);
      }
    }
    this.pump(now);
    this.arm();
  }

  private pump(now: number): void {
    while (!this.stopped && this.inFlight < this.maxInFlight && this.readyHead < this.ready.length) {
      const slot = this.ready[this.readyHead];
      this.ready[this.readyHead++] = undefined as unknown as Slot;
      this.launch(slot, now);
    }
    if (this.readyHead === this.ready.length) {
      this.ready.length = 0;
      this.readyHead = 0;
    } else if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private launch(slot: Slot, now: number): void {
    if (slot.suspended) {
      this.heap.push(slot, now + slot.entry.timing.delayLoopMs);
      return this.arm();
    }
    this.noteLag(now - slot.due, now);
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    slot.startedAt = now;
    if (slot.probe) {
      const bad = slot.probe.start();
      if (bad !== undefined) return this.finish(slot, false, bad, undefined, now);
      slot.phase = PROBING;
      this.heap.push(slot, now + slot.probe.timeoutMs);
      return;
    }
    slot.phase = RUNNING;
    const p = this.o
      .run(slot.entry, this.abort.signal)
      .catch((e: unknown) => ({ ok: false, detail: `check failed: ${String(e)}`, latencyMs: 0 }) as CheckResult)
      .then((r) => {
        this.running.delete(p);
        if (slot.phase !== RUNNING) return;
        this.finish(slot, r.ok, r.detail, r.weight, this.clock.now(), r.latencyMs);
        this.pump(this.clock.now());
      });
    this.running.add(p);
  }

  /** A direct probe's completion (through the slot's bound `done`). */
  probeDone(slot: Slot, ok: boolean, detail: string): void {
    if (slot.phase !== PROBING || this.stopped) return;
    this.heap.remove(slot);
    const now = this.clock.now();
    this.finish(slot, ok, detail, undefined, now);
    this.pump(now);
  }

  /** One run over: keepalived's rules, change events, the next run queued. */
  private finish(slot: Slot, ok: boolean, detail: string, weight: number | undefined, now: number, latencyMs = now - slot.startedAt): void {
    slot.phase = IDLE;
    this.inFlight--;
    if (this.stopped) return;
    const s = slot.state;
    const wasUp = s.isUp;
    const prevWeight = s.weight;
    const delayMs = applyResultInPlace(s, slot.entry.timing, ok, detail, Math.max(0, latencyMs), weight, now);
    const changed = s.isUp !== wasUp;
    if (changed) this.o.onChange?.({ kind: 'checker', checker: slot.entry, up: s.isUp, detail });
    if (changed || (s.isUp && s.weight !== prevWeight)) this.refreshRs(slot.rs, detail);
    this.heap.push(slot, now + delayMs);
    this.arm();
  }

  private noteLag(lag: number, now: number): void {
    const w = this.win;
    this.total.runs++;
    w.runs++;
    if (lag > this.total.maxLagMs) this.total.maxLagMs = lag;
    if (lag > w.maxLagMs) w.maxLagMs = lag;
    if (lag > this.lagThresholdMs) {
      this.total.lateRuns++;
      w.lateRuns++;
    }
    if (now - w.start < this.lagReportMs && !(w.lateRuns > 0 && !w.behind)) return;
    // Window over (or the first late run): report when behind, and once when caught up.
    const behind = w.lateRuns > 0;
    if (behind || w.behind) {
      this.o.onLag?.({ behind, maxLagMs: w.maxLagMs, lateRuns: w.lateRuns, runs: w.runs, waiting: this.ready.length - this.readyHead, windowMs: now - w.start });
    }
    this.win = { start: now, runs: 0, lateRuns: 0, maxLagMs: 0, behind };
  }

  private refreshRs(rs: RealServerEntry, detail: string): void {
    const prev = this.rsState.get(rs.rsKey);
    const next = aggregate(rs.weight, (this.slots.get(rs.rsKey) ?? []).map((s) => s.state));
    if (prev && prev.up === next.up && prev.weight === next.weight) return;
    this.rsState.set(rs.rsKey, { ...next, rs });
    this.o.onChange?.({ kind: 'real-server', vsKey: rs.vsKey, rsKey: rs.rsKey, up: next.up, weight: next.weight, detail });
  }
}
