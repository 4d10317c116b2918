// The table keepalived would have in the kernel, from the virtual server specs and the checkers'
// verdicts. Pure: state that keepalived keeps between events (the quorum state, for hysteresis) is
// passed in and handed back. Rules, from keepalived's ipwrapper.c:
// - a real server is in the pool while it is up; with inhibit_on_failure a down one stays at weight 0;
// - before its first verdict a real server with checkers is down under alpha, up otherwise;
// - quorum: the weight sum of live servers; quorum is gained at >= quorum + hysteresis and lost
//   below quorum - hysteresis (or at 0). While lost, a sorry_server takes the pool alone (real servers
//   leave it, inhibited ones stay at weight 0); without a sorry_server nothing changes but the state;
// - sorry_server_inhibit keeps the sorry server in at weight 0 while it is not needed;
// - ha_suspend: while the VIP's VRRP instance is not MASTER the checkers are suspended, so the
//   service's destinations are held as they are (added at start-up like the others).
import { FWD } from './genl-codec.js';
import type { ServerSpec, VsSpec } from './spec.js';
import { destKey, serviceKey, type ServiceId, type Table, type TableDest, type TableService } from './table.js';

export interface CheckerState {
  up: boolean;
  /** Dynamic weight (MISC_CHECK exit codes, track files); the configured weight otherwise. */
  weight?: number;
}

export interface DesiredInput {
  specs: readonly VsSpec[];
  /** Checker verdicts by realServerKey(); a server without one is in its initial state. */
  results?: ReadonlyMap<string, CheckerState>;
  /** Quorum state per spec id from the previous call; absent at start-up. */
  quorumUp?: ReadonlyMap<string, boolean>;
  /** For ha_suspend virtual servers: does this node hold the VIP (its VRRP instance is MASTER)? */
  isMaster?: (spec: VsSpec) => boolean;
}

export interface Desired {
  table: Table;
  /** Feed back as quorumUp next time. */
  quorumUp: Map<string, boolean>;
  /** Services the reconciler must not touch if they exist (ha_suspend while not MASTER). */
  held: Set<string>;
  /** Every destination the config names per service (real and sorry servers): others are foreign. */
  managed: Map<string, Set<string>>;
}

const WEIGHT_MAX = 65535;
const clampWeight = (x: number) => Math.max(0, Math.min(WEIGHT_MAX, Math.trunc(x)));

function isUp(s: ServerSpec, results: ReadonlyMap<string, CheckerState> | undefined): boolean {
  const r = results?.get(s.key);
  if (r) return r.up;
  return !(s.alpha && s.hasCheckers);
}

function dest(s: ServerSpec, svc: ServiceId, weight: number): TableDest {
  // Direct routing and tunnels cannot change the port: the destination port is the service's.
  const port = s.fwd === FWD.MASQ ? s.port : svc.fwmark ? 0 : svc.port;
  return {
    af: s.af, addr: s.addr, port, fwd: s.fwd, weight: clampWeight(weight), uThresh: s.uThresh, lThresh: s.lThresh,
    tunType: s.fwd === FWD.TUNNEL ? s.tunType : 0, tunPort: s.fwd === FWD.TUNNEL ? s.tunPort : 0,
    tunFlags: s.fwd === FWD.TUNNEL ? s.tunFlags : 0,
  };
}

/** Next quorum state (keepalived's update_quorum_state, and set_quorum_states at start-up). */
export function nextQuorum(prev: boolean | undefined, weightSum: number, quorum: number, hysteresis: number): boolean {
  if (prev === undefined) return weightSum >= quorum + hysteresis;
  if (prev) return !(weightSum === 0 || weightSum < quorum - hysteresis);
  return weightSum >= quorum + hysteresis;
}

/** The servers in the pool of one virtual server, with their weights (service-independent). */
export function poolOf(spec: VsSpec, results: ReadonlyMap<string, CheckerState> | undefined, prevQuorum: boolean | undefined) {
  const live = spec.realServers.map((s) => ({ s, up: isUp(s, results), weight: results?.get(s.key)?.weight ?? s.weight }));
  const weightSum = live.reduce((a, x) => a + (x.up ? clampWeight(x.weight) : 0), 0);
  const quorumUp = nextQuorum(prevQuorum, weightSum, spec.quorum, spec.hysteresis);
  const sorryActive = !!spec.sorry && !quorumUp;
  const pool: { s: ServerSpec; weight: number }[] = [];
  for (const x of live) {
    if (x.up && !sorryActive) pool.push({ s: x.s, weight: x.weight });
    else if (x.s.inhibit) pool.push({ s: x.s, weight: 0 });
  }
  if (spec.sorry) {
    const same = pool.findIndex((p) => p.s.addr === spec.sorry!.addr && p.s.port === spec.sorry!.port);
    const entry = sorryActive ? { s: spec.sorry, weight: 1 } : spec.sorry.inhibit ? { s: spec.sorry, weight: 0 } : undefined;
    // A sorry server that is also a real server is that real server (keepalived: s_svr_duplicates_rs).
    if (entry && same < 0) pool.push(entry);
    else if (entry && sorryActive) pool[same] = entry;
  }
  return { pool, quorumUp, weightSum };
}

export function desiredTable(input: DesiredInput): Desired {
  const services: TableService[] = [];
  const quorumUp = new Map<string, boolean>();
  const held = new Set<string>();
  const managed = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const spec of input.specs) {
    const { pool, quorumUp: q } = poolOf(spec, input.results, input.quorumUp?.get(spec.id));
    quorumUp.set(spec.id, q);
    const hold = spec.haSuspend && input.isMaster !== undefined && !input.isMaster(spec);
    for (const id of spec.services) {
      const key = serviceKey(id);
      if (seen.has(key)) continue; // two blocks naming one service: the first wins, as in the kernel
      seen.add(key);
      if (hold) held.add(key);
      const all = [...spec.realServers, ...(spec.sorry ? [spec.sorry] : [])];
      managed.set(key, new Set(all.map((s) => destKey(dest(s, id, 0)))));
      const dests: TableDest[] = [];
      const dkeys = new Set<string>();
      for (const p of pool) {
        const d = dest(p.s, id, p.weight);
        const k = destKey(d);
        if (dkeys.has(k)) continue;
        dkeys.add(k);
        dests.push(d);
      }
      const full = id.af === 10 ? 128 : 0xffffffff;
      services.push({
        ...id, sched: spec.sched, flags: spec.flags, timeout: spec.timeout,
        netmask: spec.netmask ?? full,
        peName: spec.peName, dests,
      });
    }
  }
  return { table: { services }, quorumUp, held, managed };
}
