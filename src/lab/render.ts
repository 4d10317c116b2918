// The lab's cluster status as text (a table on a terminal, aligned columns otherwise) and the
// commands worth trying next. Pure: observations and colours come in.
import Table from 'cli-table3';
import type { VrrpStateName } from '../control/protocol.js';
import { aligned } from '../control/render.js';
import { type ClusterView, type NodeObs, placeOk, placeText } from './cluster.js';
import { dirFlag, NODE_IF } from './plan.js';
import type { LabState } from './state.js';

export interface LabPaint {
  state(state: VrrpStateName, text: string): string;
  head(text: string): string;
  warn(text: string): string;
}
const PLAIN: LabPaint = { state: (_s, t) => t, head: (t) => t, warn: (t) => t };

const HEAD = ['NODE', 'ADDRESS', 'DAEMON', 'INSTANCE', 'STATE', 'PRIORITY', 'VIP OWNER'];

function daemonCell(s: LabState, o: NodeObs): string {
  const n = s.nodes.find((x) => x.name === o.name);
  const fault = o.failed === 'link' ? 'link down' : o.failed === 'kill' ? 'killed' : o.failed === 'stop' ? 'stopped' : undefined;
  if (!o.running) return fault ?? 'not running';
  const base = `pid ${n?.pid ?? '?'}`;
  if (fault) return `${base}, ${fault}`;
  if (o.linkUp === false) return `${base}, link down`;
  return o.status ? base : `${base}, no answer`;
}

/** One row per node and instance. */
export function statusRows(s: LabState, view: ClusterView, obs: readonly NodeObs[], paint: LabPaint = PLAIN): string[][] {
  const rows: string[][] = [];
  for (const o of obs) {
    const n = s.nodes.find((x) => x.name === o.name);
    const addr = n ? n.addr4.split('/')[0] : '';
    const daemon = daemonCell(s, o);
    const insts = s.instances.length ? s.instances : [{ name: '-', vips: [] }];
    for (const inst of insts) {
      const st = o.status?.instances.find((i) => i.name === inst.name);
      const held = view.places
        .filter((p) => p.instance === inst.name && p.holders.includes(o.name))
        .map((p) => (p.stale.includes(o.name) ? `${p.vip} (left over)` : p.vip));
      const prio = st ? (st.priority.effective === st.priority.configured ? String(st.priority.configured) : `${st.priority.effective}/${st.priority.configured}`) : '-';
      rows.push([o.name, addr, daemon, inst.name, st ? paint.state(st.state, st.state) : '-', prio, held.length ? held.join(' ') : '-']);
    }
  }
  return rows;
}

export function renderLabStatus(s: LabState, view: ClusterView, obs: readonly NodeObs[], o: { tty: boolean; paint?: LabPaint }): string {
  const paint = o.tty ? (o.paint ?? PLAIN) : PLAIN;
  const out: string[] = [`lab ${s.prefix}: template ${s.template}, ${s.nodes.length} nodes, state in ${s.dir}`];
  const rows = statusRows(s, view, obs, paint);
  if (o.tty) {
    const t = new Table({ head: HEAD.map((h) => paint.head(h)), style: { head: [], border: [] } });
    for (const r of rows) t.push(r);
    out.push(t.toString());
  } else {
    out.push(...aligned([HEAD, ...rows]).map((l) => l.trimEnd()));
  }
  for (const p of view.places) {
    const text = `VIP ${placeText(p)}`;
    out.push(placeOk(p) && !p.stale.length ? text : paint.warn(text));
  }
  return out.join('\n') + '\n';
}

/** What to try once the lab is up. */
export function nextCommands(s: LabState): string[] {
  const d = dirFlag(s.dir);
  const first = s.nodes[0];
  const other = s.nodes[1];
  const vip = s.instances[0]?.vips[0] ?? '';
  return [
    `keepalivedctl lab status${d}                  # who is MASTER, where the VIP is`,
    `keepalivedctl lab fail ${first.name}${d}                 # pull ${first.name}'s cable; the VIP moves`,
    `keepalivedctl lab heal ${first.name}${d}                 # plug it back; ${first.name} (higher priority) takes the VIP back`,
    `keepalivedctl lab fail ${first.name} --how kill${d}      # crash its daemon (no goodbye); --how stop: clean shutdown`,
    `keepalivedctl status --socket ${first.sock}   # one daemon's own view`,
    `keepalivedctl demote ${s.instances[0]?.name ?? 'VI_1'} --socket ${first.sock}   # operator hand-over; then: keepalivedctl clear ...`,
    `ip netns exec ${other.ns} ip addr show ${NODE_IF}   # the VIP ${vip} as the kernel sees it`,
    `tail -f ${first.log}`,
    `keepalivedctl lab down${d}                    # stop the daemons, delete the namespaces`,
  ];
}
