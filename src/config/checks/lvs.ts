// Semantic checks of virtual servers and their real servers.
import { child, posOf } from '../ast.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { KeepalivedConfig, VirtualServer } from '../model.js';

export function checkLvs(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const seen = new Map<string, { line: number; file: string }>();
  for (const vs of cfg.virtualServers) {
    const name = vs.kind === 'fwmark' ? `FWM ${vs.fwmark}` : vs.kind === 'group' ? `group ${vs.group}` : `${vs.addr}:${vs.port}`;
    const proto = child(vs.node, 'protocol');
    if (vs.kind === 'fwmark' && proto) {
      sink.warn('fwmark-protocol', posOf(proto), `virtual server ${name}: protocol is ignored for a fwmark service`);
    }
    checkDefaults(cfg, vs, name, sink);
    // keepalived sets a missing protocol to UDP, so that is what makes two services the same.
    const key = `${name}|${vs.kind === 'fwmark' ? '' : (vs.protocol ?? 'UDP').toUpperCase()}`;
    const prev = seen.get(key);
    if (prev) {
      sink.error('duplicate-virtual-server', vs.pos, `virtual server ${name} is already defined at ${prev.file}:${prev.line}`, {
        related: [{ file: prev.file, line: prev.line, column: 1, message: 'first defined here' }],
      });
    } else seen.set(key, { line: vs.pos.line, file: vs.pos.file });
    const rsSeen = new Set<string>();
    for (const rs of vs.realServers) {
      const k = `${rs.addr}:${rs.port ?? ''}`;
      if (rsSeen.has(k)) sink.error('duplicate-real-server', rs.pos, `real server ${k} appears twice in virtual server ${name}`);
      rsSeen.add(k);
      if (vs.family && rs.addr.includes(':') !== (vs.family === 6) && vs.lbKind !== 'TUN') {
        sink.error('real-server-family', rs.pos, `real server ${rs.addr} is not of the virtual server's address family (IPv${vs.family})`);
      }
      if (vs.lbKind === 'DR' && vs.port !== undefined && rs.port !== undefined && rs.port !== vs.port && vs.port !== 0) {
        sink.warn('dr-port-mismatch', rs.pos, `real server ${k}: with lb_kind DR the real server port must equal the virtual server port ${vs.port}`);
      }
    }
    if (vs.quorum !== undefined && vs.quorum > vs.realServers.reduce((n, r) => n + r.weight, 0)) {
      sink.warn('quorum-unreachable', posOf(child(vs.node, 'quorum')!), `virtual server ${name}: quorum ${vs.quorum} is more than the weight of all real servers`);
    }
  }
}

/**
 * What keepalived -t reports (and then defaults) for a virtual server that has real servers: no
 * protocol on an address service (UDP), no scheduler (wlc), no forwarding method where a real or
 * sorry server needs one (NAT).
 */
function checkDefaults(cfg: KeepalivedConfig, vs: VirtualServer, name: string, sink: DiagnosticSink): void {
  if (vs.realServers.length === 0) {
    sink.error('vs-no-real-servers', vs.pos, `virtual server ${name} has no real_server; keepalived ignores it`);
    return;
  }
  const group = vs.kind === 'group' ? cfg.virtualServerGroups.find((g) => g.name === vs.group) : undefined;
  const byAddress = vs.kind === 'ip' || (group?.entries.some((e) => e.text.split(' ')[0] !== 'fwmark') ?? false);
  if (byAddress && !vs.protocol) {
    sink.error('vs-no-protocol', vs.pos, `virtual server ${name}: no protocol set; keepalived defaults to UDP (set protocol TCP, UDP or SCTP)`);
  }
  if (!vs.lbAlgo) sink.error('vs-no-scheduler', vs.pos, `virtual server ${name}: no scheduler set (lb_algo); keepalived uses wlc`);
  if (!vs.lbKind) {
    const sorry = child(vs.node, 'sorry_server');
    const needs = vs.realServers.some((rs) => !child(rs.node, 'lvs_method')) || (!!sorry && !child(vs.node, 'sorry_server_lvs_method'));
    if (needs) sink.error('vs-no-forwarding-method', vs.pos, `virtual server ${name}: no forwarding method set (lb_kind); keepalived uses NAT`);
  }
}
