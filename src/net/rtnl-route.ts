// Pure codec for routes and rules over rtnetlink: a RouteSpec/RuleSpec (keepalived's virtual_routes,
// static_routes, virtual_rules, static_rules lines, names already resolved) becomes the header and
// attributes the `netlink` package encodes, and a kernel message becomes a spec again. No I/O: the
// caller resolves interface names to indexes (and back).
import { rt } from 'netlink';
import { parseAddr } from '../vrrp/codec-addr.js';
import { addrText, AF_INET, AF_INET6, show } from './rtnl-codec.js';
import type { Family, NetResult, NextHopSpec, RouteMetricName, RouteSpec, RuleSpec } from './types.js';
import { attr } from './nlattr.js';

export const RTPROT_KEEPALIVED = 18;
export const RT_TABLE_MAIN = 254;
const RT_SCOPE_NOWHERE = 255;
const RTNH_F_ONLINK = 4;
const FIB_RULE_INVERT = 2;

/** RTAX_* numbers, for the lock bits (1 << RTAX_x) and for decoding. */
export const RTAX: Record<RouteMetricName | 'congctl', number> = {
  mtu: 2, window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9, hoplimit: 10,
  initcwnd: 11, features: 12, rtoMin: 13, initrwnd: 14, quickack: 15, congctl: 16, fastopenNoCookie: 17,
};
const METRIC_NAMES = Object.keys(RTAX).filter((k) => k !== 'congctl') as RouteMetricName[];

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u8 = (n: number): Buffer => Buffer.of(n & 255);
const familyCode = (f: Family): number => (f === 4 ? AF_INET : AF_INET6);
const familyOf = (code: number | undefined): Family | null => (code === AF_INET ? 4 : code === AF_INET6 ? 6 : null);

/** "192.0.2.0/24 table 100": how messages name a route. */
export function describeRoute(r: RouteSpec): string {
  if (typeof r !== 'object' || r === null) return '<no route>';
  let s = `${show(r.dst)}/${show(r.dstLen)}`;
  if (r.via) s += ` via ${r.via}`;
  if (r.dev) s += ` dev ${r.dev}`;
  if (r.table !== RT_TABLE_MAIN) s += ` table ${show(r.table)}`;
  if (r.metric !== undefined) s += ` metric ${r.metric}`;
  return s;
}

export function describeRule(r: RuleSpec): string {
  if (typeof r !== 'object' || r === null) return '<no rule>';
  const parts: string[] = [];
  if (r.priority !== undefined) parts.push(`${r.priority}:`);
  if (r.invert) parts.push('not');
  parts.push(`from ${r.from ? `${r.from}/${r.fromLen}` : 'all'}`);
  if (r.to) parts.push(`to ${r.to}/${r.toLen}`);
  if (r.fwmark !== undefined) parts.push(`fwmark 0x${r.fwmark.toString(16)}${r.fwmask !== undefined ? `/0x${r.fwmask.toString(16)}` : ''}`);
  if (r.iif) parts.push(`iif ${r.iif}`);
  if (r.oif) parts.push(`oif ${r.oif}`);
  if (r.table !== undefined) parts.push(`lookup ${r.table}`);
  if (r.goto !== undefined) parts.push(`goto ${r.goto}`);
  return parts.join(' ');
}

function addrOf(family: Family, text: string | undefined, what: string): NetResult<Buffer | undefined> {
  if (text === undefined) return { ok: true, value: undefined };
  const b = typeof text === 'string' ? parseAddr(family, text) : null;
  return b ? { ok: true, value: Buffer.from(b) } : { ok: false, error: `${what} '${show(text)}' is not an IPv${family} address` };
}

const isU32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
const isU8 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 255;

/** The header and attributes of one route request. */
export interface RouteRequest {
  data: rt.Route;
  attrs: rt.RouteAttrs;
  /** Extra NLM flags for an add (EXCL / APPEND), as keepalived's add mode gives. */
  addFlags: 'prepend' | 'add' | 'append';
}

/**
 * Builds a route request. `ifindex` maps dev names to indexes (every dev of the route and its nexthops
 * is asked for, so the caller can look them up first). Errors start with op and the route.
 */
export function routeRequest(op: 'add' | 'delete', r: RouteSpec, ifindex: (name: string) => number | undefined): NetResult<RouteRequest> {
  const where = `${op} route ${describeRoute(r)}`;
  const fail = (why: string): NetResult<RouteRequest> => ({ ok: false, error: `${where}: ${why}` });
  if (typeof r !== 'object' || r === null) return fail('no route given');
  if (r.family !== 4 && r.family !== 6) return fail(`family must be 4 or 6, not ${show(r.family)}`);
  const max = r.family === 4 ? 32 : 128;
  const dst = addrOf(r.family, r.dst, 'destination');
  if (!dst.ok) return fail(dst.error);
  if (!Number.isInteger(r.dstLen) || r.dstLen < 0 || r.dstLen > max) return fail(`prefix must be 0-${max}`);
  if (!isU32(r.table) || r.table === 0) return fail(`invalid table ${show(r.table)}`);
  for (const [k, v] of [['protocol', r.protocol], ['scope', r.scope], ['type', r.type]] as const) {
    if (!isU8(v)) return fail(`invalid ${k} ${show(v)}`);
  }
  const attrs: rt.RouteAttrs = {};
  const data: rt.Route = {
    family: familyCode(r.family),
    dstLen: r.dstLen,
    table: r.table < 256 ? r.table : 0,
    protocol: r.protocol,
    // keepalived deletes with scope nowhere (match any) and the type only when one was configured.
    scope: op === 'delete' ? RT_SCOPE_NOWHERE : r.scope,
    type: r.type,
  };
  if (r.table >= 256) attrs.table = r.table;
  if (r.dstLen > 0 || r.dst !== undefined) attrs.dst = dst.value;
  if (r.from !== undefined) {
    const f = addrOf(r.family, r.from, 'from');
    if (!f.ok) return fail(f.error);
    if (!Number.isInteger(r.fromLen) || (r.fromLen as number) < 0 || (r.fromLen as number) > max) return fail(`from prefix must be 0-${max}`);
    attrs.src = f.value;
    data.srcLen = r.fromLen;
  }
  const pref = addrOf(r.family, r.prefsrc, 'src');
  if (!pref.ok) return fail(pref.error);
  if (pref.value) attrs.prefsrc = pref.value;
  if (r.via !== undefined) {
    const vf = r.viaFamily ?? r.family;
    const v = addrOf(vf, r.via, 'via');
    if (!v.ok) return fail(v.error);
    // RTA_VIA (a gateway of the other family) is not encodable through the netlink package.
    if (vf !== r.family) return fail(`a via address of another family (IPv${vf}) is not supported`);
    attrs.gateway = v.value;
  }
  if (r.dev !== undefined) {
    const idx = ifindex(r.dev);
    if (idx === undefined) return fail(`no such interface ${show(r.dev)}`);
    attrs.oif = idx;
  }
  if (r.metric !== undefined) {
    if (!isU32(r.metric)) return fail(`invalid metric ${show(r.metric)}`);
    attrs.priority = r.metric;
  }
  if (r.tos !== undefined) {
    if (!isU8(r.tos)) return fail(`invalid tos ${show(r.tos)}`);
    data.tos = r.tos;
  }
  if (r.onlink) data.flags = { __unknown: RTNH_F_ONLINK };
  if (r.realms !== undefined) attrs.flow = r.realms;
  if (r.expires !== undefined) attrs.expires = u32(r.expires);
  if (r.pref !== undefined) attrs.pref = u8(r.pref);
  if (r.ttlPropagate !== undefined) attrs.ttlPropagate = r.ttlPropagate;
  const metrics: rt.RouteMetrics = {};
  let anyMetric = false;
  for (const name of METRIC_NAMES) {
    const v = r.metrics?.[name];
    if (v === undefined) continue;
    if (!isU32(v)) return fail(`invalid ${name} ${show(v)}`);
    metrics[name] = u32(v);
    anyMetric = true;
  }
  if (r.congctl !== undefined) {
    metrics.ccAlgo = Buffer.from(r.congctl, 'latin1');
    anyMetric = true;
  }
  if (anyMetric) {
    if (r.lock) metrics.lock = u32(r.lock);
    attrs.metrics = metrics;
  }
  if (r.nexthops && r.nexthops.length > 0) {
    const mp = multipath(r.family, r.nexthops, ifindex);
    if (!mp.ok) return fail(mp.error);
    attrs.multipath = mp.value;
  }
  return { ok: true, value: { data, attrs, addFlags: r.mode ?? 'prepend' } };
}

/** RTA_MULTIPATH: struct rtnexthop (len u16, flags u8, hops u8, ifindex s32) + its RTA_GATEWAY/RTA_VIA. */
function multipath(family: Family, hops: NextHopSpec[], ifindex: (name: string) => number | undefined): NetResult<Buffer> {
  const parts: Buffer[] = [];
  for (const [k, nh] of hops.entries()) {
    let inner = Buffer.alloc(0);
    if (nh.via !== undefined) {
      const vf = nh.viaFamily ?? family;
      const a = addrOf(vf, nh.via, `nexthop ${k + 1} via`);
      if (!a.ok) return a;
      const payload = vf === family ? (a.value as Buffer) : Buffer.concat([Buffer.from([familyCode(vf), 0]), a.value as Buffer]);
      inner = Buffer.concat([inner, attr(vf === family ? 5 /* RTA_GATEWAY */ : 18 /* RTA_VIA */, payload)]);
    }
    if (nh.realms !== undefined) inner = Buffer.concat([inner, attr(11 /* RTA_FLOW */, u32(nh.realms))]);
    let idx = 0;
    if (nh.dev !== undefined) {
      const i = ifindex(nh.dev);
      if (i === undefined) return { ok: false, error: `nexthop ${k + 1}: no such interface ${show(nh.dev)}` };
      idx = i;
    }
    const w = nh.weight ?? 1;
    if (!Number.isInteger(w) || w < 1 || w > 256) return { ok: false, error: `nexthop ${k + 1}: weight must be 1-256` };
    const head = Buffer.alloc(8);
    head.writeUInt16LE(8 + inner.length, 0);
    head.writeUInt8(nh.onlink ? RTNH_F_ONLINK : 0, 2);
    head.writeUInt8(w - 1, 3);
    head.writeInt32LE(idx, 4);
    parts.push(head, inner);
  }
  return { ok: true, value: Buffer.concat(parts) };
}

function parseMultipath(family: Family, buf: Buffer, nameOf: (i: number) => string | undefined): NextHopSpec[] {
  const out: NextHopSpec[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 8 || off + len > buf.length) break;
    const nh: NextHopSpec = { weight: buf.readUInt8(off + 3) + 1 };
    if (buf.readUInt8(off + 2) & RTNH_F_ONLINK) nh.onlink = true;
    const idx = buf.readInt32LE(off + 4);
    if (idx > 0) nh.dev = nameOf(idx) ?? `if${idx}`;
    let a = off + 8;
    while (a + 4 <= off + len) {
      const alen = buf.readUInt16LE(a);
      const type = buf.readUInt16LE(a + 2);
      if (alen < 4) break;
      const payload = buf.subarray(a + 4, a + alen);
      if (type === 5) nh.via = addrText(family, payload);
      else if (type === 11 && payload.length === 4) nh.realms = payload.readUInt32LE(0);
      else if (type === 18 && payload.length >= 2) {
        const vf = familyOf(payload.readUInt16LE(0));
        if (vf) {
          nh.via = addrText(vf, payload.subarray(2));
          if (vf !== family) nh.viaFamily = vf;
        }
      }
      a += (alen + 3) & ~3;
    }
    out.push(nh);
    off += (len + 3) & ~3;
  }
  return out;
}

/** The netlink package gives known enum values by name ('UNICAST', 'toTbl'): back to numbers. */
const enumNum = (v: unknown, names: Record<string, string | number>): number => {
  if (typeof v === 'number') return v;
  const n = typeof v === 'string' ? names[v] : undefined;
  return typeof n === 'number' ? n : 0;
};

/** A route message as a RouteSpec (names through nameOf); null for other families. */
export function routeInfo(m: { data: rt.Route; attrs: rt.RouteAttrs }, nameOf: (i: number) => string | undefined): RouteSpec | null {
  const { data, attrs } = m;
  const family = familyOf(data.family);
  if (!family) return null;
  const len = family === 4 ? 4 : 16;
  const r: RouteSpec = {
    family,
    dst: attrs.dst && attrs.dst.length === len ? addrText(family, attrs.dst) : family === 4 ? '0.0.0.0' : '::',
    dstLen: data.dstLen ?? 0,
    table: attrs.table ?? data.table ?? 0,
    protocol: enumNum(data.protocol, rt.RouteProtocol),
    scope: enumNum(data.scope, rt.RouteScope),
    type: enumNum(data.type, rt.RouteType),
  };
  if (attrs.src && attrs.src.length === len) {
    r.from = addrText(family, attrs.src);
    r.fromLen = data.srcLen ?? 0;
  }
  if (attrs.prefsrc && attrs.prefsrc.length === len) r.prefsrc = addrText(family, attrs.prefsrc);
  if (attrs.gateway && attrs.gateway.length === len) r.via = addrText(family, attrs.gateway);
  if (attrs.oif !== undefined) r.dev = nameOf(attrs.oif) ?? `if${attrs.oif}`;
  if (attrs.priority !== undefined) r.metric = attrs.priority;
  if (data.tos) r.tos = data.tos;
  if (((data.flags?.__unknown ?? 0) & RTNH_F_ONLINK) !== 0) r.onlink = true;
  if (attrs.flow !== undefined) r.realms = attrs.flow;
  if (attrs.pref && attrs.pref.length >= 1) r.pref = attrs.pref[0];
  if (attrs.expires && attrs.expires.length === 4) r.expires = attrs.expires.readUInt32LE(0);
  if (attrs.ttlPropagate !== undefined) r.ttlPropagate = attrs.ttlPropagate;
  const mx = attrs.metrics;
  if (mx) {
    for (const name of METRIC_NAMES) {
      const b = mx[name];
      if (b && b.length === 4) (r.metrics ??= {})[name] = b.readUInt32LE(0);
    }
    if (mx.lock && mx.lock.length === 4) r.lock = mx.lock.readUInt32LE(0);
    if (mx.ccAlgo) r.congctl = mx.ccAlgo.toString('latin1').replace(/\0+$/, '');
  }
  if (attrs.multipath) r.nexthops = parseMultipath(family, attrs.multipath, nameOf);
  return r;
}

/** Header and attributes of one rule request (interfaces go by name: no lookup). */
export function ruleRequest(op: 'add' | 'delete', r: RuleSpec): NetResult<{ data: rt.Rule; attrs: rt.RuleAttrs }> {
  const where = `${op} rule ${describeRule(r)}`;
  const fail = (why: string): NetResult<{ data: rt.Rule; attrs: rt.RuleAttrs }> => ({ ok: false, error: `${where}: ${why}` });
  if (typeof r !== 'object' || r === null) return fail('no rule given');
  if (r.family !== 4 && r.family !== 6) return fail(`family must be 4 or 6, not ${show(r.family)}`);
  if (!isU8(r.action)) return fail(`invalid action ${show(r.action)}`);
  const max = r.family === 4 ? 32 : 128;
  const data: rt.Rule = { family: familyCode(r.family), table: 0, action: r.action, tos: r.tos ?? 0 };
  const attrs: rt.RuleAttrs = {};
  if (r.invert) data.flags = { invert: true };
  if (r.table !== undefined && !r.l3mdev) {
    if (!isU32(r.table)) return fail(`invalid table ${show(r.table)}`);
    if (r.table < 256) data.table = r.table;
    else attrs.table = r.table;
  }
  for (const side of ['from', 'to'] as const) {
    const text = r[side];
    if (text === undefined) continue;
    const a = addrOf(r.family, text, side);
    if (!a.ok) return fail(a.error);
    const len = side === 'from' ? r.fromLen : r.toLen;
    if (!Number.isInteger(len) || (len as number) < 0 || (len as number) > max) return fail(`${side} prefix must be 0-${max}`);
    // "from all" is prefix 0: no address attribute, as ip sends it.
    if (len === 0) continue;
    if (side === 'from') {
      attrs.src = a.value;
      data.srcLen = len;
    } else {
      attrs.dst = a.value;
      data.dstLen = len;
    }
  }
  const num = (k: 'priority' | 'fwmark' | 'fwmask' | 'realms' | 'goto', v: number | undefined): string | null => {
    if (v === undefined) return null;
    if (!isU32(v)) return `invalid ${k} ${show(v)}`;
    if (k === 'realms') attrs.flow = v;
    else attrs[k] = v;
    return null;
  };
  for (const k of ['priority', 'fwmark', 'fwmask', 'realms', 'goto'] as const) {
    const e = num(k, r[k]);
    if (e) return fail(e);
  }
  if (r.suppressPrefixlen !== undefined) attrs.suppressPrefixlen = u32(r.suppressPrefixlen);
  if (r.suppressIfgroup !== undefined) attrs.suppressIfgroup = u32(r.suppressIfgroup);
  if (r.iif !== undefined) attrs.iifname = r.iif;
  if (r.oif !== undefined) attrs.oifname = r.oif;
  if (r.uidRange) attrs.uidRange = { start: r.uidRange[0], end: r.uidRange[1] };
  if (r.l3mdev) attrs.l3Mdev = 1;
  if (r.protocol !== undefined) attrs.protocol = r.protocol;
  if (r.ipProto !== undefined) attrs.ipProto = r.ipProto;
  if (r.sport) attrs.sportRange = { start: r.sport[0], end: r.sport[1] };
  if (r.dport) attrs.dportRange = { start: r.dport[0], end: r.dport[1] };
  return { ok: true, value: { data, attrs } };
}

/** A rule message as a RuleSpec; null for other families. */
export function ruleInfo(m: { data: rt.Rule; attrs: rt.RuleAttrs }): RuleSpec | null {
  const { data, attrs } = m;
  const family = familyOf(data.family);
  if (!family) return null;
  const len = family === 4 ? 4 : 16;
  const r: RuleSpec = { family, action: enumNum(data.action, rt.RuleAction) };
  const table = attrs.table ?? data.table;
  if (table) r.table = table;
  if (attrs.priority !== undefined) r.priority = attrs.priority;
  if (attrs.src && attrs.src.length === len) {
    r.from = addrText(family, attrs.src);
    r.fromLen = data.srcLen ?? 0;
  }
  if (attrs.dst && attrs.dst.length === len) {
    r.to = addrText(family, attrs.dst);
    r.toLen = data.dstLen ?? 0;
  }
  if (data.tos) r.tos = data.tos;
  if (data.flags?.invert || ((data.flags?.__unknown ?? 0) & FIB_RULE_INVERT) !== 0) r.invert = true;
  if (attrs.fwmark !== undefined) r.fwmark = attrs.fwmark;
  if (attrs.fwmask !== undefined && attrs.fwmask !== 0xffffffff) r.fwmask = attrs.fwmask;
  if (attrs.flow !== undefined) r.realms = attrs.flow;
  if (attrs.goto !== undefined) r.goto = attrs.goto;
  if (attrs.suppressPrefixlen && attrs.suppressPrefixlen.length === 4) {
    const v = attrs.suppressPrefixlen.readInt32LE(0);
    if (v >= 0) r.suppressPrefixlen = v;
  }
  if (attrs.suppressIfgroup && attrs.suppressIfgroup.length === 4) {
    const v = attrs.suppressIfgroup.readInt32LE(0);
    if (v !== -1) r.suppressIfgroup = v >>> 0;
  }
  if (attrs.iifname) r.iif = attrs.iifname;
  if (attrs.oifname) r.oif = attrs.oifname;
  if (attrs.uidRange && attrs.uidRange.start !== undefined && !(attrs.uidRange.start === 0 && attrs.uidRange.end === 0xffffffff)) {
    r.uidRange = [attrs.uidRange.start, attrs.uidRange.end ?? attrs.uidRange.start];
  }
  if (attrs.l3Mdev) r.l3mdev = true;
  if (attrs.protocol !== undefined) r.protocol = attrs.protocol;
  if (attrs.ipProto !== undefined) r.ipProto = attrs.ipProto;
  if (attrs.sportRange?.start !== undefined) r.sport = [attrs.sportRange.start, attrs.sportRange.end ?? attrs.sportRange.start];
  if (attrs.dportRange?.start !== undefined) r.dport = [attrs.dportRange.start, attrs.dportRange.end ?? attrs.dportRange.start];
  return r;
}

/** Whether a kernel route is the configured one (keepalived's route_is_ours: table, family, dst, tos, metric). */
export function sameRoute(cfg: RouteSpec, k: RouteSpec): boolean {
  return cfg.family === k.family && cfg.table === k.table && cfg.dstLen === k.dstLen
    && cfg.dst.toLowerCase() === k.dst.toLowerCase() && (cfg.tos ?? 0) === (k.tos ?? 0)
    && (cfg.metric === undefined || cfg.metric === (k.metric ?? 0))
    && (cfg.from ?? '') === (k.from ?? '') && (cfg.fromLen ?? 0) === (k.fromLen ?? 0);
}

/** Whether a kernel rule is the configured one (the fields keepalived compares). */
export function sameRule(cfg: RuleSpec, k: RuleSpec): boolean {
  const addr = (a?: string, l?: number) => (a && l ? `${a.toLowerCase()}/${l}` : '');
  return cfg.family === k.family && cfg.action === k.action && (cfg.priority === undefined || cfg.priority === k.priority)
    && (cfg.l3mdev ? true : (cfg.table ?? 0) === (k.table ?? 0))
    && addr(cfg.from, cfg.fromLen) === addr(k.from, k.fromLen) && addr(cfg.to, cfg.toLen) === addr(k.to, k.toLen)
    && (cfg.fwmark ?? 0) === (k.fwmark ?? 0) && (cfg.iif ?? '') === (k.iif ?? '') && (cfg.oif ?? '') === (k.oif ?? '')
    && !!cfg.invert === !!k.invert && (cfg.goto ?? 0) === (k.goto ?? 0);
}
