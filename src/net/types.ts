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
}
