// BFD control packet codec: keepalived 2.2.7's own packets (test/bfd/capture.sh) decode and
// re-encode byte for byte; every RFC 5880 6.8.6 check drops with its named reason; fuzzing never
// throws and every rejection names a known reason.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BfdState, decodeBfd, DROP_REASONS, encodeBfd, readFields, type BfdPacket } from '../../src/bfd/codec.js';
import { readPcap } from '../../src/vrrp/codec-pcap.js';

const PCAP = fileURLToPath(new URL('../fixtures/bfd/keepalived-2.2.7.pcap', import.meta.url));

/** The UDP payloads to or from port 3784 in the capture, with their family. */
function payloads(): { family: 4 | 6; payload: Uint8Array }[] {
  const r = readPcap(readFileSync(PCAP));
  if (!r.ok) throw new Error(r.error);
  const out: { family: 4 | 6; payload: Uint8Array }[] = [];
  for (const p of r.packets) {
    let udp: Uint8Array;
    if (p.family === 4) {
      if (p.bytes[9] !== 17) continue;
      udp = p.bytes.subarray((p.bytes[0]! & 0x0f) * 4);
    } else {
      if (p.nextHeader !== 17) continue;
      udp = p.bytes;
    }
    const dport = (udp[2]! << 8) | udp[3]!;
    if (dport !== 3784) continue;
    out.push({ family: p.family, payload: udp.subarray(8, (udp[4]! << 8) | udp[5]!) });
  }
  return out;
}

const good: BfdPacket = {
  version: 1, diag: 0, state: BfdState.Up, poll: false, final: false, cplane: false, auth: false, demand: false, multipoint: false,
  detectMult: 3, length: 24, myDiscr: 0x11223344, yourDiscr: 0x55667788, desiredMinTx: 100_000, requiredMinRx: 100_000, requiredMinEchoRx: 0,
};

describe('BFD codec', () => {
  const caught = payloads();

  it('the capture holds keepalived packets of both families in every state it passes through', () => {
    expect(caught.filter((c) => c.family === 4).length).toBeGreaterThan(20);
    expect(caught.filter((c) => c.family === 6).length).toBeGreaterThan(20);
    const decoded = caught.map((c) => decodeBfd(c.payload));
    const states = new Set(decoded.map((d) => (d.ok ? d.packet.state : -1)));
    expect([...states].sort()).toEqual([BfdState.Down, BfdState.Init, BfdState.Up]);
    expect(decoded.some((d) => d.ok && d.packet.poll)).toBe(true);
    expect(decoded.some((d) => d.ok && d.packet.final)).toBe(true);
    expect(decoded.some((d) => d.ok && d.packet.diag === 1)).toBe(true); // Control Detection Time Expired
  });

  it('every captured packet decodes and re-encodes byte for byte', () => {
    for (const { payload } of caught) {
      const d = decodeBfd(payload);
      expect(d.ok, d.ok ? '' : d.detail).toBe(true);
      if (d.ok) expect(Buffer.from(encodeBfd(d.packet)).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it('keepalived sends what RFC 5880 and 5881 say: 24 bytes, version 1, no auth, echo 0, idle 1 s while not Up', () => {
    for (const { payload } of caught) {
      const d = decodeBfd(payload);
      if (!d.ok) continue;
      expect(payload.length).toBe(24);
      expect(d.packet.requiredMinEchoRx).toBe(0);
      if (d.packet.state !== BfdState.Up) expect(d.packet.desiredMinTx).toBe(1_000_000);
    }
  });

  const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = encodeBfd(good);
    f(b);
    return b;
  };
  const cases: [string, Uint8Array, string][] = [
    ['short', encodeBfd(good).subarray(0, 23), 'short'],
    ['version 2', mutate((b) => (b[0] = (2 << 5) | (b[0]! & 0x1f))), 'version'],
    ['length field 25', mutate((b) => (b[3] = 25)), 'length-mismatch'],
    ['auth bit', mutate((b) => (b[1]! |= 0x04)), 'auth'],
    ['detect mult 0', mutate((b) => (b[2] = 0)), 'detect-mult-zero'],
    ['multipoint', mutate((b) => (b[1]! |= 0x01)), 'multipoint'],
    ['my discriminator 0', mutate((b) => b.fill(0, 4, 8)), 'my-discr-zero'],
    ['your discriminator 0 in Up', mutate((b) => b.fill(0, 8, 12)), 'your-discr-zero'],
    ['poll and final', mutate((b) => (b[1]! |= 0x30)), 'poll-and-final'],
    ['diag 9', mutate((b) => (b[0] = (1 << 5) | 9)), 'bad-diag'],
  ];
  it.each(cases)('drops %s with a named reason', (_what, bytes, reason) => {
    const d = decodeBfd(bytes);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.reason).toBe(reason);
      expect(d.detail.length).toBeGreaterThan(0);
    }
  });

  it('your discriminator 0 is fine in Down and AdminDown', () => {
    for (const state of [BfdState.Down, BfdState.AdminDown]) expect(decodeBfd(encodeBfd({ ...good, state, yourDiscr: 0 })).ok).toBe(true);
  });

  it('a datagram longer than its length field is dropped (keepalived wants them equal)', () => {
    const b = new Uint8Array(30);
    b.set(encodeBfd(good));
    expect(decodeBfd(b)).toMatchObject({ ok: false, reason: 'length-mismatch' });
  });

  it('encode refuses out-of-range fields with a RangeError naming them', () => {
    expect(() => encodeBfd({ ...good, myDiscr: 2 ** 32 })).toThrow(/my discriminator/);
    expect(() => encodeBfd({ ...good, detectMult: 256 })).toThrow(RangeError);
    expect(() => encodeBfd({ ...good, length: 300 })).toThrow(RangeError);
  });

  it('fuzz: random bytes and mutations of the capture never throw; rejections name a known reason', () => {
    const seeds = caught.map((c) => c.payload);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 64 }),
          fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(31), fc.nat(255)), { maxLength: 6 })).map(([s, muts]) => {
            const b = Uint8Array.from(s);
            for (const [i, v] of muts) if (i < b.length) b[i] = v;
            return b;
          }),
        ),
        (bytes) => {
          const d = decodeBfd(bytes);
          if (!d.ok) {
            expect(DROP_REASONS).toContain(d.reason);
            return;
          }
          // What decodes re-encodes to the same bytes.
          expect(Buffer.from(encodeBfd(d.packet)).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('fuzz: any 24-byte header round-trips through readFields and encode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), (bytes) => {
        const f = readFields(bytes)!;
        expect(Buffer.from(encodeBfd(f)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});
