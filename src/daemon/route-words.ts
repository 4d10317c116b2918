// A virtual_routes / static_routes line as keepalived reads it (vrrp_iproute.c alloc_route): words ->
// RouteSpec with names resolved (tables, protocols, scopes, types), keepalived's defaults (table
// main, prepend, protocol keepalived for tracked routes) and its fix-ups. Pure. Shared word helpers
// for rule-words.ts too.
import type { Family, NextHopSpec, RouteMetricName, RouteSpec, RuleSpec } from '../net/types.js';
import { parseAddr } from '../vrrp/codec-addr.js';
import { RTAX, RTPROT_KEEPALIVED, RT_TABLE_MAIN } from '../net/rtnl-route.js';

export interface PlannedRoute {
  spec: RouteSpec;
  /** Not no_track and with a dev: its removal by someone else is acted on. */
  track: boolean;
  /** The line as written, for logs. */
  text: string;
}

export interface PlannedRule {
  spec: RuleSpec;
  track: boolean;
  text: string;
}

export type Out<T> = { ok: true; value: T; warnings: string[] } | { ok: false; error: string; warnings: string[] };

export const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };
const PROTOCOLS: Record<string, number> = {
  redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12, dnrouted: 13,
  xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const TYPES: Record<string, number> = {
  unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10,
};

export function num(text: string | undefined, max: number): number | null {
  if (text === undefined) return null;
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= max ? n : null;
}

export const named = (map: Record<string, number>, text: string | undefined, max: number): number | null =>
  text === undefined ? null : map[text] ?? num(text, max);

/** "192.0.2.0/24", "default", "2001:db8::/64" -> address, prefix, family (null family for default/any/all). */
export function prefixOf(text: string | undefined, family: Family | null): { addr: string; len: number; family: Family | null } | null {
  if (text === undefined) return null;
  if (text === 'default' || text === 'any' || text === 'all') {
    return { addr: family === 6 ? '::' : '0.0.0.0', len: 0, family };
  }
  const [a, l, ...rest] = text.split('/');
  if (rest.length > 0 || !a) return null;
  const fam: Family = a.includes(':') ? 6 : 4;
  if (!parseAddr(fam, a)) return null;
  const max = fam === 4 ? 32 : 128;
  const len = l === undefined ? max : num(l, max);
  return len === null ? null : { addr: a, len, family: fam };
}

/** rtt/rttvar/rto_min: a time (s/ms suffix or bare ms) in the units the kernel takes. */
function rttUnits(text: string | undefined, perSecond: number): number | null {
  const m = text === undefined ? null : /^(\d+(?:\.\d+)?)(s|ms|msec|secs?)?$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  const ms = m[2] && m[2].startsWith('s') ? v * 1000 : v;
  return Math.round((ms * perSecond) / 1000);
}

const LOCKABLE: Record<string, RouteMetricName> = {
  mtu: 'mtu', advmss: 'advmss', reordering: 'reordering', cwnd: 'cwnd', ssthresh: 'ssthresh',
};

/** One route line (the list item's words). */
export function parseRoute(words: string[]): Out<PlannedRoute> {
  const warnings: string[] = [];
  const text = words.join(' ');
  const fail = (why: string): Out<PlannedRoute> => ({ ok: false, error: why, warnings });
  let family: Family | null = null;
  const setFamily = (f: Family | null): boolean => {
    if (f === null) return true;
    if (family === null) family = f;
    return family === f;
  };
  const spec: Partial<RouteSpec> & { metrics?: Partial<Record<RouteMetricName, number>> } = { table: RT_TABLE_MAIN, scope: 0, type: 1 };
  let dst: { addr: string; len: number; family: Family | null } | null = null;
  let protocol: number | null = null;
  let noTrack = false;
  let lock = 0;
  let i = 0;
  const next = () => words[++i];
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'inet' || w === 'inet6') {
      if (!setFamily(w === 'inet' ? 4 : 6)) return fail(`${w} specified for IPv${family} route`);
    } else if (w === 'src') {
      const a = next();
      const p = prefixOf(a, null);
      if (!p || p.len !== (p.family === 4 ? 32 : 128)) return fail(`invalid route src address ${a}`);
      if (!setFamily(p.family)) return fail('cannot mix IPv4 and IPv6 addresses for route');
      spec.prefsrc = p.addr;
    } else if (w === 'via' || w === 'gw') {
      if (w === 'gw') warnings.push('"gw" for routes is deprecated; use "via"');
      let a = next();
      let vf: Family | null = null;
      if (a === 'inet' || a === 'inet6') {
        vf = a === 'inet' ? 4 : 6;
        a = next();
      }
      const p = prefixOf(a, null);
      if (!p || (vf !== null && p.family !== vf)) return fail(`invalid route via address ${a}`);
      if (!setFamily(p.family)) return fail('cannot mix IPv4 and IPv6 addresses for route');
      spec.via = p.addr;
    } else if (w === 'from') {
      const p = prefixOf(next(), null);
      if (!p) return fail(`invalid route from address ${words[i]}`);
      if (p.family !== 6) return fail(`route from address only supported with IPv6 (${words[i]})`);
      if (!setFamily(6)) return fail('cannot mix IPv4 and IPv6 addresses for route');
      spec.from = p.addr;
      spec.fromLen = p.len;
    } else if (w === 'tos' || w === 'dsfield') {
      const v = num(next(), 255);
      if (v === null) return fail(`TOS value ${words[i]} is invalid`);
      spec.tos = v;
    } else if (w === 'table') {
      const v = named(TABLES, next(), 0xffffffff);
      if (v === null || v === 0) return fail(`routing table ${words[i]} not found for route`);
      spec.table = v;
    } else if (w === 'protocol' || w === 'proto') {
      const v = named(PROTOCOLS, next(), 255);
      if (v === null) return fail(`Protocol ${words[i]} not found or invalid for route`);
      protocol = v;
    } else if (w === 'scope') {
      const v = named(SCOPES, next(), 255);
      if (v === null) return fail(`Scope ${words[i]} not found or invalid for route`);
      spec.scope = v;
    } else if (w === 'metric' || w === 'priority' || w === 'preference') {
      const v = num(next(), 0xffffffff);
      if (v === null) return fail(`invalid metric ${words[i]}`);
      spec.metric = v;
    } else if (w === 'dev' || w === 'oif') {
      const d = next();
      if (!d) return fail(`${w} needs an interface name`);
      spec.dev = d;
    } else if (w === 'onlink') {
      spec.onlink = true;
    } else if (w === 'expires') {
      const v = num(next(), 0xffffffff);
      if (v === null) return fail(`invalid expires time ${words[i]}`);
      if (!setFamily(6)) return fail('expires is only valid for IPv6');
      spec.expires = v;
    } else if (w in LOCKABLE || w === 'hoplimit' || w === 'window' || w === 'initcwnd' || w === 'initrwnd') {
      let v = next();
      if (v === 'lock' && w in LOCKABLE) {
        lock |= 1 << RTAX[LOCKABLE[w]!];
        v = next();
      }
      const n = num(v, w === 'hoplimit' ? 255 : 0xffffffff);
      if (n === null) return fail(`invalid ${w} ${v}`);
      (spec.metrics ??= {})[(LOCKABLE[w] ?? w) as RouteMetricName] = n;
    } else if (w === 'rtt' || w === 'rttvar' || w === 'rto_min') {
      let v = next();
      const key: RouteMetricName = w === 'rto_min' ? 'rtoMin' : w;
      if (v === 'lock') {
        lock |= 1 << RTAX[key];
        v = next();
      }
      const n = rttUnits(v, w === 'rtt' ? 8000 : w === 'rttvar' ? 4000 : 1000);
      if (n === null) return fail(`invalid ${w} ${v}`);
      (spec.metrics ??= {})[key] = n;
    } else if (w === 'features') {
      if (next() === 'ecn') (spec.metrics ??= {}).features = 1;
      else warnings.push(`feature ${words[i]} not supported`);
    } else if (w === 'quickack' || w === 'fastopen_no_cookie') {
      const n = num(next(), 1);
      if (n === null) return fail(`invalid ${w} value ${words[i]}`);
      (spec.metrics ??= {})[w === 'quickack' ? 'quickack' : 'fastopenNoCookie'] = n;
    } else if (w === 'congctl') {
      let v = next();
      if (v === 'lock') {
        lock |= 1 << RTAX.congctl;
        v = next();
      }
      if (!v) return fail('congctl needs an algorithm');
      spec.congctl = v;
    } else if (w === 'realms') {
      const r = realms(next());
      if (r === null) return fail(`Invalid realms ${words[i]} for route`);
      if (!setFamily(4)) return fail('realms are only valid for IPv4');
      spec.realms = r;
    } else if (w === 'pref') {
      const v = next();
      const n = v === 'low' ? 3 : v === 'medium' ? 0 : v === 'high' ? 1 : num(v, 255);
      if (n === null) return fail(`invalid pref value ${v}`);
      if (!setFamily(6)) return fail('pref is only valid for IPv6');
      spec.pref = n;
    } else if (w === 'ttl-propagate') {
      const v = next();
      if (v !== 'enabled' && v !== 'disabled') warnings.push(`ttl-propagate value ${v} not recognised`);
      else spec.ttlPropagate = v === 'enabled' ? 1 : 0;
    } else if (w === 'add' || w === 'prepend' || w === 'append') {
      spec.mode = w;
    } else if (w === 'no_track') {
      noTrack = true;
    } else if (w === 'nexthop') {
      const nh = parseNexthops(words, i);
      if (!nh.ok) return fail(nh.error);
      for (const h of nh.value) if (h.via && !setFamily(h.via.includes(':') ? 6 : 4)) return fail('cannot mix IPv4 and IPv6 addresses for route');
      spec.nexthops = nh.value;
      i = words.length;
    } else if (w === 'encap' || w === 'as' || w === 'track_group' || w === 'vrf' || w === 'or') {
      return fail(`'${w}' is not supported by this implementation`);
    } else {
      let d = w;
      if (d === 'to') d = next() ?? '';
      if (d in TYPES) {
        spec.type = TYPES[d];
        d = next() ?? '';
      }
      const p = prefixOf(d, family);
      if (!p) return fail(`unknown route keyword ${d}`);
      if (!setFamily(p.family)) return fail(`cannot mix IPv4 and IPv6 addresses for route (${d})`);
      dst = p;
    }
  }
  if (!dst) return fail('Route must have a destination');
  const fam: Family = family ?? 4;
  let track = !noTrack;
  if (track) {
    if (protocol !== null && protocol !== RTPROT_KEEPALIVED) warnings.push(`route cannot be tracked if protocol is not keepalived (${RTPROT_KEEPALIVED}); protocol reset`);
    protocol = RTPROT_KEEPALIVED;
    if (!spec.dev) {
      warnings.push(`cannot track route ${dst.len === 0 && dst.family === null ? 'default' : `${dst.addr}/${dst.len}`} with no interface specified, not tracking`);
      track = false;
    }
  }
  const full: RouteSpec = {
    ...spec,
    family: fam,
    dst: dst.family === null ? (fam === 4 ? '0.0.0.0' : '::') : dst.addr,
    dstLen: dst.len,
    table: spec.table as number,
    protocol: protocol ?? RTPROT_KEEPALIVED,
    scope: spec.scope as number,
    type: spec.type as number,
  };
  if (lock) full.lock = lock;
  return { ok: true, value: { spec: full, track, text }, warnings };
}

export function realms(text: string | undefined): number | null {
  if (text === undefined) return null;
  const [a, b] = text.split('/');
  const x = num(a, 0xffff);
  const y = b === undefined ? 0 : num(b, 0xffff);
  if (x === null || y === null) return null;
  // ip: "realms FROM/TO" puts FROM in the upper 16 bits; a single value is TO.
  return b === undefined ? x : ((x << 16) | y) >>> 0;
}

function parseNexthops(words: string[], start: number): { ok: true; value: NextHopSpec[] } | { ok: false; error: string } {
  const out: NextHopSpec[] = [];
  let i = start;
  while (i < words.length && words[i] === 'nexthop') {
    const nh: NextHopSpec = { weight: 1 }; // rtnh_hops 0
    i++;
    while (i < words.length && words[i] !== 'nexthop') {
      const w = words[i]!;
      if (w === 'via') {
        let a = words[++i];
        if (a === 'inet' || a === 'inet6') a = words[++i];
        const p = prefixOf(a, null);
        if (!p) return { ok: false, error: `invalid nexthop via address ${a}` };
        nh.via = p.addr;
      } else if (w === 'dev') {
        nh.dev = words[++i];
      } else if (w === 'weight') {
        const n = num(words[++i], 256);
        if (n === null || n < 1) return { ok: false, error: `invalid nexthop weight ${words[i]}` };
        nh.weight = n;
      } else if (w === 'onlink') {
        nh.onlink = true;
      } else if (w === 'realms') {
        const r = realms(words[++i]);
        if (r === null) return { ok: false, error: `invalid nexthop realms ${words[i]}` };
        nh.realms = r;
      } else {
        return { ok: false, error: `unknown nexthop keyword ${w}` };
      }
      i++;
    }
    out.push(nh);
  }
  if (i < words.length) return { ok: false, error: `Route has trailing nonsense after nexthops - ${words[i]}` };
  return { ok: true, value: out };
}

