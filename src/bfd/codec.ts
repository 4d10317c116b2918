// BFD control packets (RFC 5880 section 4.1): the 24-byte mandatory section, encoded and decoded,
// and the reception checks of section 6.8.6 that need no session (plus keepalived's extra ones:
// length equal to the datagram, Poll and Final not both set, a known diagnostic). Pure: no I/O.
// Authentication is not supported (neither by keepalived): a packet with the A bit is a named drop.

export const BFD_VERSION = 1;
/** Length of the mandatory section; keepalived sends exactly this. */
export const BFD_HEADER_LEN = 24;
/** RFC 5881: single hop control packets go to this UDP port, multihop (RFC 5883) to 4784. */
export const BFD_PORT = 3784;
export const BFD_MULTIHOP_PORT = 4784;

export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdState = (typeof BfdState)[keyof typeof BfdState];

export const STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const;
export type BfdStateName = (typeof STATE_NAMES)[number];

/** RFC 5880 4.1 diagnostic codes 0-8, with keepalived's log wording. */
export const DIAG_NAMES = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
] as const;

export const Diag = {
  None: 0,
  Expired: 1,
  NeighborDown: 3,
  AdminDown: 7,
} as const;

export interface BfdPacket {
  version: number;
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  /** Control Plane Independent. */
  cplane: boolean;
  auth: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  /** The Length field as sent (the mandatory section is always BFD_HEADER_LEN bytes). */
  length: number;
  myDiscr: number;
  yourDiscr: number;
  /** Microseconds, as on the wire. */
  desiredMinTx: number;
  requiredMinRx: number;
  requiredMinEchoRx: number;
}

/** Why a received datagram was dropped before any session saw it. */
export type DropReason =
  | 'short'
  | 'length-mismatch'
  | 'version'
  | 'detect-mult-zero'
  | 'multipoint'
  | 'my-discr-zero'
  | 'your-discr-zero'
  | 'poll-and-final'
  | 'bad-diag'
  | 'auth';

export const DROP_REASONS: readonly DropReason[] = [
  'short', 'length-mismatch', 'version', 'detect-mult-zero', 'multipoint', 'my-discr-zero', 'your-discr-zero', 'poll-and-final', 'bad-diag', 'auth',
];

export type Decoded = { ok: true; packet: BfdPacket } | { ok: false; reason: DropReason; detail: string };

/** The fields of a datagram's mandatory section, with no judgement (null if under 24 bytes). */
export function readFields(buf: Uint8Array): BfdPacket | null {
  if (buf.length < BFD_HEADER_LEN) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const b0 = buf[0];
  const b1 = buf[1];
  return {
    version: b0 >> 5,
    diag: b0 & 0x1f,
    state: (b1 >> 6) as BfdState,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    cplane: (b1 & 0x08) !== 0,
    auth: (b1 & 0x04) !== 0,
    demand: (b1 & 0x02) !== 0,
    multipoint: (b1 & 0x01) !== 0,
    detectMult: buf[2],
    length: buf[3],
    myDiscr: v.getUint32(4),
    yourDiscr: v.getUint32(8),
    desiredMinTx: v.getUint32(12),
    requiredMinRx: v.getUint32(16),
    requiredMinEchoRx: v.getUint32(20),
  };
}

/** RFC 5880 6.8.6 checks (the session-independent part) on one received datagram. */
export function decodeBfd(buf: Uint8Array): Decoded {
  const p = readFields(buf);
  if (!p) return { ok: false, reason: 'short', detail: `packet is too small: ${buf.length} bytes` };
  if (p.version !== BFD_VERSION) return { ok: false, reason: 'version', detail: `unsupported version ${p.version}` };
  // keepalived wants the Length field to be the datagram's size (the RFC only forbids more).
  if (p.length !== buf.length) {
    return { ok: false, reason: 'length-mismatch', detail: `length field ${p.length} bytes, datagram ${buf.length} bytes` };
  }
  if (p.auth) return { ok: false, reason: 'auth', detail: 'authentication bit set, but no authentication is in use' };
  if (p.detectMult === 0) return { ok: false, reason: 'detect-mult-zero', detail: "'detect mult' field is zero" };
  if (p.multipoint) return { ok: false, reason: 'multipoint', detail: "'multipoint' bit is set" };
  if (p.myDiscr === 0) return { ok: false, reason: 'my-discr-zero', detail: "'my discriminator' field is zero" };
  if (p.yourDiscr === 0 && p.state !== BfdState.Down && p.state !== BfdState.AdminDown) {
    return { ok: false, reason: 'your-discr-zero', detail: `'your discriminator' field is zero in state ${STATE_NAMES[p.state]}` };
  }
  if (p.poll && p.final) return { ok: false, reason: 'poll-and-final', detail: 'both poll and final bits set' };
  if (p.diag > 8) return { ok: false, reason: 'bad-diag', detail: `unknown diagnostic ${p.diag}` };
  return { ok: true, packet: p };
}

const u32 = (n: number, what: string): number => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`BFD ${what} ${n} is not a 32-bit unsigned integer`);
  return n;
};

/** The 24-byte mandatory section; `length` defaults to 24. Throws RangeError on out-of-range fields. */
export function encodeBfd(p: Omit<BfdPacket, 'length' | 'version'> & { length?: number; version?: number }): Uint8Array {
  const out = new Uint8Array(BFD_HEADER_LEN);
  const v = new DataView(out.buffer);
  const version = p.version ?? BFD_VERSION;
  if (version < 0 || version > 7 || p.diag < 0 || p.diag > 31 || p.state < 0 || p.state > 3 || p.detectMult < 0 || p.detectMult > 255 ||
    (p.length !== undefined && (p.length < 0 || p.length > 255))) {
    throw new RangeError('BFD header field out of range');
  }
  out[0] = (version << 5) | p.diag;
  out[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.cplane ? 0x08 : 0) | (p.auth ? 0x04 : 0) | (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0);
  out[2] = p.detectMult;
  out[3] = p.length ?? BFD_HEADER_LEN;
  v.setUint32(4, u32(p.myDiscr, 'my discriminator'));
  v.setUint32(8, u32(p.yourDiscr, 'your discriminator'));
  v.setUint32(12, u32(p.desiredMinTx, 'desired min tx'));
  v.setUint32(16, u32(p.requiredMinRx, 'required min rx'));
  v.setUint32(20, u32(p.requiredMinEchoRx, 'required min echo rx'));
  return out;
}
