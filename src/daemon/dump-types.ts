// What keepalived's dumps (USR1 data, USR2 stats, the JSON signal) show, as plain data: the
// runtime's view is turned into these by dump-input.ts, and the pure formatters (dump-data.ts,
// dump-stats.ts, dump-json.ts) render them in keepalived 2.2.7's layouts.
import type { KeepalivedStats, VrrpStateName } from '../control/protocol.js';

export interface DumpUnicastPeer {
  addr: string;
  minTtl: number;
  maxTtl: number;
}

export interface DumpTrackedIf {
  ifname: string;
  weight: number;
  reverse: boolean;
}

export interface DumpInstance {
  name: string;
  version: 2 | 3;
  family: 4 | 6;
  syncGroup?: string;
  state: VrrpStateName;
  wantState: VrrpStateName;
  /** The master we hear (BACKUP), its priority and (v3) advert interval. */
  masterAddr: string | null;
  masterPriority: number;
  masterAdverIntUs: number;
  /** Wall-clock microseconds since the epoch. */
  lastTransitionUs: number;
  /** When the instance's next timer fires (wall µs); null: none armed (keepalived's DISABLED). */
  readTimeoutUs: number | null;
  msDownTimerUs: number;
  ifname: string;
  /** Advert source; srcFromConfig: unicast_src_ip / mcast_src_ip. */
  srcAddr: string | null;
  srcFromConfig: boolean;
  unicast: boolean;
  /** The IPv6 multicast socket's interface index (keepalived prints it with ff02::12). */
  mcastIfindex?: number;
  dontTrackPrimary: boolean;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  garpDelayUs: number;
  garpRepeat: number;
  garpRefreshUs: number;
  garpRefreshRepeat: number;
  garpLowerPrioDelayUs: number;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  vrid: number;
  basePriority: number;
  effectivePriority: number;
  totalPriority: number;
  advertIntUs: number;
  accept: boolean;
  nopreempt: boolean;
  preemptDelayUs: number;
  promoteSecondaries: boolean;
  authType: 'none' | 'pass' | 'ah';
  authData?: string;
  /** In keepalived's format_ipaddress form: "192.0.2.100/24 dev eth0 scope global set". */
  vips: string[];
  excludedVips: string[];
  unicastTtl: number;
  checkUnicastSrc: boolean;
  unicastPeers: DumpUnicastPeer[];
  unicastChecksumCompat: string;
  trackedInterfaces: DumpTrackedIf[];
  vipSet: boolean;
  stats: KeepalivedStats;
  /** keepalived's num_script_if_fault (failing weight-0 tracked objects) and num_script_init
   * (weight-0 scripts not yet reported). */
  trackFaults?: number;
  scriptsInit?: number;
  /** use_vmac: the vmac's name, whether it is up, vmac_xmit_base; `ifname` is then the vmac. */
  vmac?: { ifname: string; base: string; up: boolean; xmitBase: boolean };
  /** virtual_routes / virtual_rules in keepalived's format_iproute / format_iprule form. */
  routes?: string[];
  rules?: string[];
  /** What the instance itself tracks (after keepalived's sync group / owner rules) and how it notifies. */
  extra?: DumpTracksAndNotify & { notifyDeleted: boolean };
}

/** A tracked object in a track list: "NAME weight W [reverse]". */
export interface DumpTrackRef {
  name: string;
  weight: number;
  reverse: boolean;
}

/** A notify script as keepalived keeps it: the command resolved, the uid:gid it runs as. */
export interface DumpNotifyScript {
  /** keepalived's label: Backup, Master, Fault, Stop, Deleted, Generic, Master rx lower pri. */
  label: string;
  cmd: string;
  uid: number;
  gid: number;
}

/** The config-side lists an instance or a sync group dump shows. */
export interface DumpTracksAndNotify {
  scripts: DumpTrackRef[];
  files: DumpTrackRef[];
  processes: DumpTrackRef[];
  bfds: DumpTrackRef[];
  notify: DumpNotifyScript[];
  smtpAlert: boolean;
  /** null: not set on a sync group (no line). */
  priorityChanges: boolean | null;
}

/** Who tracks a tracked object: "VI_1, weight -20 [reverse]". */
export interface DumpTracking {
  instance: string;
  weight: number;
  reverse: boolean;
}

export interface DumpVrrpScript {
  name: string;
  cmd: string;
  intervalS: number;
  timeoutS: number;
  weight: number;
  reverse: boolean;
  rise: number;
  fall: number;
  result: number;
  insecure: boolean;
  init: 'INIT' | 'INIT/FAILED' | 'INIT/RELOAD' | 'unknown';
  uid: number;
  gid: number;
  tracking: DumpTracking[];
  running: boolean;
}

export interface DumpTrackFile {
  name: string;
  path: string;
  value: number;
  weight: number;
  reverse: boolean;
  tracking: DumpTracking[];
}

export interface DumpTrackProcess {
  name: string;
  process: string;
  params: string[];
  paramMatch: 'none' | 'exact' | 'initial' | 'partial';
  quorum: number;
  /** undefined: no quorum_max (no line). */
  quorumMax?: number;
  current: number;
  haveQuorum: boolean;
  weight: number;
  reverse: boolean;
  terminateDelayMs: number;
  forkDelayMs: number;
  forkTimer: boolean;
  terminateTimer: boolean;
  fullCommand: boolean;
  tracking: DumpTracking[];
}

export interface DumpTrackBfd {
  name: string;
  weight: number;
  reverse: boolean;
  up: boolean;
  tracking: DumpTracking[];
}

/** One interface as keepalived's dump_if shows it. */
export interface DumpInterface {
  name: string;
  index: number;
  ipv4: string[];
  ipv6: string[];
  mac: string;
  macBroadcast: string;
  up: boolean;
  running: boolean;
  broadcast: boolean;
  loopback: boolean;
  pointToPoint: boolean;
  noArp: boolean;
  multicast: boolean;
  mtu: number;
  /** ARPHRD_*: 1 ETHERNET, 772 LOOPBACK. */
  hwType: number;
  /** A vmac of ours: its base interface and the base's state. */
  vmacOf?: { base: string; up: boolean; running: boolean };
  resetArpConfig: number;
  arpIgnore: number;
  arpFilter: number;
  /** Shown when keepalived set it (vmacs and their base interfaces). */
  rpFilter?: number;
  promoteSecondaries: number;
  /** An IPv6 instance sent unsolicited NAs here: net.ipv6.conf.IF.forwarding and when it was looked at (wall µs). */
  gnaRouterCheck?: { forwarding: boolean; atUs: number };
  tracking: DumpTracking[];
}

export interface DumpSyncGroup {
  name: string;
  state: VrrpStateName;
  members: string[];
  numMemberFault: number;
  numMemberInit: number;
  trackingWeight?: boolean;
  extra?: DumpTracksAndNotify;
}

/** global_defs as the data dump prints them (keepalived's defaults where the config says nothing). */
export interface DumpGlobals {
  routerId: string;
  /** keepalived's default_interface (eth0 unless set). */
  defaultInterface: string;
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  garpDelayS: number;
  garpRepeat: number;
  garpRefreshS: number;
  garpRefreshRepeat: number;
  garpLowerPrioDelayS: number;
  garpLowerPrioRepeat: number;
  downTimerAdverts: number;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
  garpIntervalS: number;
  gnaIntervalS: number;
  vrrpVersion: 2 | 3;
  checkUnicastSrc: boolean;
  skipCheckAdvAddr: boolean;
  strict: boolean;
  scriptSecurity: boolean;
  /** global_defs values keepalived prints (defaults when unset). */
  rsInitNotifies?: boolean;
  noCheckerEmails?: boolean;
  checkerLogAllFailures?: boolean;
  dynamicInterfaces?: boolean;
  lvsFlush?: boolean;
  lvsFlushOnStop?: 'disabled' | 'full' | 'VS';
  fifoWriteVrrpStatesOnReload?: boolean;
  vrrpNotifyPriorityChanges?: boolean;
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  noEmailFaults?: boolean;
  disableLocalIgmp?: boolean;
  maxAutoPriority?: number;
  /** The default script user's uid:gid; null: keepalived prints no line (no such user). */
  defaultScriptUid?: { uid: number; gid: number } | null;
  smtp?: { server: string; port: number; helo?: string; connectTimeoutS?: number; from?: string; to: string[] };
  fifos?: { label: string; path: string; uid: number; gid: number; script?: { cmd: string; uid: number; gid: number } }[];
  vrrpStartupDelayS?: number;
  logUnknownVrids?: boolean;
  vmacPrefix?: string;
  vmacAddrPrefix?: string;
}

export interface DumpSnapshot {
  globals: DumpGlobals;
  instances: DumpInstance[];
  syncGroups: DumpSyncGroup[];
  /** static_ipaddress (format_ipaddress), static_routes, static_rules. */
  statics?: { addresses: string[]; routes: string[]; rules: string[] };
  scripts?: DumpVrrpScript[];
  trackFiles?: DumpTrackFile[];
  trackProcesses?: DumpTrackProcess[];
  trackBfds?: DumpTrackBfd[];
  interfaces?: DumpInterface[];
}
