// The keys by which checker results are shared with the IPVS reconciler and the control socket.
// vsKey follows keepalived's FMT_VS wording: "[192.0.2.10]:tcp:80", "[2001:db8::1]:udp:53",
// "FWM 7", "group NAME". realServerKey is "<vsKey>|<rsAddr>:<port>" ("[v6]:port" for IPv6).
import type { RealServer, VirtualServer } from '../config/model.js';

/** keepalived's default when an address-based virtual server sets no protocol. */
export const DEFAULT_VS_PROTOCOL = 'udp';

export function vsKeyOf(vs: Pick<VirtualServer, 'kind' | 'addr' | 'port' | 'fwmark' | 'group' | 'protocol'>): string {
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark ?? 0}`;
  if (vs.kind === 'group') return `group ${vs.group ?? ''}`;
  const proto = (vs.protocol ?? DEFAULT_VS_PROTOCOL).toLowerCase();
  return `[${vs.addr ?? ''}]:${proto}:${vs.port ?? 0}`;
}

export function rsAddrPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** The port a real server really has: its own, else (address-based service) the virtual server's. */
export function rsPortOf(vs: Pick<VirtualServer, 'kind' | 'port'>, rs: Pick<RealServer, 'port'>): number {
  if (rs.port) return rs.port;
  return vs.kind === 'ip' ? vs.port ?? 0 : 0;
}

export function realServerKey(vsKey: string, addr: string, port: number): string {
  return `${vsKey}|${rsAddrPort(addr, port)}`;
}
