// The "Interfaces" section of keepalived.data (vrrp_if.c dump_if): every link of the namespace with
// its addresses (less the VIPs and static addresses keepalived adds itself), MAC, flags, MTU,
// hardware type, the IPv4 settings keepalived changes for vmacs (arp_ignore, arp_filter, rp_filter,
// promote_secondaries) and the instances tracking it. readLinks() reads /sys and /proc/sys (the
// namespace's own, as the VRRP child runs in it); linkFacts() is pure.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DumpInterface, DumpTracking } from './dump-types.js';
import type { VrrpRuntime } from './runtime.js';

export interface LinkFacts {
  name: string;
  index: number;
  mac: string;
  broadcast: string;
  /** dev->flags (IFF_*) as /sys shows them. */
  flags: number;
  carrier: boolean;
  mtu: number;
  type: number;
  arpIgnore: number;
  arpFilter: number;
  rpFilter: number;
  promoteSecondaries: number;
  ipv6Forwarding: boolean;
}

const IFF = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, POINTOPOINT: 0x10, NOARP: 0x80, MULTICAST: 0x1000 };
const MAX_LINKS = 4096;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
const numAt = (file: string, radix = 10): number => {
  const t = readText(file);
  const n = t === null ? NaN : radix === 16 ? parseInt(t, 16) : Number(t);
  return Number.isFinite(n) ? n : 0;
};

/** The namespace's links (bounded); [] when /sys cannot be read. */
export function readLinks(sys = '/sys/class/net', procConf = '/proc/sys/net/ipv4/conf', proc6Conf = '/proc/sys/net/ipv6/conf'): LinkFacts[] {
  let names: string[];
  try {
    names = readdirSync(sys).slice(0, MAX_LINKS);
  } catch {
    return [];
  }
  const out: LinkFacts[] = [];
  for (const name of names) {
    const d = join(sys, name);
    const index = numAt(join(d, 'ifindex'));
    if (index <= 0) continue;
    const conf = (k: string) => numAt(join(procConf, name, k));
    out.push({
      name, index, mac: readText(join(d, 'address')) ?? '', broadcast: readText(join(d, 'broadcast')) ?? '', flags: numAt(join(d, 'flags'), 16),
      carrier: readText(join(d, 'carrier')) === '1', mtu: numAt(join(d, 'mtu')), type: numAt(join(d, 'type')),
      arpIgnore: conf('arp_ignore'), arpFilter: conf('arp_filter'), rpFilter: conf('rp_filter'), promoteSecondaries: conf('promote_secondaries'),
      ipv6Forwarding: numAt(join(proc6Conf, name, 'forwarding')) === 1,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Each link as dump_if shows it, with what the runtime knows (addresses, vmacs, who tracks it). */
export function linkFacts(rt: VrrpRuntime, links: readonly LinkFacts[]): DumpInterface[] {
  const plan = rt.plan.instances;
  const ours = new Set<string>();
  for (const p of plan) for (const v of p.vips) ours.add(`${v.ifname}|${v.addr}`);
  for (const a of rt.plan.statics?.addresses ?? []) ours.add(`${a.ifname}|${a.addr}`);
  const byName = new Map(links.map((l) => [l.name, l]));
  return links.map((l) => {
    const addrs = rt.addrs.filter((a) => a.ifname === l.name && !ours.has(`${a.ifname}|${a.addr}`));
    // keepalived keeps only link-local IPv6 addresses for an interface (its advert sources).
    const v6 = addrs.filter((a) => a.family === 6 && /^fe[89ab]/i.test(a.addr)).map((a) => a.addr);
    const vmacOwner = plan.find((p) => p.vmac?.ifname === l.name);
    // keepalived changes (and counts) the base's ARP settings for IPv4 vmacs only.
    const bases = plan.filter((p) => p.vmac && p.family === 4 && p.ifname === l.name).length;
    const tracking: DumpTracking[] = [];
    for (const p of plan) {
      // dont_track_primary: keepalived still lists the instance, with VRRP_NOT_TRACK_IF (255).
      const ownWeight = p.tracks.some((t) => t.own) ? 0 : 255;
      if (p.ifname === l.name || p.vmac?.ifname === l.name) tracking.push({ instance: p.name, weight: ownWeight, reverse: false });
      for (const t of p.tracks) if (!t.own && t.ifname === l.name) tracking.push({ instance: p.name, weight: t.weight, reverse: t.reverse });
    }
    const loop = (l.flags & IFF.LOOPBACK) !== 0;
    const i: DumpInterface = {
      name: l.name, index: l.index,
      ipv4: addrs.filter((a) => a.family === 4).map((a) => a.addr),
      ipv6: v6,
      mac: loop || /^(00:)*00$/.test(l.mac) ? '' : l.mac, macBroadcast: l.broadcast,
      up: (l.flags & IFF.UP) !== 0, running: (l.flags & IFF.UP) !== 0 && l.carrier, broadcast: (l.flags & IFF.BROADCAST) !== 0, loopback: loop,
      pointToPoint: (l.flags & IFF.POINTOPOINT) !== 0, noArp: (l.flags & IFF.NOARP) !== 0, multicast: (l.flags & IFF.MULTICAST) !== 0,
      mtu: l.mtu, hwType: l.type, resetArpConfig: bases, arpIgnore: l.arpIgnore, arpFilter: l.arpFilter, promoteSecondaries: l.promoteSecondaries,
      tracking,
    };
    if (vmacOwner) {
      const b = byName.get(vmacOwner.ifname);
      i.vmacOf = { base: vmacOwner.ifname, up: b ? (b.flags & IFF.UP) !== 0 : false, running: b ? (b.flags & IFF.UP) !== 0 && b.carrier : false };
    }
    // keepalived shows rp_filter where it set it: on its vmacs and their base interfaces.
    if (vmacOwner || bases > 0) i.rpFilter = l.rpFilter;
    // keepalived looks at IPv6 forwarding when it sends unsolicited NAs (an IPv6 instance became master here).
    // keepalived looks at the instance's base interface (a vmac's too).
    const na = plan.filter((p) => p.family === 6 && (rt.ios.get(p.name)?.becameMaster ?? 0) > 0 && p.ifname === l.name);
    const at = Math.max(0, ...na.map((p) => Date.parse(rt.transitions.get(p.name)?.at ?? '') || 0));
    if (na.length > 0) i.gnaRouterCheck = { forwarding: l.ipv6Forwarding, atUs: at * 1000 };
    return i;
  });
}
