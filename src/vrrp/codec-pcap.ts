// A minimal pcap reader for VRRP captures (test vectors, benchmarks, offline inspection):
// classic pcap, Ethernet (optionally one 802.1Q tag) or Linux cooked capture, IPv4 and IPv6.
// It yields packets in the form the raw sockets deliver them: the IPv4 packet with its header,
// or the IPv6 payload with addresses and hop limit beside it. Bytes in, values out: no I/O.
import { formatIpv6 } from './codec-addr.js';
import type { Ipv6Meta } from './codec-read.js';

export type CapturedPacket =
  | { family: 4; bytes: Uint8Array; tsUs: number }
  | { family: 6; bytes: Uint8Array; ipv6: Required<Ipv6Meta>; nextHeader: number; tsUs: number };

export type PcapResult = { ok: true; packets: CapturedPacket[]; linkType: number } | { ok: false; error: string };

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;

export function readPcap(file: Uint8Array): PcapResult {
  if (file.length < 24) return { ok: false, error: `pcap: ${file.length} bytes is shorter than the 24-byte global header` };
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicBE = dv.getUint32(0, false);
  let le: boolean;
  let nanos = false;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) le = false;
  else if (magicBE === 0xd4c3b2a1 || magicBE === 0x4d3cb2a1) le = true;
  else return { ok: false, error: `pcap: bad magic 0x${magicBE.toString(16)} at offset 0` };
  if (magicBE === 0xa1b23c4d || magicBE === 0x4d3cb2a1) nanos = true;
  const linkType = dv.getUint32(20, le) & 0xffff;
  if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_LINUX_SLL) {
    return { ok: false, error: `pcap: link type ${linkType} not supported (Ethernet or Linux SLL only)` };
  }
  const packets: CapturedPacket[] = [];
  let off = 24;
  for (let n = 0; off < file.length; n++) {
    if (off + 16 > file.length) return { ok: false, error: `pcap: record ${n} header truncated at offset ${off}` };
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    if (off + 16 + incl > file.length) return { ok: false, error: `pcap: record ${n} data truncated at offset ${off}` };
    const frame = file.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const tsUs = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    const p = linkType === LINKTYPE_ETHERNET ? ethernetPayload(frame) : sllPayload(frame);
    if (!p) continue;
    const pkt = ipPacket(p.type, p.payload, tsUs);
    if (pkt) packets.push(pkt);
  }
  return { ok: true, packets, linkType };
}

function ethernetPayload(f: Uint8Array): { type: number; payload: Uint8Array } | null {
  if (f.length < 14) return null;
  let type = (f[12]! << 8) | f[13]!;
  let off = 14;
  if (type === 0x8100 && f.length >= 18) {
    type = (f[16]! << 8) | f[17]!;
    off = 18;
  }
  return { type, payload: f.subarray(off) };
}

function sllPayload(f: Uint8Array): { type: number; payload: Uint8Array } | null {
  if (f.length < 16) return null;
  return { type: (f[14]! << 8) | f[15]!, payload: f.subarray(16) };
}

function ipPacket(type: number, p: Uint8Array, tsUs: number): CapturedPacket | null {
  if (type === 0x0800 && p.length >= 20) {
    // Cut Ethernet padding: keep what the IPv4 total length covers.
    const tot = (p[2]! << 8) | p[3]!;
    return { family: 4, bytes: p.slice(0, Math.min(tot, p.length)), tsUs };
  }
  if (type === 0x86dd && p.length >= 40) {
    const plen = (p[4]! << 8) | p[5]!;
    return {
      family: 6,
      bytes: p.slice(40, Math.min(40 + plen, p.length)),
      ipv6: { src: formatIpv6(p, 8), dst: formatIpv6(p, 24), hopLimit: p[7]! },
      nextHeader: p[6]!,
      tsUs,
    };
  }
  return null;
}
