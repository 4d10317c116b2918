// The control-socket protocol shared by the daemon and keepalivedctl: newline-delimited JSON-RPC 2.0
// over a Unix stream socket. One JSON object per line each way; requests carry an id, the daemon
// answers each with a result or an error; `events` turns the connection into a stream of
// notifications. Types only: server.ts and client.ts implement the framing.

export const PROTOCOL_VERSION = 1;
export const DEFAULT_SOCKET = '/run/keepalived/keepalivedctl.sock';
export const SOCKET_ENV = 'KEEPALIVEDCTL_SOCKET';
/** A request line longer than this is refused (and the connection closed): nobody needs more. */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** JSON-RPC 2.0 error codes, plus ours in the implementation-defined range. */
export const RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The client speaks a protocol version the daemon does not. */
  versionMismatch: -32001,
  /** The named vrrp_instance does not exist. */
  noSuchInstance: -32002,
  /** The request is valid but cannot be done now (e.g. reload while one is running). */
  busy: -32003,
  /** The new configuration is invalid; data carries its diagnostics. */
  invalidConfig: -32004,
} as const;

export interface RpcRequest {
  jsonrpc: '2.0';
  id?: number | string;
  method: string;
  params?: Record<string, unknown>;
}

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcResponse =
  | { jsonrpc: '2.0'; id: number | string | null; result: unknown }
  | { jsonrpc: '2.0'; id: number | string | null; error: RpcError };

export interface RpcNotification {
  jsonrpc: '2.0';
  method: 'event';
  params: DaemonEvent;
}

// ---- Methods ----

export type VrrpStateName = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** An operator's runtime decision on an instance (whole sync group), persisted across restarts. */
export interface Override {
  kind: 'promote' | 'demote' | 'demote-fault';
  /** The priority it imposes: 254 for promote, 1 for demote; demote-fault forces FAULT. */
  priority: number;
  /** ISO 8601 times. */
  setAt: string;
  expiresAt?: string;
}

export interface TrackState {
  name: string;
  kind: 'interface' | 'script' | 'file' | 'process' | 'bfd';
  weight: number;
  /** up/down, a track_file's value, or 'init' before a script first reports. */
  status: boolean | number | 'init';
}

export interface Transition {
  from: VrrpStateName;
  to: VrrpStateName;
  /** ISO 8601. */
  at: string;
  /** Why, in words: "master down timer expired", "higher priority advert from 192.0.2.2", ... */
  reason: string;
}

export interface InstanceStatus {
  name: string;
  state: VrrpStateName;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  interface: string;
  /** advert_int in milliseconds; clients wait this long for a state to settle (absent: 1000). */
  advertIntMs?: number;
  syncGroup?: string;
  priority: { configured: number; effective: number; override: number | null };
  /** The current master's address (ours when we are master), null when unknown. */
  masterAddr: string | null;
  vips: string[];
  tracks: TrackState[];
  override?: Override;
  lastTransition?: Transition;
  /** keepalived's own view, as its STATS / JSON dumps give it (absent from daemons that predate it). */
  keepalived?: KeepalivedInstanceView;
  counters: {
    advertsSent: number;
    advertsReceived: number;
    becameMaster: number;
    releasedMaster: number;
    priorityZeroSent: number;
    priorityZeroReceived: number;
    /** Received packets dropped, by the codec's drop reason. */
    drops: Record<string, number>;
  };
}

/** keepalived's vrrp_stats, under keepalived's names (the keepalived.stats and keepalived.json dumps). */
export interface KeepalivedStats {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
}

export interface KeepalivedInstanceView {
  stats: KeepalivedStats;
  /** The state the instance would be in without its sync group (keepalived's wantstate). */
  wantState: VrrpStateName;
  /** The master's advertised priority (0 when none heard), as keepalived's master_priority. */
  masterPriority: number;
  /** Whether the VIPs are configured on the host now (keepalived's vipset). */
  vipSet: boolean;
}

export interface StatusResult {
  protocolVersion: number;
  daemon: { pid: number; version: string; configFile: string; configId: string; startedAt: string };
  instances: InstanceStatus[];
  syncGroups: { name: string; state: VrrpStateName; members: string[] }[];
  /** Received packets no instance could own (unknown VRID, unreadable headers), per socket and reason,
   * so every packet is accounted for; absent from daemons that predate it. */
  unattributedDrops?: UnattributedDrop[];
  /** The checker process's virtual servers (absent without virtual servers or from older daemons). */
  virtualServers?: VirtualServerStatus[];
  /** Whether the kernel's IPVS table is being kept (false: no ip_vs; checkers still run). */
  ipvs?: { available: boolean; detail?: string };
  /** The BFD child's sessions (absent when it does not run or from older daemons). */
  bfd?: BfdSessionState[];
}

/** One bfd_instance's session as the BFD child reports it (intervals in microseconds). */
export interface BfdSessionState {
  name: string;
  neighbor: string;
  source?: string;
  state: 'AdminDown' | 'Down' | 'Init' | 'Up';
  remoteState: string;
  localDiag: string;
  remoteDiag: string;
  localDiscriminator: number;
  remoteDiscriminator: number;
  txIntervalUs: number;
  detectionTimeUs: number;
  minRxUs: number;
  minTxUs: number;
  idleTxUs: number;
  multiplier: number;
  passive: boolean;
  packetsSent: number;
  packetsReceived: number;
  localPort?: number;
}

export interface VirtualServerStatus {
  /** As keepalived names it: 'TCP 192.0.2.10:80', 'FWM 7', 'GROUP web TCP'. */
  name: string;
  /** The kernel services it makes (one, or one per group entry). */
  services: string[];
  /** Quorum state (weight of live real servers against quorum/hysteresis). */
  quorumUp: boolean;
  /** Held as they are (ha_suspend while the VIP's instance is not MASTER). */
  suspended?: boolean;
  sorryServer?: { address: string; active: boolean };
  realServers: RealServerEntry[];
  /** The kernel's IPVS counters, summed over its services (absent without IPVS or before a read). */
  kernelStats?: IpvsKernelStats;
}

/** The kernel's IPVS counters (since the service/destination was made; saturate at 2^53-1) and its
 * per-second estimates (the kernel's estimator, a ~2 s moving average). */
export interface IpvsKernelStats {
  connections: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  connectionsPerSecond: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
}

export interface RealServerEntry {
  /** 'addr:port' ('[v6]:port'). */
  address: string;
  up: boolean;
  /** The weight the checkers give it (MISC_CHECK may change it). */
  weight: number;
  /** Its weight in the kernel's table now; null when it is not in the table (or there is no IPVS). */
  tableWeight: number | null;
  checkers: { type: string; up: boolean; detail: string }[];
  /** The kernel's counters for it, summed over the virtual server's services (absent when not in the table). */
  kernelStats?: IpvsKernelStats;
}

export interface UnattributedDrop {
  /** The interface of the socket that received the packets. */
  interface: string;
  family: 4 | 6;
  /** The codec's drop reason (e.g. vrid_unknown, truncated, ip_header_invalid). */
  reason: string;
  count: number;
}

export interface StatusParams {
  /** Only this instance (error noSuchInstance if unknown). */
  instance?: string;
}

export interface OverrideParams {
  instance: string;
  /** Milliseconds until the override expires by itself; absent = until `clear`. */
  forMs?: number;
}

export interface DemoteParams extends OverrideParams {
  /** Go to FAULT (VIPs released even with no peer) instead of BACKUP at priority 1. */
  fault?: boolean;
}

export interface OverrideResult {
  /** Every instance the request moved (the whole sync group). */
  instances: string[];
  /** What was in force before, per instance (null: nothing). */
  previous: Record<string, Override | null>;
  /** What is in force now, per instance (null after clear). */
  current: Record<string, Override | null>;
}

export interface ReloadParams {
  /** Only compute and return the plan; change nothing. */
  dryRun?: boolean;
}

export interface ReloadResult {
  applied: boolean;
  plan: { added: string[]; removed: string[]; changed: string[]; unchanged: string[] };
}

export type DaemonEvent =
  | { type: 'transition'; instance: string; transition: Transition }
  | { type: 'group-transition'; group: string; transition: Transition }
  | { type: 'priority'; instance: string; effective: number }
  /** A MASTER received an advert with a lower priority (keepalived's notify_master_rx_lower_pri). */
  | { type: 'master-rx-lower-pri'; instance: string }
  | { type: 'track'; instance: string; track: TrackState }
  | { type: 'override'; instance: string; override: Override | null }
  | { type: 'checker'; virtualServer: string; realServer: string; checker: string; up: boolean; detail?: string }
  | { type: 'reload'; ok: boolean; detail?: string };

/** Method name -> [params, result]. `events` answers once ({subscribed: true}) then streams notifications. */
export interface Methods {
  version: [Record<string, never>, { protocolVersion: number; daemonVersion: string }];
  status: [StatusParams, StatusResult];
  promote: [OverrideParams, OverrideResult];
  demote: [DemoteParams, OverrideResult];
  clear: [{ instance: string }, OverrideResult];
  reload: [ReloadParams, ReloadResult];
  events: [Record<string, never>, { subscribed: true }];
}

export type MethodName = keyof Methods;
