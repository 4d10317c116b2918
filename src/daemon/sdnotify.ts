// systemd Type=notify for the supervisor: READY=1 (with MAINPID and a STATUS= line) once the
// children are up, RELOADING=1 / READY=1 around a reload, STOPPING=1 on the way out, ERRNO= when
// start-up fails, and WATCHDOG=1 every WATCHDOG_USEC/2 when systemd asks this pid for it. keepalived
// 2.2.7 sends the same messages (lib/systemd.c) but only when its parent is systemd; we send them
// whenever $NOTIFY_SOCKET is set, as sd_notify(3) does. The datagram goes through the native addon.
import { loadSysNative } from '../net/native.js';

export type SendNotify = (socketPath: string, message: string) => { ok: true } | { ok: false; error: string };

export interface NotifierDeps {
  env?: Readonly<Record<string, string | undefined>>;
  pid?: number;
  /** Defaults to the keepalived_sys addon's sdNotify. */
  send?: SendNotify;
  /** CLOCK_MONOTONIC in microseconds (RELOADING=1 carries it, for Type=notify-reload). */
  monotonicUs?: () => bigint;
  setInterval?: (fn: () => void, ms: number) => { unref?: () => void };
  clearInterval?: (h: unknown) => void;
  /** Where a failed send is reported (once per distinct error). */
  warn?: (message: string) => void;
}

/** The watchdog period (half of WATCHDOG_USEC) in ms, or null when systemd asks nothing of this pid. */
export function watchdogPeriodMs(env: Readonly<Record<string, string | undefined>>, pid: number): number | null {
  const usec = env.WATCHDOG_USEC;
  if (!usec || !/^\d+$/.test(usec) || Number(usec) === 0) return null;
  const wpid = env.WATCHDOG_PID;
  if (wpid !== undefined && wpid !== '' && Number(wpid) !== pid) return null;
  return Math.max(1, Math.floor(Number(usec) / 2 / 1000));
}

/** A STATUS= text as one line (systemd shows the first line only). */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').slice(0, 400);

export class SdNotifier {
  readonly socket: string | null;
  private watchdog: unknown = null;
  private lastError = '';
  private readonly d: Required<Omit<NotifierDeps, 'send'>> & { send: SendNotify | null };

  constructor(deps: NotifierDeps = {}) {
    const env = deps.env ?? process.env;
    this.socket = env.NOTIFY_SOCKET && env.NOTIFY_SOCKET !== '' ? env.NOTIFY_SOCKET : null;
    let send = deps.send ?? null;
    if (!send && this.socket) {
      const sys = loadSysNative();
      if (sys.ok) send = (p, m) => sys.addon.sdNotify(p, m);
      else (deps.warn ?? (() => undefined))(`systemd notification unavailable: ${sys.error}`);
    }
    this.d = {
      env,
      pid: deps.pid ?? process.pid,
      send,
      monotonicUs: deps.monotonicUs ?? (() => process.hrtime.bigint() / 1000n),
      setInterval: deps.setInterval ?? ((fn, ms) => setInterval(fn, ms)),
      clearInterval: deps.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)),
      warn: deps.warn ?? (() => undefined),
    };
  }

  get enabled(): boolean {
    return this.socket !== null && this.d.send !== null;
  }

  /** Sends one message (lines joined by newlines); false when not under systemd or it failed. */
  notify(...lines: string[]): boolean {
    if (!this.socket || !this.d.send) return false;
    const r = this.d.send(this.socket, lines.join('\n'));
    if (!r.ok && r.error !== this.lastError) {
      this.lastError = r.error;
      this.d.warn(`systemd notification failed: ${r.error}`);
    }
    return r.ok;
  }

  ready(status: string): boolean {
    return this.notify('READY=1', `MAINPID=${this.d.pid}`, `STATUS=${oneLine(status)}`);
  }

  reloading(): boolean {
    return this.notify('RELOADING=1', `MONOTONIC_USEC=${this.d.monotonicUs()}`, 'STATUS=Reloading');
  }

  stopping(): boolean {
    return this.notify('STOPPING=1', 'STATUS=Stopping');
  }

  status(text: string): boolean {
    return this.notify(`STATUS=${oneLine(text)}`);
  }

  error(errno: number, status: string): boolean {
    return this.notify(`ERRNO=${errno}`, `STATUS=${oneLine(status)}`);
  }

  /** Starts WATCHDOG=1 pings when WATCHDOG_USEC (and WATCHDOG_PID, if set) are for us. */
  startWatchdog(): number | null {
    const period = watchdogPeriodMs(this.d.env, this.d.pid);
    if (period === null || !this.enabled || this.watchdog) return period;
    this.notify('WATCHDOG=1');
    const h = this.d.setInterval(() => this.notify('WATCHDOG=1'), period);
    h.unref?.();
    this.watchdog = h;
    return period;
  }

  stopWatchdog(): void {
    if (this.watchdog) this.d.clearInterval(this.watchdog);
    this.watchdog = null;
  }
}

/** Calls `then` once `check()` holds, checking every `everyMs` (the children report ready over IPC;
 * the supervisor only sees a flag). Returns a cancel function. */
export function pollUntil(check: () => boolean, then: () => void, everyMs = 50): () => void {
  if (check()) {
    then();
    return () => undefined;
  }
  const h = setInterval(() => {
    if (!check()) return;
    clearInterval(h);
    then();
  }, everyMs);
  h.unref();
  return () => clearInterval(h);
}
