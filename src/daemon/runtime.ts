// The VRRP runtime: drives the pure node state machine (src/vrrp/fsm) with real (or fake) I/O.
// Packets in -> decode + validate -> stepNode; actions out -> sockets, rtnetlink, announcer,
// timers, logs and control-socket events. All I/O is injected (RuntimeDeps) so tests run it on fakes.
import type { DaemonEvent, InstanceStatus, OverrideResult, StatusResult, Transition, VrrpStateName } from '../control/protocol.js';
import type { AddressEvent, AddressInfo, Announcer, LinkInfo, OpenVrrpSocket, Rtnl, VrrpPacketIn, VrrpSocket } from '../net/types.js';
import { Counters } from '../vrrp/counters.js';
import { createNode, stepNode, type FsmAction, type FsmEvent, type NodeState } from '../vrrp/fsm.js';
import { instanceNamed, routeIndexOf } from '../vrrp/fsm-node.js';
import { routeIndexed } from '../vrrp/fsm-route.js';
import type { Clock, TimerHandle } from './clock.js';
import { fsmConfig, IF_TRACK_PREFIX, OPERATOR_FAULT_PREFIX, SRC_ADDR_PREFIX, type VrrpPlan } from './instance-config.js';
import type { Logger } from './log.js';
import { dropExpired, effectOf, emptyStore, retainInstances, type OverrideKind, type OverrideStore } from './overrides.js';
import { armExpiry, setOverride } from './runtime-overrides.js';
import { catchUp, chooseSource, noSource, noSourceMessage, onAddressEvent } from './runtime-addrs.js';
import { performAction } from './runtime-actions.js';
import { reloadRuntime } from './runtime-reload.js';
import { asBase, reloadRoutes, routesOnLink, sendIfname, startRoutes, staticAddressEvent, stopRoutes } from './runtime-routes.js';
import { changeVips, checkPacket, type InstanceIo, rxMetaOf, socketKey } from './runtime-io.js';
import { buildStatus } from './runtime-status.js';
import { allRefs, TrackerManager, type TrackerDeps } from './track-manager.js';
import { onTrackerChange, withTrackers } from './track-runtime.js';

export interface RuntimeDeps {
  openVrrpSocket: OpenVrrpSocket;
  announcer: Announcer;
  rtnl: Rtnl;
  clock: Clock;
  log: Logger;
  onEvent?: (e: DaemonEvent) => void;
  /** Persists the override store; returns an error text or null. */
  persistOverrides?: (s: OverrideStore) => string | null;
  /** Tracker I/O (scripts, files, /proc) for tests; real by default. */
  tracking?: Partial<Omit<TrackerDeps, 'clock' | 'log'>>;
}

export interface RuntimeInfo {
  daemonPid: number;
  daemonVersion: string;
  configFile: string;
  configId: string;
  startedAt: string;
}

export type StartResult = { ok: true } | { ok: false; error: string };
export type OverrideOutcome = { ok: true; result: OverrideResult } | { ok: false; error: string };

export class VrrpRuntime {
  node: NodeState | null = null;
  readonly ios = new Map<string, InstanceIo>();
  readonly lastState = new Map<string, VrrpStateName>();
  readonly transitions = new Map<string, Transition>();
  readonly linkUp = new Map<string, boolean>();
  /** Drops that belong to no instance (unknown VRID, unreadable), per socket. */
  readonly socketDrops = new Map<string, Counters>();
  /** The interfaces' addresses: listed at start, then kept up to date from the watch. */
  addrs: AddressInfo[] = [];
  /** Address events seen before the first listing, replayed in order after it. */
  private earlyAddrs: AddressEvent[] | null = [];
  /** Watch events received (catchUp retries when one arrives while it lists). */
  netEvents = 0;
  store: OverrideStore;
  // Internal, shared with runtime-overrides.ts and runtime-reload.ts.
  readonly sockets = new Map<string, VrrpSocket>();
  /** The options each socket was opened with (multicast joined, AH), to see when they must change. */
  readonly socketOpts = new Map<string, string>();
  readonly timers = new Map<string, TimerHandle>();
  /** Pending repeats of gratuitous ARP/NA bursts (runtime-actions.ts); cancelled at stop. */
  readonly garpTimers = new Set<TimerHandle>();
  expiryTimer: TimerHandle | null = null;
  private watcher: { close(): void } | null = null;
  private ioQueue: Promise<void> = Promise.resolve();
  /** Who last sent priority 0 per instance (names the master-down reason). */
  readonly lastPrio0 = new Map<string, string>();
  stopping = false;
  /** vrrp_script / track_file / vrrp_track_process / track_bfd (track-manager.ts). */
  readonly trackers: TrackerManager;

  constructor(public plan: VrrpPlan, readonly deps: RuntimeDeps, overrides: OverrideStore = emptyStore()) {
    this.store = overrides;
    this.trackers = new TrackerManager({ clock: deps.clock, log: deps.log, ...deps.tracking }, (k, kind, s, why) => onTrackerChange(this, k, kind, s, why));
  }

  get log(): Logger {
    return this.deps.log;
  }

  emit(e: DaemonEvent): void {
    try {
      this.deps.onEvent?.(e);
    } catch {
      // a listener's failure is not the runtime's
    }
  }

  /** Serialises network I/O so its order follows the actions' order. */
  queue(fn: () => Promise<void>): void {
    this.ioQueue = this.ioQueue.then(fn).catch((e: unknown) => this.log.log('err', `I/O failed: ${(e as Error)?.message ?? String(e)}`));
  }

  /** Resolves when every queued I/O action is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.ioQueue;
  }

  async start(): Promise<StartResult> {
    const { rtnl } = this.deps;
    // Watch first, then list. The first election does not wait for the watch to report (`ready`):
    // once it does, links and addresses are listed again and any difference applied (catchUp).
    const w = rtnl.watch((e) => {
      this.netEvents++;
      if (e.type === 'link') this.onLink(e.link, e.removed);
      else if (this.earlyAddrs) this.earlyAddrs.length < 10_000 && this.earlyAddrs.push(e);
      else {
        onAddressEvent(this, e);
        staticAddressEvent(this, e);
      }
    });
    if (w.ok) this.watcher = w.value;
    else this.log.log('warning', `interface tracking unavailable: ${w.error}`);
    await startRoutes(this); // VMACs and static_* first: the listings below then include them
    const links = await rtnl.listLinks();
    if (!links.ok) return { ok: false, error: `cannot list interfaces: ${links.error}` };
    for (const l of links.value) this.linkUp.set(l.ifname, l.up && l.running);
    let addrs = await rtnl.listAddresses();
    if (!addrs.ok) return { ok: false, error: `cannot list addresses: ${addrs.error}` };
    await this.removeLeftoverVips(addrs.value);
    addrs = await rtnl.listAddresses();
    if (!addrs.ok) return { ok: false, error: `cannot list addresses: ${addrs.error}` };
    this.addrs = addrs.value;
    for (const e of this.earlyAddrs ?? []) onAddressEvent(this, e);
    this.earlyAddrs = null;

    const expired = dropExpired(this.store, this.deps.clock.wallMs());
    const kept = retainInstances(expired.store, new Set(this.plan.instances.map((i) => i.name)));
    this.store = kept.store;
    for (const n of [...expired.expired, ...kept.dropped]) this.log.log('info', `(${n}) operator override dropped (expired or instance gone)`);

    this.trackers.prepare(this.plan.trackers, allRefs(this.plan.instances), false);
    const configs = this.plan.instances.map((p) => {
      const found = chooseSource(this, p, this.addrs);
      if (found === null && this.linkUp.has(p.ifname)) this.log.log('err', noSourceMessage(p));
      const primary = found ?? noSource(p.family);
      this.ios.set(p.name, {
        plan: p, primaryAddr: primary, counters: new Counters(), ipId: 0, ahSeq: 0, peerAhSeq: 0,
        advertsSent: 0, priorityZeroSent: 0, becameMaster: 0, releasedMaster: 0,
      });
      const initialTrackStatus: Record<string, boolean> = {};
      for (const t of p.tracks) initialTrackStatus[IF_TRACK_PREFIX + t.ifname] = this.linkUp.get(t.ifname) ?? false;
      initialTrackStatus[OPERATOR_FAULT_PREFIX + p.name] = !effectOf(this.store.overrides[p.name]).fault;
      initialTrackStatus[SRC_ADDR_PREFIX + p.name] = found !== null;
      if (!this.linkUp.has(p.ifname)) this.log.log('err', `(${p.name}) interface ${p.ifname} does not exist; instance in FAULT until it appears`);
      return withTrackers(this.trackers, p, { ...fsmConfig(p, primary), initialTrackStatus });
    });
    const created = createNode({ instances: configs, syncGroups: this.plan.syncGroups });
    for (const i of created.issues) this.log.log(i.severity === 'error' ? 'err' : 'warning', `${i.where}: ${i.message}`);
    if (!created.ok) return { ok: false, error: created.issues.filter((i) => i.severity === 'error').map((i) => `${i.where}: ${i.message}`).join('; ') };
    this.node = created.node;
    for (const p of this.plan.instances) {
      this.lastState.set(p.name, 'INIT');
      const prio = effectOf(this.store.overrides[p.name]).priority;
      const o = this.store.overrides[p.name];
      if (prio !== null) this.dispatch({ type: 'override', instance: p.name, priority: prio, takeover: o?.kind === 'promote' }, 'operator override (restored)');
    }

    for (const l of links.value) {
      const r = this.ensureSockets(l.ifname);
      if (!r.ok) return r;
    }
    this.dispatch({ type: 'start' }, 'start-up');
    this.trackers.run();
    armExpiry(this);
    if (w.ok && w.value.ready) void w.value.ready.then(() => catchUp(this), () => undefined);
    return { ok: true };
  }

  /** keepalived removes its VIPs that a previous run left on the interfaces before the first election. */
  private async removeLeftoverVips(present: AddressInfo[]): Promise<void> {
    for (const p of this.plan.instances) {
      if (p.fsm.priority === 255) continue; // an address owner's VIP is the interface's own address
      for (const v of p.vips) {
        if (!present.some((a) => a.ifname === v.ifname && a.addr === v.addr)) continue;
        this.log.log('info', `(${p.name}) removing leftover VIP ${v.addr} from ${v.ifname}`);
        await changeVips(this.deps.rtnl, p, [v.addr], false, this.log);
      }
    }
  }

  /**
   * Opens the VRRP socket(s) an interface needs, if it exists and they are not open yet. A socket whose
   * options no longer fit its users (a reload turned multicast into unicast, or AH on) is replaced:
   * the new one opens before the old one closes, so no advert is lost in between.
   */
  ensureSockets(ifname: string): StartResult {
    for (const family of [4, 6] as const) {
      const key = socketKey(ifname, family);
      // A use_vmac instance sends and receives on its vmac, as keepalived (unless vmac_xmit_base).
      const users = this.plan.instances.filter((p) => sendIfname(p) === ifname && p.family === family);
      if (users.length === 0) continue;
      const joinMulticast = users.some((u) => u.unicastPeers.length === 0);
      const ah = family === 4 && users.some((u) => u.check.authType === 'ah');
      const opts = `${joinMulticast}/${ah}`;
      const old = this.sockets.get(key);
      if (old && this.socketOpts.get(key) === opts) continue;
      const r = this.deps.openVrrpSocket(
        { family, ifname, joinMulticast, ah },
        (pkt) => this.onPacket(asBase(this.plan, pkt)),
        (err) => this.log.log('err', `VRRP socket on ${ifname} (IPv${family}): ${err}`),
      );
      if (!r.ok) return { ok: false, error: `cannot open VRRP socket on ${ifname} (IPv${family}): ${r.error}` };
      old?.close();
      this.sockets.set(key, r.value);
      this.socketOpts.set(key, opts);
    }
    return { ok: true };
  }

  onLink(link: LinkInfo, removed: boolean): void {
    if (this.stopping) return;
    const up = !removed && link.up && link.running;
    const was = this.linkUp.get(link.ifname);
    this.linkUp.set(link.ifname, up);
    if (!this.node) return; // still starting: the state machine is created from linkUp
    if (!removed) {
      const r = this.ensureSockets(link.ifname);
      if (!r.ok) this.log.log('err', r.error);
    }
    if (was === up) return;
    routesOnLink(this, link.ifname, up);
    const tracked = this.plan.instances.some((p) => p.tracks.some((t) => t.ifname === link.ifname));
    if (!tracked) return;
    this.log.log('info', `Netlink reports ${link.ifname} ${up ? 'up' : 'down'}`);
    this.dispatch({ type: 'track', track: IF_TRACK_PREFIX + link.ifname, status: up }, `interface ${link.ifname} ${up ? 'up' : 'down'}`);
    for (const p of this.plan.instances) {
      const t = p.tracks.find((x) => x.ifname === link.ifname);
      if (t) this.emit({ type: 'track', instance: p.name, track: { name: t.ifname, kind: 'interface', weight: t.weight, status: up } });
    }
  }

  onPacket(pkt: VrrpPacketIn): void {
    if (this.stopping || !this.node) return;
    const rx = rxMetaOf(pkt);
    const route = rx.ok ? routeIndexed(routeIndexOf(this.node.instances), rx.meta) : null;
    if (!rx.ok || !route?.ok) {
      const key = socketKey(pkt.ifname, pkt.family);
      let c = this.socketDrops.get(key);
      if (!c) this.socketDrops.set(key, (c = new Counters()));
      c.drop(rx.ok ? 'vrid_unknown' : rx.reason);
      if (this.log.detail) this.log.log('debug', `${pkt.ifname}: dropped packet: ${rx.ok ? (route as { detail: string }).detail : rx.detail}`);
      return;
    }
    const name = route.name;
    const inst = instanceNamed(this.node, name) as NodeState['instances'][number];
    const io = this.ios.get(name) as InstanceIo;
    const r = checkPacket(io, pkt, inst.state, inst.masterAddr, this.ownAddrs());
    if (!r.ok) {
      if (r.reason !== 'own_packet') this.log.log('debug', `(${name}) dropped advert: ${r.reason}: ${r.detail}`);
      return;
    }
    const a = r.advert;
    let reason = `advert from ${a.srcAddr} (priority ${a.priority})`;
    if (a.priority === 0) {
      this.lastPrio0.set(name, a.srcAddr);
      if (inst.state === 'BACKUP') this.log.log('info', `(${name}) Backup received priority 0 advertisement`);
      else if (inst.state === 'MASTER') this.log.log('info', `(${name}) Master received priority 0 message`);
    } else {
      this.lastPrio0.delete(name);
      if (inst.state === 'MASTER' && a.priority > inst.effectivePriority) {
        this.log.log('info', `(${name}) Master received advert from ${a.srcAddr} with higher priority ${a.priority}, ours ${inst.effectivePriority}`);
        reason = `higher priority advert from ${a.srcAddr} (${a.priority} > ${inst.effectivePriority})`;
      } else if (inst.state === 'MASTER' && a.priority === inst.effectivePriority) {
        reason = `equal priority advert from higher address ${a.srcAddr}`;
      }
    }
    this.dispatch({ type: 'advert', advert: a, instance: name }, reason);
  }

  /** Every instance's advert source, once each: instances on one interface share it, and validation
   * compares a packet's source with each. */
  ownAddrs(): string[] {
    const seen = new Set<string>();
    for (const io of this.ios.values()) seen.add(io.primaryAddr);
    return [...seen];
  }

  /** One state machine step and its actions. `reason` explains transitions it causes. */
  dispatch(ev: FsmEvent, reason: string): void {
    if (!this.node) return;
    const r = stepNode(this.node, ev, this.deps.clock.nowUs());
    this.node = r.state;
    for (const a of r.actions) this.perform(a, ev, reason);
  }

  /** Carries out one state machine action (runtime-actions.ts). */
  perform(a: FsmAction, ev: FsmEvent, reason: string): void {
    performAction(this, a, ev, reason);
  }

  /** promote / demote / demote --fault / clear (kind null) on the instance's whole sync group. */
  setOverride(instance: string, kind: OverrideKind | null, forMs?: number): OverrideOutcome {
    return setOverride(this, instance, kind, forMs);
  }

  /** Applies a new plan in place: unchanged instances keep their state, timers and VIPs. */
  async reload(plan: VrrpPlan): Promise<StartResult> {
    const oldPlan = this.plan;
    const r = await reloadRuntime(this, plan);
    if (r.ok) await reloadRoutes(this, oldPlan); // static_*, VMACs (runtime-routes.ts)
    return r;
  }

  status(info: RuntimeInfo): StatusResult {
    return buildStatus(this, info);
  }

  statusOf(name: string): InstanceStatus | undefined {
    return buildStatus(this, null).instances.find((i) => i.name === name);
  }

  /** Graceful stop: priority-0 adverts from masters, VIPs removed, sockets closed. */
  async stop(): Promise<void> {
    if (this.stopping) return this.ioQueue;
    if (this.node) this.dispatch({ type: 'shutdown' }, 'daemon stopping');
    this.stopping = true;
    const trackersStopped = this.trackers.stop();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const t of this.garpTimers) t.cancel();
    this.garpTimers.clear();
    this.expiryTimer?.cancel();
    await this.ioQueue;
    await stopRoutes(this);
    this.watcher?.close();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    this.socketOpts.clear();
    await trackersStopped;
  }
}
