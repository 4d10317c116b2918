// Typed loader of the project's native addon (native/*.c, built by node-gyp from binding.gyp
// into build/Release/keepalived_net.node during `npm ci`). It does the socket calls Node cannot:
// IPv6 raw sockets with ancillary data, AF_PACKET frames, an rtnetlink notification socket that
// reports overflows instead of dying of them, syslog(3), and TCP connects carrying SO_MARK.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque socket handle made by the addon (a tagged external). */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

export type NativeResult<T extends object = object> = ({ ok: true } & T) | { ok: false; error: string };

export interface Ip6PacketIn {
  payload: Buffer;
  /** Source address from recvmsg (text, no scope). */
  src: string;
  /** Destination from IPV6_PKTINFO; missing if the kernel gave none. */
  dst?: string;
  /** From IPV6_HOPLIMIT; -1 when the kernel gave none. */
  hopLimit: number;
  ifindex: number;
  /** 1 when the datagram was longer than the receive buffer (64 KiB). */
  truncated: number;
}

/** Why a marked connect failed: the step (`mark` is SO_MARK refused, e.g. EPERM without CAP_NET_ADMIN). */
export interface MarkConnectFailure {
  ok: false;
  stage: 'args' | 'socket' | 'mark' | 'bindtodevice' | 'bind' | 'connect' | 'timeout' | 'poll';
  /** The errno (0 when none applies); text in `error`. */
  errno: number;
  error: string;
}

export interface NativeAddon {
  ip6Open(
    ifname: string,
    joinMulticast: boolean,
    cb: (err: string | null, pkt: Ip6PacketIn | null) => void,
  ): NativeResult<{ handle: NativeHandle; ifindex: number }>;
  /** Sends `payload` to dst; src (else the interface's link-local address) goes in IPV6_PKTINFO. */
  ip6Send(h: NativeHandle, payload: Uint8Array, dst: string, src?: string): NativeResult<{ src: string }>;
  ip6LinkLocal(ifname: string): NativeResult<{ addr: string }>;
  packetOpen(ifname: string): NativeResult<{ handle: NativeHandle; ifindex: number }>;
  packetSend(h: NativeHandle, frame: Uint8Array): NativeResult;
  /**
   * A NETLINK_ROUTE socket joined to `groups` (RTNLGRP_* numbers) with SO_RCVBUF `recvBuffer` (FORCE
   * when permitted; 0 keeps the default), read on the event loop. Each callback carries the datagrams
   * read in one go, unparsed and in kernel order; `overflow` true means notifications were lost after
   * them (ENOBUFS or a truncated datagram); `err` a receive failure (the socket is then useless).
   * `recvBuffer` in the result is what the kernel granted (it doubles the request).
   */
  rtnlOpen(
    groups: number[],
    recvBuffer: number,
    cb: (err: string | null, datagrams: Buffer[], overflow: boolean) => void,
  ): NativeResult<{ handle: NativeHandle; recvBuffer: number }>;
  /** if_nametoindex in this process's network namespace. */
  ifIndex(ifname: string): NativeResult<{ ifindex: number }>;
  close(h: NativeHandle): NativeResult;
  /**
   * A non-blocking TCP connect (IPv4/IPv6 by the address) with SO_MARK `mark` (0: no mark set, as
   * keepalived), bound to bindIf / bindAddress:bindPort when given. The result comes at once when a
   * step fails before the connect is under way, else through `cb` exactly once (unless `close(handle)`
   * cancels it first): `{ok:true, fd}` hands the connected socket to the caller, who must wrap or
   * close it. The wait is bounded by timeoutMs (stage `timeout`, errno ETIMEDOUT).
   */
  markConnect(
    address: string,
    port: number,
    mark: number,
    bindAddress: string | null,
    bindPort: number,
    bindIf: string | null,
    timeoutMs: number,
    cb: (r: { ok: true; fd: number } | MarkConnectFailure) => void,
  ): { ok: true; handle: NativeHandle } | MarkConnectFailure;
  /** facility: syslog.h code (LOG_DAEMON = 24); priority 0-7. */
  syslog(ident: string, facility: number, priority: number, message: string): NativeResult;
}

const ADDON_FILE = join('build', 'Release', 'keepalived_net.node');

/** The repository root: the nearest ancestor holding binding.gyp (works from src/ and dist/src/). */
function findRoot(start: string): string | null {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

let cached: { ok: true; addon: NativeAddon } | { ok: false; error: string } | undefined;

/** Loads the addon once; a missing build gives a one-line error saying how to build it. */
export function loadNative(): { ok: true; addon: NativeAddon } | { ok: false; error: string } {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const root = findRoot(here);
  const file = root ? join(root, ADDON_FILE) : null;
  if (!file || !existsSync(file)) {
    cached = {
      ok: false,
      error: `native addon not built (${file ?? ADDON_FILE} missing): run \`npm ci\` or \`npm rebuild\` in the project (needs a C compiler and Node's headers)`,
    };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { ok: true, addon: require(file) as NativeAddon };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    cached = { ok: false, error: `native addon ${file} failed to load: ${msg}` };
  }
  return cached;
}

/** The second addon (native/sdnotify.c, native/rtsignal.c): process-level calls for the daemon. */
export interface SysAddon {
  /** One sd_notify(3) datagram to socketPath ('@name': abstract). */
  sdNotify(socketPath: string, message: string): NativeResult;
  /** Calls cb on the event loop each time the real-time signal `signum` arrives (SIGRTMIN..SIGRTMAX only). */
  signalWatch(signum: number, cb: (signum: number) => void): NativeResult;
  signalUnwatch(signum: number): NativeResult;
}

const SYS_ADDON_FILE = join('build', 'Release', 'keepalived_sys.node');
let sysCached: { ok: true; addon: SysAddon } | { ok: false; error: string } | undefined;

export function loadSysNative(): { ok: true; addon: SysAddon } | { ok: false; error: string } {
  if (sysCached) return sysCached;
  const root = findRoot(dirname(fileURLToPath(import.meta.url)));
  const file = root ? join(root, SYS_ADDON_FILE) : null;
  if (!file || !existsSync(file)) {
    sysCached = { ok: false, error: `native addon not built (${file ?? SYS_ADDON_FILE} missing): run \`npm ci\` or \`npm rebuild\` in the project` };
    return sysCached;
  }
  try {
    sysCached = { ok: true, addon: createRequire(import.meta.url)(file) as SysAddon };
  } catch (e) {
    sysCached = { ok: false, error: `native addon ${file} failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  return sysCached;
}
