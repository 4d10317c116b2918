// `keepalivedctl events`: the daemon's event stream as one line per event, for people (colours only
// on a terminal) or as NDJSON for scripts, and the loop that ends it by count, duration, Ctrl-C or a
// daemon that goes away. The renderers are pure; the loop takes its clock and output injected.
import { subscribeEvents, type CallFailure, type Subscription } from './client.js';
import { failureLine } from './cli.js';
import type { DaemonEvent, TrackState, VrrpStateName } from './protocol.js';

export interface EventPaint {
  state(s: VrrpStateName, text: string): string;
  good(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const id = (s: string): string => s;
export const plainPaint: EventPaint = { state: (_s, t) => t, good: id, bad: id, dim: id, bold: id };

function trackValue(t: TrackState): string {
  if (t.status === 'init') return 'init';
  if (typeof t.status === 'number') return `value ${t.status}`;
  return t.status ? 'up' : 'down';
}

/** The text of one event, without the time stamp. Unknown event types (newer daemons) still print. */
export function describeEvent(e: DaemonEvent, p: EventPaint = plainPaint): string {
  switch (e.type) {
    case 'transition':
    case 'group-transition': {
      const who = e.type === 'transition' ? e.instance : `group ${e.group}`;
      const t = e.transition;
      return `${p.bold(who)} ${p.state(t.from, t.from)} -> ${p.state(t.to, t.to)} (${t.reason})`;
    }
    case 'priority':
      return `${p.bold(e.instance)} effective priority ${e.effective}`;
    case 'master-rx-lower-pri':
      return `${p.bold(e.instance)} MASTER received an advert with a lower priority`;
    case 'track': {
      const v = trackValue(e.track);
      const shown = e.track.status === false ? p.bad(v) : e.track.status === true ? p.good(v) : v;
      return `${p.bold(e.instance)} track ${e.track.kind} ${e.track.name} ${shown} (weight ${e.track.weight})`;
    }
    case 'override':
      return e.override
        ? `${p.bold(e.instance)} override ${e.override.kind} (priority ${e.override.priority}${e.override.expiresAt ? `, until ${e.override.expiresAt}` : ''})`
        : `${p.bold(e.instance)} override cleared`;
    case 'checker': {
      const v = e.up ? p.good('up') : p.bad('down');
      return `${p.bold(e.virtualServer)} real server ${e.realServer} ${e.checker} ${v}${e.detail ? ` (${e.detail})` : ''}`;
    }
    case 'reload':
      return e.ok ? `reload ${p.good('applied')}${e.detail ? ` (${e.detail})` : ''}` : `reload ${p.bad('refused')}${e.detail ? `: ${e.detail}` : ''}`;
    default: {
      const u = e as { type?: unknown };
      return `${String(u.type ?? 'event')} ${JSON.stringify(e)}`;
    }
  }
}

/** One human line: the local receive time, then the event. */
export function humanLine(e: DaemonEvent, at: Date, p: EventPaint = plainPaint): string {
  return `${p.dim(at.toISOString())} ${describeEvent(e, p)}`;
}

/** One NDJSON line: the event as the daemon sent it, plus the time it was received. */
export function jsonLine(e: DaemonEvent, at: Date): string {
  return JSON.stringify({ time: at.toISOString(), ...e });
}

export interface EventsOptions {
  socket?: string;
  /** Per request (the subscription itself). */
  timeoutMs: number;
  /** End after this many events. */
  count?: number;
  /** End after this long (ms). */
  durationMs?: number;
  format(e: DaemonEvent, at: Date): string;
  /** Writes one line (with its newline); called once per event so each is flushed as it comes. */
  write(line: string): void;
  /** Ctrl-C. */
  signal: AbortSignal;
  now?: () => Date;
}

export type EventsOutcome = { exit: 0; ended: 'count' | 'timeout' | 'interrupted' } | { exit: 1; error: string };

/** Streams events until count/duration/abort (exit 0) or the daemon goes away (exit 1, one line). */
export async function streamEvents(o: EventsOptions): Promise<EventsOutcome> {
  const now = o.now ?? (() => new Date());
  if (o.count === 0) return { exit: 0, ended: 'count' };
  let seen = 0;
  let finish!: (r: EventsOutcome) => void;
  const done = new Promise<EventsOutcome>((r) => (finish = r));
  const sub: { ok: true; subscription: Subscription } | CallFailure = await subscribeEvents({ socket: o.socket, timeoutMs: o.timeoutMs }, (e) => {
    if (seen >= (o.count ?? Infinity)) return;
    seen++;
    o.write(o.format(e, now()) + '\n');
    if (o.count !== undefined && seen >= o.count) finish({ exit: 0, ended: 'count' });
  });
  if (!sub.ok) return { exit: 1, error: failureLine('events', sub) };
  const s = sub.subscription;
  void s.closed.then((why) => {
    if (why !== null) finish({ exit: 1, error: `keepalivedctl events: the daemon went away (${why})` });
  });
  const timer = o.durationMs !== undefined ? setTimeout(() => finish({ exit: 0, ended: 'timeout' }), o.durationMs) : undefined;
  const onAbort = () => finish({ exit: 0, ended: 'interrupted' });
  if (o.signal.aborted) onAbort();
  else o.signal.addEventListener('abort', onAbort, { once: true });
  const r = await done;
  clearTimeout(timer);
  o.signal.removeEventListener('abort', onAbort);
  s.close();
  return r;
}
