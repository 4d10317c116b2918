// Lifecycle of virtual_routes/virtual_rules, static_ipaddress/routes/rules and VMACs in the VRRP
// runtime, in keepalived's order (vrrp.c, vrrp_daemon.c):
// - start: leftover statics removed, then statics added; VMACs created (or reused/fixed); an
//   instance's leftover routes/rules from a crashed run removed;
// - becoming MASTER: VIPs, then routes, then rules; leaving MASTER: rules, then routes, then VIPs;
// - a tracked virtual route/rule deleted by someone else while MASTER: the instance leaves MASTER
//   (keepalived's set_vrrp_backup); a tracked static one is put back ("Restoring deleted static ...");
// - stop: VIPs/routes/rules of masters removed by the shutdown step, then statics (rules, routes,
//   addresses, as keepalived clears them at exit) and the VMACs.
// State lives beside the runtime (a WeakMap), so runtime.ts only carries the calls.
import type { AddressEvent, NetResult, RouteEvent, Rtnl, VrrpPacketIn } from '../net/types.js';
import { describeRoute, describeRule, sameRoute, sameRule } from '../net/rtnl-route.js';
import { type PlannedRoute, type PlannedRule } from './instance-routes.js';
import type { InstancePlan } from './instance-config.js';
import type { Logger } from './log.js';
import type { VrrpRuntime } from './runtime.js';

interface RoutesState {
  /** Instances whose routes/rules are installed (we are, or just were, MASTER). */
  installed: Set<string>;
  staticsSet: boolean;
  vmacs: Set<string>;
  watch: { close(): void } | null;
}

const states = new WeakMap<VrrpRuntime, RoutesState>();

function stateOf(rt: VrrpRuntime): RoutesState {
  let s = states.get(rt);
  if (!s) states.set(rt, (s = { installed: new Set(), staticsSet: false, vmacs: new Set(), watch: null }));
  return s;
}

function needs(rt: VrrpRuntime): boolean {
  return !!rt.plan.statics || rt.plan.instances.some((p) => p.routes || p.rules || p.vmac);
}

/** Where an instance's adverts leave from and arrive: its vmac (unless vmac_xmit_base), else its interface. */
export function sendIfname(p: InstancePlan): string {
  return p.vmac && !p.vmac.xmitBase ? p.vmac.ifname : p.ifname;
}

/** A packet received on a vmac, as if on the interface the instance runs on (how adverts are routed). */
export function asBase(plan: { instances: InstancePlan[] }, pkt: VrrpPacketIn): VrrpPacketIn {
  const p = plan.instances.find((x) => x.vmac && sendIfname(x) === pkt.ifname);
  return p ? { ...pkt, ifname: p.ifname } : pkt;
}

function missing(log: Logger, what: string): NetResult {
  const error = `this network layer cannot manage ${what}`;
  log.log('err', error);
  return { ok: false, error };
}

async function each<T>(items: readonly T[], fn: (x: T) => Promise<NetResult> | undefined, log: Logger, prefix: string): Promise<void> {
  const results = await Promise.all(items.map((x) => (fn(x) ?? Promise.resolve({ ok: true as const, value: undefined })).catch((e: unknown) => ({ ok: false as const, error: String(e) }))));
  for (const r of results) if (!r.ok) log.log('err', `${prefix}${r.error}`);
}

const addRoutes = (rtnl: Rtnl, log: Logger, routes: readonly PlannedRoute[], prefix: string) =>
  rtnl.addRoute ? each(routes, (r) => rtnl.addRoute!(r.spec), log, prefix) : Promise.resolve(void missing(log, 'routes'));
const delRoutes = (rtnl: Rtnl, log: Logger, routes: readonly PlannedRoute[], prefix: string) =>
  rtnl.deleteRoute ? each(routes, (r) => rtnl.deleteRoute!(r.spec), log, prefix) : Promise.resolve(void missing(log, 'routes'));
const addRules = (rtnl: Rtnl, log: Logger, rules: readonly PlannedRule[], prefix: string) =>
  rtnl.addRule ? each(rules, (r) => rtnl.addRule!(r.spec), log, prefix) : Promise.resolve(void missing(log, 'rules'));
const delRules = (rtnl: Rtnl, log: Logger, rules: readonly PlannedRule[], prefix: string) =>
  rtnl.deleteRule ? each(rules, (r) => rtnl.deleteRule!(r.spec), log, prefix) : Promise.resolve(void missing(log, 'rules'));

/** Before the first election: VMACs, statics, leftovers of a crashed run, and the route watch. */
export async function startRoutes(rt: VrrpRuntime): Promise<void> {
  if (!needs(rt)) return;
  const s = stateOf(rt);
  const { rtnl } = rt.deps;
  const log = rt.log;
  if (!s.watch && rtnl.watchRoutes) {
    const w = rtnl.watchRoutes((e) => onRouteEvent(rt, e));
    if (w.ok) s.watch = w.value;
    else log.log('warning', `route tracking unavailable: ${w.error}`);
  }
  await ensureVmacs(rt, rt.plan.instances);
  const st = rt.plan.statics;
  if (st) {
    // keepalived clears leftover static entries at start, then sets them.
    await delRules(rtnl, log, st.rules, 'static rule: ');
    await delRoutes(rtnl, log, st.routes, 'static route: ');
    await each(st.addresses, (a) => rtnl.deleteAddress(a), log, 'static address: ');
    await each(st.addresses, (a) => rtnl.addAddress(a), log, 'static address: ');
    await addRoutes(rtnl, log, st.routes, 'static route: ');
    await addRules(rtnl, log, st.rules, 'static rule: ');
    s.staticsSet = true;
  }
  for (const p of rt.plan.instances) {
    if (!p.routes && !p.rules) continue;
    await delRules(rtnl, log, p.rules ?? [], `(${p.name}) leftover rule: `);
    await delRoutes(rtnl, log, p.routes ?? [], `(${p.name}) leftover route: `);
  }
}

/** Creates (or reuses) the VMACs of these instances. */
export async function ensureVmacs(rt: VrrpRuntime, instances: readonly InstancePlan[]): Promise<void> {
  const s = stateOf(rt);
  for (const p of instances) {
    if (!p.vmac) continue;
    if (!rt.deps.rtnl.ensureVmac) {
      missing(rt.log, 'VMAC interfaces');
      return;
    }
    const r = await rt.deps.rtnl.ensureVmac({ ifname: p.vmac.ifname, base: p.ifname, mac: p.vmac.mac });
    if (!r.ok) {
      rt.log.log('err', `(${p.name}) ${r.error}`);
      continue;
    }
    s.vmacs.add(p.vmac.ifname);
    if (p.family === 6 && !p.vmac.xmitBase) await vmacLinkLocal(rt, p);
    if (rt.log.detail) rt.log.log('info', `(${p.name}) ${r.value.created ? 'created' : 'reusing'} VMAC interface ${p.vmac.ifname}`);
  }
}

/** IPv6 adverts from a vmac need a link-local source there: keepalived copies the base interface's. */
async function vmacLinkLocal(rt: VrrpRuntime, p: InstancePlan): Promise<void> {
  const vmac = p.vmac!.ifname;
  const addrs = await rt.deps.rtnl.listAddresses(p.ifname);
  const ll = addrs.ok ? addrs.value.find((a) => a.family === 6 && a.addr.toLowerCase().startsWith('fe80:')) : undefined;
  if (!ll) {
    rt.log.log('err', `(${p.name}) no IPv6 link-local address on ${p.ifname} to give ${vmac}`);
    return;
  }
  const r = await rt.deps.rtnl.addAddress({ ifname: vmac, family: 6, addr: ll.addr, prefix: 64, nodad: true });
  if (!r.ok) rt.log.log('err', `(${p.name}) adding link-local address to ${vmac} failed: ${r.error}`);
}

/**
 * The route/rule half of an add-vips / remove-vips action. Adding queues after the VIPs (call it after
 * queueing them); removing queues before (call it before).
 */
export function queueRoutes(rt: VrrpRuntime, instance: string, add: boolean): void {
  const io = rt.ios.get(instance);
  const p = io?.plan;
  if (!p || (!p.routes && !p.rules)) return;
  const s = stateOf(rt);
  const { rtnl } = rt.deps;
  const log = rt.log;
  if (add) {
    rt.queue(async () => {
      s.installed.add(instance);
      await addRoutes(rtnl, log, p.routes ?? [], `(${instance}) virtual route: `);
      await addRules(rtnl, log, p.rules ?? [], `(${instance}) virtual rule: `);
    });
  } else {
    rt.queue(async () => {
      // Not ours to track any more before the kernel reports our own deletions.
      s.installed.delete(instance);
      await delRules(rtnl, log, p.rules ?? [], `(${instance}) virtual rule: `);
      await delRoutes(rtnl, log, p.routes ?? [], `(${instance}) virtual route: `);
    });
  }
}

/** keepalived's set_vrrp_backup: straight to BACKUP (priority 0, VIPs/routes/rules released, no
 * FAULT), back as MASTER after Skew_Time unless a master is heard. */
function leaveMaster(rt: VrrpRuntime, name: string, what: string): void {
  rt.log.log('info', `(${name}) ${what}; leaving MASTER state`);
  stateOf(rt).installed.delete(name);
  rt.dispatch({ type: 'set-backup', instance: name }, what);
}

/** A route or rule change from the kernel: a tracked one of ours that went away is acted on. */
export function onRouteEvent(rt: VrrpRuntime, e: RouteEvent): void {
  if (!e.removed || rt.stopping) return;
  const s = stateOf(rt);
  for (const name of [...s.installed]) {
    const p = rt.ios.get(name)?.plan;
    if (!p) continue;
    const lost = e.type === 'route'
      ? p.routes?.find((r) => r.track && sameRoute(r.spec, e.route))
      : p.rules?.find((r) => r.track && sameRule(r.spec, e.rule));
    if (!lost || rt.lastState.get(name) !== 'MASTER') continue;
    const what = e.type === 'route' ? `virtual route ${describeRoute(lost.spec as PlannedRoute['spec'])}` : `virtual rule ${describeRule(lost.spec as PlannedRule['spec'])}`;
    leaveMaster(rt, name, `${what} was deleted`);
  }
  const st = rt.plan.statics;
  if (!st || !s.staticsSet) return;
  const { rtnl } = rt.deps;
  if (e.type === 'route') {
    const r = st.routes.find((x) => x.track && sameRoute(x.spec, e.route));
    if (r && rtnl.addRoute) {
      rt.log.log('info', `Restoring deleted static route ${describeRoute(r.spec)}`);
      rt.queue(() => addRoutes(rtnl, rt.log, [r], 'static route: '));
    }
  } else {
    const r = st.rules.find((x) => x.track && sameRule(x.spec, e.rule));
    if (r && rtnl.addRule) {
      rt.log.log('info', `Restoring deleted static rule ${describeRule(r.spec)}`);
      rt.queue(() => addRules(rtnl, rt.log, [r], 'static rule: '));
    }
  }
}

/** An address removed by someone else: a static_ipaddress is put back, as keepalived does. */
export function staticAddressEvent(rt: VrrpRuntime, e: AddressEvent): void {
  const st = rt.plan.statics;
  if (!e.removed || rt.stopping || !st || !states.get(rt)?.staticsSet) return;
  const a = st.addresses.find((x) => x.ifname === e.address.ifname && x.addr.toLowerCase() === e.address.addr.toLowerCase());
  if (!a) return;
  rt.log.log('info', `Restoring deleted static address ${a.addr}/${a.prefix} dev ${a.ifname}`);
  rt.queue(() => each([a], (x) => rt.deps.rtnl.addAddress(x), rt.log, 'static address: '));
}

/**
 * A link went down: the kernel flushes the routes through it without a deletion notice (IPv4), so a
 * master whose tracked virtual route uses it has lost that route.
 */
export function routesOnLink(rt: VrrpRuntime, ifname: string, up: boolean): void {
  if (up || rt.stopping) return;
  const s = states.get(rt);
  if (!s) return;
  for (const name of [...s.installed]) {
    const p = rt.ios.get(name)?.plan;
    const lost = p?.routes?.find((r) => r.track && (r.spec.dev === ifname || r.spec.nexthops?.some((h) => h.dev === ifname)));
    // A tracked interface takes the instance to FAULT by itself.
    if (!lost || rt.lastState.get(name) !== 'MASTER' || p?.tracks.some((t) => t.ifname === ifname)) continue;
    leaveMaster(rt, name, `virtual route ${describeRoute(lost.spec)} lost with interface ${ifname}`);
  }
}

const key = (x: unknown): string => JSON.stringify(x);

/**
 * After a reload (HUP): static entries follow the new config (removed ones deleted, new ones added,
 * as keepalived's clear_diff_static_*), VMACs of new instances are created and those no longer
 * configured deleted, and the sockets of new vmacs opened (those of carried instances never closed).
 */
export async function reloadRoutes(rt: VrrpRuntime, oldPlan: VrrpRuntime['plan']): Promise<void> {
  if (!needs(rt) && !oldPlan.statics && !oldPlan.instances.some((p) => p.vmac)) return;
  const s = stateOf(rt);
  const { rtnl } = rt.deps;
  const log = rt.log;
  if (!s.watch && rtnl.watchRoutes) {
    const w = rtnl.watchRoutes((e) => onRouteEvent(rt, e));
    if (w.ok) s.watch = w.value;
  }
  const before = oldPlan.statics ?? { addresses: [], routes: [], rules: [] };
  const after = rt.plan.statics ?? { addresses: [], routes: [], rules: [] };
  const gone = <T>(a: T[], b: T[]) => a.filter((x) => !b.some((y) => key(y) === key(x)));
  await delRules(rtnl, log, gone(before.rules, after.rules), 'static rule: ');
  await delRoutes(rtnl, log, gone(before.routes, after.routes), 'static route: ');
  await each(gone(before.addresses, after.addresses), (a) => rtnl.deleteAddress(a), log, 'static address: ');
  await each(gone(after.addresses, before.addresses), (a) => rtnl.addAddress(a), log, 'static address: ');
  await addRoutes(rtnl, log, gone(after.routes, before.routes), 'static route: ');
  await addRules(rtnl, log, gone(after.rules, before.rules), 'static rule: ');
  s.staticsSet = !!rt.plan.statics;
  await ensureVmacs(rt, rt.plan.instances);
  const wanted = new Set(rt.plan.instances.flatMap((p) => (p.vmac ? [p.vmac.ifname] : [])));
  for (const v of [...s.vmacs]) {
    if (wanted.has(v) || !rtnl.deleteLink) continue;
    s.vmacs.delete(v);
    const r = await rtnl.deleteLink(v);
    if (!r.ok) log.log('err', `cannot remove VMAC interface ${v}: ${r.error}`);
  }
  for (const v of wanted) {
    const r = rt.ensureSockets(v);
    if (!r.ok) log.log('err', r.error);
  }
}

/** After the shutdown step's I/O: statics cleared and VMACs removed, as keepalived at exit. */
export async function stopRoutes(rt: VrrpRuntime): Promise<void> {
  const s = states.get(rt);
  if (!s) return;
  s.watch?.close();
  s.watch = null;
  const { rtnl } = rt.deps;
  const log = rt.log;
  // Whatever a master still had (a shutdown with I/O failures) goes too.
  for (const name of [...s.installed]) {
    const p = rt.ios.get(name)?.plan;
    s.installed.delete(name);
    if (!p) continue;
    await delRules(rtnl, log, p.rules ?? [], `(${name}) virtual rule: `);
    await delRoutes(rtnl, log, p.routes ?? [], `(${name}) virtual route: `);
  }
  const st = rt.plan.statics;
  if (st && s.staticsSet) {
    s.staticsSet = false;
    await delRules(rtnl, log, st.rules, 'static rule: ');
    await delRoutes(rtnl, log, st.routes, 'static route: ');
    await each(st.addresses, (a) => rtnl.deleteAddress(a), log, 'static address: ');
  }
  for (const v of [...s.vmacs]) {
    s.vmacs.delete(v);
    if (!rtnl.deleteLink) break;
    const r = await rtnl.deleteLink(v).catch((e: unknown) => ({ ok: false as const, error: String(e) }));
    if (!r.ok) log.log('err', `cannot remove VMAC interface ${v}: ${r.error}`);
  }
}
