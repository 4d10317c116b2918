// The TCP_CHECK batch prober (native/tcpcheck.c through src/check/tcp-batch.ts) against real loopback
// listeners: up, refused, IPv6, timeout (native deadline and the scheduler's), bind failures, the
// same details as TcpProbe's other paths, cancel/restart, 10,000 targets in one batch with every fd
// given back, and bad input refused with a message (never a throw or a crash).
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckScheduler, type SchedulerChange } from '../../src/check/scheduler.js';
import { checkOnce, sharedBatch, TB_BIND, TB_CONNECT, TB_TIMEOUT, TB_UP, TcpBatch, TcpBatchProbe } from '../../src/check/tcp-batch.js';
import { TcpProbe } from '../../src/check/tcp.js';
import type { CheckerEntry, ConnectTarget, RealServerEntry } from '../../src/check/types.js';
import { loadNative } from '../../src/net/native.js';
import { hangingListener } from './servers.js';

const CHILD = join(import.meta.dirname, 'tcp-batch-child.mjs');

/** Runs tcp-batch-child.mjs (optionally in a namespace) and returns its JSON line. */
function runChild(input: object, ns?: string): Record<string, unknown> {
  const argv = ns ? ['ip', 'netns', 'exec', ns, 'node', CHILD] : ['node', CHILD];
  const r = spawnSync(argv[0]!, argv.slice(1), { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function listen(host: string, port = 0, backlog = 4096): Promise<net.Server> {
  const s = net.createServer({ pauseOnConnect: true }, (c) => {
    c.on('error', () => undefined);
    c.destroy();
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host, port, backlog }, () => resolve(s));
  });
}
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;
const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** A port on `host` with nothing listening (bound once by the kernel, then closed). */
async function closedPort(host: string): Promise<number> {
  const s = await listen(host);
  const p = portOf(s);
  await close(s);
  return p;
}

let batch: TcpBatch;
let srv4: net.Server;
let port4 = 0;
let refused4 = 0;

beforeAll(async () => {
  const b = TcpBatch.open();
  if (typeof b === 'string') throw new Error(`the batch prober is needed here: ${b}`);
  batch = b;
  srv4 = await listen('127.0.0.1');
  port4 = portOf(srv4);
  refused4 = await closedPort('127.0.0.1');
});
afterAll(async () => {
  batch?.close();
  await close(srv4);
});

describe('batch prober on loopback', () => {
  it('up and refused, with TcpProbe\'s details; elapsed measured in C', async () => {
    const [up, down] = await checkOnce(batch, [
      { ip: '127.0.0.1', port: port4, timeoutMs: 2000 },
      { ip: '127.0.0.1', port: refused4, timeoutMs: 2000 },
    ]);
    expect(up).toMatchObject({ ok: true, code: TB_UP, errno: 0, detail: `TCP connection to 127.0.0.1:${port4} succeeded` });
    expect(down).toMatchObject({ ok: false, code: TB_CONNECT, detail: `TCP connection to 127.0.0.1:${refused4} failed: refused` });
    expect(up!.elapsedMs).toBeGreaterThan(0);
    expect(up!.elapsedMs).toBeLessThan(2000);
    // The same targets through the bare handle path read the same.
    for (const [t, want] of [[{ ip: '127.0.0.1', port: port4, timeoutMs: 2000 }, up!.detail], [{ ip: '127.0.0.1', port: refused4, timeoutMs: 2000 }, down!.detail]] as const) {
      const detail = await new Promise<string>((r) => {
        const p = new TcpProbe(t, (_ok, d) => r(d), 'handle');
        const bad = p.start();
        if (bad) r(bad);
      });
      expect(detail).toBe(want);
    }
  });

  it('IPv6: up on [::1], refused on a closed port', async () => {
    const s6 = await listen('::1');
    try {
      const refused6 = await closedPort('::1');
      const [up, down] = await checkOnce(batch, [
        { ip: '::1', port: portOf(s6), timeoutMs: 2000 },
        { ip: '::1', port: refused6, timeoutMs: 2000 },
      ]);
      expect(up).toMatchObject({ ok: true, detail: `TCP connection to [::1]:${portOf(s6)} succeeded` });
      expect(down).toMatchObject({ ok: false, detail: `TCP connection to [::1]:${refused6} failed: refused` });
    } finally {
      await close(s6);
    }
  });

  it('times out a connect that never completes at connect_timeout (the addon\'s own deadline)', { timeout: 20_000 }, async () => {
    const hang = await hangingListener();
    try {
      const t0 = performance.now();
      const [r] = await checkOnce(batch, [{ ip: '127.0.0.1', port: hang.port, timeoutMs: 300 }]);
      const wall = performance.now() - t0;
      expect(r).toMatchObject({ ok: false, code: TB_TIMEOUT, detail: `TCP connection to 127.0.0.1:${hang.port} timed out after 0.3s` });
      expect(r!.elapsedMs).toBeGreaterThanOrEqual(299);
      expect(wall).toBeLessThan(3000);
      expect(batch.stats().pending).toBe(0);
    } finally {
      hang.close();
    }
  });

  it('bindto and bind_port are bound: a port already taken on that address fails the check with bind\'s error', async () => {
    const taken = await listen('127.0.0.2');
    try {
      const p = portOf(taken);
      const [busy, free] = await checkOnce(batch, [
        { ip: '127.0.0.1', port: port4, bindto: '127.0.0.2', bindPort: p, timeoutMs: 2000 },
        { ip: '127.0.0.1', port: port4, bindto: '127.0.0.3', bindPort: p, timeoutMs: 2000 },
      ]);
      expect(busy).toMatchObject({ ok: false, code: TB_BIND, detail: `TCP connection to 127.0.0.1:${port4} failed: bind to 127.0.0.2 port ${p}: Address already in use` });
      expect(free).toMatchObject({ ok: true });
    } finally {
      await close(taken);
    }
  });

  it('a cancelled run reports nothing (queued or in flight); the probe runs again; a restart before the flush runs once', { timeout: 20_000 }, async () => {
    const hang = await hangingListener();
    try {
      const got: [boolean, string][] = [];
      const probe = new TcpBatchProbe(batch, { ip: '127.0.0.1', port: hang.port, timeoutMs: 200 }, (ok, d) => got.push([ok, d]));
      expect(probe.start()).toBeUndefined();
      probe.cancel(); // before the flush: never submitted
      await sleep(0);
      expect(batch.stats().pending).toBe(0);
      expect(probe.start()).toBeUndefined();
      await sleep(0); // submitted now; the connect hangs
      expect(batch.stats().pending).toBe(1);
      probe.cancel();
      expect(batch.stats().pending).toBe(0);
      await sleep(400); // past connect_timeout: no timeout result either
      expect(got).toEqual([]);
      expect(probe.start()).toBeUndefined();
      expect(probe.start()).toBeUndefined();
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(10);
      await sleep(300);
      expect(got).toEqual([[false, `TCP connection to 127.0.0.1:${hang.port} timed out after 0.2s`]]);
      probe.dispose();
      expect(batch.stats().pending).toBe(0);
    } finally {
      hang.close();
    }
  });

  it('10,000 targets in one batch: every result arrives, and every fd comes back', { timeout: 60_000 }, () => {
    // In a process of its own, so the fd count is the prober's alone. 2,000 up (500 per listener,
    // far below each backlog), 8,000 refused; twice over, so the second round reuses pooled sockets.
    const targets = Array.from({ length: 10_000 }, (_, i) => ({ ip: '127.0.0.1', port: i < 2000 ? { listener: i % 4 } : { closed: '127.0.0.1' }, timeoutMs: 10_000 }));
    const r = runChild({ listen: ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1'], targets, repeat: 2 });
    const outcomes = r.outcomes as { ok: boolean; detail: string }[];
    expect(outcomes.length).toBe(10_000);
    expect(outcomes.filter((o) => o.ok).length).toBe(2000);
    const closedPort = (r.ports as number[])[2000];
    expect(outcomes.slice(2000).every((o) => o.detail === `TCP connection to 127.0.0.1:${closedPort} failed: refused`)).toBe(true);
    expect(r.pooledBusy).toBeGreaterThan(0); // sockets kept for reuse right after the round
    expect(r.fdsIdle).toBe(r.fdsBefore); // ... and closed once idle
    expect(r.fdsClosed).toBe((r.fdsBefore as number) - 1); // the epoll fd
    expect(r.stats).toMatchObject({ targets: 0, pending: 0 });
  });

  it('a probe dropped while idle gives its target slot back when collected; one in flight is kept until it reports', () => {
    const mod = join(import.meta.dirname, '../../dist/src/check/tcp-batch.js');
    const script = `
      const { TcpBatch, TcpBatchProbe } = await import(${JSON.stringify(mod)});
      const b = TcpBatch.open();
      let reported = 0;
      (() => { for (let i = 0; i < 1000; i++) new TcpBatchProbe(b, { ip: '127.0.0.1', port: 9, timeoutMs: 100 }, () => undefined); })();
      (() => { new TcpBatchProbe(b, { ip: '127.0.0.1', port: 9, timeoutMs: 100 }, () => reported++).start(); })();
      const before = b.stats().targets;
      for (let i = 0; i < 40 && (b.stats().targets > 0 || reported === 0); i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 25)); }
      console.log(JSON.stringify({ before, after: b.stats().targets, reported }));`;
    const r = spawnSync('node', ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ before: 1001, after: 0, reported: 1 });
  });

  it('the scheduler drives batch probes: down at the connect deadline, the target slot given back at stop', { timeout: 20_000 }, async () => {
    const hang = await hangingListener();
    try {
      const rsKey = `[192.0.2.1]:tcp:80|127.0.0.1:${hang.port}`;
      const entry: CheckerEntry = {
        id: `${rsKey}#0`,
        vsKey: '[192.0.2.1]:tcp:80',
        rsKey,
        spec: { type: 'TCP_CHECK', target: { ip: '127.0.0.1', port: hang.port, timeoutMs: 300 } },
        timing: { delayLoopMs: 60_000, warmupMs: 0, retry: 0, delayBeforeRetryMs: 100, alpha: false, logAllFailures: false },
        where: 'test:1',
      };
      const rs: RealServerEntry = { vsKey: entry.vsKey, rsKey, addr: '127.0.0.1', port: hang.port, weight: 1, checkers: [entry] };
      const changes: SchedulerChange[] = [];
      const probes: TcpProbe[] = [];
      const s = new CheckScheduler([rs], {
        run: async () => ({ ok: false, detail: 'run() must not be used', latencyMs: 0 }),
        probe: (e, done) => {
          const p = new TcpProbe((e.spec as { target: ConnectTarget }).target, done, 'batch');
          probes.push(p);
          return p;
        },
        onChange: (c) => changes.push(c),
      });
      const t0 = performance.now();
      s.start();
      for (let i = 0; i < 100 && changes.length < 2; i++) await sleep(50);
      const c = s.snapshot()[0]!.checkers[0]!;
      const targetsBefore = sharedBatch()!.stats().targets;
      await s.stop();
      expect(probes[0]!.mode).toBe('batch');
      expect(changes.map((x) => [x.kind, x.up])).toEqual([
        ['checker', false],
        ['real-server', false],
      ]);
      expect(c.detail).toBe(`TCP connection to 127.0.0.1:${hang.port} timed out after 0.3s`);
      expect(c.runs).toBe(1);
      expect(c.latencyMs).toBeGreaterThanOrEqual(295);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
      expect(s.inFlight).toBe(0);
      // stop() gave the target slot back.
      expect(sharedBatch()!.stats().targets).toBe(targetsBefore - 1);
      expect(sharedBatch()!.stats().pending).toBe(0);
    } finally {
      hang.close();
    }
  });
});

describe('bad input is refused with a message, never a throw', () => {
  it('targets the checker could be given', async () => {
    const cases: [ConnectTarget, string][] = [
      [{ ip: 'not-an-ip', port: 80, timeoutMs: 1000 }, "connect address 'not-an-ip' is not an IP address"],
      [{ ip: '127.0.0.1', port: 0, timeoutMs: 1000 }, 'connect port 0 of 127.0.0.1 is not 1-65535'],
      [{ ip: '127.0.0.1', port: 65536, timeoutMs: 1000 }, 'connect port 65536 of 127.0.0.1 is not 1-65535'],
      [{ ip: '127.0.0.1', port: 80, timeoutMs: -1 }, 'connect_timeout -1 ms is not a number >= 0'],
      [{ ip: '127.0.0.1', port: 80, timeoutMs: Number.NaN }, 'connect_timeout NaN ms is not a number >= 0'],
      [{ ip: '127.0.0.1', port: 80, timeoutMs: 1000, bindto: '::1' }, 'bindto ::1 is not of the same family as 127.0.0.1'],
      [{ ip: '127.0.0.1', port: 80, timeoutMs: 1000, bindPort: 70000 }, 'bind_port 70000 is not 0-65535'],
      [{ ip: '127.0.0.1', port: 80, timeoutMs: 1000, fwmark: 2 ** 32 }, 'fwmark 4294967296 is not an integer 0-4294967295'],
      [{ ip: '127.0.0.1', port: 80, timeoutMs: 1000, bindIf: 'x'.repeat(16) }, `bind_if '${'x'.repeat(16)}' is not an interface name`],
    ];
    const out = await checkOnce(batch, cases.map((c) => c[0]));
    out.forEach((o, i) => expect(o).toMatchObject({ ok: false, code: -1, detail: cases[i]![1] }));
    // Through TcpProbe (the scheduler's object) the message comes from start().
    expect(new TcpProbe({ ip: '127.0.0.1', port: 0, timeoutMs: 1000 }, () => undefined, 'batch').start()).toBe('connect port 0 of 127.0.0.1 is not 1-65535');
  });

  it('the addon itself refuses wrong arguments as values', () => {
    const loaded = loadNative();
    if (!loaded.ok) throw new Error(loaded.error);
    const a = loaded.addon as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(a.tcpBatchOpen!()).toMatchObject({ ok: false, error: 'tcpBatchOpen: expects (callback)' });
    const open = a.tcpBatchOpen!(() => undefined) as { ok: true; handle: unknown };
    const h = open.handle;
    const add = (...args: unknown[]): unknown => a.tcpBatchAdd!(h, ...args);
    expect(add('127.0.0.1', 80, null, 0, null, 0)).toMatchObject({ ok: false, error: expect.stringContaining('expects') });
    expect(add('127.0.0.1', 0, null, 0, null, 0, 100)).toMatchObject({ ok: false, error: 'tcpBatchAdd: port must be an integer 1-65535' });
    expect(add('127.0.0.1', 65536, null, 0, null, 0, 100)).toMatchObject({ ok: false, error: 'tcpBatchAdd: port must be an integer 1-65535' });
    expect(add('127.0.0.1', 80, null, 0, null, 0, -5)).toMatchObject({ ok: false, error: 'tcpBatchAdd: timeoutMs must be a positive integer' });
    expect(add('127.0.0.1', 80, null, 0, null, -1, 100)).toMatchObject({ ok: false, error: 'tcpBatchAdd: mark must be an integer 0-4294967295' });
    expect(add('bogus', 80, null, 0, null, 0, 100)).toMatchObject({ ok: false, error: "tcpBatchAdd: 'bogus' is not an IP address" });
    expect(add('a\0b', 80, null, 0, null, 0, 100)).toMatchObject({ ok: false, error: 'tcpBatchAdd: address must be an IP address string' });
    expect(add('127.0.0.1', 80, '::1', 0, null, 0, 100)).toMatchObject({ ok: false, error: "tcpBatchAdd: bind address '::1' is not an IP address of 127.0.0.1's family" });
    expect(add(42, 80, null, 0, null, 0, 100)).toMatchObject({ ok: false });
    // Not a batch handle: refused, whatever it is.
    for (const bad of [undefined, null, {}, 1, 'x']) {
      expect(a.tcpBatchAdd!(bad, '127.0.0.1', 80, null, 0, null, 0, 100)).toMatchObject({ ok: false, error: 'tcpBatchAdd: not an open batch handle' });
      expect(a.tcpBatchSubmit!(bad, new Uint32Array(2), 1)).toBe(-1);
      expect(a.tcpBatchCancel!(bad, 0)).toBe(false);
      expect(a.tcpBatchRemove!(bad, 0)).toBe(false);
    }
    // Submit: wrong array type, a count past the array, unknown ids (skipped).
    expect(a.tcpBatchSubmit!(h, new Int32Array(2), 1)).toBe(-1);
    expect(a.tcpBatchSubmit!(h, new Uint32Array(2), 2)).toBe(-1);
    expect(a.tcpBatchSubmit!(h, new Uint32Array([999, 1]), 1)).toBe(0);
    expect(a.tcpBatchCancel!(h, 999)).toBe(false);
    expect(a.tcpBatchRemove!(h, -1)).toBe(false);
    expect(a.tcpBatchClose!(h)).toMatchObject({ ok: true });
    expect(add('127.0.0.1', 80, null, 0, null, 0, 100)).toMatchObject({ ok: false, error: 'tcpBatchAdd: not an open batch handle' });
    expect(a.tcpBatchClose!(h)).toMatchObject({ ok: true }); // twice: harmless
  });
});
