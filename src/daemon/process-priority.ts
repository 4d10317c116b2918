// global_defs' per-child scheduling knobs (<x>_priority, <x>_rt_priority, <x>_rlimit_rttime,
// <x>_no_swap, <x>_cpu_affinity) and max_auto_priority / min_auto_priority_delay, applied in the
// VRRP, checker and BFD children as keepalived 2.2.7 does (lib/process.c, global_parser.c):
// - read: keepalived's ranges, fallbacks and config-error words (the child logs them);
// - at start: SCHED_RR (reset-on-fork) and RLIMIT_RTTIME (soft = half) when rt_priority is set,
//   else the nice value; memory locked; CPU affinity. A refusal is logged and the rest goes on;
// - at reload: back to standard scheduling while the config is read (an RLIMIT_RTTIME kill must not
//   hit a long parse), then the new values (2.2.7 re-applies them even when unchanged);
// - the loop's lateness: a timer expiring over min_auto_priority_delay late is logged and, up to
//   max_auto_priority, raises the child to SCHED_RR one step at a time.
// The system calls are injected (PrioritySys) so the logic is tested without root.
import { availableParallelism, getPriority, setPriority } from 'node:os';
import { child, type ConfNode } from '../config/ast.js';
import { loadConfig } from '../config/index.js';
import type { KeepalivedConfig } from '../config/model.js';
import { loadSysNative } from '../net/native.js';
import type { LogLevel } from './ipc.js';

export type ChildKind = 'vrrp' | 'checker' | 'bfd';

/** keepalived's RT_RLIMIT_DEFAULT (process.h), microseconds. */
export const RT_RLIMIT_DEFAULT = 10000;
const MIN_DELAY_DEFAULT = 1_000_000;
/** The lowest RLIMIT_RTTIME set on our children: with keepalived's 10 ms default the SCHED_RR VRRP
 * child of 50 instances was SIGKILLed at start (measured, bench/process-priority.ts); 200 ms ran. */
export const NODE_MIN_RTTIME_US = 200_000;

export interface PrioritySettings {
  /** Nice value; 0 = not set (keepalived leaves the inherited one). */
  nice: number;
  /** SCHED_RR priority; 0 = normal scheduling. */
  rtPriority: number;
  /** RLIMIT_RTTIME hard limit (soft = half), microseconds; 0 = none. */
  rlimitRtTime: number;
  noSwap: boolean;
  /** CPUs; empty = not set. */
  cpus: number[];
  /** Highest automatic SCHED_RR priority; 0 = none, -1 = disabled. */
  maxAutoPriority: number;
  minAutoPriorityDelayUs: number;
}

export interface HostLimits {
  ncpus: number;
  rtMin: number;
  rtMax: number;
}

const INT = /^[+-]?\d+$/;
const int = (w: string | undefined): number | undefined => (w !== undefined && INT.test(w) ? Number(w) : undefined);

/** The child's settings from global_defs, with keepalived's message for each value it ignores or
 * corrects (their order is the config's). The shared keywords are read (and reported) by every child. */
export function readPrioritySettings(
  globals: ConfNode | undefined,
  kind: ChildKind,
  host: HostLimits,
): { settings: PrioritySettings; problems: string[] } {
  const problems: string[] = [];
  const s: PrioritySettings = {
    nice: 0, rtPriority: 0, rlimitRtTime: RT_RLIMIT_DEFAULT, noSwap: false, cpus: [],
    maxAutoPriority: 0, minAutoPriorityDelayUs: MIN_DELAY_DEFAULT,
  };
  const word = (n: ConfNode) => n.args[0]?.text;
  // keepalived's read_int_strvec logs its own line before the handler's.
  const read = (w: string | undefined, lo: number, hi: number): number | undefined => {
    if (w === undefined) return undefined;
    const v = int(w);
    if (v === undefined) problems.push(`invalid number '${w}'`);
    else if (v < lo || v > hi) problems.push(`number '${w}' outside range [${lo}, ${hi}]`);
    else return v;
    return undefined;
  };

  const nice = child(globals, `${kind}_priority`);
  if (nice) {
    const v = read(word(nice), -20, 19);
    if (word(nice) === undefined) problems.push(`No ${kind} process priority specified`);
    else if (v === undefined) problems.push(`Invalid ${kind} process priority specified`);
    else s.nice = v;
  }

  const rt = child(globals, `${kind}_rt_priority`);
  if (rt) {
    const v = read(word(rt), -2147483648, 2147483647);
    if (word(rt) === undefined) problems.push(`No ${kind} process real-time priority specified`);
    else if (v === undefined) problems.push(`${kind} process real-time priority '${word(rt)}' invalid`);
    else if (v < host.rtMin) {
      problems.push(`${kind} process real-time priority ${v} less than minimum ${host.rtMin} - setting to minimum`);
      s.rtPriority = host.rtMin;
    } else if (v > host.rtMax) {
      problems.push(`${kind} process real-time priority ${v} greater than maximum ${host.rtMax} - setting to maximum`);
      s.rtPriority = host.rtMax;
    } else s.rtPriority = v;
  }

  // Both spellings share one handler: the later line wins.
  const a = child(globals, `${kind}_rlimit_rttime`);
  const b = child(globals, `${kind}_rlimit_rtime`);
  const lim = a && b ? (b.line > a.line ? b : a) : (a ?? b);
  if (lim) {
    if (lim.keyword.endsWith('_rtime')) problems.push(`Keyword '${lim.keyword}' is deprecated - please use '${kind}_rlimit_rttime'`);
    const v = read(word(lim), 1, 4294967295);
    if (v === undefined) {
      problems.push(`Invalid ${kind} real-time limit - ${word(lim) ?? '(null)'}`);
      s.rlimitRtTime = 0; // keepalived stores the 0 it returns: no limit at all
    } else s.rlimitRtTime = v === 1 ? 2 : v; // halved for the soft limit, which must not be 0
  }

  s.noSwap = child(globals, `${kind}_no_swap`) !== undefined;

  const aff = child(globals, `${kind}_cpu_affinity`);
  if (aff) {
    if (aff.args.length === 0) problems.push(`No ${kind} cpu_id set specified`);
    const cpus: number[] = [];
    for (const w of aff.args) {
      const v = read(w.text, 0, host.ncpus - 1);
      if (v === undefined) {
        problems.push(`Invalid cpu_id:${int(w.text) ?? 0} specified for ${kind} process`);
        cpus.length = 0; // keepalived empties the set at the first bad id
        break;
      }
      if (!cpus.includes(v)) cpus.push(v);
    }
    s.cpus = cpus;
  }

  const map = child(globals, 'max_auto_priority');
  if (map) {
    const v = read(word(map), -1, host.rtMax);
    if (word(map) === undefined) s.maxAutoPriority = host.rtMax;
    else if (v === undefined) problems.push(`max_auto_priority '${word(map)}' must be in [0, ${host.rtMax}] (or -1 to disable) - ignoring`);
    else s.maxAutoPriority = v;
  }

  const delay = child(globals, 'min_auto_priority_delay');
  if (delay) {
    const v = read(word(delay), 1, 10_000_000);
    if (word(delay) === undefined) problems.push('min_auto_priority_delay requires delay time');
    else if (v === undefined) problems.push(`min_auto_priority_delay '${word(delay)}' must be in [1, 10000000] - ignoring`);
    else s.minAutoPriorityDelayUs = v;
  }
  return { settings: s, problems };
}

type Result = { ok: true } | { ok: false; error: string };

/** The calls that change the process; realPrioritySys() is the keepalived_sys addon and node:os. */
export interface PrioritySys {
  limits(): HostLimits;
  schedSet(realtime: boolean, priority: number, resetOnFork: boolean): Result;
  setRtTime(soft: number, hard: number): Result;
  lockMemory(lock: boolean): Result;
  setAffinity(cpus: number[]): Result;
  getNice(): number;
  setNice(nice: number): Result;
  onSigxcpu(handler: () => void): void;
  /** Monotonic milliseconds. */
  now(): number;
  /** A repeating unref'd timer; returns its stop function. */
  every(ms: number, fn: () => void): () => void;
}

interface SchedAddon {
  schedSet(realtime: boolean, priority: number, resetOnFork: boolean): Result;
  schedPriorityRange(): { min: number; max: number };
  setRtTime(soft: number, hard: number): Result;
  lockMemory(lock: boolean): Result;
  setAffinity(cpus: number[]): Result;
}

const strip = (e: string) => e.replace(/^[a-z_()A-Z]+: /, ''); // "mlock: Operation not permitted" -> strerror

export function realPrioritySys(): PrioritySys {
  const native = loadSysNative();
  const addon = native.ok ? (native.addon as unknown as Partial<SchedAddon>) : undefined;
  const missing: Result = { ok: false, error: native.ok ? 'keepalived_sys addon has no sched calls (rebuild it)' : native.error };
  const call = <K extends keyof SchedAddon>(k: K) => (addon?.[k] as ((...a: never[]) => Result) | undefined) ?? (() => missing);
  return {
    limits: () => {
      const r = addon?.schedPriorityRange?.() ?? { min: 1, max: 99 };
      return { ncpus: availableParallelism(), rtMin: r.min, rtMax: r.max };
    },
    schedSet: call('schedSet') as SchedAddon['schedSet'],
    setRtTime: call('setRtTime') as SchedAddon['setRtTime'],
    lockMemory: call('lockMemory') as SchedAddon['lockMemory'],
    setAffinity: call('setAffinity') as SchedAddon['setAffinity'],
    getNice: () => getPriority(0),
    setNice: (nice) => {
      try {
        setPriority(0, nice); // pid 0: the calling (main) thread, as keepalived's PRIO_PROCESS 0
        return { ok: true };
      } catch (e) {
        // a SystemError: info.message is the C library's wording
        return { ok: false, error: String((e as { info?: { message?: string } }).info?.message ?? (e as Error).message) };
      }
    },
    onSigxcpu: (handler) => void process.on('SIGXCPU', handler),
    now: () => performance.now(),
    every: (ms, fn) => {
      const t = setInterval(fn, ms);
      t.unref();
      return () => clearInterval(t);
    },
  };
}

const PROCESS_NAME: Record<ChildKind, string> = { vrrp: 'VRRP', checker: 'Checker', bfd: 'BFD' };

/** One child's priorities: what keepalived's process.c keeps in its statics. */
export class ProcessPriority {
  private curRt = 0;
  private maxRt = 0;
  private curRlimit = 0;
  private defaultRlimit = 0;
  private curNice = 0;
  private origNice: number | undefined;
  private locked = false;
  private minDelayUs = MIN_DELAY_DEFAULT;
  private sigxcpu = false;
  private stopProbe: (() => void) | undefined;
  private lastTick = 0;
  private probeMs = 0;
  private last: PrioritySettings | undefined;
  private raisedNoted = false;

  constructor(
    private readonly kind: ChildKind,
    private readonly log: (level: LogLevel, message: string) => void,
    private readonly sys: PrioritySys = realPrioritySys(),
  ) {}

  /** Current state, for tests and status. */
  get state() {
    return { rtPriority: this.curRt, maxRtPriority: this.maxRt, rlimitRtTime: this.curRlimit, nice: this.curNice, locked: this.locked, minDelayUs: this.minDelayUs };
  }

  /** Reads the model's global_defs, logs keepalived's config errors for them and applies them;
   * null (a refused reload) applies the last settings again. */
  apply(model: KeepalivedConfig | null | undefined): PrioritySettings {
    let settings = this.last;
    if (model || !settings) {
      const r = readPrioritySettings(model?.globals?.node, this.kind, this.sys.limits());
      for (const p of r.problems) this.log('err', p);
      settings = r.settings;
    }
    this.last = settings;
    this.set(settings);
    return settings;
  }

  /** apply() from the config file (the VRRP child keeps no model of its own); unreadable: the last. */
  applyFile(configFile: string, configId: string): void {
    let model: KeepalivedConfig | null = null;
    try {
      const r = loadConfig(configFile, { configId });
      if (!r.unreadable) model = r.model;
    } catch (e) {
      this.log('err', `process priorities: ${String(e)}`);
    }
    this.apply(model);
  }

  /** keepalived's set_process_priorities + set_process_cpu_affinity. */
  set(s: PrioritySettings): void {
    if (s.maxAutoPriority !== -1) this.maxRt = s.maxAutoPriority;
    this.setScheduling(s.rtPriority, s.rlimitRtTime, s.nice);
    this.minDelayUs = s.minAutoPriorityDelayUs;
    if (s.noSwap && !this.locked) {
      const r = this.sys.lockMemory(true);
      if (r.ok) this.locked = true;
      else this.log('info', `Unable to lock process in memory - ${strip(r.error)}`);
    }
    if (s.cpus.length > 0) {
      const r = this.sys.setAffinity(s.cpus);
      if (!r.ok) this.log('warning', `unable to set cpu affinity to ${this.kind} process (${strip(r.error)})`);
    }
    this.startProbe();
  }

  private setScheduling(rt: number, rlimit: number, nice: number): void {
    if (rt) {
      const r = this.sys.schedSet(true, rt, true);
      if (!r.ok) {
        this.log('warning', 'child process: cannot raise priority');
        return;
      }
      this.curRt = rt;
      if (rlimit) {
        if (!this.sigxcpu) {
          this.sigxcpu = true;
          this.sys.onSigxcpu(() => this.log('info', `${PROCESS_NAME[this.kind]} process has used too much CPU time, ${this.kind}_rlimit_rttime may need to be increased`));
        }
        const hard = Math.max(rlimit, NODE_MIN_RTTIME_US);
        if (hard !== rlimit && !this.raisedNoted) {
          this.raisedNoted = true;
          this.log('info', `${this.kind}_rlimit_rttime ${rlimit} raised to ${hard} usecs: a Node.js child's CPU bursts are longer than keepalived's (the kernel SIGKILLs it past the limit)`);
        }
        const l = this.sys.setRtTime(Math.floor(hard / 2), hard);
        if (!l.ok) this.log('warning', 'child process cannot set realtime rlimit');
        else this.curRlimit = hard;
      }
      return;
    }
    if (nice) {
      this.origNice ??= this.sys.getNice();
      const r = this.sys.setNice(nice);
      if (!r.ok) this.log('info', `Unable to set process priority to ${nice} - ${r.error}`);
      else this.curNice = nice;
    }
    this.defaultRlimit = rlimit;
  }

  /** keepalived's reset_process_priorities: standard scheduling (the reload runs under it), the
   * original nice, memory unlocked. */
  reset(): void {
    if (this.curRt) {
      if (!this.sys.schedSet(false, 0, false).ok) this.log('warning', 'child process: cannot reset realtime scheduling');
      else {
        this.curRt = 0;
        // keepalived 2.2.7 "restores" RLIMIT_RTTIME to a never-read {0, 0}: without CAP_SYS_RESOURCE
        // the next setrlimit cannot raise it again and the SCHED_RR child is SIGKILLed at once. The
        // limit is harmless under SCHED_OTHER, so it stays until the next real-time setting.
        this.curRlimit = 0;
      }
    }
    const orig = this.origNice ?? 0;
    if (this.curNice !== orig) {
      const r = this.sys.setNice(orig);
      if (!r.ok) this.log('info', `Unable to reset process priority - ${r.error}`);
      else this.curNice = 0;
    }
    if (this.locked) {
      this.sys.lockMemory(false);
      this.locked = false;
    }
  }

  /** keepalived's increment_process_priority: one SCHED_RR step up, to max_auto_priority. */
  increment(): void {
    if (!this.maxRt) return;
    if (this.curRt) {
      if (this.curRt >= this.maxRt) return;
      this.curRt++;
    } else this.curRt = this.sys.limits().rtMin;
    const want = this.curRt;
    this.setScheduling(want, this.curRlimit ? 0 : this.defaultRlimit, 0);
    this.curRt = want; // keepalived keeps the step even when refused, and logs it either way
    this.log('info', `Set realtime priority ${want}`);
  }

  /** Called with the lateness of a timer (ms past its due time): keepalived's check after epoll_wait. */
  late(lateMs: number): void {
    const us = Math.round(lateMs * 1000);
    if (!this.minDelayUs || us <= this.minDelayUs) return;
    const sec = Math.floor(us / 1_000_000);
    this.log('info', `A thread timer expired ${sec}.${String(us % 1_000_000).padStart(6, '0')} seconds ago`);
    this.increment();
  }

  /** The lateness probe: a timer at half min_auto_priority_delay (10 ms - 500 ms); how late it fires
   * is how late any timer due then fired. Costs one wakeup per period. */
  private startProbe(): void {
    const ms = Math.min(500, Math.max(10, this.minDelayUs / 2000));
    if (this.stopProbe && ms === this.probeMs) return;
    this.stopProbe?.();
    this.probeMs = ms;
    this.lastTick = this.sys.now();
    this.stopProbe = this.sys.every(ms, () => {
      const now = this.sys.now();
      const late = now - this.lastTick - ms;
      this.lastTick = now;
      if (late > 0) this.late(late);
    });
  }

  stop(): void {
    this.stopProbe?.();
    this.stopProbe = undefined;
  }
}
