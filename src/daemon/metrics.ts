// The daemon's Prometheus metrics (prom-client): refreshed on each scrape from the VRRP child's status
// and the checker child's results (no polling in between), plus what only the event stream knows
// (transitions, checker flips), counted as the supervisor relays events. Process metrics come from
// prom-client's default collectors.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DaemonEvent, IpvsKernelStats, StatusResult, VirtualServerStatus, VrrpStateName } from '../control/protocol.js';
import { ALL_DROP_REASONS } from '../vrrp/counters.js';

const STATES: VrrpStateName[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'];

/** What the checker child answers to `status` (src/check/scheduler.ts RealServerStatus, as JSON). */
export interface CheckerSnapshot {
  realServers?: {
    vsKey: string;
    rsKey: string;
    checkers: { id: string; type: string; up: boolean; latencyMs: number; runs: number; failures: number }[];
  }[];
}

export interface MetricsSources {
  /** The daemon's status (VRRP child, plus the checker's virtual servers); throws when unavailable. */
  status(): Promise<StatusResult>;
  /** The checker child's raw results; undefined when there is no checker child. */
  checker(): Promise<CheckerSnapshot | undefined>;
}

/** keepalived's vsKey ("[192.0.2.10]:tcp:80", "FWM 7", "group web") -> the status name ("TCP 192.0.2.10:80", ...). */
export function statusNameOfVsKey(vsKey: string, names: readonly string[]): string {
  const ip = /^\[(.*)\]:([a-z]+):(\d+)$/.exec(vsKey);
  let want = vsKey;
  if (ip) want = `${ip[2]!.toUpperCase()} ${ip[1]!.includes(':') ? `[${ip[1]}]` : ip[1]}:${ip[3]}`;
  else if (vsKey.startsWith('group ')) {
    const g = `GROUP ${vsKey.slice(6)} `;
    return names.find((n) => n.startsWith(g)) ?? vsKey;
  }
  return names.includes(want) ? want : vsKey;
}

type Labels = Record<string, string>;
/** One server's kernel counters into the connections/packets/bytes counters (non-numbers read 0). */
function traffic(k: IpvsKernelStats, l: Labels, conns: Counter, packets: Counter, bytes: Counter): void {
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  conns.inc(l, n(k.connections));
  packets.inc({ ...l, direction: 'in' }, n(k.packetsIn));
  packets.inc({ ...l, direction: 'out' }, n(k.packetsOut));
  bytes.inc({ ...l, direction: 'in' }, n(k.bytesIn));
  bytes.inc({ ...l, direction: 'out' }, n(k.bytesOut));
}

function guard(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly m;
  /** Per checker, the run count last seen: a check's duration is observed once per new run seen. */
  private readonly runsSeen = new Map<string, number>();

  constructor(private readonly sources: MetricsSources, version: string) {
    const r = [this.registry];
    const g = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: r });
    const c = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: r });
    collectDefaultMetrics({ register: this.registry });
    g('keepalived_build_info', 'Always 1; the daemon version as a label', ['version']).set({ version }, 1);
    const inst = ['instance'];
    this.m = {
      sourceUp: g('keepalived_scrape_source_up', 'Whether the last scrape could read this source (vrrp, checker)', ['source']),
      state: g('keepalived_vrrp_state', 'VRRP instance state, one-hot: 1 for the current state', ['instance', 'vrid', 'interface', 'state']),
      effective: g('keepalived_vrrp_effective_priority', 'Priority advertised now (tracking and overrides applied)', inst),
      configured: g('keepalived_vrrp_configured_priority', 'Priority from keepalived.conf', inst),
      override: g('keepalived_vrrp_override_priority', 'Priority imposed by promote/demote (absent without one)', inst),
      masterPriority: g('keepalived_vrrp_master_priority', "The master's advertised priority (0 when none heard)", inst),
      vipSet: g('keepalived_vrrp_vips_set', 'Whether the VIPs are configured on the host now', inst),
      sent: c('keepalived_vrrp_adverts_sent_total', 'VRRP adverts sent', inst),
      received: c('keepalived_vrrp_adverts_received_total', 'VRRP adverts received and accepted', inst),
      becameMaster: c('keepalived_vrrp_become_master_total', 'Times the instance became MASTER', inst),
      releasedMaster: c('keepalived_vrrp_release_master_total', 'Times the instance left MASTER', inst),
      pri0Sent: c('keepalived_vrrp_priority_zero_sent_total', 'Priority-0 adverts sent (stepping down)', inst),
      pri0Rcvd: c('keepalived_vrrp_priority_zero_received_total', 'Priority-0 adverts received', inst),
      drops: c('keepalived_vrrp_dropped_total', 'Received VRRP packets dropped, by reason', ['instance', 'reason']),
      unattributed: c('keepalived_vrrp_unattributed_dropped_total', 'Received packets no instance owns, by socket and reason', ['interface', 'family', 'reason']),
      transitions: c('keepalived_vrrp_transitions_total', 'VRRP state transitions seen since the daemon started', ['instance', 'from', 'to']),
      track: g('keepalived_vrrp_track_status', 'Tracked object: 1 up, 0 down, a track_file value, -1 before its first result', ['instance', 'kind', 'track']),
      groupState: g('keepalived_vrrp_sync_group_state', 'Sync group state, one-hot', ['group', 'state']),
      ipvs: g('keepalived_ipvs_available', "Whether the kernel's IPVS table is being kept", []),
      quorum: g('keepalived_virtual_server_quorum_up', 'Whether the virtual server has quorum', ['virtual_server']),
      rsUp: g('keepalived_real_server_up', 'Real server up (1) or down (0) by its checkers', ['virtual_server', 'real_server']),
      rsWeight: g('keepalived_real_server_weight', 'Weight the checkers give the real server', ['virtual_server', 'real_server']),
      rsTable: g('keepalived_real_server_ipvs_weight', "The real server's weight in the kernel's IPVS table (absent when not in it)", ['virtual_server', 'real_server']),
      // The kernel's IPVS counters (status kernelStats); they restart at 0 when a service is re-created.
      vsConns: c('keepalived_ipvs_virtual_server_connections_total', 'Connections the kernel scheduled for the virtual server', ['virtual_server']),
      vsPackets: c('keepalived_ipvs_virtual_server_packets_total', 'Packets through the virtual server, by direction (in, out)', ['virtual_server', 'direction']),
      vsBytes: c('keepalived_ipvs_virtual_server_bytes_total', 'Bytes through the virtual server, by direction (in, out)', ['virtual_server', 'direction']),
      rsConns: c('keepalived_ipvs_real_server_connections_total', 'Connections the kernel scheduled to the real server', ['virtual_server', 'real_server']),
      rsPackets: c('keepalived_ipvs_real_server_packets_total', 'Packets to/from the real server, by direction (in, out)', ['virtual_server', 'real_server', 'direction']),
      rsBytes: c('keepalived_ipvs_real_server_bytes_total', 'Bytes to/from the real server, by direction (in, out)', ['virtual_server', 'real_server', 'direction']),
      checkerUp: g('keepalived_checker_up', 'Health checker result: 1 success, 0 failure', ['virtual_server', 'real_server', 'checker', 'index']),
      checkerRuns: c('keepalived_checker_runs_total', 'Health checks run', ['virtual_server', 'real_server', 'checker', 'index']),
      checkerFailures: c('keepalived_checker_failures_total', 'Health checks failed', ['virtual_server', 'real_server', 'checker', 'index']),
      checkerFlips: c('keepalived_checker_changes_total', 'Health checker results that changed (events)', ['virtual_server', 'real_server', 'checker', 'result']),
      checkDuration: new Histogram({
        name: 'keepalived_check_duration_seconds',
        help: "Health check duration: each checker's latest check, once per new run seen at a scrape",
        labelNames: ['checker'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: r,
      }),
    };
  }

  /** Events the supervisor relays: what status does not keep (each transition, each checker flip). */
  onEvent(e: DaemonEvent): void {
    if (e.type === 'transition') this.m.transitions.inc({ instance: e.instance, from: e.transition.from, to: e.transition.to });
    else if (e.type === 'checker') this.m.checkerFlips.inc({ virtual_server: e.virtualServer, real_server: e.realServer, checker: e.checker, result: e.up ? 'up' : 'down' });
  }

  /** The exposition text, after refreshing from the sources. Never throws: a missing source reads 0. */
  async scrape(): Promise<string> {
    let status: StatusResult | undefined;
    let checker: CheckerSnapshot | undefined;
    try {
      status = await this.sources.status();
    } catch {
      status = undefined;
    }
    try {
      checker = await this.sources.checker();
    } catch {
      checker = undefined;
    }
    // A source of the wrong shape (a bug elsewhere) reads as down rather than failing the scrape.
    const vrrpOk = guard(() => this.refreshVrrp(status)) && guard(() => this.refreshServers(status?.virtualServers, status?.ipvs));
    if (!vrrpOk) this.refreshVrrp(undefined);
    const checkerOk = guard(() => this.refreshCheckers(checker, (status?.virtualServers ?? []).map((v) => v.name)));
    this.m.sourceUp.set({ source: 'vrrp' }, vrrpOk && status?.instances ? 1 : 0);
    this.m.sourceUp.set({ source: 'checker' }, checkerOk && checker ? 1 : 0);
    return this.registry.metrics();
  }

  private refreshVrrp(s: StatusResult | undefined): void {
    const m = this.m;
    for (const x of [m.state, m.effective, m.configured, m.override, m.masterPriority, m.vipSet, m.sent, m.received, m.becameMaster, m.releasedMaster, m.pri0Sent, m.pri0Rcvd, m.drops, m.unattributed, m.track, m.groupState]) x.reset();
    if (!s) return;
    for (const i of s.instances ?? []) {
      const l = { instance: i.name };
      for (const st of STATES) m.state.set({ instance: i.name, vrid: String(i.vrid), interface: i.interface, state: st }, i.state === st ? 1 : 0);
      m.effective.set(l, i.priority.effective);
      m.configured.set(l, i.priority.configured);
      if (i.priority.override !== null) m.override.set(l, i.priority.override);
      if (i.keepalived) {
        m.masterPriority.set(l, i.keepalived.masterPriority);
        m.vipSet.set(l, i.keepalived.vipSet ? 1 : 0);
      }
      const k = i.counters;
      m.sent.inc(l, k.advertsSent);
      m.received.inc(l, k.advertsReceived);
      m.becameMaster.inc(l, k.becameMaster);
      m.releasedMaster.inc(l, k.releasedMaster);
      m.pri0Sent.inc(l, k.priorityZeroSent);
      m.pri0Rcvd.inc(l, k.priorityZeroReceived);
      // Every reason is exported (0 included) so alerts can use rate() from the first scrape.
      const reasons = new Set<string>([...ALL_DROP_REASONS, ...Object.keys(k.drops)]);
      for (const reason of reasons) m.drops.inc({ instance: i.name, reason }, Math.max(0, k.drops[reason] ?? 0));
      for (const t of i.tracks) {
        m.track.set({ instance: i.name, kind: t.kind, track: t.name }, t.status === 'init' ? -1 : typeof t.status === 'number' ? t.status : t.status ? 1 : 0);
      }
    }
    for (const d of s.unattributedDrops ?? []) m.unattributed.inc({ interface: d.interface, family: String(d.family), reason: d.reason }, Math.max(0, d.count));
    for (const g of s.syncGroups ?? []) for (const st of STATES) m.groupState.set({ group: g.name, state: st }, g.state === st ? 1 : 0);
  }

  private refreshServers(vss: VirtualServerStatus[] | undefined, ipvs: StatusResult['ipvs']): void {
    const m = this.m;
    for (const x of [m.quorum, m.rsUp, m.rsWeight, m.rsTable, m.checkerUp, m.ipvs, m.vsConns, m.vsPackets, m.vsBytes, m.rsConns, m.rsPackets, m.rsBytes]) x.reset();
    if (ipvs) m.ipvs.set(ipvs.available ? 1 : 0);
    for (const vs of vss ?? []) {
      m.quorum.set({ virtual_server: vs.name }, vs.quorumUp ? 1 : 0);
      if (vs.kernelStats) traffic(vs.kernelStats, { virtual_server: vs.name }, m.vsConns, m.vsPackets, m.vsBytes);
      for (const rs of vs.realServers) {
        const l = { virtual_server: vs.name, real_server: rs.address };
        m.rsUp.set(l, rs.up ? 1 : 0);
        m.rsWeight.set(l, rs.weight);
        if (rs.tableWeight !== null) m.rsTable.set(l, rs.tableWeight);
        if (rs.kernelStats) traffic(rs.kernelStats, l, m.rsConns, m.rsPackets, m.rsBytes);
        rs.checkers.forEach((c, index) => m.checkerUp.set({ ...l, checker: c.type, index: String(index) }, c.up ? 1 : 0));
      }
    }
  }

  private refreshCheckers(snap: CheckerSnapshot | undefined, names: string[]): void {
    const m = this.m;
    m.checkerRuns.reset();
    m.checkerFailures.reset();
    for (const rs of snap?.realServers ?? []) {
      const vs = statusNameOfVsKey(rs.vsKey, names);
      const real = rs.rsKey.startsWith(rs.vsKey + '|') ? rs.rsKey.slice(rs.vsKey.length + 1) : rs.rsKey;
      rs.checkers.forEach((c, index) => {
        const l = { virtual_server: vs, real_server: real, checker: c.type, index: String(index) };
        m.checkerRuns.inc(l, Math.max(0, c.runs));
        m.checkerFailures.inc(l, Math.max(0, c.failures));
        const seen = this.runsSeen.get(c.id) ?? 0;
        if (c.runs > seen) m.checkDuration.observe({ checker: c.type }, Math.max(0, c.latencyMs) / 1000);
        this.runsSeen.set(c.id, c.runs);
      });
    }
  }
}
