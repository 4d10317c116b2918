// Answer sets per template, shared by the unit and CLI tests of `keepalivedctl init`.
// Interfaces are eth0/eth1, which the oracle namespace has.

/** Answer sets per template: minimal, and everything optional switched on. */
export const cases: Record<string, Record<string, unknown>[]> = {
  'active-backup': [
    { interface: 'eth0', vip: '192.0.2.100/24' },
    { interface: 'eth1', vip: '198.51.100.7/24', vrid: 200, priority: 200, backup_priority: 50, peer: ['198.51.100.2', '198.51.100.3'], auth_pass: 'pw', notify_email: ['a@example.com'], notify_script: '/usr/bin/true', track_interface: ['eth0'], track_script: '/usr/bin/true; /usr/bin/test -e /' },
  ],
  'active-active': [
    { interface: 'eth0', vip: '192.0.2.100/24', vip2: '192.0.2.101/24' },
    { interface: 'eth0', vip: '192.0.2.100/24', vip2: '192.0.2.101/24', peer: '192.0.2.2,192.0.2.3', smtp_server: '192.0.2.25:25', notify_email: 'ops@example.com' },
  ],
  ipv6: [
    { interface: 'eth0', vip: '2001:db8::100/64' },
    { interface: 'eth0', vip: '2001:db8::100/64', advert_int: '0.5', peer: ['2001:db8::2', '2001:db8::3'], track_script: ['/usr/bin/true'] },
  ],
  'lvs-nat': [
    { interface: 'eth0', vip: '198.51.100.10/24', real_server: ['203.0.113.21', '203.0.113.22:8080,3'] },
    { interface: 'eth0', vip: '198.51.100.10/24', virtual_server: '198.51.100.10:443', real_server: '203.0.113.21;203.0.113.22', checker: 'HTTP_GET', check_path: '/health', digest: '0123456789abcdef0123456789abcdef', internal_interface: 'eth1', gateway_vip: '203.0.113.1/24', lb_algo: 'wrr' },
  ],
  'lvs-dr': [
    { interface: 'eth0', vip: '198.51.100.10/24', real_server: ['198.51.100.21'], checker: 'HTTP_GET' },
    { interface: 'eth0', vip: '2001:db8::10/64', real_server: ['[2001:db8::21]:80', '[2001:db8::22]:80,2'], lb_algo: 'sh' },
  ],
};
