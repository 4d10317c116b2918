// keepalived's IPSEC-AH authentication for VRRPv2 over IPv4 (auth_type AH).
//
// Wire facts (keepalived vrrp.c / vrrp_ipsecah.h): the 24-byte AH header sits between the
// IPv4 header (protocol 51) and the VRRP message: next header 112, payload length 4,
// reserved 0, SPI = the sender's IPv4 source address, a sequence number that starts at 1
// and grows by one per advert, then a 12-byte ICV: HMAC-MD5 truncated to 96 bits, keyed
// with the 8-byte auth_pass (NUL padded), over the IPv4 header with its mutable fields
// zeroed (TOS, fragment field, header checksum; TTL too for unicast peers), the AH header
// with a zero ICV, and the VRRP message to the end of the packet.
import { createHmac } from 'node:crypto';

export const AH_HEADER_LEN = 24;
export const AH_PAYLOAD_LEN = 4; // (96-bit ICV + 3 words) in words, minus 2
export const AH_ICV_LEN = 12;
export const AH_ICV_OFFSET = 12; // inside the AH header
export const VRRP_AUTH_DATA_LEN = 8;

export interface AhHeader {
  nextHeader: number;
  payloadLen: number;
  reserved: number;
  spi: number;
  seq: number;
  icv: Uint8Array;
}

/** keepalived's auth_data: the auth_pass bytes (UTF-8), cut to 8 and padded with NULs. */
export function authDataBytes(pass: string | Uint8Array): Uint8Array {
  const src = typeof pass === 'string' ? new TextEncoder().encode(pass) : pass;
  const out = new Uint8Array(VRRP_AUTH_DATA_LEN);
  out.set(src.subarray(0, VRRP_AUTH_DATA_LEN));
  return out;
}

export function readAhHeader(buf: Uint8Array, off: number): AhHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    nextHeader: buf[off]!,
    payloadLen: buf[off + 1]!,
    reserved: dv.getUint16(off + 2),
    spi: dv.getUint32(off + 4),
    seq: dv.getUint32(off + 8),
    icv: buf.slice(off + AH_ICV_OFFSET, off + AH_ICV_OFFSET + AH_ICV_LEN),
  };
}

/**
 * The 96-bit ICV of a packet laid out as [IPv4 header (ihl bytes)][AH header][VRRP ...]
 * ending at `end`. The packet itself is not modified.
 */
export function computeAhIcv(packet: Uint8Array, ihl: number, end: number, key: Uint8Array, unicast: boolean): Uint8Array {
  const head = packet.slice(0, ihl + AH_HEADER_LEN);
  head[1] = 0; // TOS
  head[6] = 0; // flags + fragment offset
  head[7] = 0;
  head[10] = 0; // header checksum
  head[11] = 0;
  if (unicast) head[8] = 0; // TTL is mutable on routed unicast paths
  head.fill(0, ihl + AH_ICV_OFFSET, ihl + AH_ICV_OFFSET + AH_ICV_LEN);
  const mac = createHmac('md5', key);
  mac.update(head);
  mac.update(packet.subarray(ihl + AH_HEADER_LEN, end));
  return new Uint8Array(mac.digest().subarray(0, AH_ICV_LEN));
}

/** Equal-length byte comparison whose time does not depend on where the first difference is. */
export function bytesEqualConstTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
