// `keepalivedctl status --watch`: re-render on every daemon event and at least every interval, until
// the signal aborts. A daemon that goes away mid-watch is shown and retried, not fatal.
import { type CallFailure, type DaemonConnection, openDaemon, subscribeEvents, type Subscription } from './client.js';
import { failureLine } from '../cli-fast/common.js';
import type { StatusResult } from './protocol.js';

export interface WatchOptions {
  socket?: string;
  timeoutMs: number;
  instance?: string;
  intervalMs: number;
  /** Turns a status into the text to show (table, plain text, or a JSON line). */
  render(s: StatusResult): string;
  /** Writes one frame; on a terminal the caller clears the screen first. */
  write(frame: string): void;
  signal: AbortSignal;
}

/** Resolves with the exit status: 0 after Ctrl-C, 1 when the very first status fails. */
export async function watchStatus(o: WatchOptions): Promise<{ exit: number; error?: string }> {
  let conn: DaemonConnection | null = null;
  let sub: Subscription | null = null;
  let lastError = '';
  let first = true;
  let busy = false;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;

  const connect = async (): Promise<CallFailure | null> => {
    if (!conn) {
      const c = await openDaemon({ socket: o.socket, timeoutMs: o.timeoutMs });
      if (!c.ok) return c;
      conn = c.connection;
      void conn.closed.then(() => (conn = null));
    }
    if (!sub) {
      const s = await subscribeEvents({ socket: o.socket, timeoutMs: o.timeoutMs }, () => {
        clearTimeout(debounce);
        // Coalesce a burst of events (a sync group moving together) into one frame.
        debounce = setTimeout(() => void frame(), 50);
      });
      if (s.ok) {
        sub = s.subscription;
        void sub.closed.then(() => (sub = null));
      }
    }
    return null;
  };

  /** Fetches and shows one frame; returns a failure on the first frame only. */
  const frame = async (): Promise<CallFailure | null> => {
    if (o.signal.aborted) return null;
    if (busy) {
      again = true;
      return null;
    }
    busy = true;
    try {
      const failed = await connect();
      const r = failed ?? (await conn!.call<StatusResult>('status', o.instance ? { instance: o.instance } : {}));
      if (o.signal.aborted) return null;
      if ('result' in r && r.ok) {
        lastError = '';
        o.write(o.render(r.result));
      } else if (!r.ok) {
        if (first) return r;
        const line = failureLine('status', r);
        // On a pipe, say it once, not every interval.
        if (line !== lastError) o.write(line + '\n');
        lastError = line;
      }
      return null;
    } finally {
      first = false;
      busy = false;
      if (again && !o.signal.aborted) {
        again = false;
        void frame();
      }
    }
  };

  const firstFailure = await frame();
  if (firstFailure) {
    cleanup();
    return { exit: 1, error: failureLine('status', firstFailure) };
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => void frame(), o.intervalMs);
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    if (o.signal.aborted) stop();
    else o.signal.addEventListener('abort', stop, { once: true });
  });
  cleanup();
  return { exit: 0 };

  function cleanup(): void {
    clearTimeout(debounce);
    (conn as DaemonConnection | null)?.close();
    (sub as Subscription | null)?.close();
  }
}
