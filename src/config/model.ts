// The typed model of a keepalived.conf: what the daemon runs from. Every node keeps its position.
import type { ConfNode } from './ast.js';
import type { Pos } from './diagnostics.js';

export interface Positioned {
  pos: Pos;
  /** The syntax node it came from (every keyword, including ones the model has no field for). */
  node: ConfNode;
}

export interface IpAddress extends Positioned {
  /** Address text as written (without prefix). */
  addr: string;
  prefix?: number;
  family: 4 | 6;
  dev?: string;
  scope?: string;
  label?: string;
  brd?: string;
  noTrack: boolean;
}

export interface Route extends Positioned {
  dest: string;
  family?: 4 | 6;
  via?: string;
  dev?: string;
  table?: string;
  noTrack: boolean;
}

export interface Rule extends Positioned {
  words: string[];
  preference?: number;
}

export interface Track extends Positioned {
  name: string;
  weight?: number;
  reverse: boolean;
}

export interface UnicastPeer extends Positioned {
  addr: string;
  family: 4 | 6;
}

export interface VrrpScript extends Positioned {
  name: string;
  script?: string;
  interval: number;
  timeout?: number;
  weight: number;
  rise: number;
  fall: number;
  user?: string;
}

export interface NamedTracker extends Positioned {
  name: string;
  kind: 'vrrp_track_file' | 'vrrp_track_process';
}

export interface VrrpInstance extends Positioned {
  name: string;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid?: number;
  priority: number;
  /** Seconds (keepalived reads decimals, e.g. 0.1 for v3). */
  advertInt: number;
  version: 2 | 3;
  family?: 4 | 6;
  nopreempt: boolean;
  preemptDelay: number;
  authType?: 'PASS' | 'AH';
  authPass?: string;
  vips: IpAddress[];
  excludedVips: IpAddress[];
  virtualRoutes: Route[];
  virtualRules: Rule[];
  trackInterfaces: Track[];
  trackScripts: Track[];
  trackFiles: Track[];
  trackProcesses: Track[];
  unicastSrcIp?: string;
  unicastPeers: UnicastPeer[];
  mcastSrcIp?: string;
  useVmac: boolean;
  notify: Partial<Record<'notify' | 'notify_master' | 'notify_backup' | 'notify_fault' | 'notify_stop', string>>;
  syncGroup?: string;
}

export interface SyncGroup extends Positioned {
  name: string;
  members: { name: string; pos: Pos }[];
}

export interface Checker extends Positioned {
  type: string;
  connectIp?: string;
  connectPort?: number;
  connectTimeout?: number;
  urls: { path?: string; digest?: string; statusCode?: string; pos: Pos }[];
  miscPath?: string;
}

export interface RealServer extends Positioned {
  addr: string;
  port?: number;
  weight: number;
  checkers: Checker[];
}

export interface VirtualServer extends Positioned {
  kind: 'ip' | 'fwmark' | 'group';
  addr?: string;
  port?: number;
  fwmark?: number;
  group?: string;
  family?: 4 | 6;
  protocol?: string;
  lbAlgo?: string;
  lbKind?: string;
  delayLoop?: number;
  persistenceTimeout?: number;
  quorum?: number;
  sorryServer?: { addr: string; port?: number };
  realServers: RealServer[];
}

export interface VirtualServerGroup extends Positioned {
  name: string;
  entries: { text: string; port?: number; fwmark?: number; pos: Pos }[];
}

export interface GlobalDefs extends Positioned {
  routerId?: string;
  scriptUser?: string;
  enableScriptSecurity: boolean;
  vrrpStrict: boolean;
  vrrpVersion?: 2 | 3;
  vrrpSkipCheckAdvAddr: boolean;
}

export interface KeepalivedConfig {
  files: string[];
  /** The whole syntax tree, top level first. */
  nodes: ConfNode[];
  globals?: GlobalDefs;
  vrrpScripts: VrrpScript[];
  trackers: NamedTracker[];
  syncGroups: SyncGroup[];
  instances: VrrpInstance[];
  staticAddresses: IpAddress[];
  staticRoutes: Route[];
  staticRules: Rule[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
}
