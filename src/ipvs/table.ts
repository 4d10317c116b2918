// The IPVS table as the reconciler sees it: services with their destinations, only the fields
// keepalived sets (counters and the kernel-managed HASHED flag are left out, so a table read back
// from the kernel compares equal to the one that was asked for).
import { AF_INET6, SVC_F } from './genl-codec.js';

export interface ServiceId {
  af: number;
  /** 0 for a fwmark service (the kernel ignores it there). */
  protocol: number;
  /** '' for a fwmark service. */
  addr: string;
  port: number;
  fwmark: number;
}

export interface TableDest {
  af: number;
  addr: string;
  port: number;
  fwd: number;
  weight: number;
  uThresh: number;
  lThresh: number;
  tunType: number;
  tunPort: number;
  tunFlags: number;
}

export interface TableService extends ServiceId {
  sched: string;
  /** IP_VS_SVC_F_* without HASHED. */
  flags: number;
  timeout: number;
  /** Raw u32 (see genl-codec netmaskFromV4) or an IPv6 prefix length. */
  netmask: number;
  peName: string;
  dests: TableDest[];
}

export interface Table {
  services: TableService[];
}

export const PROTO = { TCP: 6, UDP: 17, SCTP: 132 } as const;
export const protoName = (p: number) => (p === 6 ? 'TCP' : p === 17 ? 'UDP' : p === 132 ? 'SCTP' : String(p));

export const hostPort = (addr: string, port: number) => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

/** Identity of a service in the kernel: what NEW/DEL_SERVICE are keyed on. */
export function serviceKey(s: ServiceId): string {
  return s.fwmark ? `FWM ${s.fwmark} ${s.af === AF_INET6 ? 'IPv6' : 'IPv4'}` : `${protoName(s.protocol)} ${hostPort(s.addr, s.port)}`;
}

export const destKey = (d: { addr: string; port: number }) => hostPort(d.addr, d.port);

/** Flags as compared and as sent: HASHED belongs to the kernel. */
export const userFlags = (f: number) => f & ~SVC_F.HASHED;

/** Fields a SET_SERVICE can change in place. */
export function serviceSettingsEqual(a: TableService, b: TableService): boolean {
  return a.sched === b.sched && userFlags(a.flags) === userFlags(b.flags) && a.timeout === b.timeout && a.netmask === b.netmask && a.peName === b.peName;
}

/** Fields a SET_DEST can change in place (the kernel keys a destination on address and port only). */
export function destSettingsEqual(a: TableDest, b: TableDest): boolean {
  return (
    a.fwd === b.fwd && a.weight === b.weight && a.uThresh === b.uThresh && a.lThresh === b.lThresh &&
    a.tunType === b.tunType && a.tunPort === b.tunPort && a.tunFlags === b.tunFlags
  );
}
