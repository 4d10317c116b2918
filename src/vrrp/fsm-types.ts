// Types of the pure VRRP state machine: configuration, per-instance state, events and actions.
// All times are microseconds on the caller's clock (keepalived's TIMER_HZ).

import type { Advert, AuthType, Family, VrrpVersion } from './types.js';
import type { TrackSpec, TrackStatus } from './tracking.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** advert: the master's advert timer; master-down: a backup's Master_Down_Timer; garp-delay: the
 * second burst of gratuitous ARP/NA garp_master_delay after becoming master. */
export type TimerId = 'advert' | 'master-down' | 'garp-delay';

/** One vrrp_instance as the state machine needs it (the config engine maps keywords onto this). */
export interface InstanceConfig {
  name: string;
  /** virtual_router_id, 1-255. */
  vrid: number;
  /** vrrp_version; keepalived's default is 2. */
  version?: VrrpVersion;
  /** Derived from primaryAddr when absent. */
  family?: Family;
  /** The interface the instance runs on: VRIDs are per interface (absent: one segment for all). */
  interface?: string;
  /** unicast_peer addresses (empty or absent: multicast); adverts for a VRID shared by several
   * unicast instances on one interface go to the one with the sender as peer. */
  unicastPeers?: string[];
  /** priority 1-255; default 100, or 255 when state MASTER is given without a priority. */
  priority?: number;
  /** advert_int in microseconds; default 1 s. v2 rounds to whole seconds, v3 to centiseconds. */
  advertIntUs?: number;
  /** Initial state. Only an address owner (priority 255) with state MASTER starts as master at once. */
  state?: 'MASTER' | 'BACKUP';
  nopreempt?: boolean;
  /** preempt_delay in microseconds (0-1000 s). */
  preemptDelayUs?: number;
  /** The address our adverts come from (interface primary address or unicast_src_ip). */
  primaryAddr: string;
  /** virtual_ipaddress (and excluded ones): what a master adds and advertises. */
  vips: string[];
  /** garp_master_delay (default 5 s; 0 = no second burst). */
  garpMasterDelayUs?: number;
  /** garp_master_repeat (default 5). */
  garpMasterRepeat?: number;
  /** garp_master_refresh (default 0 = none). */
  garpMasterRefreshUs?: number;
  /** garp_master_refresh_repeat (default 1). */
  garpMasterRefreshRepeat?: number;
  /** down_timer_adverts 1-100 (default 3). */
  downTimerAdverts?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  authType?: AuthType;
  authData?: string;
  /** track_interface / track_script / track_file / track_process / track_bfd. */
  tracks?: TrackSpec[];
  /** Status of tracked objects at start (missing = up / 0). */
  initialTrackStatus?: Record<string, TrackStatus>;
}

/** InstanceConfig with every default and keepalived's fix-ups applied. */
export interface ResolvedInstanceConfig {
  name: string;
  vrid: number;
  version: VrrpVersion;
  family: Family;
  interface?: string;
  unicastPeers: string[];
  priority: number;
  advertIntUs: number;
  state: 'MASTER' | 'BACKUP';
  nopreempt: boolean;
  preemptDelayUs: number;
  primaryAddr: string;
  primaryAddrBytes: number[];
  vips: string[];
  garpMasterDelayUs: number;
  garpMasterRepeat: number;
  garpMasterRefreshUs: number;
  garpMasterRefreshRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  authType: AuthType;
  authData?: string;
  tracks: TrackSpec[];
}

/** Run-time state of one instance. step() never mutates it: it returns a new one. */
export interface InstanceState {
  cfg: ResolvedInstanceConfig;
  state: VrrpState;
  /** The state the instance would be in disregarding its sync group (keepalived's wantstate). */
  wantstate: VrrpState;
  /** Configured priority; an owner lowers it to 254 when another owner shows up. */
  basePriority: number;
  /** The priority we advertise: override, else base + track weights, clamped. */
  effectivePriority: number;
  /** Operator promote/demote: replaces the computed priority until cleared. */
  overridePriority: number | null;
  /** Operator promote: take over now, whatever nopreempt / preempt_delay say (absent = false). */
  overrideTakeover?: boolean;
  trackStatus: Record<string, TrackStatus>;
  /** Master_Adver_Interval: our advert_int, or (v3) the one learned from the master. */
  masterAdverIntUs: number;
  /** The current Master_Down_Timer length. */
  msDownTimerUs: number;
  /** Deadlines of the armed timers. */
  timers: Partial<Record<TimerId, number>>;
  /** When preempt_delay expires (null: not running). */
  preemptTime: number | null;
  masterAddr: string | null;
  masterPriority: number | null;
  /** Whether our VIPs are configured (we are, or just were, master). */
  vipSet: boolean;
  /** When the next garp_master_refresh burst is due (checked at each advert). */
  garpRefreshAt: number | null;
  lastTransition: number | null;
}

export interface SyncGroupConfig {
  name: string;
  /** Instance names (vrrp_sync_group { group { ... } }). */
  members: string[];
}

export interface SyncGroupState {
  name: string;
  members: string[];
  state: VrrpState;
}

export type FsmEvent =
  | { type: 'start' }
  /** instance: the receiver already knows it (routed by interface + VRID); else ifname/multicast help route. */
  | { type: 'advert'; advert: Advert; instance?: string; ifname?: string; multicast?: boolean }
  | { type: 'timer'; instance?: string; timer: TimerId }
  | { type: 'track'; track: string; status: TrackStatus }
  | { type: 'shutdown' }
  /** The instance's advert source changed (the interface's address came or went): new primary address. */
  | { type: 'source-address'; instance?: string; addr: string }
  /** takeover (promote): become MASTER now, overriding nopreempt and preempt_delay while in force. */
  | { type: 'override'; instance?: string; priority: number | null; takeover?: boolean }
  /** keepalived's set_vrrp_backup: a master lost something it must hold (a tracked virtual route or
   * rule was deleted): straight to BACKUP with priority 0, its sync group's masters along. */
  | { type: 'set-backup'; instance?: string };

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

export type FsmAction =
  | { type: 'send-advert'; instance: string; advert: Advert }
  | { type: 'add-vips'; instance: string; addrs: string[] }
  | { type: 'remove-vips'; instance: string; addrs: string[] }
  | { type: 'send-garp'; instance: string; addrs: string[]; repeat: number }
  | { type: 'notify'; instance: string; state: NotifyState }
  | { type: 'notify-group'; group: string; state: NotifyState }
  | { type: 'notify-priority'; instance: string; priority: number }
  | { type: 'notify-event'; instance: string; event: 'master_rx_lower_pri' }
  | { type: 'arm-timer'; instance: string; timer: TimerId; at: number }
  | { type: 'cancel-timer'; instance: string; timer: TimerId }
  /** A valid input the protocol tells us to ignore (wrong interval, lower priority, ...). */
  | { type: 'discard'; instance?: string; reason: string }
  /** A malformed input: what was wrong and where. The state is unchanged. */
  | { type: 'error'; where: string; message: string };

export interface ConfigIssue {
  severity: 'error' | 'warning';
  /** Instance (or group) name and field, e.g. "VI_1.priority". */
  where: string;
  message: string;
}
