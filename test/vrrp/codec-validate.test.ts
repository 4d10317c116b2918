// Receive validation: the captured keepalived adverts pass for the instance that matches
// them, and each of keepalived's rejection rules, provoked one at a time, gives its reason.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inetChecksum, pseudoSum4 } from '../../src/vrrp/checksum.js';
import { authDataBytes, computeAhIcv } from '../../src/vrrp/codec-ah.js';
import { readPcap, type CapturedPacket } from '../../src/vrrp/codec-pcap.js';
import { ALL_DROP_REASONS, Counters, DROP_REASONS, type DropReason } from '../../src/vrrp/counters.js';
import { encode } from '../../src/vrrp/packet.js';
import { validate, type InstanceConfig, type ValidateContext } from '../../src/vrrp/validate.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/vrrp/', import.meta.url));
function first(name: string): CapturedPacket {
  const r = readPcap(new Uint8Array(readFileSync(`${FIXTURES}${name}.pcap`)));
  if (!r.ok) throw new Error(r.error);
  return r.packets[0]!;
}
const v4 = (name: string) => first(name).bytes.slice();

// The receiving instances: what a peer of each captured keepalived would configure.
const peer = [{ addr: '192.0.2.1' }];
const CFG = {
  pass: { family: 4, version: 2, vrid: 51, authType: 'pass', authPass: 's3cret', advertIntervalCs: 100, vips: ['192.0.2.100', '192.0.2.101'] },
  ah: { family: 4, version: 2, vrid: 52, authType: 'ah', authPass: 'ahkey123', advertIntervalCs: 100, vips: ['192.0.2.110'] },
  ahUni: { family: 4, version: 2, vrid: 57, authType: 'ah', authPass: 'longerth', advertIntervalCs: 100, vips: ['192.0.2.150', '192.0.2.151'], unicastPeers: peer },
  v2uni: { family: 4, version: 2, vrid: 56, authType: 'none', advertIntervalCs: 200, vips: ['192.0.2.140'], unicastPeers: peer },
  v3: { family: 4, version: 3, vrid: 53, authType: 'none', advertIntervalCs: 50, vips: ['192.0.2.120', '192.0.2.121', '192.0.2.122'] },
  v3uni: { family: 4, version: 3, vrid: 55, authType: 'none', advertIntervalCs: 100, vips: ['192.0.2.130'], unicastPeers: peer },
  shutdown: { family: 4, version: 3, vrid: 58, authType: 'none', advertIntervalCs: 100, vips: ['192.0.2.160'] },
  v6: { family: 6, version: 3, vrid: 54, authType: 'none', advertIntervalCs: 100, vips: ['2001:db8::100', '2001:db8::101'] },
} satisfies Record<string, InstanceConfig>;
const BACKUP: ValidateContext = { state: 'backup' };

/** Recomputes the VRRP checksum of an IPv4 packet after a field was changed on purpose. */
function refix(p: Uint8Array): Uint8Array {
  const ihl = (p[0]! & 15) * 4;
  const off = ihl + (p[9] === 51 ? 24 : 0);
  const version = p[off]! >> 4;
  const len = 8 + p[off + 3]! * 4 + (version === 2 ? 8 : 0);
  p[off + 6] = 0;
  p[off + 7] = 0;
  const acc = version === 3 ? pseudoSum4(p.subarray(12, 16), p.subarray(16, 20), 112, len) : 0;
  const ck = inetChecksum(p, off, off + len, acc);
  p[off + 6] = ck >> 8;
  p[off + 7] = ck & 0xff;
  return p;
}

function reason(packet: Uint8Array, cfg: InstanceConfig, ctx: ValidateContext = BACKUP): DropReason | 'ok' {
  const r = validate(packet, cfg, ctx);
  return r.ok ? 'ok' : r.reason;
}

describe('validate: captured adverts are accepted by the matching instance', () => {
  const pairs: [string, InstanceConfig][] = [
    ['v2-pass', CFG.pass], ['v2-ah', CFG.ah], ['v2-ah-unicast', CFG.ahUni], ['v2-unicast', CFG.v2uni], ['v3-ipv4', CFG.v3], ['v3-unicast', CFG.v3uni],
  ];
  for (const [name, cfg] of pairs) {
    it(name, () => {
      for (const state of ['backup', 'master'] as const) {
        const r = validate(v4(name), cfg, { state });
        if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
        expect(r.advert.vrid).toBe(cfg.vrid);
        if (cfg.authType === 'ah') expect(r.ahSeq).toBe(1);
      }
    });
  }
  it('v3-shutdown: the priority 0 advert is accepted and counted as such', () => {
    const r = readPcap(new Uint8Array(readFileSync(`${FIXTURES}v3-shutdown.pcap`)));
    if (!r.ok) throw new Error(r.error);
    const c = new Counters();
    for (const p of r.packets) c.record(validate(p.bytes, CFG.shutdown, BACKUP));
    expect([c.accepted, c.priorityZero, c.dropped]).toEqual([3, 1, 0]);
  });
  it('v3-ipv6 with the addresses and hop limit beside the payload', () => {
    const p = first('v3-ipv6');
    if (p.family !== 6) throw new Error('not IPv6');
    const r = validate(p.bytes, CFG.v6, { state: 'master', ipv6: p.ipv6 });
    expect(r).toMatchObject({ ok: true, advert: { family: 6, addrs: CFG.v6.vips } });
    // No hop limit reported: keepalived skips the check (rx_ttl_hop_limit -1).
    expect(reason(p.bytes, CFG.v6, { state: 'backup', ipv6: { src: p.ipv6.src, dst: p.ipv6.dst } })).toBe('ok');
    expect(reason(p.bytes, CFG.v6, { state: 'backup', ipv6: { ...p.ipv6, hopLimit: 1 } })).toBe('ttl_invalid');
    expect(reason(p.bytes, CFG.v6, { state: 'backup', ipv6: { ...p.ipv6, dst: '2001:db8::2' } })).toBe('cast_mismatch');
    expect(reason(p.bytes, CFG.v6, { state: 'backup', ipv6: { ...p.ipv6, src: 'fe80::1' } })).toBe('checksum');
    expect(reason(p.bytes, CFG.v6, { state: 'backup' })).toBe('ip_header_invalid');
  });
});

describe('validate: each rejection rule gives its reason', () => {
  const cases: [string, () => DropReason | 'ok', DropReason | 'ok'][] = [
    ['shorter than the IP header', () => reason(v4('v3-ipv4').subarray(0, 10), CFG.v3), 'truncated'],
    ['AH packet cut inside the AH header', () => reason(v4('v2-ah').subarray(0, 40), CFG.ah), 'truncated'],
    ['IP version 6 in an IPv4 socket', () => reason(((p) => ((p[0] = 0x65), p))(v4('v3-ipv4')), CFG.v3), 'ip_header_invalid'],
    ['protocol TCP', () => reason(((p) => ((p[9] = 6), p))(v4('v3-ipv4')), CFG.v3), 'not_vrrp_protocol'],
    ['VRID not ours', () => reason(v4('v3-ipv4'), { ...CFG.v3, vrid: 99 }), 'vrid_unknown'],
    ['own address', () => reason(v4('v3-ipv4'), CFG.v3, { state: 'backup', ownAddrs: ['192.0.2.1'] }), 'own_packet'],
    ['vrrp_strict and PASS', () => reason(v4('v2-pass'), { ...CFG.pass, strict: true }), 'strict_auth'],
    ['vrrp_strict and AH', () => reason(v4('v2-ah'), { ...CFG.ah, strict: true }), 'strict_auth'],
    ['AH header, instance expects PASS', () => reason(v4('v2-ah'), { ...CFG.ah, authType: 'pass' }), 'authtype_mismatch'],
    ['no AH header, instance expects AH', () => reason(v4('v2-pass'), { ...CFG.pass, authType: 'ah' }), 'authtype_mismatch'],
    ['PASS advert, instance expects none', () => reason(v4('v2-pass'), { ...CFG.pass, authType: 'none' }), 'authtype_mismatch'],
    ['extra trailing bytes', () => reason(Uint8Array.from([...v4('v3-ipv4'), 0, 0, 0, 0]), CFG.v3), 'packet_length'],
    ['address count beyond the data', () => reason(refix(((p) => ((p[23] = 4), p))(v4('v3-ipv4'))), CFG.v3), 'packet_length'],
    ['TTL 64 on multicast', () => reason(((p) => ((p[8] = 64), p))(v4('v3-ipv4')), CFG.v3), 'ttl_invalid'],
    ['TTL 64 on unicast is allowed', () => reason(((p) => ((p[8] = 64), p))(v4('v3-unicast')), CFG.v3uni), 'ok'],
    ['v3 advert, v2 instance', () => reason(v4('v3-ipv4'), { ...CFG.v3, version: 2 }), 'version_invalid'],
    ['v2 auth type 7', () => reason(refix(((p) => ((p[24] = 7), p))(v4('v2-unicast'))), CFG.v2uni), 'authtype_invalid'],
    ['wrong password', () => reason(v4('v2-pass'), { ...CFG.pass, authPass: 'secret' }), 'auth_password'],
    ['AH for another protocol', () => reason(((p) => ((p[20] = 6), p))(v4('v2-ah')), CFG.ah), 'ah_next_header'],
    ['AH wrong key', () => reason(v4('v2-ah'), { ...CFG.ah, authPass: 'ahkey124' }), 'ah_icv'],
    ['AH ICV computed as multicast, checked as unicast', () => reason(v4('v2-ah'), { ...CFG.ah, unicastPeers: peer }), 'ah_icv'],
    ['AH tampered priority', () => reason(refix(((p) => ((p[46] = 250), p))(v4('v2-ah'))), CFG.ah), 'ah_icv'],
    ['AH SPI not the source (valid ICV)', () => {
      const p = v4('v2-ah');
      p[27] ^= 1;
      p.set(computeAhIcv(p, 20, p.length, authDataBytes('ahkey123'), false), 32);
      return reason(p, CFG.ah);
    }, 'ah_spi'],
    ['AH sequence replayed', () => reason(v4('v2-ah'), CFG.ah, { state: 'backup', ahSeq: 1 }), 'ah_replay'],
    ['v2 interval differs', () => reason(v4('v2-pass'), { ...CFG.pass, advertIntervalCs: 300 }), 'advert_interval_mismatch'],
    ['v3 interval differs is fine (master_adver_int is learnt)', () => reason(v4('v3-ipv4'), { ...CFG.v3, advertIntervalCs: 100 }), 'ok'],
    ['type 2', () => reason(refix(((p) => ((p[20] = 0x32), p))(v4('v3-ipv4'))), CFG.v3), 'type_invalid'],
    ['VIP count differs', () => reason(v4('v3-ipv4'), { ...CFG.v3, vips: ['192.0.2.120'] }), 'addr_count_mismatch'],
    ['IP total length lies', () => reason(((p) => ((p[3] += 4), p))(v4('v3-ipv4')), CFG.v3), 'ip_total_length'],
    ['bad v3 checksum', () => reason(((p) => ((p[22] ^= 1), p))(v4('v3-ipv4')), CFG.v3), 'checksum'],
    ['bad v2 checksum', () => reason(((p) => ((p[27] ^= 1), p))(v4('v2-unicast')), CFG.v2uni), 'checksum'],
    ['v3 checksum depends on the pseudo-header source', () => reason(((p) => ((p[15] = 9), p))(v4('v3-ipv4')), CFG.v3), 'checksum'],
    ['multicast advert, unicast instance', () => reason(v4('v3-ipv4'), { ...CFG.v3, unicastPeers: peer }), 'cast_mismatch'],
    ['unicast advert, multicast instance', () => reason(v4('v3-unicast'), { ...CFG.v3uni, unicastPeers: [] }), 'cast_mismatch'],
    ['a VIP missing', () => reason(v4('v3-ipv4'), { ...CFG.v3, vips: ['192.0.2.120', '192.0.2.121', '192.0.2.199'] }), 'addr_list_mismatch'],
    ['VIP order does not matter', () => reason(v4('v3-ipv4'), { ...CFG.v3, vips: ['192.0.2.122', '192.0.2.120', '192.0.2.121'] }), 'ok'],
    ['check_unicast_src, sender not a peer', () => reason(v4('v3-unicast'), { ...CFG.v3uni, checkUnicastSrc: true, unicastPeers: [{ addr: '192.0.2.9' }] }), 'unicast_src_not_peer'],
    ['check_unicast_src, TTL beyond max_ttl', () => reason(v4('v3-unicast'), { ...CFG.v3uni, checkUnicastSrc: true, unicastPeers: [{ addr: '192.0.2.1', minTtl: 0, maxTtl: 200 }] }), 'ttl_out_of_range'],
    ['check_unicast_src, sender is a peer', () => reason(v4('v3-unicast'), { ...CFG.v3uni, checkUnicastSrc: true }), 'ok'],
    ['unusable config', () => reason(v4('v3-ipv4'), { ...CFG.v3, vips: ['bogus'] }), 'config_invalid'],
    ['no config at all', () => reason(v4('v3-ipv4'), null as unknown as InstanceConfig), 'config_invalid'],
  ];
  for (const [what, run, want] of cases) it(`${what} -> ${want}`, () => expect(run()).toBe(want));

  it('every drop reason is provoked by some case above (or the IPv6 test)', () => {
    const seen = new Set(cases.map((c) => c[2]));
    const missing = ALL_DROP_REASONS.filter((r) => !seen.has(r));
    expect(missing).toEqual([]);
  });
});

describe('validate: address checks, skip_check_adv_addr and strict mode', () => {
  const wrongVips = { ...CFG.v3, vips: ['192.0.2.120', '192.0.2.121', '192.0.2.199'], skipCheckAdvAddr: true };
  it('BACKUP skips the list only for adverts from the known master', () => {
    expect(reason(v4('v3-ipv4'), wrongVips, { state: 'backup', masterAddr: '192.0.2.1' })).toBe('ok');
    expect(reason(v4('v3-ipv4'), wrongVips, { state: 'backup', masterAddr: '192.0.2.5' })).toBe('addr_list_mismatch');
    expect(reason(v4('v3-ipv4'), wrongVips, { state: 'backup' })).toBe('addr_list_mismatch');
  });
  it('MASTER and strict mode always check', () => {
    expect(reason(v4('v3-ipv4'), wrongVips, { state: 'master', masterAddr: '192.0.2.1' })).toBe('addr_list_mismatch');
    expect(reason(v4('v3-ipv4'), { ...wrongVips, strict: true }, { state: 'backup', masterAddr: '192.0.2.1' })).toBe('addr_list_mismatch');
  });
});

describe('validate: AH replay and old unicast checksums', () => {
  it('the accepted sequence number, fed back, rejects the same advert and accepts the next', () => {
    const r = readPcap(new Uint8Array(readFileSync(`${FIXTURES}v2-ah.pcap`)));
    if (!r.ok) throw new Error(r.error);
    let seq = 0;
    for (const p of r.packets) {
      const ok = validate(p.bytes, CFG.ah, { state: 'backup', ahSeq: seq });
      if (!ok.ok) throw new Error(ok.detail);
      seq = ok.ahSeq!;
      expect(reason(p.bytes, CFG.ah, { state: 'backup', ahSeq: seq })).toBe('ah_replay');
    }
    expect(seq).toBe(3);
  });

  it('a v3 unicast peer using the pre-1.3.7 checksum is accepted and flagged, unless old_unicast_checksum never', () => {
    const spec = { version: 3, family: 4, vrid: 55, priority: 140, advertIntervalCs: 100, srcAddr: '192.0.2.1', dstAddr: '192.0.2.2', addrs: ['192.0.2.130'], authType: 'none', checksumDst: '224.0.0.18' } as const;
    const old = encode({ ...spec, addrs: [...spec.addrs] });
    if (!old.ok) throw new Error(old.error);
    expect(validate(old.bytes, CFG.v3uni, BACKUP)).toMatchObject({ ok: true, oldUnicastChecksum: true });
    expect(reason(old.bytes, { ...CFG.v3uni, oldUnicastChecksum: 'never' })).toBe('checksum');
    expect(reason(old.bytes, { ...CFG.v3uni, oldUnicastChecksum: 'config' })).toBe('ok');
    expect(reason(v4('v3-unicast'), { ...CFG.v3uni, oldUnicastChecksum: 'config' })).toBe('checksum');
  });
});

describe('Counters', () => {
  it('counts accepted, priority 0 and each reason, folded into keepalived statistics', () => {
    const c = new Counters();
    c.record(validate(v4('v3-ipv4'), CFG.v3, BACKUP));
    const zero = refix(((p) => ((p[22] = 0), p))(v4('v3-ipv4')));
    c.record(validate(zero, CFG.v3, BACKUP));
    c.record(validate(((p) => ((p[8] = 1), p))(v4('v3-ipv4')), CFG.v3, BACKUP));
    c.record(validate(v4('v3-ipv4'), { ...CFG.v3, vips: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] }, BACKUP));
    c.record(validate(v4('v3-ipv4'), { ...CFG.v3, vips: ['192.0.2.1'] }, BACKUP));
    expect(c.accepted).toBe(2);
    expect(c.priorityZero).toBe(1);
    expect(c.dropped).toBe(3);
    expect(c.entries()).toEqual([['ttl_invalid', 1], ['addr_count_mismatch', 1], ['addr_list_mismatch', 1]]);
    expect(c.keepalivedStats()).toMatchObject({ advert_rcvd: 2, pri_zero_rcvd: 1, ip_ttl_err: 1, addr_list_err: 2, chk_err: 0 });
    c.reset();
    expect(c.dropped + c.accepted).toBe(0);
  });
  it('every reason has a description and a verdict', () => {
    for (const r of ALL_DROP_REASONS) expect(DROP_REASONS[r].text.length).toBeGreaterThan(5);
  });
});
