// ICMP / ICMPv6 echo packets for PING_CHECK, pure. IPv4 raw sockets hand us the IP header too;
// the kernel fills in the ICMPv6 checksum itself (it needs the pseudo-header), so we leave it 0.

export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;

/** RFC 1071 Internet checksum. */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function encodeEcho(family: 4 | 6, id: number, seq: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = family === 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  b.writeUInt16BE(id & 0xffff, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  b.set(payload, 8);
  if (family === 4) b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

/** An echo reply's id and sequence, or undefined for anything else (other ICMP, garbage). */
export function decodeEchoReply(family: 4 | 6, packet: Uint8Array): { id: number; seq: number } | undefined {
  let off = 0;
  if (family === 4) {
    if (packet.length < 20 || packet[0] >> 4 !== 4) return undefined;
    off = (packet[0] & 0x0f) * 4;
  }
  if (packet.length < off + 8) return undefined;
  if (packet[off] !== (family === 4 ? ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY) || packet[off + 1] !== 0) return undefined;
  if (family === 4 && inetChecksum(packet.subarray(off)) !== 0) return undefined;
  return { id: (packet[off + 4] << 8) | packet[off + 5], seq: (packet[off + 6] << 8) | packet[off + 7] };
}
