// Internet checksum (RFC 1071) and the VRRP checksum variants: v2 covers the VRRP message only;
// v3 (and anything over IPv6, where the kernel computes it) adds the IPv4/IPv6 pseudo-header.

/** 32-bit running ones'-complement sum of `buf[start, end)` added to `acc`; an odd tail byte is padded with zero. */
export function sum16(buf: Uint8Array, start = 0, end = buf.length, acc = 0): number {
  let s = acc;
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i === last) s += buf[i]! << 8;
  // Fold often enough that the sum never leaves the safe-integer range on long inputs.
  return s > 0x7fffffff ? fold(s) : s;
}

/** Folds a running sum to 16 bits (without complementing). */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The Internet checksum of `buf[start, end)` with `acc` already summed in: ~fold(sum) & 0xffff. */
export function inetChecksum(buf: Uint8Array, start = 0, end = buf.length, acc = 0): number {
  return ~fold(sum16(buf, start, end, acc)) & 0xffff;
}

/** Sum of the IPv4 pseudo-header (src, dst, zero, protocol, length); addresses are 4-byte arrays. */
export function pseudoSum4(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return sum16(src) + sum16(dst) + protocol + (length & 0xffff);
}

/** Sum of the IPv6 pseudo-header (RFC 8200 section 8.1); addresses are 16-byte arrays. */
export function pseudoSum6(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  return sum16(src) + sum16(dst) + Math.floor(length / 0x10000) + (length & 0xffff) + protocol;
}

