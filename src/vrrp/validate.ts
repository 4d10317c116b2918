// Receive-side validation of a VRRP advert for one instance, in the order keepalived 2.2.7
// applies its checks (vrrp_scheduler.c dispatcher, then vrrp.c vrrp_check_packet and
// vrrp_in_chk_ipsecah). Pure: no I/O, no clock; replay state (the AH sequence number) comes
// in through the context and the accepted value goes out in the result.
import { authDataBytes, bytesEqualConstTime, computeAhIcv } from './codec-ah.js';
import { formatAddr, isMulticast, parseAddr } from './codec-addr.js';
import type { DropReason } from './counters.js';
import {
  advertOf,
  checksumOk,
  expectedVrrpLen,
  IPPROTO_AH,
  readIpv4Packet,
  readIpv6Payload,
  VRRP_AUTH_LEN,
  VRRP_HEADER_LEN,
  VRRP_IP_TTL,
  VRRP_MCAST4,
  VRRP_PKT_ADVERT,
  type Ipv6Meta,
  type RawPacket,
} from './packet.js';
import type { Advert, AuthType, Family, VrrpVersion } from './types.js';

export interface UnicastPeer {
  addr: string;
  /** min_ttl / max_ttl of the peer (keepalived 2.2.7 defaults 0 and 255). */
  minTtl?: number;
  maxTtl?: number;
}

/** The parts of a vrrp_instance that receive checks depend on (after config defaults are applied). */
export interface InstanceConfig {
  family: Family;
  version: VrrpVersion;
  vrid: number;
  authType: AuthType;
  /** auth_pass (cut to 8 bytes, as keepalived does). */
  authPass?: string;
  /** advert_int in centiseconds. */
  advertIntervalCs: number;
  /** virtual_ipaddress entries of this instance's family (addresses only). */
  vips: string[];
  /** unicast_peer list; empty or absent = multicast instance. */
  unicastPeers?: UnicastPeer[];
  skipCheckAdvAddr?: boolean;
  /** vrrp_check_unicast_src / check_unicast_src. */
  checkUnicastSrc?: boolean;
  /** vrrp_strict / strict_mode. */
  strict?: boolean;
  /** old_unicast_checksum: 'none' (default, fall back to the old form if a peer uses it), 'never', 'config', 'auto'. */
  oldUnicastChecksum?: 'none' | 'never' | 'config' | 'auto';
}

export interface ValidateContext {
  /** Our state: the address list is always checked as MASTER; as BACKUP skip_check_adv_addr may apply. */
  state: 'master' | 'backup';
  /** Our own addresses: adverts from them are our own, looped back. */
  ownAddrs?: string[];
  /** BACKUP: source address of the current master (skip_check_adv_addr only skips adverts from it). */
  masterAddr?: string;
  /** Highest IPSEC-AH sequence number accepted so far (keepalived starts from 0). */
  ahSeq?: number;
  /** IPv6 only: what the socket reported beside the payload. */
  ipv6?: Ipv6Meta;
}

export type ValidateResult =
  | {
      ok: true;
      advert: Advert;
      /** AH: the sequence number to remember for replay protection. */
      ahSeq?: number;
      /** v3 unicast: the peer uses the pre-1.3.7 checksum (against 224.0.0.18); keepalived switches to it. */
      oldUnicastChecksum?: boolean;
    }
  | { ok: false; reason: DropReason; detail: string };

interface Compiled {
  vips: Uint8Array[];
  vipText: string[];
  peers: { addr: Uint8Array; minTtl: number; maxTtl: number }[];
  key: Uint8Array;
  mcast4: Uint8Array;
}

const compiled = new WeakMap<InstanceConfig, Compiled>();

/** Parses the config's addresses once per config object (configs are treated as immutable). */
function compile(cfg: InstanceConfig): Compiled | string {
  const hit = compiled.get(cfg);
  if (hit) return hit;
  if (cfg.family !== 4 && cfg.family !== 6) return `family ${String(cfg.family)} is not 4 or 6`;
  if (cfg.version !== 2 && cfg.version !== 3) return `version ${String(cfg.version)} is not 2 or 3`;
  if (!Number.isInteger(cfg.vrid)) return `vrid ${String(cfg.vrid)} is not an integer`;
  if (!Array.isArray(cfg.vips)) return 'vips is not a list';
  if (cfg.family === 6 && cfg.authType !== 'none' && !cfg.strict) return 'authentication is IPv4 only';
  const vips: Uint8Array[] = [];
  for (const [i, v] of cfg.vips.entries()) {
    const b = typeof v === 'string' ? parseAddr(cfg.family, v) : null;
    if (!b) return `vips[${i}] ${String(v)} is not an IPv${cfg.family} address`;
    vips.push(b);
  }
  const peers: Compiled['peers'] = [];
  for (const [i, p] of (cfg.unicastPeers ?? []).entries()) {
    const b = p && typeof p.addr === 'string' ? parseAddr(cfg.family, p.addr) : null;
    if (!b) return `unicastPeers[${i}] ${String(p?.addr)} is not an IPv${cfg.family} address`;
    peers.push({ addr: b, minTtl: p.minTtl ?? 0, maxTtl: p.maxTtl ?? 255 });
  }
  const c: Compiled = {
    vips,
    vipText: vips.map((b) => formatAddr(cfg.family, b)),
    peers,
    key: authDataBytes(typeof cfg.authPass === 'string' ? cfg.authPass : ''),
    mcast4: parseAddr(4, VRRP_MCAST4)!,
  };
  compiled.set(cfg, c);
  return c;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function has(list: Uint8Array[], addr: Uint8Array): boolean {
  return list.some((x) => sameBytes(x, addr));
}

type Fail = { ok: false; reason: DropReason; detail: string };
const fail = (reason: DropReason, detail: string): Fail => ({ ok: false, reason, detail });

/**
 * Validates one received packet for one instance. IPv4: `packet` is the whole packet from
 * its IP header. IPv6: `packet` is the VRRP payload and `ctx.ipv6` carries addresses and
 * hop limit. Never throws; every rejection names its reason.
 */
export function validate(packet: Uint8Array, cfg: InstanceConfig, ctx: ValidateContext): ValidateResult {
  try {
    return check(packet, cfg, ctx);
  } catch (e) {
    // Only a malformed cfg/ctx object (e.g. a getter that throws) can get here.
    return fail('config_invalid', `validate: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function check(packet: Uint8Array, cfg: InstanceConfig, ctx: ValidateContext): ValidateResult {
  if (!cfg || typeof cfg !== 'object') return fail('config_invalid', 'instance config is not an object');
  if (!ctx || typeof ctx !== 'object') return fail('config_invalid', 'context is not an object');
  const c = compile(cfg);
  if (typeof c === 'string') return fail('config_invalid', c);

  const r =
    cfg.family === 4 ? readIpv4Packet(packet) : readIpv6Payload(packet, ctx.ipv6 ?? { src: '', dst: '' });
  if (!r.ok) return r;
  const raw = r.raw;
  const srcText = () => formatAddr(raw.family, raw.src);

  // Dispatcher: find the instance by VRID, drop our own looped-back adverts.
  if (raw.vrid !== cfg.vrid) return fail('vrid_unknown', `Unknown VRID(${raw.vrid}), ours is ${cfg.vrid}`);
  if (ctx.ownAddrs?.some((a) => typeof a === 'string' && sameAddr(raw.family, a, raw.src))) {
    return fail('own_packet', `advert from our own address ${srcText()}`);
  }
  const unicast = c.peers.length > 0;
  const multicastPkt = isMulticast(raw.family, raw.dst);
  if (raw.family === 6 && multicastPkt === unicast) {
    return fail('cast_mismatch', `discarding ${multicastPkt ? 'mult' : 'un'}icast packet on ${unicast ? 'un' : 'mult'}icast instance`);
  }

  // vrrp_strict: keepalived refuses authentication in strict mode, so authenticated adverts cannot match.
  const authType: AuthType = cfg.strict ? 'none' : cfg.authType;
  const pktCarriesAuth = raw.protocol === IPPROTO_AH || (raw.version === 2 && raw.authType !== 0);
  if (cfg.strict && pktCarriesAuth) {
    return fail('strict_auth', `authenticated advert (auth type ${raw.protocol === IPPROTO_AH ? 2 : raw.authType}) in strict mode`);
  }

  if (raw.family === 4 && (raw.protocol === IPPROTO_AH) !== (authType === 'ah')) {
    return fail('authtype_mismatch', raw.protocol === IPPROTO_AH ? 'Received AH header but auth type not AH' : 'No AH header but auth type is AH');
  }

  const expected = raw.vrrpOff + expectedVrrpLen(raw.family, raw.version, raw.naddr);
  if (raw.buf.length !== expected) {
    const how = raw.buf.length > expected ? 'long' : 'short';
    return fail('packet_length', `vrrp packet too ${how}, length ${raw.buf.length} and expect ${expected}`);
  }

  if (!unicast && raw.ttl !== undefined && raw.ttl !== VRRP_IP_TTL) {
    return fail('ttl_invalid', `invalid TTL/HL. Received ${raw.ttl} and expect ${VRRP_IP_TTL}`);
  }

  if (raw.version !== cfg.version) return fail('version_invalid', `wrong version. Received ${raw.version} and expect ${cfg.version}`);

  let ahSeq: number | undefined;
  if (raw.version === 2) {
    const v2 = checkV2(raw, cfg, c, ctx, authType, unicast);
    if (!v2.ok) return v2;
    ahSeq = v2.ahSeq;
  }

  if (raw.type !== VRRP_PKT_ADVERT) return fail('type_invalid', `Invalid packet type. ${raw.type} and expect ${VRRP_PKT_ADVERT}`);

  const checkVip = checkAddresses(cfg, ctx, raw);
  if (checkVip && raw.naddr !== c.vips.length) {
    return fail('addr_count_mismatch', `received an unexpected ip number count ${raw.naddr}, expected ${c.vips.length}`);
  }

  if (raw.family === 4 && raw.totLen !== raw.buf.length) {
    return fail('ip_total_length', `ip_tot_len mismatch against received length. ${raw.totLen} and received ${raw.buf.length}`);
  }

  let oldUnicastChecksum = false;
  const compat = cfg.oldUnicastChecksum ?? 'none';
  const useOld = raw.family === 4 && raw.version === 3 && unicast && (compat === 'config' || compat === 'auto');
  if (!checksumOk(raw, useOld ? c.mcast4 : undefined)) {
    const canFallBack =
      raw.family === 4 && raw.version === 3 && unicast && compat === 'none' && !sameBytes(raw.dst, c.mcast4);
    if (canFallBack && checksumOk(raw, c.mcast4)) oldUnicastChecksum = true;
    else return fail('checksum', `Invalid VRRPv${raw.version} checksum`);
  }

  if (raw.family === 4 && multicastPkt === unicast) {
    return fail('cast_mismatch', `Expected ${unicast ? 'un' : 'mult'}icast packet but received ${multicastPkt ? 'mult' : 'un'}icast packet`);
  }

  if (checkVip) {
    const size = raw.family === 4 ? 4 : 16;
    const first = raw.vrrpOff + VRRP_HEADER_LEN;
    const carried: Uint8Array[] = [];
    for (let i = 0; i < raw.naddr; i++) carried.push(raw.buf.subarray(first + i * size, first + (i + 1) * size));
    for (const [i, vip] of c.vips.entries()) {
      if (!has(carried, vip)) {
        return fail('addr_list_mismatch', `ip address associated with VRID ${cfg.vrid} not present in MASTER advert: ${c.vipText[i]}`);
      }
    }
    if (unicast && cfg.checkUnicastSrc) {
      const peer = c.peers.find((p) => sameBytes(p.addr, raw.src));
      if (!peer) return fail('unicast_src_not_peer', `unicast source address ${srcText()} not a unicast peer`);
      if (raw.ttl !== undefined && (raw.ttl < peer.minTtl || raw.ttl > peer.maxTtl)) {
        return fail('ttl_out_of_range', `TTL/HL ${raw.ttl} not in range ${peer.minTtl} - ${peer.maxTtl}`);
      }
    }
  }

  const advert = advertOf(raw);
  const ok: ValidateResult = { ok: true, advert };
  if (ahSeq !== undefined) ok.ahSeq = ahSeq;
  if (oldUnicastChecksum) ok.oldUnicastChecksum = true;
  return ok;
}

function sameAddr(family: Family, text: string, bytes: Uint8Array): boolean {
  const b = parseAddr(family, text);
  return b !== null && sameBytes(b, bytes);
}

/**
 * Whether the advert's address list is checked. keepalived always checks as MASTER; as BACKUP
 * skip_check_adv_addr skips it for adverts from the master it already knows. Strict mode
 * checks always (stricter than keepalived 2.2.7, which lets skip_check_adv_addr win).
 */
function checkAddresses(cfg: InstanceConfig, ctx: ValidateContext, raw: RawPacket): boolean {
  if (cfg.strict || ctx.state !== 'backup' || !cfg.skipCheckAdvAddr) return true;
  if (typeof ctx.masterAddr !== 'string') return true;
  return !sameAddr(raw.family, ctx.masterAddr, raw.src);
}

function checkV2(
  raw: RawPacket,
  cfg: InstanceConfig,
  c: Compiled,
  ctx: ValidateContext,
  authType: AuthType,
  unicast: boolean,
): { ok: true; ahSeq?: number } | Fail {
  if (raw.authType > 2) return fail('authtype_invalid', `Invalid auth type: ${raw.authType}`);
  const mine = authType === 'none' ? 0 : authType === 'pass' ? 1 : 2;
  if (raw.authType !== mine) return fail('authtype_mismatch', `received a ${raw.authType} auth, expecting ${mine}!`);

  let ahSeq: number | undefined;
  if (authType === 'pass') {
    // keepalived reads the password from the last 8 bytes the IP total length claims.
    const off = raw.totLen - VRRP_AUTH_LEN;
    const field = off >= raw.vrrpOff + VRRP_HEADER_LEN && raw.totLen <= raw.buf.length ? raw.buf.subarray(off, off + VRRP_AUTH_LEN) : null;
    if (!field || !bytesEqualConstTime(field, c.key)) return fail('auth_password', 'received an invalid passwd!');
  } else if (authType === 'ah' && raw.ah) {
    if (raw.ah.nextHeader !== 112) return fail('ah_next_header', `AH next header ${raw.ah.nextHeader}, not VRRP`);
    const icv = computeAhIcv(raw.buf, raw.ihl, raw.buf.length, c.key, unicast);
    if (!bytesEqualConstTime(icv, raw.ah.icv)) {
      return fail('ah_icv', 'IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !');
    }
    const srcWord = ((raw.src[0]! << 24) | (raw.src[1]! << 16) | (raw.src[2]! << 8) | raw.src[3]!) >>> 0;
    if (raw.ah.spi !== srcWord) return fail('ah_spi', `IPSEC AH : invalid IPSEC SPI value ${raw.ah.spi}, expect ${srcWord}`);
    const last = typeof ctx.ahSeq === 'number' ? ctx.ahSeq : 0;
    if (!(raw.ah.seq > last)) return fail('ah_replay', `IPSEC-AH : sequence number ${raw.ah.seq} already processed. Local(${last})`);
    ahSeq = raw.ah.seq;
  }

  if (cfg.advertIntervalCs !== raw.adverIntV2 * 100) {
    return fail(
      'advert_interval_mismatch',
      `advertisement interval mismatch mine=${Math.floor(cfg.advertIntervalCs / 100)} sec rcv'd=${raw.adverIntV2} sec`,
    );
  }
  return ahSeq === undefined ? { ok: true } : { ok: true, ahSeq };
}

