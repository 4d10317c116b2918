// The tracked objects of a running daemon (vrrp_script, track_file, vrrp_track_process, track_bfd):
// made from the plan, started once the state machine exists, reported to the runtime as
// (state machine track name, status), kept across a reload when their definition is unchanged,
// stopped (scripts killed) at shutdown. Only objects some instance tracks are run.
import type { TrackStatus } from '../vrrp/tracking.js';
import type { Clock, TimerHandle } from './clock.js';
import { trackKey, type ProcessDef, type ScriptDef, type TrackerKind, type TrackerPlan, type TrackRef } from './instance-tracks.js';
import type { Logger } from './log.js';
import {
  checkScriptSecure, defaultScriptUser, lookupUser, type Result, type ScriptUser, type SecurityVerdict,
} from './script-exec.js';
import { runScript } from './script-run.js';
import { FileTracker, type FileTrackerDeps } from './track-file.js';
import { countMatches, ProcessTracker, scanProc, scanProcSliced, type ProcInfo } from './track-process.js';
import { carryCounter, initialCounter, ScriptTracker, type RunScriptFn } from './track-script.js';

export interface TrackerDeps {
  clock: Clock;
  log: Logger;
  runScript?: RunScriptFn;
  checkScript?: (argv: readonly string[], user: ScriptUser, security: boolean) => SecurityVerdict;
  /** `user USER [GROUP]` words (undefined: the default script user) to uid/gid. */
  scriptUser?: (words: string[] | undefined, plan: TrackerPlan) => Result<ScriptUser>;
  file?: Omit<FileTrackerDeps, 'log'>;
  listProcs?: (withCmdline: boolean) => ProcInfo[];
  /** /proc rescan period (default 1000 ms). */
  procScanMs?: number;
  /** BFD sessions' Up (true) / Down as the BFD child last reported them; shared with the caller. */
  bfdStates?: Map<string, boolean>;
}

export type TrackChange = (key: string, kind: TrackerKind, status: TrackStatus, reason: string) => void;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function resolveUser(words: string[] | undefined, plan: TrackerPlan): Result<ScriptUser> {
  if (words && words.length > 0) return lookupUser(words[0], words[1]);
  return defaultScriptUser(plan.scriptUser, plan.scriptSecurity);
}

export class TrackerManager {
  readonly scripts = new Map<string, ScriptTracker>();
  readonly files = new Map<string, FileTracker>();
  readonly processes = new Map<string, ProcessTracker>();
  /** Tracked bfd_instances (names); their state is in bfdUp. */
  readonly bfds = new Set<string>();
  private readonly bfdUp: Map<string, boolean>;
  /** Keys of tracked objects keepalived would disable (script missing or insecure): not tracked. */
  readonly disabled = new Set<string>();
  private readonly scriptDefs = new Map<string, ScriptDef>();
  private scanTimer: TimerHandle | null = null;
  private securityLogged = false;
  private stopped = false;

  constructor(private readonly deps: TrackerDeps, private readonly onChange: TrackChange) {
    this.bfdUp = deps.bfdStates ?? new Map();
  }

  private get log(): Logger {
    return this.deps.log;
  }

  /**
   * Makes the trackers the plan's instances refer to. Unchanged ones (same definition) are kept
   * with their state; a script whose definition changed keeps its rise/fall position; removed
   * ones stop. Call before building the state machine (statuses feed its initial state).
   */
  prepare(plan: TrackerPlan | undefined, refs: readonly TrackRef[], reload: boolean): void {
    const p: TrackerPlan = plan ?? { scripts: [], files: [], processes: [], bfds: [], scriptSecurity: false };
    const used = new Set(refs.map((r) => trackKey(r.kind, r.name)));
    this.prepareScripts(p, used, reload);
    this.prepareFiles(p, used, reload);
    this.prepareProcesses(p, used);
    // A session's state outlives reloads (keepalived's clear_diff_bfd); unknown ones start Down.
    this.bfds.clear();
    for (const b of p.bfds) if (used.has(trackKey('bfd', b.name))) this.bfds.add(b.name);
  }

  /** The BFD child reported a session Up or Down: tracked ones move their instances. */
  setBfd(name: string, up: boolean): void {
    const was = this.bfdUp.get(name) ?? false;
    this.bfdUp.set(name, up);
    if (this.stopped || was === up || !this.bfds.has(name)) return;
    this.onChange(trackKey('bfd', name), 'bfd', up, `tracked BFD instance ${name} is ${up ? 'UP' : 'DOWN'}`);
  }

  private prepareScripts(plan: TrackerPlan, used: Set<string>, reload: boolean): void {
    const wanted = new Map(plan.scripts.filter((s) => used.has(trackKey('script', s.name))).map((s) => [s.name, s]));
    for (const [name, t] of this.scripts) {
      const def = wanted.get(name);
      if (def && same(def, this.scriptDefs.get(name))) continue;
      void t.stop();
      this.scripts.delete(name);
    }
    for (const name of [...this.disabled]) if (name.startsWith('script:')) this.disabled.delete(name);
    let anyScript = false;
    let anyInsecure = false;
    for (const def of wanted.values()) {
      const key = trackKey('script', def.name);
      // keepalived checks every script at every reload (check_vrrp_script_security): one kept
      // unchanged but now missing or insecure on disk is disabled like a new one.
      const kept = this.scripts.get(def.name);
      const disable = () => {
        this.disabled.add(key);
        if (!kept) return;
        void kept.stop();
        this.scripts.delete(def.name);
      };
      const user = (this.deps.scriptUser ?? resolveUser)(def.user, plan);
      if (!def.argv) {
        disable();
        continue;
      }
      if (!user.ok) {
        this.log.log('err', `vrrp_script ${def.name}: ${user.error} - script disabled`);
        disable();
        continue;
      }
      const v = (this.deps.checkScript ?? checkScriptSecure)(def.argv, user.value, plan.scriptSecurity);
      if (!kept || !v.runnable) for (const m of v.messages) this.log.log('info', m);
      if (!v.runnable) {
        this.log.log('err', `Disabling track script ${def.name} ${v.insecure ? 'due to insecure' : 'since not found/accessible'}`);
        disable();
        continue;
      }
      anyInsecure ||= v.insecure;
      anyScript = true;
      if (kept) continue;
      const old = this.scriptDefs.get(def.name);
      const prev = this.prevCounters.get(def.name);
      const counter = prev && old ? carryCounter(prev, old, def) : initialCounter(def, reload);
      const t = new ScriptTracker(def, v.argv, user.value, { clock: this.deps.clock, log: this.log, run: this.deps.runScript ?? runScript },
        (status, reason) => this.onChange(key, 'script', status, reason), counter);
      this.scripts.set(def.name, t);
      this.scriptDefs.set(def.name, def);
    }
    for (const name of [...this.scriptDefs.keys()]) if (!this.scripts.has(name)) this.scriptDefs.delete(name);
    this.prevCounters.clear();
    if (anyScript && !plan.scriptSecurity && !this.securityLogged) {
      this.log.log('warning', `SECURITY VIOLATION - scripts are being executed but script_security not enabled.${anyInsecure ? ' There are insecure scripts.' : ''}`);
      this.securityLogged = true;
    }
  }

  /** Counters of scripts stopped by the last prepare, for a changed definition to carry. */
  private readonly prevCounters = new Map<string, ScriptTracker['counter']>();

  private prepareFiles(plan: TrackerPlan, used: Set<string>, reload: boolean): void {
    const wanted = new Map(plan.files.filter((f) => used.has(trackKey('file', f.name))).map((f) => [f.name, f]));
    for (const [name, t] of this.files) {
      if (same(wanted.get(name), t.def)) continue;
      t.stop();
      this.files.delete(name);
    }
    for (const def of wanted.values()) {
      if (this.files.has(def.name)) continue;
      const key = trackKey('file', def.name);
      const t = new FileTracker(def, { log: this.log, ...this.deps.file }, (value, reason) => this.onChange(key, 'file', value, reason));
      t.init(reload);
      this.files.set(def.name, t);
    }
  }

  private prepareProcesses(plan: TrackerPlan, used: Set<string>): void {
    const wanted = new Map(plan.processes.filter((p) => used.has(trackKey('process', p.name))).map((p) => [p.name, p]));
    for (const [name, t] of this.processes) {
      if (same(wanted.get(name), t.def)) continue;
      t.stop();
      this.processes.delete(name);
    }
    const fresh: ProcessDef[] = [...wanted.values()].filter((d) => !this.processes.has(d.name));
    if (fresh.length === 0) return;
    const counts = countMatches(fresh, this.listProcs(fresh));
    fresh.forEach((def, i) => {
      const key = trackKey('process', def.name);
      const t = new ProcessTracker(def, { clock: this.deps.clock, log: this.log }, (up, reason) => this.onChange(key, 'process', up, reason));
      t.init(counts[i]);
      this.processes.set(def.name, t);
    });
  }

  private listProcs(defs: readonly ProcessDef[]): ProcInfo[] {
    return (this.deps.listProcs ?? scanProc)(defs.some((d) => d.fullCommand));
  }

  /** Current status of a tracked object by its state machine key, if it is tracked. */
  status(key: string): TrackStatus | undefined {
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (kind === 'script') return this.scripts.get(name)?.status;
    if (kind === 'file') return this.files.get(name)?.value;
    if (kind === 'process') return this.processes.get(name)?.up;
    if (kind === 'bfd') return this.bfds.has(name) ? (this.bfdUp.get(name) ?? false) : undefined;
    return undefined;
  }

  /** The initial track status for an instance's references. */
  initialStatus(refs: readonly TrackRef[]): Record<string, TrackStatus> {
    const out: Record<string, TrackStatus> = {};
    for (const r of refs) {
      const key = trackKey(r.kind, r.name);
      const s = this.status(key);
      if (s !== undefined) out[key] = s;
    }
    return out;
  }

  /** Starts what is not running yet (scripts' first run, file watches, the /proc scan). */
  run(): void {
    if (this.stopped) return;
    for (const t of this.scripts.values()) t.start();
    for (const t of this.files.values()) t.start();
    this.armScan();
  }

  private armScan(): void {
    if (this.scanTimer || this.processes.size === 0 || this.stopped) return;
    const { clock } = this.deps;
    this.scanTimer = clock.at(clock.nowUs() + (this.deps.procScanMs ?? 1000) * 1000, () => {
      this.scanTimer = null;
      void this.scan().then(() => this.armScan());
    });
  }

  /** One /proc scan for every tracked process (sliced, off the advert path unless a test lists them). */
  async scan(): Promise<void> {
    const ts = [...this.processes.values()];
    if (ts.length === 0 || this.stopped) return;
    const defs = ts.map((t) => t.def);
    const withCmdline = defs.some((d) => d.fullCommand);
    const procs = this.deps.listProcs ? this.deps.listProcs(withCmdline) : await scanProcSliced(withCmdline);
    if (this.stopped) return;
    const counts = countMatches(defs, procs);
    // A tracker replaced by a reload during the scan is not updated with the old list.
    ts.forEach((t, i) => {
      if (this.processes.get(t.def.name) === t) t.update(counts[i]);
    });
  }

  /** Before a reload's prepare: remember script counters so changed definitions carry them. */
  beginReload(): void {
    for (const [name, t] of this.scripts) this.prevCounters.set(name, t.counter);
  }

  /** Stops everything; resolves when every script run has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.scanTimer?.cancel();
    this.scanTimer = null;
    for (const t of this.files.values()) t.stop();
    for (const t of this.processes.values()) t.stop();
    await Promise.all([...this.scripts.values()].map((t) => t.stop()));
  }
}

/** Every tracker reference of a plan's instances. */
export function allRefs(instances: readonly { trackRefs?: TrackRef[] }[]): TrackRef[] {
  return instances.flatMap((i) => i.trackRefs ?? []);
}
