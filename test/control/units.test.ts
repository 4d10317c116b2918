// Pure parts of the control commands: --for durations, status rendering, settle decisions, flag checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureLine, forFlagMs, secondsFlag } from '../../src/control/cli.js';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/control/duration.js';
import { LineSplitter } from '../../src/control/framing.js';
import type { InstanceStatus, StatusResult } from '../../src/control/protocol.js';
import { aligned, NO_PAINT, type Paint, renderStatus } from '../../src/control/render.js';
import { renderChange, settleTracker, type ChangeReport } from '../../src/control/settle.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
    ['45', 45_000],
    [' 10m ', 600_000],
    ['0h5m', 300_000],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toEqual({ ok: true, ms }));

  it.each([
    ['', 'empty duration'],
    ['0', 'is zero'],
    ['0s', 'is zero'],
    ['0h0m', 'is zero'],
    ['-5m', 'is negative'],
    ['5x', 'is not a duration'],
    ['m5', 'is not a duration'],
    ['1.5h', 'is not a duration'],
    ['5 m', 'is not a duration'],
    ['30m1h', 'units must go d, h, m, s'],
    ['1h1h', 'units must go d, h, m, s'],
    ['99999999999999999999d', 'too long'],
    ['3651d', 'too long'],
    ['1e3', 'is not a duration'],
  ])('%j is refused: %s', (text, why) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });

  it('never throws, and any accepted value is positive and within the bound', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseDuration(s);
        if (r.ok) expect(r.ms > 0 && r.ms <= MAX_DURATION_MS).toBe(true);
        else expect(r.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('formatDuration round-trips through parseDuration for whole seconds', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(500)).toBe('0s');
    expect(formatDuration(-1)).toBe('0s');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 59 }), fc.integer({ min: 0, max: 59 }), (m, s) => {
        const text = formatDuration((m * 60 + s) * 1000);
        expect(parseDuration(text)).toEqual({ ok: true, ms: (m * 60 + s) * 1000 });
      }),
    );
  });
});

describe('flag checks', () => {
  it('seconds flags name the flag', () => {
    expect(secondsFlag('timeout', '2.5')).toEqual({ ok: true, value: 2500 });
    expect(secondsFlag('wait', '0', true)).toEqual({ ok: true, value: 0 });
    expect(secondsFlag('timeout', '0')).toMatchObject({ ok: false, error: expect.stringMatching(/^--timeout: '0'/) });
    expect(secondsFlag('wait', 'soon', true)).toMatchObject({ ok: false, error: expect.stringMatching(/^--wait: 'soon'/) });
    expect(forFlagMs('abc')).toMatchObject({ ok: false, error: expect.stringMatching(/^--for: 'abc' is not a duration/) });
    expect(forFlagMs(undefined)).toEqual({ ok: true, value: undefined });
  });

  it('not-running stands alone; other failures name the command', () => {
    expect(failureLine('status', { ok: false, kind: 'not-running', message: 'keepalived is not running (no control socket at /x)' })).toBe('keepalived is not running (no control socket at /x)');
    expect(failureLine('promote', { ok: false, kind: 'rpc', message: "no vrrp_instance 'X'", code: -32002 })).toBe("keepalivedctl promote: no vrrp_instance 'X'");
  });
});

describe('LineSplitter', () => {
  it('reassembles lines whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\n')), { maxLength: 10 }), fc.array(fc.nat(40)), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => l + '\n').join(''));
        const sp = new LineSplitter(1000);
        const got: string[] = [];
        let at = 0;
        for (const c of [...cuts, bytes.length]) {
          const end = Math.min(bytes.length, at + c);
          const r = sp.feed(bytes.subarray(at, end));
          expect(r.ok).toBe(true);
          if (r.ok) got.push(...r.lines);
          at = end;
        }
        expect(got).toEqual(lines.map((l) => l.replace(/\r$/, '')));
      }),
    );
  });

  it('refuses a line over the bound, with or without its newline', () => {
    expect(new LineSplitter(10).feed(Buffer.from('x'.repeat(11) + '\n'))).toMatchObject({ ok: false });
    const sp = new LineSplitter(10);
    expect(sp.feed(Buffer.from('x'.repeat(6)))).toMatchObject({ ok: true });
    expect(sp.feed(Buffer.from('x'.repeat(6)))).toMatchObject({ ok: false, error: 'line longer than 10 bytes' });
    expect(new LineSplitter(10).feed(Buffer.from('x'.repeat(10) + '\n'))).toEqual({ ok: true, lines: ['x'.repeat(10)] });
  });
});

const now = new Date('2026-01-01T12:00:00Z');
function inst(over: Partial<InstanceStatus>): InstanceStatus {
  return {
    name: 'VI_1',
    state: 'MASTER',
    vrid: 51,
    version: 3,
    family: 4,
    interface: 'eth0',
    priority: { configured: 100, effective: 100, override: null },
    masterAddr: '192.0.2.1',
    vips: ['192.0.2.100/24'],
    tracks: [],
    counters: { advertsSent: 0, advertsReceived: 0, becameMaster: 0, releasedMaster: 0, priorityZeroSent: 0, priorityZeroReceived: 0, drops: {} },
    ...over,
  };
}
const status: StatusResult = {
  protocolVersion: 1,
  daemon: { pid: 4242, version: '0.1.0', configFile: '/etc/keepalived/keepalived.conf', configId: 'lb1', startedAt: '2026-01-01T09:00:00Z' },
  instances: [
    inst({
      priority: { configured: 100, effective: 254, override: 254 },
      override: { kind: 'promote', priority: 254, setAt: '2026-01-01T11:00:00Z', expiresAt: '2026-01-01T12:45:00Z' },
      vips: ['192.0.2.100/24', '192.0.2.101/24'],
      tracks: [
        { name: 'eth0', kind: 'interface', weight: 0, status: true },
        { name: 'chk_nginx', kind: 'script', weight: -20, status: false },
        { name: 'maint', kind: 'file', weight: 1, status: 7 },
      ],
      lastTransition: { from: 'BACKUP', to: 'MASTER', at: '2026-01-01T11:58:30Z', reason: 'priority override 254' },
      syncGroup: 'VG_1',
    }),
    inst({ name: 'VI_BACKUP6', state: 'BACKUP', vrid: 52, family: 6, masterAddr: 'fe80::2', vips: ['2001:db8::1/64'], syncGroup: 'VG_1' }),
    inst({ name: 'VI_DOWN', state: 'FAULT', vrid: 53, masterAddr: null, vips: [], priority: { configured: 100, effective: 1, override: 1 }, override: { kind: 'demote-fault', priority: 1, setAt: '2026-01-01T11:00:00Z' } }),
  ],
  syncGroups: [{ name: 'VG_1', state: 'MASTER', members: ['VI_1', 'VI_BACKUP6'] }],
};

describe('renderStatus', () => {
  it('plain text: aligned columns, one row per instance, no colours, whatever the paint', () => {
    const loud: Paint = { state: (_s, t) => `<${t}>`, head: (t) => `*${t}*`, dim: (t) => t, warn: (t) => `!${t}!` };
    const text = renderStatus(status, { tty: false, now, paint: loud });
    expect(text).toBe(
      [
        'keepalived 0.1.0, pid 4242, up 3h, config /etc/keepalived/keepalived.conf (config id lb1)',
        'INSTANCE    STATE   VRID  INTERFACE  PRIORITY                  MASTER     VIPS                           TRACKS                                   LAST TRANSITION',
        'VI_1        MASTER  51    eth0       254/100 promote 45m left  192.0.2.1  192.0.2.100/24,192.0.2.101/24  eth0:up,chk_nginx:down(-20),maint:7(+1)  BACKUP->MASTER 1m30s ago: priority override 254',
        'VI_BACKUP6  BACKUP  52    eth0       100/100                   fe80::2    2001:db8::1/64                 -                                        -',
        'VI_DOWN     FAULT   53    eth0       1/100 demote --fault      -          -                              -                                        -',
        'sync group VG_1: MASTER (VI_1, VI_BACKUP6)',
        '',
      ].join('\n'),
    );
    expect(text).not.toMatch(/\x1b\[/);
  });

  it('terminal: a boxed table, lists one per line in the cell, painted states and markers', () => {
    const paint: Paint = { state: (s, t) => `[${s[0]}]${t}`, head: (t) => t.toLowerCase(), dim: (t) => t, warn: (t) => `!${t}` };
    const text = renderStatus(status, { tty: true, now, paint });
    expect(text).toContain('┌');
    expect(text).toContain('instance');
    expect(text).toContain('[M]MASTER');
    expect(text).toContain('[F]FAULT');
    expect(text).toContain('254/100 !promote 45m left');
    expect(text).toContain('!chk_nginx:down(-20)');
    // The two VIPs of VI_1 on consecutive lines of the same cell.
    const lines = text.split('\n');
    const a = lines.findIndex((l) => l.includes('192.0.2.100/24'));
    expect(lines[a + 1]).toContain('192.0.2.101/24');
    expect(text).toContain('sync group VG_1: [M]MASTER (VI_1, VI_BACKUP6)');
  });

  it('no instances, and a daemon without a parseable start time', () => {
    const text = renderStatus({ ...status, instances: [], syncGroups: [], daemon: { ...status.daemon, startedAt: 'bogus', configId: '' } }, { tty: false, now });
    expect(text).toBe('keepalived 0.1.0, pid 4242, config /etc/keepalived/keepalived.conf\nno vrrp_instance configured\n');
  });

  it('aligned() leaves no trailing blanks', () => {
    expect(aligned([['a', 'bb', ''], ['ccc', 'd', 'e']])).toEqual(['a    bb', 'ccc  d   e']);
  });

  it('NO_PAINT is the identity', () => {
    expect(NO_PAINT.state('MASTER', 'x') + NO_PAINT.head('y') + NO_PAINT.warn('z')).toBe('xyz');
  });
});

const snap = (states: Record<string, InstanceStatus['state']>, advertIntMs = 1000): StatusResult => ({
  ...status,
  instances: Object.entries(states).map(([name, state]) => inst({ name, state, advertIntMs })),
});

describe('settleTracker', () => {
  it('promote settles when every member is MASTER', () => {
    const t = settleTracker('promote', ['A', 'B'], 0);
    expect(t.observe(snap({ A: 'MASTER', B: 'BACKUP' }), 100)).toBe(false);
    expect(t.observe(snap({ A: 'MASTER', B: 'MASTER' }), 200)).toBe(true);
    expect(t.states).toEqual({ A: 'MASTER', B: 'MASTER' });
  });

  it('demote --fault wants FAULT, demote wants BACKUP; a vanished member never settles', () => {
    expect(settleTracker('demote-fault', ['A'], 0).observe(snap({ A: 'BACKUP' }), 1)).toBe(false);
    expect(settleTracker('demote-fault', ['A'], 0).observe(snap({ A: 'FAULT' }), 1)).toBe(true);
    expect(settleTracker('demote', ['A'], 0).observe(snap({ A: 'BACKUP' }), 1)).toBe(true);
    const gone = settleTracker('demote', ['A', 'Z'], 0);
    expect(gone.observe(snap({ A: 'BACKUP' }), 1)).toBe(false);
    expect(gone.states.Z).toBe('missing');
  });

  it('clear: after a change, one quiet advert interval; with no change, a master down interval', () => {
    const moved = settleTracker('clear', ['A'], 0, { A: 'BACKUP' });
    expect(moved.observe(snap({ A: 'BACKUP' }, 200), 100)).toBe(false);
    expect(moved.observe(snap({ A: 'MASTER' }, 200), 300)).toBe(false);
    expect(moved.observe(snap({ A: 'MASTER' }, 200), 450)).toBe(false);
    expect(moved.observe(snap({ A: 'MASTER' }, 200), 500)).toBe(true);
    const still = settleTracker('clear', ['A'], 0, { A: 'MASTER' });
    expect(still.observe(snap({ A: 'MASTER' }, 200), 700)).toBe(false);
    expect(still.observe(snap({ A: 'MASTER' }, 200), 800)).toBe(true);
  });
});

describe('renderChange', () => {
  const base: ChangeReport = {
    action: 'demote',
    instance: 'VI_1',
    result: {
      instances: ['VI_1', 'VI_LONGER'],
      previous: { VI_1: null, VI_LONGER: null },
      current: {
        VI_1: { kind: 'demote', priority: 1, setAt: '2026-01-01T12:00:00Z', expiresAt: '2026-01-01T12:30:00Z' },
        VI_LONGER: { kind: 'demote', priority: 1, setAt: '2026-01-01T12:00:00Z', expiresAt: '2026-01-01T12:30:00Z' },
      },
    },
    forMs: 1_800_000,
    before: { VI_1: 'MASTER', VI_LONGER: 'MASTER' },
    after: { VI_1: 'BACKUP', VI_LONGER: 'BACKUP' },
    settled: true,
    elapsedMs: 1234,
    waitMs: 10_000,
  };

  it('one line per group member, then the verdict', () => {
    expect(renderChange(base, now)).toEqual({
      ok: true,
      lines: [
        'demote VI_1 for 30m (sync group: VI_1, VI_LONGER)',
        '  VI_1       override none -> demote 30m left (1)  state MASTER -> BACKUP',
        '  VI_LONGER  override none -> demote 30m left (1)  state MASTER -> BACKUP',
        'settled at BACKUP after 1.2s',
      ],
    });
  });

  it('not settled: says where each member is, with a hint, and fails', () => {
    const r = renderChange({ ...base, settled: false, after: { VI_1: 'MASTER', VI_LONGER: 'BACKUP' }, elapsedMs: 10_050 }, now);
    expect(r.ok).toBe(false);
    expect(r.lines.at(-1)).toBe('did not settle at BACKUP within 10.0s: VI_1 MASTER, VI_LONGER BACKUP; is a peer up to take over? (demote --fault releases the VIPs without one)');
    expect(r.lines[1]).toContain('state MASTER (unchanged)');
  });

  it('--wait 0 succeeds without waiting', () => {
    const r = renderChange({ ...base, settled: false, waitMs: 0 }, now);
    expect(r).toMatchObject({ ok: true });
    expect(r.lines.at(-1)).toBe('not waiting for the state to settle (--wait 0)');
  });
});
