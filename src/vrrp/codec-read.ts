// First step of receiving: locate the headers of a raw packet and read their fields, checking
// only that enough bytes are there to read them (keepalived's vrrp_get_header). Everything
// else (lengths against the address count, version, checksum, auth) is judged later.
import { AH_HEADER_LEN, readAhHeader, type AhHeader } from './codec-ah.js';
import { parseIpv6 } from './codec-addr.js';
import type { DropReason } from './counters.js';
import type { Family } from './types.js';

export const IPPROTO_VRRP = 112;
export const IPPROTO_AH = 51;
export const VRRP_IP_TTL = 255;
export const VRRP_PKT_ADVERT = 1;
export const VRRP_HEADER_LEN = 8;
export const VRRP_AUTH_LEN = 8; // VRRPv2 over IPv4 only
export const IPV4_HEADER_LEN = 20;
export const VRRP_MCAST4 = '224.0.0.18';
export const VRRP_MCAST6 = 'ff02::12';

/** A received packet's header fields as found on the wire, before validation. */
export interface RawPacket {
  family: Family;
  /** IPv4: the whole packet from its IP header. IPv6: the VRRP payload. */
  buf: Uint8Array;
  /** Source and destination addresses: views into buf or shared parsed copies, so read only. */
  src: Uint8Array;
  dst: Uint8Array;
  /** IPv4 TTL or IPv6 hop limit; undefined when the receiver could not learn it (keepalived's -1). */
  ttl: number | undefined;
  /** IPv4 header length in bytes; 0 for IPv6. */
  ihl: number;
  /** IPv4 protocol (112 or 51); 112 for IPv6. */
  protocol: number;
  /** IPv4 total length field; the payload length for IPv6. */
  totLen: number;
  ipId: number;
  tos: number;
  fragOff: number;
  ah?: AhHeader;
  /** Offset of the VRRP header in buf. */
  vrrpOff: number;
  version: number;
  type: number;
  vrid: number;
  priority: number;
  naddr: number;
  /** Bytes 4-5 of the VRRP header: v2 auth type and interval (s); v3 4 reserved bits and 12-bit interval (cs). */
  authType: number;
  adverIntV2: number;
  adverIntV3: number;
  reservedV3: number;
  checksum: number;
}

export type ReadResult = { ok: true; raw: RawPacket } | { ok: false; reason: DropReason; detail: string };

export interface Ipv6Meta {
  /** Source address of the IPv6 packet (from recvmsg's msg_name). */
  src: string;
  /** Destination address (from IPV6_PKTINFO). */
  dst: string;
  /** Hop limit (from IPV6_HOPLIMIT); omit when not received. */
  hopLimit?: number;
}

type IpPart = Pick<RawPacket, 'family' | 'buf' | 'src' | 'dst' | 'ttl' | 'ihl' | 'protocol' | 'totLen' | 'ipId' | 'tos' | 'fragOff' | 'ah' | 'vrrpOff'>;

// One object literal with a fixed shape: spreading here made V8 fall off its fast path.
function withVrrp(ip: IpPart): RawPacket {
  const b = ip.buf;
  const o = ip.vrrpOff;
  return {
    family: ip.family,
    buf: b,
    src: ip.src,
    dst: ip.dst,
    ttl: ip.ttl,
    ihl: ip.ihl,
    protocol: ip.protocol,
    totLen: ip.totLen,
    ipId: ip.ipId,
    tos: ip.tos,
    fragOff: ip.fragOff,
    ah: ip.ah,
    vrrpOff: o,
    version: b[o]! >> 4,
    type: b[o]! & 0x0f,
    vrid: b[o + 1]!,
    priority: b[o + 2]!,
    naddr: b[o + 3]!,
    authType: b[o + 4]!,
    adverIntV2: b[o + 5]!,
    adverIntV3: ((b[o + 4]! & 0x0f) << 8) | b[o + 5]!,
    reservedV3: b[o + 4]! >> 4,
    checksum: (b[o + 6]! << 8) | b[o + 7]!,
  };
}

/** Reads an IPv4 packet as a raw IPv4 socket delivers it: IP header first. */
export function readIpv4Packet(buf: Uint8Array): ReadResult {
  if (!(buf instanceof Uint8Array)) return { ok: false, reason: 'truncated', detail: 'packet is not a byte array' };
  if (buf.length < IPV4_HEADER_LEN) {
    return { ok: false, reason: 'truncated', detail: `IPv4 VRRP packet too short - ${buf.length} bytes` };
  }
  const version = buf[0]! >> 4;
  const ihl = (buf[0]! & 0x0f) * 4;
  if (version !== 4 || ihl < IPV4_HEADER_LEN) {
    return { ok: false, reason: 'ip_header_invalid', detail: `IP version ${version}, header length ${ihl} bytes` };
  }
  const protocol = buf[9]!;
  if (protocol !== IPPROTO_VRRP && protocol !== IPPROTO_AH) {
    return { ok: false, reason: 'not_vrrp_protocol', detail: `IP protocol ${protocol}` };
  }
  const ahLen = protocol === IPPROTO_AH ? AH_HEADER_LEN : 0;
  if (buf.length < ihl + ahLen + VRRP_HEADER_LEN) {
    const what = ahLen ? 'IPv4 VRRP packet with AH' : 'IPv4 VRRP packet';
    return { ok: false, reason: 'truncated', detail: `${what} too short - ${buf.length} bytes` };
  }
  return {
    ok: true,
    raw: withVrrp({
      family: 4,
      buf,
      src: buf.subarray(12, 16),
      dst: buf.subarray(16, 20),
      ttl: buf[8]!,
      ihl,
      protocol,
      totLen: (buf[2]! << 8) | buf[3]!,
      ipId: (buf[4]! << 8) | buf[5]!,
      tos: buf[1]!,
      fragOff: (buf[6]! << 8) | buf[7]!,
      ah: ahLen ? readAhHeader(buf, ihl) : undefined,
      vrrpOff: ihl + ahLen,
    }),
  };
}

// A socket reports the same few peer/group addresses over and over: parse each text once.
const ipv6Cache = new Map<string, Uint8Array | null>();
function cachedIpv6(text: string): Uint8Array | null {
  let b = ipv6Cache.get(text);
  if (b === undefined) {
    b = parseIpv6(text);
    if (ipv6Cache.size >= 256) ipv6Cache.clear();
    ipv6Cache.set(text, b);
  }
  return b;
}

/** Reads an IPv6 VRRP payload (IPv6 raw sockets deliver no IP header); addresses and hop limit come alongside. */
export function readIpv6Payload(buf: Uint8Array, meta: Ipv6Meta): ReadResult {
  if (!(buf instanceof Uint8Array)) return { ok: false, reason: 'truncated', detail: 'packet is not a byte array' };
  const src = typeof meta?.src === 'string' ? cachedIpv6(meta.src) : null;
  const dst = typeof meta?.dst === 'string' ? cachedIpv6(meta.dst) : null;
  if (!src || !dst) {
    return { ok: false, reason: 'ip_header_invalid', detail: `IPv6 source/destination not addresses: ${String(meta?.src)} -> ${String(meta?.dst)}` };
  }
  if (buf.length < VRRP_HEADER_LEN) {
    return { ok: false, reason: 'truncated', detail: `IPv6 VRRP packet too short - ${buf.length} bytes` };
  }
  const hl = meta.hopLimit;
  return {
    ok: true,
    raw: withVrrp({
      family: 6,
      buf,
      src,
      dst,
      ttl: typeof hl === 'number' && Number.isInteger(hl) && hl >= 0 ? hl : undefined,
      ihl: 0,
      protocol: IPPROTO_VRRP,
      totLen: buf.length,
      ipId: 0,
      tos: 0,
      fragOff: 0,
      vrrpOff: 0,
    }),
  };
}

/** VRRP message length implied by the header: 8 + addresses (+ 8 auth bytes for v2 over IPv4). */
export function expectedVrrpLen(family: Family, version: number, naddr: number): number {
  if (family === 4) return VRRP_HEADER_LEN + (version === 2 ? VRRP_AUTH_LEN : 0) + naddr * 4;
  return VRRP_HEADER_LEN + naddr * 16;
}
