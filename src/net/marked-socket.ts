// TCP connections carrying a firewall mark (SO_MARK), for genhash -m and the checkers' `fwmark`.
// Node cannot set a socket option before connect(), so the addon makes, marks, binds and connects
// the socket (markConnect) and hands the connected fd over; here it becomes a net.Socket. Every
// path either returns an open socket the caller owns or has closed the fd: nothing leaks.
import { closeSync } from 'node:fs';
import net from 'node:net';
import { constants } from 'node:os';
import { loadNative, type MarkConnectFailure, type NativeHandle } from './native.js';

export interface MarkedConnectOptions {
  /** Server IP literal (IPv4, IPv6, IPv6 link-local with %scope). */
  address: string;
  port: number;
  /** SO_MARK value, 0-4294967295; 0 leaves the socket unmarked (keepalived's "no fwmark"). */
  mark: number;
  /** Source address / port (bindto, bind_port). */
  localAddress?: string;
  localPort?: number;
  /** SO_BINDTODEVICE (bind_if). */
  bindIf?: string;
  /** Bound on the whole connect; at least 1 ms. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export type MarkedConnectStage = MarkConnectFailure['stage'] | 'addon' | 'aborted' | 'wrap';

export type MarkedConnectResult =
  | { ok: true; socket: net.Socket }
  | {
      ok: false;
      stage: MarkedConnectStage;
      /** errno name when there is one (ECONNREFUSED, EPERM, ETIMEDOUT, ...), else the stage in capitals. */
      code: string;
      /** One line naming the target, the mark and what failed. */
      message: string;
    };

// Node refuses larger timers; the addon's timer takes the same bound.
const MAX_TIMEOUT_MS = 2_147_483_647;

// Handles of connects under way: a handle nothing references could be garbage-collected, and its
// finalizer would close the socket and drop the callback (the promise would never settle).
const pending = new Set<NativeHandle>();

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function errnoName(n: number): string | undefined {
  return errnoNames.get(n);
}

function where(o: MarkedConnectOptions): string {
  const host = o.address.includes(':') ? `[${o.address}]` : o.address;
  return `${host}:${o.port}`;
}

/** Connects with the mark set; resolves an open socket or a failure value, never rejects. */
export function connectMarked(o: MarkedConnectOptions): Promise<MarkedConnectResult> {
  const label = `TCP connection to ${where(o)} with fwmark ${o.mark}`;
  const failed = (stage: MarkedConnectStage, code: string, why: string): MarkedConnectResult => ({
    ok: false,
    stage,
    code,
    message: `${label}: ${why}`,
  });
  const fromNative = (f: MarkConnectFailure): MarkedConnectResult =>
    failed(f.stage, (f.errno && errnoName(f.errno)) || f.stage.toUpperCase(), f.error);

  if (o.signal?.aborted) return Promise.resolve(failed('aborted', 'ABORT_ERR', 'aborted'));
  if (!Number.isInteger(o.mark) || o.mark < 0 || o.mark > 0xffffffff) {
    return Promise.resolve(failed('args', 'EINVAL', `fwmark ${o.mark} is not an integer 0-4294967295`));
  }
  if (net.isIP(o.address.split('%')[0] ?? '') === 0) return Promise.resolve(failed('args', 'EINVAL', `'${o.address}' is not an IP address`));
  const loaded = loadNative();
  if (!loaded.ok) return Promise.resolve(failed('addon', 'ENOSYS', loaded.error));
  const timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(1, Math.ceil(Number.isFinite(o.timeoutMs) ? o.timeoutMs : MAX_TIMEOUT_MS)));

  return new Promise((resolve) => {
    let done = false;
    let onAbort: (() => void) | undefined;
    let handle: NativeHandle | undefined;
    const finish = (r: MarkedConnectResult): void => {
      if (done) {
        if (r.ok) r.socket.destroy(); // cannot happen (the addon calls back once); never leak it anyway
        return;
      }
      done = true;
      if (onAbort) o.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onDone = (r: { ok: true; fd: number } | MarkConnectFailure): void => {
      if (handle) pending.delete(handle);
      if (!r.ok) return finish(fromNative(r));
      if (done) return closeFd(r.fd);
      let socket: net.Socket;
      try {
        socket = new net.Socket({ fd: r.fd, readable: true, writable: true });
      } catch (e) {
        closeFd(r.fd);
        return finish(failed('wrap', 'EBADF', `cannot wrap the connected socket: ${(e as Error).message}`));
      }
      finish({ ok: true, socket });
    };
    const started = loaded.addon.markConnect(o.address, o.port, o.mark, o.localAddress ?? null, o.localPort ?? 0, o.bindIf ?? null, timeoutMs, onDone);
    if (!started.ok) return finish(fromNative(started));
    const h = started.handle;
    handle = h;
    pending.add(h);
    // close() cancels the pending connect: the addon closes the fd and never calls back.
    onAbort = (): void => {
      pending.delete(h);
      loaded.addon.close(h);
      finish(failed('aborted', 'ABORT_ERR', 'aborted'));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to release
  }
}

/**
 * A connect hook for the HTTP engine (HttpGetOptions.connect) that marks the connection; with
 * `bindIf` it also binds to that device. Shaped structurally so src/check does not depend on src/net.
 */
export function markedConnector(
  mark: number,
  bindIf?: string,
): (t: { address: string; port: number; localAddress?: string; localPort?: number; timeoutMs: number; signal?: AbortSignal }) => Promise<MarkedConnectResult> {
  return (t) => connectMarked({ ...t, mark, bindIf });
}
