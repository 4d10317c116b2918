// The BFD process's session manager (src/daemon/bfd-service.ts) on a fake clock with fake sockets:
// two services talk through a wire that stamps each datagram's TTL; sessions come Up and are
// reported; a TTL below 255 (single hop, max_hops 0) is dropped and counted; unknown
// discriminators and bogus packets are named drops; a reload keeps an unchanged session Up
// (same discriminator, no Down) and a changed interval is negotiated without a flap; a socket
// that cannot be opened puts the session in AdminDown and is retried.
import { describe, expect, it } from 'vitest';
import type { BfdInstanceConfig } from '../../src/bfd/config.js';
import { encodeBfd } from '../../src/bfd/codec.js';
import { BfdService, type BfdDatagram, type BfdSender } from '../../src/daemon/bfd-service.js';
import type { Logger } from '../../src/daemon/log.js';
import { FakeClock } from '../daemon/fakes.js';

const MS = 1000;
const A = '192.0.2.1';
const B = '192.0.2.2';

const conf = (me: string, peer: string, over: Partial<BfdInstanceConfig> = {}): BfdInstanceConfig => ({
  name: 'b1', neighbor: peer, family: 4, source: me, minRxUs: 50 * MS, minTxUs: 50 * MS, idleTxUs: 1000 * MS, mult: 3,
  passive: false, ttl: 255, maxHops: 0, vrrp: true, checker: true, ...over,
});

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, detail: false, log: (level, m) => void lines.push(`${level}: ${m}`) };
}

class Wire {
  readonly clock = new FakeClock();
  readonly svc: Record<string, BfdService> = {};
  readonly logs: Record<string, ReturnType<typeof recorder>> = {};
  readonly states: { host: string; name: string; up: boolean }[] = [];
  /** TTL the wire delivers with (255: one hop). */
  ttl = 255;
  cut = false;
  failOpen = false;
  private seed = 1;

  add(host: string): BfdService {
    const log = recorder();
    let r = this.seed++;
    const s = new BfdService({
      clock: this.clock,
      log,
      random: () => ((r = (r * 48271) % 2147483647) / 2147483647),
      retryMs: 1000,
      openSender: async (cfg): Promise<BfdSender> => {
        if (this.failOpen) throw new Error('bind() error (EADDRNOTAVAIL)');
        return {
          port: 49152,
          send: (payload, done) => {
            const d: BfdDatagram = { payload: Uint8Array.from(payload), src: host, srcPort: 49152, dst: cfg.neighbor, ttl: this.ttl };
            if (!this.cut) this.clock.at(this.clock.nowUs() + 1 * MS, () => this.svc[cfg.neighbor]?.receive(d));
            done(null);
          },
          close: () => undefined,
        };
      },
      onState: (name, up) => this.states.push({ host, name, up }),
    });
    this.svc[host] = s;
    this.logs[host] = log;
    return s;
  }

  /** Lets socket opens (promises) settle, then runs the clock. */
  async advance(us: number): Promise<void> {
    const settle = () => new Promise<void>((r) => setImmediate(r));
    await settle();
    await this.clock.advance(us, settle);
  }
}

async function upPair(): Promise<Wire> {
  const w = new Wire();
  w.add(A).apply([conf(A, B)]);
  w.add(B).apply([conf(B, A)]);
  await w.advance(3000 * MS);
  return w;
}

describe('BFD service', () => {
  it('sessions come Up, are reported (Down at load, then Up) and logged in keepalived words', async () => {
    const w = await upPair();
    expect(w.svc[A]!.status()[0]).toMatchObject({ name: 'b1', state: 'Up', remoteState: 'Up', txIntervalUs: 50 * MS, detectionTimeUs: 150 * MS });
    expect(w.states.filter((s) => s.host === A).map((s) => s.up)).toEqual([false, true]);
    expect(w.logs[A]!.lines).toContain('info: (b1) Entering Up state');
  });

  it('a cut: Down within the detection time, logged and reported; healed: Up again', async () => {
    const w = await upPair();
    w.cut = true;
    await w.advance(200 * MS);
    expect(w.svc[A]!.status()[0]!.state).toBe('Down');
    expect(w.logs[A]!.lines.some((l) => /^warning: \(b1\) Expired after 1\d\d ms/.test(l))).toBe(true);
    expect(w.logs[A]!.lines).toContain('warning: (b1) Entering Down state (Local diagnostic - Control Detection Time Expired, Remote diagnostic - No Diagnostic)');
    expect(w.states.filter((s) => s.host === A).at(-1)).toEqual({ host: A, name: 'b1', up: false });
    w.cut = false;
    await w.advance(5000 * MS);
    expect(w.svc[A]!.status()[0]!.state).toBe('Up');
  });

  it('single hop: packets whose TTL is not 255 are dropped (named, counted) and the session never comes Up', async () => {
    const w = new Wire();
    w.ttl = 254;
    w.add(A).apply([conf(A, B)]);
    w.add(B).apply([conf(B, A)]);
    await w.advance(5000 * MS);
    expect(w.svc[A]!.status()[0]!.state).toBe('Down');
    expect(w.svc[A]!.dropCounts().ttl).toBeGreaterThan(2);
    // max_hops 1 accepts one router on the way.
    const v = new Wire();
    v.ttl = 254;
    v.add(A).apply([conf(A, B, { maxHops: 1 })]);
    v.add(B).apply([conf(B, A, { maxHops: 1 })]);
    await v.advance(5000 * MS);
    expect(v.svc[A]!.status()[0]!.state).toBe('Up');
  });

  it('bogus and unknown packets are named drops that change nothing', async () => {
    const w = await upPair();
    const s = w.svc[A]!;
    s.receive({ payload: new Uint8Array(10), src: B, srcPort: 1, ttl: 255 });
    const stray = encodeBfd({
      diag: 0, state: 3, poll: false, final: false, cplane: false, auth: false, demand: false, multipoint: false, detectMult: 3,
      myDiscr: 7, yourDiscr: 0xdeadbeef, desiredMinTx: 1, requiredMinRx: 1, requiredMinEchoRx: 0,
    });
    s.receive({ payload: stray, src: '192.0.2.9', srcPort: 1, ttl: 255 });
    expect(s.dropCounts()).toMatchObject({ short: 1, 'no-session': 1 });
    expect(s.status()[0]!.state).toBe('Up');
  });

  it('reload: an unchanged session stays Up with its discriminator; new intervals are negotiated without a flap', async () => {
    const w = await upPair();
    const before = w.svc[A]!.status()[0]!;
    w.svc[A]!.apply([conf(A, B)]);
    await w.advance(2000 * MS);
    const after = w.svc[A]!.status()[0]!;
    expect(after.state).toBe('Up');
    expect(after.localDiscriminator).toBe(before.localDiscriminator);
    w.svc[A]!.apply([conf(A, B, { minRxUs: 200 * MS, minTxUs: 200 * MS })]);
    await w.advance(3000 * MS);
    expect(w.svc[A]!.status()[0]).toMatchObject({ state: 'Up', txIntervalUs: 200 * MS, localDiscriminator: before.localDiscriminator });
    expect(w.svc[B]!.status()[0]).toMatchObject({ state: 'Up', txIntervalUs: 200 * MS, detectionTimeUs: 600 * MS });
    expect(w.logs[A]!.lines.filter((l) => l.includes('Entering Down'))).toHaveLength(0);
    expect(w.logs[B]!.lines.filter((l) => l.includes('Entering Down'))).toHaveLength(0);
    // A new neighbor is a new session; a removed one is gone.
    w.svc[A]!.apply([conf(A, '192.0.2.3', { name: 'b2' })]);
    expect(w.svc[A]!.status().map((x) => [x.name, x.state])).toEqual([['b2', 'Down']]);
  });

  it('no socket: AdminDown, logged; retried until it opens', async () => {
    const w = new Wire();
    w.failOpen = true;
    w.add(A).apply([conf(A, B)]);
    w.add(B).apply([conf(B, A)]);
    await w.advance(10 * MS);
    expect(w.svc[A]!.status()[0]!.state).toBe('AdminDown');
    expect(w.logs[A]!.lines).toContain('err: (b1) Unable to open output socket, disabling instance');
    w.failOpen = false;
    await w.advance(5000 * MS);
    expect(w.svc[A]!.status()[0]!.state).toBe('Up');
  });
});
