// The rtnetlink watch: RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, delivered in kernel
// order as LinkEvent/AddressEvent. The subscribed socket is our native addon's (native/rtnl.c), in this
// process: unlike the `netlink` package's, it survives a notification overflow (ENOBUFS) and reports it.
// The watch keeps the state it has told its subscriber, so that when notifications are lost (an overflow,
// a truncated datagram, a socket failure) it dumps links and addresses again and delivers the difference
// instead of silently losing its place.
import { parseMessages, rt } from 'netlink';
import type { AddressEvent, AddressInfo, LinkEvent, LinkInfo, NetResult } from './types.js';
import { addressInfo, addressKey, linkInfo } from './rtnl-codec.js';
import { loadNative } from './native.js';

type WatchEvent = LinkEvent | AddressEvent;

// Message types of the notifications we read (linux/rtnetlink.h).
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;

/** rtnetlink multicast groups (enum rtnetlink_groups). The route groups are for route tracking. */
export const RTNLGRP = { LINK: 1, IPV4_IFADDR: 5, IPV4_ROUTE: 7, IPV6_IFADDR: 9, IPV6_ROUTE: 11 } as const;
const WATCH_GROUPS = [RTNLGRP.LINK, RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR];

export interface WatchHandle {
  close(): void;
  /** Resolves once changes are being reported: at once, the socket is subscribed when watch() returns. */
  ready: Promise<void>;
}

/** A subscribed notification socket: the native one, or a test's. */
export interface NotifySocket {
  close(): void;
}

/** err: the socket failed (it is then closed and reopened); overflow: notifications were lost after `datagrams`. */
export type NotifyCallback = (err: string | null, datagrams: Uint8Array[], overflow: boolean) => void;

export interface WatchDeps {
  /** SO_RCVBUF to ask for (forced past net.core.rmem_max when the process may). */
  recvBuffer: number;
  dumpLinks(): Promise<NetResult<LinkInfo[]>>;
  dumpAddresses(names: Map<number, string>): Promise<NetResult<AddressInfo[]>>;
  /** Notifications were lost (usually a kernel buffer overflow); a resync follows. */
  onOverflow?: () => void;
  onClose(): void;
  /** Opens the subscribed socket; default: the native addon's rtnetlink socket. */
  openSocket?: (groups: number[], recvBuffer: number, cb: NotifyCallback) => NetResult<NotifySocket>;
}

/** The addon's rtnetlink notification socket. */
export function openNativeSocket(groups: number[], recvBuffer: number, cb: NotifyCallback): NetResult<NotifySocket> {
  const n = loadNative();
  if (!n.ok) return { ok: false, error: `watch: ${n.error}` };
  let r;
  try {
    r = n.addon.rtnlOpen(groups, recvBuffer, cb);
  } catch (e) {
    // An addon built from older sources lacks rtnlOpen.
    return { ok: false, error: `watch: native addon: ${e instanceof Error ? e.message : String(e)} (run \`npm rebuild\`)` };
  }
  if (!r.ok) return { ok: false, error: r.error };
  const handle = r.handle;
  return { ok: true, value: { close: () => void n.addon.close(handle) } };
}

/** What the subscriber has been told (or, during a resync, what the kernel has). */
interface View {
  links: Map<number, LinkInfo>;
  addrs: Map<string, AddressInfo>;
}

function apply(view: View, e: WatchEvent): void {
  if (e.type === 'link') {
    if (e.removed) view.links.delete(e.link.ifindex);
    else view.links.set(e.link.ifindex, e.link);
  } else {
    const k = addressKey(e.address);
    if (e.removed) view.addrs.delete(k);
    else view.addrs.set(k, e.address);
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The events that turn `told` into `truth`: removals first (addresses, then links), then links, then addresses. */
export function diffViews(told: View, truth: View): WatchEvent[] {
  const out: WatchEvent[] = [];
  for (const [k, a] of told.addrs) if (!truth.addrs.has(k)) out.push({ type: 'address', address: a, removed: true });
  for (const [i, l] of told.links) if (!truth.links.has(i)) out.push({ type: 'link', link: l, removed: true });
  for (const [i, l] of truth.links) if (!same(told.links.get(i), l)) out.push({ type: 'link', link: l, removed: false });
  for (const [k, a] of truth.addrs) if (!same(told.addrs.get(k), a)) out.push({ type: 'address', address: a, removed: false });
  return out;
}

/** One raw notification: its message type and payload (after the netlink header). */
type Raw = [number, Buffer];

/** Splits a datagram into its messages; null when it is malformed (then it counts as lost). */
export function splitDatagram(d: Uint8Array): Raw[] | null {
  try {
    const buf = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    return parseMessages(buf).map((m): Raw => [m.type, m.data]);
  } catch {
    return null;
  }
}

/** Reopens of a failed socket allowed per minute before it waits a minute between tries. */
const MAX_REOPENS_PER_MIN = 10;

export function openWatch(onEvent: (e: WatchEvent) => void, deps: WatchDeps): NetResult<WatchHandle> {
  const openSocket = deps.openSocket ?? openNativeSocket;
  let closed = false;
  let sock: NotifySocket | null = null;
  let reopens: number[] = [];
  let reopenTimer: NodeJS.Timeout | null = null;
  const names = new Map<number, string>();
  const told: View = { links: new Map(), addrs: new Map() };
  // Until the first dump has given us interface names, raw messages wait here (IPv6 ones carry no name).
  let pendingRaw: Raw[] | null = [];
  let firstSyncDone = false;
  // During a resync: the events delivered since it started, replayed onto the fresh dump.
  let resyncLog: WatchEvent[] | null = null;
  let resyncAgain = false;

  const deliver = (e: WatchEvent): void => {
    if (closed) return;
    apply(told, e);
    resyncLog?.push(e);
    try {
      onEvent(e);
    } catch (err) {
      // A subscriber's bug must not stop the watch.
      process.emitWarning(`rtnetlink watch subscriber threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const convert = ([type, data]: Raw): WatchEvent | null => {
    try {
      if (type === RTM_NEWLINK || type === RTM_DELLINK) {
        const l = linkInfo(rt.parseLinkMessage(data));
        if (!l) return null;
        names.set(l.ifindex, l.ifname);
        return { type: 'link', link: l, removed: type === RTM_DELLINK };
      }
      if (type === RTM_NEWADDR || type === RTM_DELADDR) {
        const a = addressInfo(rt.parseAddressMessage(data), (i) => names.get(i));
        return a ? { type: 'address', address: a, removed: type === RTM_DELADDR } : null;
      }
    } catch {
      // a message this version of the parser cannot read: skip it
    }
    // other types (routes, when subscribed, NLMSG_NOOP...) are not the watch's business
    return null;
  };

  const lost = (): void => {
    try {
      deps.onOverflow?.();
    } catch {
      // a logging hook's failure is not the watch's
    }
    void resync();
  };

  const onDatagrams: NotifyCallback = (err, datagrams, overflow) => {
    if (closed) return;
    let malformed = false;
    for (const d of datagrams) {
      const msgs = splitDatagram(d);
      if (!msgs) {
        malformed = true;
        continue;
      }
      for (const m of msgs) {
        if (closed) return;
        if (pendingRaw) {
          pendingRaw.push(m);
          continue;
        }
        const e = convert(m);
        if (!e) continue;
        // RTM_NEWLINK also comes for changes the contract does not carry (stats, qdisc...): no news, no event.
        if (e.type === 'link' && !e.removed && same(told.links.get(e.link.ifindex), e.link)) continue;
        deliver(e);
      }
    }
    if (err !== null) {
      // The socket cannot be trusted any more: a fresh one, then a resync.
      closeSocket();
      try {
        deps.onOverflow?.();
      } catch {
        // as above
      }
      scheduleReopen();
    } else if (overflow || malformed) {
      lost();
    }
  };

  const dumpView = async (): Promise<View | null> => {
    const links = await deps.dumpLinks();
    if (!links.ok || closed) return null;
    for (const l of links.value) names.set(l.ifindex, l.ifname);
    const addrs = await deps.dumpAddresses(names);
    if (!addrs.ok || closed) return null;
    return {
      links: new Map(links.value.map((l) => [l.ifindex, l])),
      addrs: new Map(addrs.value.map((a) => [addressKey(a), a])),
    };
  };

  const firstSync = async (): Promise<void> => {
    const snap = await dumpView();
    if (closed) return;
    if (snap) {
      for (const l of snap.links.values()) apply(told, { type: 'link', link: l, removed: false });
      for (const a of snap.addrs.values()) apply(told, { type: 'address', address: a, removed: false });
    }
    // Everything that arrived since the socket subscribed, in order.
    const raw = pendingRaw ?? [];
    pendingRaw = null;
    firstSyncDone = true;
    for (const m of raw) {
      const e = convert(m);
      if (e) deliver(e);
    }
    if (resyncAgain) {
      resyncAgain = false;
      void resync();
    }
  };

  const resync = async (): Promise<void> => {
    if (closed) return;
    if (resyncLog || !firstSyncDone) {
      resyncAgain = true;
      return;
    }
    resyncLog = [];
    const snap = await dumpView();
    const log = resyncLog;
    resyncLog = null;
    if (closed) return;
    if (snap) {
      // Each event states an object's whole new state, so replaying those seen since the dump began
      // onto it gives the current truth whatever the interleaving.
      for (const e of log) apply(snap, e);
      for (const e of diffViews(told, snap)) deliver(e);
    }
    if (resyncAgain) {
      resyncAgain = false;
      void resync();
    }
  };

  const closeSocket = (): void => {
    const s = sock;
    sock = null;
    try {
      s?.close();
    } catch {
      // already closed
    }
  };

  const open = (): NetResult => {
    // A socket closed after a failure may still hold a callback in flight: only the current one counts.
    let mine: NotifySocket | null = null;
    const r = openSocket(WATCH_GROUPS, deps.recvBuffer, (err, datagrams, overflow) => {
      if (mine === null || mine !== sock) return;
      try {
        onDatagrams(err, datagrams, overflow);
      } catch (e) {
        // Thrown into the addon it would be an uncaught exception: the daemon must not die of a watch bug.
        process.emitWarning(`rtnetlink watch: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    if (!r.ok) return r;
    mine = r.value;
    sock = mine;
    return { ok: true, value: undefined };
  };

  const scheduleReopen = (): void => {
    const now = Date.now();
    reopens = reopens.filter((t) => now - t < 60_000);
    reopens.push(now);
    // Immediately at first; a socket that keeps failing is retried slowly.
    const delay = reopens.length > MAX_REOPENS_PER_MIN ? 60_000 : reopens.length > 1 ? 200 : 0;
    reopenTimer = setTimeout(() => {
      reopenTimer = null;
      if (closed) return;
      if (open().ok) void resync();
      else scheduleReopen();
    }, delay);
  };

  const opened = open();
  if (!opened.ok) return opened;
  void firstSync();

  return {
    ok: true,
    value: {
      ready: Promise.resolve(),
      close() {
        if (closed) return;
        closed = true;
        pendingRaw = null;
        if (reopenTimer) clearTimeout(reopenTimer);
        closeSocket();
        deps.onClose();
      },
    },
  };
}
