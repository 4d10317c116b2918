// Pure frame builders: byte-exact gratuitous ARP and unsolicited NA (hand-checked against
// keepalived's vrrp_arp.c / vrrp_ndisc.c layout; ICMPv6 checksums computed by hand with an
// independent RFC 1071 sum), parsing of MACs, and bad input as error values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatMac,
  garpFrame,
  GARP_FRAME_LEN,
  icmp6Checksum,
  NA_FRAME_LEN,
  parseMac,
  unsolicitedNaFrame,
} from '../../src/net/frames.js';
import { parseIpv6 } from '../../src/vrrp/codec-addr.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MAC = '52:54:00:12:34:56';

describe('gratuitous ARP', () => {
  it('is an ARP request to broadcast with sender = target = VIP and a broadcast target MAC', () => {
    const r = garpFrame(MAC, '192.0.2.10');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.frame.length).toBe(GARP_FRAME_LEN);
    expect(hex(r.frame)).toBe(
      [
        'ffffffffffff', '525400123456', '0806', // Ethernet: broadcast, our MAC, ARP
        '0001', '0800', '06', '04', '0001', // Ethernet/IPv4, request
        '525400123456', 'c000020a', // sender MAC, sender IP
        'ffffffffffff', 'c000020a', // target MAC (broadcast, as keepalived), target IP
      ].join(''),
    );
  });

  it('takes the MAC as bytes too (a vmac) and refuses bad input without throwing', () => {
    const r = garpFrame(new Uint8Array([0, 0, 0x5e, 0, 1, 51]), '203.0.113.7');
    expect(r.ok && hex(r.frame.subarray(6, 12))).toBe('00005e000133');
    expect(garpFrame(MAC, '2001:db8::1')).toEqual({ ok: false, error: "gratuitous ARP: '2001:db8::1' is not an IPv4 address" });
    expect(garpFrame('52:54:00:12:34', '192.0.2.1')).toMatchObject({ ok: false, error: expect.stringContaining('not a MAC address') });
    expect(garpFrame(new Uint8Array(5), '192.0.2.1')).toMatchObject({ ok: false, error: expect.stringContaining('5 bytes') });
    expect(garpFrame(MAC, null as unknown as string).ok).toBe(false);
    expect(garpFrame(undefined as unknown as string, '192.0.2.1').ok).toBe(false);
  });
});

describe('unsolicited neighbour advertisement', () => {
  it('matches the hand-built frame: ff02::1, hop limit 255, Override, target link-layer option, checksum', () => {
    const r = unsolicitedNaFrame(MAC, '2001:db8::10');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.frame.length).toBe(NA_FRAME_LEN);
    expect(hex(r.frame)).toBe(
      [
        '333300000001', '525400123456', '86dd', // Ethernet: all-nodes multicast MAC, IPv6
        '60000000', '0020', '3a', 'ff', // IPv6: payload 32, ICMPv6, hop limit 255
        '20010db8000000000000000000000010', // source: the VIP itself
        'ff020000000000000000000000000001', // destination: all nodes
        '88', '00', '7451', '20000000', // NA, code 0, checksum, flags: Override only
        '20010db8000000000000000000000010', // target
        '02', '01', '525400123456', // target link-layer address option
      ].join(''),
    );
  });

  it('sets the Router flag when asked (interface forwarding), with the checksum to match', () => {
    const r = unsolicitedNaFrame(MAC, '2001:db8::10', { router: true });
    expect(r.ok && hex(r.frame.subarray(54, 62))).toBe('8800f450a0000000');
    const ll = unsolicitedNaFrame(MAC, 'fe80::1');
    expect(ll.ok && hex(ll.frame.subarray(54, 58))).toBe('8800d2df');
  });

  it('has a checksum that verifies to zero over any address and MAC (property)', () => {
    const allNodes = parseIpv6('ff02::1')!;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.boolean(), (addr, mac, router) => {
        const text = Array.from({ length: 8 }, (_, i) => ((addr[2 * i]! << 8) | addr[2 * i + 1]!).toString(16)).join(':');
        const r = unsolicitedNaFrame(mac, text, { router });
        if (!r.ok) return false;
        return icmp6Checksum(addr, allNodes, r.frame.subarray(54)) === 0 && (r.frame[58]! & 0x80) === (router ? 0x80 : 0);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses bad input without throwing', () => {
    expect(unsolicitedNaFrame(MAC, '192.0.2.1')).toEqual({ ok: false, error: "neighbour advertisement: '192.0.2.1' is not an IPv6 address" });
    expect(unsolicitedNaFrame('zz:54:00:12:34:56', '2001:db8::1').ok).toBe(false);
    expect(unsolicitedNaFrame(MAC, '2001:db8::1', null as unknown as undefined).ok).toBe(true);
  });
});

describe('MAC text', () => {
  it('parses colon or dash forms (any case, surrounding blanks as in sysfs) and formats back', () => {
    expect(formatMac(parseMac('52:54:00:AB:cd:EF\n')!)).toBe('52:54:00:ab:cd:ef');
    expect(formatMac(parseMac('52-54-00-ab-cd-ef')!)).toBe('52:54:00:ab:cd:ef');
    for (const bad of ['', '52:54:00:ab:cd', '52:54:00:ab:cd:ef:01', '5254.00ab.cdef', 'g2:54:00:ab:cd:ef', 42 as unknown as string]) {
      expect(parseMac(bad)).toBeNull();
    }
  });
});
