// The Announcer contract of types.ts: gratuitous ARP (IPv4) and unsolicited neighbour
// advertisements (IPv6) as whole Ethernet frames on an AF_PACKET socket (native addon), one
// frame per address per call; the daemon owns repeats and intervals.
import { readFileSync } from 'node:fs';
import { parseIpv4, parseIpv6 } from '../vrrp/codec-addr.js';
import { garpFrame, parseMac, unsolicitedNaFrame } from './frames.js';
import { loadNative, type NativeAddon, type NativeHandle } from './native.js';
import type { Announcer, NetResult } from './types.js';

/** Reads files under /sys and /proc; injectable so tests can check the choices without a host. */
export type ReadText = (path: string) => string | null;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

function safeIfname(ifname: unknown): ifname is string {
  return typeof ifname === 'string' && /^[^/\s\0]{1,15}$/.test(ifname) && ifname !== '.' && ifname !== '..';
}

/** The interface's MAC from /sys/class/net/IF/address. */
export function interfaceMac(ifname: string, read: ReadText = readText): NetResult<Uint8Array> {
  if (!safeIfname(ifname)) return { ok: false, error: `interface name ${JSON.stringify(ifname)} is not valid` };
  const text = read(`/sys/class/net/${ifname}/address`);
  if (text === null) return { ok: false, error: `interface ${ifname}: no such device (no /sys/class/net/${ifname}/address)` };
  const mac = parseMac(text);
  if (!mac) return { ok: false, error: `interface ${ifname}: '${text.trim()}' is not an Ethernet MAC address` };
  return { ok: true, value: mac };
}

/** keepalived sets the NA Router flag when IPv6 forwarding is on for the interface. */
export function ipv6Forwarding(ifname: string, read: ReadText = readText): boolean {
  return safeIfname(ifname) && read(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`)?.trim() === '1';
}

/** Builds the frames of one announce call; exported for tests. */
export function buildAnnouncements(
  ifname: string,
  addrs: string[],
  mac: Uint8Array,
  router: boolean,
): NetResult<Uint8Array[]> {
  if (!Array.isArray(addrs)) return { ok: false, error: `announce on ${ifname}: addrs must be a list of addresses` };
  const frames: Uint8Array[] = [];
  for (const [i, a] of addrs.entries()) {
    // The codec's parsers, not node:net's isIPv6, whose first call compiles a large pattern (~26 ms)
    // on the takeover path.
    const v4 = typeof a === 'string' && parseIpv4(a) !== null;
    const v6 = !v4 && typeof a === 'string' && parseIpv6(a) !== null;
    if (!v4 && !v6) return { ok: false, error: `announce on ${ifname}: addrs[${i}] ${JSON.stringify(a)} is not an IP address` };
    const f = v4 ? garpFrame(mac, a) : unsolicitedNaFrame(mac, a, { router });
    if (!f.ok) return { ok: false, error: `announce on ${ifname}: ${f.error}` };
    frames.push(f.frame);
  }
  return { ok: true, value: frames };
}

export interface AnnouncerOptions {
  /** For tests: where /sys and /proc are read from. */
  read?: ReadText;
}

/** An Announcer over AF_PACKET sockets, one per interface, opened on first use. Never throws. */
export function createAnnouncer(options: AnnouncerOptions = {}): NetResult<Announcer> {
  const n = loadNative();
  if (!n.ok) return { ok: false, error: n.error };
  const native: NativeAddon = n.addon;
  const read = options.read ?? readText;
  const sockets = new Map<string, NativeHandle>();
  let closed = false;

  const socketFor = (ifname: string): NetResult<NativeHandle> => {
    const have = sockets.get(ifname);
    if (have) return { ok: true, value: have };
    const r = native.packetOpen(ifname);
    if (!r.ok) return { ok: false, error: r.error };
    sockets.set(ifname, r.handle);
    return { ok: true, value: r.handle };
  };

  const announce = async (ifname: string, addrs: string[], opts?: { srcMac?: string }): Promise<NetResult> => {
    try {
      if (closed) return { ok: false, error: 'announce: the announcer is closed' };
      if (!safeIfname(ifname)) return { ok: false, error: `announce: interface name ${JSON.stringify(ifname)} is not valid` };
      let mac: Uint8Array;
      if (opts?.srcMac !== undefined) {
        const m = parseMac(opts.srcMac);
        if (!m) return { ok: false, error: `announce on ${ifname}: srcMac ${JSON.stringify(opts.srcMac)} is not a MAC address` };
        mac = m;
      } else {
        const m = interfaceMac(ifname, read);
        if (!m.ok) return { ok: false, error: `announce: ${m.error}` };
        mac = m.value;
      }
      const frames = buildAnnouncements(ifname, addrs, mac, ipv6Forwarding(ifname, read));
      if (!frames.ok) return frames;
      if (frames.value.length === 0) return { ok: true, value: undefined };
      const sock = socketFor(ifname);
      if (!sock.ok) return { ok: false, error: `announce: ${sock.error}` };
      const failures: string[] = [];
      frames.value.forEach((f, i) => {
        const r = native.packetSend(sock.value, f);
        if (!r.ok) failures.push(`${addrs[i]}: ${r.error}`);
      });
      if (failures.length > 0) {
        // A socket in a bad state (interface gone) is reopened on the next call.
        native.close(sock.value);
        sockets.delete(ifname);
        return { ok: false, error: `announce on ${ifname}: ${failures.join('; ')}` };
      }
      return { ok: true, value: undefined };
    } catch (e) {
      return { ok: false, error: `announce on ${String(ifname)}: ${e instanceof Error ? e.message : String(e)}` };
    }
  };

  return {
    ok: true,
    value: {
      announce,
      close() {
        closed = true;
        for (const h of sockets.values()) native.close(h);
        sockets.clear();
      },
    },
  };
}
