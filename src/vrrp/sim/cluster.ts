// A deterministic in-process VRRP cluster: N nodes running the pure state machine on a shared
// segment, driven by a virtual clock (microseconds) and a seeded PRNG. It delivers adverts as
// events, fires the timers the machines arm, applies scripted faults, and records every state
// transition and every change of VIP ownership. Nothing here touches the network or the clock.

import { createNode, stepNode, type NodeConfig, type NodeState } from '../fsm-node.js';
import type { ConfigIssue, FsmAction, FsmEvent, TimerId, VrrpState } from '../fsm-types.js';
import type { Advert } from '../types.js';
import { Segment, type LinkLoss } from './network.js';
import { Prng } from './prng.js';
import { EventQueue } from './queue.js';

export interface SimNodeSpec {
  id: string;
  config: NodeConfig;
}

export interface SimOptions {
  nodes: SimNodeSpec[];
  seed?: number;
  /** One-way delay of every link unless set per link (default 100 µs). */
  linkDelayUs?: number;
}

export interface Transition {
  at: number;
  node: string;
  instance: string;
  from: VrrpState;
  to: VrrpState;
}

export interface VipChange {
  at: number;
  node: string;
  instance: string;
  vrid: number;
  held: boolean;
}

type Item =
  | { kind: 'timer'; node: string; gen: number; instance: string; timer: TimerId }
  | { kind: 'advert'; from: string; to: string; gen: number; advert: Advert }
  | { kind: 'script'; run: () => void };

interface SimNode {
  id: string;
  config: NodeConfig;
  state: NodeState | null; // null while crashed
  gen: number;
  timers: Map<string, number>;
}

export type CreateClusterResult = { ok: true; cluster: Cluster } | { ok: false; issues: ConfigIssue[] };

export class Cluster {
  now = 0;
  readonly transitions: Transition[] = [];
  readonly vipChanges: VipChange[] = [];
  readonly segment: Segment;
  /** Events applied to state machines (the benchmark's unit of work). */
  eventsApplied = 0;
  advertsSent = 0;
  /** Observer of every action a machine emits (for tests and tracing). */
  onAction: ((node: string, action: FsmAction, at: number) => void) | null = null;
  /** Observer called after every step of a node's machines (for invariants checked at all times). */
  afterStep: ((node: string, state: NodeState, at: number) => void) | null = null;
  private readonly nodes = new Map<string, SimNode>();
  private readonly queue = new EventQueue<Item>();
  private readonly rng: Prng;

  static create(opts: SimOptions): CreateClusterResult {
    const issues: ConfigIssue[] = [];
    const ids = new Set<string>();
    for (const n of opts.nodes ?? []) {
      if (typeof n?.id !== 'string' || n.id === '' || ids.has(n.id)) {
        issues.push({ severity: 'error', where: `node ${String(n?.id)}`, message: 'node ids must be unique non-empty strings' });
        continue;
      }
      ids.add(n.id);
      const r = createNode(n.config);
      if (!r.ok) issues.push(...r.issues.map((i) => ({ ...i, where: `${n.id}:${i.where}` })));
    }
    if ((opts.nodes ?? []).length === 0) issues.push({ severity: 'error', where: 'nodes', message: 'a cluster needs at least one node' });
    if (issues.some((i) => i.severity === 'error')) return { ok: false, issues };
    return { ok: true, cluster: new Cluster(opts) };
  }

  private constructor(opts: SimOptions) {
    this.rng = new Prng(opts.seed ?? 1);
    this.segment = new Segment(this.rng, opts.linkDelayUs ?? 100);
    for (const n of opts.nodes) this.nodes.set(n.id, { id: n.id, config: n.config, state: null, gen: 0, timers: new Map() });
  }

  get nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  private node(id: string): SimNode | undefined {
    return this.nodes.get(id);
  }

  /** Bring a node up with a fresh state machine (also used to restart after a crash). */
  boot(id: string): boolean {
    const n = this.node(id);
    if (!n || n.state) return false;
    const r = createNode(n.config);
    if (!r.ok) return false;
    n.state = r.node;
    n.gen++;
    n.timers.clear();
    this.apply(n, { type: 'start' });
    return true;
  }

  bootAll(): void {
    for (const id of this.nodes.keys()) this.boot(id);
  }

  /** Power loss: no goodbye advert, VIPs gone with the machine. */
  crash(id: string): boolean {
    const n = this.node(id);
    if (!n || !n.state) return false;
    for (const i of n.state.instances) {
      if (i.state !== 'STOP' && i.state !== 'INIT') this.transitions.push({ at: this.now, node: id, instance: i.cfg.name, from: i.state, to: 'STOP' });
      if (i.vipSet) this.vipChanges.push({ at: this.now, node: id, instance: i.cfg.name, vrid: i.cfg.vrid, held: false });
    }
    n.state = null;
    n.gen++;
    n.timers.clear();
    return true;
  }

  /** Graceful stop: masters send priority 0. The node stays down until boot(). */
  shutdown(id: string): boolean {
    const n = this.node(id);
    if (!n || !n.state) return false;
    this.apply(n, { type: 'shutdown' });
    n.state = null;
    n.gen++;
    n.timers.clear();
    return true;
  }

  /** Feed an event to one node's machines now (tracks, overrides, ...). */
  inject(id: string, event: FsmEvent): FsmAction[] {
    const n = this.node(id);
    if (!n || !n.state) return [];
    return this.apply(n, event);
  }

  /** Run fn at virtual time `at` (a fault schedule). */
  at(at: number, run: () => void): void {
    this.queue.push(Math.max(at, this.now), { kind: 'script', run });
  }

  cut(a: string, b: string): void {
    this.segment.cut(a, b);
  }
  heal(a: string, b: string): void {
    this.segment.heal(a, b);
  }
  partition(groups: string[][]): void {
    this.segment.partition(groups);
  }
  healAll(): void {
    this.segment.healAll();
  }
  setLoss(loss: LinkLoss | null, a?: string, b?: string): void {
    this.segment.setLoss(loss, a, b);
  }

  /** Process every event due up to `until`; bounded by maxEvents. Returns false if the bound hit. */
  runUntil(until: number, maxEvents = 5_000_000): boolean {
    let budget = maxEvents;
    for (;;) {
      const t = this.queue.peekTime();
      if (t === undefined || t > until) break;
      if (budget-- <= 0) return false;
      const q = this.queue.pop();
      if (!q) break;
      this.now = q.at;
      this.dispatch(q.item);
    }
    this.now = Math.max(this.now, until);
    return true;
  }

  runFor(us: number, maxEvents?: number): boolean {
    return this.runUntil(this.now + us, maxEvents);
  }

  private dispatch(it: Item): void {
    if (it.kind === 'script') {
      it.run();
      return;
    }
    if (it.kind === 'timer') {
      const n = this.node(it.node);
      if (!n || !n.state || n.gen !== it.gen) return;
      const key = `${it.instance}/${it.timer}`;
      if (n.timers.get(key) !== this.now) return; // re-armed or cancelled since
      n.timers.delete(key);
      this.apply(n, { type: 'timer', instance: it.instance, timer: it.timer });
      return;
    }
    const n = this.node(it.to);
    if (!n || !n.state || n.gen !== it.gen) return;
    this.apply(n, { type: 'advert', advert: it.advert });
  }

  private apply(n: SimNode, event: FsmEvent): FsmAction[] {
    const before = n.state as NodeState;
    const r = stepNode(before, event, this.now);
    this.eventsApplied++;
    n.state = r.state;
    for (let k = 0; k < before.instances.length; k++) {
      const a = before.instances[k];
      const b = r.state.instances[k];
      if (a.state !== b.state) this.transitions.push({ at: this.now, node: n.id, instance: b.cfg.name, from: a.state, to: b.state });
    }
    for (const act of r.actions) this.perform(n, act);
    this.afterStep?.(n.id, r.state, this.now);
    return r.actions;
  }

  private perform(n: SimNode, act: FsmAction): void {
    this.onAction?.(n.id, act, this.now);
    switch (act.type) {
      case 'arm-timer': {
        n.timers.set(`${act.instance}/${act.timer}`, act.at);
        this.queue.push(act.at, { kind: 'timer', node: n.id, gen: n.gen, instance: act.instance, timer: act.timer });
        break;
      }
      case 'cancel-timer':
        n.timers.delete(`${act.instance}/${act.timer}`);
        break;
      case 'send-advert':
        this.advertsSent++;
        for (const other of this.nodes.values()) {
          if (other === n || !other.state) continue;
          const delay = this.segment.transmit(n.id, other.id);
          if (delay === null) continue;
          this.queue.push(this.now + delay, { kind: 'advert', from: n.id, to: other.id, gen: other.gen, advert: act.advert });
        }
        break;
      case 'add-vips':
      case 'remove-vips': {
        const inst = n.state?.instances.find((i) => i.cfg.name === act.instance);
        const vrid = inst?.cfg.vrid ?? 0;
        this.vipChanges.push({ at: this.now, node: n.id, instance: act.instance, vrid, held: act.type === 'add-vips' });
        break;
      }
      default:
        break;
    }
  }

  /** Current state of one instance on one node ('STOP' when the node is down). */
  stateOf(node: string, instance: string): VrrpState | undefined {
    const n = this.node(node);
    if (!n) return undefined;
    if (!n.state) return 'STOP';
    return n.state.instances.find((i) => i.cfg.name === instance)?.state;
  }

  /** The running node state (null while down), for inspection. */
  nodeState(id: string): NodeState | null {
    return this.node(id)?.state ?? null;
  }

  /** Nodes whose instance for `vrid` is MASTER right now. */
  masters(vrid: number): string[] {
    const out: string[] = [];
    for (const n of this.nodes.values()) {
      if (n.state?.instances.some((i) => i.cfg.vrid === vrid && i.state === 'MASTER')) out.push(n.id);
    }
    return out;
  }

  /** Nodes holding the VIPs of `vrid` right now, from the recorded add/remove actions. */
  vipOwners(vrid: number): string[] {
    const held = new Map<string, boolean>();
    for (const c of this.vipChanges) if (c.vrid === vrid) held.set(c.node, c.held);
    return [...held.entries()].filter(([, h]) => h).map(([id]) => id);
  }

  transitionsSince(at: number): Transition[] {
    return this.transitions.filter((t) => t.at >= at);
  }
}
