// Fuzzing decode + validate: a million packets (random bytes and mutations of the keepalived
// captures) must never throw, and every rejection must carry a known reason and a detail.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAddr } from '../../src/vrrp/codec-addr.js';
import { readPcap, type CapturedPacket } from '../../src/vrrp/codec-pcap.js';
import { Counters, DROP_REASONS, isDropReason, type DropReason } from '../../src/vrrp/counters.js';
import { decodeIpv4, decodeIpv6, encode, type DecodeResult, type EncodeSpec } from '../../src/vrrp/packet.js';
import type { Ipv6Meta } from '../../src/vrrp/codec-read.js';
import { validate, type InstanceConfig, type ValidateContext, type ValidateResult } from '../../src/vrrp/validate.js';
import { Prng } from '../../src/vrrp/sim/prng.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/vrrp/', import.meta.url));
const peer = [{ addr: '192.0.2.1' }];
const SOURCES: [string, InstanceConfig][] = [
  ['v2-pass', { family: 4, version: 2, vrid: 51, authType: 'pass', authPass: 's3cret', advertIntervalCs: 100, vips: ['192.0.2.100', '192.0.2.101'] }],
  ['v2-ah', { family: 4, version: 2, vrid: 52, authType: 'ah', authPass: 'ahkey123', advertIntervalCs: 100, vips: ['192.0.2.110'] }],
  ['v2-ah-unicast', { family: 4, version: 2, vrid: 57, authType: 'ah', authPass: 'longerth', advertIntervalCs: 100, vips: ['192.0.2.150', '192.0.2.151'], unicastPeers: peer }],
  ['v2-unicast', { family: 4, version: 2, vrid: 56, authType: 'none', advertIntervalCs: 200, vips: ['192.0.2.140'], unicastPeers: peer, checkUnicastSrc: true }],
  ['v3-ipv4', { family: 4, version: 3, vrid: 53, authType: 'none', advertIntervalCs: 50, vips: ['192.0.2.120', '192.0.2.121', '192.0.2.122'] }],
  ['v3-unicast', { family: 4, version: 3, vrid: 55, authType: 'none', advertIntervalCs: 100, vips: ['192.0.2.130'], unicastPeers: peer, checkUnicastSrc: true }],
  ['v3-shutdown', { family: 4, version: 3, vrid: 58, authType: 'none', advertIntervalCs: 100, vips: ['192.0.2.160'] }],
  ['v3-ipv6', { family: 6, version: 3, vrid: 54, authType: 'none', advertIntervalCs: 100, vips: ['2001:db8::100', '2001:db8::101'] }],
];

interface Seed { pkt: CapturedPacket; cfg: InstanceConfig }
const SEEDS: Seed[] = SOURCES.flatMap(([name, cfg]) => {
  const r = readPcap(new Uint8Array(readFileSync(`${FIXTURES}${name}.pcap`)));
  if (!r.ok) throw new Error(r.error);
  return r.packets.map((pkt) => ({ pkt, cfg }));
});

/** The simulator's seeded mulberry32, so a failing iteration can be replayed. */
function prng(seed: number): () => number {
  const g = new Prng(seed);
  return () => g.next();
}

const INTERESTING = [0, 1, 2, 3, 4, 5, 0x0f, 0x10, 0x21, 0x31, 0x33, 51, 64, 112, 0x7f, 0x80, 0xfe, 0xff];

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rnd() * n);
  let p = src.slice();
  const rounds = 1 + int(3);
  for (let k = 0; k < rounds; k++) {
    switch (int(6)) {
      case 0: // bit flips
        for (let i = 1 + int(4); i > 0 && p.length; i--) p[int(p.length)]! ^= 1 << int(8);
        break;
      case 1: // truncation
        p = p.slice(0, int(p.length + 1));
        break;
      case 2: { // extension with random bytes
        const ext = new Uint8Array(1 + int(40));
        for (let i = 0; i < ext.length; i++) ext[i] = int(256);
        const q = new Uint8Array(p.length + ext.length);
        q.set(p);
        q.set(ext, p.length);
        p = q;
        break;
      }
      case 3: // a header field set to an interesting value (IP, AH and VRRP headers live in the first 52 bytes)
        if (p.length) p[int(Math.min(p.length, 52))] = INTERESTING[int(INTERESTING.length)]!;
        break;
      case 4: // byte changed anywhere
        if (p.length) p[int(p.length)] = int(256);
        break;
      default: // leave it: valid packets must keep flowing through too
        break;
    }
  }
  return p;
}

const CTXS: ValidateContext[] = [
  { state: 'backup' },
  { state: 'master' },
  { state: 'backup', masterAddr: '192.0.2.1', ahSeq: 1 },
  { state: 'master', ownAddrs: ['192.0.2.2', '2001:db8::2'] },
];

function checkRejection(r: DecodeResult | ValidateResult, where: string): void {
  if (r.ok) return;
  if (!isDropReason(r.reason) || typeof r.detail !== 'string' || r.detail.length === 0) {
    throw new Error(`${where}: rejection without a named reason: ${JSON.stringify(r)}`);
  }
}

describe('codec fuzz', () => {
  it('1,000,000 random and mutated packets: no exceptions, every rejection named', () => {
    const rnd = prng(0x5eed1234);
    const int = (n: number) => Math.floor(rnd() * n);
    const counters = new Counters();
    const decodeReasons = new Set<DropReason>();
    let exceptions = 0;
    let firstError = '';
    const TOTAL = 1_000_000;
    for (let n = 0; n < TOTAL; n++) {
      const seed = SEEDS[int(SEEDS.length)]!;
      let bytes: Uint8Array;
      if (n % 10 === 0) {
        bytes = new Uint8Array(int(120));
        for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
        // Half of the random ones get a plausible IPv4 start so they reach deeper checks.
        if (n % 20 === 0 && bytes.length > 9) {
          bytes[0] = 0x45;
          bytes[9] = int(2) ? 112 : 51;
        }
      } else {
        bytes = mutate(seed.pkt.bytes, rnd);
      }
      const ipv6: Ipv6Meta | undefined = seed.pkt.family === 6 ? { ...seed.pkt.ipv6, hopLimit: int(8) ? 255 : int(256) } : undefined;
      try {
        const d = seed.cfg.family === 4 ? decodeIpv4(bytes) : decodeIpv6(bytes, ipv6!);
        checkRejection(d, `decode #${n}`);
        if (!d.ok) decodeReasons.add(d.reason);
        const base = CTXS[n % CTXS.length]!;
        const v = validate(bytes, seed.cfg, ipv6 ? { state: base.state, ownAddrs: base.ownAddrs, masterAddr: base.masterAddr, ahSeq: base.ahSeq, ipv6 } : base);
        checkRejection(v, `validate #${n}`);
        counters.record(v);
        // What validate accepts, decode (which checks a subset) must accept with the same advert.
        if (v.ok && !v.oldUnicastChecksum) {
          if (!d.ok) throw new Error(`#${n}: validate accepted what decode rejected (${d.reason})`);
          if (JSON.stringify(d.advert) !== JSON.stringify(v.advert)) throw new Error(`#${n}: decode and validate disagree on the advert`);
        }
      } catch (e) {
        exceptions++;
        if (!firstError) firstError = `#${n} ${Buffer.from(bytes).toString('hex')}: ${String(e)}`;
      }
    }
    expect(firstError).toBe('');
    expect(exceptions).toBe(0);
    expect(counters.accepted + counters.dropped).toBe(TOTAL);
    // The mutations reach deep: valid adverts still get through and most rules fire.
    expect(counters.accepted).toBeGreaterThan(10_000);
    const fired = counters.entries().map(([r]) => r);
    const expected: DropReason[] = [
      'truncated', 'ip_header_invalid', 'not_vrrp_protocol', 'vrid_unknown', 'authtype_mismatch', 'packet_length', 'ttl_invalid',
      'version_invalid', 'authtype_invalid', 'auth_password', 'ah_next_header', 'ah_icv', 'ah_replay', 'advert_interval_mismatch',
      'type_invalid', 'addr_count_mismatch', 'ip_total_length', 'checksum', 'cast_mismatch', 'addr_list_mismatch', 'own_packet',
    ];
    expect(expected.filter((r) => !fired.includes(r))).toEqual([]);
    expect(decodeReasons.size).toBeGreaterThan(8);
  }, 120_000);

  it('fast-check: arbitrary bytes and IPv6 metadata never throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(...SEEDS.map((s) => s.cfg)),
        fc.record({ src: fc.oneof(fc.ipV6(), fc.string()), dst: fc.oneof(fc.ipV6(), fc.constant('ff02::12')), hopLimit: fc.integer({ min: -5, max: 300 }) }),
        (bytes, cfg, meta) => {
          for (const r of [decodeIpv4(bytes), decodeIpv6(bytes, meta), validate(bytes, cfg, { state: 'backup', ipv6: meta })]) {
            checkRejection(r, 'fc');
          }
        },
      ),
      { numRuns: 20_000, seed: 42 },
    );
  });

  it('fast-check: any valid advert encodes, decodes back to itself and passes its own instance', () => {
    const v4 = fc.tuple(fc.constantFrom('192.0.2', '198.51.100', '203.0.113'), fc.integer({ min: 0, max: 255 })).map(([net, h]) => `${net}.${h}`);
    const v6 = fc.ipV6();
    const spec = fc.oneof(
      fc.record({
        version: fc.constant(3 as const), family: fc.constant(4 as const), vrid: fc.integer({ min: 1, max: 255 }), priority: fc.integer({ min: 0, max: 255 }),
        advertIntervalCs: fc.integer({ min: 1, max: 4095 }), srcAddr: v4, addrs: fc.array(v4, { maxLength: 20 }), authType: fc.constant('none' as const),
        unicast: fc.boolean(),
      }),
      fc.record({
        version: fc.constant(2 as const), family: fc.constant(4 as const), vrid: fc.integer({ min: 1, max: 255 }), priority: fc.integer({ min: 0, max: 255 }),
        advertIntervalCs: fc.integer({ min: 1, max: 255 }).map((s) => s * 100), srcAddr: v4, addrs: fc.array(v4, { maxLength: 20 }),
        authType: fc.constantFrom('none' as const, 'pass' as const, 'ah' as const), unicast: fc.boolean(),
      }),
      fc.record({
        version: fc.constant(3 as const), family: fc.constant(6 as const), vrid: fc.integer({ min: 1, max: 255 }), priority: fc.integer({ min: 0, max: 255 }),
        advertIntervalCs: fc.integer({ min: 1, max: 4095 }), srcAddr: v6, addrs: fc.array(v6, { maxLength: 10 }), authType: fc.constant('none' as const),
        unicast: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(spec, fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\0')), fc.integer({ min: 1, max: 1000 }), (s, pass, seq) => {
        const dstAddr = s.family === 4 ? (s.unicast ? '203.0.113.9' : '224.0.0.18') : s.unicast ? '2001:db8::9' : 'ff02::12';
        const full: EncodeSpec = { ...s, dstAddr, ...(s.authType !== 'none' ? { authData: pass } : {}), ...(s.authType === 'ah' ? { ahSeq: seq } : {}) };
        const enc = encode(full);
        if (!enc.ok) throw new Error(enc.error);
        const meta = { src: s.srcAddr, dst: dstAddr, hopLimit: 255 };
        const d = s.family === 4 ? decodeIpv4(enc.bytes) : decodeIpv6(enc.bytes, meta);
        if (!d.ok) throw new Error(`${d.reason}: ${d.detail}`);
        const canon = (a: string) => canonicalAddr(s.family, a)!;
        expect(d.advert).toMatchObject({ version: s.version, vrid: s.vrid, priority: s.priority, advertIntervalCs: s.advertIntervalCs, authType: s.authType });
        expect(d.advert.addrs).toEqual(s.addrs.map(canon));
        expect(d.advert.srcAddr).toBe(canon(s.srcAddr));
        const cfg: InstanceConfig = {
          family: s.family, version: s.version, vrid: s.vrid, authType: s.authType, authPass: pass, advertIntervalCs: s.advertIntervalCs,
          vips: s.addrs, unicastPeers: s.unicast ? [{ addr: s.srcAddr }] : [],
        };
        const v = validate(enc.bytes, cfg, { state: 'master', ipv6: meta });
        if (!v.ok) throw new Error(`${v.reason}: ${v.detail}`);
      }),
      { numRuns: 3_000, seed: 7 },
    );
  });

  it('reason table: every verdict is ko or drop', () => {
    for (const info of Object.values(DROP_REASONS)) expect(['ko', 'drop']).toContain(info.verdict);
  });
});
