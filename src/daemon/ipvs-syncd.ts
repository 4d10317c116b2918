// lvs_sync_daemon for the checker child's IPVS side: the kernel's connection sync daemon follows one
// vrrp_instance as keepalived's VRRP process drives it (vrrp.c, vrrp_scheduler.c): backup while the
// instance is not MASTER, master while it is, stopped at exit. A daemon left running by an earlier run
// (a restart after a crash) is adopted instead of failing with EEXIST. Its own seam: the sync daemon is
// a kernel object apart from the virtual server table, with its own state.
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
  /** The state this process started (or adopted); 0 none. */
  private state = 0;

  constructor(private readonly log: (level: LogLevel, message: string) => void) {}

  /** Brings the kernel's daemon to what the instance's state asks for (master on MASTER, else backup). */
  async follow(k: SyncDaemonKernel, c: SyncDaemonConf, instanceState: string | undefined): Promise<void> {
    const want = instanceState === 'MASTER' ? SYNC_MASTER : SYNC_BACKUP;
    if (this.state === want) return;
    if (this.state === 0) {
      const have = await k.getDaemons();
      const states = have.ok ? have.value.map((x) => x.state) : [];
      for (const s of states) if (s !== want && s !== undefined) await k.stopDaemon(s);
      if (states.includes(want)) {
        this.state = want;
        return;
      }
    } else {
      const r = await k.stopDaemon(this.state);
      if (!r.ok) this.log('err', `IPVS: stopping the sync daemon: ${r.error}`);
    }
    const r = await k.startDaemon(syncDaemonRequest(c, want));
    this.state = r.ok ? want : 0;
    this.log(r.ok ? 'info' : 'err', r.ok
      ? `Starting IPVS sync daemon ${want === SYNC_MASTER ? 'master' : 'backup'} on ${c.ifname} (syncid ${c.syncId ?? 0})`
      : `IPVS: starting the sync daemon: ${r.error}`);
  }

  /** Stops the daemon this process runs (at exit, or before a changed lvs_sync_daemon starts). */
  async stop(k: SyncDaemonKernel | undefined): Promise<void> {
    if (!k || !this.state) return;
    const r = await k.stopDaemon(this.state);
    if (!r.ok) this.log('err', `IPVS: stopping the sync daemon: ${r.error}`);
    this.state = 0;
  }
}
