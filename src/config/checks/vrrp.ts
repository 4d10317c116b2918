// Semantic checks of VRRP instances and sync groups, with keepalived's rules (what it rejects, and
// what it silently "fixes" at start-up, which an operator wants to hear about before deploying).
import { child, posOf } from '../ast.js';
import type { DiagnosticSink, Pos } from '../diagnostics.js';
import type { KeepalivedConfig, VrrpInstance } from '../model.js';
import { isIpPrefix } from '../values.js';

const kwPos = (vi: VrrpInstance, kw: string, nested?: string): Pos => {
  const n = nested ? child(child(vi.node, nested), kw) : child(vi.node, kw);
  return n ? posOf(n) : vi.pos;
};

export function checkVrrp(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const strict = cfg.globals?.vrrpStrict ?? false;
  for (const vi of cfg.instances) checkInstance(vi, strict, sink);
  checkVridCollisions(cfg, sink);
  checkSyncGroups(cfg, sink);
  checkScripts(cfg, sink);
  for (const r of cfg.staticRules) checkRule(r, sink);
}

function checkInstance(vi: VrrpInstance, strict: boolean, sink: DiagnosticSink): void {
  const id = `(${vi.name})`;
  const has = (kw: string) => !!child(vi.node, kw);
  if (vi.vrid === undefined && !has('virtual_router_id')) {
    sink.error('missing-vrid', vi.pos, `${id} virtual_router_id must be set`);
  }
  const unicast = vi.unicastPeers.length > 0;
  if (!vi.interface && !unicast) {
    sink.error('missing-interface', vi.pos, `${id} no interface given; a multicast instance needs 'interface'`);
  } else if (!vi.interface && unicast && !vi.unicastSrcIp) {
    sink.error('missing-interface', vi.pos, `${id} a unicast instance needs unicast_src_ip or interface`);
  }
  const families = new Set(vi.vips.map((v) => v.family));
  const family = vi.family ?? (vi.vips[0]?.family as 4 | 6 | undefined);
  if (vi.vips.length === 0) {
    if (vi.version === 3 || strict) sink.error('no-vip', vi.pos, `${id} no virtual_ipaddress: VRRPv3 and strict mode need at least one`);
    else sink.warn('no-vip', vi.pos, `${id} no virtual_ipaddress given; at least one is sensible`);
  }
  if (families.size > 1) {
    const odd = vi.vips.find((v) => v.family !== family)!;
    sink.warn('vip-family-mix', odd.pos, `${id} VIP ${odd.addr} is IPv${odd.family} but the instance is IPv${family}; keepalived moves it to the excluded addresses`);
  }
  if (family === 6 && vi.version === 2 && strict) {
    sink.warn('ipv6-needs-v3', kwPos(vi, 'version'), `${id} IPv6 needs VRRP version 3; keepalived switches to version 3`);
  }
  // Authentication, in keepalived's order.
  const authPos = kwPos(vi, 'authentication');
  if (vi.authType) {
    if (strict) sink.warn('auth-strict', authPos, `${id} strict mode does not allow authentication; it is ignored`);
    else if (vi.version === 3) sink.warn('auth-v3', authPos, `${id} VRRP version 3 has no authentication; it is ignored`);
    else if (!vi.authPass) sink.warn('auth-no-pass', authPos, `${id} authentication without auth_pass is ignored`);
    else if (family === 6 && vi.authType === 'AH') sink.warn('auth-ah-ipv6', authPos, `${id} AH authentication does not work with IPv6; it is ignored`);
    else if (vi.authType === 'AH' && vi.state === 'MASTER' && effectivePriority(vi) !== 255) {
      sink.warn('ah-initial-master', kwPos(vi, 'state'), `${id} initial state MASTER does not work with AH authentication (the AH sequence number must be learnt first); starts as BACKUP`);
    }
    if (vi.authPass && vi.authPass.length > 8) {
      sink.warn('auth-pass-truncated', kwPos(vi, 'auth_pass', 'authentication'), `${id} auth_pass is longer than 8 characters; only the first 8 are used`);
    }
  }
  if (strict && vi.state && (vi.state === 'MASTER') !== (effectivePriority(vi) === 255)) {
    sink.warn('strict-state-owner', kwPos(vi, 'state'), `${id} strict mode: state MASTER only for the address owner (priority 255)`);
  }
  if (strict && unicast) sink.warn('strict-unicast', kwPos(vi, 'unicast_peer'), `${id} strict mode does not allow unicast peers on a multicast interface`);
  if (effectivePriority(vi) === 255 && vi.nopreempt) {
    sink.warn('nopreempt-owner', kwPos(vi, 'nopreempt'), `${id} nopreempt does nothing with priority 255; it is reset`);
  } else if (vi.state === 'MASTER' && vi.nopreempt) {
    sink.warn('nopreempt-master', kwPos(vi, 'nopreempt'), `${id} nopreempt does not work with initial state MASTER; it is cleared (use state BACKUP on every node)`);
  }
  if (vi.state === 'MASTER' && vi.preemptDelay > 0) {
    sink.warn('preempt-delay-master', kwPos(vi, 'preempt_delay'), `${id} preempt_delay does not work with initial state MASTER; it is cleared`);
  } else if (vi.preemptDelay > 0 && vi.nopreempt) {
    sink.warn('preempt-delay-nopreempt', kwPos(vi, 'preempt_delay'), `${id} preempt_delay has no effect with nopreempt; it is reset`);
  } else if (vi.preemptDelay > 0 && strict) {
    sink.warn('preempt-delay-strict', kwPos(vi, 'preempt_delay'), `${id} preempt_delay is not allowed in strict mode; it is reset`);
  }
  // Advert interval granularity per version.
  const adv = vi.advertInt;
  if (vi.version === 2) {
    if (adv >= 256) sink.warn('advert-int-range', kwPos(vi, 'advert_int'), `${id} VRRPv2 advert_int must be below 256 s; 255 is used`);
    else if (!Number.isInteger(adv)) sink.warn('advert-int-v2', kwPos(vi, 'advert_int'), `${id} VRRPv2 advert_int must be whole seconds; ${adv} is rounded`);
  } else if (adv >= 40.96) {
    sink.warn('advert-int-range', kwPos(vi, 'advert_int'), `${id} VRRPv3 advert_int must be below 40.96 s; 40.95 is used`);
  } else if (Math.abs(adv * 100 - Math.round(adv * 100)) > 1e-6) {
    sink.warn('advert-int-v3', kwPos(vi, 'advert_int'), `${id} VRRPv3 advert_int is in units of 10 ms; ${adv} is rounded`);
  }
  for (const p of vi.unicastPeers) {
    if (family && p.family !== family) {
      sink.error('unicast-peer-family', p.pos, `${id} unicast_peer ${p.addr} is IPv${p.family} but the instance is IPv${family}`);
    }
  }
  if (vi.unicastSrcIp && family) {
    const fam = vi.unicastSrcIp.includes(':') ? 6 : 4;
    if (fam !== family) sink.error('unicast-peer-family', kwPos(vi, 'unicast_src_ip'), `${id} unicast_src_ip ${vi.unicastSrcIp} is IPv${fam} but the instance is IPv${family}`);
  }
  for (const r of vi.virtualRoutes) {
    if (!r.dev && !r.noTrack) {
      sink.warn('route-untracked', r.pos, `${id} route ${r.dest} has no 'dev', so it cannot be tracked (add dev IFNAME or no_track)`);
    }
  }
  for (const r of vi.virtualRules) checkRule(r, sink);
}

export function effectivePriority(vi: VrrpInstance): number {
  // keepalived: no priority and state MASTER makes the instance the address owner.
  if (!child(vi.node, 'priority') && vi.state === 'MASTER') return 255;
  return vi.priority;
}

export function checkRule(r: { words: string[]; preference?: number; pos: Pos }, sink: DiagnosticSink): void {
  // A rule with a bad address is dropped (the parser reported it), so its preference does not matter.
  const bad = ['from', 'to'].some((k) => {
    const i = r.words.indexOf(k);
    return i >= 0 && r.words[i + 1] !== 'all' && !isIpPrefix(r.words[i + 1] ?? '');
  });
  if (!bad && r.preference === undefined) {
    sink.warn('rule-no-preference', r.pos, 'rule has no preference; keepalived picks one, which is probably not what you want');
  }
}

function checkVridCollisions(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const seen = new Map<string, VrrpInstance>();
  for (const vi of cfg.instances) {
    if (vi.vrid === undefined) continue;
    const unicast = vi.unicastPeers.length > 0;
    const family = vi.family ?? vi.vips[0]?.family ?? 4;
    // Unicast instances with different peers do not share a wire; multicast ones on one interface do.
    const key = `${vi.interface ?? vi.unicastSrcIp ?? ''}|${family}|${vi.vrid}|${unicast ? vi.unicastPeers.map((p) => p.addr).sort().join(',') : 'mcast'}`;
    const prev = seen.get(key);
    if (prev) {
      sink.error('vrid-collision', kwPos(vi, 'virtual_router_id'), `(${vi.name}) virtual_router_id ${vi.vrid} is already used by ${prev.name} on ${vi.interface ?? 'the same peers'} (IPv${family})`, {
        related: [{ ...kwPos(prev, 'virtual_router_id'), message: `${prev.name} uses it here` }],
      });
    } else seen.set(key, vi);
  }
}

function checkSyncGroups(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const owner = new Map<string, string>();
  const names = new Set(cfg.instances.map((i) => i.name));
  for (const sg of cfg.syncGroups) {
    const known = sg.members.filter((m) => names.has(m.name));
    // keepalived (vrrp_sync_set_group): a member already in an earlier group stays there and this
    // group goes on without it; the group's size is what is left.
    const kept = new Set<string>();
    for (const m of known) {
      const prev = owner.get(m.name);
      if (prev && prev !== sg.name) sink.error('sync-group-member-twice', m.pos, `vrrp_instance ${m.name} is already in sync group ${prev}`);
      else {
        owner.set(m.name, sg.name);
        kept.add(m.name);
      }
    }
    if (kept.size === 0) sink.warn('sync-group-empty', sg.pos, `sync group ${sg.name} has no existing vrrp_instance; it is removed`);
    else if (kept.size === 1) sink.warn('sync-group-single', sg.pos, `sync group ${sg.name} has only one member; a group of one does nothing`);
  }
}

function checkScripts(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const used = new Set(cfg.instances.flatMap((i) => i.trackScripts.map((t) => t.name)));
  for (const sg of cfg.syncGroups) for (const t of childTracks(sg.node)) used.add(t);
  for (const s of cfg.vrrpScripts) {
    // keepalived notices this at the block's closing brace, and reports it there.
    const end = { ...s.pos, line: s.node.endLine ?? s.pos.line };
    if (!s.script) sink.warn('script-missing', end, `vrrp_script ${s.name} has no 'script'; it is removed`);
    else if (!used.has(s.name)) sink.warn('script-unused', s.pos, `vrrp_script ${s.name} is not used by any track_script`);
  }
  const removed = new Set(cfg.vrrpScripts.filter((s) => !s.script).map((s) => s.name));
  for (const vi of cfg.instances) {
    for (const t of vi.trackScripts) {
      if (removed.has(t.name)) sink.warn('track-script-removed', t.pos, `(${vi.name}) track script ${t.name} has no 'script', so it is not tracked`);
    }
  }
}

function childTracks(n: import('../ast.js').ConfNode): string[] {
  return (child(n, 'track_script')?.children ?? []).map((c) => c.keyword);
}
