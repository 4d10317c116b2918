// keepalivedctl events' core: each event type as one human line and as NDJSON, and the stream loop
// against the real control server (fake daemon): --count, --timeout, Ctrl-C, daemon gone, no daemon.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeEvent, humanLine, jsonLine, plainPaint, streamEvents, type EventPaint } from '../../src/control/events-render.js';
import { startFakeDaemon, type FakeDaemon } from '../../src/control/fake-daemon.js';
import type { DaemonEvent } from '../../src/control/protocol.js';

const at = '2026-01-02T03:04:05.000Z';
const tr = { from: 'BACKUP' as const, to: 'MASTER' as const, at, reason: 'master down timer expired' };
const samples: [DaemonEvent, string][] = [
  [{ type: 'transition', instance: 'VI_1', transition: tr }, 'VI_1 BACKUP -> MASTER (master down timer expired)'],
  [{ type: 'group-transition', group: 'G', transition: { ...tr, to: 'FAULT', reason: 'member VI_2 FAULT' } }, 'group G BACKUP -> FAULT (member VI_2 FAULT)'],
  [{ type: 'priority', instance: 'VI_1', effective: 80 }, 'VI_1 effective priority 80'],
  [{ type: 'master-rx-lower-pri', instance: 'VI_1' }, 'VI_1 MASTER received an advert with a lower priority'],
  [{ type: 'track', instance: 'VI_1', track: { name: 'chk', kind: 'script', weight: -20, status: false } }, 'VI_1 track script chk down (weight -20)'],
  [{ type: 'track', instance: 'VI_1', track: { name: '/f', kind: 'file', weight: 2, status: 7 } }, 'VI_1 track file /f value 7 (weight 2)'],
  [{ type: 'track', instance: 'VI_1', track: { name: 'p', kind: 'process', weight: 0, status: 'init' } }, 'VI_1 track process p init (weight 0)'],
  [{ type: 'override', instance: 'VI_1', override: { kind: 'promote', priority: 254, setAt: at, expiresAt: at } }, `VI_1 override promote (priority 254, until ${at})`],
  [{ type: 'override', instance: 'VI_1', override: null }, 'VI_1 override cleared'],
  [{ type: 'checker', virtualServer: '[192.0.2.10]:tcp:80', realServer: '192.0.2.21:80', checker: 'HTTP_GET', up: false, detail: 'status 500' }, '[192.0.2.10]:tcp:80 real server 192.0.2.21:80 HTTP_GET down (status 500)'],
  [{ type: 'reload', ok: true }, 'reload applied'],
  [{ type: 'reload', ok: false, detail: 'configuration has errors' }, 'reload refused: configuration has errors'],
];

describe('event lines', () => {
  it.each(samples)('%j', (e, text) => {
    expect(describeEvent(e)).toBe(text);
    expect(humanLine(e, new Date(at))).toBe(`${at} ${text}`);
    const j = JSON.parse(jsonLine(e, new Date(at))) as Record<string, unknown>;
    expect(j).toEqual({ time: at, ...e });
    expect(jsonLine(e, new Date(at))).not.toContain('\n');
  });

  it('an event type from a newer daemon still prints', () => {
    expect(describeEvent({ type: 'future', x: 1 } as unknown as DaemonEvent)).toBe('future {"type":"future","x":1}');
  });

  it('paints states and up/down only through the paint it is given', () => {
    const tag: EventPaint = { state: (s, t) => `<${s}>${t}`, good: (s) => `+${s}`, bad: (s) => `-${s}`, dim: (s) => s, bold: (s) => s };
    expect(describeEvent(samples[0]![0], tag)).toBe('VI_1 <BACKUP>BACKUP -> <MASTER>MASTER (master down timer expired)');
    expect(describeEvent(samples[4]![0], tag)).toContain('-down');
    expect(describeEvent(samples[4]![0], plainPaint)).not.toMatch(/\x1b\[/);
  });
});

describe('streamEvents against the control server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaev-'));
  const daemons: FakeDaemon[] = [];
  let n = 0;
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fake = async () => {
    const path = join(dir, `s${++n}.sock`);
    const d = await startFakeDaemon({ path });
    daemons.push(d);
    return { d, path };
  };
  const collect = (lines: string[]) => (l: string) => lines.push(l);

  it('--count ends after N events, each written as it comes', async () => {
    const { d, path } = await fake();
    const lines: string[] = [];
    const p = streamEvents({ socket: path, timeoutMs: 2000, count: 2, format: (e) => jsonLine(e, new Date(at)), write: collect(lines), signal: new AbortController().signal });
    await until(() => d.server.connections() > 0);
    await new Promise((r) => setTimeout(r, 250));
    for (let k = 0; k < 3; k++) d.server.broadcast({ type: 'priority', instance: 'VI_1', effective: 100 + k });
    expect(await p).toEqual({ exit: 0, ended: 'count' });
    expect(lines.map((l) => JSON.parse(l).effective)).toEqual([100, 101]);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
  });

  it('--timeout ends with exit 0; Ctrl-C too', async () => {
    const { path } = await fake();
    const t0 = Date.now();
    expect(await streamEvents({ socket: path, timeoutMs: 2000, durationMs: 200, format: (e) => jsonLine(e, new Date()), write: () => undefined, signal: new AbortController().signal })).toEqual({ exit: 0, ended: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    const ac = new AbortController();
    const p = streamEvents({ socket: path, timeoutMs: 2000, format: (e) => jsonLine(e, new Date()), write: () => undefined, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    expect(await p).toEqual({ exit: 0, ended: 'interrupted' });
  });

  it('a daemon that goes away, or none at all, is one line and exit 1', async () => {
    const { d, path } = await fake();
    const p = streamEvents({ socket: path, timeoutMs: 2000, format: (e) => jsonLine(e, new Date()), write: () => undefined, signal: new AbortController().signal });
    await until(() => d.server.connections() > 0);
    await new Promise((r) => setTimeout(r, 250));
    await d.close();
    daemons.splice(daemons.indexOf(d), 1);
    const r = await p;
    expect(r.exit).toBe(1);
    if (r.exit === 1) expect(r.error).toMatch(/^keepalivedctl events: the daemon went away/);
    const none = await streamEvents({ socket: join(dir, 'nobody.sock'), timeoutMs: 2000, format: (e) => jsonLine(e, new Date()), write: () => undefined, signal: new AbortController().signal });
    expect(none).toEqual({ exit: 1, error: `keepalived is not running (no control socket at ${join(dir, 'nobody.sock')})` });
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
