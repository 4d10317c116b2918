// Runs notify scripts for the VRRP child: each script's user and keepalived's security check are
// settled once per configuration (an unsafe script under enable_script_security is disabled, as
// keepalived does at start-up); runs never block the event loop (spawned, not awaited), at most
// MAX_RUNNING at once with a bounded queue behind them (order kept), and stop() leaves none behind.
import type { Logger } from './log.js';
import type { NotifyScript } from './notify-config.js';
import {
  checkScriptSecure, defaultScriptUser, lookupUser, type ScriptUser, type UserDb,
} from './script-exec.js';
import { runScript, type ScriptExit, type ScriptRun } from './script-run.js';

/** keepalived gives STOP notifies one second before it kills them (child_killed_thread). */
export const STOP_TIMEOUT_MS = 1000;
export const MAX_RUNNING = 16;
export const MAX_QUEUED = 256;

interface Prepared {
  argv: string[];
  user: ScriptUser;
}

export interface ScriptSecurity {
  scriptUser?: string[];
  scriptSecurity: boolean;
  /** Tests point user lookups at their own passwd/group files. */
  userDb?: UserDb;
}

/** How a command is shown in logs: keepalived's cmd_str, each word in quotes. */
export const cmdStr = (argv: readonly string[]): string => argv.map((a) => `'${a}'`).join(' ');

interface Job {
  who: string;
  kind: string;
  argv: string[];
  user: ScriptUser;
  timeoutMs: number;
}

export class NotifyScripts {
  private prepared = new WeakMap<NotifyScript, Prepared | null>();
  private readonly running = new Set<ScriptRun>();
  private readonly queue: Job[] = [];
  private stopped = false;
  private dropped = 0;
  /** Every run's end, for tests and shutdown. */
  onExit: ((job: { who: string; kind: string; argv: string[] }, e: ScriptExit) => void) | null = null;

  constructor(
    private readonly log: Logger,
    private security: ScriptSecurity,
  ) {}

  /** A new configuration: scripts are checked again when first used. */
  configure(security: ScriptSecurity): void {
    this.security = security;
    this.prepared = new WeakMap();
  }

  /** The user and resolved command, or null (disabled, with the reason logged once). */
  prepare(s: NotifyScript, who: string): Prepared | null {
    const known = this.prepared.get(s);
    if (known !== undefined) return known;
    const p = this.check(s, who);
    this.prepared.set(s, p);
    return p;
  }

  private check(s: NotifyScript, who: string): Prepared | null {
    const sec = this.security;
    const u = s.user ? lookupUser(s.user[0], s.user[1], sec.userDb) : defaultScriptUser(sec.scriptUser, sec.scriptSecurity, sec.userDb);
    if (!u.ok) {
      this.log.log('err', `${who} ${s.kind} script ${cmdStr(s.argv)}: ${u.error} - disabling`);
      return null;
    }
    const v = checkScriptSecure(s.argv, u.value, sec.scriptSecurity);
    for (const m of v.messages) this.log.log(v.runnable ? 'warning' : 'err', `${who} ${s.kind}: ${m}`);
    if (!v.runnable) {
      this.log.log('err', `${who} ${s.kind} script ${cmdStr(s.argv)} disabled`);
      return null;
    }
    return { argv: v.argv, user: u.value };
  }

  /** Starts (or queues) one run; never waits for it. */
  run(s: NotifyScript, who: string, extraArgs: string[], stop: boolean): void {
    if (this.stopped) return;
    const p = this.prepare(s, who);
    if (!p) return;
    const job: Job = { who, kind: s.kind, argv: [...p.argv, ...extraArgs], user: p.user, timeoutMs: stop ? STOP_TIMEOUT_MS : 0 };
    if (this.running.size < MAX_RUNNING) {
      this.start(job);
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ === 0) this.log.log('err', `notify scripts: ${MAX_RUNNING} running and ${MAX_QUEUED} waiting; dropping ${who} ${s.kind} ${cmdStr(job.argv)} (and further ones until the queue drains)`);
      return;
    }
    this.queue.push(job);
  }

  private start(job: Job): void {
    this.log.log('info', `${job.who} Running ${job.kind} script ${cmdStr(job.argv)}`);
    const r = runScript(job.argv, job.user, { timeoutMs: job.timeoutMs, killGraceMs: 0 });
    this.running.add(r);
    void r.done.then((e) => {
      this.running.delete(r);
      this.report(job, e);
      this.onExit?.(job, e);
      this.next();
    });
  }

  private next(): void {
    while (!this.stopped && this.running.size < MAX_RUNNING && this.queue.length > 0) {
      if (this.dropped > 0) {
        this.log.log('err', `notify scripts: ${this.dropped} run(s) dropped while the queue was full`);
        this.dropped = 0;
      }
      this.start(this.queue.shift() as Job);
    }
  }

  private report(job: Job, e: ScriptExit): void {
    const what = `${job.who} ${job.kind} script ${cmdStr(job.argv)}`;
    if (e.kind === 'exit') {
      if (e.code === 0) this.log.log('debug', `${what} exited with status 0`);
      else this.log.log('warning', `${what} exited with status ${e.code}`);
    } else if (e.kind === 'signal') {
      this.log.log('warning', e.timedOut ? `${what} timed out after ${job.timeoutMs} ms and was killed (${e.signal})` : `${what} was killed by ${e.signal}`);
    } else this.log.log('err', `${what}: ${e.error}`);
  }

  get active(): number {
    return this.running.size + this.queue.length;
  }

  /**
   * Daemon stop: queued runs start no more (STOP notifies already started), running ones get
   * `graceMs` to finish, then their process groups are killed. Resolves when none is left.
   */
  async stop(graceMs = STOP_TIMEOUT_MS): Promise<void> {
    this.stopped = true;
    if (this.queue.length > 0) this.log.log('warning', `notify scripts: ${this.queue.length} queued run(s) not started (daemon stopping)`);
    this.queue.length = 0;
    const all = () => Promise.all([...this.running].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const graced = await Promise.race([all().then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), graceMs)))]);
    clearTimeout(timer);
    if (graced) return;
    for (const r of this.running) r.kill();
    // killGraceMs 0: SIGTERM then SIGKILL at once; bounded anyway.
    await Promise.race([all(), new Promise((res) => setTimeout(res, 1500).unref())]);
  }
}
