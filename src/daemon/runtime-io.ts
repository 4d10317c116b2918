// The VRRP runtime's I/O helpers: encoding and sending adverts, receiving and validating packets,
// VIP add/remove and GARP/NA bursts. Everything goes through the injected network layer.
import type { Announcer, Family, NetResult, Rtnl, VrrpPacketIn, VrrpSocket } from '../net/types.js';
import type { Counters, DropReason } from '../vrrp/counters.js';
import { formatAddr, isMulticast } from '../vrrp/codec-addr.js';
import type { RxMeta } from '../vrrp/fsm.js';
import { encode, readIpv4Packet, readIpv6Payload, VRRP_MCAST4, VRRP_MCAST6 } from '../vrrp/packet.js';
import type { Advert } from '../vrrp/types.js';
import { validate, type ValidateResult } from '../vrrp/validate.js';
import type { InstancePlan, VipSpec } from './instance-config.js';
import type { Logger } from './log.js';

/** Per-instance I/O state the runtime keeps beside the state machine. */
export interface InstanceIo {
  plan: InstancePlan;
  primaryAddr: string;
  counters: Counters;
  ipId: number;
  ahSeq: number;
  /** Highest AH sequence number accepted from peers. */
  peerAhSeq: number;
  advertsSent: number;
  priorityZeroSent: number;
  becameMaster: number;
  releasedMaster: number;
  /** The last encoded advert per destination (sendAdvert reuses it while the advert is unchanged). */
  lastSent?: Map<string, SentAdvert>;
}

/** An encoded advert and what it was encoded from. */
interface SentAdvert {
  advert: Advert;
  bytes: Uint8Array;
}

/** Same fields, so the same bytes apart from the IPv4 header's ID (and its checksum). */
function sameAdvert(a: Advert, b: Advert): boolean {
  if (a.priority !== b.priority || a.srcAddr !== b.srcAddr || a.vrid !== b.vrid || a.version !== b.version || a.family !== b.family) return false;
  if (a.advertIntervalCs !== b.advertIntervalCs || a.authType !== b.authType || a.authData !== b.authData) return false;
  if (a.addrs.length !== b.addrs.length) return false;
  for (let k = 0; k < a.addrs.length; k++) if (a.addrs[k] !== b.addrs[k]) return false;
  return true;
}

/**
 * A copy of `prev` with a new IPv4 ID and header checksum: an advert that did not change encodes to
 * the same bytes apart from those (the VRRP checksum's pseudo-header has no ID), so a master's
 * periodic advert costs a copy instead of a full encode. IPv6 payloads carry no ID at all.
 */
export function withIpId(prev: Uint8Array, family: Family, ipId: number): Uint8Array {
  const out = prev.slice();
  if (family === 6) return out;
  out[4] = ipId >> 8;
  out[5] = ipId & 0xff;
  out[10] = 0;
  out[11] = 0;
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += (out[k]! << 8) | out[k + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const ck = ~sum & 0xffff;
  out[10] = ck >> 8;
  out[11] = ck & 0xff;
  return out;
}

export function socketKey(ifname: string, family: Family): string {
  return `${ifname}/${family}`;
}

/** Sends one advert to the multicast group or every unicast peer; returns how many went out. */
export async function sendAdvert(io: InstanceIo, sock: VrrpSocket | undefined, advert: Advert, log: Logger): Promise<number> {
  if (!sock) return 0;
  const p = io.plan;
  const dsts = p.unicastPeers.length > 0 ? p.unicastPeers.map((u) => u.addr) : [p.family === 4 ? VRRP_MCAST4 : VRRP_MCAST6];
  let sent = 0;
  for (const dst of dsts) {
    io.ipId = (io.ipId % 0xffff) + 1;
    let bytes: Uint8Array;
    const prev = io.lastSent?.get(dst);
    // AH signs a sequence number that changes every advert: always a full encode.
    if (prev !== undefined && advert.authType !== 'ah' && sameAdvert(prev.advert, advert)) {
      bytes = withIpId(prev.bytes, p.family, io.ipId);
    } else {
      const spec = { ...advert, dstAddr: dst, ttl: 255, tos: 0xc0, ipId: io.ipId, unicast: p.unicastPeers.length > 0 } as Parameters<typeof encode>[0];
      if (advert.authType === 'ah') spec.ahSeq = ++io.ahSeq;
      const enc = encode(spec);
      if (!enc.ok) {
        log.log('err', `(${p.name}) cannot encode advert: ${enc.error}`);
        continue;
      }
      bytes = enc.bytes;
      if (advert.authType !== 'ah') (io.lastSent ??= new Map()).set(dst, { advert: { ...advert, addrs: [...advert.addrs] }, bytes });
    }
    const r = await sock.send(bytes, dst, p.family === 6 ? io.primaryAddr : undefined);
    if (r.ok) sent++;
    else log.log('err', `(${p.name}) send to ${dst} failed: ${r.error}`);
  }
  return sent;
}

/** What routing needs of a received packet (socket interface, VRID, source, multicast), or why it
 * carries no readable VRID. */
export function rxMetaOf(pkt: VrrpPacketIn): { ok: true; meta: RxMeta } | { ok: false; reason: DropReason; detail: string } {
  const r = pkt.family === 4 ? readIpv4Packet(pkt.buf) : readIpv6Payload(pkt.buf, pkt.ipv6 ?? { src: '', dst: '' });
  if (!r.ok) return r;
  const meta: RxMeta = { ifname: pkt.ifname, family: pkt.family, vrid: r.raw.vrid };
  if (r.raw.src.length === (pkt.family === 4 ? 4 : 16)) meta.srcAddr = formatAddr(pkt.family, r.raw.src);
  if (r.raw.dst.length === (pkt.family === 4 ? 4 : 16)) meta.multicast = isMulticast(pkt.family, r.raw.dst);
  return { ok: true, meta };
}

/** validate() for one instance with its receive context; counts the outcome. */
export function checkPacket(
  io: InstanceIo,
  pkt: VrrpPacketIn,
  state: string,
  masterAddr: string | null,
  ownAddrs: string[],
): ValidateResult {
  const ctx: Parameters<typeof validate>[2] = {
    state: state === 'MASTER' ? 'master' : 'backup',
    ownAddrs,
    ahSeq: io.peerAhSeq,
  };
  if (masterAddr) ctx.masterAddr = masterAddr;
  if (pkt.ipv6) ctx.ipv6 = pkt.ipv6;
  const r = validate(pkt.buf, io.plan.check, ctx);
  io.counters.record(r);
  if (r.ok && r.ahSeq !== undefined) io.peerAhSeq = r.ahSeq;
  return r;
}

/** The VIP specs of an instance for a list of address texts (the FSM names addresses only). */
export function vipSpecsFor(plan: InstancePlan, addrs: readonly string[]): VipSpec[] {
  // The state machine lists the advertised VIPs; excluded ones always travel with them.
  const wanted = new Set(addrs);
  return plan.vips.filter((v) => !v.advertised || wanted.has(v.addr));
}

/** Adds or removes the VIPs all at once (requests in flight together, as keepalived's one netlink
 * batch), so a takeover waits for one round trip rather than one per VIP. */
export async function changeVips(rtnl: Rtnl, plan: InstancePlan, addrs: readonly string[], add: boolean, log: Logger): Promise<void> {
  const specs = vipSpecsFor(plan, addrs);
  const results = await Promise.all(specs.map((v): Promise<NetResult> => {
    const { advertised: _a, ...spec } = v;
    return (add ? rtnl.addAddress(spec) : rtnl.deleteAddress(spec)).catch((e: unknown) => ({ ok: false as const, error: String(e) }));
  }));
  specs.forEach((v, k) => {
    const r = results[k]!;
    if (!r.ok) log.log('err', `(${plan.name}) cannot ${add ? 'add' : 'remove'} VIP ${v.addr}/${v.prefix} on ${v.ifname}: ${r.error}`);
    else if (log.detail) log.log('debug', `(${plan.name}) ${add ? 'added' : 'removed'} VIP ${v.addr}/${v.prefix} on ${v.ifname}`);
  });
}

/** The announcement groups of a GARP burst: per interface and family, with its spacing. */
export function garpGroups(plan: InstancePlan, addrs: readonly string[]): { ifname: string; family: Family; addrs: string[]; intervalUs: number }[] {
  const groups = new Map<string, { ifname: string; family: Family; addrs: string[]; intervalUs: number }>();
  for (const v of vipSpecsFor(plan, addrs)) {
    const k = socketKey(v.ifname, v.family);
    let g = groups.get(k);
    if (!g) {
      g = { ifname: v.ifname, family: v.family, addrs: [], intervalUs: v.family === 4 ? plan.garpIntervalUs : plan.gnaIntervalUs };
      groups.set(k, g);
    }
    g.addrs.push(v.addr);
  }
  return [...groups.values()];
}

export async function announce(announcer: Announcer, plan: InstancePlan, g: { ifname: string; family: Family; addrs: string[] }, log: Logger): Promise<void> {
  for (const a of g.addrs) {
    log.log('info', g.family === 4 ? `Sending gratuitous ARP on ${g.ifname} for ${a}` : `Sending unsolicited Neighbour Advert on ${g.ifname} for ${a}`);
  }
  const r = await announcer.announce(g.ifname, g.addrs);
  if (!r.ok) log.log('err', `(${plan.name}) announcement on ${g.ifname} failed: ${r.error}`);
}
