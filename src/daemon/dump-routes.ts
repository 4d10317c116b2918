// Routes and rules as keepalived 2.2.7's data dump writes them (vrrp_iproute.c format_iproute,
// vrrp_iprule.c format_iprule): the virtual_routes / virtual_rules of an instance and the
// static_routes / static_rules sections. Pure.
import type { RouteSpec, RuleSpec } from '../net/types.js';

/** rtm_type / FR_ACT names (rttables get_rttables_rtntype). */
const RTN_TYPES: Record<number, string> = {
  0: 'none', 1: 'unicast', 2: 'local', 3: 'broadcast', 4: 'anycast', 5: 'multicast', 6: 'blackhole',
  7: 'unreachable', 8: 'prohibit', 9: 'throw', 10: 'nat', 11: 'xresolve',
};
const rtnType = (t: number): string => RTN_TYPES[t] ?? String(t);

/** ipaddresstos: the prefix only when it is not a host's. */
function addrText(addr: string, len: number | undefined): string {
  const host = addr.includes(':') ? 128 : 32;
  return len === undefined || len === host ? addr : `${addr}/${len}`;
}

/** C's %g for the few route metrics printed with it. */
function g(x: number): string {
  return String(Number(x.toPrecision(6)));
}

const lockOf = (r: RouteSpec, bit: number): boolean => ((r.lock ?? 0) & (1 << bit)) !== 0;
// RTAX_* numbers (linux/rtnetlink.h): the lock bits are 1 << RTAX_x.
const RTAX = { mtu: 2, window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9, rtoMin: 13, congctl: 16 };

/**
 * format_iproute for a configured route: `text` is its config line (no_track, an explicit type or
 * protocol), `set` whether it is installed now. keepalived does not track a route without a dev
 * (dont_track), sets protocol 18 only on tracked ones, and prints "add" for a route with a type
 * (its IPROUTE_BIT_ADD is the type's bit: the route-command enum's IPROUTE_ADD shadows the bit
 * number).
 */
export function formatRoute(r: RouteSpec, text = '', set = false): string {
  const words = text.split(/\s+/);
  const noTrack = saysNoTrack(text) || !r.dev;
  const typed = r.type !== 1 || words.includes('unicast');
  const mode = r.mode === 'add' || typed ? 'add' : r.mode === 'append' ? 'append' : 'prepend';
  const o: string[] = [mode];
  if (r.type !== 1) o.push(rtnType(r.type));
  let s = `${o.join(' ')} ${r.dstLen === 0 && /^(0\.0\.0\.0|::)$/.test(r.dst) ? 'default' : addrText(r.dst, r.dstLen)}`;
  if (r.from) s += ` from ${addrText(r.from, r.fromLen)}`;
  if (r.prefsrc) s += ` src ${r.prefsrc}`;
  if (r.tos !== undefined) s += ` tos ${r.tos}`;
  if (r.via) s += ` via ${(r.viaFamily ?? r.family) === 6 ? 'inet6' : 'inet'} ${r.via}`;
  if (r.dev) s += ` dev ${r.dev}`;
  if (r.table !== 254) s += ` table ${r.table}`;
  // Protocol 18 is set before the missing dev turns tracking off.
  if (!saysNoTrack(text) || words.includes('protocol') || words.includes('proto')) s += ` proto ${r.protocol}`;
  if (r.scope) s += ` scope ${r.scope}`;
  if (r.metric !== undefined) s += ` metric ${r.metric}`;
  if (r.family === 4 && r.onlink) s += ' onlink';
  if (r.realms) s += r.realms & 0xffff0000 ? ` realms ${r.realms >>> 16}/${r.realms & 0xffff}` : ` realm ${r.realms & 0xffff}`;
  if (r.expires !== undefined) s += ` expires ${r.expires}sec`;
  if (r.congctl) s += ` congctl ${r.congctl}${lockOf(r, RTAX.congctl) ? 'lock ' : ''}`;
  const m = r.metrics ?? {};
  if (m.rtt !== undefined) s += ` rtt${lockOf(r, RTAX.rtt) ? ' lock' : ''} ${m.rtt >= 8000 ? `${g(m.rtt / 8000)}s` : `${g(m.rtt / 8)}ms`}`;
  if (m.rttvar !== undefined) s += ` rttvar${lockOf(r, RTAX.rttvar) ? ' lock' : ''} ${m.rttvar >= 4000 ? `${g(m.rttvar / 4000)}s` : `${g(m.rttvar / 4)}ms`}`;
  if (m.rtoMin !== undefined) s += ` rto_min${lockOf(r, RTAX.rtoMin) ? ' lock' : ''} ${m.rtoMin >= 1000 ? `${g(m.rtoMin / 1000)}s` : `${m.rtoMin}ms`}`;
  if (m.features !== undefined && (m.features & 1) !== 0) s += ' features ecn';
  const locked = (name: keyof typeof RTAX, v: number) => ` ${name} ${lockOf(r, RTAX[name]) ? 'lock ' : ''}${v}`;
  if (m.mtu !== undefined) s += locked('mtu', m.mtu);
  if (m.window !== undefined) s += ` window ${m.window}`;
  if (m.ssthresh !== undefined) s += locked('ssthresh', m.ssthresh);
  if (m.cwnd !== undefined) s += locked('cwnd', m.cwnd);
  if (m.advmss !== undefined) s += locked('advmss', m.advmss);
  if (m.reordering !== undefined) s += locked('reordering', m.reordering);
  if (m.hoplimit !== undefined) s += ` hoplimit ${m.hoplimit}`;
  if (m.initcwnd !== undefined) s += ` initcwnd ${m.initcwnd}`;
  if (m.initrwnd !== undefined) s += ` initrwnd ${m.initrwnd}`;
  if (m.quickack !== undefined) s += ` quickack ${m.quickack}`;
  if (r.pref !== undefined) s += ` pref ${r.pref === 3 ? 'low' : r.pref === 0 ? 'medium' : r.pref === 1 ? 'high' : 'unknown'}`;
  if (m.fastopenNoCookie !== undefined) s += ` fastopen_no_cookie ${m.fastopenNoCookie}`;
  if (r.ttlPropagate !== undefined) s += ` ttl-propagate ${r.ttlPropagate ? 'en' : 'dis'}abled`;
  for (const nh of r.nexthops ?? []) {
    s += ' nexthop';
    if (nh.via) s += ` via inet${(nh.viaFamily ?? r.family) === 4 ? '' : '6'} ${nh.via}`;
    if (nh.dev) s += ` dev ${nh.dev}`;
    if (nh.weight !== undefined) s += ` weight ${nh.weight}`;
    if (nh.onlink) s += ' onlink';
    if (nh.realms) s += (r.realms ?? 0) & 0xffff0000 ? ` realms ${nh.realms >>> 16}/${nh.realms & 0xffff}` : ` realm ${nh.realms & 0xffff}`;
  }
  if (noTrack) s += ' no_track';
  // configured_ifindex comes from keepalived's netlink route monitor, which fills it for IPv4 routes
  // only: an installed tracked IPv6 route prints the "not where configured" note with index 0.
  else if (set && r.family === 6) s += ' [installed ifindex 0]';
  return s;
}

/** format_iprule, with `noTrack` for keepalived's dont_track. */
export function formatRule(r: RuleSpec, noTrack = false): string {
  let s = '';
  if (!r.to && !r.from && r.family === 6) s += 'inet6 ';
  if (r.invert) s += 'not ';
  s += r.from ? `from ${addrText(r.from, r.fromLen)}` : 'from all';
  if (r.to) s += ` to ${addrText(r.to, r.toLen)}`;
  if (r.priority !== undefined) s += ` priority ${r.priority}`;
  s += ` tos 0x${(r.tos ?? 0).toString(16)}`;
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    s += ` fwmark 0x${(r.fwmark ?? 0).toString(16)}`;
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) s += `/0x${r.fwmask.toString(16)}`;
  }
  if (r.iif) s += ` iif ${r.iif}`;
  if (r.oif) s += ` oif ${r.oif}`;
  if (r.suppressPrefixlen !== undefined) s += ` suppress_prefixlen ${r.suppressPrefixlen}`;
  if (r.suppressIfgroup !== undefined) s += ` suppress_ifgroup ${r.suppressIfgroup}`;
  if (r.uidRange) s += ` uidrange ${r.uidRange[0]}-${r.uidRange[1]}`;
  if (r.l3mdev) s += ' l3mdev';
  if (r.protocol !== undefined) s += ` protocol ${r.protocol}`;
  if (r.ipProto !== undefined) s += ` ipproto ${r.ipProto}`;
  if (r.sport) s += ` sport ${r.sport[0]}-${r.sport[1]}`;
  if (r.dport) s += ` dport ${r.dport[0]}-${r.dport[1]}`;
  if (r.realms) s += ` realms ${r.realms >>> 16}/${r.realms & 0xffff}`;
  if (r.action === 1) s += ` lookup ${r.table ?? 254}`;
  else if (r.action === 2) s += ` goto ${r.goto ?? 0}`;
  else if (r.action === 3) s += ' nop';
  else s += ` type ${rtnType(r.action)}`;
  if (noTrack) s += ' no_track';
  return s;
}

/** Whether a configured route/rule line says no_track. */
export const saysNoTrack = (text: string): boolean => /(^|\s)no_track(\s|$)/.test(text);
