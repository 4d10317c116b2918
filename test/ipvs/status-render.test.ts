// keepalivedctl status's second table: virtual servers with their real servers, checker state,
// checker weight and kernel weight (plain text, as in a pipe), and the line when IPVS is not kept.
import { describe, expect, it } from 'vitest';
import { renderStatus, renderVirtualServers } from '../../src/control/render.js';
import type { StatusResult } from '../../src/control/protocol.js';

const base: StatusResult = {
  protocolVersion: 1,
  daemon: { pid: 42, version: '0.1.0', configFile: '/etc/keepalived/keepalived.conf', configId: 'lb1', startedAt: '2026-11-25T06:00:00.000Z' },
  instances: [],
  syncGroups: [],
};
const vs: StatusResult['virtualServers'] = [
  {
    name: 'TCP 192.0.2.10:80', services: ['TCP 192.0.2.10:80'], quorumUp: true,
    realServers: [
      { address: '198.51.100.11:8080', up: true, weight: 3, tableWeight: 3, checkers: [{ type: 'HTTP_GET', up: true, detail: 'passed' }] },
      { address: '198.51.100.12:8080', up: false, weight: 1, tableWeight: 0, checkers: [{ type: 'TCP_CHECK', up: false, detail: 'refused' }] },
    ],
  },
  {
    name: 'FWM 7', services: ['FWM 7 IPv4'], quorumUp: false, sorryServer: { address: '198.51.100.99:80', active: true },
    realServers: [{ address: '198.51.100.14:80', up: false, weight: 1, tableWeight: null, checkers: [] }],
  },
];

describe('status: virtual servers', () => {
  it('renders one row per real server and sorry server, the virtual server on its first row', () => {
    const text = renderStatus({ ...base, virtualServers: vs, ipvs: { available: true } }, { tty: false, now: new Date('2026-11-25T06:01:00Z') });
    const lines = text.split('\n');
    expect(lines[1]).toBe('no vrrp_instance configured');
    expect(lines.slice(2).map((l) => l.replace(/ +/g, ' ').trim())).toEqual([
      'VIRTUAL SERVER REAL SERVER STATE WEIGHT IPVS CHECKERS',
      'TCP 192.0.2.10:80 198.51.100.11:8080 UP 3 3 HTTP_GET up',
      '198.51.100.12:8080 DOWN 1 0 TCP_CHECK down: refused',
      'FWM 7 (quorum lost) 198.51.100.14:80 DOWN 1 - -',
      '198.51.100.99:80 (sorry) ACTIVE 1 1 -',
      '',
    ]);
    // Columns line up: every row's REAL SERVER starts where the header's does.
    const col = lines[2]!.indexOf('REAL SERVER');
    expect(lines.slice(3, 7).map((l) => l.slice(col).split(' ')[0])).toEqual(['198.51.100.11:8080', '198.51.100.12:8080', '198.51.100.14:80', '198.51.100.99:80']);
  });

  it('says when IPVS is not kept, and prints nothing without virtual servers', () => {
    const out = renderVirtualServers({ ...base, virtualServers: vs, ipvs: { available: false, detail: 'the kernel has no IPVS' } }, false);
    expect(out[0]).toBe('IPVS: not kept (the kernel has no IPVS); the checkers still run');
    expect(renderVirtualServers(base, false)).toEqual([]);
    expect(renderStatus(base, { tty: false, now: new Date() })).not.toMatch(/VIRTUAL SERVER/);
  });

  it('draws a table on a terminal', () => {
    const out = renderVirtualServers({ ...base, virtualServers: vs }, true).join('\n');
    expect(out).toMatch(/VIRTUAL SERVER/);
    expect(out).toMatch(/┌/);
    expect(out).toMatch(/TCP_CHECK down: refused/);
  });
});
