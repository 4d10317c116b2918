// The checker side of the daemon in one object: config in, scheduler running, results out.
// The checker child process drives it over IPC; the IPVS reconciler reads `results()` and
// subscribes to real server changes (keys as in keys.ts).
import type { KeepalivedConfig } from '../config/model.js';
import { runCheck } from './run.js';
import { CheckScheduler, type RealServerStatus, type SchedulerChange, type SchedulerClock } from './scheduler.js';
import { buildCheckers, type SpecProblem } from './spec.js';

export interface CheckerServiceOptions {
  clock?: SchedulerClock;
  maxInFlight?: number;
}

export type ChangeListener = (c: SchedulerChange) => void;

export class CheckerService {
  private scheduler: CheckScheduler | undefined;
  private readonly listeners = new Set<ChangeListener>();
  problems: SpecProblem[] = [];

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
      onChange: (c) => {
        for (const l of this.listeners) {
          try {
            l(c);
          } catch {
            /* a listener's bug must not stop the checks */
          }
        }
      },
    });
    this.scheduler.start();
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

  /** realServerKey -> {up, weight} */
  results(): Map<string, { up: boolean; weight: number }> {
    return this.scheduler?.results() ?? new Map();
  }

  snapshot(): RealServerStatus[] {
    return this.scheduler?.snapshot() ?? [];
  }
}

/** The control protocol's `checker` event fields for a checker change. */
export function checkerEventFields(c: Extract<SchedulerChange, { kind: 'checker' }>): { virtualServer: string; realServer: string; checker: string; up: boolean; detail: string } {
  return { virtualServer: c.checker.vsKey, realServer: c.checker.rsKey.slice(c.checker.vsKey.length + 1), checker: c.checker.spec.type, up: c.up, detail: c.detail };
}
