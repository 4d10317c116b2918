// The checker child's IPVS side (keepalived's ipwrapper): checker verdicts -> desiredTable -> plan ->
// kernel, on every real server change (coalesced: a burst is one pass, one pass at a time), at start
// (adopting what is already in the kernel; lvs_flush flushes first), on reload (new specs, services
// the old config made and the new one drops are deleted; unchanged ones untouched) and at stop
// (shutdownPlan per lvs_flush_on_stop). Also quorum_up/quorum_down scripts, ha_suspend from relayed
// VRRP states, and the lvs_sync_daemon (ipvs-syncd.ts). The kernel is injected (IpvsClient, or reconcile.ts's
// applyOps in tests); a kernel without IPVS is said once and the checkers keep running.
import type { KeepalivedConfig } from '../config/model.js';
import type { RealServerEntry, VirtualServerStatus } from '../control/protocol.js';
import type { RealServerStatus } from '../check/scheduler.js';
import { checkerKeys, checkerVsKeys, ipvsGlobals, vipOwners, vsScripts, type IpvsGlobals, type VsScripts } from '../ipvs/daemon-config.js';
import { desiredTable, poolOf, type CheckerState, type Desired } from '../ipvs/desired.js';
import { FWD } from '../ipvs/genl-codec.js';
import type { Result } from '../net/nlattr.js';
import { applyOps, describeOp, plan, shutdownPlan, type Op } from '../ipvs/reconcile.js';
import { specsFromConfig, type ServerSpec, type VsSpec } from '../ipvs/spec.js';
import { hostPort, serviceKey, type Table } from '../ipvs/table.js';
import type { LogLevel } from './ipc.js';
import { readStatsTable, StatsCache, statsOfSpec, type IpvsStatsSource, type StatsTable } from './ipvs-stats.js';
import { IpvsSyncDaemon, type SyncDaemonKernel } from './ipvs-syncd.js';
import type { NotifyScript } from './notify-config.js';

/** What the service needs of the kernel (IpvsClient has it all; the stats dump is optional). */
export interface IpvsKernel extends Partial<IpvsStatsSource>, SyncDaemonKernel {
  readTable(): Promise<Result<Table>>;
  apply(ops: readonly Op[]): Promise<{ done: number; errors: string[] }>;
  close(): void;
}

export interface IpvsServiceDeps {
  open(): Promise<Result<IpvsKernel>>;
  /** The checkers' verdicts now, by the checkers' key (src/check/keys.ts). */
  results(): ReadonlyMap<string, CheckerState>;
  /** The checker keys with a verdict since the checkers (re)started; until then a reload keeps the old verdict. */
  checked?(): ReadonlySet<string>;
  log(level: LogLevel, message: string): void;
  /** Runs a notify script (quorum_up/quorum_down; `stopping`: omega at stop, bounded to 1 s); never waits. */
  runScript(script: NotifyScript, why: string, stopping?: boolean): void;
  /** Settles a script's user and security at config load (keepalived's check_check_script_security). */
  checkScript?(script: NotifyScript, why: string): void;
  /** ha_suspend: suspends or resumes the checkers of a virtual server (checkers' vsKey); how many changed. */
  suspendCheckers?(vsKey: string, on: boolean): number;
  /** A virtual server's quorum changed (keepalived's notify_fifo_vs): its FMT_VS name (checkers' vsKey), new state. */
  quorumChanged?(vsKey: string, up: boolean): void;
  /** A burst of changes within this window is one pass (default 20 ms). */
  coalesceMs?: number;
}

const MAX_PASSES_IN_A_ROW = 50;
/** A pass that could not read the table or apply every operation is retried, 1 s doubling to 30 s. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class IpvsService {
  private kernel: IpvsKernel | undefined;
  private unavailable: string | undefined;
  private specs: VsSpec[] = [];
  private globals: IpvsGlobals = { lvsFlush: false, flushOnStop: 'none', problems: [] };
  private scripts = new Map<string, VsScripts>();
  private owners = new Map<string, string>();
  /** Virtual server id -> the checkers' vsKey; and the vsKeys whose checkers are suspended now. */
  private checkerVs = new Map<string, string>();
  private suspendedVs = new Set<string>();
  /** IPVS real server key -> the checkers' key for it. */
  private keys = new Map<string, string>();
  private readonly vrrpStates = new Map<string, string>();
  private quorumUp: Map<string, boolean> | undefined;
  private desired: Desired | undefined;
  /** The table as it was after the last pass (what status shows). */
  private table: Table | undefined;
  private stale = new Set<string>();
  /** Verdicts of the last pass, and those carried over a reload until the restarted checkers report. */
  private lastResults = new Map<string, CheckerState>();
  private carried = new Map<string, CheckerState>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = 0;
  private running: Promise<void> | undefined;
  private dirty = false;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private readonly syncd = new IpvsSyncDaemon((level, message) => this.deps.log(level, message));
  /** Passes run and operations applied so far (tests and logs). */
  passes = 0;
  operations = 0;
  problems: string[] = [];
  /** The kernel's counters for status: one dump at most once a second (ipvs-stats.ts). */
  readonly stats = new StatsCache(() => readStatsTable(this.kernel as IpvsStatsSource), Date.now, undefined, (e) => this.deps.log('debug', `IPVS: ${e}`));

  constructor(private readonly deps: IpvsServiceDeps) {}

  /** The kernel's counters now (fresh within a second); undefined without IPVS or when the read fails. */
  kernelStats(): Promise<StatsTable | undefined> {
    const k = this.kernel;
    return k?.listServices && k.listDests && this.state === 'started' ? this.stats.get() : Promise.resolve(undefined);
  }

  get available(): { available: boolean; detail?: string } {
    return this.kernel ? { available: true } : { available: false, ...(this.unavailable ? { detail: this.unavailable } : {}) };
  }

  private configure(cfg: KeepalivedConfig): void {
    const { specs, problems } = specsFromConfig(cfg);
    this.specs = specs;
    this.globals = ipvsGlobals(cfg);
    const scriptProblems: string[] = [];
    this.scripts = vsScripts(cfg, scriptProblems);
    this.owners = vipOwners(cfg);
    this.keys = checkerKeys(cfg);
    this.checkerVs = checkerVsKeys(cfg);
    this.problems = [...problems, ...this.globals.problems, ...scriptProblems];
    for (const p of this.problems) this.deps.log('warning', `IPVS: ${p}`);
    for (const [id, s] of this.scripts) {
      if (s.quorumUp) this.deps.checkScript?.(s.quorumUp, `VS ${id}`);
      if (s.quorumDown) this.deps.checkScript?.(s.quorumDown, `VS ${id}`);
    }
    this.suspendCheckers();
  }

  /** keepalived suspends an ha_suspend virtual server's checkers while its address is not here. */
  private suspendCheckers(): void {
    const want = new Set<string>();
    for (const spec of this.specs) {
      const k = this.checkerVs.get(spec.id);
      if (k !== undefined && spec.haSuspend && !this.isMaster(spec)) want.add(k);
    }
    for (const k of this.suspendedVs) {
      if (want.has(k)) continue;
      if (this.deps.suspendCheckers?.(k, false)) this.deps.log('info', `Activating healthcheckers for VS ${k}`);
    }
    for (const k of want) {
      if (this.suspendedVs.has(k)) continue;
      if (this.deps.suspendCheckers?.(k, true)) this.deps.log('info', `Suspending healthcheckers for VS ${k}`);
    }
    this.suspendedVs = want;
  }

  /** Opens the kernel side, adopts (or, with lvs_flush, flushes) its table and programs it. */
  async start(cfg: KeepalivedConfig, vrrpStates: Readonly<Record<string, string>> = {}): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    for (const [k, v] of Object.entries(vrrpStates)) this.vrrpStates.set(k, v);
    this.configure(cfg);
    const o = await this.deps.open();
    if (!o.ok) {
      this.unavailable = o.error;
      this.deps.log('warning', `IPVS: ${o.error}; the health checks keep running, no IPVS table is kept`);
    } else {
      this.kernel = o.value;
      if (this.globals.lvsFlush) await this.applyLogged([{ op: 'flush' }], 'lvs_flush at start');
    }
    await this.kick();
    await this.syncDaemonUpdate();
  }

  /** New config (HUP): services the old one made and the new one does not name are deleted. */
  async reload(cfg: KeepalivedConfig): Promise<void> {
    if (this.state !== 'started') return;
    const before = this.ownKeys();
    const sync = JSON.stringify(this.globals.syncDaemon ?? null);
    this.configure(cfg);
    const now = this.ownKeys();
    for (const k of before) if (!now.has(k)) this.stale.add(k);
    // The checkers restart from their initial state: a server found down must not come back meanwhile.
    this.carried = new Map(this.lastResults);
    if (JSON.stringify(this.globals.syncDaemon ?? null) !== sync) await this.syncd.stop(this.kernel);
    await this.kick();
    await this.syncDaemonUpdate();
  }

  /** A real server changed: one pass soon, however many changes arrive meanwhile. */
  changed(): void {
    if (this.state !== 'started' || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, this.deps.coalesceMs ?? 20);
  }

  /** A VRRP instance's state (relayed by the supervisor): ha_suspend and the sync daemon follow it. */
  vrrpState(instance: string, state: string): void {
    if (this.vrrpStates.get(instance) === state) return;
    this.vrrpStates.set(instance, state);
    if (this.state !== 'started') return;
    if ([...this.owners.values()].includes(instance)) {
      this.suspendCheckers();
      this.changed();
    }
    if (this.globals.syncDaemon?.instance === instance) void this.syncDaemonUpdate();
  }

  /** Runs passes until no change is pending; resolves when the table is in step. */
  kick(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        let n = 0;
        do {
          this.dirty = false;
          await this.pass();
        } while (this.dirty && this.state === 'started' && ++n < MAX_PASSES_IN_A_ROW);
        if (this.dirty) this.changed(); // still busy: go on after a breath instead of spinning
      } catch (e) {
        this.deps.log('err', `IPVS: reconcile failed: ${String(e)}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private isMaster = (spec: VsSpec): boolean => {
    const owner = this.owners.get(spec.id);
    return owner === undefined || this.vrrpStates.get(owner) === 'MASTER';
  };

  private ownKeys(): Set<string> {
    return new Set(this.specs.flatMap((s) => s.services.map((id) => serviceKey(id))));
  }

  /** The checkers' verdicts under the IPVS side's keys. */
  private results(): Map<string, CheckerState> {
    const byChecker = this.deps.results();
    const checked = this.carried.size ? this.deps.checked?.() : undefined;
    const out = new Map<string, CheckerState>();
    for (const [ipvsKey, checkerKey] of this.keys) {
      const old = this.carried.get(ipvsKey);
      if (old && checked && !checked.has(checkerKey)) {
        out.set(ipvsKey, old);
        continue;
      }
      this.carried.delete(ipvsKey);
      const r = byChecker.get(checkerKey);
      if (r) out.set(ipvsKey, r);
    }
    this.lastResults = out;
    return out;
  }

  private async pass(): Promise<void> {
    this.passes++;
    const results = this.results();
    const prev = this.quorumUp;
    const d = desiredTable({ specs: this.specs, results, quorumUp: prev, isMaster: this.isMaster });
    // Taken with the specs they belong to: a reload during this pass leaves its own for the next one.
    const stale = this.stale;
    this.stale = new Set();
    this.quorumUp = d.quorumUp;
    this.desired = d;
    this.quorumNotifies(prev, d.quorumUp, results);
    const k = this.kernel;
    if (!k || this.state !== 'started') return;
    const actual = await k.readTable();
    if (!actual.ok) {
      for (const k of stale) this.stale.add(k);
      this.deps.log('err', `IPVS: cannot read the table: ${actual.error}${this.retryNote()}`);
      return this.retry();
    }
    const ops = plan(actual.value, d.table, { held: d.held, managed: d.managed, stale });
    const errors = ops.length ? await this.applyLogged(ops, 'reconcile') : 0;
    if (errors) this.retry();
    else this.retryMs = 0;
    const first = this.table === undefined;
    this.table = applyOps(actual.value, ops).table;
    // What start-up changed, before any check ran: 0 operations means the table was adopted as it was.
    if (first) this.deps.log('info', `IPVS: table in step at start (${ops.length} operations, ${this.table.services.length} services in the kernel)`);
  }

  /** Applies and logs; resolves the number of failed operations. */
  private async applyLogged(ops: Op[], why: string): Promise<number> {
    const k = this.kernel;
    if (!k) return 0;
    for (const o of ops) this.deps.log('info', `IPVS: ${describeOp(o)}`);
    const r = await k.apply(ops);
    this.operations += r.done;
    for (const e of r.errors) this.deps.log('err', `IPVS (${why}): ${e}${this.retryNote()}`);
    return r.errors.length;
  }

  private nextRetryMs(): number {
    return Math.min(RETRY_MAX_MS, this.retryMs ? this.retryMs * 2 : RETRY_MIN_MS);
  }

  private retryNote(): string {
    return this.state === 'started' ? `; retrying in ${this.nextRetryMs() / 1000} s` : '';
  }

  /** A failed pass (a timed-out dump, a refused operation) is tried again later, with backoff. */
  private retry(): void {
    if (this.state !== 'started' || this.retryTimer) return;
    this.retryMs = this.nextRetryMs();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.kick();
    }, this.retryMs);
  }

  /** keepalived's update_quorum_state: scripts on each change; at start only "starting with quorum down" with a sorry server. */
  private quorumNotifies(prev: ReadonlyMap<string, boolean> | undefined, now: ReadonlyMap<string, boolean>, results: ReadonlyMap<string, CheckerState>): void {
    for (const spec of this.specs) {
      const was = prev?.get(spec.id);
      const is = now.get(spec.id) ?? true;
      if (was === is || (was === undefined && (is || !spec.sorry))) continue;
      const sum = poolOf(spec, results, was).weightSum;
      const words = was === undefined ? 'Starting with quorum down' : is ? 'Gained quorum' : 'Lost quorum';
      this.deps.log('info', `${words} ${spec.quorum}${is ? '+' : '-'}${spec.hysteresis} weight ${sum} for VS ${spec.id}`);
      const script = is ? this.scripts.get(spec.id)?.quorumUp : this.scripts.get(spec.id)?.quorumDown;
      if (script) this.deps.runScript(script, `${is ? 'quorum_up' : 'quorum_down'} of VS ${spec.id}`);
      this.deps.quorumChanged?.(this.checkerVs.get(spec.id) ?? spec.id, is);
    }
  }

  private async syncDaemonUpdate(): Promise<void> {
    const c = this.globals.syncDaemon;
    if (!c || !this.kernel || this.state !== 'started') return;
    await this.syncd.follow(this.kernel, c, c.instance === undefined ? undefined : this.vrrpStates.get(c.instance));
  }

  /** What keepalived does at exit: its services deleted (or the table flushed), omega scripts, sync daemon stopped. */
  async stop(): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    await this.running;
    for (const spec of this.specs) {
      const down = this.scripts.get(spec.id)?.quorumDown;
      if (!spec.omega) continue;
      // keepalived's do_vs_notifies when stopping: only with omega, script bounded to a second, then the FIFO line.
      if (down) this.deps.runScript(down, `quorum_down of VS ${spec.id} (omega, stopping)`, true);
      this.deps.quorumChanged?.(this.checkerVs.get(spec.id) ?? spec.id, false);
    }
    const k = this.kernel;
    if (!k) return;
    await this.syncd.stop(this.kernel);
    const actual = await k.readTable();
    if (actual.ok) {
      const ops = shutdownPlan(actual.value, this.ownKeys(), this.globals.flushOnStop === 'full' ? 'full' : 'services');
      if (ops.length) await this.applyLogged(ops, 'stop');
    } else this.deps.log('err', `IPVS: cannot read the table at stop: ${actual.error}`);
    k.close();
    this.kernel = undefined;
  }

  /** The checkers' vsKeys suspended by ha_suspend now (the DATA dump's Enabled = no). */
  get suspendedCheckers(): ReadonlySet<string> {
    return this.suspendedVs;
  }

  /** Virtual servers for `status`, with the checkers' snapshot (and the kernel's counters when given). */
  status(snapshot: readonly RealServerStatus[], stats?: StatsTable): VirtualServerStatus[] {
    const byKey = new Map(snapshot.map((s) => [s.rsKey, s]));
    return this.specs.map((spec) => {
      const svc = spec.services[0];
      const counters = stats ? statsOfSpec(spec, stats) : undefined;
      const inTable = svc ? this.table?.services.find((s) => serviceKey(s) === serviceKey(svc)) : undefined;
      const weightOf = (s: ServerSpec): number | null => {
        if (!svc || !inTable) return null;
        const port = s.fwd === FWD.MASQ ? s.port : svc.fwmark ? 0 : svc.port;
        return inTable.dests.find((d) => d.addr === s.addr && d.port === port)?.weight ?? null;
      };
      const realServers: RealServerEntry[] = spec.realServers.map((s, i) => {
        const c = byKey.get(this.keys.get(s.key) ?? s.key);
        return {
          address: hostPort(s.addr, s.port),
          up: c?.up ?? !(s.alpha && s.hasCheckers),
          weight: c?.weight ?? s.weight,
          tableWeight: weightOf(s),
          checkers: (c?.checkers ?? []).map((x) => ({ type: x.type, up: x.up, detail: x.detail })),
          ...(counters?.rs[i] ? { kernelStats: counters.rs[i] } : {}),
        };
      });
      const quorumUp = this.quorumUp?.get(spec.id) ?? true;
      const out: VirtualServerStatus = { name: spec.id, services: spec.services.map((id) => serviceKey(id)), quorumUp, realServers };
      if (svc && this.desired?.held.has(serviceKey(svc))) out.suspended = true;
      if (counters?.vs) out.kernelStats = counters.vs;
      if (spec.sorry) out.sorryServer = { address: hostPort(spec.sorry.addr, spec.sorry.port), active: !quorumUp };
      return out;
    });
  }
}
