// Pure helpers for rtnetlink: address specs checked and turned into request fields, kernel messages
// turned into the contract's LinkInfo/AddressInfo, and errno codes into words. No I/O here.
import type { rt, ifla } from 'netlink';
import { parseAddr, formatIpv4, formatIpv6 } from '../vrrp/codec-addr.js';
import type { AddressInfo, AddressSpec, Family, LinkInfo, NetResult } from './types.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
/** IFNAMSIZ - 1: the longest interface name (and IPv4 label) the kernel takes. */
const MAX_IFNAME = 15;

// rt_scope_t names as iproute2 prints and accepts them ("universe" is an alias of global).
const SCOPE_BY_NAME: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const SCOPE_NAME: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

/** A scope as `ip` accepts it: a name, or a number 0-255 (decimal or 0x hex). Null when neither. */
export function parseScope(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t in SCOPE_BY_NAME) return SCOPE_BY_NAME[t]!;
  const n = /^0x[0-9a-f]{1,2}$/.test(t) ? parseInt(t, 16) : /^\d{1,3}$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : null;
}

/** A scope number as `ip` prints it: its name when it has one, else the number. */
export function scopeName(n: number): string {
  return SCOPE_NAME[n] ?? String(n);
}

// netlink's AddressFlags keys -> the names iproute2 prints (ip -j uses the same words as keys).
const FLAG_NAMES: [keyof rt.AddressFlags, string][] = [
  ['secondary', 'secondary'],
  ['nodad', 'nodad'],
  ['optimistic', 'optimistic'],
  ['dadfailed', 'dadfailed'],
  ['homeaddress', 'home'],
  ['deprecated', 'deprecated'],
  ['tentative', 'tentative'],
  ['permanent', 'permanent'],
  ['managetempaddr', 'mngtmpaddr'],
  ['noprefixroute', 'noprefixroute'],
  ['mcautojoin', 'autojoin'],
  ['stablePrivacy', 'stable-privacy'],
];

export function addressFlagNames(flags: rt.AddressFlags | undefined): string[] {
  if (!flags) return [];
  return FLAG_NAMES.filter(([k]) => flags[k] === true).map(([, name]) => name);
}

export function macText(buf: Uint8Array | undefined): string {
  if (!buf || buf.length === 0) return '';
  return [...buf].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function addrText(family: Family, buf: Uint8Array): string {
  return family === 4 ? formatIpv4(buf) : formatIpv6(buf);
}

/** Any value as text for a message: bad input (objects without toString, symbols) must not throw here. */
export function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined || v === null) return String(v);
  return `<${typeof v}>`;
}

/** "192.0.2.10/24 dev eth0": how every message about one address names it. */
export function describeSpec(a: Pick<AddressSpec, 'addr' | 'prefix' | 'ifname'>): string {
  return `${show(a.addr)}/${show(a.prefix)} dev ${show(a.ifname)}`;
}

/** The fields of one RTM_NEWADDR/RTM_DELADDR request (ifindex is filled in by the caller). */
export interface AddressRequest {
  family: Family;
  local: Buffer;
  prefix: number;
  scope: number;
  label?: string;
  brd?: Buffer;
  nodad: boolean;
}

/**
 * Checks an AddressSpec and builds the request fields. `op` is 'add' or 'delete' and starts every
 * error, e.g. "add 192.0.2.10/24 dev eth0 label x: label must start with the interface name 'eth0'".
 */
export function addressRequest(op: string, a: AddressSpec): NetResult<AddressRequest> {
  if (typeof a !== 'object' || a === null) return { ok: false, error: `${op}: no address given` };
  const where = `${op} ${describeSpec(a)}`;
  const fail = (why: string): NetResult<AddressRequest> => ({ ok: false, error: `${where}: ${why}` });
  if (typeof a.ifname !== 'string' || a.ifname === '') return fail('no interface name');
  if (a.ifname.length > MAX_IFNAME || /[\s/:]/.test(a.ifname)) return fail(`invalid interface name '${a.ifname}'`);
  if (a.family !== 4 && a.family !== 6) return fail(`family must be 4 or 6, not ${show(a.family)}`);
  const local = typeof a.addr === 'string' ? parseAddr(a.family, a.addr) : null;
  if (!local) return fail(`'${show(a.addr)}' is not an IPv${a.family} address`);
  const max = a.family === 4 ? 32 : 128;
  if (!Number.isInteger(a.prefix) || a.prefix < 0 || a.prefix > max) return fail(`prefix must be 0-${max}`);
  let scope = 0;
  if (a.scope !== undefined) {
    const s = typeof a.scope === 'string' || typeof a.scope === 'number' ? parseScope(String(a.scope)) : null;
    if (s === null) return fail(`unknown scope '${show(a.scope)}' (global, site, link, host, nowhere or 0-255)`);
    scope = s;
  }
  const req: AddressRequest = { family: a.family, local: Buffer.from(local), prefix: a.prefix, scope, nodad: false };
  if (a.label !== undefined) {
    if (a.family !== 4) return fail('a label applies to IPv4 addresses only');
    // The kernel names the address by its label (ifconfig aliases); it must be the device name plus a suffix.
    if (typeof a.label !== 'string' || !a.label.startsWith(a.ifname)) {
      return fail(`label '${show(a.label)}' must start with the interface name '${a.ifname}'`);
    }
    if (a.label.length > MAX_IFNAME) return fail(`label '${a.label}' is longer than ${MAX_IFNAME} characters`);
    req.label = a.label;
  }
  if (a.brd !== undefined) {
    if (a.family !== 4) return fail('a broadcast address applies to IPv4 addresses only');
    const brd = typeof a.brd === 'string' ? broadcastFor(a.brd, local, a.prefix) : null;
    if (brd === null) return fail(`broadcast '${show(a.brd)}' is not an IPv4 address, '+' or '-'`);
    if (brd.length) req.brd = Buffer.from(brd);
  }
  if (a.nodad) {
    if (a.family !== 6) return fail('nodad applies to IPv6 addresses only');
    req.nodad = true;
  }
  return { ok: true, value: req };
}

/** `brd` as ip takes it: an address, '+' (host bits set) or '-' (host bits clear). Empty: none (/31, /32). */
function broadcastFor(text: string, local: Uint8Array, prefix: number): Uint8Array | null {
  if (text !== '+' && text !== '-') return parseAddr(4, text);
  if (prefix >= 31) return new Uint8Array(0);
  const v = ((local[0]! << 24) | (local[1]! << 16) | (local[2]! << 8) | local[3]!) >>> 0;
  const host = prefix === 0 ? 0xffffffff : (1 << (32 - prefix)) - 1;
  const b = (text === '+' ? v | host : v & ~host) >>> 0;
  return Uint8Array.of(b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255);
}

/** A link message as the contract's LinkInfo; null for messages that are not about a link itself. */
export function linkInfo(m: { data: rt.Link; attrs: ifla.LinkAttrs }): LinkInfo | null {
  const { data, attrs } = m;
  // Bridge port notifications (AF_BRIDGE) share RTNLGRP_LINK; they are not link state changes.
  if ((data.family ?? 0) !== 0 || data.index === undefined || typeof attrs.ifname !== 'string') return null;
  const flags = data.flags ?? {};
  return {
    ifindex: data.index,
    ifname: attrs.ifname,
    mac: macText(attrs.address),
    up: flags.up === true,
    // keepalived follows IFF_RUNNING (oper state up); iproute2 hides it, LOWER_UP is carrier alone.
    running: flags.running === true,
    mtu: attrs.mtu ?? 0,
  };
}

/**
 * An address message as AddressInfo. `ifnameOf` maps an ifindex to its name (IPv6 messages carry none);
 * null for families other than IPv4/IPv6 or a message without an address.
 */
export function addressInfo(
  m: { data: rt.Address; attrs: rt.AddressAttrs },
  ifnameOf: (ifindex: number) => string | undefined,
): AddressInfo | null {
  const { data, attrs } = m;
  const family: Family | null = data.family === AF_INET ? 4 : data.family === AF_INET6 ? 6 : null;
  // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links.
  const raw = attrs.local ?? attrs.address;
  if (family === null || !raw || raw.length !== (family === 4 ? 4 : 16) || data.index === undefined) return null;
  // IFA_FLAGS (u32) supersedes the u8 ifa_flags when present.
  const flags = addressFlagNames(attrs.flags ?? data.flags);
  const info: AddressInfo = {
    ifindex: data.index,
    ifname: ifnameOf(data.index) ?? (family === 4 && attrs.label ? attrs.label.split(':')[0]! : `if${data.index}`),
    family,
    addr: addrText(family, raw),
    prefix: data.prefixlen ?? (family === 4 ? 32 : 128),
    scope: scopeName(data.scope ?? 0),
    flags,
  };
  if (family === 4 && attrs.label) info.label = attrs.label;
  if (family === 4 && attrs.broadcast && attrs.broadcast.length === 4) info.brd = formatIpv4(attrs.broadcast);
  if (flags.includes('nodad')) info.nodad = true;
  return info;
}

/** The key under which a watch tracks an address: one per (family, ifindex, address, prefix). */
export function addressKey(a: Pick<AddressInfo, 'family' | 'ifindex' | 'addr' | 'prefix'>): string {
  return `${a.family}|${a.ifindex}|${a.addr}/${a.prefix}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ENODEV: 'no such interface',
  EEXIST: 'address already present',
  EADDRNOTAVAIL: 'address not present',
  EPERM: 'operation not permitted (needs CAP_NET_ADMIN)',
  EACCES: 'permission denied',
  EINVAL: 'invalid argument (refused by the kernel)',
  EOPNOTSUPP: 'operation not supported on this interface',
  ENETUNREACH: 'network unreachable (no route to the gateway)',
  ESRCH: 'no such route',
  ENOBUFS: 'kernel buffer overflow',
  ENOMEM: 'out of kernel memory',
  EAFNOSUPPORT: 'address family not supported (IPv6 disabled?)',
};

/** The errno code of a failure from the netlink package ("Request rejected: EEXIST" or an ErrnoException). */
export function errnoCode(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code;
  const msg = e instanceof Error ? e.message : show(e);
  return /Request rejected: ([A-Z0-9]+)/.exec(msg)?.[1];
}

/** A failure in words: known errno codes get a phrase, anything else its own message. */
export function failureText(e: unknown): string {
  const code = errnoCode(e);
  if (code) return ERRNO_TEXT[code] ?? code;
  const msg = e instanceof Error ? e.message : show(e);
  if (/socket is closed/i.test(msg)) return 'rtnetlink socket is closed';
  if (/Timeout/i.test(msg)) return 'no answer from the kernel (timeout)';
  return msg;
}
