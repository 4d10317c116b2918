// `keepalivedctl status` text: one line per BFD session after the instances (and when there are
// none), the state painted (Down with its diagnostic), intervals in milliseconds.
import { describe, expect, it } from 'vitest';
import type { BfdSessionState, StatusResult } from '../../src/control/protocol.js';
import { bfdLines, renderStatus } from '../../src/control/render.js';

const session = (over: Partial<BfdSessionState> = {}): BfdSessionState => ({
  name: 'b1', neighbor: '192.0.2.2', source: '192.0.2.1', state: 'Up', remoteState: 'Up', localDiag: 'No Diagnostic', remoteDiag: 'No Diagnostic',
  localDiscriminator: 1, remoteDiscriminator: 2, txIntervalUs: 200_000, detectionTimeUs: 1_000_000, minRxUs: 200_000, minTxUs: 200_000,
  idleTxUs: 1_000_000, multiplier: 5, passive: false, packetsSent: 10, packetsReceived: 10, ...over,
});

const status = (bfd?: BfdSessionState[]): StatusResult => ({
  protocolVersion: 1,
  daemon: { pid: 1, version: '0.1.0', configFile: '/etc/keepalived/keepalived.conf', configId: 'x', startedAt: '2026-01-01T00:00:00Z' },
  instances: [],
  syncGroups: [],
  ...(bfd ? { bfd } : {}),
});

describe('status text: BFD sessions', () => {
  it('one line per session, Down with its diagnostic', () => {
    expect(bfdLines(status([session(), session({ name: 'b2', source: undefined, neighbor: '2001:db8::2', state: 'Down', localDiag: 'Control Detection Time Expired', txIntervalUs: 1_000_000, detectionTimeUs: 2_500 })]))).toEqual([
      'bfd b1 192.0.2.1 -> 192.0.2.2: Up (tx 200 ms, detect 1000 ms)',
      'bfd b2 -> 2001:db8::2: Down (Control Detection Time Expired) (tx 1000 ms, detect 2.5 ms)',
    ]);
  });

  it('in the rendered status, also with no vrrp_instance; nothing without the field', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    expect(renderStatus(status([session()]), { tty: false, now })).toContain('\nbfd b1 192.0.2.1 -> 192.0.2.2: Up (tx 200 ms, detect 1000 ms)\n');
    expect(renderStatus(status(), { tty: false, now })).not.toContain('bfd ');
  });
});
