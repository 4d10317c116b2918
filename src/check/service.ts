// The checker side of the daemon in one object: config in, scheduler running, results out.
// The checker child process drives it over IPC; the IPVS reconciler reads `results()` and
// subscribes to real server changes (keys as in keys.ts).
import type { KeepalivedConfig } from '../config/model.js';
import { runCheck } from './run.js';
import { CheckScheduler, type RealServerStatus, type SchedulerChange, type SchedulerClock, type SchedulerLag, type SchedulerStats } from './scheduler.js';
import { buildCheckers, type SpecProblem } from './spec.js';
import { TcpProbe, type TcpProbeMode } from './tcp.js';

export interface CheckerServiceOptions {
  clock?: SchedulerClock;
  maxInFlight?: number;
  /** How TCP_CHECK connects (default: the bare TCP handle when this Node has it). */
  tcpMode?: TcpProbeMode;
}

export type ChangeListener = (c: SchedulerChange) => void;
export type LagListener = (l: SchedulerLag) => void;

export class CheckerService {
  private scheduler: CheckScheduler | undefined;
  private readonly listeners = new Set<ChangeListener>();
  private readonly lagListeners = new Set<LagListener>();
  problems: SpecProblem[] = [];
  /** Virtual servers (checkers' vsKey) whose checkers are suspended (ha_suspend); kept over a restart. */
  private readonly suspended = new Set<string>();

  constructor(private readonly o: CheckerServiceOptions = {}) {}

  /** Starts (or, on reload, restarts) checking every real server of `config`. */
  async start(config: KeepalivedConfig): Promise<void> {
    await this.stop();
    const { servers, problems } = buildCheckers(config);
    this.problems = problems;
    const now = this.o.clock ? () => this.o.clock!.now() : () => performance.now();
    this.scheduler = new CheckScheduler(servers, {
      clock: this.o.clock,
      maxInFlight: this.o.maxInFlight,
      run: (e, signal) => runCheck(e.spec, { now, signal }),
      // TCP_CHECK runs as a direct probe: timed out from the scheduler's own deadline queue.
      probe: (e, done) => (e.spec.type === 'TCP_CHECK' ? new TcpProbe(e.spec.target, done, this.o.tcpMode) : undefined),
      onChange: (c) => notify(this.listeners, c),
      onLag: (l) => notify(this.lagListeners, l),
    });
    for (const k of this.suspended) this.scheduler.suspend(k, true);
    this.scheduler.start();
  }

  /** ha_suspend: suspends (or resumes) the checkers of one virtual server; how many changed. */
  suspendVs(vsKey: string, on: boolean): number {
    if (on) this.suspended.add(vsKey);
    else this.suspended.delete(vsKey);
    return this.scheduler?.suspend(vsKey, on) ?? 0;
  }

  async stop(): Promise<void> {
    const s = this.scheduler;
    this.scheduler = undefined;
    await s?.stop();
  }

  subscribe(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Lag reports: checks starting later than due because the checker cannot keep up. */
  subscribeLag(fn: LagListener): () => void {
    this.lagListeners.add(fn);
    return () => this.lagListeners.delete(fn);
  }

  stats(): SchedulerStats | undefined {
    return this.scheduler?.stats();
  }

  /** realServerKey -> {up, weight} */
  results(): Map<string, { up: boolean; weight: number }> {
    return this.scheduler?.results() ?? new Map();
  }

  snapshot(): RealServerStatus[] {
    return this.scheduler?.snapshot() ?? [];
  }
}

function notify<T>(listeners: Set<(x: T) => void>, x: T): void {
  for (const l of listeners) {
    try {
      l(x);
    } catch {
      /* a listener's bug must not stop the checks */
    }
  }
}

/** The control protocol's `checker` event fields for a checker change. */
export function checkerEventFields(c: Extract<SchedulerChange, { kind: 'checker' }>): { virtualServer: string; realServer: string; checker: string; up: boolean; detail: string } {
  return { virtualServer: c.checker.vsKey, realServer: c.checker.rsKey.slice(c.checker.vsKey.length + 1), checker: c.checker.spec.type, up: c.up, detail: c.detail };
}
