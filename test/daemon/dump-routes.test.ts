// The data dump's route/rule/VIP text, line for line with what keepalived 2.2.7 wrote for the same
// config lines (taken from its keepalived.data in dump-rich.test.ts's namespaces), without root.
import { describe, expect, it } from 'vitest';
import { formatVip } from '../../src/daemon/dump-input.js';
import { formatRoute, formatRule } from '../../src/daemon/dump-routes.js';
import { newRuleCounter, parseRoute, parseRule } from '../../src/daemon/instance-routes.js';

function route(line: string, set = true): string {
  const r = parseRoute(line.split(' '));
  if (!r.ok) throw new Error(r.error);
  return formatRoute(r.value.spec, r.value.text, set);
}

function rule(line: string): string {
  const r = parseRule(line.split(' '), newRuleCounter());
  if (!r.ok) throw new Error(r.error);
  return formatRule(r.value.spec, false);
}

describe('format_iproute / format_iprule / format_ipaddress as keepalived 2.2.7 writes them', () => {
  it('routes: tracked, untracked, typed, IPv6', () => {
    expect(route('203.0.113.128/25 via 192.0.2.254 dev veth0')).toBe('prepend 203.0.113.128/25 via inet 192.0.2.254 dev veth0 proto 18');
    // No dev: keepalived cannot track it (no_track) but set protocol 18 before finding that out.
    expect(route('blackhole 198.51.100.0/24')).toBe('add blackhole 198.51.100.0/24 proto 18 no_track');
    expect(route('198.51.100.128/25 via 192.0.2.254 metric 5 table 100 no_track')).toBe('prepend 198.51.100.128/25 via inet 192.0.2.254 table 100 metric 5 no_track');
    expect(route('2001:db8:5::/64 via 2001:db8::254 dev veth0')).toBe('prepend 2001:db8:5::/64 via inet6 2001:db8::254 dev veth0 proto 18 [installed ifindex 0]');
    expect(route('2001:db8:5::/64 via 2001:db8::254 dev veth0', false)).toBe('prepend 2001:db8:5::/64 via inet6 2001:db8::254 dev veth0 proto 18');
  });

  it('rules', () => {
    expect(rule('from 192.0.2.101 table 100')).toBe('from 192.0.2.101 priority 16384 tos 0x0 protocol 18 lookup 100');
  });

  it('addresses: host addresses without a prefix, IPv6 lifetimes, the vmac with its base', () => {
    expect(formatVip({ ifname: 'vrrp.51', family: 4, addr: '192.0.2.100', prefix: 24 }, true, 'veth0')).toBe('192.0.2.100/24 dev vrrp.51@veth0 scope global set');
    expect(formatVip({ ifname: 'veth0', family: 4, addr: '192.0.2.161', prefix: 32, scope: 'link' }, false)).toBe('192.0.2.161 dev veth0 scope link');
    expect(formatVip({ ifname: 'veth0', family: 6, addr: '2001:db8::101', prefix: 128 }, true)).toBe('2001:db8::101 dev veth0 scope global deprecated set');
    expect(formatVip({ ifname: 'veth0', family: 6, addr: '2001:db8::100', prefix: 64 }, true)).toBe('2001:db8::100/64 dev veth0 scope global preferred_lft forever set');
  });
});
