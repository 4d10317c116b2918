// Which instance a received advert belongs to, and which instances may not live side by side.
// VRIDs are per segment: keepalived keys instances by (interface, family, VRID), keeps unicast and
// multicast instances in separate VRID spaces, and lets several unicast instances share one VRID on
// an interface when they have no peer in common (a received advert then goes to the instance whose
// unicast_peer list holds its source address). Pure: no I/O.

import { addrBytes } from './fsm-addr.js';
import type { Family } from './types.js';

/** What routing and the duplicate check need of one instance. */
export interface RouteEntry {
  name: string;
  /** The instance's interface; undefined (a state machine used without interfaces) matches any. */
  interface?: string;
  family: Family;
  vrid: number;
  /** unicast_peer addresses; empty for a multicast instance. */
  unicastPeers: readonly string[];
  /** The advert source address (unicast_src_ip or the interface's address). */
  primaryAddr: string;
}

/** What is known about a received packet before it is validated against an instance. */
export interface RxMeta {
  /** The interface of the socket that received it; undefined matches any instance. */
  ifname?: string;
  family: Family;
  vrid: number;
  /** The packet's source address. */
  srcAddr?: string;
  /** Sent to the VRRP multicast group (true) or to a unicast address (false); undefined: unknown. */
  multicast?: boolean;
}

export type RouteResult = { ok: true; name: string } | { ok: false; detail: string };

function sameIf(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

function sameAddr(a: string, b: string): boolean {
  const x = addrBytes(a);
  const y = addrBytes(b);
  return !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
}

/** An address we do not know yet (no address on the interface): keepalived skips such pairs. */
function unknownAddr(a: string): boolean {
  const b = addrBytes(a);
  return !b || b.every((v) => v === 0);
}

/**
 * Why instances `a` and `b` cannot run together (keepalived's duplicate VRID rule), or null.
 * Multicast: same interface, family and VRID. Unicast: same interface, family, VRID and source
 * address with a unicast_peer in common.
 */
export function vridConflict(a: RouteEntry, b: RouteEntry): string | null {
  if (a.family !== b.family || a.vrid !== b.vrid || !sameIf(a.interface, b.interface)) return null;
  const ua = a.unicastPeers.length > 0;
  const ub = b.unicastPeers.length > 0;
  if (ua !== ub) return null; // unicast and multicast are separate VRID spaces
  const where = a.interface ?? b.interface;
  const on = where === undefined ? '' : ` on ${where}`;
  if (!ua) return `VRID ${a.vrid} (IPv${a.family}) is already used by ${b.name}${on}`;
  if (unknownAddr(a.primaryAddr) || unknownAddr(b.primaryAddr) || !sameAddr(a.primaryAddr, b.primaryAddr)) return null;
  const shared = a.unicastPeers.find((p) => b.unicastPeers.some((q) => sameAddr(p, q)));
  if (shared === undefined) return null;
  return `VRID ${a.vrid} (IPv${a.family}) is already used by ${b.name}${on} with the same source address and unicast peer ${shared}`;
}

/** The instance a received advert belongs to, as keepalived's receive path picks it. */
export function routeAdvert(entries: readonly RouteEntry[], rx: RxMeta): RouteResult {
  const cands = entries.filter((e) => e.family === rx.family && e.vrid === rx.vrid && sameIf(e.interface, rx.ifname));
  const on = rx.ifname === undefined ? '' : ` on ${rx.ifname}`;
  if (cands.length === 0) return { ok: false, detail: `no instance for VRID ${rx.vrid} (IPv${rx.family})${on}` };
  // One candidate gets the packet even when it looks wrong: validation then names what is wrong.
  if (cands.length === 1) return { ok: true, name: cands[0].name };
  const mcast = cands.find((c) => c.unicastPeers.length === 0);
  if (rx.multicast === true && mcast) return { ok: true, name: mcast.name };
  const src = rx.srcAddr;
  if (src !== undefined) {
    const peer = cands.find((c) => c.unicastPeers.some((p) => sameAddr(p, src)));
    if (peer) return { ok: true, name: peer.name };
  }
  if (rx.multicast === undefined && mcast) return { ok: true, name: mcast.name };
  return { ok: false, detail: `no instance for VRID ${rx.vrid} (IPv${rx.family})${on} has ${src ?? 'the sender'} as unicast peer` };
}

/** Entries grouped by family and VRID: routing a packet then looks at its candidates only. */
export type RouteIndex = ReadonlyMap<number, readonly RouteEntry[]>;

const routeKey = (family: Family, vrid: number): number => family * 256 + vrid;

export function routeIndex(entries: readonly RouteEntry[]): RouteIndex {
  const m = new Map<number, RouteEntry[]>();
  for (const e of entries) {
    const k = routeKey(e.family, e.vrid);
    const l = m.get(k);
    if (l) l.push(e);
    else m.set(k, [e]);
  }
  return m;
}

/** routeAdvert over an index: the same answer, without looking at other VRIDs' instances. */
export function routeIndexed(index: RouteIndex, rx: RxMeta): RouteResult {
  return routeAdvert(index.get(routeKey(rx.family, rx.vrid)) ?? [], rx);
}
