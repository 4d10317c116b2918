// Contracts between the daemon and the network layer. The daemon codes against these; src/net
// implements them over raw/packet sockets and rtnetlink, and tests substitute fakes.
import type { Ipv6Meta } from '../vrrp/codec-read.js';

export type Family = 4 | 6;

/** An operation that can fail without throwing: the error names what and where. */
export type NetResult<T = void> = { ok: true; value: T } | { ok: false; error: string };

// ---- VRRP sockets (IP protocol 112, and 51 for IPSEC-AH over IPv4) ----

export interface VrrpSocketOptions {
  family: Family;
  /** The interface the instance runs on: the socket is bound to it (SO_BINDTODEVICE). */
  ifname: string;
  /** Join 224.0.0.18 / ff02::12 on ifname (multicast instances). Unicast instances leave it false. */
  joinMulticast: boolean;
  /** Also receive IP protocol 51 (IPSEC-AH adverts, VRRPv2 over IPv4 only). */
  ah?: boolean;
}

/** One received datagram, ready for the codec's decode + validate. */
export interface VrrpPacketIn {
  family: Family;
  ifname: string;
  /** IPv4: the whole packet including its IP header. IPv6: the VRRP (or AH) payload only. */
  buf: Uint8Array;
  /** IPv6: source, destination and hop limit as the socket reported them. */
  ipv6?: Ipv6Meta;
}

export interface VrrpSocket {
  /**
   * Sends one advert. IPv4: `bytes` is the whole IP packet (header included, built by the codec:
   * TTL 255, our source address). IPv6: the VRRP payload; the kernel adds the header with hop
   * limit 255 and `src` as source address.
   */
  send(bytes: Uint8Array, dst: string, src?: string): Promise<NetResult>;
  close(): void;
}

export type OpenVrrpSocket = (
  opts: VrrpSocketOptions,
  onPacket: (p: VrrpPacketIn) => void,
  onError: (error: string) => void,
) => NetResult<VrrpSocket>;

// ---- Link-layer announcements (gratuitous ARP / unsolicited neighbour advertisement) ----

export interface Announcer {
  /** Sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6) per address, from ifname's MAC (or vmac). */
  announce(ifname: string, addrs: string[], opts?: { srcMac?: string }): Promise<NetResult>;
  close(): void;
}

// ---- rtnetlink: links and addresses ----

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  /** aa:bb:cc:dd:ee:ff, or '' for links without one. */
  mac: string;
  /** IFF_UP (administratively up). */
  up: boolean;
  /** IFF_RUNNING / oper state up: carrier present. What track_interface follows. */
  running: boolean;
  mtu: number;
}

export interface AddressSpec {
  ifname: string;
  family: Family;
  /** Address text without prefix. */
  addr: string;
  /** Prefix length; keepalived's default is 32 / 128. */
  prefix: number;
  /** 'global' (default), 'site', 'link', 'host', 'nowhere' or a number. */
  scope?: string;
  /** IPv4 label (must start with the interface name, as the kernel requires). */
  label?: string;
  /** IPv4 broadcast address. */
  brd?: string;
  /** IFA_F_NODAD for IPv6 VIPs, as keepalived sets it. */
  nodad?: boolean;
}

export interface AddressInfo extends AddressSpec {
  ifindex: number;
  /** IFA flags as names (e.g. 'permanent', 'nodad', 'secondary', 'tentative'). */
  flags: string[];
}

export type LinkEvent = { type: 'link'; link: LinkInfo; removed: boolean };
export type AddressEvent = { type: 'address'; address: AddressInfo; removed: boolean };

export interface Rtnl {
  listLinks(): Promise<NetResult<LinkInfo[]>>;
  listAddresses(ifname?: string): Promise<NetResult<AddressInfo[]>>;
  /** Adding an address that is already there succeeds (idempotent, as a VIP add must be). */
  addAddress(a: AddressSpec): Promise<NetResult>;
  /** Removing an address that is not there succeeds. */
  deleteAddress(a: AddressSpec): Promise<NetResult>;
  /**
   * Link and address changes (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR). `ready`, when
   * given, resolves once changes are being reported: list links/addresses after it for a consistent start.
   */
  watch(onEvent: (e: LinkEvent | AddressEvent) => void): NetResult<{ close(): void; ready?: Promise<void> }>;
  close(): void;
  // Routes, rules and VMACs (virtual_routes/rules, static_*, use_vmac): optional so that older fakes
  // still satisfy the contract; the runtime says so in its log when one is missing.
  /** Adding a route that is already there succeeds. */
  addRoute?(r: RouteSpec): Promise<NetResult>;
  /** Removing a route that is not there succeeds. */
  deleteRoute?(r: RouteSpec): Promise<NetResult>;
  listRoutes?(family?: Family): Promise<NetResult<RouteSpec[]>>;
  addRule?(r: RuleSpec): Promise<NetResult>;
  deleteRule?(r: RuleSpec): Promise<NetResult>;
  listRules?(family?: Family): Promise<NetResult<RuleSpec[]>>;
  /** Route and rule changes (RTNLGRP_IPV4/6_ROUTE, RTNLGRP_IPV4/6_RULE). */
  watchRoutes?(onEvent: (e: RouteEvent) => void): NetResult<{ close(): void }>;
  /** Creates (or fixes, or reuses) a private-mode macvlan and sets it up. */
  ensureVmac?(v: VmacSpec): Promise<NetResult<{ created: boolean }>>;
  /** Deletes a link (a VMAC); a link that is not there succeeds. */
  deleteLink?(ifname: string): Promise<NetResult>;
}

// ---- rtnetlink: routes and rules ----

/** One route as keepalived's virtual_routes/static_routes line gives it, names resolved to numbers. */
export interface RouteSpec {
  family: Family;
  /** Destination address (network) and prefix length. */
  dst: string;
  dstLen: number;
  /** Routing table id (254 main). */
  table: number;
  /** rtm_protocol: 18 (keepalived) unless no_track with another protocol. */
  protocol: number;
  /** rtm_scope (0 universe). */
  scope: number;
  /** rtm_type (1 unicast, 6 blackhole, 7 unreachable, 8 prohibit, 9 throw, ...). */
  type: number;
  /** `from` (IPv6 source routing, RTA_SRC). */
  from?: string;
  fromLen?: number;
  /** `src`: preferred source (RTA_PREFSRC). */
  prefsrc?: string;
  /** `via`/`gw`: gateway; viaFamily differs from family for RTA_VIA (IPv4 via IPv6). */
  via?: string;
  viaFamily?: Family;
  /** `dev`/`oif`. */
  dev?: string;
  /** `metric`/`priority`/`preference` (RTA_PRIORITY). */
  metric?: number;
  tos?: number;
  onlink?: boolean;
  /** RTA_FLOW. */
  realms?: number;
  /** IPv6 only: seconds. */
  expires?: number;
  /** IPv6 router preference (RTA_PREF). */
  pref?: number;
  ttlPropagate?: number;
  /** RTAX_* metrics by name (mtu, window, rtt, ...), and the lock bits (1 << RTAX_*). */
  metrics?: Partial<Record<RouteMetricName, number>>;
  lock?: number;
  congctl?: string;
  nexthops?: NextHopSpec[];
  /** How to add: keepalived's default is prepend (NLM_F_CREATE only); add = EXCL; append = APPEND. */
  mode?: 'prepend' | 'add' | 'append';
}

export type RouteMetricName =
  | 'mtu' | 'window' | 'rtt' | 'rttvar' | 'ssthresh' | 'cwnd' | 'advmss' | 'reordering' | 'hoplimit'
  | 'initcwnd' | 'features' | 'rtoMin' | 'initrwnd' | 'quickack' | 'fastopenNoCookie';

export interface NextHopSpec {
  via?: string;
  viaFamily?: Family;
  dev?: string;
  /** ip's weight (1-256); rtnh_hops is weight - 1. */
  weight?: number;
  onlink?: boolean;
  realms?: number;
}

/** One policy routing rule (virtual_rules/static_rules). */
export interface RuleSpec {
  family: Family;
  /** FR_ACT_*: 1 to table, 2 goto, 3 nop, 6 blackhole, 7 unreachable, 8 prohibit. */
  action: number;
  table?: number;
  priority?: number;
  from?: string;
  fromLen?: number;
  to?: string;
  toLen?: number;
  tos?: number;
  invert?: boolean;
  fwmark?: number;
  fwmask?: number;
  realms?: number;
  suppressPrefixlen?: number;
  suppressIfgroup?: number;
  iif?: string;
  oif?: string;
  uidRange?: [number, number];
  l3mdev?: boolean;
  /** FRA_PROTOCOL: 18 (keepalived) for tracked rules. */
  protocol?: number;
  ipProto?: number;
  sport?: [number, number];
  dport?: [number, number];
  goto?: number;
}

export type RouteEvent = { type: 'route'; route: RouteSpec; removed: boolean } | { type: 'rule'; rule: RuleSpec; removed: boolean };

/** A VRRP virtual MAC interface (use_vmac). */
export interface VmacSpec {
  /** The vmac's name (vrrp.VRID by default). */
  ifname: string;
  /** The interface it sits on. */
  base: string;
  /** 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6). */
  mac: string;
}
