// The VRRP child's notifications: follows the runtime's DaemonEvents and, as keepalived's
// vrrp_notify.c, runs notify scripts, writes the notify FIFOs and sends smtp_alert mail. Nothing
// here blocks the event loop or throws into the runtime; stop() leaves no script, FIFO or socket.
import { hostname, userInfo } from 'node:os';
import type { DaemonEvent } from '../control/protocol.js';
import { loadConfig } from '../config/index.js';
import { runtimeFates } from '../config/runtime-fate.js';
import { fatalErrors } from './instance-routes.js';
import type { Logger } from './log.js';
import { type HostInfo, type NotifyPlan, readNotifyPlan } from './notify-config.js';
import { type Delivery, NotifyCore, type NotifyStateWord } from './notify-core.js';
import { closeFifo, fifoOwner, type OpenFifo, openFifo, writeFifo } from './notify-fifo.js';
import { cmdStr, NotifyScripts } from './notify-scripts.js';
import { defaultScriptUser, ourUser, type UserDb } from './script-exec.js';
import { runScript, type ScriptRun } from './script-run.js';
import { SmtpAlerter } from './smtp-alert.js';

export interface NotifierDeps {
  log: Logger;
  /** The instance's effective priority now (keepalived reports it with each notify). */
  priorityOf: (instance: string) => number | undefined;
  /** A sync group's state now (its start state is reported before its members', as vrrp_init_state). */
  groupStateOf?: (group: string) => string | undefined;
  userDb?: UserDb;
  /**
   * Resolves once the VRRP I/O queued so far (VIPs, routes, the first GARPs) is done: keepalived
   * notifies after it, so a notify_master script finds the VIP on the interface.
   */
  ioDone?: () => Promise<void>;
}

export interface LoadedNotify {
  plan: NotifyPlan;
  /** keepalived lets the checker process run the global FIFO's script when there is one. */
  checkerRuns: boolean;
}

export function hostInfo(): HostInfo {
  let userName = 'root';
  try {
    userName = userInfo().username;
  } catch {
    // no passwd entry for our uid
  }
  return { hostname: hostname(), userName };
}

/** Reads the notify settings from the config file; null (logged) if it cannot be read. */
export function loadNotify(file: string, configId: string, log: Logger, host: HostInfo = hostInfo()): LoadedNotify | null {
  try {
    const r = loadConfig(file, { configId });
    // The daemon runs past the errors keepalived runs past (and so do its notifies).
    if (runtimeFates(fatalErrors(r.diagnostics, r.model.nodes), r.model.nodes).fatal.length > 0) return null;
    return { plan: readNotifyPlan(r.model, host), checkerRuns: r.model.virtualServers.length > 0 };
  } catch (e) {
    log.log('err', `notify: cannot read ${file}: ${(e as Error).message}`);
    return null;
  }
}

const WORDS = new Set(['MASTER', 'BACKUP', 'FAULT', 'STOP']);

export class Notifier {
  private readonly core: NotifyCore;
  private readonly scripts: NotifyScripts;
  private fifos: OpenFifo[] = [];
  private fifoScripts: ScriptRun[] = [];
  private smtp: SmtpAlerter | null = null;
  private next: NotifyPlan | null = null;
  private stopped = false;

  constructor(
    private loaded: LoadedNotify,
    private readonly deps: NotifierDeps,
  ) {
    this.core = new NotifyCore(loaded.plan);
    this.scripts = new NotifyScripts(deps.log, this.security(loaded.plan));
  }

  private security(p: NotifyPlan) {
    return { scriptUser: p.scriptUser, scriptSecurity: p.scriptSecurity, userDb: this.deps.userDb };
  }

  get plan(): NotifyPlan {
    return this.loaded.plan;
  }

  /** Opens the FIFOs (starting their reader scripts) and the mailer. */
  start(): void {
    const p = this.loaded.plan;
    for (const i of p.issues) this.deps.log.log('warning', `(${i.where}) ${i.message}`);
    this.prepareAll(p);
    const def = defaultScriptUser(p.scriptUser, p.scriptSecurity, this.deps.userDb);
    for (const spec of p.fifos) {
      const owner = fifoOwner(spec, def.ok ? def.value : ourUser(), this.deps.userDb);
      if (!owner) {
        this.deps.log.log('info', `Invalid user/group for ${spec.kind} ${spec.path} - ignoring`);
        continue;
      }
      // keepalived starts the reader first, then opens the FIFO.
      if (spec.script && !(spec.kind === 'notify_fifo' && this.loaded.checkerRuns)) this.startFifoScript(spec.kind, spec.script, spec.path);
      const f = openFifo(spec, this.deps.log, owner);
      if (f) this.fifos.push(f);
    }
    if (p.smtp) this.smtp = new SmtpAlerter(p.smtp, this.deps.log);
  }

  /** keepalived checks every script (user, path, security) at start-up: refusals are logged then. */
  private prepareAll(p: NotifyPlan): void {
    for (const i of p.instances.values()) for (const s of Object.values(i.scripts)) this.scripts.prepare(s, `(${i.name})`);
    for (const g of p.groups.values()) for (const s of Object.values(g.scripts)) this.scripts.prepare(s, `VRRP_Group(${g.name})`);
  }

  private startFifoScript(kind: string, script: NonNullable<NotifyPlan['fifos'][number]['script']>, path: string): void {
    const prep = this.scripts.prepare(script, kind);
    if (!prep) return;
    const argv = [...prep.argv, path];
    this.deps.log.log('info', `Running ${kind}_script ${cmdStr(argv)}`);
    const r = runScript(argv, prep.user, { killGraceMs: 0 });
    this.fifoScripts.push(r);
    void r.done.then((e) => {
      this.fifoScripts = this.fifoScripts.filter((x) => x !== r);
      const how = e.kind === 'exit' ? `status ${e.code}` : e.kind === 'signal' ? e.signal : e.error;
      this.deps.log.log(this.stopped ? 'debug' : 'warning', `${kind.replace(/_/g, ' ')} script terminated (${how})`);
    });
  }

  /** Deliveries waiting for the I/O of their transition, in event order. */
  private pending: Promise<void> = Promise.resolve();

  onEvent(e: DaemonEvent): void {
    if (this.stopped) return;
    try {
      // Decided now (priorities, group states and reload state as they are at the event); delivered
      // once the I/O queued before the event is done.
      const ds = this.decide(e);
      if (ds.length === 0) return;
      if (!this.deps.ioDone) return this.deliver(ds);
      const ready = this.deps.ioDone();
      this.pending = this.pending
        .then(() => ready)
        .then(() => {
          if (!this.stopped) this.deliver(ds);
        })
        .catch((err: unknown) => this.deps.log.log('err', `notify: ${(err as Error)?.message ?? String(err)}`));
    } catch (err) {
      this.deps.log.log('err', `notify: ${(err as Error).message}`);
    }
  }

  private prio(name: string): number {
    return this.deps.priorityOf(name) ?? 0;
  }

  private decide(e: DaemonEvent): Delivery[] {
    switch (e.type) {
      case 'transition': {
        if (!WORDS.has(e.transition.to)) return [];
        let to = e.transition.to as NotifyStateWord;
        // Stopped by a reload that removes it: keepalived reports the instance as deleted.
        if (to === 'STOP' && this.next && !this.next.instances.has(e.instance)) to = 'DELETED';
        const out: Delivery[] = [];
        // keepalived notifies a sync group's start state (BACKUP or FAULT) before its members'.
        const g = this.loaded.plan.instances.get(e.instance)?.group;
        if (g !== undefined && this.core.groupStateOf(g) === undefined) {
          const gs = this.deps.groupStateOf?.(g);
          if (gs === 'BACKUP' || gs === 'FAULT') out.push(...this.core.group(g, gs));
        }
        out.push(...this.core.instance(e.instance, to, this.prio(e.instance)));
        return out;
      }
      case 'group-transition':
        return WORDS.has(e.transition.to) ? this.core.group(e.group, e.transition.to as NotifyStateWord) : [];
      case 'priority':
        return this.core.priority(e.instance, e.effective);
      case 'master-rx-lower-pri':
        return this.core.rxLowerPri(e.instance, this.prio(e.instance));
      default:
        return [];
    }
  }

  private deliver(ds: Delivery[]): void {
    for (const d of ds) {
      if (d.kind === 'fifo') for (const f of this.fifos) writeFifo(f, d.line, this.deps.log);
      else if (d.kind === 'script') this.scripts.run(d.script, d.who, d.args, d.stop);
      else this.smtp?.send(d.subject, d.body);
    }
  }

  /** Before a reload runs: instances the new config drops will report DELETED when they stop. */
  beginReload(next: LoadedNotify): void {
    this.next = next.plan;
    this.pendingLoad = next;
  }

  private pendingLoad: LoadedNotify | null = null;

  /** After it: the new settings apply (FIFOs and mailer reopened if they changed). */
  async endReload(applied: boolean): Promise<void> {
    const n = this.pendingLoad;
    this.next = null;
    this.pendingLoad = null;
    if (!applied || !n || this.stopped) return;
    const old = this.loaded.plan;
    for (const name of old.instances.keys()) if (!n.plan.instances.has(name)) this.core.forget(name);
    this.loaded = n;
    this.core.setPlan(n.plan);
    this.scripts.configure(this.security(n.plan));
    if (JSON.stringify(old.fifos) !== JSON.stringify(n.plan.fifos) || JSON.stringify(old.smtp) !== JSON.stringify(n.plan.smtp)) {
      await this.closeIo();
      this.stopped = false;
      this.start();
    } else {
      for (const i of n.plan.issues) this.deps.log.log('warning', `(${i.where}) ${i.message}`);
      this.prepareAll(n.plan);
    }
  }

  /**
   * Daemon stop, after the runtime stopped (its STOP transitions are delivered): STOP for whatever
   * did not get one (sync groups), scripts given a second then killed, FIFOs closed, mail flushed.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.pending; // transitions before the stop are delivered first, in order
    if (this.stopped) return;
    this.deliver(this.core.shutdown((n) => this.prio(n)));
    this.stopped = true;
    await this.scripts.stop();
    await this.closeIo();
  }

  private async closeIo(): Promise<void> {
    this.stopped = true;
    for (const r of this.fifoScripts) r.kill();
    for (const f of this.fifos) closeFifo(f);
    this.fifos = [];
    const smtp = this.smtp;
    this.smtp = null;
    await Promise.all([
      smtp?.close(),
      Promise.race([Promise.all(this.fifoScripts.map((r) => r.done)), new Promise((res) => setTimeout(res, 1500).unref())]),
    ]);
  }
}
