// The VRRP child's dump signals: DATA (SIGUSR1) -> keepalived.data, STATS (SIGUSR2) ->
// keepalived.stats, JSON (SIGRTMIN+2) -> keepalived.json, STATS_CLEAR (SIGRTMAX-1) -> the stats,
// then zeroed. The supervisor relays them (as keepalived's parent does) and the child also takes
// them directly (kill to the VRRP child's pid works, as with keepalived).
import { loadConfig } from '../config/index.js';
import { loadSysNative } from '../net/native.js';
import { Counters } from '../vrrp/counters.js';
import type { KeepalivedConfig } from '../config/model.js';
import { dumpConfig, type DumpConfig, type Resolver } from './dump-config.js';
import { formatData } from './dump-data.js';
import { dumpGlobals, dumpSnapshot } from './dump-input.js';
import { readLinks } from './dump-links.js';
import { hostInfo } from './notify.js';
import { cmdStr } from './notify-scripts.js';
import { checkScriptSecure, defaultScriptUser, lookupUser } from './script-exec.js';
import { formatJson } from './dump-json.js';
import { SIGNUMS } from './dump-signals.js';
import { formatStats } from './dump-stats.js';
import type { DumpGlobals } from './dump-types.js';
import { DUMP_FILES, dumpDir, writeDumpFile } from './dump-writer.js';
import type { Logger } from './log.js';
import type { VrrpRuntime } from './runtime.js';

export type DumpKind = 'data' | 'stats' | 'json' | 'stats-clear';

/** The relayed signal names (ipc 'signal' message) and what each dumps. */
export const SIGNAL_DUMPS: Record<string, DumpKind> = { SIGUSR1: 'data', SIGUSR2: 'stats', JSON: 'json', STATS_CLEAR: 'stats-clear' };

export class VrrpDumper {
  private globals: DumpGlobals | null = null;
  private config: DumpConfig | null = null;
  private resolver: Resolver = resolverFor(null);
  private globalsStale = true;
  private readonly startUs = Date.now() * 1000;

  constructor(
    private readonly runtime: () => VrrpRuntime | null,
    private readonly log: Logger,
    private readonly configFile: string,
    private readonly configId: string,
    private readonly dir: string = dumpDir(),
  ) {}

  /** Called at start and after each applied reload: global_defs are read again at the next DATA
   * dump (lazily: parsing a large config twice on every reload would double the reload's cost). */
  refreshGlobals(): void {
    this.globalsStale = true;
  }

  private readGlobals(): DumpGlobals {
    if (this.globalsStale || !this.globals) {
      this.globalsStale = false;
      try {
        const model = loadConfig(this.configFile, { configId: this.configId }).model;
        this.resolver = resolverFor(model);
        this.config = dumpConfig(model, this.resolver, hostInfo());
        const g = dumpGlobals(model);
        g.defaultScriptUid = this.resolver.user(undefined);
        g.fifos = this.config.fifos;
        this.globals = g;
      } catch (e) {
        this.log.log('warning', `dump: cannot read global_defs from ${this.configFile}: ${(e as Error).message}`);
      }
    }
    return this.globals ?? dumpGlobals(null);
  }

  /** Writes one dump; never throws (a failure is logged, as keepalived logs "Can't open ..."). */
  dump(kind: DumpKind): void {
    try {
      this.dumpOrThrow(kind);
    } catch (e) {
      // A dump must never take the VRRP child down.
      this.log.log('err', `dump (${kind}) failed: ${(e as Error).message}`);
    }
  }

  private dumpOrThrow(kind: DumpKind): void {
    const rt = this.runtime();
    if (!rt) {
      this.log.log('info', `dump (${kind}): the VRRP runtime is not running yet`);
      return;
    }
    // The STATS dump shows no global_defs value: no need to read them for it.
    const full = kind === 'data' || kind === 'json';
    const globals = full ? this.readGlobals() : (this.globals ?? dumpGlobals(null));
    // DATA and JSON show the config-side lists; only DATA the interfaces.
    const extras = kind === 'data' ? { config: this.config, resolver: this.resolver, links: readLinks() } : kind === 'json' ? { config: this.config, resolver: this.resolver } : undefined;
    const snap = dumpSnapshot(rt, globals, this.startUs, extras);
    const pid = process.pid;
    let r: ReturnType<typeof writeDumpFile> | null = null;
    if (kind === 'data') {
      this.log.log('info', `Printing VRRP data for process(${pid}) on signal`);
      r = writeDumpFile(this.dir, DUMP_FILES.data, formatData(snap));
    } else if (kind === 'stats' || kind === 'stats-clear') {
      this.log.log('info', `Printing ${kind === 'stats-clear' ? 'and clearing ' : ''}VRRP stats for process(${pid}) on signal`);
      r = writeDumpFile(this.dir, DUMP_FILES.stats, formatStats(snap.instances));
      if (kind === 'stats-clear') clearStats(rt);
    } else {
      this.log.log('info', `Printing VRRP as json for process(${pid}) on signal`);
      const text = formatJson(snap.instances, new Map((snap.scripts ?? []).map((x) => [x.name, x.cmd])));
      if (text !== null) r = writeDumpFile(this.dir, DUMP_FILES.json, text);
    }
    if (r && !r.ok) this.log.log('info', r.error);
  }

  /** Takes the signals directly too: USR1/USR2 (else Node's USR1 would start its inspector) and the
   * real-time JSON / STATS_CLEAR signals through the addon. Returns problems, if any. */
  watchSignals(): string[] {
    process.on('SIGUSR1', () => this.dump('data'));
    process.on('SIGUSR2', () => this.dump('stats'));
    return watchRealtime((sig) => this.dump(sig === SIGNUMS.JSON ? 'json' : 'stats-clear'));
  }
}

/** keepalived's view of a command: argv[0] found (symlinks resolved), run as the script's own user
 * or the default script user. null: keepalived would not run it (no such user, not found). */
function resolverFor(model: KeepalivedConfig | null): Resolver {
  const g = model?.globals;
  const su = g?.node?.children?.find((c) => c.keyword === 'script_user')?.args.map((a) => a.text);
  const security = g?.enableScriptSecurity ?? false;
  const user = (words: string[] | undefined) => {
    const r = words && words.length > 0 ? lookupUser(words[0], words[1]) : defaultScriptUser(su && su.length > 0 ? su.slice(0, 2) : undefined, security);
    return r.ok ? r.value : null;
  };
  return {
    user,
    command: (argv, words) => {
      const u = user(words);
      if (!u) return null;
      const v = checkScriptSecure(argv, u, security);
      return v.runnable ? { cmd: cmdStr(v.argv), uid: u.uid, gid: u.gid, insecure: v.insecure } : null;
    },
  };
}

/** Watches JSON and STATS_CLEAR through the addon; the problems (addon missing) as messages. */
export function watchRealtime(cb: (signum: number) => void): string[] {
  const sys = loadSysNative();
  if (!sys.ok) return [`the JSON and STATS_CLEAR signals cannot be caught (${sys.error}); sending them would end this process`];
  const out: string[] = [];
  for (const n of [SIGNUMS.JSON, SIGNUMS.STATS_CLEAR]) {
    const r = sys.addon.signalWatch(n, cb);
    if (!r.ok) out.push(r.error);
  }
  return out;
}

/** keepalived's STATS_CLEAR zeroes vrrp_stats after printing them. */
function clearStats(rt: VrrpRuntime): void {
  for (const io of rt.ios.values()) {
    io.counters = new Counters();
    io.advertsSent = 0;
    io.priorityZeroSent = 0;
    io.becameMaster = 0;
    io.releasedMaster = 0;
  }
}
