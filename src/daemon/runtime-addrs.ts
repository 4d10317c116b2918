// The advert source address follows the interface's addresses, as keepalived's netlink handler does:
// the runtime keeps the address table (listed at start, then kept up to date from the rtnl watch's
// AddressEvents), each instance sends from its interface's first address of its family (IPv6: the
// link-local one), keeps it while it exists, moves to another when it goes, and is out of service
// (FAULT, through its source-address track) while there is none.
import type { AddressEvent, AddressInfo, Family } from '../net/types.js';
import { SRC_ADDR_PREFIX, type InstancePlan } from './instance-config.js';
import type { VrrpRuntime } from './runtime.js';

/** The placeholder source of an instance without one (it is in FAULT then, so it never sends). */
export function noSource(family: Family): string {
  return family === 4 ? '0.0.0.0' : '::';
}

function sameAddr(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const vipSets = new WeakMap<object, Set<string>>();

/** Every VIP of every instance: a floating address is never an advert source. Built once per plan
 * (a reload brings a new plan object): each address event used to rebuild it per instance. */
function allVips(rt: VrrpRuntime): Set<string> {
  let out = vipSets.get(rt.plan);
  if (out) return out;
  out = new Set<string>();
  for (const p of rt.plan.instances) for (const v of p.vips) out.add(v.addr.toLowerCase());
  vipSets.set(rt.plan, out);
  return out;
}

/** The source an instance should use: configured, else current if still there, else the first usable; null: none. */
export function chooseSource(rt: VrrpRuntime, p: InstancePlan, present: readonly AddressInfo[], current?: string): string | null {
  if (p.srcAddr) return p.srcAddr;
  const vips = allVips(rt);
  const usable = present.filter(
    (a) => a.ifname === p.ifname && a.family === p.family && !vips.has(a.addr.toLowerCase())
      && (p.family === 4 || a.addr.toLowerCase().startsWith('fe80:')),
  );
  if (current !== undefined && usable.some((a) => sameAddr(a.addr, current))) return current;
  return usable[0]?.addr ?? null;
}

export function noSourceMessage(p: InstancePlan): string {
  return `(${p.name}) no IPv${p.family} ${p.family === 6 ? 'link-local ' : ''}address on ${p.ifname} to send adverts from; instance out of service until one is added`;
}

/** Applies one address change to the table, then moves the sources of the instances it concerns. */
export function onAddressEvent(rt: VrrpRuntime, e: AddressEvent): void {
  const a = e.address;
  const i = rt.addrs.findIndex((x) => x.ifname === a.ifname && sameAddr(x.addr, a.addr));
  if (e.removed) {
    if (i >= 0) rt.addrs.splice(i, 1);
  } else if (i < 0) rt.addrs.push({ ...a });
  else rt.addrs[i] = { ...a };
  // A VIP is never a source, so its coming and going (ours, at every transition) changes no choice.
  if (allVips(rt).has(a.addr.toLowerCase())) return;
  if (rt.node && !rt.stopping) refreshSources(rt, a.ifname, a.family);
}

/** Re-chooses the source of every instance on ifname/family that has no configured source. */
export function refreshSources(rt: VrrpRuntime, ifname: string, family: Family): void {
  // Instance states by name, rebuilt only when a dispatch below replaced the node.
  let seen = rt.node;
  let states = new Map((seen?.instances ?? []).map((x) => [x.cfg.name, x]));
  for (const p of rt.plan.instances) {
    if (p.ifname !== ifname || p.family !== family || p.srcAddr) continue;
    const io = rt.ios.get(p.name);
    if (rt.node !== seen) {
      seen = rt.node;
      states = new Map((seen?.instances ?? []).map((x) => [x.cfg.name, x]));
    }
    const inst = states.get(p.name);
    if (!io || !inst) continue;
    const track = SRC_ADDR_PREFIX + p.name;
    const had = inst.trackStatus[track] !== false;
    const next = chooseSource(rt, p, rt.addrs, had ? io.primaryAddr : undefined);
    if (next === null) {
      if (!had) continue;
      rt.log.log('err', noSourceMessage(p));
      // Down first (a master says goodbye from the address it used), then forget the address.
      rt.dispatch({ type: 'track', track, status: false }, `no IPv${p.family} address on ${p.ifname}`);
      io.primaryAddr = noSource(p.family);
      rt.dispatch({ type: 'source-address', instance: p.name, addr: io.primaryAddr }, 'source address removed');
      continue;
    }
    if (had && sameAddr(next, io.primaryAddr)) continue;
    rt.log.log('info', `(${p.name}) sending adverts from ${next} on ${p.ifname}`);
    io.primaryAddr = next;
    rt.dispatch({ type: 'source-address', instance: p.name, addr: next }, 'source address changed');
    if (!had) rt.dispatch({ type: 'track', track, status: true }, `IPv${p.family} address ${next} added to ${p.ifname}`);
  }
}

/** Once the watch reports: list links and addresses again and apply what changed since start-up's
 * listing (a change made before the subscription took effect would otherwise go unseen). A watch
 * event arriving while listing makes the listing stale: list again (bounded). */
export async function catchUp(rt: VrrpRuntime): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (rt.stopping || !rt.node) return;
    const seen = rt.netEvents;
    const [links, addrs] = await Promise.all([rt.deps.rtnl.listLinks(), rt.deps.rtnl.listAddresses()]);
    if (rt.stopping) return;
    if (!links.ok || !addrs.ok) {
      rt.log.log('warning', `interface re-listing failed: ${links.ok ? '' : links.error} ${addrs.ok ? '' : addrs.error}`.trim());
      return;
    }
    if (rt.netEvents !== seen) continue;
    for (const l of links.value) rt.onLink(l, false);
    for (const name of [...rt.linkUp.keys()]) {
      if (!links.value.some((l) => l.ifname === name)) rt.onLink({ ifindex: 0, ifname: name, mac: '', up: false, running: false, mtu: 0 }, true);
    }
    const key = (a: AddressInfo) => `${a.ifname}/${a.addr.toLowerCase()}`;
    const listed = new Set(addrs.value.map(key));
    const known = new Set(rt.addrs.map(key));
    for (const a of [...rt.addrs]) if (!listed.has(key(a))) onAddressEvent(rt, { type: 'address', address: a, removed: true });
    for (const a of addrs.value) if (!known.has(key(a))) onAddressEvent(rt, { type: 'address', address: a, removed: false });
    return;
  }
}
