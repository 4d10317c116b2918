// The VRRP child's logic, apart from its process plumbing (vrrp-child.ts): read the config, run the
// runtime, answer the RPCs the supervisor forwards, reload, shut down. Testable with fake net deps.
import { RPC_ERRORS, type DaemonEvent, type ReloadResult, type StatusResult } from '../control/protocol.js';
import { loadConfig } from '../config/index.js';
import { runtimeFates } from '../config/runtime-fate.js';
import type { Announcer, OpenVrrpSocket, Rtnl } from '../net/types.js';
import type { Clock } from './clock.js';
import { buildVrrpPlan, planDiff, type VrrpPlan } from './instance-config.js';
import { fatalErrors } from './instance-routes.js';

export { planDiff };
import type { ChildRpcError, ChildStart } from './ipc.js';
import type { Logger } from './log.js';
import { loadOverrides, overridesPath, saveOverrides, type OverrideKind } from './overrides.js';
import { VrrpRuntime } from './runtime.js';

export interface NetDeps {
  openVrrpSocket: OpenVrrpSocket;
  announcer: Announcer;
  rtnl: Rtnl;
}

export interface ServiceDeps extends NetDeps {
  clock: Clock;
  log: Logger;
  onEvent: (e: DaemonEvent) => void;
  /** Config loader (tests pass text-based ones); default: the config engine on the file. */
  load?: (file: string, configId: string) => { plan: VrrpPlan; errors: string[] };
  /** Tracker inputs from outside the process (the BFD sessions' states). */
  tracking?: { bfdStates?: Map<string, boolean> };
  /** Around every applied reload (notify: re-reads its settings; instances the reload removes report DELETED). */
  reloadHooks?: { before(): void; after(applied: boolean): Promise<void> | void };
}

/** A typed RPC failure; the child sends it back as { ok: false, error }. */
export class ServiceError extends Error {
  constructor(readonly rpc: ChildRpcError) {
    super(rpc.message);
  }
}

const MAX_FOR_MS = 366 * 24 * 3600 * 1000;

export function loadPlan(file: string, configId: string): { plan: VrrpPlan; errors: string[] } {
  const r = loadConfig(file, { configId });
  // Errors keepalived runs past (runtime-fate.ts) are logged by the supervisor; these stop us.
  const errors = runtimeFates(fatalErrors(r.diagnostics, r.model.nodes), r.model.nodes).fatal.map((d) => (d.line > 0 ? `(${d.file}: Line ${d.line}) ${d.message}` : `${d.file}: ${d.message}`));
  return { plan: buildVrrpPlan(r.model), errors };
}

function invalid(message: string): ServiceError {
  return new ServiceError({ code: RPC_ERRORS.invalidParams, message });
}

export class VrrpService {
  runtime: VrrpRuntime | null = null;
  private plan: VrrpPlan | null = null;
  private busy = false;

  constructor(
    private readonly start: ChildStart,
    private readonly deps: ServiceDeps,
  ) {}

  private load(): { plan: VrrpPlan; errors: string[] } {
    return (this.deps.load ?? loadPlan)(this.start.configFile, this.start.configId);
  }

  private newRuntime(plan: VrrpPlan): VrrpRuntime {
    const path = overridesPath(this.start.stateDir);
    const loaded = loadOverrides(path);
    for (const p of loaded.problems) this.deps.log.log('warning', p);
    for (const i of plan.issues) this.deps.log.log('warning', `(${i.where}) ${i.message}`);
    return new VrrpRuntime(plan, {
      ...this.deps,
      persistOverrides: (s) => {
        const r = saveOverrides(path, s);
        return r.ok ? null : r.error;
      },
    }, loaded.store);
  }

  async run(): Promise<{ ok: true } | { ok: false; error: string }> {
    const { plan, errors } = this.load();
    if (errors.length > 0) return { ok: false, error: `configuration has errors:\n${errors.join('\n')}` };
    if (plan.instances.length === 0) this.deps.log.log('warning', 'no vrrp_instance to run');
    this.plan = plan;
    this.runtime = this.newRuntime(plan);
    const r = await this.runtime.start();
    if (!r.ok) await this.runtime.stop(); // closes whatever it opened before failing
    return r;
  }

  async stop(): Promise<void> {
    await this.runtime?.stop();
  }

  status(): StatusResult | null {
    return this.runtime?.status(this.info()) ?? null;
  }

  private info() {
    const s = this.start;
    return { daemonPid: s.daemonPid, daemonVersion: s.daemonVersion, configFile: s.configFile, configId: s.configId, startedAt: s.startedAt };
  }

  /** Applies a new configuration in place: unchanged instances keep running untouched. */
  async reload(dryRun = false): Promise<ReloadResult> {
    if (this.busy) throw new ServiceError({ code: RPC_ERRORS.busy, message: 'a reload is already running' });
    const { plan, errors } = this.load();
    if (errors.length > 0) throw new ServiceError({ code: RPC_ERRORS.invalidConfig, message: 'the new configuration is invalid', data: errors });
    const diff = planDiff(this.plan ?? { instances: [], syncGroups: [], issues: [] }, plan);
    const needed = diff.added.length + diff.removed.length + diff.changed.length > 0;
    if (dryRun || !needed) {
      // Settings outside the instances' plan (notify scripts, FIFOs, mail) may still have changed.
      if (!dryRun && this.deps.reloadHooks) {
        this.deps.reloadHooks.before();
        await this.deps.reloadHooks.after(true);
      }
      return { applied: !dryRun && !needed ? true : false, plan: diff };
    }
    this.busy = true;
    try {
      for (const i of plan.issues) this.deps.log.log('warning', `(${i.where}) ${i.message}`);
      this.deps.reloadHooks?.before();
      const r = this.runtime ? await this.runtime.reload(plan) : { ok: false as const, error: 'the VRRP runtime is not running' };
      await this.deps.reloadHooks?.after(r.ok);
      if (!r.ok) throw new ServiceError({ code: RPC_ERRORS.internalError, message: `reload failed: ${r.error}` });
      this.plan = plan;
      return { applied: true, plan: diff };
    } finally {
      this.busy = false;
    }
  }

  /** One forwarded control-socket method. Throws ServiceError for typed failures. */
  async rpc(method: string, params: Record<string, unknown>): Promise<unknown> {
    const rt = this.runtime;
    if (method === 'reload') return this.reload(params.dryRun === true);
    if (!rt) throw new ServiceError({ code: RPC_ERRORS.busy, message: 'the VRRP runtime is not running' });
    if (method === 'status') {
      const st = rt.status(this.info());
      if (params.instance === undefined) return st;
      if (typeof params.instance !== 'string') throw invalid('instance must be a string');
      const one = st.instances.filter((i) => i.name === params.instance);
      if (one.length === 0) throw new ServiceError({ code: RPC_ERRORS.noSuchInstance, message: `no vrrp_instance named ${params.instance}` });
      const out: StatusResult = { ...st, instances: one, syncGroups: st.syncGroups.filter((g) => g.members.includes(params.instance as string)) };
      // Socket-level drops of the instance's own socket only.
      if (st.unattributedDrops) out.unattributedDrops = st.unattributedDrops.filter((d) => d.interface === one[0].interface && d.family === one[0].family);
      return out;
    }
    if (method !== 'promote' && method !== 'demote' && method !== 'clear') {
      throw new ServiceError({ code: RPC_ERRORS.methodNotFound, message: `unknown method ${method}` });
    }
    const instance = params.instance;
    if (typeof instance !== 'string' || instance === '') throw invalid('instance must be a non-empty string');
    const forMs = params.forMs;
    if (forMs !== undefined && (typeof forMs !== 'number' || !Number.isInteger(forMs) || forMs <= 0 || forMs > MAX_FOR_MS)) {
      throw invalid(`forMs must be a whole number of milliseconds between 1 and ${MAX_FOR_MS}`);
    }
    if (method === 'clear' && forMs !== undefined) throw invalid('clear takes no forMs');
    if (params.fault !== undefined && typeof params.fault !== 'boolean') throw invalid('fault must be a boolean');
    const kind: OverrideKind | null = method === 'promote' ? 'promote' : method === 'demote' ? (params.fault ? 'demote-fault' : 'demote') : null;
    if (!rt.ios.has(instance)) throw new ServiceError({ code: RPC_ERRORS.noSuchInstance, message: `no vrrp_instance named ${instance}` });
    const r = rt.setOverride(instance, kind, forMs as number | undefined);
    if (!r.ok) throw new ServiceError({ code: RPC_ERRORS.internalError, message: r.error });
    return r.result;
  }
}
