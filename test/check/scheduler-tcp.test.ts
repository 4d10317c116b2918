// TCP_CHECK's probe on real loopback sockets, both ways of connecting (the bare libuv handle and the
// net.Socket fallback): up, refused, bindto/bind_port, bad addresses, and the scheduler (real clock)
// timing out a connect that never completes from its own deadline queue, then stopping cleanly.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckScheduler, type SchedulerChange } from '../../src/check/scheduler.js';
import { defaultTcpProbeMode, TcpProbe, tcpWrap, type TcpProbeMode } from '../../src/check/tcp.js';
import type { CheckerEntry, ConnectTarget, RealServerEntry } from '../../src/check/types.js';
import { sharedBatch } from '../../src/check/tcp-batch.js';
import { hangingListener } from './servers.js';

function once(target: ConnectTarget, mode: TcpProbeMode): Promise<{ ok: boolean; detail: string; probe: TcpProbe }> {
  return new Promise((resolve) => {
    const probe: TcpProbe = new TcpProbe(target, (ok, detail) => resolve({ ok, detail, probe }), mode);
    const bad = probe.start();
    if (bad) resolve({ ok: false, detail: bad, probe });
  });
}

let srv: net.Server;
let port = 0;
let closedPort = 0;
const peers: string[] = [];

beforeAll(async () => {
  srv = net.createServer((c) => {
    peers.push(`${c.remoteAddress}:${c.remotePort}`);
    c.on('error', () => undefined);
    c.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  port = (srv.address() as net.AddressInfo).port;
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as net.AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));

// The batch prober (the default when the addon is built) has its own tests: tcp-batch*.test.ts.
it('TCP_CHECK uses the batch prober when the addon has it, else the TCP handle binding, unless told otherwise', () => {
  expect(tcpWrap()).toBeDefined();
  const env = process.env.KEEPALIVED_TCP_CHECK;
  expect(defaultTcpProbeMode()).toBe(env === 'socket' ? 'socket' : env === 'handle' || !sharedBatch() ? 'handle' : 'batch');
});

describe.each(['handle', 'socket'] as const)('TcpProbe (%s)', (mode) => {
  it('up when the port accepts, refused when closed; the same probe runs again', async () => {
    const up = await once({ ip: '127.0.0.1', port, timeoutMs: 1000 }, mode);
    expect(up).toMatchObject({ ok: true, detail: `TCP connection to 127.0.0.1:${port} succeeded` });
    expect(up.probe.mode).toBe(mode);
    const down = await once({ ip: '127.0.0.1', port: closedPort, timeoutMs: 1000 }, mode);
    expect(down).toMatchObject({ ok: false, detail: `TCP connection to 127.0.0.1:${closedPort} failed: refused` });
    let runs = 0;
    await new Promise<void>((resolve) => {
      const p = new TcpProbe({ ip: '127.0.0.1', port, timeoutMs: 1000 }, (ok) => {
        expect(ok).toBe(true);
        if (++runs < 3) expect(p.start()).toBeUndefined();
        else resolve();
      }, mode);
      expect(p.start()).toBeUndefined();
    });
    expect(runs).toBe(3);
  });

  it('binds bindto and bind_port', async () => {
    const bindPort = 20000 + Math.floor(Math.random() * 20000);
    const r = await once({ ip: '127.0.0.1', port, timeoutMs: 1000, bindto: '127.0.0.2', bindPort }, mode);
    expect(r.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 50));
    expect(peers).toContain(`127.0.0.2:${bindPort}`);
  });

  it('names a bad address or family mismatch at once', async () => {
    expect((await once({ ip: 'not-an-ip', port, timeoutMs: 1000 }, mode)).detail).toBe("connect address 'not-an-ip' is not an IP address");
    expect((await once({ ip: '127.0.0.1', port, timeoutMs: 1000, bindto: '::1' }, mode)).detail).toBe('bindto ::1 is not of the same family as 127.0.0.1');
  });

  it('the scheduler times out a connect that never completes, from its deadline queue', { timeout: 20_000 }, async () => {
    const hang = await hangingListener();
    try {
      const rsKey = `[192.0.2.1]:tcp:80|127.0.0.1:${hang.port}`;
      const entry: CheckerEntry = {
        id: `${rsKey}#0`,
        vsKey: '[192.0.2.1]:tcp:80',
        rsKey,
        spec: { type: 'TCP_CHECK', target: { ip: '127.0.0.1', port: hang.port, timeoutMs: 300 } },
        timing: { delayLoopMs: 60_000, warmupMs: 0, retry: 0, delayBeforeRetryMs: 1000, alpha: false, logAllFailures: false },
        where: 'test:1',
      };
      const rs: RealServerEntry = { vsKey: entry.vsKey, rsKey, addr: '127.0.0.1', port: hang.port, weight: 1, checkers: [entry] };
      const changes: SchedulerChange[] = [];
      const s = new CheckScheduler([rs], {
        run: async () => ({ ok: false, detail: 'run() must not be used', latencyMs: 0 }),
        probe: (e, done) => (e.spec.type === 'TCP_CHECK' ? new TcpProbe(e.spec.target, done, mode) : undefined),
        onChange: (c) => changes.push(c),
      });
      s.start();
      for (let i = 0; i < 100 && changes.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      const c = s.snapshot()[0].checkers[0];
      await s.stop();
      expect(changes.map((x) => [x.kind, x.up])).toEqual([
        ['checker', false],
        ['real-server', false],
      ]);
      expect(c.detail).toBe(`TCP connection to 127.0.0.1:${hang.port} timed out after 0.3s`);
      expect(c.latencyMs).toBeGreaterThanOrEqual(295);
      expect(c.latencyMs).toBeLessThan(5000);
      expect(s.inFlight).toBe(0);
    } finally {
      hang.close();
    }
  });
});
