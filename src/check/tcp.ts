// TCP_CHECK (check_tcp.c): the server is up when a TCP connection to it completes within
// connect_timeout; refused, unreachable or timed out is down. The connection is reset at once.
// TcpProbe is the scheduler's per-checker object (no promise, timer or listener closure per run);
// tcpConnect is the promise form other checkers (SMTP) build on.
import net from 'node:net';
import { connectMarked, type MarkedConnectResult } from '../net/marked-socket.js';
import { getSystemErrorName } from 'node:util';
import { sharedBatch, TcpBatchProbe } from './tcp-batch.js';
import { clampTimer, errText, failure, hostPort, success, type CheckDeps, type CheckResult, type ConnectTarget, type DirectProbe, type ProbeDone, type TcpSpec } from './types.js';

export interface Connected {
  socket: net.Socket;
}

/**
 * Opens a TCP connection honouring bindto/bind_port/bind_if and the timeout. Resolves the open
 * socket (the caller owns it) or a failure message; never rejects.
 */
export function tcpConnect(t: ConnectTarget, deps: CheckDeps): Promise<{ ok: true; socket: net.Socket } | { ok: false; detail: string }> {
  const where = hostPort(t.ip, t.port);
  return new Promise((resolve) => {
    let done = false;
    let socket: net.Socket | undefined;
    const finish = (r: { ok: true; socket: net.Socket } | { ok: false; detail: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      deps.signal?.removeEventListener('abort', onAbort);
      if (!r.ok) socket?.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, detail: `connection to ${where} aborted` });
    const timer = setTimeout(
      () => finish({ ok: false, detail: `TCP connection to ${where} timed out after ${t.timeoutMs / 1000}s` }),
      clampTimer(t.timeoutMs),
    );
    if (deps.signal?.aborted) return onAbort();
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    const family = net.isIP(t.ip);
    if (!family) return finish({ ok: false, detail: `connect address '${t.ip}' is not an IP address` });
    if (t.bindto && net.isIP(t.bindto) !== family) {
      return finish({ ok: false, detail: `bindto ${t.bindto} is not of the same family as ${t.ip}` });
    }
    const host = t.bindIf && family === 6 && t.ip.toLowerCase().startsWith('fe80') ? `${t.ip}%${t.bindIf}` : t.ip;
    try {
      socket = net.connect({ host, port: t.port, family, localAddress: t.bindto, localPort: t.bindPort });
    } catch (e) {
      return finish({ ok: false, detail: `cannot connect to ${where}: ${errText(e)}` });
    }
    socket.once('connect', () => finish({ ok: true, socket: socket! }));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'unreachable' : errText(e);
      finish({ ok: false, detail: `TCP connection to ${where} failed: ${why}` });
    });
  });
}

// The libuv TCP handle that net.Socket wraps (process.binding('tcp_wrap')), used bare by TCP_CHECK:
// a health check needs only connect and reset, and skipping the stream machinery around it cuts
// the CPU per check to about a third. Feature-detected once; without it TcpProbe uses net.Socket.
export interface TcpHandle {
  bind(addr: string, port: number): number;
  bind6(addr: string, port: number, flags: number): number;
  connect(req: ConnectReq, addr: string, port: number): number;
  connect6(req: ConnectReq, addr: string, port: number): number;
  reset(cb: () => void): number;
  close(cb: () => void): void;
}

export interface ConnectReq {
  oncomplete: (status: number, handle: TcpHandle, req: ConnectReq) => void;
  /** The probe this connect belongs to (set by TcpProbe). */
  probe?: { onHandle(status: number, h: TcpHandle): void };
}

interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}

let cached: TcpWrap | null | undefined;

/** The binding, or undefined when this Node has no usable one. */
export function tcpWrap(): TcpWrap | undefined {
  if (cached === undefined) {
    cached = null;
    try {
      const b = (process as unknown as { binding(name: string): Partial<TcpWrap> }).binding('tcp_wrap');
      const proto = b.TCP?.prototype as Partial<TcpHandle> | undefined;
      if (
        typeof b.TCPConnectWrap === 'function' &&
        typeof b.constants?.SOCKET === 'number' &&
        proto &&
        ['bind', 'bind6', 'connect', 'connect6', 'reset', 'close'].every((m) => typeof proto[m as keyof TcpHandle] === 'function')
      ) {
        cached = b as TcpWrap;
      }
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}

function errName(code: number): string {
  try {
    return getSystemErrorName(code);
  } catch {
    return `error ${code}`;
  }
}

/**
 * Opens a handle and starts a non-blocking connect; `oncomplete` gets (status, handle, req).
 * A string is an error found at once (bind or connect refused by the kernel), handle closed.
 */
export function openHandle(
  family: number,
  host: string,
  port: number,
  bindto: string | undefined,
  bindPort: number | undefined,
  oncomplete: ConnectReq['oncomplete'],
): { handle: TcpHandle; req: ConnectReq } | string {
  const w = tcpWrap();
  if (!w) return 'no TCP handle binding';
  const handle = new w.TCP(w.constants.SOCKET);
  let err = 0;
  if (bindto || bindPort) {
    err = family === 6 ? handle.bind6(bindto ?? '::', bindPort ?? 0, 0) : handle.bind(bindto ?? '0.0.0.0', bindPort ?? 0);
    if (err) {
      handle.close(() => undefined);
      return `bind ${bindto ?? ''}:${bindPort ?? 0}: ${errName(err)}`;
    }
  }
  const req = new w.TCPConnectWrap();
  req.oncomplete = oncomplete;
  err = family === 6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
  if (err) {
    handle.close(() => undefined);
    return errName(err);
  }
  return { handle, req };
}

export type TcpProbeMode = 'batch' | 'handle' | 'socket';

/**
 * The addon's batch prober (tcp-batch.ts) when it is built, else the bare handle, else net.Socket;
 * KEEPALIVED_TCP_CHECK=handle|socket picks one of the older paths.
 */
export function defaultTcpProbeMode(): TcpProbeMode {
  const want = process.env.KEEPALIVED_TCP_CHECK;
  if (want !== 'handle' && want !== 'socket' && sharedBatch()) return 'batch';
  return want !== 'socket' && tcpWrap() ? 'handle' : 'socket';
}

const PROBE = Symbol('tcp-probe');
type ProbeSocket = net.Socket & { [PROBE]?: TcpProbe };
const noop = (): void => undefined;

function why(code: string): string {
  return code === 'ECONNREFUSED' ? 'refused' : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable' : code;
}

/**
 * One TCP_CHECK target, reused for every run: connect, on success reset at once (SO_LINGER 0, as
 * HAProxy's checks: no TIME_WAIT per check), report through `done`. Two ways to connect: the
 * libuv TCP handle under net.Socket (mode 'handle': no stream state, about a third of the CPU), or
 * net.Socket itself (mode 'socket', the fallback).
 */
export class TcpProbe implements DirectProbe {
  readonly timeoutMs: number;
  readonly timeoutDetail: string;
  private readonly okDetail: string;
  private readonly failPrefix: string;
  private readonly family: number;
  private readonly host: string;
  private readonly opts: net.NetConnectOpts;
  private readonly bad: string | undefined;
  /** The run in flight: its handle or socket; a completion for anything else is stale. */
  private handle: TcpHandle | undefined;
  private socket: ProbeSocket | undefined;
  /** fwmark: the marked connect in flight (made by the addon, which sets SO_MARK before connect()). */
  private marked: AbortController | undefined;
  /** Mode 'batch': the run goes through the addon's batch prober (fwmark and bind_if included). */
  private readonly batch: TcpBatchProbe | undefined;

  constructor(
    private readonly t: ConnectTarget,
    private readonly done: ProbeDone,
    readonly mode: TcpProbeMode = defaultTcpProbeMode(),
  ) {
    const where = hostPort(t.ip, t.port);
    this.timeoutMs = t.timeoutMs;
    this.timeoutDetail = `TCP connection to ${where} timed out after ${t.timeoutMs / 1000}s`;
    this.okDetail = `TCP connection to ${where} succeeded`;
    this.failPrefix = `TCP connection to ${where} failed: `;
    this.family = net.isIP(t.ip);
    this.host = t.bindIf && this.family === 6 && t.ip.toLowerCase().startsWith('fe80') ? `${t.ip}%${t.bindIf}` : t.ip;
    this.bad = !this.family
      ? `connect address '${t.ip}' is not an IP address`
      : t.bindto && net.isIP(t.bindto) !== this.family
        ? `bindto ${t.bindto} is not of the same family as ${t.ip}`
        : undefined;
    if (this.mode === 'batch') {
      const b = sharedBatch();
      if (b) this.batch = new TcpBatchProbe(b, t, done);
      else this.mode = tcpWrap() ? 'handle' : 'socket';
    }
    if (this.mode === 'handle' && !tcpWrap()) this.mode = 'socket';
    this.opts = { host: this.host, port: t.port, family: this.family, localAddress: t.bindto, localPort: t.bindPort };
  }

  start(): string | undefined {
    if (this.bad) return this.bad;
    if (this.batch) return this.batch.start();
    this.cancel();
    if (this.t.fwmark) {
      const stop = new AbortController();
      this.marked = stop;
      const t = this.t;
      void connectMarked({ address: this.host, port: t.port, mark: t.fwmark!, localAddress: t.bindto, localPort: t.bindPort, bindIf: t.bindIf, timeoutMs: t.timeoutMs, signal: stop.signal }).then((r) => this.onMarked(stop, r));
      return undefined;
    }
    if (this.mode === 'handle') {
      const r = openHandle(this.family, this.host, this.t.port, this.t.bindto, this.t.bindPort, onHandleConnect);
      if (typeof r === 'string') return `cannot connect to ${hostPort(this.t.ip, this.t.port)}: ${r}`;
      r.req.probe = this;
      this.handle = r.handle;
      return undefined;
    }
    let s: ProbeSocket;
    try {
      s = net.connect(this.opts);
    } catch (e) {
      return `cannot connect to ${hostPort(this.t.ip, this.t.port)}: ${errText(e)}`;
    }
    s[PROBE] = this;
    s.on('connect', onSocketConnect);
    s.on('error', onSocketError);
    this.socket = s;
    return undefined;
  }

  cancel(): void {
    this.batch?.cancel();
    this.marked?.abort();
    this.marked = undefined;
    if (this.handle) this.handle.close(noop);
    this.handle = undefined;
    if (this.socket) this.socket.destroy();
    this.socket = undefined;
  }

  /** Gives back what the probe holds beyond a run (the batch prober's target slot). */
  dispose(): void {
    this.cancel();
    this.batch?.dispose();
  }

  /** The addon finished a marked connect; `stop` tells whether it is still the run in flight. */
  private onMarked(stop: AbortController, r: MarkedConnectResult): void {
    if (stop !== this.marked) {
      if (r.ok) r.socket.destroy();
      return;
    }
    this.marked = undefined;
    if (r.ok) {
      r.socket.on('error', noop);
      r.socket.resetAndDestroy();
      this.done(true, this.okDetail);
    } else {
      // Connect errors read as the unmarked ones; set-up failures (SO_MARK refused, bind) say what failed.
      this.done(false, this.failPrefix + (r.stage === 'connect' || r.stage === 'timeout' ? why(r.code) : r.message));
    }
  }

  /** libuv finished the connect of `h`. */
  onHandle(status: number, h: TcpHandle): void {
    if (h !== this.handle) return; // cancelled: already closed
    this.handle = undefined;
    if (status === 0) {
      if (h.reset(noop) !== 0) h.close(noop);
      this.done(true, this.okDetail);
    } else {
      h.close(noop);
      this.done(false, this.failPrefix + why(errName(status)));
    }
  }

  onSocket(s: ProbeSocket, err: NodeJS.ErrnoException | undefined): void {
    if (s !== this.socket) return;
    this.socket = undefined;
    if (err) {
      s.destroy();
      this.done(false, this.failPrefix + (err.code ? why(err.code) : errText(err)));
    } else {
      s.resetAndDestroy();
      this.done(true, this.okDetail);
    }
  }
}

// Shared listeners: the probe rides on the request or socket, so no closure is made per run.
function onHandleConnect(status: number, handle: TcpHandle, req: ConnectReq): void {
  req.probe?.onHandle(status, handle);
}
function onSocketConnect(this: ProbeSocket): void {
  this[PROBE]?.onSocket(this, undefined);
}
function onSocketError(this: ProbeSocket, e: NodeJS.ErrnoException): void {
  this[PROBE]?.onSocket(this, e);
}

/** One TCP_CHECK as a promise (tests, one-off runs): a TcpProbe with its own timer and abort. */
export function runTcpCheck(spec: TcpSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (ok: boolean, detail: string): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      deps.signal?.removeEventListener('abort', onAbort);
      probe.dispose();
      resolve(ok ? success(detail, started, deps.now) : failure(detail, started, deps.now));
    };
    const probe = new TcpProbe(spec.target, finish);
    const onAbort = (): void => {
      probe.cancel();
      finish(false, `connection to ${hostPort(spec.target.ip, spec.target.port)} aborted`);
    };
    timer = setTimeout(() => {
      probe.cancel();
      finish(false, probe.timeoutDetail);
    }, clampTimer(spec.target.timeoutMs));
    if (deps.signal?.aborted) return onAbort();
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    const bad = probe.start();
    if (bad) finish(false, bad);
  });
}
