// The rtnetlink watch: RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR, delivered in kernel
// order as LinkEvent/AddressEvent. The subscribed socket lives in a child process (rtnl-watch-child.ts:
// the `netlink` package aborts its process on a socket error such as a notification overflow). The watch
// keeps the state it has told its subscriber, so that when notifications are lost (the child died of an
// overflow, or anything else) it starts a new child, dumps links and addresses again and delivers the
// difference instead of silently losing its place.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rt } from 'netlink';
import type { AddressEvent, AddressInfo, LinkEvent, LinkInfo, NetResult } from './types.js';
import { addressInfo, addressKey, linkInfo } from './rtnl-codec.js';

type WatchEvent = LinkEvent | AddressEvent;

// Message types of the notifications we subscribe to (linux/rtnetlink.h).
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;

export interface WatchHandle {
  close(): void;
  /** Resolves once changes are being reported (the child has subscribed and the first dump is in). */
  ready: Promise<void>;
}

export interface WatchDeps {
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max). */
  recvBuffer: number;
  dumpLinks(): Promise<NetResult<LinkInfo[]>>;
  dumpAddresses(names: Map<number, string>): Promise<NetResult<AddressInfo[]>>;
  /** Notifications were lost (the watcher process died, usually of a kernel buffer overflow). */
  onOverflow?: () => void;
  onClose(): void;
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

const CHILD = fileURLToPath(new URL('./rtnl-watch-child.js', import.meta.url));
/** Restarts of the watcher process allowed per minute before it waits a minute between tries. */
const MAX_RESTARTS_PER_MIN = 10;

export function openWatch(onEvent: (e: WatchEvent) => void, deps: WatchDeps): NetResult<WatchHandle> {
  let closed = false;
  let child: ChildProcess | null = null;
  let restarts: number[] = [];
  let restartTimer: NodeJS.Timeout | null = null;
  const names = new Map<number, string>();
  const told: View = { links: new Map(), addrs: new Map() };
  // Until the first dump has given us interface names, raw messages wait here (IPv6 ones carry no name).
  let pendingRaw: [number, Uint8Array][] | null = [];
  let firstSyncDone = false;
  // During a resync: the events delivered since it started, replayed onto the fresh dump.
  let resyncLog: WatchEvent[] | null = null;
  let resyncAgain = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

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

  const convert = (type: number, bytes: Uint8Array): WatchEvent | null => {
    try {
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    return null;
  };

  const onMessages = (msgs: [number, Uint8Array][]): void => {
    for (const [type, data] of msgs) {
      if (closed) return;
      if (pendingRaw) {
        pendingRaw.push([type, data]);
        continue;
      }
      const e = convert(type, data);
      if (!e) continue;
      // RTM_NEWLINK also comes for changes the contract does not carry (stats, qdisc...): no news, no event.
      if (e.type === 'link' && !e.removed && same(told.links.get(e.link.ifindex), e.link)) continue;
      deliver(e);
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
    // Everything that arrived since the child subscribed, in order.
    const raw = pendingRaw ?? [];
    pendingRaw = null;
    firstSyncDone = true;
    for (const [type, data] of raw) {
      const e = convert(type, data);
      if (e) deliver(e);
    }
    markReady();
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

  const start = (): NetResult => {
    let c: ChildProcess;
    try {
      c = fork(CHILD, [], {
        serialization: 'advanced',
        execArgv: [],
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        env: { ...process.env, KEEPALIVED_RTNL_RCVBUF: String(deps.recvBuffer) },
      });
    } catch (e) {
      return { ok: false, error: `watch: cannot start the watcher process: ${e instanceof Error ? e.message : String(e)}` };
    }
    child = c;
    c.on('message', (m: { t: string; msgs?: [number, Uint8Array][] }) => {
      if (closed || child !== c) return;
      if (m.t === 'm' && m.msgs) onMessages(m.msgs);
      else if (m.t === 'ready') {
        if (!firstSyncDone && pendingRaw) void firstSync();
        else void resync();
      }
    });
    c.on('error', () => undefined);
    c.on('exit', () => {
      if (closed || child !== c) return;
      child = null;
      try {
        deps.onOverflow?.();
      } catch {
        // a logging hook's failure is not the watch's
      }
      scheduleRestart();
    });
    return { ok: true, value: undefined };
  };

  const scheduleRestart = (): void => {
    const now = Date.now();
    restarts = restarts.filter((t) => now - t < 60_000);
    restarts.push(now);
    // Immediately at first (the usual cause is one overflow); a child that keeps dying is retried slowly.
    const delay = restarts.length > MAX_RESTARTS_PER_MIN ? 60_000 : restarts.length > 1 ? 200 : 0;
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (!closed && !start().ok) scheduleRestart();
    }, delay);
  };

  const started = start();
  if (!started.ok) return started;

  return {
    ok: true,
    value: {
      ready,
      close() {
        if (closed) return;
        closed = true;
        pendingRaw = null;
        if (restartTimer) clearTimeout(restartTimer);
        const c = child;
        child = null;
        if (c) {
          try {
            c.disconnect();
          } catch {
            // already gone
          }
          if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
        }
        markReady();
        deps.onClose();
      },
    },
  };
}
