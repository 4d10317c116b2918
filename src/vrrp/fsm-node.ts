// A node: every VRRP instance of one keepalived process plus its sync groups, stepped as one pure
// function (node, event, now) -> { node, actions }. Adverts are routed by interface, family and VRID
// (fsm-route.ts); timers and overrides name their instance; tracks reach every instance tracking the
// object.

import { type Draft } from './fsm-core.js';
import { addrBytes } from './fsm-addr.js';
import { initialInstanceState, resolveInstanceConfig, validTrackStatus } from './fsm-config.js';
import {
  advertReceived, overridePriority, setBackup, shutdownInstance, startInstance, timerExpired, trackChanged,
} from './fsm-events.js';
import type {
  ConfigIssue, FsmAction, FsmEvent, InstanceConfig, InstanceState, SyncGroupConfig, SyncGroupState,
} from './fsm-types.js';
import { routeIndex, routeIndexed, vridConflict, type RouteEntry, type RouteIndex, type RxMeta } from './fsm-route.js';
import { initialGroupState, syncHooks } from './sync-group.js';
import { evaluateTracks } from './tracking.js';
import type { Advert } from './types.js';

export interface NodeConfig {
  instances: InstanceConfig[];
  syncGroups?: SyncGroupConfig[];
}

export interface NodeState {
  /** Instances in configuration order. */
  instances: InstanceState[];
  groups: SyncGroupState[];
}

export interface StepResult<S> {
  state: S;
  actions: FsmAction[];
}

export type CreateNodeResult = { ok: true; node: NodeState; issues: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

export function createNode(cfg: NodeConfig): CreateNodeResult {
  const issues: ConfigIssue[] = [];
  if (!cfg || !Array.isArray(cfg.instances)) {
    return { ok: false, issues: [{ severity: 'error', where: 'node', message: 'instances must be a list' }] };
  }
  const instances: InstanceState[] = [];
  const names = new Set<string>();
  const routes: RouteEntry[] = [];
  for (const ic of cfg.instances) {
    const r = resolveInstanceConfig(ic);
    issues.push(...r.issues);
    if (!r.ok) continue;
    const c = r.config;
    if (names.has(c.name)) {
      issues.push({ severity: 'error', where: `${c.name}`, message: 'duplicate vrrp_instance name' });
      continue;
    }
    const entry = routeEntry(c);
    const clash = routes.map((o) => vridConflict(entry, o)).find((m) => m !== null);
    if (clash) {
      issues.push({ severity: 'error', where: `${c.name}.virtual_router_id`, message: clash });
      continue;
    }
    names.add(c.name);
    routes.push(entry);
    instances.push(initialInstanceState(c, { ...(ic.initialTrackStatus ?? {}) }));
  }
  const groups: SyncGroupState[] = [];
  const inGroup = new Set<string>();
  for (const g of cfg.syncGroups ?? []) {
    const members: string[] = [];
    for (const m of Array.isArray(g?.members) ? g.members : []) {
      if (!names.has(m)) issues.push({ severity: 'warning', where: `${g.name}.group`, message: `instance ${m} does not exist; ignored` });
      else if (inGroup.has(m)) issues.push({ severity: 'warning', where: `${g.name}.group`, message: `instance ${m} is already in a sync group; ignored` });
      else {
        members.push(m);
        inGroup.add(m);
      }
    }
    if (members.length === 0) {
      issues.push({ severity: 'warning', where: `${g?.name}`, message: 'sync group has no valid members; removed' });
      continue;
    }
    const ms = members.map((m) => instances.find((i) => i.cfg.name === m) as InstanceState);
    const anyFault = ms.some((i) => evaluateTracks(i.cfg.tracks, i.trackStatus).faults.length > 0);
    groups.push({ name: g.name, members, state: anyFault ? 'FAULT' : initialGroupState(ms) });
  }
  if (issues.some((i) => i.severity === 'error')) return { ok: false, issues };
  return { ok: true, node: { instances, groups }, issues };
}

/** The routing view of an instance (interface, family, VRID, unicast peers). */
export function routeEntry(c: InstanceState['cfg']): RouteEntry {
  const e: RouteEntry = { name: c.name, family: c.family, vrid: c.vrid, unicastPeers: c.unicastPeers, primaryAddr: c.primaryAddr };
  if (c.interface !== undefined) e.interface = c.interface;
  return e;
}

/** The routing view of every instance, per instances array (carried to the next array while no
 * instance's config changes), so routing a received advert builds nothing per packet. */
const routeIndexes = new WeakMap<readonly InstanceState[], RouteIndex>();

export function routeIndexOf(instances: readonly InstanceState[]): RouteIndex {
  let r = routeIndexes.get(instances);
  if (r === undefined) {
    r = routeIndex(instances.map((i) => routeEntry(i.cfg)));
    routeIndexes.set(instances, r);
  }
  return r;
}

/** The instance named `name`, or undefined. */
export function instanceNamed(node: NodeState, name: string): InstanceState | undefined {
  const k = positionsOf(node.instances).get(name);
  const i = k === undefined ? undefined : node.instances[k];
  return i !== undefined && i.cfg.name === name ? i : undefined;
}

/** Instance name -> position, per instances array. A step keeps names and order, so the array it
 * returns shares its predecessor's index: looking an instance up costs O(1), not a Map built per step. */
const positions = new WeakMap<readonly InstanceState[], Map<string, number>>();

function positionsOf(instances: readonly InstanceState[]): Map<string, number> {
  let m = positions.get(instances);
  if (m === undefined) {
    m = new Map();
    for (let k = 0; k < instances.length; k++) m.set(instances[k]!.cfg.name, k);
    positions.set(instances, m);
  }
  return m;
}

/**
 * Instances copied on first read: a step touches one instance (or one sync group), so copying all of
 * them made each step cost O(instances) and a burst of simultaneous adverts O(instances^2).
 */
class CopyOnRead extends Map<string, InstanceState> {
  constructor(
    private readonly source: readonly InstanceState[],
    private readonly index: Map<string, number>,
  ) {
    super();
  }

  override get(name: string): InstanceState | undefined {
    let copy = super.get(name);
    if (copy === undefined) {
      const k = this.index.get(name);
      const i = k === undefined ? undefined : this.source[k];
      if (i === undefined || i.cfg.name !== name) return undefined;
      copy = { ...i, timers: { ...i.timers }, trackStatus: { ...i.trackStatus } };
      super.set(name, copy);
    }
    return copy;
  }

  /** The instances after the step: the copies the step read in place of their originals. */
  result(): InstanceState[] {
    const out = this.source.slice();
    let sameCfgs = true;
    for (const [name, copy] of this) {
      const k = this.index.get(name)!;
      if (copy.cfg !== this.source[k]!.cfg) sameCfgs = false;
      out[k] = copy;
    }
    positions.set(out, this.index);
    const routes = routeIndexes.get(this.source);
    if (routes !== undefined && sameCfgs) routeIndexes.set(out, routes);
    return out;
  }
}

function draftOf(node: NodeState, now: number): Draft {
  const insts = new CopyOnRead(node.instances, positionsOf(node.instances));
  const groups = new Map<string, SyncGroupState>();
  const groupOf = new Map<string, string>();
  for (const g of node.groups) {
    groups.set(g.name, { ...g });
    for (const m of g.members) groupOf.set(m, g.name);
  }
  return { now, insts, groups, groupOf, actions: [], sync: syncHooks };
}

function fromDraft(d: Draft, node: NodeState): NodeState {
  return {
    instances: (d.insts as CopyOnRead).result(),
    groups: node.groups.map((g) => d.groups.get(g.name) as SyncGroupState),
  };
}

/** Structural checks on a decoded advert; the message names the bad field. */
export function advertProblem(a: unknown): { where: string; message: string } | null {
  if (!a || typeof a !== 'object') return { where: 'advert', message: 'advert is not an object' };
  const v = a as Partial<Advert>;
  const intIn = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  if (v.version !== 2 && v.version !== 3) return { where: 'advert.version', message: `must be 2 or 3, got ${String(v.version)}` };
  if (v.family !== 4 && v.family !== 6) return { where: 'advert.family', message: `must be 4 or 6, got ${String(v.family)}` };
  if (!intIn(v.vrid, 1, 255)) return { where: 'advert.vrid', message: `must be an integer 1-255, got ${String(v.vrid)}` };
  if (!intIn(v.priority, 0, 255)) return { where: 'advert.priority', message: `must be an integer 0-255, got ${String(v.priority)}` };
  if (!intIn(v.advertIntervalCs, 1, 4095)) {
    return { where: 'advert.advertIntervalCs', message: `must be an integer 1-4095, got ${String(v.advertIntervalCs)}` };
  }
  const src = typeof v.srcAddr === 'string' ? addrBytes(v.srcAddr) : null;
  if (!src || src.length !== (v.family === 4 ? 4 : 16)) {
    return { where: 'advert.srcAddr', message: `not an IPv${v.family} address: ${String(v.srcAddr)}` };
  }
  if (!Array.isArray(v.addrs)) return { where: 'advert.addrs', message: 'must be a list of addresses' };
  if (v.authType !== 'none' && v.authType !== 'pass' && v.authType !== 'ah') {
    return { where: 'advert.authType', message: `unknown authentication ${String(v.authType)}` };
  }
  return null;
}

function pickInstance(d: Draft, node: NodeState, name: string | undefined, where: string, acts: FsmAction[]): InstanceState | null {
  if (name === undefined) {
    if (node.instances.length === 1) return d.insts.get(node.instances[0].cfg.name) ?? null;
    acts.push({ type: 'error', where, message: 'the node has several instances: name one' });
    return null;
  }
  const i = d.insts.get(name);
  if (!i) acts.push({ type: 'error', where, message: `no instance named ${String(name)}` });
  return i ?? null;
}

/** Apply one event at time `now` (microseconds). Never mutates `node`; bad input yields an 'error' action. */
export function stepNode(node: NodeState, event: FsmEvent, now: number): StepResult<NodeState> {
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
    return { state: node, actions: [{ type: 'error', where: 'now', message: `time must be a finite number >= 0, got ${String(now)}` }] };
  }
  if (!event || typeof event !== 'object') {
    return { state: node, actions: [{ type: 'error', where: 'event', message: 'event is not an object' }] };
  }
  const d = draftOf(node, now);
  const fail = (where: string, message: string): StepResult<NodeState> => ({ state: node, actions: [{ type: 'error', where, message }] });
  switch (event.type) {
    case 'start':
      for (const i of node.instances) startInstance(d, d.insts.get(i.cfg.name) as InstanceState);
      break;
    case 'advert': {
      const bad = advertProblem(event.advert);
      if (bad) return fail(bad.where, bad.message);
      const a = event.advert;
      let name: string;
      if (event.instance !== undefined) {
        const i = d.insts.get(event.instance);
        if (!i) return fail('event.instance', `no instance named ${String(event.instance)}`);
        if (i.cfg.vrid !== a.vrid || i.cfg.family !== a.family) {
          return fail('event.instance', `${i.cfg.name} is VRID ${i.cfg.vrid} (IPv${i.cfg.family}), the advert VRID ${a.vrid} (IPv${a.family})`);
        }
        name = i.cfg.name;
      } else {
        const rx: RxMeta = { family: a.family, vrid: a.vrid, srcAddr: a.srcAddr };
        if (event.ifname !== undefined) rx.ifname = event.ifname;
        if (event.multicast !== undefined) rx.multicast = event.multicast;
        const r = routeIndexed(routeIndexOf(node.instances), rx);
        if (!r.ok) {
          d.actions.push({ type: 'discard', reason: r.detail });
          break;
        }
        name = r.name;
      }
      advertReceived(d, d.insts.get(name) as InstanceState, a);
      break;
    }
    case 'timer': {
      if (event.timer !== 'advert' && event.timer !== 'master-down' && event.timer !== 'garp-delay') {
        return fail('event.timer', `unknown timer ${String(event.timer)}`);
      }
      const errs: FsmAction[] = [];
      const i = pickInstance(d, node, event.instance, 'event.instance', errs);
      if (!i) return { state: node, actions: errs };
      timerExpired(d, i, event.timer);
      break;
    }
    case 'track': {
      if (typeof event.track !== 'string') return fail('event.track', 'track name must be a string');
      if (!validTrackStatus(event.status)) return fail('event.status', `bad track status ${String(event.status)}`);
      const users = node.instances.filter((i) => i.cfg.tracks.some((t) => t.name === event.track));
      if (users.length === 0) d.actions.push({ type: 'discard', reason: `nothing tracks ${event.track}` });
      for (const u of users) trackChanged(d, d.insts.get(u.cfg.name) as InstanceState, event.track, event.status);
      break;
    }
    case 'override': {
      const p = event.priority;
      if (p !== null && (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 254)) {
        return fail('event.priority', `override priority must be an integer 1-254 or null, got ${String(p)}`);
      }
      const errs: FsmAction[] = [];
      const i = pickInstance(d, node, event.instance, 'event.instance', errs);
      if (!i) return { state: node, actions: errs };
      if (event.takeover !== undefined && typeof event.takeover !== 'boolean') return fail('event.takeover', 'must be a boolean');
      overridePriority(d, i, p, event.takeover === true);
      break;
    }
    case 'source-address': {
      const errs: FsmAction[] = [];
      const i = pickInstance(d, node, event.instance, 'event.instance', errs);
      if (!i) return { state: node, actions: errs };
      const b = typeof event.addr === 'string' ? addrBytes(event.addr) : null;
      if (!b || b.length !== (i.cfg.family === 4 ? 4 : 16)) return fail('event.addr', `not an IPv${i.cfg.family} address: ${String(event.addr)}`);
      // Only the source changes: state, timers and VIPs stay (the next advert carries the new source).
      i.cfg = { ...i.cfg, primaryAddr: event.addr, primaryAddrBytes: b };
      break;
    }
    case 'set-backup': {
      const errs: FsmAction[] = [];
      const i = pickInstance(d, node, event.instance, 'event.instance', errs);
      if (!i) return { state: node, actions: errs };
      setBackup(d, i);
      break;
    }
    case 'shutdown':
      for (const i of node.instances) shutdownInstance(d, d.insts.get(i.cfg.name) as InstanceState);
      break;
    default:
      return fail('event.type', `unknown event type ${String((event as { type: unknown }).type)}`);
  }
  return { state: fromDraft(d, node), actions: d.actions };
}
