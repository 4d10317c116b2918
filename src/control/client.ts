// The keepalivedctl side of the control socket: one request per call (callDaemon), a long-lived
// connection for several (openDaemon), and the event stream (subscribeEvents). Never throws:
// every failure comes back as a value with a one-line message fit for an operator.
import { createConnection, type Socket } from 'node:net';
import { LineSplitter } from './framing.js';
import { type DaemonEvent, DEFAULT_SOCKET, PROTOCOL_VERSION, SOCKET_ENV } from './protocol.js';

export interface ClientOptions {
  socket?: string;
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
}

export type CallFailure = {
  ok: false;
  /** not-running: no socket or nobody listening; denied: no permission on the socket; io: any other socket error. */
  kind: 'not-running' | 'denied' | 'io' | 'timeout' | 'protocol' | 'rpc';
  message: string;
  code?: number;
  data?: unknown;
};
export type CallResult<T = unknown> = { ok: true; result: T } | CallFailure;

export const DEFAULT_TIMEOUT_MS = 5000;
/** A reply bigger than this is not something our daemon sends. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

export function socketPath(opt?: string): string {
  return opt || process.env[SOCKET_ENV] || DEFAULT_SOCKET;
}

/** One request on a fresh connection. */
export async function callDaemon<T = unknown>(method: string, params: Record<string, unknown> = {}, opts: ClientOptions = {}): Promise<CallResult<T>> {
  const conn = await openDaemon(opts);
  if (!conn.ok) return conn;
  try {
    return await conn.connection.call<T>(method, params, opts.timeoutMs);
  } finally {
    conn.connection.close();
  }
}

export interface DaemonConnection {
  call<T = unknown>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<CallResult<T>>;
  /** Notifications (`events` stream) go here. */
  onEvent(fn: (event: DaemonEvent) => void): void;
  /** Resolves with why the connection ended (null when we closed it). */
  readonly closed: Promise<string | null>;
  close(): void;
}

export async function openDaemon(opts: ClientOptions = {}): Promise<{ ok: true; connection: DaemonConnection } | CallFailure> {
  const path = socketPath(opts.socket);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = createConnection(path);
  const connected = await new Promise<CallFailure | null>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, kind: 'timeout', message: `no answer from the control socket ${path} within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(null);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(connectFailure(path, e));
    });
  });
  if (connected) return connected;
  return { ok: true, connection: new Connection(socket, path, timeoutMs) };
}

export function connectFailure(path: string, e: NodeJS.ErrnoException): CallFailure {
  switch (e.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
    case 'ENOTDIR':
      return { ok: false, kind: 'not-running', message: `keepalived is not running (no control socket at ${path})` };
    case 'EACCES':
    case 'EPERM':
      return { ok: false, kind: 'denied', message: `permission denied on the control socket ${path} (run as root, or as a member of its group)` };
    default:
      return { ok: false, kind: 'io', message: `cannot connect to the control socket ${path}: ${e.message}` };
  }
}

type Pending = { resolve: (r: CallResult<never>) => void; timer: NodeJS.Timeout; method: string };

class Connection implements DaemonConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private eventFns: ((e: DaemonEvent) => void)[] = [];
  private ended: string | null | undefined;
  private endedFn!: (why: string | null) => void;
  readonly closed: Promise<string | null>;

  constructor(
    private readonly socket: Socket,
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {
    this.closed = new Promise((resolve) => (this.endedFn = resolve));
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    socket.on('data', (chunk: Buffer) => {
      const fed = splitter.feed(chunk);
      if (!fed.ok) return this.finish(`the daemon sent a ${fed.error}`);
      for (const line of fed.lines) this.onLine(line);
    });
    socket.on('error', (e) => this.finish(`control socket ${path}: ${e.message}`));
    socket.on('close', () => this.finish('the daemon closed the connection'));
  }

  call<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = this.timeoutMs): Promise<CallResult<T>> {
    if (this.ended !== undefined) return Promise.resolve({ ok: false, kind: 'protocol', message: this.ended ?? 'connection closed' });
    const id = this.nextId++;
    return new Promise<CallResult<T>>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, kind: 'timeout', message: `the daemon did not answer ${method} within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as Pending['resolve'], timer, method });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, protocolVersion: PROTOCOL_VERSION } }) + '\n');
    });
  }

  onEvent(fn: (event: DaemonEvent) => void): void {
    this.eventFns.push(fn);
  }

  close(): void {
    this.finish(null);
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      msg = v as Record<string, unknown>;
    } catch {
      return this.finish(`the daemon sent something that is not JSON-RPC: ${line.slice(0, 80)}`);
    }
    if (msg.method === 'event' && !('id' in msg)) {
      for (const fn of this.eventFns) fn(msg.params as DaemonEvent);
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) {
      // An error without an id is about the connection as a whole (too many connections, oversized line).
      const err = msg.error as { message?: string } | undefined;
      if (msg.id === null && err) return this.finish(`the daemon refused the request: ${err.message}`);
      return;
    }
    this.pending.delete(msg.id as number);
    clearTimeout(p.timer);
    if (msg.error && typeof msg.error === 'object') {
      const e = msg.error as { code?: unknown; message?: unknown; data?: unknown };
      p.resolve({ ok: false, kind: 'rpc', message: String(e.message ?? 'error'), code: typeof e.code === 'number' ? e.code : undefined, data: e.data });
    } else if ('result' in msg) p.resolve({ ok: true, result: msg.result as never });
    else p.resolve({ ok: false, kind: 'protocol', message: `the daemon's answer to ${p.method} has neither result nor error` });
  }

  private finish(why: string | null): void {
    if (this.ended !== undefined) return;
    this.ended = why;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, kind: 'protocol', message: why ?? 'connection closed' });
    }
    this.pending.clear();
    this.socket.destroy();
    this.endedFn(why);
  }
}

export interface Subscription {
  close(): void;
  /** Resolves with why the stream ended (null when closed by us). */
  readonly closed: Promise<string | null>;
}

/** Subscribes to the daemon's events; onEvent runs for each until close() or the daemon goes away. */
export async function subscribeEvents(opts: ClientOptions, onEvent: (event: DaemonEvent) => void): Promise<{ ok: true; subscription: Subscription } | CallFailure> {
  const conn = await openDaemon(opts);
  if (!conn.ok) return conn;
  const c = conn.connection;
  c.onEvent(onEvent);
  const r = await c.call('events', {}, opts.timeoutMs);
  if (!r.ok) {
    c.close();
    return r;
  }
  return { ok: true, subscription: { close: () => c.close(), closed: c.closed } };
}
