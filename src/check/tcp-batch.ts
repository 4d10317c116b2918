// TCP_CHECK through the addon's batch prober (native/tcpcheck.c): the connects of one loop turn go
// down in one call, and their results come back in one callback per loop turn as typed-array rows,
// so a check costs JS a few array reads instead of a libuv handle, a TCPWrap and its callbacks.
// Results read as TcpProbe's: "succeeded", "failed: refused|unreachable|<errno>", "timed out after".
// Targets are registered once (parsed in C once); an idle probe that is garbage-collected gives its
// id back. No fallback here: TcpProbe checks `sharedBatch()` and otherwise takes the TCPWrap or
// net.Socket path. On success the connection is reset (RST), as TcpProbe's other paths do;
// keepalived close()s (FIN), which at 10k checks/s would leave a TIME_WAIT per check here.
import net from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { loadNative, type NativeHandle, type NativeResult } from '../net/native.js';
import { hostPort, MAX_TIMER_MS, type ConnectTarget, type DirectProbe, type ProbeDone } from './types.js';

/** Result codes of native/tcpcheck.c. */
export const TB_UP = 0;
export const TB_CONNECT = 1;
export const TB_TIMEOUT = 2;
export const TB_SOCKET = 3;
export const TB_MARK = 4;
export const TB_BINDTODEVICE = 5;
export const TB_BIND = 6;

interface TcpBatchAddon {
  tcpBatchOpen(cb: (count: number) => void): NativeResult<{ handle: NativeHandle; rows: Int32Array; elapsed: Float64Array; capacity: number }>;
  tcpBatchAdd(
    h: NativeHandle,
    address: string,
    port: number,
    bindAddress: string | null,
    bindPort: number,
    bindIf: string | null,
    mark: number,
    timeoutMs: number,
  ): NativeResult<{ id: number }>;
  tcpBatchRemove(h: NativeHandle, id: number): boolean;
  tcpBatchCancel(h: NativeHandle, id: number): boolean;
  tcpBatchSubmit(h: NativeHandle, runs: Uint32Array, count: number): number;
  tcpBatchClose(h: NativeHandle): NativeResult;
  tcpBatchStats(h: NativeHandle): NativeResult<{ targets: number; pending: number; deadlines: number; closed: number }>;
}

/** One run's outcome, for callers that want more than (ok, detail). */
export interface TcpBatchOutcome {
  ok: boolean;
  detail: string;
  /** TB_* code. */
  code: number;
  /** errno (0 on success; ETIMEDOUT on timeout). */
  errno: number;
  /** From the socket call to the result, measured in C. */
  elapsedMs: number;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const errnoName = (n: number): string => errnoNames.get(n) ?? `errno ${n}`;
const uvErrors = getSystemErrorMap();
/** strerror's words for an errno ("Operation not permitted"), from libuv's table. */
function errnoText(n: number): string {
  const m = uvErrors.get(-n)?.[1];
  return m ? m[0]!.toUpperCase() + m.slice(1) : errnoName(n);
}

/** The words TcpProbe uses after "failed: " for a connect error. */
function connectWhy(errno: number): string {
  const name = errnoName(errno);
  return name === 'ECONNREFUSED' ? 'refused' : name === 'EHOSTUNREACH' || name === 'ENETUNREACH' ? 'unreachable' : name;
}

/**
 * Checks a target as the addon will take it; undefined when fine, else one line naming the field
 * and the value. (The addon checks again; this gives the message in the checker's words.)
 */
export function checkTarget(t: ConnectTarget): string | undefined {
  const family = net.isIP(t.ip);
  if (!family) return `connect address '${t.ip}' is not an IP address`;
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) return `connect port ${t.port} of ${t.ip} is not 1-65535`;
  if (t.bindto !== undefined && net.isIP(t.bindto) !== family) return `bindto ${t.bindto} is not of the same family as ${t.ip}`;
  if (t.bindPort !== undefined && (!Number.isInteger(t.bindPort) || t.bindPort < 0 || t.bindPort > 65535)) return `bind_port ${t.bindPort} is not 0-65535`;
  if (t.fwmark !== undefined && (!Number.isInteger(t.fwmark) || t.fwmark < 0 || t.fwmark > 0xffffffff)) return `fwmark ${t.fwmark} is not an integer 0-4294967295`;
  if (typeof t.timeoutMs !== 'number' || Number.isNaN(t.timeoutMs) || t.timeoutMs < 0) return `connect_timeout ${t.timeoutMs} ms is not a number >= 0`;
  if (t.bindIf !== undefined && (t.bindIf.length === 0 || Buffer.byteLength(t.bindIf) > 15 || t.bindIf.includes('\0'))) return `bind_if '${t.bindIf}' is not an interface name`;
  return undefined;
}

// Id registrations of probes collected while idle: their native slot is freed.
const reclaim = new FinalizationRegistry<{ batch: TcpBatch; id: number }>((r) => r.batch.release(r.id));

/** One process-wide batch on Node's loop; the TS side of native/tcpcheck.c. */
export class TcpBatch {
  /** Probes with a run submitted or queued, by id (only while in flight: idle ones can be collected). */
  private readonly live: (TcpBatchProbe | undefined)[] = [];
  private queue: TcpBatchProbe[] = [];
  private runs = new Uint32Array(2048);
  private flushQueued = false;
  private closed = false;
  private readonly handle: NativeHandle;
  private readonly rows: Int32Array;
  private readonly elapsed: Float64Array;
  private readonly flushBound = (): void => this.flush();

  private constructor(
    private readonly addon: TcpBatchAddon,
    open: { handle: NativeHandle; rows: Int32Array; elapsed: Float64Array },
  ) {
    this.handle = open.handle;
    this.rows = open.rows;
    this.elapsed = open.elapsed;
  }

  /** A new batch, or why there cannot be one (addon missing or without the prober). */
  static open(): TcpBatch | string {
    const loaded = loadNative();
    if (!loaded.ok) return loaded.error;
    const addon = loaded.addon as unknown as Partial<TcpBatchAddon>;
    if (typeof addon.tcpBatchOpen !== 'function') return 'the native addon has no TCP batch prober (rebuild it: npm rebuild)';
    let batch: TcpBatch | undefined;
    const r = addon.tcpBatchOpen((n) => batch!.onResults(n));
    if (!r.ok) return r.error;
    batch = new TcpBatch(addon as TcpBatchAddon, r);
    return batch;
  }

  /** Registers a target; its id, or a one-line error. */
  add(t: ConnectTarget): number | string {
    if (this.closed) return 'the TCP batch prober is closed';
    const bad = checkTarget(t);
    if (bad) return bad;
    const family = net.isIP(t.ip);
    // A link-local IPv6 target takes bind_if as its scope, as TcpProbe does.
    const host = t.bindIf && family === 6 && t.ip.toLowerCase().startsWith('fe80') && !t.ip.includes('%') ? `${t.ip}%${t.bindIf}` : t.ip;
    const ms = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(t.timeoutMs)));
    const r = this.addon.tcpBatchAdd(this.handle, host, t.port, t.bindto ?? null, t.bindPort ?? 0, t.bindIf ?? null, t.fwmark ?? 0, ms);
    if (!r.ok) return `${hostPort(t.ip, t.port)}: ${r.error}`;
    return r.id;
  }

  /** Frees an id (its run in flight, if any, ends with no result). */
  release(id: number): void {
    if (this.closed) return;
    this.live[id] = undefined;
    this.addon.tcpBatchRemove(this.handle, id);
  }

  /** Queues a run; submitted with the others of this turn in one call. */
  enqueue(p: TcpBatchProbe): void {
    this.live[p.id] = p;
    this.queue.push(p);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
  }

  /** A queued run was cancelled before its flush: drop the strong reference. */
  forget(id: number): void {
    this.live[id] = undefined;
  }

  /** Ends a submitted run now (no result for it). */
  cancelRun(id: number): void {
    this.live[id] = undefined;
    if (!this.closed) this.addon.tcpBatchCancel(this.handle, id);
  }

  private flush(): void {
    this.flushQueued = false;
    const q = this.queue;
    if (q.length === 0 || this.closed) return;
    this.queue = [];
    if (this.runs.length < q.length * 2) this.runs = new Uint32Array(q.length * 4);
    const runs = this.runs;
    let n = 0;
    for (const p of q) {
      if (!p.queued) continue; // cancelled before this flush
      p.queued = false;
      p.submitted = true;
      runs[2 * n] = p.id;
      runs[2 * n + 1] = p.gen;
      n++;
    }
    if (n > 0) this.addon.tcpBatchSubmit(this.handle, runs, n);
  }

  /** The addon's callback: `n` rows, each a run's end. */
  private onResults(n: number): void {
    const rows = this.rows;
    const live = this.live;
    for (let i = 0; i < n; i++) {
      const id = rows[4 * i];
      const p = live[id];
      // Gen: a run cancelled (or restarted) after the addon ended it gives no result.
      if (p === undefined || p.gen !== rows[4 * i + 1] >>> 0 || !p.submitted) continue;
      live[id] = undefined;
      p.submitted = false;
      p.settle(rows[4 * i + 2], rows[4 * i + 3], this.elapsed[i]);
    }
  }

  /** Runs in flight in the addon, targets registered (tests, status). */
  stats(): { targets: number; pending: number } {
    const r = this.addon.tcpBatchStats(this.handle);
    return r.ok ? { targets: r.targets, pending: r.pending } : { targets: 0, pending: 0 };
  }

  /** Ends every run (no results) and the epoll fd; later adds fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.live.length = 0;
    this.addon.tcpBatchClose(this.handle);
  }

  register(p: TcpBatchProbe, id: number): void {
    reclaim.register(p, { batch: this, id }, p);
  }

  unregister(p: TcpBatchProbe): void {
    reclaim.unregister(p);
  }
}

let shared: TcpBatch | string | undefined;

/** The process's batch, made at first use; undefined when the addon cannot give one. */
export function sharedBatch(): TcpBatch | undefined {
  if (shared === undefined) shared = TcpBatch.open();
  return typeof shared === 'string' ? undefined : shared;
}

/** Why there is no shared batch (undefined when there is one). */
export function sharedBatchError(): string | undefined {
  if (shared === undefined) sharedBatch();
  return typeof shared === 'string' ? shared : undefined;
}

/**
 * One TCP_CHECK target on the batch prober, reused for every run (a DirectProbe: the scheduler
 * starts it, times it out from its own queue and cancels it; the addon also ends the run at the
 * target's connect_timeout, whichever comes first, with the same detail).
 */
export class TcpBatchProbe implements DirectProbe {
  readonly timeoutMs: number;
  readonly timeoutDetail: string;
  private readonly okDetail: string;
  private readonly failPrefix: string;
  private readonly where: string;
  id = -1;
  /** Run number: bumped by start and cancel; a result of another run is dropped. */
  gen = 0;
  queued = false;
  submitted = false;
  /** Set when the target cannot be registered: every start fails with it. */
  private bad: string | undefined;
  /** The last run's outcome (code, errno, elapsed), for callers that want it. */
  last: TcpBatchOutcome | undefined;

  constructor(
    private readonly batch: TcpBatch,
    private readonly t: ConnectTarget,
    private readonly done: ProbeDone,
  ) {
    this.where = hostPort(t.ip, t.port);
    this.timeoutMs = t.timeoutMs;
    this.timeoutDetail = `TCP connection to ${this.where} timed out after ${t.timeoutMs / 1000}s`;
    this.okDetail = `TCP connection to ${this.where} succeeded`;
    this.failPrefix = `TCP connection to ${this.where} failed: `;
    this.register();
  }

  private register(): void {
    const r = this.batch.add(this.t);
    if (typeof r === 'string') {
      this.bad = r;
      return;
    }
    this.bad = undefined;
    this.id = r;
    this.batch.register(this, r);
  }

  start(): string | undefined {
    if (this.id < 0) this.register();
    if (this.bad) return this.bad;
    if (this.submitted) this.cancel();
    this.gen = (this.gen + 1) >>> 0;
    if (!this.queued) {
      this.queued = true;
      this.batch.enqueue(this);
    }
    return undefined;
  }

  cancel(): void {
    this.gen = (this.gen + 1) >>> 0;
    if (this.queued) {
      this.queued = false;
      this.batch.forget(this.id);
    }
    if (this.submitted) {
      this.submitted = false;
      this.batch.cancelRun(this.id);
    }
  }

  /** Frees the target's id in the addon (the probe registers again if started later). */
  dispose(): void {
    this.cancel();
    if (this.id < 0) return;
    this.batch.unregister(this);
    this.batch.release(this.id);
    this.id = -1;
  }

  /** A row for this run: keepalived's outcome, in TcpProbe's words. */
  settle(code: number, errno: number, elapsedMs: number): void {
    let detail: string;
    if (code === TB_UP) detail = this.okDetail;
    else if (code === TB_TIMEOUT) detail = this.timeoutDetail;
    else if (code === TB_CONNECT) detail = this.failPrefix + connectWhy(errno);
    else detail = this.failPrefix + this.setupWhy(code, errno);
    this.last = { ok: code === TB_UP, detail, code, errno, elapsedMs };
    this.done(code === TB_UP, detail);
  }

  /** A step before connect() failed: named as the fwmark path (native/mark.c) names it. */
  private setupWhy(code: number, errno: number): string {
    const e = errnoText(errno);
    const t = this.t;
    switch (code) {
      case TB_MARK:
        return `setting fwmark ${t.fwmark} on the socket${errnoName(errno) === 'EPERM' ? ' (needs CAP_NET_ADMIN or CAP_NET_RAW)' : ''}: ${e}`;
      case TB_BINDTODEVICE:
        return `binding to device ${t.bindIf}: ${e}`;
      case TB_BIND:
        return `bind to ${t.bindto ?? (net.isIPv6(t.ip) ? '::' : '0.0.0.0')} port ${t.bindPort ?? 0}: ${e}`;
      default:
        return `TCP socket: ${e}`;
    }
  }
}

/**
 * One check per target, all in one batch (tests, one-off runs): resolves each target's outcome in
 * order. A target that cannot be registered resolves at once with its error (code -1).
 */
export function checkOnce(batch: TcpBatch, targets: ConnectTarget[]): Promise<TcpBatchOutcome[]> {
  return new Promise((resolve) => {
    const out: TcpBatchOutcome[] = new Array(targets.length);
    let left = targets.length;
    const probes: TcpBatchProbe[] = [];
    const finishOne = (i: number, o: TcpBatchOutcome): void => {
      out[i] = o;
      if (--left === 0) {
        for (const p of probes) p.dispose();
        resolve(out);
      }
    };
    if (left === 0) return resolve(out);
    targets.forEach((t, i) => {
      const p: TcpBatchProbe = new TcpBatchProbe(batch, t, () => finishOne(i, p.last!));
      probes.push(p);
      const bad = p.start();
      if (bad !== undefined) finishOne(i, { ok: false, detail: bad, code: -1, errno: 0, elapsedMs: 0 });
    });
  });
}
