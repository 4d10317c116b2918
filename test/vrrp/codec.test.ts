// VRRP codec against adverts captured from Debian's keepalived 2.2.7 (test/vrrp/capture.sh):
// each decodes to the fields its keepalived.conf configured and re-encodes byte for byte.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sum16, inetChecksum, pseudoSum4 } from '../../src/vrrp/checksum.js';
import { canonicalAddr, formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../src/vrrp/codec-addr.js';
import { authDataBytes, computeAhIcv } from '../../src/vrrp/codec-ah.js';
import { readPcap, type CapturedPacket } from '../../src/vrrp/codec-pcap.js';
import { decodeIpv4, decodeIpv6, encode, type EncodeSpec } from '../../src/vrrp/packet.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/vrrp/', import.meta.url));

function loadCapture(name: string): CapturedPacket[] {
  const r = readPcap(new Uint8Array(readFileSync(`${FIXTURES}${name}.pcap`)));
  if (!r.ok) throw new Error(r.error);
  return r.packets;
}

/** What each capture's keepalived.conf (in capture.sh) configured. */
const EXPECTED = {
  'v2-pass': { count: 3, version: 2, family: 4, vrid: 51, priority: 150, cs: 100, dst: '224.0.0.18', addrs: ['192.0.2.100', '192.0.2.101'], auth: 'pass', pass: 's3cret' },
  'v2-ah': { count: 3, version: 2, family: 4, vrid: 52, priority: 200, cs: 100, dst: '224.0.0.18', addrs: ['192.0.2.110'], auth: 'ah', pass: 'ahkey123' },
  'v2-ah-unicast': { count: 2, version: 2, family: 4, vrid: 57, priority: 170, cs: 100, dst: '192.0.2.2', addrs: ['192.0.2.150', '192.0.2.151'], auth: 'ah', pass: 'longerthan8' },
  'v2-unicast': { count: 2, version: 2, family: 4, vrid: 56, priority: 160, cs: 200, dst: '192.0.2.2', addrs: ['192.0.2.140'], auth: 'none' },
  'v3-ipv4': { count: 3, version: 3, family: 4, vrid: 53, priority: 120, cs: 50, dst: '224.0.0.18', addrs: ['192.0.2.120', '192.0.2.121', '192.0.2.122'], auth: 'none' },
  'v3-unicast': { count: 3, version: 3, family: 4, vrid: 55, priority: 140, cs: 100, dst: '192.0.2.2', addrs: ['192.0.2.130'], auth: 'none' },
  // keepalived stopped after two adverts: the third is its priority 0 "master is leaving" advert.
  'v3-shutdown': { count: 3, version: 3, family: 4, vrid: 58, priority: 255, cs: 100, dst: '224.0.0.18', addrs: ['192.0.2.160'], auth: 'none', lastPriority: 0 },
  'v3-ipv6': { count: 3, version: 3, family: 6, vrid: 54, priority: 130, cs: 100, dst: 'ff02::12', addrs: ['2001:db8::100', '2001:db8::101'], auth: 'none' },
} as const;

type Name = keyof typeof EXPECTED;
const NAMES = Object.keys(EXPECTED) as Name[];

function decodeCaptured(p: CapturedPacket) {
  return p.family === 4 ? decodeIpv4(p.bytes) : decodeIpv6(p.bytes, p.ipv6);
}

describe('pcap reader', () => {
  it('reads every fixture: Ethernet frames, padding cut, VRRP or AH inside', () => {
    for (const name of NAMES) {
      const pkts = loadCapture(name);
      expect(pkts.length, name).toBe(EXPECTED[name].count);
      for (const p of pkts) {
        if (p.family === 4) expect([112, 51]).toContain(p.bytes[9]);
        else expect(p.nextHeader).toBe(112);
      }
    }
  });

  it('rejects a bad magic and a truncated record with an error naming where', () => {
    expect(readPcap(new Uint8Array(30))).toMatchObject({ ok: false, error: expect.stringContaining('magic') });
    const file = new Uint8Array(readFileSync(`${FIXTURES}v2-pass.pcap`));
    expect(readPcap(file.subarray(0, file.length - 3))).toMatchObject({ ok: false, error: expect.stringContaining('record 2') });
  });
});

describe('decode captured keepalived adverts', () => {
  for (const name of NAMES) {
    it(`${name}: fields match the configuration`, () => {
      const e = EXPECTED[name];
      for (const [i, p] of loadCapture(name).entries()) {
        const d = decodeCaptured(p);
        if (!d.ok) throw new Error(`${name}#${i}: ${d.reason} ${d.detail}`);
        const a = d.advert;
        const priority = 'lastPriority' in e && i === e.count - 1 ? e.lastPriority : e.priority;
        expect(a).toMatchObject({ version: e.version, family: e.family, vrid: e.vrid, priority, advertIntervalCs: e.cs, authType: e.auth });
        expect(a.addrs).toEqual(e.addrs);
        if (e.family === 4) expect(a.srcAddr).toBe('192.0.2.1');
        else expect(a.srcAddr).toMatch(/^fe80::/); // keepalived sends from the link-local address
        expect(d.raw.family === 4 ? d.raw.ttl : p.family === 6 && p.ipv6.hopLimit).toBe(255);
        if (e.auth === 'pass') expect(a.authData).toBe(e.pass);
        if (e.auth === 'ah') expect(a.ahSeq).toBe(i + 1); // keepalived's AH sequence starts at 1
      }
    });

    it(`${name}: re-encodes byte for byte`, () => {
      const e = EXPECTED[name];
      for (const p of loadCapture(name)) {
        const d = decodeCaptured(p);
        if (!d.ok) throw new Error(d.detail);
        const spec: EncodeSpec = {
          ...d.advert,
          dstAddr: p.family === 4 ? formatIpv4(p.bytes, 16) : p.ipv6.dst,
          ipId: d.raw.ipId,
          unicast: !e.dst.startsWith('224.') && !e.dst.startsWith('ff'),
        };
        if (e.auth === 'ah') spec.authData = e.pass;
        expect(spec.dstAddr).toBe(e.dst);
        const enc = encode(spec);
        if (!enc.ok) throw new Error(enc.error);
        expect(Buffer.from(enc.bytes).toString('hex')).toBe(Buffer.from(p.bytes).toString('hex'));
      }
    });
  }
});

describe('IPSEC-AH', () => {
  it('same sequence number and key give the captured ICV; another key or sequence does not', () => {
    for (const [name, unicast] of [['v2-ah', false], ['v2-ah-unicast', true]] as const) {
      const e = EXPECTED[name];
      for (const p of loadCapture(name)) {
        const captured = p.bytes.subarray(32, 44);
        expect(computeAhIcv(p.bytes, 20, p.bytes.length, authDataBytes(e.pass), unicast)).toEqual(captured);
        expect(computeAhIcv(p.bytes, 20, p.bytes.length, authDataBytes('wrongkey'), unicast)).not.toEqual(captured);
        expect(computeAhIcv(p.bytes, 20, p.bytes.length, authDataBytes(e.pass), !unicast)).not.toEqual(captured);
        const d = decodeIpv4(p.bytes);
        if (!d.ok) throw new Error(d.detail);
        const other = encode({ ...d.advert, authData: e.pass, ahSeq: d.advert.ahSeq! + 1, dstAddr: e.dst, ipId: d.raw.ipId, unicast });
        expect(other.ok && Buffer.from(other.bytes.subarray(32, 44)).equals(Buffer.from(captured))).toBe(false);
      }
    }
  });

  it('the ICV ignores the mutable IPv4 fields (TOS, fragment, header checksum; TTL for unicast only)', () => {
    const p = loadCapture('v2-ah-unicast')[0]!.bytes;
    const key = authDataBytes('longerthan8');
    const base = computeAhIcv(p, 20, p.length, key, true);
    const m = p.slice();
    m[1] = 0x10;
    m[6] = 0x40;
    m[8] = 64;
    m[10] ^= 0xff;
    expect(computeAhIcv(m, 20, m.length, key, true)).toEqual(base);
    m[4] ^= 1; // the IP ID is not mutable
    expect(computeAhIcv(m, 20, m.length, key, true)).not.toEqual(base);
    const t = loadCapture('v2-ah')[0]!.bytes.slice();
    const mb = computeAhIcv(t, 20, t.length, authDataBytes('ahkey123'), false);
    t[8] = 254;
    expect(computeAhIcv(t, 20, t.length, authDataBytes('ahkey123'), false)).not.toEqual(mb);
  });

  it('keys are auth_pass cut to 8 bytes and NUL padded', () => {
    expect([...authDataBytes('abc')]).toEqual([97, 98, 99, 0, 0, 0, 0, 0]);
    expect(Buffer.from(authDataBytes('longerthan8')).toString()).toBe('longerth');
  });
});

describe('encode', () => {
  const base: EncodeSpec = {
    version: 3, family: 4, vrid: 9, priority: 100, advertIntervalCs: 100, srcAddr: '192.0.2.7', addrs: ['192.0.2.50'], authType: 'none', dstAddr: '224.0.0.18',
  };

  it('round-trips through decode for both versions and families, with max v3 interval 4095 cs', () => {
    const specs: EncodeSpec[] = [
      base,
      { ...base, advertIntervalCs: 4095, priority: 0, addrs: [] },
      { ...base, version: 2, advertIntervalCs: 25500, authType: 'pass', authData: 'pw' },
      { ...base, family: 6, srcAddr: 'fe80::1', dstAddr: 'ff02::12', addrs: ['2001:db8::1', '2001:db8:0:0:1::2'] },
      { ...base, version: 2, family: 6, srcAddr: 'fe80::1', dstAddr: 'ff02::12', addrs: ['2001:db8::9'] },
    ];
    for (const s of specs) {
      const enc = encode(s);
      if (!enc.ok) throw new Error(enc.error);
      const d = s.family === 4 ? decodeIpv4(enc.bytes) : decodeIpv6(enc.bytes, { src: s.srcAddr, dst: s.dstAddr, hopLimit: 255 });
      if (!d.ok) throw new Error(`${d.reason}: ${d.detail}`);
      const { dstAddr: _d, ...advert } = s;
      expect(d.advert).toEqual({ ...advert, addrs: s.addrs.map((a) => canonicalAddr(s.family, a)) });
    }
  });

  it('names the bad field instead of throwing', () => {
    const cases: [Partial<EncodeSpec>, RegExp][] = [
      [{ vrid: 0 }, /^vrid/],
      [{ priority: 256 }, /^priority/],
      [{ advertIntervalCs: 4096 }, /^advertIntervalCs/],
      [{ version: 2, advertIntervalCs: 150 }, /whole seconds/],
      [{ version: 4 as 3 }, /^version/],
      [{ addrs: ['192.0.2.300'] }, /^addrs\[0\]/],
      [{ srcAddr: '2001:db8::1' }, /^srcAddr/],
      [{ dstAddr: 'nowhere' }, /^dstAddr/],
      [{ authType: 'pass' }, /VRRPv3 has no authentication/],
      [{ version: 2, authType: 'ah', authData: 'k' }, /^ahSeq/],
      [{ version: 2, authType: 'pass' }, /^authData/],
      [{ ttl: -1 }, /^ttl/],
    ];
    for (const [patch, re] of cases) {
      const r = encode({ ...base, ...patch });
      expect(r.ok, JSON.stringify(patch)).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    }
    expect(encode(null as unknown as EncodeSpec)).toMatchObject({ ok: false });
  });

  it('old unicast checksum: v3 pseudo-header against 224.0.0.18 when asked', () => {
    const uni = { ...base, dstAddr: '192.0.2.2' };
    const a = encode(uni);
    const b = encode({ ...uni, checksumDst: '224.0.0.18' });
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.bytes.subarray(26, 28)).not.toEqual(b.bytes.subarray(26, 28));
    expect(decodeIpv4(a.bytes).ok).toBe(true);
    expect(decodeIpv4(b.bytes)).toMatchObject({ ok: false, reason: 'checksum' });
  });
});

describe('checksum and addresses', () => {
  it('Internet checksum: RFC 1071 worked example and odd lengths', () => {
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(sum16(b)).toBe(0x2ddf0);
    expect(inetChecksum(b)).toBe(~0xddf2 & 0xffff);
    expect(inetChecksum(Uint8Array.from([0xab]))).toBe(~0xab00 & 0xffff);
    // A message carrying its own correct checksum sums to zero.
    const m = Uint8Array.from([0x31, 0x01, 0x64, 0x00, 0x00, 0x64, 0, 0]);
    const acc = pseudoSum4(parseIpv4('192.0.2.1')!, parseIpv4('224.0.0.18')!, 112, 8);
    const ck = inetChecksum(m, 0, 8, acc);
    m[6] = ck >> 8;
    m[7] = ck & 0xff;
    expect(inetChecksum(m, 0, 8, acc)).toBe(0);
  });

  it('IPv6 text is RFC 5952 and parsing rejects malformed text', () => {
    const fmt = (t: string) => formatIpv6(parseIpv6(t)!);
    expect(fmt('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(fmt('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(fmt('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(fmt('::')).toBe('::');
    expect(fmt('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    for (const bad of ['1::2::3', '12345::', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '']) expect(parseIpv6(bad), bad).toBeNull();
    for (const bad of ['1.2.3', '256.1.1.1', '1.2.3.4.5', ' 1.2.3.4', '01234.1.1.1']) expect(parseIpv4(bad), bad).toBeNull();
  });
});
