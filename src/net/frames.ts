// Link-layer announcements as keepalived 2.2.7 builds them (vrrp_arp.c, vrrp_ndisc.c): whole
// Ethernet frames for an AF_PACKET socket, VLAN-free. Pure: bytes in, bytes out, never throws.
import { inetChecksum, pseudoSum6 } from '../vrrp/checksum.js';
import { parseIpv4, parseIpv6 } from '../vrrp/codec-addr.js';

export const ETH_HLEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_TARGET_LINKADDR = 2;
/** RFC 4861: neighbour discovery is only accepted with hop limit 255. */
export const NDISC_HOPLIMIT = 255;
export const ND_NA_FLAG_ROUTER = 0x80;
export const ND_NA_FLAG_SOLICITED = 0x40;
export const ND_NA_FLAG_OVERRIDE = 0x20;

/** 14 Ethernet + 28 ARP: what keepalived hands the kernel (the driver may pad it to 60). */
export const GARP_FRAME_LEN = 42;
/** 14 Ethernet + 40 IPv6 + 24 NA + 8 target link-layer address option. */
export const NA_FRAME_LEN = 86;

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** ff02::1 (all nodes) and its RFC 2464 multicast MAC 33:33:00:00:00:01. */
export const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);
const ALL_NODES = parseIpv6('ff02::1')!;

export type FrameResult = { ok: true; frame: Uint8Array } | { ok: false; error: string };

/** aa:bb:cc:dd:ee:ff (or with '-') to 6 bytes; null for anything else. */
export function parseMac(text: string): Uint8Array | null {
  if (typeof text !== 'string') return null;
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text.trim());
  if (!m) return null;
  return new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function macBytes(mac: string | Uint8Array): Uint8Array | string {
  if (mac instanceof Uint8Array) return mac.length === 6 ? mac : `MAC has ${mac.length} bytes, not 6`;
  return parseMac(mac) ?? `'${String(mac)}' is not a MAC address (aa:bb:cc:dd:ee:ff)`;
}

function ethHeader(out: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): void {
  out.set(dst, 0);
  out.set(src, 6);
  out[12] = type >> 8;
  out[13] = type & 0xff;
}

/**
 * Gratuitous ARP for `ip` from `mac`: an ARP request (not a reply) to the broadcast address,
 * sender and target protocol address both the VIP, target hardware address the broadcast
 * address, exactly as keepalived sends it.
 */
export function garpFrame(mac: string | Uint8Array, ip: string): FrameResult {
  const src = macBytes(mac);
  if (typeof src === 'string') return { ok: false, error: `gratuitous ARP: ${src}` };
  const addr = typeof ip === 'string' ? parseIpv4(ip) : null;
  if (!addr) return { ok: false, error: `gratuitous ARP: '${String(ip)}' is not an IPv4 address` };
  const f = new Uint8Array(GARP_FRAME_LEN);
  ethHeader(f, BROADCAST_MAC, src, ETHERTYPE_ARP);
  const a = ETH_HLEN;
  f[a + 1] = ARPHRD_ETHER; // ar_hrd
  f[a + 2] = ETHERTYPE_IPV4 >> 8; // ar_pro
  f[a + 4] = 6; // ar_hln
  f[a + 5] = 4; // ar_pln
  f[a + 7] = ARPOP_REQUEST; // ar_op
  f.set(src, a + 8); // sender hardware address
  f.set(addr, a + 14); // sender protocol address
  f.set(BROADCAST_MAC, a + 18); // target hardware address
  f.set(addr, a + 24); // target protocol address
  return { ok: true, frame: f };
}

/** ICMPv6 checksum of `msg` (checksum field included as it is) with the IPv6 pseudo-header. */
export function icmp6Checksum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  return inetChecksum(msg, 0, msg.length, pseudoSum6(src, dst, IPPROTO_ICMPV6, msg.length));
}

export interface NaOptions {
  /** Router flag: keepalived sets it when IPv6 forwarding is on for the interface. */
  router?: boolean;
}

/**
 * Unsolicited neighbour advertisement for `ip` from `mac`, as keepalived sends it: from the
 * VIP itself to ff02::1 (33:33:00:00:00:01), hop limit 255, Override set, Solicited clear,
 * Router per `opts.router`, with a target link-layer address option.
 */
export function unsolicitedNaFrame(mac: string | Uint8Array, ip: string, opts: NaOptions = {}): FrameResult {
  const src = macBytes(mac);
  if (typeof src === 'string') return { ok: false, error: `neighbour advertisement: ${src}` };
  const addr = typeof ip === 'string' ? parseIpv6(ip) : null;
  if (!addr) return { ok: false, error: `neighbour advertisement: '${String(ip)}' is not an IPv6 address` };
  const f = new Uint8Array(NA_FRAME_LEN);
  ethHeader(f, ALL_NODES_MAC, src, ETHERTYPE_IPV6);
  const ip6 = ETH_HLEN;
  const payloadLen = NA_FRAME_LEN - ETH_HLEN - 40;
  f[ip6] = 0x60; // version 6, traffic class 0, flow label 0
  f[ip6 + 4] = payloadLen >> 8;
  f[ip6 + 5] = payloadLen & 0xff;
  f[ip6 + 6] = IPPROTO_ICMPV6;
  f[ip6 + 7] = NDISC_HOPLIMIT;
  f.set(addr, ip6 + 8);
  f.set(ALL_NODES, ip6 + 24);
  const na = ip6 + 40;
  f[na] = ND_NEIGHBOR_ADVERT;
  f[na + 4] = ND_NA_FLAG_OVERRIDE | (opts?.router ? ND_NA_FLAG_ROUTER : 0);
  f.set(addr, na + 8); // target address
  f[na + 24] = ND_OPT_TARGET_LINKADDR;
  f[na + 25] = 1; // option length in units of 8 bytes
  f.set(src, na + 26);
  const ck = icmp6Checksum(addr, ALL_NODES, f.subarray(na));
  f[na + 2] = ck >> 8;
  f[na + 3] = ck & 0xff;
  return { ok: true, frame: f };
}
