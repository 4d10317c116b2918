// Item shapes of the address, route and rule lists (virtual_* in an instance, static_* at the root),
// following the option words keepalived's vrrp_ipaddress.c / vrrp_iproute.c / vrrp_iprule.c accept.
import { arg, int, oneOf } from '../schema.js';
import type { ArgSpec, BlockSpec, OptionsSpec } from '../schema.js';

type Item = NonNullable<BlockSpec['item']>;
const UINT32_MAX = 4294967295;
const word = (name: string): ArgSpec[] => [arg(name, 'word')];
const u32 = (name: string): ArgSpec[] => [int(name, 0, UINT32_MAX)];

/** `ADDR[/LEN] [dev IF] [scope S] [brd B] [label L] ...`; static addresses may name a track_group, VIPs may use_vmac. */
export function addressItem(isStatic: boolean): Item {
  const options: Record<string, readonly ArgSpec[]> = {
    dev: [arg('interface', 'interface')],
    scope: word('scope'),
    broadcast: word('broadcast'),
    brd: word('broadcast'),
    label: word('label'),
    peer: [arg('peer', 'ipprefix')],
    home: [],
    '-nodad': [],
    mngtmpaddr: [],
    noprefixroute: [],
    autojoin: [],
    no_track: [],
    preferred_lft: word('lifetime'),
  };
  if (isStatic) options.track_group = [arg('group', 'name')];
  else options.use_vmac = [];
  return { args: [arg('address', 'ipprefix')], options };
}

const RTN_TYPES = ['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat'];

/** Route metrics that take a value, optionally preceded by `lock`. */
const METRICS = ['mtu', 'hoplimit', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'ssthresh', 'rto_min', 'initcwnd', 'initrwnd', 'quickack', 'congctl'];

/** `[TYPE] [to] DEST [via ADDR] [dev IF] [table T] ...` */
export function routeItem(isStatic: boolean): Item {
  const options: Record<string, readonly ArgSpec[]> = {
    inet: [],
    inet6: [],
    src: [arg('address', 'ipaddr')],
    as: word('address'),
    via: [arg('gateway', 'ipaddr')],
    gw: [arg('gateway', 'ipaddr')], // keepalived warns: use via
    from: [arg('source', 'ipprefix')],
    tos: word('tos'),
    dsfield: word('tos'),
    table: word('table'),
    protocol: word('protocol'),
    scope: word('scope'),
    metric: u32('metric'),
    priority: u32('metric'),
    preference: u32('metric'),
    dev: [arg('interface', 'interface')],
    oif: [arg('interface', 'interface')],
    onlink: [],
    encap: [arg('encap', 'word', { rest: true })],
    expires: u32('seconds'),
    realms: word('realms'),
    features: word('features'),
    pref: [oneOf('pref', ['low', 'medium', 'high'])],
    'ttl-propagate': [oneOf('state', ['enabled', 'disabled'])],
    fastopen_no_cookie: word('value'),
    nexthop: [arg('nexthop', 'word', { rest: true })],
    or: [arg('gateway', 'ipaddr')], // another gateway of a multipath route
    no_track: [],
    vrf: [arg('vrf', 'interface')],
  };
  for (const m of METRICS) options[m] = word('value');
  if (isStatic) options.track_group = [arg('group', 'name')];
  const dest = arg('destination', 'ipprefix');
  const type = oneOf('type', RTN_TYPES);
  const to = oneOf('to', ['to']);
  // keepalived takes options before the destination too; the schema has positional args first,
  // so the one leading option seen in practice (`src ADDR`, keepalived's own sample) gets its forms.
  const src = [oneOf('src', ['src']), arg('address', 'ipaddr')];
  return {
    args: [dest],
    forms: [[dest], [type, dest], [to, dest], [...src, dest], [...src, type, dest], [...src, to, dest]],
    options,
  };
}

/** `[from P] [to P] [table T] [priority N] ...`: a rule is all options. */
export function ruleItem(isStatic: boolean): Item {
  const options: Record<string, readonly ArgSpec[]> = {
    inet: [],
    inet6: [],
    from: [arg('source', 'ipprefix')],
    to: [arg('destination', 'ipprefix')],
    table: word('table'),
    lookup: word('table'),
    not: [],
    preference: u32('priority'),
    order: u32('priority'),
    priority: u32('priority'),
    tos: word('tos'),
    dsfield: word('tos'),
    fwmark: word('mark'),
    realms: word('realms'),
    suppress_prefixlength: [int('length', 0, 2147483647)],
    sup_pl: [int('length', 0, 2147483647)],
    suppress_ifgroup: word('group'),
    sup_group: word('group'),
    dev: [arg('interface', 'interface')],
    iif: [arg('interface', 'interface')],
    oif: [arg('interface', 'interface')],
    'tunnel-id': word('id'),
    uidrange: word('range'),
    l3mdev: [],
    protocol: [int('protocol', 0, 255)],
    ipproto: word('protocol'),
    sport: word('port_range'),
    dport: word('port_range'),
    no_track: [],
    type: word('type'),
    goto: u32('priority'),
    nop: [],
  };
  if (isStatic) options.track_group = [arg('group', 'name')];
  return { args: [], options: options as OptionsSpec };
}
