// Netlink attribute (TLV) framing: pure, no I/O. Reading never throws: it returns an error value
// that names the attribute and the byte offset, so a garbled kernel reply is a message, not a crash.
// Integers in attributes are host order (little-endian on every platform Node ships for); ports and
// IPv4 multicast groups are network order, as the IPVS UAPI says.

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(error: string): Result<T> => ({ ok: false, error });

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
export const NLA_HDRLEN = 4;

export const align4 = (n: number) => (n + 3) & ~3;

export interface RawAttr {
  type: number;
  /** Payload only (no header, no padding). */
  data: Buffer;
  /** Byte offset of the attribute header in the buffer it was read from. */
  offset: number;
}

/** Splits a buffer into attributes; every length is checked against what is left. */
export function readAttrs(buf: Buffer, where: string, base = 0): Result<RawAttr[]> {
  const out: RawAttr[] = [];
  let off = 0;
  // Bounded by the buffer: every step advances at least NLA_HDRLEN bytes.
  while (off < buf.length) {
    if (buf.length - off < NLA_HDRLEN) {
      return err(`${where}: ${buf.length - off} stray byte(s) at offset ${base + off}, too short for an attribute header`);
    }
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN) return err(`${where}: attribute type ${type} at offset ${base + off} has length ${len} (< 4)`);
    if (off + len > buf.length) {
      return err(`${where}: attribute type ${type} at offset ${base + off} has length ${len}, past the end (${buf.length - off} bytes left)`);
    }
    out.push({ type, data: buf.subarray(off + NLA_HDRLEN, off + len), offset: base + off });
    off += align4(len);
  }
  return ok(out);
}

/** One attribute, header + payload + padding. */
export function attr(type: number, payload: Buffer, nested = false): Buffer {
  const len = NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type | (nested ? NLA_F_NESTED : 0), 2);
  payload.copy(out, NLA_HDRLEN);
  return out;
}

export const u8 = (v: number) => Buffer.from([v & 0xff]);
export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff);
  return b;
}
export function be16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
export function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b;
}
/** NUL-terminated, as the kernel's NLA_STRING/NLA_NUL_STRING policies expect. */
export const str = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);

/** Typed payload readers: each checks the exact size the UAPI gives the attribute. */
export function getInt(a: RawAttr, kind: 'u8' | 'u16' | 'be16' | 'u32', where: string): Result<number> {
  const size = kind === 'u8' ? 1 : kind === 'u32' ? 4 : 2;
  if (a.data.length < size) return err(`${where}: ${a.data.length} byte(s) at offset ${a.offset}, expected ${size}`);
  if (kind === 'u8') return ok(a.data[0]!);
  if (kind === 'u16') return ok(a.data.readUInt16LE(0));
  if (kind === 'be16') return ok(a.data.readUInt16BE(0));
  return ok(a.data.readUInt32LE(0));
}

export function getU64(a: RawAttr, where: string): Result<bigint> {
  if (a.data.length < 8) return err(`${where}: ${a.data.length} byte(s) at offset ${a.offset}, expected 8`);
  return ok(a.data.readBigUInt64LE(0));
}

export function getStr(a: RawAttr, where: string, max: number): Result<string> {
  const nul = a.data.indexOf(0);
  const bytes = nul >= 0 ? a.data.subarray(0, nul) : a.data;
  if (bytes.length > max) return err(`${where}: ${bytes.length} characters at offset ${a.offset}, at most ${max}`);
  return ok(bytes.toString('utf8'));
}
