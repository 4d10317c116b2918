// The VRRP child's dump signals: DATA (SIGUSR1) -> keepalived.data, STATS (SIGUSR2) ->
// keepalived.stats, JSON (SIGRTMIN+2) -> keepalived.json, STATS_CLEAR (SIGRTMAX-1) -> the stats,
// then zeroed. The supervisor relays them (as keepalived's parent does) and the child also takes
// them directly (kill to the VRRP child's pid works, as with keepalived).
import { loadConfig } from '../config/index.js';
import { loadSysNative } from '../net/native.js';
import { Counters } from '../vrrp/counters.js';
import { formatData } from './dump-data.js';
import { dumpGlobals, dumpSnapshot } from './dump-input.js';
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
        this.globals = dumpGlobals(loadConfig(this.configFile, { configId: this.configId }).model);
      } catch (e) {
        this.log.log('warning', `dump: cannot read global_defs from ${this.configFile}: ${(e as Error).message}`);
      }
    }
    return this.globals ?? dumpGlobals(null);
  }

  /** Writes one dump; never throws (a failure is logged, as keepalived logs "Can't open ..."). */
  dump(kind: DumpKind): void {
    const rt = this.runtime();
    if (!rt) {
      this.log.log('info', `dump (${kind}): the VRRP runtime is not running yet`);
      return;
    }
    // The STATS dump shows no global_defs value: no need to read them for it.
    const snap = dumpSnapshot(rt, kind === 'data' || kind === 'json' ? this.readGlobals() : (this.globals ?? dumpGlobals(null)), this.startUs);
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
      const text = formatJson(snap.instances);
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
