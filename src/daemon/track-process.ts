// vrrp_track_process: how many processes match, against quorum..quorum_max, with fork_delay
// before a gained quorum counts and terminate_delay before a lost one does. keepalived follows
// process events from the kernel's proc connector; here /proc is scanned every second (bounded:
// one pass over /proc per scan for all tracked processes, in slices between event loop turns). Matching is keepalived's:
// the 15-character comm, or with full_command / parameters the command line's first word, and
// the parameters compared exactly, as a prefix (partial) or all but the last partly (initial).
import * as fs from 'node:fs';
import type { Clock, TimerHandle } from './clock.js';
import type { ProcessDef } from './instance-tracks.js';
import type { Logger } from './log.js';

export interface ProcInfo {
  pid: number;
  /** The kernel's process name (/proc/PID/stat, at most 15 characters). */
  comm: string;
  /** The command line (argv), when read. */
  cmdline?: string[];
}

/** keepalived's check_params on the NUL-joined parameters. */
function paramsMatch(def: ProcessDef, params: string[]): boolean {
  const want = def.params.length > 0 ? def.params.map((p) => p + '\0').join('') : null;
  const got = params.map((p) => p + '\0').join('');
  if (def.paramMatch === 'exact' && want === null && got.length === 0) return true;
  const wantLen = want?.length ?? 0;
  if (got.length < wantLen) return false;
  if (def.paramMatch === 'exact') return got.length === wantLen && (want === null || got === want);
  if (want === null) return true;
  if (def.paramMatch === 'partial') return got.startsWith(want);
  // initial: the last parameter need only be a prefix of the process's
  return wantLen === 1 || got.startsWith(want.slice(0, -1));
}

export function processMatches(def: ProcessDef, p: ProcInfo): boolean {
  if (def.fullCommand) {
    const argv = p.cmdline;
    if (!argv || argv.length === 0 || argv[0] !== def.process) return false;
    return def.paramMatch === 'none' || paramsMatch(def, argv.slice(1));
  }
  return p.comm === def.process;
}

const BUF = Buffer.alloc(4096);

/** The start of a /proc file into the shared buffer (open/read/close: no fstat, no allocation). */
function readProcFile(file: string): string | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const n = fs.readSync(fd, BUF, 0, BUF.length, 0);
    return BUF.toString('latin1', 0, n);
  } catch {
    return null; // the process went away while we read it
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** One process from /proc, or null (gone, or a zombie). */
function readProc(procDir: string, name: string, withCmdline: boolean): ProcInfo | null {
  const stat = readProcFile(`${procDir}/${name}/stat`);
  if (stat === null) return null;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open || stat[close + 2] === 'Z') return null;
  const info: ProcInfo = { pid: Number(name), comm: stat.slice(open + 1, close) };
  if (withCmdline) {
    const raw = readProcFile(`${procDir}/${name}/cmdline`);
    if (raw === null) return null;
    const parts = raw.split('\0');
    if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    info.cmdline = parts;
  }
  return info;
}

function pidDirs(procDir: string): string[] {
  try {
    return fs.readdirSync(procDir).filter((n) => n[0] >= '1' && n[0] <= '9');
  } catch {
    return [];
  }
}

/** One pass over /proc: every live (non-zombie) process, with its command line if asked. */
export function scanProc(withCmdline: boolean, procDir = '/proc'): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of pidDirs(procDir)) {
    const p = readProc(procDir, name, withCmdline);
    if (p) out.push(p);
  }
  return out;
}

/**
 * The same pass in slices of `slice` processes with a turn of the event loop between them, so a
 * host with many processes never holds the VRRP child's loop (adverts) for the whole scan.
 */
export async function scanProcSliced(withCmdline: boolean, slice = 32, procDir = '/proc'): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  const names = pidDirs(procDir);
  for (let i = 0; i < names.length; i += slice) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    for (const name of names.slice(i, i + slice)) {
      const p = readProc(procDir, name, withCmdline);
      if (p) out.push(p);
    }
  }
  return out;
}

export interface ProcessTrackerDeps {
  clock: Clock;
  log: Logger;
}

/** One vrrp_track_process: the count from each scan, the quorum and the delays. */
export class ProcessTracker {
  count = 0;
  /** Reported status: in quorum. */
  up = false;
  /** What the count says now (before any delay). */
  private want = false;
  private delay: { timer: TimerHandle; to: boolean } | null = null;

  constructor(
    readonly def: ProcessDef,
    private readonly deps: ProcessTrackerDeps,
    private readonly onChange: (up: boolean, reason: string) => void,
  ) {}

  /** A running fork_delay (true) or terminate_delay (false) timer; null: none (the data dump). */
  get delayRunning(): boolean | null {
    return this.delay ? this.delay.to : null;
  }

  private inQuorum(n: number): boolean {
    return n >= this.def.quorum && n <= this.def.quorumMax;
  }

  /** The first count: the status is set at once, without delays (keepalived's start-up scan). */
  init(count: number): void {
    this.count = count;
    this.want = this.up = this.inQuorum(count);
  }

  /** A new count from a scan. */
  update(count: number): void {
    const was = this.count;
    this.count = count;
    const want = this.inQuorum(count);
    if (want === this.want) return;
    this.want = want;
    const { clock, log } = this.deps;
    const why = `process ${this.def.name}: ${was} -> ${count} running, quorum ${want ? 'gained' : 'lost'}`;
    if (log.detail) log.log('debug', why);
    if (this.delay) {
      // The opposite change while a delay runs cancels it: nothing happened.
      this.delay.timer.cancel();
      this.delay = null;
      return;
    }
    const ms = want ? this.def.forkDelayMs : this.def.terminateDelayMs;
    if (ms > 0) {
      const timer = clock.at(clock.nowUs() + ms * 1000, () => {
        this.delay = null;
        this.set(this.inQuorum(this.count), `${why} (after ${ms} ms)`);
      });
      this.delay = { timer, to: want };
      return;
    }
    this.set(want, why);
  }

  private set(up: boolean, reason: string): void {
    if (up === this.up) return;
    this.up = up;
    this.deps.log.log('info', `Quorum ${up ? 'gained' : 'lost'} for tracked process ${this.def.name}`);
    this.onChange(up, reason);
  }

  stop(): void {
    this.delay?.timer.cancel();
    this.delay = null;
  }
}

/** Counts each tracker's matching processes in one scan. */
export function countMatches(defs: readonly ProcessDef[], procs: readonly ProcInfo[]): number[] {
  return defs.map((d) => procs.reduce((n, p) => n + (processMatches(d, p) ? 1 : 0), 0));
}
