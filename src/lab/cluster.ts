// What the lab sees of its cluster, and when it has settled. Pure: observations (each node's
// daemon status over its socket and the addresses really on its eth0) come in from observe.ts.
// Settled means every VIP sits on exactly the node VRRP should elect (highest effective priority
// among the healthy nodes, ties to the higher primary address, as RFC 5798 breaks them) and that
// node alone is MASTER of the instance.
import { isIP } from 'node:net';
import type { StatusResult } from '../control/protocol.js';
import type { FailHow, LabInstance, LabNode } from './state.js';

export interface NodeObs {
  name: string;
  failed?: FailHow;
  /** The recorded daemon process is alive. */
  running: boolean;
  /** The node's leg in the bridge is up; null when unknown. */
  linkUp: boolean | null;
  /** The daemon's status; null when its socket does not answer. */
  status: StatusResult | null;
  /** Addresses on the node's eth0; null when they cannot be read. */
  addrs: string[] | null;
}

export interface VipPlace {
  vip: string;
  instance: string;
  /** Nodes that have the VIP on eth0 now. */
  holders: string[];
  /** Of those, nodes whose daemon was killed: nothing is left to remove the VIP (keepalived alike); not counted. */
  stale: string[];
  /** The node that should hold it; null when no healthy node runs the instance. */
  expected: string | null;
}

export interface ClusterView {
  places: VipPlace[];
  /** Per instance, the nodes reporting MASTER. */
  masters: Record<string, string[]>;
  settled: boolean;
}

/** An address as a number, for the RFC's tie-break (higher primary address wins). */
export function addrValue(addr: string): bigint {
  const a = addr.split('/')[0];
  if (isIP(a) === 4) return a.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
  if (isIP(a) !== 6) return 0n;
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** Whether a node takes part in elections now: not failed by the lab, daemon answering. */
export function isHealthy(o: NodeObs): boolean {
  return !o.failed && o.running && o.status !== null && o.linkUp !== false;
}

/** The node that should be MASTER of `instance`, among healthy nodes not in FAULT for it. */
export function expectedMaster(instance: string, nodes: readonly LabNode[], obs: readonly NodeObs[]): string | null {
  let best: { name: string; prio: number; addr: bigint } | null = null;
  for (const o of obs) {
    if (!isHealthy(o)) continue;
    const st = o.status?.instances.find((i) => i.name === instance);
    if (!st || st.state === 'FAULT' || st.state === 'STOP') continue;
    const node = nodes.find((n) => n.name === o.name);
    const addr = addrValue(st.family === 6 ? (node?.addr6 ?? '') : (node?.addr4 ?? ''));
    const prio = st.priority.effective;
    if (!best || prio > best.prio || (prio === best.prio && addr > best.addr)) best = { name: o.name, prio, addr };
  }
  return best?.name ?? null;
}

/** Instances and their VIPs as the daemons report them (every node runs the same set). */
export function instancesFrom(obs: readonly NodeObs[]): LabInstance[] {
  const out = new Map<string, Set<string>>();
  for (const o of obs) {
    for (const i of o.status?.instances ?? []) {
      const set = out.get(i.name) ?? new Set<string>();
      for (const v of i.vips) set.add(v.split('/')[0]);
      out.set(i.name, set);
    }
  }
  return [...out].map(([name, vips]) => ({ name, vips: [...vips] })).sort((a, b) => a.name.localeCompare(b.name));
}

export function clusterView(instances: readonly LabInstance[], nodes: readonly LabNode[], obs: readonly NodeObs[]): ClusterView {
  const places: VipPlace[] = [];
  const masters: Record<string, string[]> = {};
  // A daemon that should answer and does not, or is still in INIT, is on its way somewhere.
  let settled = instances.length > 0 && !obs.some((o) => !o.failed && (o.status === null || o.status.instances.some((i) => i.state === 'INIT')));
  for (const inst of instances) {
    const expected = expectedMaster(inst.name, nodes, obs);
    masters[inst.name] = obs.filter((o) => o.status?.instances.some((i) => i.name === inst.name && i.state === 'MASTER') && !o.failed).map((o) => o.name);
    // A node failed by link still answers status; it must have left MASTER too (FAULT on carrier loss).
    const failedMasters = obs.filter((o) => o.failed && o.status?.instances.some((i) => i.name === inst.name && i.state === 'MASTER'));
    if (expected === null ? masters[inst.name].length !== 0 : masters[inst.name].length !== 1 || masters[inst.name][0] !== expected) settled = false;
    if (failedMasters.length) settled = false;
    for (const vip of inst.vips) {
      const all = obs.filter((o) => (o.addrs ?? []).includes(vip));
      const holders = all.map((o) => o.name);
      const stale = all.filter((o) => o.failed === 'kill').map((o) => o.name);
      if (obs.some((o) => o.addrs === null && !o.failed)) settled = false;
      const place = { vip, instance: inst.name, holders, stale, expected };
      if (!placeOk(place)) settled = false;
      places.push(place);
    }
  }
  return { places, masters, settled };
}

/** The VIP is on the expected node only (or on nobody when none is expected), leftovers of killed daemons aside. */
export function placeOk(p: VipPlace): boolean {
  const live = p.holders.filter((h) => !p.stale.includes(h));
  return p.expected === null ? live.length === 0 : live.length === 1 && live[0] === p.expected;
}

/** `192.0.2.100 on n2`, `... on nobody`, `... on n1 and n2 (should be on n1 only)`. */
export function placeText(p: VipPlace): string {
  const live = p.holders.filter((h) => !p.stale.includes(h));
  const on = live.length ? live.join(' and ') : 'nobody';
  const want = p.expected ?? 'nobody';
  const stale = p.stale.length ? `; still on ${p.stale.join(' and ')} whose daemon was killed (nothing removed it; a restarted daemon clears it)` : '';
  return `${p.vip} (${p.instance}) on ${on}${placeOk(p) ? '' : ` (should be on ${want}${p.expected ? ' only' : ''})`}${stale}`;
}

/** How each VIP moved between two views: `192.0.2.100 (VI_1): n1 -> n2`. */
export function moves(before: readonly VipPlace[], after: readonly VipPlace[]): string[] {
  return after.map((a) => {
    const b = before.find((x) => x.vip === a.vip);
    const liveOf = (p: VipPlace) => p.holders.filter((h) => !p.stale.includes(h));
    const from = b && liveOf(b).length ? liveOf(b).join('+') : 'nobody';
    const to = liveOf(a).length ? liveOf(a).join('+') : 'nobody';
    const stale = a.stale.length ? ` (still on killed ${a.stale.join('+')})` : '';
    return (from === to ? `${a.vip} (${a.instance}): stayed on ${to}` : `${a.vip} (${a.instance}): ${from} -> ${to}`) + stale;
  });
}
