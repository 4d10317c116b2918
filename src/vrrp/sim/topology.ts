// Compact cluster descriptions for tests, benchmarks and a future `simulate` command: one VRID per
// instance, VIPs and node addresses taken from the documentation ranges (RFC 5737 / RFC 3849).

import type { InstanceConfig, SyncGroupConfig } from '../fsm-types.js';
import type { SimOptions } from './cluster.js';

export interface TopoInstance extends Omit<InstanceConfig, 'primaryAddr' | 'vips' | 'name'> {
  name?: string;
  vips?: string[];
}

export interface TopoNode {
  id: string;
  /** Primary address; default 192.0.2.<index+1> (or 2001:db8::<index+1> for IPv6 instances). */
  addr?: string;
  instances: TopoInstance[];
  syncGroups?: SyncGroupConfig[];
}

export interface Topology {
  nodes: TopoNode[];
  seed?: number;
  linkDelayUs?: number;
}

/** The VIP a VRID gets by default: 203.0.113.<vrid> or 2001:db8:1::<vrid hex>. */
export function defaultVip(vrid: number, family: 4 | 6 = 4): string {
  return family === 6 ? `2001:db8:1::${vrid.toString(16)}` : `203.0.113.${vrid}`;
}

export function nodeAddr(index: number, family: 4 | 6 = 4): string {
  return family === 6 ? `2001:db8::${(index + 1).toString(16)}` : `192.0.2.${index + 1}`;
}

export function toSimOptions(t: Topology): SimOptions {
  return {
    seed: t.seed,
    linkDelayUs: t.linkDelayUs,
    nodes: t.nodes.map((n, idx) => ({
      id: n.id,
      config: {
        instances: n.instances.map((i) => {
          const family = i.family ?? 4;
          return {
            ...i,
            name: i.name ?? `VI_${i.vrid}`,
            family,
            primaryAddr: n.addr ?? nodeAddr(idx, family),
            vips: i.vips ?? [defaultVip(i.vrid, family)],
          };
        }),
        syncGroups: n.syncGroups,
      },
    })),
  };
}
