// vrrp_script tracking: the script runs every interval (the first run at start), with a timeout;
// its results are counted with keepalived's rise/fall rules. The counting is a pure core
// (scriptStep); ScriptTracker adds the timers and the runs.
import type { TrackStatus } from '../vrrp/tracking.js';
import type { Clock, TimerHandle } from './clock.js';
import type { ScriptDef } from './instance-tracks.js';
import type { Logger } from './log.js';
import type { ScriptUser } from './script-exec.js';
import type { RunOptions, ScriptExit, ScriptRun } from './script-run.js';

/**
 * keepalived's counter: `result` runs from 0 to rise+fall-1; the script is good while
 * result >= rise. A fresh script starts at rise-1 ("init": one success is enough, one failure
 * reports failed), or at 0 with init_fail.
 */
export interface ScriptCounter {
  result: number;
  init: 'init' | 'init-reload' | 'failed' | 'done';
}

export function initialCounter(def: Pick<ScriptDef, 'rise' | 'initFail'>, reload = false): ScriptCounter {
  if (def.initFail) return { result: 0, init: 'failed' };
  return { result: def.rise - 1, init: reload ? 'init-reload' : 'init' };
}

/** 'init' until the first result (unless init_fail), then good/bad. */
export function counterStatus(c: ScriptCounter, def: Pick<ScriptDef, 'rise'>): TrackStatus {
  if (c.init === 'init' || c.init === 'init-reload') return 'init';
  if (c.init === 'failed') return false;
  return c.result >= def.rise;
}

export interface StepOut {
  counter: ScriptCounter;
  /** Set when keepalived reports a change: the new good/bad. */
  report?: boolean;
}

/** One result, exactly as keepalived's vrrp_script_child_thread counts it. */
export function scriptStep(c: ScriptCounter, def: Pick<ScriptDef, 'rise' | 'fall'>, success: boolean): StepOut {
  const { rise, fall } = def;
  let result = c.result;
  let report: boolean | undefined;
  if (success) {
    if (result < rise - 1) result++;
    else if (result !== rise + fall - 1) {
      if (result < rise) report = true;
      result = rise + fall - 1;
    }
  } else if (result > rise) {
    result--;
  } else {
    if (result === rise || c.init === 'init' || c.init === 'init-reload') report = false;
    result = 0;
  }
  const out: StepOut = { counter: { result, init: 'done' } };
  if (report !== undefined) out.report = report;
  return out;
}

/** A reloaded script whose rise/fall changed keeps its position as keepalived maps it. */
export function carryCounter(old: ScriptCounter, oldDef: Pick<ScriptDef, 'rise' | 'fall'>, def: Pick<ScriptDef, 'rise' | 'fall' | 'initFail'>): ScriptCounter {
  if (old.init === 'init') return { result: def.rise - 1, init: 'init' };
  if (old.init === 'init-reload') return { result: def.rise - 1, init: 'init-reload' };
  let result: number;
  if (old.result < oldDef.rise) result = old.result === 0 ? 0 : Math.max(0, def.rise - (oldDef.rise - old.result));
  else if (old.result === oldDef.rise + oldDef.fall - 1) result = def.rise + def.fall - 1;
  else result = Math.min(def.rise + def.fall - 1, def.rise + (old.result - oldDef.rise));
  return { result, init: 'done' };
}

export type RunScriptFn = (argv: readonly string[], user: ScriptUser, opts: RunOptions) => ScriptRun;

export interface ScriptTrackerDeps {
  clock: Clock;
  log: Logger;
  run: RunScriptFn;
}

/** Runs one vrrp_script on its interval and reports good/bad changes. */
export class ScriptTracker {
  counter: ScriptCounter;
  private timer: TimerHandle | null = null;
  private current: ScriptRun | null = null;
  /** keepalived starts from 0, so a first success is not logged as a change. */
  private lastStatus = 0;
  private lastError: string | null = null;
  private stopped = false;

  constructor(
    readonly def: ScriptDef,
    readonly argv: string[],
    readonly user: ScriptUser,
    private readonly deps: ScriptTrackerDeps,
    private readonly onChange: (status: TrackStatus, reason: string) => void,
    counter?: ScriptCounter,
  ) {
    this.counter = counter ?? initialCounter(def);
  }

  get status(): TrackStatus {
    return counterStatus(this.counter, this.def);
  }

  get running(): boolean {
    return this.current !== null;
  }

  /** The first run now, then one every interval. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.tick();
  }

  private tick(): void {
    const { clock } = this.deps;
    this.timer = clock.at(clock.nowUs() + this.def.intervalMs * 1000, () => {
      this.timer = null;
      if (!this.stopped) this.tick();
    });
    if (this.current) {
      // keepalived logs this too; a run still going is not started twice.
      this.deps.log.log('info', `Track script ${this.def.name} is already running, expect idle - skipping run`);
      return;
    }
    const run = this.deps.run(this.argv, this.user, {
      timeoutMs: this.def.timeoutMs,
      after: (ms, fn) => clock.at(clock.nowUs() + ms * 1000, fn),
    });
    this.current = run;
    void run.done.then((exit) => {
      if (this.current === run) this.current = null;
      if (!this.stopped) this.result(exit);
    });
  }

  /** Applies one run's exit (also used by tests). */
  result(exit: ScriptExit): void {
    const { log } = this.deps;
    let success = false;
    let word = 'failed';
    let why = '';
    if (exit.kind === 'exit') {
      // 126/127: what the shell and setpriv return when the command cannot be executed / found.
      const hint = exit.code === 127 ? ' (command not found?)' : exit.code === 126 ? ' (command not executable?)' : '';
      if (exit.code !== this.lastStatus) log.log('info', `Script \`${this.def.name}\` now returning ${exit.code}${hint}`);
      this.lastStatus = exit.code;
      success = exit.code === 0;
      word = success ? 'succeeded' : 'failed';
      if (!success) why = ` (exited with status ${exit.code})`;
      this.lastError = null;
    } else if (exit.kind === 'signal') {
      word = exit.timedOut ? 'timed_out' : 'failed';
      if (!exit.timedOut) why = ` (due to signal ${exit.signal})`;
    } else {
      // A run that cannot start counts as a failure; said once until it runs again.
      if (this.lastError !== exit.error) log.log('err', `VRRP_Script(${this.def.name}) cannot run: ${exit.error}`);
      this.lastError = exit.error;
      why = ' (cannot run)';
    }
    const was = this.status;
    const step = scriptStep(this.counter, this.def, success);
    this.counter = step.counter;
    if (step.report !== undefined) log.log('info', `VRRP_Script(${this.def.name}) ${word}${why}`);
    const now = this.status;
    if (now !== was) this.onChange(now, `script ${this.def.name} ${word}${why}`);
  }

  /** Stops the schedule and kills a run in progress (its whole process group). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    const run = this.current;
    if (run) {
      run.kill();
      await run.done;
    }
  }
}
