// lvs_sync_daemon for the checker child's IPVS side: the kernel's connection sync daemon follows one
// vrrp_instance as keepalived's VRRP process drives it (vrrp.c, vrrp_scheduler.c): backup while the
// instance is not MASTER, master while it is; with no instance named, master and backup both run (as
// keepalived's checker process starts them); stopped at exit. Daemons left running by an earlier run
// (a restart after a crash) are adopted instead of failing with EEXIST. Its own seam: the sync daemon
// is a kernel object apart from the virtual server table, with its own state.
import { syncDaemonRequest, type SyncDaemonConf } from '../ipvs/daemon-config.js';
import type { IpvsDaemon } from '../ipvs/genl-codec.js';
import type { Result } from '../net/nlattr.js';
import type { LogLevel } from './ipc.js';

/** The kernel's sync daemon states (IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP). */
export const SYNC_MASTER = 1;
export const SYNC_BACKUP = 2;

/** What the sync daemon needs of the kernel (IpvsClient has it). */
export interface SyncDaemonKernel {
  getDaemons(): Promise<Result<IpvsDaemon[]>>;
  startDaemon(d: IpvsDaemon): Promise<Result<void>>;
  stopDaemon(state: number): Promise<Result<void>>;
}

export class IpvsSyncDaemon {
  /** The states this process started (or adopted); undefined until the kernel was first asked. */
  private running: Set<number> | undefined;
  /** One change at a time: a second state change waits for the first (else a double start, EEXIST). */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly log: (level: LogLevel, message: string) => void) {}

  /**
   * Brings the kernel's daemons to what the config and the instance's state ask for: master on
   * MASTER, else backup; without an instance both (keepalived's checker starts IPVS_MASTER_BACKUP).
   */
  follow(k: SyncDaemonKernel, c: SyncDaemonConf, instanceState: string | undefined): Promise<void> {
    const want = c.instance === undefined ? [SYNC_MASTER, SYNC_BACKUP] : [instanceState === 'MASTER' ? SYNC_MASTER : SYNC_BACKUP];
    return this.enqueue(() => this.reach(k, c, new Set(want)));
  }

  /** Stops the daemons this process runs (at exit, or before a changed lvs_sync_daemon starts). */
  stop(k: SyncDaemonKernel | undefined): Promise<void> {
    return this.enqueue(async () => {
      if (k) for (const s of this.running ?? []) await this.stopOne(k, s);
      this.running = undefined;
    });
  }

  private enqueue(f: () => Promise<void>): Promise<void> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reach(k: SyncDaemonKernel, c: SyncDaemonConf, want: Set<number>): Promise<void> {
    if (!this.running) {
      // Daemons left running by an earlier run (a restart): keep the wanted ones rather than fail with EEXIST.
      const have = await k.getDaemons();
      this.running = new Set(have.ok ? have.value.map((x) => x.state).filter((s): s is number => s !== undefined) : []);
    }
    // keepalived's order (ipvs_syncd_master/backup): the unwanted one stops before the wanted one starts.
    for (const s of [...this.running]) if (!want.has(s)) await this.stopOne(k, s);
    for (const s of want) {
      if (this.running.has(s)) continue;
      const r = await k.startDaemon(syncDaemonRequest(c, s as 1 | 2));
      if (r.ok) this.running.add(s);
      this.log(r.ok ? 'info' : 'err', r.ok
        ? `Starting IPVS sync daemon ${s === SYNC_MASTER ? 'master' : 'backup'} on ${c.ifname} (syncid ${c.syncId ?? 0})`
        : `IPVS: starting the sync daemon: ${r.error}`);
    }
  }

  private async stopOne(k: SyncDaemonKernel, state: number): Promise<void> {
    const r = await k.stopDaemon(state);
    if (!r.ok) this.log('err', `IPVS: stopping the sync daemon: ${r.error}`);
    this.running?.delete(state);
  }
}
