// The Rtnl contract (src/net/types.ts) on rtnetlink, through the `netlink` package: links, addresses
// (the VIPs) and a watch on link/address changes. Every failure comes back as an error value naming the
// operation, the address and the interface; nothing throws. The socket belongs to the network namespace
// of the process that opens it.
import { createRtNetlink, FlagsNew, type RtNetlinkSocket } from 'netlink';
import type { AddressEvent, AddressInfo, AddressSpec, LinkEvent, LinkInfo, NetResult, Rtnl } from './types.js';
import {
  AF_INET,
  AF_INET6,
  addressInfo,
  addressRequest,
  describeSpec,
  errnoCode,
  failureText,
  linkInfo,
  show,
} from './rtnl-codec.js';
import { openWatch, type WatchHandle } from './rtnl-watch.js';
import { routeOps, watchRoutes } from './rtnl-route-io.js';
import { vmacOps } from './vmac.js';

const MAX_IN_FLIGHT = 64;
const REQUEST_RCVBUF = 1 << 20;

export interface RtnlOptions {
  /** Milliseconds to wait for the kernel's answer to one request (default 5000). */
  timeoutMs?: number;
  /** SO_RCVBUF asked for a watch socket (default 8 MiB; forced past net.core.rmem_max with CAP_NET_ADMIN). */
  watchRecvBuffer?: number;
  /**
   * Called when a watch's socket overflowed (the kernel dropped notifications, ENOBUFS); the watch
   * then dumps links and addresses and delivers the difference. For the daemon's log.
   */
  onWatchOverflow?: () => void;
}

/** Opens an rtnetlink socket in the current network namespace. */
export function createRtnl(options: RtnlOptions = {}): NetResult<Rtnl> {
  let sock: RtNetlinkSocket;
  try {
    sock = createRtNetlink();
  } catch (e) {
    return { ok: false, error: `rtnetlink: cannot open socket: ${failureText(e)}` };
  }
  try {
    sock.socket.setRecvBufferSize(REQUEST_RCVBUF);
  } catch {
    // the default buffer still holds MAX_IN_FLIGHT answers
  }
  // An 'error' event without a listener would throw out of the event loop and kill the daemon.
  sock.socket.on('error', () => undefined);
  const timeout = options.timeoutMs ?? 5000;
  const watches = new Set<WatchHandle>();
  let closed = false;
  // Requests still waiting when close() runs would otherwise wait for their timeout: close ends them.
  // One callback per waiting request, dropped when it settles: racing every request against one
  // shared never-settling promise kept a reaction (and the request's result) per call alive forever.
  const closers = new Set<() => void>();
  const onClosed = (): void => {
    for (const c of [...closers]) c();
    closers.clear();
    wake(afterDump);
    wake(whenIdle);
    wake(waiting);
  };

  // The socket must never overflow: the `netlink` package aborts the process on a socket error. So at
  // most MAX_IN_FLIGHT requests wait for their answer (their ACKs fit the buffer many times over), and
  // dumps run one at a time (the kernel allows one per socket) and alone: the package gathers a
  // multipart reply per socket, so an ACK arriving inside a dump cut it short ("Multipart message not
  // terminated properly", seen with a VIP added during a re-listing).
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  let dumpChain: Promise<unknown> = Promise.resolve();
  let dumping = false;
  let dumpsWaiting = 0;
  /** Requests held while a dump runs or waits, and a dump waiting for the requests in flight. */
  const afterDump: (() => void)[] = [];
  const whenIdle: (() => void)[] = [];
  const wake = (list: (() => void)[]): void => {
    for (const r of list.splice(0)) r();
  };

  /** Runs one request (`alone`: a dump, with nothing else in flight); a closed Rtnl or a thrown error becomes a failure value. */
  async function call<T>(fn: () => Promise<T>, alone = false): Promise<{ ok: true; value: T } | { ok: false; e: unknown }> {
    if (closed) return { ok: false, e: new Error('socket is closed') };
    if (alone) {
      dumpsWaiting++;
      while (inFlight > 0 && !closed) await new Promise<void>((resolve) => whenIdle.push(resolve));
      dumpsWaiting--;
    } else {
      while ((dumping || dumpsWaiting > 0) && !closed) await new Promise<void>((resolve) => afterDump.push(resolve));
      if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
    }
    if (closed) return { ok: false, e: new Error('socket is closed') };
    inFlight++;
    if (alone) dumping = true;
    const run = (async (): Promise<{ ok: true; value: T } | { ok: false; e: unknown }> => {
      try {
        return { ok: true, value: await fn() };
      } catch (e) {
        return { ok: false, e };
      } finally {
        inFlight--;
        if (alone) {
          dumping = false;
          wake(afterDump);
        }
        waiting.shift()?.();
        if (inFlight === 0) wake(whenIdle);
      }
    })();
    return new Promise((resolve) => {
      const closer = () => resolve({ ok: false, e: new Error('socket is closed') });
      closers.add(closer);
      void run.then((r) => {
        closers.delete(closer);
        resolve(r);
      });
    });
  }

  /** A dump request, after any dump already running, with no other request in flight. */
  function dump<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; e: unknown }> {
    const r = dumpChain.then(() => call(fn, true));
    dumpChain = r;
    return r;
  }

  // Concurrent operations on one interface (a VIP set added at once) share one lookup of its ifindex.
  // Nothing is cached beyond that: an interface can be deleted, renamed or recreated at any time.
  const lookups = new Map<string, Promise<{ ok: true; value: number } | { ok: false; e: unknown }>>();

  function linkIndex(ifname: string): Promise<{ ok: true; value: number } | { ok: false; e: unknown }> {
    const pending = lookups.get(ifname);
    if (pending) return pending;
    const p = (async (): Promise<{ ok: true; value: number } | { ok: false; e: unknown }> => {
      const r = await call(() => sock.getLink({}, { ifname }, { timeout }));
      if (!r.ok) return r;
      const idx = r.value[0]?.data.index;
      return idx === undefined ? { ok: false, e: new Error('Request rejected: ENODEV') } : { ok: true, value: idx };
    })();
    lookups.set(ifname, p);
    void p.finally(() => lookups.delete(ifname));
    return p;
  }

  async function dumpLinks(): Promise<NetResult<LinkInfo[]>> {
    const r = await dump(() => sock.getLinks(undefined, undefined, { timeout }));
    if (!r.ok) return { ok: false, error: failureText(r.e) };
    const out: LinkInfo[] = [];
    for (const m of r.value) {
      const l = linkInfo(m);
      if (l) out.push(l);
    }
    return { ok: true, value: out };
  }

  async function dumpAddresses(names: Map<number, string>): Promise<NetResult<AddressInfo[]>> {
    const r = await dump(() => sock.getAddresses(undefined, undefined, { timeout }));
    if (!r.ok) return { ok: false, error: failureText(r.e) };
    const out: AddressInfo[] = [];
    for (const m of r.value) {
      const a = addressInfo(m, (i) => names.get(i));
      if (a) out.push(a);
    }
    return { ok: true, value: out };
  }

  async function listLinks(): Promise<NetResult<LinkInfo[]>> {
    const r = await dumpLinks();
    return r.ok ? r : { ok: false, error: `list links: ${r.error}` };
  }

  async function listAddresses(ifname?: string): Promise<NetResult<AddressInfo[]>> {
    const where = ifname === undefined ? 'list addresses' : `list addresses dev ${show(ifname)}`;
    const links = await dumpLinks();
    if (!links.ok) return { ok: false, error: `${where}: ${links.error}` };
    const names = new Map(links.value.map((l) => [l.ifindex, l.ifname]));
    let only: number | undefined;
    if (ifname !== undefined) {
      only = links.value.find((l) => l.ifname === ifname)?.ifindex;
      if (only === undefined) return { ok: false, error: `${where}: no such interface` };
    }
    const addrs = await dumpAddresses(names);
    if (!addrs.ok) return { ok: false, error: `${where}: ${addrs.error}` };
    return { ok: true, value: only === undefined ? addrs.value : addrs.value.filter((a) => a.ifindex === only) };
  }

  async function changeAddress(op: 'add' | 'delete', a: AddressSpec): Promise<NetResult> {
    const req = addressRequest(op, a);
    if (!req.ok) return req;
    const where = `${op} ${describeSpec(a)}${req.value.label ? ` label ${req.value.label}` : ''}`;
    const idx = await linkIndex(a.ifname);
    if (!idx.ok) {
      // The address cannot be on an interface that is gone: for a delete that is the wanted outcome.
      if (op === 'delete' && errnoCode(idx.e) === 'ENODEV') return { ok: true, value: undefined };
      return { ok: false, error: `${where}: ${failureText(idx.e)}` };
    }
    const { family, local, prefix, scope, label, brd, nodad } = req.value;
    const data = {
      family: family === 4 ? AF_INET : AF_INET6,
      prefixlen: prefix,
      scope,
      index: idx.value,
      flags: nodad ? { nodad: true as const } : {},
    };
    // ip sets IFA_ADDRESS along with IFA_LOCAL for IPv4; the kernel matches deletes on both.
    const attrs = family === 4 ? { local, address: local, label, broadcast: brd } : { local, address: local };
    if (op === 'add') {
      const r = await call(() => sock.newAddress(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL, timeout }));
      if (r.ok || errnoCode(r.e) === 'EEXIST') return { ok: true, value: undefined };
      return { ok: false, error: `${where}: ${failureText(r.e)}` };
    }
    const r = await call(() => sock.delAddress(data, family === 4 ? { local, address: local } : { local }, { timeout }));
    if (r.ok || errnoCode(r.e) === 'EADDRNOTAVAIL') return { ok: true, value: undefined };
    return { ok: false, error: `${where}: ${failureText(r.e)}` };
  }

  function watch(onEvent: (e: LinkEvent | AddressEvent) => void): NetResult<{ close(): void; ready: Promise<void> }> {
    if (closed) return { ok: false, error: 'watch: rtnetlink socket is closed' };
    let handle: WatchHandle | undefined;
    const h = openWatch(onEvent, {
      recvBuffer: options.watchRecvBuffer ?? 8 << 20,
      dumpLinks,
      dumpAddresses,
      onOverflow: options.onWatchOverflow,
      onClose: () => handle && watches.delete(handle),
    });
    if (!h.ok) return h;
    handle = h.value;
    watches.add(handle);
    return { ok: true, value: { close: () => h.value.close(), ready: h.value.ready } };
  }

  // Routes, rules and VMACs (rtnl-route-io.ts, vmac.ts) share this socket's request plumbing.
  const plumbing = { sock, timeout, call, dump, linkIndex, dumpLinks };
  const routeNames = new Map<number, string>();
  const routeWatches = new Set<{ close(): void }>();

  return {
    ok: true,
    value: {
      ...routeOps(plumbing),
      ...vmacOps(plumbing),
      watchRoutes(onEvent) {
        if (closed) return { ok: false, error: 'watch routes: rtnetlink socket is closed' };
        // Interface names for the events' oif: listed now, refreshed when an unknown index shows up.
        const refresh = () => void dumpLinks().then((l) => l.ok && l.value.forEach((x) => routeNames.set(x.ifindex, x.ifname)));
        refresh();
        const w = watchRoutes(onEvent, (i) => routeNames.get(i) ?? (refresh(), undefined));
        if (!w.ok) return w;
        routeWatches.add(w.value);
        return { ok: true, value: { close: () => { routeWatches.delete(w.value); w.value.close(); } } };
      },
      listLinks,
      listAddresses,
      addAddress: (a) => changeAddress('add', a),
      deleteAddress: (a) => changeAddress('delete', a),
      watch,
      close() {
        if (closed) return;
        closed = true;
        onClosed();
        for (const w of [...watches]) w.close();
        for (const w of [...routeWatches]) w.close();
        try {
          sock.socket.close();
        } catch {
          // already closed underneath: nothing left to release
        }
      },
    },
  };
}
