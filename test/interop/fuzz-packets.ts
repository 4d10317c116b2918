// The wire fuzzer's packets: VRRPv2 adverts for a PASS instance (VRID 51, VIP 192.0.2.100, advert_int
// 1) built by hand here (independently of src/vrrp's encoder), then mutated class by class. Each
// deterministic class is built to trip exactly one receive check, so it must land in one drop reason;
// the random classes (bit flips, garbage) land wherever the receive checks put them. Pure: a seeded
// PRNG (the simulator's), no I/O.

import { Prng } from '../../src/vrrp/sim/prng.js';

export const FUZZ = { vrid: 51, vip: '192.0.2.100', pass: 's3cret', src: '192.0.2.9', dst: '224.0.0.18', advertInt: 1 };

/** Mutation class -> the drop reason (src/vrrp/counters.ts) it must land in; null: decided per packet. */
export const CLASSES = {
  vrid: 'vrid_unknown', // another VRID: the socket's unknown-VRID drop
  version: 'version_invalid', // a well-formed VRRPv3 advert to a v2 instance
  ttl: 'ttl_invalid', // TTL 64
  checksum: 'checksum', // checksum off by one bit
  authtype: 'authtype_mismatch', // auth type 0 on a PASS instance
  authtype_unknown: 'authtype_invalid', // auth type 3..255
  wrong_password: 'auth_password', // priority 254 (would preempt) with a wrong password
  interval: 'advert_interval_mismatch', // advert_int 2..255
  type: 'type_invalid', // packet type 2..15
  addr_count: 'addr_count_mismatch', // two addresses where we have one VIP
  addr_list: 'addr_list_mismatch', // one address, not our VIP
  truncated: 'packet_length', // cut inside the VRRP message (IP total length follows)
  truncated_header: 'truncated', // cut inside the 8-byte VRRP header: no VRID to route by
  bitflip: null, // one random bit flipped in the VRRP message of a valid advert
  garbage: null, // random bytes after a valid IP header (VRID byte kept, so it reaches the instance)
} as const;

export type FuzzClass = keyof typeof CLASSES;

/** How many of each class make up 100,000 packets. */
export const MIX: Record<FuzzClass, number> = {
  vrid: 5000, version: 5000, ttl: 5000, checksum: 5000, authtype: 5000, authtype_unknown: 5000,
  wrong_password: 5000, interval: 5000, type: 5000, addr_count: 5000, addr_list: 5000, truncated: 5000,
  truncated_header: 5000, bitflip: 20000, garbage: 15000,
};

/** The simulator's seeded mulberry32, so a failing iteration can be replayed. */
export function prng(seed: number): () => number {
  const g = new Prng(seed);
  return () => g.next();
}

const ip4 = (s: string): number[] => s.split('.').map(Number);

function csum(b: Uint8Array, from: number, to: number, acc = 0): number {
  for (let i = from; i < to; i += 2) acc += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

export interface AdvertSpec {
  version?: 2 | 3;
  vrid?: number;
  prio?: number;
  type?: number;
  authType?: number;
  pass?: string;
  advertInt?: number;
  addrs?: string[];
  ttl?: number;
}

/** A whole IPv4 packet (header + VRRP) with correct IP and VRRP checksums. */
export function advert(s: AdvertSpec = {}): Uint8Array {
  const version = s.version ?? 2;
  const addrs = s.addrs ?? [FUZZ.vip];
  const vrrpLen = 8 + 4 * addrs.length + (version === 2 ? 8 : 0);
  const b = new Uint8Array(20 + vrrpLen);
  ipHeader(b, b.length, s.ttl ?? 255);
  const v = 20;
  b[v] = (version << 4) | (s.type ?? 1);
  b[v + 1] = s.vrid ?? FUZZ.vrid;
  b[v + 2] = s.prio ?? 100;
  b[v + 3] = addrs.length;
  if (version === 2) {
    b[v + 4] = s.authType ?? 1;
    b[v + 5] = s.advertInt ?? FUZZ.advertInt;
  } else {
    const cs = (s.advertInt ?? FUZZ.advertInt) * 100;
    b[v + 4] = (cs >> 8) & 0x0f;
    b[v + 5] = cs & 0xff;
  }
  addrs.forEach((a, i) => b.set(ip4(a), v + 8 + 4 * i));
  if (version === 2) {
    const pass = new TextEncoder().encode(s.pass ?? FUZZ.pass).subarray(0, 8);
    b.set(pass, v + 8 + 4 * addrs.length);
  }
  vrrpChecksum(b, version);
  return b;
}

function ipHeader(b: Uint8Array, totLen: number, ttl: number): void {
  b[0] = 0x45;
  b[1] = 0xc0;
  b[2] = totLen >> 8;
  b[3] = totLen & 0xff;
  b[8] = ttl;
  b[9] = 112;
  b.set(ip4(FUZZ.src), 12);
  b.set(ip4(FUZZ.dst), 16);
  ipChecksum(b);
}

function ipChecksum(b: Uint8Array): void {
  b[10] = b[11] = 0;
  const c = csum(b, 0, 20);
  b[10] = c >> 8;
  b[11] = c & 0xff;
}

function vrrpChecksum(b: Uint8Array, version: number): void {
  b[26] = b[27] = 0;
  let acc = 0;
  if (version === 3) {
    // Pseudo-header: source, destination, zero + protocol, VRRP length.
    for (let i = 12; i < 20; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
    acc += 112 + (b.length - 20);
  }
  const c = csum(b, 20, b.length, acc);
  b[26] = c >> 8;
  b[27] = c & 0xff;
}

/** Cuts an IPv4 packet to `len` bytes, fixing the IP total length and header checksum so the kernel delivers it. */
function cut(p: Uint8Array, len: number): Uint8Array {
  const b = p.slice(0, len);
  b[2] = len >> 8;
  b[3] = len & 0xff;
  ipChecksum(b);
  return b;
}

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function mutate(cls: FuzzClass, r: () => number): Uint8Array {
  switch (cls) {
    case 'vrid': {
      let vrid = int(r, 1, 254);
      if (vrid >= FUZZ.vrid) vrid++;
      return advert({ vrid, prio: int(r, 1, 254) });
    }
    case 'version':
      return advert({ version: 3, prio: 254 });
    case 'ttl':
      return advert({ ttl: int(r, 0, 254), prio: 254 });
    case 'checksum': {
      const b = advert({ prio: 254 });
      b[26 + int(r, 0, 1)]! ^= 1 << int(r, 0, 7);
      return b;
    }
    case 'authtype':
      return advert({ authType: 0, prio: 254 });
    case 'authtype_unknown':
      return advert({ authType: int(r, 3, 255), prio: 254 });
    case 'wrong_password':
      return advert({ prio: 254, pass: `x${Math.floor(r() * 1e6)}` });
    case 'interval':
      return advert({ advertInt: int(r, 2, 255), prio: 254 });
    case 'type':
      return advert({ type: int(r, 2, 15), prio: 254 });
    case 'addr_count':
      return advert({ addrs: [FUZZ.vip, '192.0.2.101'], prio: 254 });
    case 'addr_list':
      return advert({ addrs: ['192.0.2.77'], prio: 254 });
    case 'truncated': {
      const b = advert({ prio: 254 });
      return cut(b, int(r, 28, b.length - 1));
    }
    case 'truncated_header':
      return cut(advert({ prio: 254 }), int(r, 20, 27));
    case 'bitflip': {
      const b = advert({ prio: int(r, 1, 254) });
      // Keep the VRID byte so the flip reaches the instance (other VRIDs are the vrid class).
      let at = int(r, 20, b.length - 2);
      if (at >= 21) at++;
      b[at]! ^= 1 << int(r, 0, 7);
      return b;
    }
    case 'garbage': {
      const len = int(r, 28, 80);
      const b = new Uint8Array(len);
      ipHeader(b, len, r() < 0.9 ? 255 : int(r, 0, 254));
      for (let i = 20; i < len; i++) b[i] = int(r, 0, 255);
      b[21] = FUZZ.vrid;
      return b;
    }
  }
}

/** `total` packets of the MIX, shuffled so drops anywhere on the path hit every class alike. */
export function fuzzPackets(seed: number, scale = 1): { cls: FuzzClass; pkt: Uint8Array }[] {
  const r = prng(seed);
  const out: { cls: FuzzClass; pkt: Uint8Array }[] = [];
  for (const [cls, n] of Object.entries(MIX) as [FuzzClass, number][]) {
    for (let i = 0; i < Math.round(n * scale); i++) out.push({ cls, pkt: mutate(cls, r) });
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Ethernet frames for 224.0.0.18 from `srcMac`, concatenated with a 2-byte length before each. */
export function framesFile(pkts: Uint8Array[], srcMac: string): Buffer {
  const mac = srcMac.split(':').map((h) => parseInt(h, 16));
  const eth = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, ...mac, 0x08, 0x00];
  const parts: Buffer[] = [];
  for (const p of pkts) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(14 + p.length);
    parts.push(len, Buffer.from(eth), Buffer.from(p));
  }
  return Buffer.concat(parts);
}
