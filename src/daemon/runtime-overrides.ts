// Operator overrides inside the running VRRP runtime: set/clear on a whole sync group, apply them to
// the state machine (priority override, or FAULT through the instance's operator-fault track),
// persist, and expire them on time.
import type { Override } from '../control/protocol.js';
import { OPERATOR_FAULT_PREFIX } from './instance-config.js';
import { applyOverride, dropExpired, effectOf, makeOverride, nextExpiryMs, type OverrideKind } from './overrides.js';
import type { OverrideOutcome, VrrpRuntime } from './runtime.js';

export function setOverride(rt: VrrpRuntime, instance: string, kind: OverrideKind | null, forMs?: number): OverrideOutcome {
  if (!rt.node) return { ok: false, error: 'not running' };
  if (!rt.ios.has(instance)) return { ok: false, error: `no vrrp_instance named ${instance}` };
  const group = rt.node.groups.find((g) => g.members.includes(instance));
  const members = group ? group.members : [instance];
  const next: Override | null = kind ? makeOverride(kind, rt.deps.clock.wallMs(), forMs) : null;
  const r = applyOverride(rt.store, members, next);
  rt.store = r.store;
  const why = kind ? `operator ${kind}${forMs !== undefined ? ` for ${Math.round(forMs / 1000)} s` : ''}` : 'operator clear';
  for (const m of members) applyEffect(rt, m, why);
  persist(rt);
  armExpiry(rt);
  return { ok: true, result: r.result };
}

/** Brings the state machine in line with the instance's override (or its absence). */
export function applyEffect(rt: VrrpRuntime, name: string, why: string, announce = true): void {
  const o = rt.store.overrides[name] ?? null;
  const eff = effectOf(o);
  const inst = rt.node?.instances.find((i) => i.cfg.name === name);
  if (!inst) return;
  // promote takes over now, whatever nopreempt / preempt_delay say: the operator's decision wins.
  const takeover = o?.kind === 'promote';
  if (inst.overridePriority !== eff.priority || !!inst.overrideTakeover !== takeover) {
    rt.dispatch({ type: 'override', instance: name, priority: eff.priority, takeover }, why);
  }
  const fault = OPERATOR_FAULT_PREFIX + name;
  const now = rt.node?.instances.find((i) => i.cfg.name === name);
  if (now && now.trackStatus[fault] !== !eff.fault) rt.dispatch({ type: 'track', track: fault, status: !eff.fault }, why);
  if (!announce) return;
  rt.emit({ type: 'override', instance: name, override: o });
  rt.log.log('info', `(${name}) ${o ? `operator override ${o.kind}${o.expiresAt ? ` until ${o.expiresAt}` : ''}` : 'operator override cleared'}`);
}

export function persist(rt: VrrpRuntime): void {
  const err = rt.deps.persistOverrides?.(rt.store) ?? null;
  if (err) rt.log.log('err', err);
}

/** One timer for the earliest expiry; it clears what is due and re-arms for the next. */
export function armExpiry(rt: VrrpRuntime): void {
  rt.expiryTimer?.cancel();
  rt.expiryTimer = null;
  const next = nextExpiryMs(rt.store);
  if (next === null || rt.stopping) return;
  const { clock } = rt.deps;
  const inUs = Math.max(0, (next - clock.wallMs()) * 1000);
  rt.expiryTimer = clock.at(clock.nowUs() + inUs, () => {
    rt.expiryTimer = null;
    const r = dropExpired(rt.store, clock.wallMs());
    rt.store = r.store;
    for (const n of r.expired) applyEffect(rt, n, 'operator override expired');
    if (r.expired.length > 0) persist(rt);
    armExpiry(rt);
  });
}
