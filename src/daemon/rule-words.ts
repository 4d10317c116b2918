// A virtual_rules / static_rules line as keepalived reads it (vrrp_iprule.c alloc_rule): words ->
// RuleSpec with keepalived's checks, protocol keepalived for tracked rules and its numbering of
// rules given no preference. Pure.
import type { Family, RuleSpec } from '../net/types.js';
import { RTPROT_KEEPALIVED } from '../net/rtnl-route.js';
import { named, num, prefixOf, realms, TABLES, type Out, type PlannedRule } from './route-words.js';

/** keepalived numbers rules without a preference downwards from here (one counter per family). */
const RULE_START_PRIORITY = 16384;

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
  const fail = (why: string): Out<PlannedRule> => ({ ok: false, error: why, warnings });
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
      if (!setFamily(w === 'inet' ? 4 : 6)) return fail(`${w} specified for IPv${family} rule`);
    } else if (w === 'from' || w === 'to') {
      const p = prefixOf(next(), null);
      if (!p) {
        warnings.push(`VRRP parsed invalid IP ${words[i]}. skipping IP...`);
        return fail(`Invalid rule ${w} address ${words[i]}`);
      }
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
      if (v === null) return fail(`routing table ${words[i]} not found for rule`);
      if (v === 0) return fail('table 0 is not valid');
      if (spec.l3mdev) return fail('table cannot be specified for l3mdev rules');
      spec.table = v;
      if (!setAction(1)) return fail('Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule');
    } else if (w === 'not') {
      spec.invert = true;
    } else if (w === 'preference' || w === 'order' || w === 'priority' || w === 'pref' || w === 'prio') {
      const v = num(next(), 0xffffffff);
      if (v === null) return fail(`Invalid rule preference ${words[i]} specified`);
      spec.priority = v;
    } else if (w === 'tos' || w === 'dsfield') {
      const v = num(next(), 255);
      if (v === null) return fail(`TOS value ${words[i]} is invalid`);
      spec.tos = v;
    } else if (w === 'fwmark') {
      const [m, k, ...rest] = (next() ?? '').split('/');
      const mark = num(m, 0xffffffff);
      const mask = k === undefined ? undefined : num(k, 0xffffffff);
      if (mark === null || mask === null || rest.length) return fail(`Invalid rule fwmark ${words[i]} specified`);
      spec.fwmark = mark;
      if (mask !== undefined) spec.fwmask = mask;
    } else if (w === 'realms') {
      const r = realms(next());
      if (r === null) return fail(`invalid realms ${words[i]} for rule`);
      if (!setFamily(4)) return fail('realms is only valid for IPv4');
      spec.realms = r;
      tableOption = true;
    } else if (w === 'suppress_prefixlength' || w === 'sup_pl') {
      const v = num(next(), 0x7fffffff);
      if (v === null) return fail(`Invalid suppress_prefixlength ${words[i]} specified`);
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
      if (!m) return fail(`Invalid uidrange ${words[i]} specified`);
      spec.uidRange = [Number(m[1]), Number(m[2])];
    } else if (w === 'l3mdev') {
      spec.l3mdev = true;
      if (!setAction(1)) return fail('Cannot specify l3mdev with other action');
    } else if (w === 'protocol') {
      const v = num(next(), 255);
      if (v === null) return fail(`Invalid protocol ${words[i]}`);
      spec.protocol = v;
    } else if (w === 'ipproto') {
      const p = next();
      const v = p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : p === 'sctp' ? 132 : p === 'ipv6-icmp' ? 58 : num(p, 255);
      if (v === null) return fail(`Invalid ipproto ${p}`);
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
        if (v === null) return fail(`Invalid target ${words[i]} specified`);
        spec.goto = v;
        act = 2;
      } else if (a === 'nop') act = 3;
      else if (a in RULE_ACTIONS) act = RULE_ACTIONS[a]!;
      else return fail(`Unknown rule option ${a}`);
      if (!setAction(act)) return fail('Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule');
    }
  }
  if (action === 0) return fail('no action specified for rule - ignoring');
  if (action === 2) {
    if (spec.priority === undefined) return fail(`Invalid rule - goto target ${spec.goto} specified without preference`);
    if (spec.priority >= (spec.goto as number)) return fail(`Invalid rule - preference ${spec.priority} >= goto target ${spec.goto}`);
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
