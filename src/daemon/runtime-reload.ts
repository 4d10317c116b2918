// Reload in place (HUP): instances whose settings did not change keep their state, timers and VIPs,
// so a reload never causes a failover for them. Removed and changed instances stop as at daemon
// stop (priority 0 from a master, VIPs removed); added and changed ones start from INIT.
import { Counters } from '../vrrp/counters.js';
import { createNode, stepNode, type InstanceState, type NodeState } from '../vrrp/fsm.js';
import { fsmConfig, IF_TRACK_PREFIX, OPERATOR_FAULT_PREFIX, planDiff, SRC_ADDR_PREFIX, type VrrpPlan } from './instance-config.js';
import { chooseSource, noSource, noSourceMessage } from './runtime-addrs.js';
import { effectOf, retainInstances } from './overrides.js';
import { applyEffect, armExpiry, persist } from './runtime-overrides.js';
import { socketKey } from './runtime-io.js';
import { sendIfname } from './runtime-routes.js';
import type { StartResult, VrrpRuntime } from './runtime.js';
import { allRefs } from './track-manager.js';
import { syncTrackStatus, withTrackers } from './track-runtime.js';

const REASON = 'configuration reload';

export async function reloadRuntime(rt: VrrpRuntime, plan: VrrpPlan): Promise<StartResult> {
  const old = rt.node;
  if (!old || rt.stopping) return { ok: false, error: 'not running' };
  const diff = planDiff(rt.plan, plan);
  const gone = new Set([...diff.removed, ...diff.changed]);
  const carried = new Map<string, InstanceState>();
  for (const i of old.instances) if (!gone.has(i.cfg.name)) carried.set(i.cfg.name, i);

  const addrs = await rt.deps.rtnl.listAddresses();
  if (!addrs.ok) return { ok: false, error: `cannot list addresses: ${addrs.error}` };
  const kept = retainInstances(rt.store, new Set(plan.instances.map((p) => p.name)));
  rt.addrs = addrs.value;
  const primaries = new Map<string, string>();
  // Trackers: unchanged ones keep running with their state, removed ones stop, new ones are made.
  rt.trackers.beginReload();
  rt.trackers.prepare(plan.trackers, allRefs(plan.instances), true);
  // Build (and so validate) the new node before touching the running one.
  const configs = plan.instances.map((p) => {
    // A carried instance keeps its state (and source); the others choose from the addresses now.
    const io = carried.has(p.name) ? rt.ios.get(p.name) : undefined;
    const found = io ? io.primaryAddr : chooseSource(rt, p, rt.addrs);
    if (found === null && rt.linkUp.has(p.ifname)) rt.log.log('err', noSourceMessage(p));
    const primary = found ?? noSource(p.family);
    primaries.set(p.name, primary);
    const initialTrackStatus: Record<string, boolean> = {};
    for (const t of p.tracks) initialTrackStatus[IF_TRACK_PREFIX + t.ifname] = rt.linkUp.get(t.ifname) ?? false;
    initialTrackStatus[OPERATOR_FAULT_PREFIX + p.name] = !effectOf(kept.store.overrides[p.name]).fault;
    initialTrackStatus[SRC_ADDR_PREFIX + p.name] = found !== null;
    return withTrackers(rt.trackers, p, { ...fsmConfig(p, primary), initialTrackStatus });
  });
  const created = createNode({ instances: configs, syncGroups: plan.syncGroups });
  if (!created.ok) {
    // The running config stays: so do its trackers (changed ones carry their counters back).
    rt.trackers.beginReload();
    rt.trackers.prepare(rt.plan.trackers, allRefs(rt.plan.instances), true);
    rt.trackers.run();
    return { ok: false, error: created.issues.filter((i) => i.severity === 'error').map((i) => `${i.where}: ${i.message}`).join('; ') };
  }

  // Stop what leaves, exactly as a daemon stop does for those instances alone.
  const leaving: NodeState = { instances: old.instances.filter((i) => gone.has(i.cfg.name)), groups: [] };
  if (leaving.instances.length > 0) {
    const ev = { type: 'shutdown' as const };
    const r = stepNode(leaving, ev, rt.deps.clock.nowUs());
    for (const a of r.actions) rt.perform(a, ev, REASON);
    await rt.idle();
  }
  for (const n of gone) {
    rt.ios.delete(n);
    rt.lastState.delete(n);
    rt.transitions.delete(n);
    for (const t of ['advert', 'master-down', 'garp-delay']) {
      rt.timers.get(`${n}/${t}`)?.cancel();
      rt.timers.delete(`${n}/${t}`);
    }
  }

  const oldGroups = new Map(old.groups.map((g) => [g.name, g]));
  rt.node = {
    instances: created.node.instances.map((i) => carried.get(i.cfg.name) ?? i),
    groups: created.node.groups.map((g) => {
      const o = oldGroups.get(g.name);
      const same = o && o.members.join('\0') === g.members.join('\0') && g.members.every((m) => carried.has(m));
      return same ? o : g;
    }),
  };
  rt.plan = plan;
  rt.store = kept.store;
  for (const p of plan.instances) {
    if (carried.has(p.name)) {
      const io = rt.ios.get(p.name);
      if (io) io.plan = p;
      continue;
    }
    rt.ios.set(p.name, {
      plan: p, primaryAddr: primaries.get(p.name) as string, counters: new Counters(), ipId: 0, ahSeq: 0, peerAhSeq: 0,
      advertsSent: 0, priorityZeroSent: 0, becameMaster: 0, releasedMaster: 0,
    });
    rt.lastState.set(p.name, 'INIT');
    applyEffect(rt, p.name, 'operator override (restored)', false);
  }
  if (kept.dropped.length > 0) persist(rt);

  // Sockets follow the interfaces in use. A carried instance's socket (its vmac's too) stays open
  // throughout: closing and reopening it would cost a master an advert. New vmacs get theirs once
  // reloadRoutes has created them.
  const needed = new Set(plan.instances.flatMap((p) => [socketKey(p.ifname, p.family), socketKey(sendIfname(p), p.family)]));
  for (const [k, s] of rt.sockets) {
    if (!needed.has(k)) {
      s.close();
      rt.sockets.delete(k);
      rt.socketOpts.delete(k);
    }
  }
  for (const ifname of new Set(plan.instances.map((p) => p.ifname))) {
    if (!rt.linkUp.has(ifname)) continue;
    const r = rt.ensureSockets(ifname);
    if (!r.ok) rt.log.log('err', r.error);
  }
  rt.dispatch({ type: 'start' }, 'start-up (reload)');
  syncTrackStatus(rt);
  rt.trackers.run();
  armExpiry(rt);
  rt.log.log('info', `Reload done: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged.length} unchanged`);
  return { ok: true };
}
