// virtual_routes / static_routes and virtual_rules / static_rules lines as keepalived reads them
// (vrrp_iproute.c alloc_route, vrrp_iprule.c alloc_rule): words -> RouteSpec / RuleSpec with names
// resolved (tables, protocols, scopes, types), keepalived's defaults (table main, prepend, protocol
// keepalived for tracked entries) and its fix-ups. Pure: a line that cannot be used is an issue.
import type { AddressSpec, Family, NextHopSpec, RouteMetricName, RouteSpec, RuleSpec } from '../net/types.js';
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

type Out<T> = { ok: true; value: T; warnings: string[] } | { ok: false; error: string; warnings: string[] };

const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };
const PROTOCOLS: Record<string, number> = {
  redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12, dnrouted: 13,
  xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const TYPES: Record<string, number> = {
  unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10,
};

function num(text: string | undefined, max: number): number | null {
  if (text === undefined) return null;
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= max ? n : null;
}

const named = (map: Record<string, number>, text: string | undefined, max: number): number | null =>
  text === undefined ? null : map[text] ?? num(text, max);

/** "192.0.2.0/24", "default", "2001:db8::/64" -> address, prefix, family (null family for default/any/all). */
function prefixOf(text: string | undefined, family: Family | null): { addr: string; len: number; family: Family | null } | null {
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
  const fail = (why: string): Out<PlannedRoute> => ({ ok: false, error: `route '${text}': ${why}`, warnings });
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
      if (!setFamily(w === 'inet' ? 4 : 6)) return fail(`${w} given for an IPv${family} route`);
    } else if (w === 'src') {
      const a = next();
      const p = prefixOf(a, null);
      if (!p || p.len !== (p.family === 4 ? 32 : 128)) return fail(`invalid route src address ${a}`);
      if (!setFamily(p.family)) return fail('cannot mix IPv4 and IPv6 addresses');
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
      if (!setFamily(p.family)) return fail('cannot mix IPv4 and IPv6 addresses');
      spec.via = p.addr;
    } else if (w === 'from') {
      const p = prefixOf(next(), null);
      if (!p || p.family !== 6) return fail('route from address only supported with IPv6');
      if (!setFamily(6)) return fail('cannot mix IPv4 and IPv6 addresses');
      spec.from = p.addr;
      spec.fromLen = p.len;
    } else if (w === 'tos' || w === 'dsfield') {
      const v = num(next(), 255);
      if (v === null) return fail(`TOS value ${words[i]} is invalid`);
      spec.tos = v;
    } else if (w === 'table') {
      const v = named(TABLES, next(), 0xffffffff);
      if (v === null || v === 0) return fail(`routing table ${words[i]} not found`);
      spec.table = v;
    } else if (w === 'protocol' || w === 'proto') {
      const v = named(PROTOCOLS, next(), 255);
      if (v === null) return fail(`protocol ${words[i]} not found or invalid`);
      protocol = v;
    } else if (w === 'scope') {
      const v = named(SCOPES, next(), 255);
      if (v === null) return fail(`scope ${words[i]} not found or invalid`);
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
      if (r === null) return fail(`invalid realms ${words[i]}`);
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
      for (const h of nh.value) if (h.via && !setFamily(h.via.includes(':') ? 6 : 4)) return fail('cannot mix IPv4 and IPv6 addresses');
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
      if (!setFamily(p.family)) return fail(`cannot mix IPv4 and IPv6 addresses (${d})`);
      dst = p;
    }
  }
  if (!dst) return fail('a route must have a destination');
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

function realms(text: string | undefined): number | null {
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
  if (i < words.length) return { ok: false, error: `trailing words after nexthops: ${words.slice(i).join(' ')}` };
  return { ok: true, value: out };
}

/** keepalived numbers rules without a preference downwards from here (one counter per family). */
const RULE_START_PRIORITY = 32766;

/** Rule priorities handed out to rules without one, per family (one counter per config, as keepalived). */
export interface RuleCounter {
  next4: number;
  next6: number;
}

export function newRuleCounter(): RuleCounter {
  return { next4: RULE_START_PRIORITY, next6: RULE_START_PRIORITY };
}

const RULE_ACTIONS: Record<string, number> = { blackhole: 6, unreachable: 7, prohibit: 8 };

/** One rule line. */
export function parseRule(words: string[], counter: RuleCounter): Out<PlannedRule> {
  const warnings: string[] = [];
  const text = words.join(' ');
  const fail = (why: string): Out<PlannedRule> => ({ ok: false, error: `rule '${text}': ${why}`, warnings });
  let family: Family | null = null;
  const setFamily = (f: Family | null): boolean => {
    if (f === null) return true;
    if (family === null) family = f;
    return family === f;
  };
  const spec: Partial<RuleSpec> = {};
  let action = 0;
  let noTrack = false;
  let tableOption = false;
  const setAction = (a: number): boolean => {
    if (action !== 0) return false;
    action = a;
    return true;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const next = () => words[++i];
    if (w === 'inet' || w === 'inet6') {
      if (!setFamily(w === 'inet' ? 4 : 6)) return fail(`${w} given for an IPv${family} rule`);
    } else if (w === 'from' || w === 'to') {
      const p = prefixOf(next(), null);
      if (!p) return fail(`invalid rule ${w} address ${words[i]}`);
      if (!setFamily(p.family)) return fail('rule specification has mixed IPv4 and IPv6');
      if (w === 'from') {
        spec.from = p.addr;
        spec.fromLen = p.len;
      } else {
        spec.to = p.addr;
        spec.toLen = p.len;
      }
    } else if (w === 'table' || w === 'lookup') {
      const v = named(TABLES, next(), 0xffffffff);
      if (v === null) return fail(`routing table ${words[i]} not found`);
      if (v === 0) return fail('table 0 is not valid');
      spec.table = v;
      if (!setAction(1)) return fail('cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable');
    } else if (w === 'not') {
      spec.invert = true;
    } else if (w === 'preference' || w === 'order' || w === 'priority' || w === 'pref' || w === 'prio') {
      const v = num(next(), 0xffffffff);
      if (v === null) return fail(`invalid rule preference ${words[i]}`);
      spec.priority = v;
    } else if (w === 'tos' || w === 'dsfield') {
      const v = num(next(), 255);
      if (v === null) return fail(`TOS value ${words[i]} is invalid`);
      spec.tos = v;
    } else if (w === 'fwmark') {
      const [m, k, ...rest] = (next() ?? '').split('/');
      const mark = num(m, 0xffffffff);
      const mask = k === undefined ? undefined : num(k, 0xffffffff);
      if (mark === null || mask === null || rest.length) return fail(`invalid rule fwmark ${words[i]}`);
      spec.fwmark = mark;
      if (mask !== undefined) spec.fwmask = mask;
    } else if (w === 'realms') {
      const r = realms(next());
      if (r === null) return fail(`invalid realms ${words[i]}`);
      if (!setFamily(4)) return fail('realms is only valid for IPv4');
      spec.realms = r;
      tableOption = true;
    } else if (w === 'suppress_prefixlength' || w === 'sup_pl') {
      const v = num(next(), 0x7fffffff);
      if (v === null) return fail(`invalid suppress_prefixlength ${words[i]}`);
      spec.suppressPrefixlen = v;
      tableOption = true;
    } else if (w === 'suppress_ifgroup' || w === 'sup_group') {
      const v = num(next(), 0xffffffff);
      if (v === null) return fail(`suppress_group ${words[i]} is invalid`);
      spec.suppressIfgroup = v;
      tableOption = true;
    } else if (w === 'dev' || w === 'iif') {
      spec.iif = next();
    } else if (w === 'oif') {
      spec.oif = next();
    } else if (w === 'uidrange') {
      const m = /^(\d+)-(\d+)$/.exec(next() ?? '');
      if (!m) return fail(`invalid uidrange ${words[i]}`);
      spec.uidRange = [Number(m[1]), Number(m[2])];
    } else if (w === 'l3mdev') {
      spec.l3mdev = true;
      if (!setAction(1)) return fail('cannot specify l3mdev with another action');
    } else if (w === 'protocol') {
      const v = num(next(), 255);
      if (v === null) return fail(`invalid protocol ${words[i]}`);
      spec.protocol = v;
    } else if (w === 'ipproto') {
      const p = next();
      const v = p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : p === 'sctp' ? 132 : p === 'ipv6-icmp' ? 58 : num(p, 255);
      if (v === null) return fail(`invalid ipproto ${p}`);
      spec.ipProto = v;
    } else if (w === 'sport' || w === 'dport') {
      const m = /^(\d+)(?:-(\d+))?$/.exec(next() ?? '');
      const a = m ? Number(m[1]) : NaN;
      const b = m?.[2] !== undefined ? Number(m[2]) : a;
      if (!m || a > 65535 || b > 65535) return fail(`invalid ${w} range ${words[i]}`);
      spec[w] = [a, b];
    } else if (w === 'no_track') {
      noTrack = true;
    } else if (w === 'tunnel-id' || w === 'track_group') {
      return fail(`'${w}' is not supported by this implementation`);
    } else {
      let a = w;
      if (a === 'type') a = next() ?? '';
      let act: number | null = null;
      if (a === 'goto') {
        const v = num(next(), 0xffffffff);
        if (v === null) return fail(`invalid target ${words[i]}`);
        spec.goto = v;
        act = 2;
      } else if (a === 'nop') act = 3;
      else if (a in RULE_ACTIONS) act = RULE_ACTIONS[a]!;
      else return fail(`unknown rule option ${a}`);
      if (!setAction(act)) return fail('cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev');
    }
  }
  if (action === 0) return fail('no action specified for rule');
  if (action === 2) {
    if (spec.priority === undefined) return fail(`goto target ${spec.goto} specified without preference`);
    if (spec.priority >= (spec.goto as number)) return fail(`preference ${spec.priority} >= goto target ${spec.goto}`);
  }
  if (action !== 1 && tableOption) {
    warnings.push('suppressor/realm specified for non table action - skipping');
    delete spec.realms;
    delete spec.suppressPrefixlen;
    delete spec.suppressIfgroup;
  }
  if (spec.l3mdev && spec.table !== undefined) return fail('table cannot be specified for l3mdev rules');
  if (!noTrack) {
    if (spec.protocol !== undefined && spec.protocol !== RTPROT_KEEPALIVED) warnings.push(`rule cannot be tracked if protocol is not keepalived (${RTPROT_KEEPALIVED}); protocol reset`);
    spec.protocol = RTPROT_KEEPALIVED;
  }
  const fam: Family = family ?? 4;
  if (spec.priority === undefined) {
    spec.priority = fam === 4 ? counter.next4-- : counter.next6--;
    warnings.push(`rule has no preference specified - setting to ${spec.priority}. This is probably not what you want.`);
  }
  // "from all"/"to all" without a family take the rule's.
  if (spec.from !== undefined && spec.fromLen === 0) spec.from = fam === 4 ? '0.0.0.0' : '::';
  if (spec.to !== undefined && spec.toLen === 0) spec.to = fam === 4 ? '0.0.0.0' : '::';
  return { ok: true, value: { spec: { ...spec, family: fam, action }, track: !noTrack, text }, warnings };
}

// ---- from the config model ----

/** The words of a list item (route or rule line). */
export function itemWords(n: { keyword: string; args: { text: string }[] }): string[] {
  return [n.keyword, ...n.args.map((a) => a.text)];
}

export interface PlanIssueLike {
  where: string;
  message: string;
}

/** Routes of a block; unusable lines become issues (keepalived skips them the same way). */
export function planRoutes(items: { node: { keyword: string; args: { text: string }[] } }[], where: string, issues: PlanIssueLike[]): PlannedRoute[] {
  const out: PlannedRoute[] = [];
  for (const it of items) {
    const r = parseRoute(itemWords(it.node));
    for (const w of r.warnings) issues.push({ where, message: w });
    if (r.ok) out.push(r.value);
    else issues.push({ where, message: `${r.error}; skipped` });
  }
  return out;
}

export function planRules(items: { node: { keyword: string; args: { text: string }[] } }[], where: string, counter: RuleCounter, issues: PlanIssueLike[]): PlannedRule[] {
  const out: PlannedRule[] = [];
  for (const it of items) {
    const r = parseRule(itemWords(it.node), counter);
    for (const w of r.warnings) issues.push({ where, message: w });
    if (r.ok) out.push(r.value);
    else issues.push({ where, message: `${r.error}; skipped` });
  }
  return out;
}

/** The weight-0 track through which a tracked virtual route or rule that disappears moves its
 * instance out of MASTER (keepalived's set_vrrp_backup on a route/rule deletion). */
export const ROUTE_TRACK_PREFIX = 'routes:';

export interface VmacPlan {
  /** The macvlan's name (use_vmac NAME, else vmac_prefix.VRID). */
  ifname: string;
  mac: string;
  /** vmac_xmit_base: adverts leave from the base interface instead of the vmac. */
  xmitBase: boolean;
}

/** What an instance plan carries for this part (each field only when configured). */
export interface InstanceRoutesPlan {
  routes?: PlannedRoute[];
  rules?: PlannedRule[];
  vmac?: VmacPlan;
}

type Node = { keyword: string; args: { text: string }[] };

/**
 * virtual_routes, virtual_rules and use_vmac of one instance. `vipIfname` is where VIPs without a dev
 * go (the vmac when there is one, as keepalived); `tracks` the state machine tracks to add.
 */
export function instanceRoutes(
  vi: { name: string; vrid?: number; virtualRoutes: { node: Node }[]; virtualRules: { node: Node }[]; unicastPeers: unknown[] },
  opts: { ifname: string; family: Family; useVmac?: Node; xmitBase: boolean; vmacPrefix?: string },
  counter: RuleCounter,
  issues: PlanIssueLike[],
): { fields: InstanceRoutesPlan; vipIfname: string; tracks: { name: string; kind: 'script'; weight: number }[] } {
  const fields: InstanceRoutesPlan = {};
  const routes = planRoutes(vi.virtualRoutes, `${vi.name}.virtual_routes`, issues);
  const rules = planRules(vi.virtualRules, `${vi.name}.virtual_rules`, counter, issues);
  if (routes.length) fields.routes = routes;
  if (rules.length) fields.rules = rules;
  let vipIfname = opts.ifname;
  if (opts.useVmac && vi.vrid !== undefined) {
    const named = opts.useVmac.args[0]?.text;
    const ifname = named ?? vmacNameFor(vi.vrid, opts.vmacPrefix);
    let xmitBase = opts.xmitBase;
    if (vi.unicastPeers.length > 0 && !xmitBase) {
      issues.push({ where: `${vi.name}.use_vmac`, message: 'unicast with use_vmac requires vmac_xmit_base - setting' });
      xmitBase = true;
    }
    if (ifname.length > 15 || /[\s/:]/.test(ifname)) {
      issues.push({ where: `${vi.name}.use_vmac`, message: `invalid vmac name '${ifname}'; use_vmac ignored` });
    } else {
      fields.vmac = { ifname, mac: vmacMac(vi.vrid, opts.family), xmitBase };
      vipIfname = ifname;
    }
  }
  const tracked = routes.some((r) => r.track) || rules.some((r) => r.track);
  return { fields, vipIfname, tracks: tracked ? [{ name: ROUTE_TRACK_PREFIX + vi.name, kind: 'script', weight: 0 }] : [] };
}

function vmacNameFor(vrid: number, prefix = 'vrrp'): string {
  const suffix = `.${vrid}`;
  return `${prefix.slice(0, 15 - suffix.length)}${suffix}`;
}

function vmacMac(vrid: number, family: Family): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${(vrid & 255).toString(16).padStart(2, '0')}`;
}

export interface StaticPlan {
  addresses: AddressSpec[];
  routes: PlannedRoute[];
  rules: PlannedRule[];
}

/** static_ipaddress, static_routes, static_rules (undefined when none is configured). */
export function staticPlan(
  model: { staticAddresses: { addr: string; prefix?: number; family: Family; dev?: string; scope?: string; label?: string; brd?: string }[]; staticRoutes: { node: Node }[]; staticRules: { node: Node }[] },
  defaultIfname: string,
  counter: RuleCounter,
  issues: PlanIssueLike[],
): StaticPlan | undefined {
  if (model.staticAddresses.length + model.staticRoutes.length + model.staticRules.length === 0) return undefined;
  const addresses = model.staticAddresses.map((a) => {
    const s: AddressSpec = { ifname: a.dev ?? defaultIfname, family: a.family, addr: a.addr, prefix: a.prefix ?? (a.family === 4 ? 32 : 128) };
    if (a.scope) s.scope = a.scope;
    if (a.family === 4 && a.label) s.label = a.label;
    if (a.family === 4 && a.brd) s.brd = a.brd;
    return s;
  });
  return {
    addresses,
    routes: planRoutes(model.staticRoutes, 'static_routes', issues),
    rules: planRules(model.staticRules, 'static_rules', counter, issues),
  };
}
