// Semantic checks of virtual servers and their real servers.
import { child, posOf } from '../ast.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { KeepalivedConfig } from '../model.js';

export function checkLvs(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const seen = new Map<string, { line: number; file: string }>();
  for (const vs of cfg.virtualServers) {
    const name = vs.kind === 'fwmark' ? `FWM ${vs.fwmark}` : vs.kind === 'group' ? `group ${vs.group}` : `${vs.addr}:${vs.port}`;
    const proto = child(vs.node, 'protocol');
    if (vs.kind === 'fwmark' && proto) {
      sink.warn('fwmark-protocol', posOf(proto), `virtual server ${name}: protocol is ignored for a fwmark service`);
    }
    const key = `${name}|${vs.kind === 'fwmark' ? '' : vs.protocol ?? 'TCP'}`;
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
