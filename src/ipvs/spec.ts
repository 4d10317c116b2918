// virtual_server blocks of the model -> what keepalived programs, with keepalived's own defaults
// and start-up fix-ups (check_data.c: protocol UDP when unset... see docs/ipvs.md): scheduler wlc,
// forwarding NAT, real servers inheriting the virtual server's method/inhibit/alpha/weight, quorum
// capped at the total weight, hysteresis below quorum, zero port => persistent, groups expanded.
// Pure. Keywords the model has no field for are read from each block's syntax node.
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig, RealServer, VirtualServer } from '../config/model.js';
import { parseIpv4, parseIpv6 } from '../vrrp/codec-addr.js';
import { AF_INET, AF_INET6, FWD, netmaskFromV4, SVC_F, TUN_FLAG, TUN_TYPE } from './genl-codec.js';
import { expandGroup } from './spec-group.js';
import { hostPort, PROTO, type ServiceId } from './table.js';

export interface ServerSpec {
  /** realServerKey(): how checker results name this server. */
  key: string;
  af: number;
  addr: string;
  port: number;
  weight: number;
  fwd: number;
  tunType: number;
  tunPort: number;
  tunFlags: number;
  uThresh: number;
  lThresh: number;
  inhibit: boolean;
  alpha: boolean;
  hasCheckers: boolean;
}

export interface VsSpec {
  /** vsId(): stable name of the block, e.g. 'TCP 192.0.2.10:80', 'FWM 1', 'GROUP web TCP'. */
  id: string;
  where: string;
  /** The kernel services this block makes (one, or one per group address/fwmark). */
  services: ServiceId[];
  sched: string;
  flags: number;
  timeout: number;
  /** Persistence netmask for a plain address; groups always use the full mask, as keepalived does. */
  netmask?: number;
  peName: string;
  realServers: ServerSpec[];
  sorry?: ServerSpec;
  quorum: number;
  hysteresis: number;
  haSuspend: boolean;
  omega: boolean;
}

export const PERSISTENT_TIMEOUT_DEFAULT = 360;
const WEIGHT_MAX = 65535;

const w = (n: ConfNode | undefined, i = 0) => n?.args[i]?.text;
const has = (n: ConfNode, kw: string) => child(n, kw) !== undefined;
function bool(n: ConfNode | undefined): boolean | undefined {
  if (!n) return undefined;
  const t = w(n)?.toLowerCase();
  return t === undefined ? true : !['false', 'off', 'no', '0'].includes(t);
}
function uint(n: ConfNode | undefined, i = 0): number | undefined {
  const t = w(n, i);
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}

export function vsId(vs: VirtualServer): string {
  // No protocol: keepalived's start-up fix-up sets UDP (runtime-fate.ts, vs-no-protocol).
  const proto = (w(child(vs.node, 'protocol')) ?? 'UDP').toUpperCase();
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark ?? w(vs.node, 1)}`;
  if (vs.kind === 'group') return `GROUP ${vs.group ?? ''} ${proto}`;
  return `${proto} ${hostPort(vs.addr ?? '', vs.port ?? 0)}`;
}

/** The key the checker results map uses for a real server of a virtual server. */
export function realServerKey(vs: VirtualServer, rs: RealServer): string {
  return `${vsId(vs)} -> ${hostPort(rs.addr, rs.port ?? 0)}`;
}

interface Fwd { fwd: number; tunType: number; tunPort: number; tunFlags: number }
/** lb_kind/lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]. */
function forwarding(n: ConfNode | undefined, base: Fwd, problems: string[], where: string): Fwd {
  if (!n) return base;
  const m = w(n);
  const fwd = m === 'NAT' ? FWD.MASQ : m === 'DR' ? FWD.DROUTE : m === 'TUN' ? FWD.TUNNEL : undefined;
  if (fwd === undefined) {
    problems.push(`${where}: unknown forwarding method '${m ?? ''}'`);
    return base;
  }
  const out: Fwd = { fwd, tunType: TUN_TYPE.IPIP, tunPort: 0, tunFlags: TUN_FLAG.NOCSUM };
  for (let i = 1; i < n.args.length; i++) {
    const a = n.args[i]!.text;
    if (a === 'type') {
      const t = w(n, ++i);
      const tt = t === 'ipip' ? TUN_TYPE.IPIP : t === 'gue' ? TUN_TYPE.GUE : t === 'gre' ? TUN_TYPE.GRE : undefined;
      if (tt === undefined) problems.push(`${where}: unknown tunnel type '${t ?? ''}'`);
      else out.tunType = tt;
    } else if (a === 'port') out.tunPort = uint(n, ++i) ?? 0;
    else if (a === 'csum') out.tunFlags = TUN_FLAG.CSUM;
    else if (a === 'remcsum') out.tunFlags = TUN_FLAG.REMCSUM;
    else if (a !== 'nocsum') problems.push(`${where}: unknown tunnel option '${a}'`);
  }
  return out;
}

const famOf = (addr: string) => (parseIpv4(addr) ? AF_INET : parseIpv6(addr) ? AF_INET6 : 0);

function server(
  addr: string, port: number | undefined, key: string, fwd: Fwd, extra: Partial<ServerSpec>,
): ServerSpec {
  return {
    key, af: famOf(addr), addr, port: port ?? 0, weight: 1, ...fwd, uThresh: 0, lThresh: 0,
    inhibit: false, alpha: false, hasCheckers: false, ...extra,
  };
}

export interface SpecResult {
  specs: VsSpec[];
  /** Blocks left out or settings ignored, each naming where (keepalived logs the same and goes on). */
  problems: string[];
}

export function specsFromConfig(cfg: KeepalivedConfig): SpecResult {
  const problems: string[] = [];
  const specs: VsSpec[] = [];
  for (const vs of cfg.virtualServers) {
    const s = specOf(vs, cfg, problems);
    if (s) specs.push(s);
  }
  return { specs, problems };
}

function specOf(vs: VirtualServer, cfg: KeepalivedConfig, problems: string[]): VsSpec | undefined {
  const n = vs.node;
  const where = `${vs.pos.file}:${vs.pos.line} virtual_server ${vsId(vs)}`;
  if (vs.realServers.length === 0) {
    problems.push(`${where}: no real servers - ignored`);
    return undefined;
  }
  const protoWord = w(child(n, 'protocol'))?.toUpperCase();
  const protocol: number = protoWord === undefined || protoWord === 'UDP' ? PROTO.UDP : protoWord === 'SCTP' ? PROTO.SCTP : PROTO.TCP;
  const sched = w(child(n, 'lb_algo') ?? child(n, 'lvs_sched')) ?? 'wlc';
  let flags = 0;
  if (has(n, 'ops')) flags |= SVC_F.ONEPACKET;
  if (has(n, 'flag-1')) flags |= SVC_F.SCHED1;
  if (has(n, 'flag-2')) flags |= SVC_F.SCHED2;
  if (has(n, 'flag-3')) flags |= SVC_F.SCHED3;
  if (sched === 'sh' || sched === 'mh') {
    if (has(n, `${sched}-fallback`)) flags |= SVC_F.SH_FALLBACK;
    if (has(n, `${sched}-port`)) flags |= SVC_F.SH_PORT;
  }
  const ipFamily = w(child(n, 'ip_family'));
  let af = vs.kind === 'ip' ? famOf(vs.addr ?? '') : ipFamily === 'inet6' ? AF_INET6 : ipFamily === 'inet' ? AF_INET : 0;
  let timeout = has(n, 'persistence_timeout') ? (uint(child(n, 'persistence_timeout')) ?? PERSISTENT_TIMEOUT_DEFAULT) : 0;
  const gran = w(child(n, 'persistence_granularity'));
  let netmask: number | undefined;
  if (gran !== undefined) {
    netmask = gran.includes('.') ? (netmaskFromV4(gran) ?? undefined) : uint(child(n, 'persistence_granularity'));
    if (netmask === undefined) problems.push(`${where}: persistence_granularity '${gran}' invalid - ignored`);
    if (!af) af = gran.includes('.') ? AF_INET : AF_INET6;
    if (!timeout) timeout = PERSISTENT_TIMEOUT_DEFAULT;
  }
  const vsFwd = forwarding(child(n, 'lb_kind') ?? child(n, 'lvs_method'), { fwd: FWD.MASQ, tunType: 0, tunPort: 0, tunFlags: 0 }, problems, where);
  const vsInhibit = has(n, 'inhibit_on_failure');
  const vsAlpha = has(n, 'alpha');
  const vsWeight = uint(child(n, 'weight')) ?? 1;
  const id = vsId(vs);
  const seen = new Set<string>();
  const realServers: ServerSpec[] = [];
  for (const rs of vs.realServers) {
    const rk = `${rs.addr}:${rs.port ?? 0}`;
    if (!famOf(rs.addr)) { problems.push(`${where}: real server '${rs.addr}' is not an IP address - ignored`); continue; }
    if (seen.has(rk)) { problems.push(`${where}: real server ${rk} is duplicated - second one ignored`); continue; }
    const rn = rs.node;
    const rsFwd = forwarding(child(rn, 'lvs_method'), vsFwd, problems, where);
    // check_parser.c: the first non-tunnelled real server sets an unset family; a mismatch is skipped.
    if (rsFwd.fwd !== FWD.TUNNEL && vs.kind !== 'group') {
      if (!af) af = famOf(rs.addr);
      else if (af !== famOf(rs.addr)) { problems.push(`${where}: Address family of virtual server and real server ${rs.addr} don't match - skipping real server.`); continue; }
    }
    seen.add(rk);
    realServers.push(server(rs.addr, rs.port, realServerKey(vs, rs), rsFwd, {
      weight: Math.min(WEIGHT_MAX, uint(child(rn, 'weight')) ?? vsWeight),
      uThresh: uint(child(rn, 'uthreshold')) ?? 0,
      lThresh: uint(child(rn, 'lthreshold')) ?? 0,
      inhibit: bool(child(rn, 'inhibit_on_failure')) ?? vsInhibit,
      alpha: bool(child(rn, 'alpha')) ?? vsAlpha,
      hasCheckers: rs.checkers.length > 0,
    }));
  }
  let sorry: ServerSpec | undefined;
  if (vs.sorryServer) {
    const sf = forwarding(child(n, 'sorry_server_lvs_method'), vsFwd, problems, where);
    sorry = server(vs.sorryServer.addr, vs.sorryServer.port, `${id} -> sorry`, sf, { inhibit: has(n, 'sorry_server_inhibit') });
    if (!sorry.af) { problems.push(`${where}: sorry_server '${sorry.addr}' is not an IP address - ignored`); sorry = undefined; }
    else if (sf.fwd !== FWD.TUNNEL && af && af !== sorry.af) {
      problems.push(`${where}: address family of virtual server and sorry server differ - sorry server ignored`);
      sorry = undefined;
    } else if (sf.fwd !== FWD.TUNNEL && !af) af = sorry.af;
  }
  if (!af && vs.kind !== 'group') {
    // fwmark without ip_family: one family shared by all servers, else IPv4 (keepalived's rule).
    const fams = new Set([...(sorry ? [sorry.af] : []), ...realServers.map((r) => r.af)]);
    af = fams.size === 1 ? [...fams][0]! : AF_INET;
  }
  let services: ServiceId[];
  if (vs.kind === 'group') {
    const g = cfg.virtualServerGroups.find((x) => x.name === vs.group);
    if (!g) { problems.push(`${where}: virtual_server_group '${vs.group ?? ''}' is not defined - ignored`); return undefined; }
    const r = expandGroup(g, protocol, af, problems);
    services = r.services;
    if (r.hasZeroPort && !timeout) timeout = PERSISTENT_TIMEOUT_DEFAULT;
    netmask = undefined;
  } else if (vs.kind === 'fwmark') {
    services = [{ af, protocol: 0, addr: '', port: 0, fwmark: vs.fwmark ?? 0 }];
  } else {
    if (!af) { problems.push(`${where}: '${vs.addr ?? ''}' is not an IP address - ignored`); return undefined; }
    services = [{ af, protocol, addr: vs.addr!, port: vs.port ?? 0, fwmark: 0 }];
    if (!vs.port && !timeout) timeout = PERSISTENT_TIMEOUT_DEFAULT;
  }
  if (flags & SVC_F.ONEPACKET && protocol !== PROTO.UDP && services.some((s) => !s.fwmark)) {
    problems.push(`${where}: one packet scheduling requires UDP - ops ignored`);
    flags &= ~SVC_F.ONEPACKET;
  }
  if (timeout) flags |= SVC_F.PERSISTENT;
  const total = realServers.reduce((a, r) => a + r.weight, 0);
  let quorum = uint(child(n, 'quorum')) ?? 1;
  if (quorum > total) quorum = total;
  let hysteresis = uint(child(n, 'hysteresis')) ?? 0;
  if (hysteresis >= quorum) hysteresis = Math.max(0, quorum - 1);
  let haSuspend = has(n, 'ha_suspend');
  if (haSuspend && services.some((s) => s.fwmark)) {
    problems.push(`${where}: ha_suspend cannot be used with fwmarks - ignored`);
    haSuspend = false;
  }
  return {
    id, where, services, sched, flags, timeout, netmask, peName: timeout ? (w(child(n, 'persistence_engine')) ?? '') : '',
    realServers, sorry, quorum, hysteresis, haSuspend, omega: has(n, 'omega'),
  };
}
