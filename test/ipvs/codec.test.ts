import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AF_INET, AF_INET6, decodeIpvs, encodeIpvs, IPVS_CMD, type IpvsCmd, type IpvsMessage, type IpvsStats, netmaskFromV4, netmaskToV4,
} from '../../src/ipvs/genl-codec.js';
import { readAttrs } from '../../src/net/nlattr.js';

const stats = (n: bigint): IpvsStats => ({
  conns: n, inpkts: n + 1n, outpkts: n + 2n, inbytes: n * 1000n + 2n ** 40n, outbytes: 2n ** 33n, cps: 5n, inpps: 6n, outpps: 7n, inbps: 8n, outbps: 9n,
});
const wide = (n: bigint): IpvsStats => ({ ...stats(n), conns: 2n ** 40n, cps: 2n ** 35n });

const fullService = {
  af: AF_INET6, protocol: 17, addr: '2001:db8::10', port: 443, fwmark: 0, schedName: 'mh', flags: { flags: 0x19, mask: 0xffffffff },
  timeout: 600, netmask: 64, stats: stats(3n), peName: 'sip', stats64: wide(4n),
};
const fullDest = {
  addr: '198.51.100.11', port: 8080, fwdMethod: 2, weight: 65535, uThresh: 100, lThresh: 10, activeConns: 1, inactConns: 2,
  persistConns: 3, stats: stats(1n), addrFamily: AF_INET, stats64: wide(2n), tunType: 1, tunPort: 6080, tunFlags: 1,
};
const fullDaemon = {
  state: 1, mcastIfn: 'eth0', syncId: 42, syncMaxlen: 1472, mcastGroup: '224.0.0.81', mcastGroup6: 'ff02::81', mcastPort: 8848, mcastTtl: 1,
};

/** Every command, with every attribute it can carry. */
const SAMPLES: IpvsMessage[] = [
  { cmd: 'NEW_SERVICE', version: 1, service: fullService },
  { cmd: 'SET_SERVICE', version: 1, service: { af: AF_INET, fwmark: 7, schedName: 'sh', flags: { flags: 0x18, mask: 0xffffffff }, timeout: 0, netmask: 0xffffffff } },
  { cmd: 'DEL_SERVICE', version: 1, service: { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80 } },
  { cmd: 'GET_SERVICE', version: 1, service: { af: AF_INET, protocol: 132, addr: '192.0.2.10', port: 9 } },
  { cmd: 'NEW_DEST', version: 1, service: { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80 }, dest: fullDest },
  { cmd: 'SET_DEST', version: 1, service: { af: AF_INET6, fwmark: 9 }, dest: { ...fullDest, addr: '2001:db8:1::1', addrFamily: AF_INET6 } },
  { cmd: 'DEL_DEST', version: 1, service: { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80 }, dest: { addr: '198.51.100.1', port: 0 } },
  { cmd: 'GET_DEST', version: 1, service: { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80 } },
  { cmd: 'NEW_DAEMON', version: 1, daemon: fullDaemon },
  { cmd: 'DEL_DAEMON', version: 1, daemon: { state: 2 } },
  { cmd: 'GET_DAEMON', version: 1 },
  { cmd: 'SET_CONFIG', version: 1, timeoutTcp: 900, timeoutTcpFin: 120, timeoutUdp: 300 },
  { cmd: 'GET_CONFIG', version: 1 },
  { cmd: 'SET_INFO', version: 1, info: { version: 0x010201, connTabSize: 4096 } },
  { cmd: 'GET_INFO', version: 1 },
  { cmd: 'ZERO', version: 1, service: { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80 } },
  { cmd: 'FLUSH', version: 1 },
];

function enc(m: IpvsMessage): Buffer {
  const r = encodeIpvs(m);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('IPVS generic netlink codec', () => {
  it('has a sample for every command', () => {
    expect(new Set(SAMPLES.map((s) => s.cmd))).toEqual(new Set(Object.keys(IPVS_CMD)));
  });

  it.each(SAMPLES.map((s) => [s.cmd, s] as const))('round-trips %s with all its attributes', (_c, m) => {
    const d = decodeIpvs(enc(m));
    expect(d).toEqual({ ok: true, value: m });
  });

  it('lays out a NEW_SERVICE as the UAPI says', () => {
    const b = enc({ cmd: 'NEW_SERVICE', service: { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80, schedName: 'rr' } });
    expect(b.subarray(0, 4)).toEqual(Buffer.from([1, 1, 0, 0])); // cmd NEW_SERVICE, version 1
    expect(b.readUInt16LE(6) & 0x3fff).toBe(1); // IPVS_CMD_ATTR_SERVICE
    expect(b.readUInt16LE(6) & 0x8000).toBe(0x8000); // nested
    const inner = readAttrs(b.subarray(8, 4 + b.readUInt16LE(4)), 'svc');
    if (!inner.ok) throw new Error(inner.error);
    const byType = new Map(inner.value.map((a) => [a.type, a.data]));
    expect(byType.get(1)).toEqual(Buffer.from([2, 0])); // AF_INET, host order
    expect(byType.get(2)).toEqual(Buffer.from([6, 0])); // TCP
    expect(byType.get(3)).toEqual(Buffer.from([192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])); // nf_inet_addr
    expect(byType.get(4)).toEqual(Buffer.from([0, 80])); // port, network order
    expect(byType.get(6)).toEqual(Buffer.from('rr\0'));
  });

  it('reads a destination address with the service family when the destination has none', () => {
    const m = enc({ cmd: 'NEW_DEST', service: { af: AF_INET6, protocol: 6, addr: '2001:db8::1', port: 1 }, dest: { addr: '::5', port: 2 } });
    const d = decodeIpvs(m);
    expect(d.ok && d.value.dest?.addr).toBe('::5');
    const v4 = decodeIpvs(enc({ cmd: 'NEW_DEST', dest: { addr: '192.0.2.7', port: 2 } }));
    expect(v4.ok && v4.value.dest?.addr).toBe('192.0.2.7');
  });

  it('converts IPv4 persistence masks', () => {
    const n = netmaskFromV4('255.255.255.0');
    expect(n).not.toBeNull();
    expect(netmaskToV4(n!)).toBe('255.255.255.0');
    expect(netmaskFromV4('255.255.255.255')).toBe(0xffffffff);
    expect(netmaskFromV4('nope')).toBeNull();
  });

  it('refuses bad values with the field named', () => {
    const bad: [IpvsMessage, RegExp][] = [
      [{ cmd: 'NEW_SERVICE', service: { addr: '192.0.2.300' } }, /service\.addr: '192\.0\.2\.300' is not an IP address/],
      [{ cmd: 'NEW_SERVICE', service: { port: 70000 } }, /service\.port: 70000 is not an integer/],
      [{ cmd: 'NEW_SERVICE', service: { schedName: 'a-much-too-long-name' } }, /service\.schedName/],
      [{ cmd: 'NEW_DEST', dest: { weight: -1 } }, /dest\.weight/],
      [{ cmd: 'NEW_DAEMON', daemon: { mcastGroup: '::1' } }, /daemon\.mcastGroup/],
      [{ cmd: 'NEW_DEST', dest: { stats: { ...stats(1n), conns: 2n ** 33n } } }, /dest\.stats\.conns: .* does not fit 32 bits/],
      [{ cmd: 'SET_CONFIG', timeoutTcp: 1.5 }, /timeoutTcp/],
      [{ cmd: 'BOGUS' as IpvsCmd }, /unknown IPVS command 'BOGUS'/],
    ];
    for (const [m, re] of bad) {
      const r = encodeIpvs(m);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    }
  });

  it('reports truncated and garbled messages as error values', () => {
    expect(decodeIpvs(Buffer.from([1, 1]))).toEqual({ ok: false, error: expect.stringMatching(/shorter than the 4-byte/) });
    expect(decodeIpvs(Buffer.from([99, 1, 0, 0]))).toEqual({ ok: false, error: 'IPVS message: unknown command 99' });
    const m = enc(SAMPLES[0]!);
    const cut = decodeIpvs(m.subarray(0, m.length - 5));
    expect(cut.ok).toBe(false);
    if (!cut.ok) expect(cut.error).toMatch(/past the end|stray byte/);
    const short = Buffer.from(m);
    short.writeUInt16LE(2, 4); // attribute length below the header size
    const r = decodeIpvs(short);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/length 2 \(< 4\)/);
    // A port attribute with one byte: named, with the offset of its header (after the 4-byte genl header and the 4-byte nest header).
    const port1 = Buffer.concat([Buffer.from([1, 1, 0, 0, 12, 0, 1, 0x80, 5, 0, 4, 0, 7, 0, 0, 0])]);
    const p = decodeIpvs(port1);
    expect(p).toEqual({ ok: false, error: 'service.port: 1 byte(s) at offset 8, expected 2' });
  });

  it('never throws on any truncation of any sample, nor on random bytes (fuzz)', () => {
    for (const s of SAMPLES) {
      const b = enc(s);
      for (let n = 0; n < b.length; n++) {
        const r = decodeIpvs(b.subarray(0, n));
        expect(typeof r.ok).toBe('boolean');
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeIpvs(Buffer.from(bytes));
        return r.ok ? typeof r.value.cmd === 'string' : r.error.length > 0;
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws when samples are garbled byte by byte (fuzz)', () => {
    const bufs = SAMPLES.map(enc);
    fc.assert(
      fc.property(fc.nat(bufs.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }), (i, edits) => {
        const b = Buffer.from(bufs[i]!);
        for (const [pos, v] of edits) if (b.length) b[pos % b.length] = v;
        const r = decodeIpvs(b);
        return r.ok || /\S/.test(r.error);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips generated services and destinations (property)', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
    const u16 = fc.nat(0xffff);
    const u32 = fc.nat(0xffffffff);
    const svc = fc.record({
      af: fc.constant(AF_INET), protocol: fc.constantFrom(6, 17, 132), addr: v4, port: u16, fwmark: u32, schedName: fc.constantFrom('rr', 'wlc', 'mh'),
      flags: fc.record({ flags: u32, mask: u32 }), timeout: u32, netmask: u32,
    }, { requiredKeys: ['af'] });
    const dest = fc.record({
      addr: v4, port: u16, fwdMethod: fc.nat(4), weight: u32, uThresh: u32, lThresh: u32, addrFamily: fc.constant(AF_INET),
      tunType: fc.nat(2), tunPort: u16, tunFlags: fc.nat(2),
    }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.constantFrom<IpvsCmd>('NEW_DEST', 'SET_DEST', 'DEL_DEST'), svc, dest, (cmd, service, d) => {
        const m: IpvsMessage = { cmd, version: 1, service, dest: d };
        expect(decodeIpvs(enc(m))).toEqual({ ok: true, value: m });
      }),
      { numRuns: 500 },
    );
  });
});
