// VRRP sockets (the OpenVrrpSocket contract of types.ts). IPv4 goes over `raw-socket`: protocol
// 112 (and 51 for IPSEC-AH) with IP_HDRINCL, because the codec builds the whole IP packet (TTL
// 255, TOS 0xc0, our source). IPv6 goes over our native addon, the only way to read the hop
// limit and destination of a received packet and to choose the source of a sent one.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import { loadNative, type Ip6PacketIn, type NativeAddon, type NativeHandle } from './native.js';
import type { NetResult, OpenVrrpSocket, VrrpPacketIn, VrrpSocket, VrrpSocketOptions } from './types.js';

const IPPROTO_VRRP = 112;
const IPPROTO_AH = 51;
const IPPROTO_RAW = 255;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_MULTICAST_ALL = 49;
const VRRP_GROUP4 = [224, 0, 0, 18];
/** Kernel receive buffer of a receiving VRRP socket. The default (~208 KiB, a few hundred packets
 * of skb overhead) overflows under a flood and the master's real adverts are dropped with the rest;
 * keepalived sizes it too (vrrp_rx_bufs_policy). The kernel doubles the value it is given. */
export const VRRP_RCVBUF_BYTES = 1 << 20;
/** A send whose completion raw-socket never reports is failed after this long. */
const SEND_TIMEOUT_MS = 2000;

/** The subset of raw-socket (CommonJS, untyped) used here. */
interface RawSocket {
  on(ev: 'message', cb: (buf: Buffer, source: string) => void): void;
  on(ev: 'error', cb: (err: Error) => void): void;
  on(ev: 'close', cb: () => void): void;
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  /** The native wrap: its send is a plain non-blocking sendto that calls back at once or throws. */
  wrap?: { send?: (buf: Buffer, offset: number, length: number, address: string, cb: (bytes: number) => void) => void };
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(opts: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
}

let rawModule: RawSocketModule | string | undefined;
function loadRaw(): RawSocketModule | string {
  if (rawModule === undefined) {
    try {
      rawModule = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
    } catch (e) {
      rawModule = `raw-socket could not be loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    }
  }
  return rawModule;
}

/** A VRRP socket with what the contract does not need but a caller may want. */
export interface VrrpSocketEx extends VrrpSocket {
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly ifindex: number;
  /** IPv6: the source address the last successful send used (the link-local one when none was given). */
  readonly lastSource: string | undefined;
  /** IPv6: the address a send without `src` uses (the interface's first link-local address). */
  linkLocalSource(): NetResult<string>;
}

const err = (error: string): { ok: false; error: string } => ({ ok: false, error });

function msgOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function ifIndex(ifname: string, native: NativeAddon | null): NetResult<number> {
  if (native) {
    const r = native.ifIndex(ifname);
    return r.ok ? { ok: true, value: r.ifindex } : r;
  }
  // Without the addon: sysfs (correct under `ip netns exec`, which remounts /sys).
  if (ifname.includes('/') || ifname === '.' || ifname === '..') return err(`interface ${ifname}: invalid name`);
  try {
    return { ok: true, value: Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8').trim()) };
  } catch {
    return err(`interface ${ifname}: No such device`);
  }
}

function checkOptions(opts: VrrpSocketOptions): string | null {
  if (!opts || typeof opts !== 'object') return 'options must be an object';
  if (opts.family !== 4 && opts.family !== 6) return `family ${String(opts.family)} is not 4 or 6`;
  if (typeof opts.ifname !== 'string' || opts.ifname === '' || opts.ifname.length > 15) {
    return `ifname ${JSON.stringify(opts.ifname)} is not an interface name (1-15 characters)`;
  }
  if (opts.ah && opts.family !== 4) return 'IPSEC-AH (ah) exists only for VRRPv2 over IPv4';
  return null;
}

/** ip_mreqn: group, local address (any), ifindex (host byte order, little-endian here). */
function mreqn(group: number[], ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(group, 0);
  b.writeInt32LE(ifindex, 8);
  return b;
}

/**
 * One raw-socket. Receiving sockets (112, 51) join the group; the sending one is IPPROTO_RAW:
 * header included, it sends any protocol and never receives, so a flood of incoming packets
 * cannot hold back our adverts (raw-socket reports writability only when nothing is readable).
 */
function openRaw4(mod: RawSocketModule, protocol: number, opts: VrrpSocketOptions, ifindex: number): NetResult<RawSocket> {
  let s: RawSocket;
  const sending = protocol === IPPROTO_RAW;
  try {
    s = mod.createSocket({ protocol, bufferSize: 65536 });
  } catch (e) {
    return err(`IPv4 VRRP socket (protocol ${protocol}) on ${opts.ifname}: ${msgOf(e)}`);
  }
  const steps: [string, () => void][] = [
    ['SO_BINDTODEVICE', () => s.setOption(SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${opts.ifname}\0`), opts.ifname.length + 1)],
  ];
  if (sending) {
    steps.push(
      ['IP_HDRINCL', () => s.setOption(IPPROTO_IP, IP_HDRINCL, 1)],
      ['IP_MULTICAST_IF', () => s.setOption(IPPROTO_IP, IP_MULTICAST_IF, mreqn([0, 0, 0, 0], ifindex), 12)],
      ['IP_MULTICAST_TTL', () => s.setOption(IPPROTO_IP, IP_MULTICAST_TTL, 255)],
      ['IP_MULTICAST_LOOP', () => s.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0)],
    );
  } else {
    // Only the groups this socket joined, not every group joined on the host.
    steps.push(['IP_MULTICAST_ALL', () => s.setOption(IPPROTO_IP, IP_MULTICAST_ALL, 0)]);
    steps.push(['SO_RCVBUF', () => setRcvbuf(s)]);
    if (opts.joinMulticast) {
      steps.push(['IP_ADD_MEMBERSHIP 224.0.0.18', () => s.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn(VRRP_GROUP4, ifindex), 12)]);
    }
  }
  for (const [what, step] of steps) {
    try {
      step();
    } catch (e) {
      s.close();
      return err(`IPv4 VRRP socket (protocol ${protocol}) on ${opts.ifname}: ${what}: ${msgOf(e)}`);
    }
  }
  return { ok: true, value: s };
}

/** SO_RCVBUFFORCE passes net.core.rmem_max (needs CAP_NET_ADMIN); without it, SO_RCVBUF up to the cap. */
function setRcvbuf(s: RawSocket): void {
  try {
    s.setOption(SOL_SOCKET, SO_RCVBUFFORCE, VRRP_RCVBUF_BYTES);
  } catch {
    s.setOption(SOL_SOCKET, SO_RCVBUF, VRRP_RCVBUF_BYTES);
  }
}

const SENT: NetResult = { ok: true, value: undefined };
const SENT_P: Promise<NetResult> = Promise.resolve(SENT);

/**
 * Sends at once with the wrap's sendto when it can: raw-socket's own send waits for a writable
 * poll event per packet, a loop turn each, so 100 adverts due together left up to 100 turns apart.
 * A full send buffer (EAGAIN/ENOBUFS throws) falls back to raw-socket's queued send.
 */
function sendRaw4(s: RawSocket, bytes: Uint8Array, dst: string, ifname: string): Promise<NetResult> {
  const direct = s.wrap?.send;
  if (typeof direct === 'function') {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length); // a view, not a copy
    let n = -1;
    try {
      direct.call(s.wrap, buf, 0, buf.length, dst, (bytes) => {
        n = bytes;
      });
    } catch {
      n = -1; // would block, or a real error: the queued send retries and reports it
    }
    if (n === buf.length) return SENT_P;
    if (n >= 0) return Promise.resolve(err(`send on ${ifname} to ${dst}: sent ${n} of ${buf.length} bytes`));
  }
  return sendRaw4Queued(s, bytes, dst, ifname);
}

function sendRaw4Queued(s: RawSocket, bytes: Uint8Array, dst: string, ifname: string): Promise<NetResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: NetResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => finish(err(`send on ${ifname} to ${dst}: no completion after ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
    try {
      const buf = Buffer.from(bytes);
      s.send(buf, 0, buf.length, dst, (e, n) => {
        if (e) finish(err(`send on ${ifname} to ${dst}: ${e.message}`));
        else if (n !== buf.length) finish(err(`send on ${ifname} to ${dst}: sent ${n} of ${buf.length} bytes`));
        else finish({ ok: true, value: undefined });
      });
    } catch (e) {
      finish(err(`send on ${ifname} to ${dst}: ${msgOf(e)}`));
    }
  });
}

function open4(opts: VrrpSocketOptions, ifindex: number, deliver: (p: VrrpPacketIn) => void, onError: (e: string) => void): NetResult<VrrpSocketEx> {
  const mod = loadRaw();
  if (typeof mod === 'string') return err(mod);
  const socks: RawSocket[] = [];
  for (const protocol of opts.ah ? [IPPROTO_RAW, IPPROTO_VRRP, IPPROTO_AH] : [IPPROTO_RAW, IPPROTO_VRRP]) {
    const r = openRaw4(mod, protocol, opts, ifindex);
    if (!r.ok) {
      for (const s of socks) s.close();
      return r;
    }
    socks.push(r.value);
  }
  let closed = false;
  // raw-socket closes a socket on a poll error and would silently reopen it, unconfigured, on the next send.
  let broken: string | null = null;
  for (const s of socks) {
    s.on('close', () => {
      if (!closed) broken ??= `IPv4 VRRP socket on ${opts.ifname} was closed after an error`;
    });
    // raw-socket reuses its receive buffer: copy before handing the packet on.
    s.on('message', (buf) => {
      if (!closed) deliver({ family: 4, ifname: opts.ifname, buf: new Uint8Array(buf) });
    });
    s.on('error', (e) => {
      if (!closed) onError(`IPv4 VRRP socket on ${opts.ifname}: ${e.message}`);
    });
  }
  return {
    ok: true,
    value: {
      family: 4,
      ifname: opts.ifname,
      ifindex,
      lastSource: undefined,
      linkLocalSource: () => err('link-local sources are IPv6 only'),
      async send(bytes, dst) {
        if (closed) return err(`send on ${opts.ifname}: socket is closed`);
        if (broken) return err(broken);
        if (!(bytes instanceof Uint8Array) || bytes.length < 20 || bytes.length > 65535) {
          return err(`send on ${opts.ifname}: an IPv4 packet must be a Uint8Array of 20-65535 bytes`);
        }
        if (typeof dst !== 'string' || !isIPv4(dst)) return err(`send on ${opts.ifname}: destination ${String(dst)} is not an IPv4 address`);
        // The IPPROTO_RAW socket sends whatever protocol (VRRP or AH) the header says.
        return sendRaw4(socks[0]!, bytes, dst, opts.ifname);
      },
      close() {
        if (closed) return;
        closed = true;
        for (const s of socks) s.close();
      },
    },
  };
}

function open6(opts: VrrpSocketOptions, ifindex: number, native: NativeAddon, deliver: (p: VrrpPacketIn) => void, onError: (e: string) => void): NetResult<VrrpSocketEx> {
  let closed = false;
  const onNative = (e: string | null, pkt: Ip6PacketIn | null): void => {
    if (closed) return;
    if (e !== null || !pkt) return onError(`IPv6 VRRP socket on ${opts.ifname}: ${e ?? 'no packet'}`);
    if (pkt.truncated) return onError(`IPv6 VRRP socket on ${opts.ifname}: datagram from ${pkt.src} longer than 64 KiB dropped`);
    const ipv6 = pkt.hopLimit >= 0 ? { src: pkt.src, dst: pkt.dst ?? '', hopLimit: pkt.hopLimit } : { src: pkt.src, dst: pkt.dst ?? '' };
    deliver({ family: 6, ifname: opts.ifname, buf: new Uint8Array(pkt.payload.buffer, pkt.payload.byteOffset, pkt.payload.length), ipv6 });
  };
  const r = native.ip6Open(opts.ifname, !!opts.joinMulticast, onNative);
  if (!r.ok) return r;
  const handle: NativeHandle = r.handle;
  const sock: VrrpSocketEx = {
    family: 6,
    ifname: opts.ifname,
    ifindex,
    lastSource: undefined,
    linkLocalSource() {
      const ll = native.ip6LinkLocal(opts.ifname);
      return ll.ok ? { ok: true, value: ll.addr } : ll;
    },
    async send(bytes, dst, src) {
      if (closed) return err(`send on ${opts.ifname}: socket is closed`);
      if (!(bytes instanceof Uint8Array)) return err(`send on ${opts.ifname}: payload must be a Uint8Array`);
      if (typeof dst !== 'string' || !isIPv6(dst)) return err(`send on ${opts.ifname}: destination ${String(dst)} is not an IPv6 address`);
      if (src !== undefined && (typeof src !== 'string' || !isIPv6(src))) {
        return err(`send on ${opts.ifname}: source ${String(src)} is not an IPv6 address`);
      }
      const s = native.ip6Send(handle, bytes, dst, src);
      if (!s.ok) return s;
      (sock as { lastSource: string | undefined }).lastSource = s.src;
      return { ok: true, value: undefined };
    },
    close() {
      if (closed) return;
      closed = true;
      native.close(handle);
    },
  };
  return { ok: true, value: sock };
}

/** Opens a VRRP socket; the richer VrrpSocketEx is what it returns. Never throws. */
export function openVrrpSocketEx(
  opts: VrrpSocketOptions,
  onPacket: (p: VrrpPacketIn) => void,
  onError: (error: string) => void,
): NetResult<VrrpSocketEx> {
  try {
    const bad = checkOptions(opts);
    if (bad) return err(`VRRP socket: ${bad}`);
    const report = (e: string): void => {
      try {
        onError(e);
      } catch {
        // An onError that throws has nowhere better to report to.
      }
    };
    // A throwing handler must not take the socket (or the daemon) down with it.
    const deliver = (p: VrrpPacketIn): void => {
      try {
        onPacket(p);
      } catch (e) {
        report(`VRRP packet handler on ${opts.ifname} threw: ${msgOf(e)}`);
      }
    };
    const n = loadNative();
    if (opts.family === 6 && !n.ok) return err(n.error);
    const native = n.ok ? n.addon : null;
    const idx = ifIndex(opts.ifname, native);
    if (!idx.ok) return err(`VRRP socket: ${idx.error}`);
    return opts.family === 4 ? open4(opts, idx.value, deliver, report) : open6(opts, idx.value, native!, deliver, report);
  } catch (e) {
    return err(`VRRP socket on ${String(opts?.ifname)}: ${msgOf(e)}`);
  }
}

export const openVrrpSocket: OpenVrrpSocket = openVrrpSocketEx;
