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
}

export interface DumpSyncGroup {
  name: string;
  state: VrrpStateName;
  members: string[];
  numMemberFault: number;
  numMemberInit: number;
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
}

export interface DumpSnapshot {
  globals: DumpGlobals;
  instances: DumpInstance[];
  syncGroups: DumpSyncGroup[];
}
