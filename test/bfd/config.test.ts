// bfd_instance read with keepalived 2.2.7's rules (bfd_parser.c): defaults, milliseconds with up to
// 3 decimals kept in microseconds, bad values ignored with keepalived's message (default kept), no
// neighbour or mixed families disabling the instance, duplicates ignored, IPv6 hop limit 64,
// max_hops lowered to the ttl or -1 for no check, vrrp/checker routing; the VRRP side's view.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { hasBfdConfig, readBfdInstances, vrrpBfds, type BfdIssue } from '../../src/bfd/config.js';

const read = (text: string) => {
  const issues: BfdIssue[] = [];
  const model = loadConfigText(text, 'k.conf').model;
  return { out: readBfdInstances(model, issues), issues: issues.map((i) => i.message), model };
};

describe('bfd_instance configuration', () => {
  it("keepalived's defaults", () => {
    const { out, issues } = read('bfd_instance b1 {\n neighbor_ip 192.0.2.2\n}\nbfd_instance b6 {\n neighbour_ip 2001:db8::2\n source_ip 2001:db8::1\n}');
    expect(issues).toEqual([]);
    expect(out[0]).toEqual({
      name: 'b1', neighbor: '192.0.2.2', family: 4, minRxUs: 10_000, minTxUs: 10_000, idleTxUs: 1_000_000, mult: 5, passive: false, ttl: 255, maxHops: 0,
      vrrp: true, checker: true,
    });
    expect(out[1]).toMatchObject({ name: 'b6', family: 6, source: '2001:db8::1', ttl: 64 });
  });

  it('values: ms with decimals, passive, ttl/hoplimit, max_hops (-1: no check; above ttl: lowered), vrrp/checker', () => {
    const { out, issues } = read(`bfd_instance b1 {
 neighbor_ip 192.0.2.2
 min_rx 12.5
 min_tx 100
 idle_tx 2000
 multiplier 3
 passive
 hoplimit 200
 max_hops 250
 checker
}
bfd_instance b2 {
 neighbor_ip 192.0.2.3
 max_hops -1
 vrrp
}`);
    expect(out[0]).toMatchObject({ minRxUs: 12_500, minTxUs: 100_000, idleTxUs: 2_000_000, mult: 3, passive: true, ttl: 200, maxHops: 200, vrrp: false, checker: true });
    expect(out[1]).toMatchObject({ maxHops: null, vrrp: true, checker: false });
    expect(issues).toEqual(['BFD instance b1: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit']);
  });

  it('bad values are ignored with a message naming the instance; the default stays', () => {
    const { out, issues } = read('bfd_instance b1 {\n neighbor_ip 192.0.2.2\n min_rx 0.5\n idle_tx 500\n multiplier 0\n ttl 300\n}');
    expect(out[0]).toMatchObject({ minRxUs: 10_000, idleTxUs: 1_000_000, mult: 5, ttl: 255 });
    expect(issues).toEqual([
      'Configuration error: BFD instance b1 ttl/hoplimit value 300 not valid (must be in range [1-255]), ignoring',
      'Configuration error: BFD instance b1 min_rx value 0.5 is not valid (must be in range [1-4294967]), ignoring',
      'Configuration error: BFD instance b1 idle_tx value 500 is not valid (must be in range [1000-4294967]), ignoring',
      'Configuration error: BFD instance b1 multiplier value 0 not valid (must be in range [1-255]), ignoring',
    ]);
  });

  it('instances keepalived drops: no neighbour, malformed, mixed families, duplicate name or addresses, long name', () => {
    const { out, issues } = read(`bfd_instance none {
 min_rx 10
}
bfd_instance bad {
 neighbor_ip 192.0.2.300
}
bfd_instance mixed {
 neighbor_ip 192.0.2.2
 source_ip 2001:db8::1
}
bfd_instance ok {
 neighbor_ip 192.0.2.2
}
bfd_instance ok {
 neighbor_ip 192.0.2.9
}
bfd_instance dup {
 neighbor_ip 192.0.2.2
 source_ip 192.0.2.1
}
bfd_instance a_name_that_is_far_too_long_for_bfd {
 neighbor_ip 192.0.2.8
}`);
    expect(out.map((b) => b.name)).toEqual(['ok']);
    expect(issues).toEqual([
      'Configuration error: BFD instance none has no neighbor address set, disabling instance',
      'Configuration error: BFD instance bad has malformed neighbor address 192.0.2.300, ignoring instance',
      'Configuration error: BFD instance mixed source address 2001:db8::1 and neighbor address 192.0.2.2 are not of the same family, disabling instance',
      'Configuration error: BFD instance ok already configured - ignoring',
      'Configuration error: BFD instance dup has duplicate source/neighbor address 192.0.2.1/192.0.2.2, ignoring instance',
      'Configuration error: BFD instance a_name_that_is_far_too_long_for_bfd name too long (maximum length is 31 characters) - ignoring',
    ]);
  });

  it("the VRRP process's view: names with their default weight; checker-only instances left out", () => {
    const { model } = read('bfd_instance a {\n neighbor_ip 192.0.2.2\n weight -20 reverse\n}\nbfd_instance c {\n neighbor_ip 192.0.2.3\n checker\n}\nbfd_instance d {\n neighbor_ip 192.0.2.4\n}');
    expect(vrrpBfds(model)).toEqual([
      { name: 'a', weight: -20, reverse: true },
      { name: 'd', weight: 0, reverse: false },
    ]);
    expect(hasBfdConfig(model)).toBe(true);
    expect(hasBfdConfig(loadConfigText('global_defs {\n}', 'k.conf').model)).toBe(false);
  });
});
