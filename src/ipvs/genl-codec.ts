// IPVS generic netlink messages (linux/ip_vs.h) <-> typed objects. Pure: bytes in, values out.
// A message here is the generic netlink payload: genlmsghdr (cmd, version, 2 reserved bytes) and
// attributes; the netlink header around it belongs to the socket layer.
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../vrrp/codec-addr.js';
import {
  attr, be16, err, getInt, getStr, getU64, ok, readAttrs, type RawAttr, type Result, str, u16, u32, u64, u8,
} from '../net/nlattr.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const IPVS_CMD = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4,
  NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  NEW_DAEMON: 9, DEL_DAEMON: 10, GET_DAEMON: 11,
  SET_CONFIG: 12, GET_CONFIG: 13, SET_INFO: 14, GET_INFO: 15, ZERO: 16, FLUSH: 17,
} as const;
export type IpvsCmd = keyof typeof IPVS_CMD;
const CMD_BY_NUM = new Map<number, IpvsCmd>(Object.entries(IPVS_CMD).map(([k, v]) => [v, k as IpvsCmd]));

/** Service flags (IP_VS_SVC_F_*); the sh and mh schedulers read SCHED1/SCHED2 as fallback/port. */
export const SVC_F = {
  PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20,
  SH_FALLBACK: 0x8, SH_PORT: 0x10, MH_FALLBACK: 0x8, MH_PORT: 0x10,
} as const;
/** Forwarding methods (IP_VS_CONN_F_*, the low 3 bits of conn_flags). */
export const FWD = { MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4 } as const;
export const TUN_TYPE = { IPIP: 0, GUE: 1, GRE: 2 } as const;
export const TUN_FLAG = { NOCSUM: 0, CSUM: 1, REMCSUM: 2 } as const;
export const DAEMON_STATE = { NONE: 0, MASTER: 1, BACKUP: 2 } as const;

export interface IpvsStats {
  conns: bigint; inpkts: bigint; outpkts: bigint; inbytes: bigint; outbytes: bigint;
  cps: bigint; inpps: bigint; outpps: bigint; inbps: bigint; outbps: bigint;
}
export interface IpvsService {
  af?: number;
  protocol?: number;
  /** Address text; IPv4 travels in the first 4 of 16 bytes. */
  addr?: string;
  port?: number;
  fwmark?: number;
  schedName?: string;
  flags?: { flags: number; mask: number };
  timeout?: number;
  /** Raw u32: an IPv4 mask as its 4 network-order bytes read host-order (see netmaskFromV4), or an IPv6 prefix length. */
  netmask?: number;
  stats?: IpvsStats;
  peName?: string;
  stats64?: IpvsStats;
}
export interface IpvsDest {
  addr?: string;
  port?: number;
  fwdMethod?: number;
  weight?: number;
  uThresh?: number;
  lThresh?: number;
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
  stats?: IpvsStats;
  addrFamily?: number;
  stats64?: IpvsStats;
  tunType?: number;
  tunPort?: number;
  tunFlags?: number;
}
export interface IpvsDaemon {
  state?: number;
  mcastIfn?: string;
  syncId?: number;
  syncMaxlen?: number;
  mcastGroup?: string;
  mcastGroup6?: string;
  mcastPort?: number;
  mcastTtl?: number;
}
export interface IpvsInfo { version?: number; connTabSize?: number }
export interface IpvsMessage {
  cmd: IpvsCmd;
  version?: number;
  service?: IpvsService;
  dest?: IpvsDest;
  daemon?: IpvsDaemon;
  timeoutTcp?: number;
  timeoutTcpFin?: number;
  timeoutUdp?: number;
  /** Only in the kernel's GET_INFO reply (cmd SET_INFO), whose attributes sit at the top level. */
  info?: IpvsInfo;
}

type Kind = 'u8' | 'u16' | 'be16' | 'u32' | 'u64' | 'str' | 'addr' | 'in4' | 'in6' | 'flags' | 'stats' | 'stats64';
interface Field { type: number; key: string; kind: Kind; max?: number }

const STATS_KEYS = ['conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes', 'cps', 'inpps', 'outpps', 'inbps', 'outbps'] as const;
const SVC_FIELDS: Field[] = [
  { type: 1, key: 'af', kind: 'u16' }, { type: 2, key: 'protocol', kind: 'u16' }, { type: 3, key: 'addr', kind: 'addr' },
  { type: 4, key: 'port', kind: 'be16' }, { type: 5, key: 'fwmark', kind: 'u32' }, { type: 6, key: 'schedName', kind: 'str', max: 15 },
  { type: 7, key: 'flags', kind: 'flags' }, { type: 8, key: 'timeout', kind: 'u32' }, { type: 9, key: 'netmask', kind: 'u32' },
  { type: 10, key: 'stats', kind: 'stats' }, { type: 11, key: 'peName', kind: 'str', max: 15 }, { type: 12, key: 'stats64', kind: 'stats64' },
];
const DEST_FIELDS: Field[] = [
  { type: 1, key: 'addr', kind: 'addr' }, { type: 2, key: 'port', kind: 'be16' }, { type: 3, key: 'fwdMethod', kind: 'u32' },
  { type: 4, key: 'weight', kind: 'u32' }, { type: 5, key: 'uThresh', kind: 'u32' }, { type: 6, key: 'lThresh', kind: 'u32' },
  { type: 7, key: 'activeConns', kind: 'u32' }, { type: 8, key: 'inactConns', kind: 'u32' }, { type: 9, key: 'persistConns', kind: 'u32' },
  { type: 10, key: 'stats', kind: 'stats' }, { type: 11, key: 'addrFamily', kind: 'u16' }, { type: 12, key: 'stats64', kind: 'stats64' },
  { type: 13, key: 'tunType', kind: 'u8' }, { type: 14, key: 'tunPort', kind: 'be16' }, { type: 15, key: 'tunFlags', kind: 'u16' },
];
const DAEMON_FIELDS: Field[] = [
  { type: 1, key: 'state', kind: 'u32' }, { type: 2, key: 'mcastIfn', kind: 'str', max: 15 }, { type: 3, key: 'syncId', kind: 'u32' },
  { type: 4, key: 'syncMaxlen', kind: 'u16' }, { type: 5, key: 'mcastGroup', kind: 'in4' }, { type: 6, key: 'mcastGroup6', kind: 'in6' },
  { type: 7, key: 'mcastPort', kind: 'u16' }, { type: 8, key: 'mcastTtl', kind: 'u8' },
];
const INFO_FIELDS: Field[] = [{ type: 1, key: 'version', kind: 'u32' }, { type: 2, key: 'connTabSize', kind: 'u32' }];
const TOP = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

const RANGE: Record<string, number> = { u8: 0xff, u16: 0xffff, be16: 0xffff, u32: 0xffffffff };

function encodeAddr(text: string, where: string): Result<Buffer> {
  const b = text.includes(':') ? parseIpv6(text) : parseIpv4(text);
  if (!b) return err(`${where}: '${text}' is not an IP address`);
  const out = Buffer.alloc(16);
  out.set(b, 0);
  return ok(out);
}

function encodeStats(s: IpvsStats, wide: boolean, where: string): Result<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < STATS_KEYS.length; i++) {
    const k = STATS_KEYS[i]!;
    const v = s[k];
    if (typeof v !== 'bigint' || v < 0n) return err(`${where}.${k}: expected a non-negative bigint`);
    const is64 = wide || k === 'inbytes' || k === 'outbytes';
    if (!is64 && v > 0xffffffffn) return err(`${where}.${k}: ${v} does not fit 32 bits`);
    parts.push(attr(i + 1, is64 ? u64(v) : u32(Number(v))));
  }
  return ok(Buffer.concat(parts));
}

function encodeFields(obj: object, fields: Field[], where: string): Result<Buffer> {
  const rec = obj as Record<string, unknown>;
  const parts: Buffer[] = [];
  for (const f of fields) {
    const v = rec[f.key];
    if (v === undefined) continue;
    const w = `${where}.${f.key}`;
    let payload: Buffer;
    switch (f.kind) {
      case 'u8': case 'u16': case 'be16': case 'u32': {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > RANGE[f.kind]!) {
          return err(`${w}: ${String(v)} is not an integer in 0..${RANGE[f.kind]}`);
        }
        payload = f.kind === 'u8' ? u8(v) : f.kind === 'u16' ? u16(v) : f.kind === 'be16' ? be16(v) : u32(v);
        break;
      }
      case 'u64':
        if (typeof v !== 'bigint') return err(`${w}: expected a bigint`);
        payload = u64(v);
        break;
      case 'str':
        if (typeof v !== 'string' || Buffer.byteLength(v) > (f.max ?? 255) || v.includes('\0')) {
          return err(`${w}: expected text of at most ${f.max} bytes`);
        }
        payload = str(v);
        break;
      case 'addr': case 'in4': case 'in6': {
        if (typeof v !== 'string') return err(`${w}: expected an address`);
        if (f.kind === 'addr') {
          const r = encodeAddr(v, w);
          if (!r.ok) return r;
          payload = r.value;
        } else {
          const b = f.kind === 'in4' ? parseIpv4(v) : parseIpv6(v);
          if (!b) return err(`${w}: '${v}' is not an IPv${f.kind === 'in4' ? 4 : 6} address`);
          payload = Buffer.from(b);
        }
        break;
      }
      case 'flags': {
        const fl = v as { flags?: unknown; mask?: unknown };
        if (typeof fl.flags !== 'number' || typeof fl.mask !== 'number') return err(`${w}: expected {flags, mask}`);
        payload = Buffer.concat([u32(fl.flags), u32(fl.mask)]);
        break;
      }
      case 'stats': case 'stats64': {
        const r = encodeStats(v as IpvsStats, f.kind === 'stats64', w);
        if (!r.ok) return r;
        parts.push(attr(f.type, r.value, true));
        continue;
      }
    }
    parts.push(attr(f.type, payload));
  }
  return ok(Buffer.concat(parts));
}

/** Encodes one message (genl header + attributes). Bad values give an error naming the field. */
export function encodeIpvs(m: IpvsMessage): Result<Buffer> {
  const cmd = IPVS_CMD[m.cmd];
  if (cmd === undefined) return err(`unknown IPVS command '${String(m.cmd)}'`);
  const hdr = Buffer.from([cmd, m.version ?? IPVS_GENL_VERSION, 0, 0]);
  const parts: Buffer[] = [hdr];
  if (m.info) {
    const r = encodeFields(m.info, INFO_FIELDS, 'info');
    if (!r.ok) return r;
    parts.push(r.value);
  }
  const nests: [number, object | undefined, Field[], string][] = [
    [TOP.SERVICE, m.service, SVC_FIELDS, 'service'], [TOP.DEST, m.dest, DEST_FIELDS, 'dest'], [TOP.DAEMON, m.daemon, DAEMON_FIELDS, 'daemon'],
  ];
  for (const [type, obj, fields, where] of nests) {
    if (!obj) continue;
    const r = encodeFields(obj, fields, where);
    if (!r.ok) return r;
    parts.push(attr(type, r.value, true));
  }
  const tops: [number, number | undefined, string][] = [
    [TOP.TIMEOUT_TCP, m.timeoutTcp, 'timeoutTcp'], [TOP.TIMEOUT_TCP_FIN, m.timeoutTcpFin, 'timeoutTcpFin'], [TOP.TIMEOUT_UDP, m.timeoutUdp, 'timeoutUdp'],
  ];
  for (const [type, v, where] of tops) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) return err(`${where}: ${v} is not an integer in 0..4294967295`);
    parts.push(attr(type, u32(v)));
  }
  return ok(Buffer.concat(parts));
}

function decodeStats(a: RawAttr, wide: boolean, where: string): Result<IpvsStats> {
  const attrs = readAttrs(a.data, where, a.offset + 4);
  if (!attrs.ok) return attrs;
  const s: IpvsStats = { conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n };
  for (const x of attrs.value) {
    const k = STATS_KEYS[x.type - 1];
    if (!k) continue; // PAD (11) and newer counters
    const w = `${where}.${k}`;
    if (wide || k === 'inbytes' || k === 'outbytes') {
      const r = getU64(x, w);
      if (!r.ok) return r;
      s[k] = r.value;
    } else {
      const r = getInt(x, 'u32', w);
      if (!r.ok) return r;
      s[k] = BigInt(r.value);
    }
  }
  return ok(s);
}

/** Decodes a nested block; addresses stay raw until the family is known. */
function decodeFields(buf: Buffer, base: number, fields: Field[], where: string): Result<{ rec: Record<string, unknown>; addr?: Buffer }> {
  const attrs = readAttrs(buf, where, base);
  if (!attrs.ok) return attrs;
  const rec: Record<string, unknown> = {};
  let addr: Buffer | undefined;
  for (const a of attrs.value) {
    const f = fields.find((x) => x.type === a.type);
    if (!f) continue; // attributes newer than this table are skipped, as the kernel does
    const w = `${where}.${f.key}`;
    switch (f.kind) {
      case 'u8': case 'u16': case 'be16': case 'u32': {
        const r = getInt(a, f.kind, w);
        if (!r.ok) return r;
        rec[f.key] = r.value;
        break;
      }
      case 'u64': {
        const r = getU64(a, w);
        if (!r.ok) return r;
        rec[f.key] = r.value;
        break;
      }
      case 'str': {
        const r = getStr(a, w, f.max ?? 255);
        if (!r.ok) return r;
        rec[f.key] = r.value;
        break;
      }
      case 'addr':
        if (a.data.length !== 4 && a.data.length !== 16) return err(`${w}: ${a.data.length} bytes at offset ${a.offset}, expected 4 or 16`);
        addr = a.data;
        break;
      case 'in4': case 'in6': {
        const n = f.kind === 'in4' ? 4 : 16;
        if (a.data.length < n) return err(`${w}: ${a.data.length} bytes at offset ${a.offset}, expected ${n}`);
        rec[f.key] = n === 4 ? formatIpv4(a.data) : formatIpv6(a.data);
        break;
      }
      case 'flags':
        if (a.data.length < 8) return err(`${w}: ${a.data.length} bytes at offset ${a.offset}, expected 8`);
        rec[f.key] = { flags: a.data.readUInt32LE(0), mask: a.data.readUInt32LE(4) };
        break;
      case 'stats': case 'stats64': {
        const r = decodeStats(a, f.kind === 'stats64', w);
        if (!r.ok) return r;
        rec[f.key] = r.value;
        break;
      }
    }
  }
  return ok({ rec, addr });
}

/** Address text from the raw bytes; without a family, 16 bytes with a zero tail are read as IPv4. */
function addrText(raw: Buffer, af: number | undefined): string {
  if (raw.length === 4 || af === AF_INET) return formatIpv4(raw);
  if (af === AF_INET6) return formatIpv6(raw);
  return raw.subarray(4).every((b) => b === 0) ? formatIpv4(raw) : formatIpv6(raw);
}

/** Decodes one message (genl header + attributes); truncated or garbled input gives an error value. */
export function decodeIpvs(buf: Buffer): Result<IpvsMessage & { version: number }> {
  if (buf.length < 4) return err(`IPVS message: ${buf.length} bytes, shorter than the 4-byte generic netlink header`);
  const cmd = CMD_BY_NUM.get(buf[0]!);
  if (!cmd) return err(`IPVS message: unknown command ${buf[0]}`);
  const m: IpvsMessage & { version: number } = { cmd, version: buf[1]! };
  const body = buf.subarray(4);
  if (cmd === 'SET_INFO') {
    const r = decodeFields(body, 4, INFO_FIELDS, 'info');
    if (!r.ok) return r;
    m.info = r.value.rec as IpvsInfo;
    return ok(m);
  }
  const attrs = readAttrs(body, 'IPVS message', 4);
  if (!attrs.ok) return attrs;
  let svcAf: number | undefined;
  // The service comes first so a destination without its own family can borrow the service's.
  const order = [...attrs.value].sort((a, b) => (a.type === TOP.SERVICE ? -1 : 0) - (b.type === TOP.SERVICE ? -1 : 0));
  for (const a of order) {
    if (a.type === TOP.SERVICE || a.type === TOP.DEST || a.type === TOP.DAEMON) {
      const [fields, where] = a.type === TOP.SERVICE ? [SVC_FIELDS, 'service'] : a.type === TOP.DEST ? [DEST_FIELDS, 'dest'] : [DAEMON_FIELDS, 'daemon'];
      const r = decodeFields(a.data, a.offset + 4, fields, where);
      if (!r.ok) return r;
      const rec = r.value.rec;
      if (a.type === TOP.SERVICE) {
        svcAf = rec.af as number | undefined;
        if (r.value.addr) rec.addr = addrText(r.value.addr, svcAf);
        m.service = rec as IpvsService;
      } else if (a.type === TOP.DEST) {
        if (r.value.addr) rec.addr = addrText(r.value.addr, (rec.addrFamily as number | undefined) ?? svcAf);
        m.dest = rec as IpvsDest;
      } else m.daemon = rec as IpvsDaemon;
    } else if (a.type >= TOP.TIMEOUT_TCP && a.type <= TOP.TIMEOUT_UDP) {
      const key = a.type === TOP.TIMEOUT_TCP ? 'timeoutTcp' : a.type === TOP.TIMEOUT_TCP_FIN ? 'timeoutTcpFin' : 'timeoutUdp';
      const r = getInt(a, 'u32', key);
      if (!r.ok) return r;
      m[key] = r.value;
    }
  }
  return ok(m);
}

/** IPv4 netmask text -> the raw u32 the kernel takes (its 4 network-order bytes, read host order). */
export function netmaskFromV4(text: string): number | null {
  const b = parseIpv4(text);
  return b ? Buffer.from(b).readUInt32LE(0) : null;
}
export function netmaskToV4(n: number): string {
  return formatIpv4(u32(n));
}
