// VRRP advert encode/decode: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798), IPv4 and IPv6,
// with keepalived's v2 authentication (simple password, IPSEC-AH).
//
// decode* only judges the packet on its own (lengths, version, type, auth type, checksum,
// AH framing); instance-level rules (TTL, VRID, interval, VIPs, passwords) are in validate.ts.
import { AH_HEADER_LEN, AH_ICV_LEN, AH_ICV_OFFSET, AH_PAYLOAD_LEN, authDataBytes, computeAhIcv } from './codec-ah.js';
import { formatAddr, parseAddr } from './codec-addr.js';
import {
  expectedVrrpLen,
  IPPROTO_AH,
  IPPROTO_VRRP,
  IPV4_HEADER_LEN,
  readIpv4Packet,
  readIpv6Payload,
  VRRP_AUTH_LEN,
  VRRP_HEADER_LEN,
  VRRP_IP_TTL,
  VRRP_PKT_ADVERT,
  type Ipv6Meta,
  type RawPacket,
} from './codec-read.js';
import { fold, inetChecksum, pseudoSum4, pseudoSum6, sum16 } from './checksum.js';
import type { DropReason } from './counters.js';
import type { Advert, AuthType } from './types.js';

export * from './codec-read.js';

export type DecodeResult =
  | { ok: true; advert: Advert; raw: RawPacket }
  | { ok: false; reason: DropReason; detail: string };

const AUTH_CODES: Record<number, AuthType> = { 0: 'none', 1: 'pass', 2: 'ah' };
const AUTH_NUMBERS: Record<AuthType, number> = { none: 0, pass: 1, ah: 2 };

/** Offset just past the VRRP message the header describes (the end the checksum covers). */
export function vrrpEnd(raw: RawPacket): number {
  return raw.vrrpOff + expectedVrrpLen(raw.family, raw.version, raw.naddr);
}

/** Length the whole buffer must have for the address count in the VRRP header. */
export function expectedBufLen(raw: RawPacket): number {
  return vrrpEnd(raw);
}

/**
 * Verifies the VRRP checksum: v2 over IPv4 covers the message alone; v3 over IPv4 and
 * anything over IPv6 add the pseudo-header. `pseudoDst` overrides the IPv4 destination
 * (keepalived's old unicast checksum, computed against 224.0.0.18).
 */
export function checksumOk(raw: RawPacket, pseudoDst?: Uint8Array): boolean {
  const end = vrrpEnd(raw);
  if (end > raw.buf.length) return false;
  const len = end - raw.vrrpOff;
  let acc = 0;
  if (raw.family === 6) acc = pseudoSum6(raw.src, raw.dst, IPPROTO_VRRP, len);
  else if (raw.version === 3) acc = pseudoSum4(raw.src, pseudoDst ?? raw.dst, IPPROTO_VRRP, len);
  return inetChecksum(raw.buf, raw.vrrpOff, end, acc) === 0;
}

/** The Advert a structurally sound raw packet carries. */
export function advertOf(raw: RawPacket): Advert {
  const size = raw.family === 4 ? 4 : 16;
  const addrs: string[] = [];
  const first = raw.vrrpOff + VRRP_HEADER_LEN;
  for (let i = 0; i < raw.naddr; i++) addrs.push(formatAddr(raw.family, raw.buf, first + i * size));
  const v2 = raw.version === 2;
  const authType: AuthType = v2 ? (AUTH_CODES[raw.authType] ?? 'none') : 'none';
  const advert: Advert = {
    version: v2 ? 2 : 3,
    family: raw.family,
    vrid: raw.vrid,
    priority: raw.priority,
    advertIntervalCs: v2 ? raw.adverIntV2 * 100 : raw.adverIntV3,
    srcAddr: formatAddr(raw.family, raw.src),
    addrs,
    authType,
  };
  if (authType === 'pass' && raw.family === 4) {
    const off = first + raw.naddr * size;
    advert.authData = authText(raw.buf.subarray(off, off + VRRP_AUTH_LEN));
  }
  if (raw.ah) advert.ahSeq = raw.ah.seq;
  return advert;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function authText(field: Uint8Array): string {
  let end = field.length;
  while (end > 0 && field[end - 1] === 0) end--;
  const bytes = field.subarray(0, end);
  try {
    return utf8.decode(bytes);
  } catch {
    return String.fromCharCode(...bytes);
  }
}

/**
 * Structural checks shared by decode and validate, in keepalived's order. Returns the first
 * failure or null. Instance-dependent checks are left to validate.ts.
 */
export function structuralFailure(raw: RawPacket): { reason: DropReason; detail: string } | null {
  const expected = expectedBufLen(raw);
  if (raw.buf.length !== expected) {
    const how = raw.buf.length > expected ? 'long' : 'short';
    return { reason: 'packet_length', detail: `vrrp packet too ${how}, length ${raw.buf.length} and expect ${expected}` };
  }
  if (raw.version !== 2 && raw.version !== 3) return { reason: 'version_invalid', detail: `version ${raw.version}` };
  if (raw.version === 2 && AUTH_CODES[raw.authType] === undefined) {
    return { reason: 'authtype_invalid', detail: `Invalid auth type: ${raw.authType}` };
  }
  if (raw.family === 4 && (raw.protocol === IPPROTO_AH) !== (raw.version === 2 && raw.authType === 2)) {
    return {
      reason: 'authtype_mismatch',
      detail: raw.protocol === IPPROTO_AH ? 'AH header but VRRP auth type is not AH' : 'VRRP auth type AH without an AH header',
    };
  }
  if (raw.ah && raw.ah.nextHeader !== IPPROTO_VRRP) {
    return { reason: 'ah_next_header', detail: `AH next header ${raw.ah.nextHeader}` };
  }
  if (raw.type !== VRRP_PKT_ADVERT) return { reason: 'type_invalid', detail: `Invalid packet type. ${raw.type} and expect 1` };
  if (raw.family === 4 && raw.totLen !== raw.buf.length) {
    return { reason: 'ip_total_length', detail: `ip_tot_len mismatch against received length. ${raw.totLen} and received ${raw.buf.length}` };
  }
  if (!checksumOk(raw)) return { reason: 'checksum', detail: `Invalid VRRPv${raw.version} checksum` };
  return null;
}

function decodeRaw(r: ReturnType<typeof readIpv4Packet>): DecodeResult {
  if (!r.ok) return r;
  const bad = structuralFailure(r.raw);
  if (bad) return { ok: false, ...bad };
  return { ok: true, advert: advertOf(r.raw), raw: r.raw };
}

/** Decodes an IPv4 packet, IP header first. Never throws. */
export function decodeIpv4(buf: Uint8Array): DecodeResult {
  return decodeRaw(readIpv4Packet(buf));
}

/** Decodes an IPv6 VRRP payload; source, destination and hop limit come from the socket. Never throws. */
export function decodeIpv6(buf: Uint8Array, meta: Ipv6Meta): DecodeResult {
  return decodeRaw(readIpv6Payload(buf, meta));
}

export interface EncodeSpec extends Advert {
  /** Destination: the multicast group (224.0.0.18 / ff02::12) or a unicast peer. */
  dstAddr: string;
  /** IPv4 header fields keepalived sets: TTL 255, TOS 0xc0 (network control), ID counts from 1. */
  ttl?: number;
  tos?: number;
  ipId?: number;
  /** AH: the ICV leaves out the TTL when sending to unicast peers (as keepalived does). */
  unicast?: boolean;
  /** v3 over IPv4: pseudo-header destination if not dstAddr (old_unicast_checksum uses 224.0.0.18). */
  checksumDst?: string;
}

export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function specError(s: EncodeSpec): string | null {
  if (s.version !== 2 && s.version !== 3) return `version: ${String(s.version)} is not 2 or 3`;
  if (s.family !== 4 && s.family !== 6) return `family: ${String(s.family)} is not 4 or 6`;
  if (!intIn(s.vrid, 1, 255)) return `vrid: ${String(s.vrid)} is not 1-255`;
  if (!intIn(s.priority, 0, 255)) return `priority: ${String(s.priority)} is not 0-255`;
  if (!Array.isArray(s.addrs) || s.addrs.length > 255) return 'addrs: at most 255 addresses';
  if (s.version === 2) {
    if (!intIn(s.advertIntervalCs, 100, 25500) || s.advertIntervalCs % 100 !== 0) {
      return `advertIntervalCs: VRRPv2 needs whole seconds 1-255, got ${String(s.advertIntervalCs)} cs`;
    }
    if (!(s.authType in AUTH_NUMBERS)) return `authType: ${String(s.authType)} is not none, pass or ah`;
    if (s.authType !== 'none' && s.family === 6) return 'authType: VRRPv2 authentication exists only over IPv4';
    if (s.authType !== 'none' && typeof s.authData !== 'string') return 'authData: the auth_pass is required';
    if (s.authType === 'ah' && !intIn(s.ahSeq, 0, 0xffffffff)) return `ahSeq: ${String(s.ahSeq)} is not a 32-bit sequence number`;
  } else {
    if (!intIn(s.advertIntervalCs, 1, 4095)) return `advertIntervalCs: ${String(s.advertIntervalCs)} is not 1-4095`;
    if (s.authType !== 'none') return 'authType: VRRPv3 has no authentication';
  }
  if (s.ttl !== undefined && !intIn(s.ttl, 0, 255)) return `ttl: ${String(s.ttl)} is not 0-255`;
  if (s.tos !== undefined && !intIn(s.tos, 0, 255)) return `tos: ${String(s.tos)} is not 0-255`;
  if (s.ipId !== undefined && !intIn(s.ipId, 0, 0xffff)) return `ipId: ${String(s.ipId)} is not 0-65535`;
  return null;
}

/** Writes the VRRP message (header, addresses, v2 IPv4 auth field) with a zero checksum. */
function writeVrrp(s: EncodeSpec, out: Uint8Array, off: number, addrs: Uint8Array[]): void {
  out[off] = (s.version << 4) | VRRP_PKT_ADVERT;
  out[off + 1] = s.vrid;
  out[off + 2] = s.priority;
  out[off + 3] = addrs.length;
  if (s.version === 2) {
    out[off + 4] = AUTH_NUMBERS[s.authType];
    out[off + 5] = s.advertIntervalCs / 100;
  } else {
    out[off + 4] = (s.advertIntervalCs >> 8) & 0x0f;
    out[off + 5] = s.advertIntervalCs & 0xff;
  }
  let p = off + VRRP_HEADER_LEN;
  for (const a of addrs) {
    out.set(a, p);
    p += a.length;
  }
  if (s.version === 2 && s.family === 4 && s.authType === 'pass') out.set(authDataBytes(s.authData ?? ''), p);
}

/** Parsed address texts: a sender encodes the same few addresses every advert. Bounded (cleared
 * when full) so a stream of distinct addresses cannot grow it; the bytes are only ever read. */
const parsedAddrs: [Map<string, Uint8Array>, Map<string, Uint8Array>] = [new Map(), new Map()];
const PARSED_MAX = 4096;

function parseCached(family: 4 | 6, text: string): Uint8Array | null {
  const cache = parsedAddrs[family === 4 ? 0 : 1];
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const b = parseAddr(family, text);
  if (b === null) return null;
  if (cache.size >= PARSED_MAX) cache.clear();
  cache.set(text, b);
  return b;
}

function parseAll(s: EncodeSpec): { src: Uint8Array; dst: Uint8Array; addrs: Uint8Array[] } | string {
  const src = typeof s.srcAddr === 'string' ? parseCached(s.family, s.srcAddr) : null;
  if (!src) return `srcAddr: ${String(s.srcAddr)} is not an IPv${s.family} address`;
  const dst = typeof s.dstAddr === 'string' ? parseCached(s.family, s.dstAddr) : null;
  if (!dst) return `dstAddr: ${String(s.dstAddr)} is not an IPv${s.family} address`;
  const addrs: Uint8Array[] = [];
  for (const [i, a] of s.addrs.entries()) {
    const b = typeof a === 'string' ? parseCached(s.family, a) : null;
    if (!b) return `addrs[${i}]: ${String(a)} is not an IPv${s.family} address`;
    addrs.push(b);
  }
  return { src, dst, addrs };
}

/**
 * Encodes an advert. IPv4: the whole packet with its IP header (as keepalived builds it for
 * IP_HDRINCL, header checksum filled in as the kernel does). IPv6: the VRRP payload, with the
 * checksum the kernel would compute. Never throws; bad input gives an error naming the field.
 */
export function encode(spec: EncodeSpec): EncodeResult {
  if (spec === null || typeof spec !== 'object') return { ok: false, error: 'spec: not an object' };
  const err = specError(spec);
  if (err) return { ok: false, error: err };
  const parsed = parseAll(spec);
  if (typeof parsed === 'string') return { ok: false, error: parsed };
  const { src, dst, addrs } = parsed;
  const vrrpLen = expectedVrrpLen(spec.family, spec.version, addrs.length);

  if (spec.family === 6) {
    const out = new Uint8Array(vrrpLen);
    writeVrrp(spec, out, 0, addrs);
    const ck = inetChecksum(out, 0, vrrpLen, pseudoSum6(src, dst, IPPROTO_VRRP, vrrpLen));
    out[6] = ck >> 8;
    out[7] = ck & 0xff;
    return { ok: true, bytes: out };
  }

  const ah = spec.version === 2 && spec.authType === 'ah';
  const vrrpOff = IPV4_HEADER_LEN + (ah ? AH_HEADER_LEN : 0);
  const total = vrrpOff + vrrpLen;
  const out = new Uint8Array(total);
  out[0] = 0x45;
  out[1] = spec.tos ?? 0xc0;
  out[2] = total >> 8;
  out[3] = total & 0xff;
  const id = spec.ipId ?? 0;
  out[4] = id >> 8;
  out[5] = id & 0xff;
  out[8] = spec.ttl ?? VRRP_IP_TTL;
  out[9] = ah ? IPPROTO_AH : IPPROTO_VRRP;
  out.set(src, 12);
  out.set(dst, 16);

  writeVrrp(spec, out, vrrpOff, addrs);
  let acc = 0;
  if (spec.version === 3) {
    const ckDst = spec.checksumDst === undefined ? dst : parseAddr(4, spec.checksumDst);
    if (!ckDst) return { ok: false, error: `checksumDst: ${String(spec.checksumDst)} is not an IPv4 address` };
    acc = pseudoSum4(src, ckDst, IPPROTO_VRRP, vrrpLen);
  }
  const ck = inetChecksum(out, vrrpOff, total, acc);
  out[vrrpOff + 6] = ck >> 8;
  out[vrrpOff + 7] = ck & 0xff;

  if (ah) {
    const a = IPV4_HEADER_LEN;
    out[a] = IPPROTO_VRRP;
    out[a + 1] = AH_PAYLOAD_LEN;
    out.set(src, a + 4); // SPI = source address
    const seq = spec.ahSeq!;
    out[a + 8] = seq >>> 24;
    out[a + 9] = (seq >>> 16) & 0xff;
    out[a + 10] = (seq >>> 8) & 0xff;
    out[a + 11] = seq & 0xff;
    const icv = computeAhIcv(out, IPV4_HEADER_LEN, total, authDataBytes(spec.authData ?? ''), spec.unicast === true);
    out.set(icv.subarray(0, AH_ICV_LEN), a + AH_ICV_OFFSET);
  }

  const hck = ~fold(sum16(out, 0, IPV4_HEADER_LEN)) & 0xffff;
  out[10] = hck >> 8;
  out[11] = hck & 0xff;
  return { ok: true, bytes: out };
}
