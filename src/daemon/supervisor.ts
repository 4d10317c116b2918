// The supervisor (keepalived's parent process): validates the configuration, forks the VRRP child,
// the checker child (when there are virtual servers) and the BFD child (when there are bfd_instances), respawns them with backoff, relays
// signals (HUP reload, TERM/INT stop, USR1/USR2), and serves the control socket, forwarding
// status/promote/demote/clear/reload to the VRRP child.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/index.js';
import { hasBfdConfig } from '../bfd/config.js';
import type { ControlServer, startControlServer as StartControlServer } from '../control/server.js';
import { RpcFailure } from '../control/server.js';
import { type DaemonEvent, PROTOCOL_VERSION, RPC_ERRORS, type StatusResult } from '../control/protocol.js';
import type { DaemonArgs } from './args.js';
import { BfdRelay } from './bfd-relay.js';
import { ChildManager, RpcError } from './child-manager.js';
import type { ChildRole, ChildStart } from './ipc.js';
import type { Logger } from './log.js';
import { removePidFile, runningPid, writePidFile } from './pidfile.js';
import { watchRealtime } from './dump-child.js';
import { SIGNUMS } from './dump-signals.js';
import { formatParentData } from './dump-data.js';
import { dumpGlobals } from './dump-input.js';
import { daemonDiagnostics } from './instance-routes.js';
import { runtimeFates } from '../config/runtime-fate.js';
import type { DumpGlobals } from './dump-types.js';
import { DUMP_FILES, dumpDir, writeDumpFile } from './dump-writer.js';
import { pollUntil, SdNotifier } from './sdnotify.js';
import type { MetricsEndpoint } from './metrics-http.js';
import type { CheckerSnapshot } from './metrics.js';

export interface SupervisorDeps {
  log: Logger;
  startControlServer: typeof StartControlServer;
  /** Forks a child module (default: dist/src/daemon/<role>-child.js next to this file). */
  forkChild?: (role: ChildRole) => ChildProcess;
  childModule?: (role: ChildRole) => string;
  /** Installs a signal handler (tests drive signals by hand). */
  onSignal?: (sig: NodeJS.Signals, fn: () => void) => void;
  /** How long a child may take to stop before SIGKILL (default 8 s). */
  childGraceMs?: number;
  /** systemd notifications (default: from $NOTIFY_SOCKET / $WATCHDOG_USEC). */
  notifier?: SdNotifier;
  /** Watches the real-time dump signals (default: the native addon); tests pass none. */
  watchRealtime?: (cb: (signum: number) => void) => string[];
}

const CHILD_GRACE_MS = 8000;

/** The children's Node flags: the supervisor's own, plus (unless given) a 1 MB young-generation
 * semi-space and single-threaded GC. The default semi-space (16 MB) only buys fewer scavenges; the
 * children's live young objects are a few KB per advert, so it costs ~12 MB of RSS per child. A
 * scavenge of so small a heap is quicker on the main thread than handed to V8's helper threads,
 * which on a busy host wait for a core while the adverts due wait for them. */
export function childExecArgv(base: readonly string[] = process.execArgv): string[] {
  const out = [...base];
  if (!out.some((a) => a.startsWith('--max-semi-space-size'))) out.push('--max-semi-space-size=1');
  if (!out.some((a) => /^--(no-)?single-threaded(-gc)?$/.test(a))) out.push('--single-threaded-gc');
  return out;
}

export function childModulePath(role: ChildRole): string {
  return fileURLToPath(new URL(`./${role}-child.js`, import.meta.url));
}

function diagLine(d: { file: string; line: number; message: string }): string {
  return d.line > 0 ? `(${d.file}: Line ${d.line}) ${d.message}` : `${d.file}: ${d.message}`;
}

type Loaded = { ok: true; hasVirtualServers: boolean; hasBfd: boolean } | { ok: false };

export class Supervisor {
  private vrrp: ChildManager | null = null;
  private checker: ChildManager | null = null;
  private bfd: ChildManager | null = null;
  /** BFD session states: relayed to the VRRP/checker children and handed to (re)started ones. */
  private readonly bfdRelay = new BfdRelay((role, m) => (role === 'vrrp' ? this.vrrp : this.checker)?.send(m));
  private control: ControlServer | null = null;
  private stopping: Promise<void> | null = null;
  private done!: (code: number) => void;
  private readonly startedAt = new Date().toISOString();
  private readonly configId: string;
  private reloading = false;
  /** A HUP came while a reload ran: one more reload when it ends (several HUPs make one, as
   * keepalived 2.2.7's reload_queued flag). */
  private reloadQueued = false;
  /** Last state of each VRRP instance, relayed to the checker child (ha_suspend, lvs_sync_daemon). */
  private readonly vrrpStates = new Map<string, string>();
  private globals: DumpGlobals | null = null;
  private sdNotifier: SdNotifier | null = null;
  private cancelReadyWait: () => void = () => undefined;
  private metrics: MetricsEndpoint | null = null;

  constructor(
    private readonly args: DaemonArgs,
    private readonly version: string,
    private readonly deps: SupervisorDeps,
  ) {
    this.configId = args.configId ?? hostname();
  }

  private get log(): Logger {
    return this.deps.log;
  }

  private get sd(): SdNotifier {
    this.sdNotifier ??= this.deps.notifier ?? new SdNotifier({ warn: (m) => this.log.log('warning', m) });
    return this.sdNotifier;
  }

  /** READY=1 once every child we run says it is up (the VRRP child: sockets open, instances running).
   * Not gated on the BFD child: one that cannot open port 3784 must not keep VRRP from being ready
   * (its sessions stay Down, which tracking already handles). */
  private readyWhenChildrenUp(what: string): void {
    this.cancelReadyWait();
    const kids = () => [this.vrrp, this.checker].filter((m): m is ChildManager => m !== null);
    this.cancelReadyWait = pollUntil(() => this.stopping !== null || kids().every((m) => m.ready), () => {
      if (this.stopping) return;
      const roles = [...kids(), ...(this.bfd ? [this.bfd] : [])].map((m) => (m === this.vrrp ? 'VRRP' : m === this.bfd ? 'BFD' : 'checker'));
      this.sd.ready(`${what}; running ${roles.length > 0 ? roles.join(' and ') : 'no'} child${roles.length === 1 ? '' : 'ren'}`);
    });
  }

  private get graceMs(): number {
    return this.deps.childGraceMs ?? CHILD_GRACE_MS;
  }

  /** Reads and checks the configuration, logging its problems keepalived-style. */
  private load(): Loaded {
    const r = loadConfig(this.args.configFile, { configId: this.configId });
    // Errors keepalived logs and runs past (a bad route/rule entry, which the VRRP child logs in
    // keepalived's words; an unknown keyword) skip what they name instead of stopping the daemon.
    // Others keepalived runs past with a fallback, skipped entry or disabled block: runtime-fate.ts.
    const pre = daemonDiagnostics(r.diagnostics, r.model.nodes);
    const { fatal, ranPast } = runtimeFates(pre.fatal, r.model.nodes);
    const logAs = new Map([...pre.skipped, ...ranPast].map((s) => [s.d, s.log]));
    for (const d of r.diagnostics) {
      const kept = logAs.get(d);
      if (kept === null) continue;
      this.log.log(d.severity === 'error' ? 'err' : 'warning', kept !== undefined ? diagLine({ ...d, message: kept }) : diagLine(d));
    }
    if (r.unreadable || fatal.length > 0) return { ok: false };
    this.globals = dumpGlobals(r.model);
    return { ok: true, hasVirtualServers: r.model.virtualServers.length > 0, hasBfd: hasBfdConfig(r.model) };
  }

  private startMessage(role: ChildRole): ChildStart {
    const a = this.args;
    const bfdStates = role === 'bfd' ? undefined : this.bfdRelay.startStates(role);
    return {
      type: 'start', role, configFile: a.configFile, configId: this.configId,
      log: { console: a.logConsole, detail: a.logDetail, ...(a.logFacility !== undefined ? { facility: a.logFacility } : {}) },
      stateDir: a.stateDir, daemonPid: process.pid, daemonVersion: this.version, startedAt: this.startedAt,
      ...(role === 'checker' ? { vrrpStates: Object.fromEntries(this.vrrpStates) } : {}),
      ...(bfdStates ? { bfdStates } : {}),
    };
  }

  private manager(role: ChildRole): ChildManager | null {
    const modPath = (this.deps.childModule ?? childModulePath)(role);
    if (!this.deps.forkChild && !existsSync(modPath)) {
      this.log.log('err', `the ${role} child (${modPath}) is not installed; not starting it`);
      return null;
    }
    const forkIt = this.deps.forkChild
      ? () => this.deps.forkChild!(role)
      : () => fork(modPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env, execArgv: childExecArgv() });
    const m = new ChildManager({
      role,
      fork: forkIt,
      startMessage: () => this.startMessage(role),
      pidFile: role === 'vrrp' ? this.args.vrrpPidFile : role === 'bfd' ? this.args.bfdPidFile : this.args.checkersPidFile,
      onOther: (msg) => {
        if (role === 'bfd' && msg.type === 'bfd-state') this.bfdRelay.onState(msg);
      },
      log: this.log,
      onEvent: (e) => {
        this.broadcast(e);
        if (role === 'vrrp' && e.type === 'transition') {
          this.vrrpStates.set(e.instance, e.transition.to);
          this.checker?.send({ type: 'vrrp-state', instance: e.instance, state: e.transition.to });
        }
      },
    });
    m.start();
    return m;
  }

  private broadcast(e: DaemonEvent): void {
    this.control?.broadcast(e);
    this.metrics?.onEvent(e);
  }

  /** Runs until TERM/INT; resolves with the exit status. */
  async run(): Promise<number> {
    const a = this.args;
    this.log.log('info', `Starting Keepalived v${this.version} (keepalivedctl)`);
    for (const f of [a.pidFile, a.vrrpPidFile, a.checkersPidFile, a.bfdPidFile]) {
      const pid = runningPid(f);
      if (pid !== null) {
        this.log.log('err', `daemon is already running (pid ${pid} in ${f})`);
        return 1;
      }
    }
    const loaded = this.load();
    if (!loaded.ok) {
      this.log.log('err', `Stopping: configuration ${a.configFile} has errors`);
      this.sd.error(22, `configuration ${a.configFile} has errors`);
      return 1;
    }
    const w = writePidFile(a.pidFile);
    if (!w.ok) {
      this.log.log('err', w.error);
      return 1;
    }
    const exited = new Promise<number>((resolve) => (this.done = resolve));
    const on = this.deps.onSignal ?? ((sig, fn) => void process.on(sig, fn));
    on('SIGTERM', () => void this.stop());
    on('SIGINT', () => void this.stop());
    on('SIGHUP', () => this.hup());
    on('SIGUSR1', () => this.relay('SIGUSR1'));
    on('SIGUSR2', () => this.relay('SIGUSR2'));
    for (const p of (this.deps.watchRealtime ?? (this.deps.onSignal ? () => [] : watchRealtime))((n) => this.relay(n === SIGNUMS.JSON ? 'JSON' : 'STATS_CLEAR'))) {
      this.log.log('warning', p);
    }
    this.sd.startWatchdog();

    const c = await this.deps.startControlServer({
      path: a.socket,
      handlers: this.handlers(),
      daemonVersion: this.version,
      log: (m) => this.log.log('warning', `control: ${m}`),
    });
    if (c.ok) this.control = c.server;
    else this.log.log('err', `control socket unavailable: ${c.error}`);
    // --metrics: scraped on demand from the children's status (metrics*.ts).
    if (a.metrics) {
      // prom-client is loaded only when metrics are asked for.
      const { startDaemonMetrics } = await import('./metrics-http.js');
      this.metrics = await startDaemonMetrics(a.metrics, this.version, {
        status: () => this.status({}) as Promise<StatusResult>,
        checker: async () => (this.checker ? ((await this.checker.rpc('status', {})) as CheckerSnapshot) : undefined),
      }, this.log);
    }

    // keepalived starts its BFD child unless -B, whatever -P/-C say.
    if (!a.noBfd && loaded.hasBfd) this.bfd = this.manager('bfd');
    if (!a.checkOnly) this.vrrp = this.manager('vrrp');
    if (!a.vrrpOnly && loaded.hasVirtualServers) this.checker = this.manager('checker');
    this.log.log('info', 'Startup complete');
    this.readyWhenChildrenUp('Startup complete');
    return exited;
  }

  /** As keepalived's parent: DATA goes to both children (and the parent dumps its own part); STATS,
   * STATS_CLEAR and JSON only to the VRRP child. */
  private relay(signal: 'SIGUSR1' | 'SIGUSR2' | 'JSON' | 'STATS_CLEAR'): void {
    this.vrrp?.send({ type: 'signal', signal });
    if (signal !== 'SIGUSR1') return;
    this.checker?.send({ type: 'signal', signal });
    this.bfd?.send({ type: 'signal', signal });
    this.log.log('info', `Printing parent data for process(${process.pid}) on signal`);
    const w = writeDumpFile(dumpDir(), DUMP_FILES.parentData, formatParentData(this.globals ?? dumpGlobals(null)));
    if (!w.ok) this.log.log('info', w.error);
  }

  private vrrpRpc(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (!this.vrrp) throw new RpcFailure(RPC_ERRORS.busy, 'VRRP is not running in this daemon (-C, or its child is not installed)');
    return this.vrrp.rpc(method, params).catch((e: unknown) => {
      if (e instanceof RpcError) throw new RpcFailure(e.rpc.code, e.rpc.message, e.rpc.data);
      throw e;
    });
  }

  private handlers() {
    const fwd = (method: string) => (params: Record<string, unknown>) => this.vrrpRpc(method, params ?? {});
    return {
      status: (params: Record<string, unknown>) => this.status(params ?? {}),
      promote: fwd('promote'),
      demote: fwd('demote'),
      clear: fwd('clear'),
      reload: (params: Record<string, unknown>) => (params?.dryRun === true ? this.dryRun() : this.reload()),
    };
  }

  /** A reload starts the BFD child for the first bfd_instance, stops it after the last, else relays. */
  private async reloadBfd(has: boolean): Promise<void> {
    if (has && !this.bfd) this.bfd = this.manager('bfd');
    else if (!has && this.bfd) {
      await this.bfd.stop(this.graceMs);
      this.bfd = null;
      this.bfdRelay.clear();
    } else this.bfd?.send({ type: 'reload' });
  }

  /** The reload plan without applying it; a checkers-only daemon (-C) has no instances to plan. */
  private dryRun(): Promise<unknown> {
    if (!this.vrrp && this.args.checkOnly) return Promise.resolve({ applied: false, plan: { added: [], removed: [], changed: [], unchanged: [] } });
    return this.vrrpRpc('reload', { dryRun: true });
  }

  /** VRRP status plus the checker child's virtual servers (either may be absent: -P, -C, none configured). */
  private async status(params: Record<string, unknown>): Promise<unknown> {
    const a = this.args;
    const base: StatusResult = this.vrrp || !this.checker
      ? ((await this.vrrpRpc('status', params)) as StatusResult)
      : {
          protocolVersion: PROTOCOL_VERSION, instances: [], syncGroups: [],
          daemon: { pid: process.pid, version: this.version, configFile: a.configFile, configId: this.configId, startedAt: this.startedAt },
        };
    if (params.instance !== undefined) return base;
    // The BFD child's sessions, when it runs (additive: older clients ignore the field).
    const b = this.bfd ? ((await this.bfd.rpc('status', {}).catch(() => undefined)) as { sessions?: unknown[] } | undefined) : undefined;
    const withBfd = b?.sessions ? { ...base, bfd: b.sessions } : base;
    if (!this.checker) return withBfd;
    const c = (await this.checker.rpc('status', {}).catch(() => undefined)) as Pick<StatusResult, 'virtualServers' | 'ipvs'> | undefined;
    return c?.virtualServers ? { ...withBfd, virtualServers: c.virtualServers, ...(c.ipvs ? { ipvs: c.ipvs } : {}) } : withBfd;
  }

  /** SIGHUP: reload now, or once the running reload ends (keepalived queues it rather than drop it). */
  private hup(): void {
    if (this.stopping) return;
    if (this.reloading) {
      if (this.log.detail) this.log.log('info', 'Reload already in progress, request queued');
      this.reloadQueued = true;
      return;
    }
    void this.reload().catch(() => undefined);
  }

  /** HUP / `reload`: a config with errors keeps the running one; otherwise the children apply it. */
  async reload(): Promise<unknown> {
    if (this.reloading) throw new RpcFailure(RPC_ERRORS.busy, 'a reload is already running');
    this.reloading = true;
    let outcome = 'Reload complete';
    try {
      this.sd.reloading();
      this.log.log('info', 'Reloading');
      const loaded = this.load();
      if (!loaded.ok) {
        this.log.log('err', 'Reload failed: the new configuration has errors; keeping the running one');
        this.broadcast({ type: 'reload', ok: false, detail: 'configuration has errors' });
        outcome = 'Reload failed (configuration has errors); running the previous configuration';
        throw new RpcFailure(RPC_ERRORS.invalidConfig, 'the new configuration has errors; the running one is kept');
      }
      if (!this.args.vrrpOnly) {
        if (loaded.hasVirtualServers && !this.checker) this.checker = this.manager('checker');
        else if (!loaded.hasVirtualServers && this.checker) {
          await this.checker.stop(this.graceMs);
          this.checker = null;
        } else this.checker?.send({ type: 'reload' });
      }
      if (!this.args.noBfd) await this.reloadBfd(loaded.hasBfd);
      const result = this.vrrp ? await this.vrrpRpc('reload', {}) : { applied: true, plan: { added: [], removed: [], changed: [], unchanged: [] } };
      this.broadcast({ type: 'reload', ok: true });
      this.log.log('info', 'Reload complete'); // keepalived's words; scripts and tests wait for it
      return result;
    } catch (e) {
      if (outcome === 'Reload complete') outcome = `Reload failed: ${(e as Error).message}`;
      throw e;
    } finally {
      this.reloading = false;
      if (!this.stopping) this.readyWhenChildrenUp(outcome);
      if (this.reloadQueued && !this.stopping) {
        this.reloadQueued = false;
        if (this.log.detail) this.log.log('info', 'Processing queued reload');
        setImmediate(() => this.hup());
      }
    }
  }

  /** Graceful stop: children first (bounded, then SIGKILL), then the socket and pid file. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.cancelReadyWait();
      this.sd.stopWatchdog();
      this.sd.stopping();
      this.log.log('info', 'Stopping');
      await Promise.all([this.vrrp?.stop(this.graceMs), this.checker?.stop(this.graceMs), this.bfd?.stop(this.graceMs)]);
      await this.control?.close();
      await this.metrics?.close();
      removePidFile(this.args.pidFile);
      this.log.log('info', `Stopped Keepalived v${this.version}`);
      this.done?.(0);
    })();
    return this.stopping;
  }

  /** For tests and status: the children's managers. */
  children(): { vrrp: ChildManager | null; checker: ChildManager | null; bfd: ChildManager | null } {
    return { vrrp: this.vrrp, checker: this.checker, bfd: this.bfd };
  }
}
