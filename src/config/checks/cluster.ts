// Cross-checks of several configs that are the nodes of one cluster: what breaks real pairs and no
// single-file check can see. Each finding names both files and lines.
import { child, posOf } from '../ast.js';
import type { DiagnosticSink, Pos } from '../diagnostics.js';
import type { KeepalivedConfig, VrrpInstance } from '../model.js';
import { effectivePriority } from './vrrp.js';

interface Member {
  file: string;
  vi: VrrpInstance;
}

const kw = (vi: VrrpInstance, name: string, nested?: string): Pos => {
  const n = nested ? child(child(vi.node, nested), name) : child(vi.node, name);
  return n ? posOf(n) : vi.pos;
};

const vipSet = (vi: VrrpInstance) => vi.vips.map((v) => `${v.addr}/${v.prefix ?? (v.family === 4 ? 32 : 128)}`).sort().join(' ');
const routeSet = (vi: VrrpInstance) => vi.virtualRoutes.map((r) => `${r.dest} via ${r.via ?? '-'}`).sort().join(', ');

export function checkCluster(nodes: { file: string; model: KeepalivedConfig }[], sink: DiagnosticSink): void {
  const groups = new Map<string, Member[]>();
  for (const n of nodes) {
    for (const vi of n.model.instances) {
      if (vi.vrid === undefined) continue;
      const fam = vi.family ?? vi.vips[0]?.family ?? 4;
      const key = `${vi.vrid}|${fam}`;
      const g = groups.get(key) ?? [];
      g.push({ file: n.file, vi });
      groups.set(key, g);
    }
  }
  for (const [key, members] of groups) {
    const [vrid, fam] = key.split('|');
    const label = `VRID ${vrid} (IPv${fam})`;
    if (members.length < 2) {
      sink.warn('cluster-single-node', members[0].vi.pos, `${label}: instance ${members[0].vi.name} has no peer in the other files`);
      continue;
    }
    const first = members[0];
    for (const other of members.slice(1)) {
      const cmp = (what: string, a: string, b: string, pos: (vi: VrrpInstance) => Pos) => {
        if (a === b) return;
        sink.error('cluster-mismatch', pos(other.vi), `${label}: ${what} differs: ${other.vi.name} has ${b || 'none'}, ${first.vi.name} in ${first.file} has ${a || 'none'}`, {
          related: [{ ...pos(first.vi), message: `${first.vi.name}: ${what} ${a || 'none'}` }],
        });
      };
      cmp('version', String(first.vi.version), String(other.vi.version), (v) => kw(v, 'version'));
      cmp('advert_int', String(first.vi.advertInt), String(other.vi.advertInt), (v) => kw(v, 'advert_int'));
      cmp('auth_type', first.vi.authType ?? '', other.vi.authType ?? '', (v) => kw(v, 'auth_type', 'authentication'));
      if (first.vi.authType && first.vi.authType === other.vi.authType) {
        cmp('auth_pass', (first.vi.authPass ?? '').slice(0, 8), (other.vi.authPass ?? '').slice(0, 8), (v) => kw(v, 'auth_pass', 'authentication'));
      }
      cmp('virtual_ipaddress set', vipSet(first.vi), vipSet(other.vi), (v) => kw(v, 'virtual_ipaddress'));
      cmp('virtual_routes', routeSet(first.vi), routeSet(other.vi), (v) => kw(v, 'virtual_routes'));
    }
    checkUnicast(label, members, sink);
    checkPriorities(label, members, sink);
  }
}

function checkUnicast(label: string, members: Member[], sink: DiagnosticSink): void {
  const uni = members.filter((m) => m.vi.unicastPeers.length > 0);
  if (uni.length === 0) return;
  for (const m of members) {
    if (m.vi.unicastPeers.length === 0) {
      sink.error('cluster-unicast', m.vi.pos, `${label}: ${m.vi.name} uses multicast while its peers use unicast; they will never hear each other`);
      continue;
    }
    for (const o of members) {
      if (o === m) continue;
      const src = o.vi.unicastSrcIp;
      if (!src) continue;
      if (!m.vi.unicastPeers.some((p) => p.addr === src)) {
        sink.error('cluster-unicast', kw(m.vi, 'unicast_peer'), `${label}: ${m.vi.name} does not list ${src} (unicast_src_ip of ${o.vi.name} in ${o.file}) as a unicast_peer`, {
          related: [{ ...kw(o.vi, 'unicast_src_ip'), message: `${o.vi.name} sends from ${src}` }],
        });
      }
    }
  }
}

function checkPriorities(label: string, members: Member[], sink: DiagnosticSink): void {
  const byPrio = new Map<number, Member[]>();
  for (const m of members) {
    const p = effectivePriority(m.vi);
    byPrio.set(p, [...(byPrio.get(p) ?? []), m]);
  }
  for (const [prio, same] of byPrio) {
    if (same.length < 2) continue;
    sink.warn('cluster-equal-priority', kw(same[1].vi, 'priority'), `${label}: ${same[1].vi.name} and ${same[0].vi.name} in ${same[0].file} both have priority ${prio}; the higher IP address wins the election, which is rarely what was meant`, {
      related: [{ ...kw(same[0].vi, 'priority'), message: `priority ${prio} here too` }],
    });
  }
  const masters = members.filter((m) => m.vi.state === 'MASTER' && m.vi.nopreempt);
  if (masters.length > 1 || (masters.length === 1 && members.some((m) => m.vi.nopreempt && m.vi.state === 'MASTER' && m !== masters[0]))) {
    sink.error('cluster-nopreempt-masters', masters[1].vi.pos, `${label}: more than one node is meant as MASTER with nopreempt`, {
      related: [{ ...masters[0].vi.pos, message: 'also MASTER with nopreempt' }],
    });
  }
  const nop = members.filter((m) => m.vi.nopreempt);
  if (nop.length > 0 && nop.length < members.length) {
    const m = members.find((x) => !x.vi.nopreempt)!;
    sink.warn('cluster-nopreempt-partial', m.vi.pos, `${label}: nopreempt is set on ${nop.map((x) => x.file).join(', ')} but not on ${m.file}; nopreempt only holds when every node has it`);
  }
}
