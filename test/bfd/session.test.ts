// The pure BFD session state machine on a fake clock: two sessions joined by a simulated wire
// (1 ms delay, can be cut) come Up, negotiate their intervals through Poll/Final, detect a cut
// within the detection time, come back, and honour passive, jitter, AdminDown and reconfiguration.
import { describe, expect, it } from 'vitest';
import { BfdState, Diag, type BfdPacket } from '../../src/bfd/codec.js';
import { BfdSession, type SessionConfig, type StateChange } from '../../src/bfd/session.js';

const MS = 1000;
const cfg = (over: Partial<SessionConfig> = {}): SessionConfig => ({
  name: 's', minRxUs: 50 * MS, minTxUs: 50 * MS, idleTxUs: 1000 * MS, mult: 3, passive: false, ...over,
});

/** A deterministic PRNG (mulberry32) so jitter is random but repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let discr = 1000;
const deps = (seed: number) => ({ random: prng(seed), newDiscr: () => ++discr });

interface Sent {
  at: number;
  from: 0 | 1;
  p: BfdPacket;
}

/** Two sessions and a wire between them, run event by event in time order. */
class Pair {
  now = 0;
  readonly s: [BfdSession, BfdSession];
  readonly sent: Sent[] = [];
  readonly changes: { at: number; who: 0 | 1; c: StateChange }[] = [];
  private readonly inFlight: { at: number; to: 0 | 1; p: BfdPacket }[] = [];
  cut = false;
  delayUs = 1 * MS;

  constructor(a: SessionConfig, b: SessionConfig, seed = 1) {
    this.s = [new BfdSession(a, deps(seed)), new BfdSession(b, deps(seed + 1))];
  }

  start(): void {
    this.s[0].start(this.now);
    this.s[1].start(this.now);
  }

  private out(who: 0 | 1, o: { packets: BfdPacket[]; changes: StateChange[] }): void {
    for (const c of o.changes) this.changes.push({ at: this.now, who, c });
    for (const p of o.packets) {
      this.sent.push({ at: this.now, from: who, p });
      if (!this.cut) this.inFlight.push({ at: this.now + this.delayUs, to: (1 - who) as 0 | 1, p });
    }
  }

  /** Runs every event up to `until` (us); bounded in steps. */
  run(until: number): void {
    for (let steps = 0; steps < 1_000_000; steps++) {
      const d0 = this.s[0].nextDeadline();
      const d1 = this.s[1].nextDeadline();
      const wire = this.inFlight.reduce((m, f) => Math.min(m, f.at), Infinity);
      const next = Math.min(d0 ?? Infinity, d1 ?? Infinity, wire);
      if (next > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, next);
      if (wire === next) {
        const i = this.inFlight.findIndex((f) => f.at === next);
        const f = this.inFlight.splice(i, 1)[0]!;
        this.out(f.to, this.s[f.to].receive(f.p, this.now));
      } else {
        const who = d0 === next ? 0 : 1;
        this.out(who, this.s[who].due(this.now));
      }
    }
    throw new Error('simulation did not settle');
  }

  bothUp(): boolean {
    return this.s[0].localState === BfdState.Up && this.s[1].localState === BfdState.Up;
  }
}

describe('BFD session', () => {
  it('two active sessions come Up, then Poll/Final moves them from idle_tx to the negotiated interval', () => {
    const w = new Pair(cfg({ minTxUs: 50 * MS, minRxUs: 80 * MS }), cfg({ minTxUs: 30 * MS, minRxUs: 60 * MS }));
    w.start();
    w.run(3000 * MS);
    expect(w.bothUp()).toBe(true);
    const [a, b] = w.s;
    // Our interval is max(our desired min TX, the peer's required min RX).
    expect(a.localTxUs).toBe(60 * MS);
    expect(b.localTxUs).toBe(80 * MS);
    // Detection time is the peer's multiplier times max(our required min RX, its desired min TX).
    expect(a.localDetectUs).toBe(3 * 80 * MS);
    expect(b.localDetectUs).toBe(3 * 60 * MS);
    expect(w.sent.some((x) => x.p.poll)).toBe(true);
    expect(w.sent.some((x) => x.p.final)).toBe(true);
    expect(w.sent.every((x) => !(x.p.poll && x.p.final))).toBe(true);
    // Up is reported to VRRP/checkers; Init is not.
    const ups = w.changes.filter((c) => c.c.to === BfdState.Up);
    expect(ups.map((c) => c.who).sort()).toEqual([0, 1]);
    expect(ups.every((c) => c.c.notify)).toBe(true);
    expect(w.changes.filter((c) => c.c.to === BfdState.Init).every((c) => !c.c.notify)).toBe(true);
    // Not Up: desired min TX advertised as idle_tx (RFC 5880 6.8.3); Up: min_tx.
    for (const x of w.sent) expect(x.p.desiredMinTx).toBe(x.p.state === BfdState.Up ? w.s[x.from].cfg.minTxUs : 1000 * MS);
  });

  it('a cut is detected within the detection time, with diag Expired; healed, both come Up again', () => {
    const w = new Pair(cfg(), cfg());
    w.start();
    w.run(3000 * MS);
    expect(w.bothUp()).toBe(true);
    const detect = w.s[0].localDetectUs;
    expect(detect).toBe(150 * MS);
    w.cut = true;
    const t0 = w.now;
    w.run(t0 + 1000 * MS);
    const downs = w.changes.filter((c) => c.at > t0 && c.c.to === BfdState.Down);
    expect(downs.map((d) => d.who).sort()).toEqual([0, 1]);
    for (const d of downs) {
      expect(d.c.diag).toBe(Diag.Expired);
      expect(d.c.notify).toBe(true);
      expect(d.c.expired!.deadUs).toBeGreaterThanOrEqual(detect);
      // Within the detection time of the last packet received (+ the 1 ms wire).
      expect(d.at - t0).toBeLessThanOrEqual(detect + 1 * MS);
    }
    w.cut = false;
    const t1 = w.now;
    w.run(t1 + 5000 * MS);
    expect(w.bothUp()).toBe(true);
    // A new discriminator after Up -> Down (late packets of the old session are not taken for it).
    expect(new Set(w.sent.filter((x) => x.from === 0).map((x) => x.p.myDiscr)).size).toBeGreaterThan(1);
  });

  it('one side gone: the other goes Down and, a detection time later, forgets the peer (reset)', () => {
    const w = new Pair(cfg(), cfg());
    w.start();
    w.run(3000 * MS);
    w.cut = true;
    w.run(w.now + 5000 * MS);
    const a = w.s[0];
    expect(a.localState).toBe(BfdState.Down);
    expect(a.remoteDiscr).toBe(0);
    expect(a.remoteState).toBe(BfdState.Down);
    expect(a.resetAt).toBeNull();
    // Down: back to the idle interval.
    const last = w.sent.filter((x) => x.from === 0).slice(-3);
    expect(last[2]!.at - last[1]!.at).toBeGreaterThanOrEqual(750 * MS);
    expect(last.every((x) => x.p.state === BfdState.Down && x.p.yourDiscr === 0)).toBe(true);
  });

  it('passive: sends nothing until the peer speaks, then comes Up', () => {
    const w = new Pair(cfg({ passive: true }), cfg({ passive: true }));
    w.start();
    w.run(5000 * MS);
    expect(w.sent).toHaveLength(0);
    const v = new Pair(cfg({ passive: true }), cfg());
    v.start();
    v.run(4000 * MS);
    expect(v.bothUp()).toBe(true);
    const first0 = v.sent.find((x) => x.from === 0)!;
    const first1 = v.sent.find((x) => x.from === 1)!;
    expect(first0.at).toBeGreaterThan(first1.at);
  });

  it('jitter: intervals are 75-100 % of the negotiated one, at most 90 % with detect mult 1', () => {
    for (const mult of [3, 1]) {
      const w = new Pair(cfg({ mult }), cfg({ mult }), 7);
      w.start();
      w.run(2000 * MS);
      const t0 = w.now;
      w.run(t0 + 3000 * MS);
      const mine = w.sent.filter((x) => x.from === 0 && x.at > t0 && !x.p.final && !x.p.poll).map((x) => x.at);
      const gaps = mine.slice(1).map((t, i) => t - mine[i]!).filter((g) => g > 5 * MS); // Final answers are extra
      expect(gaps.length).toBeGreaterThan(30);
      const tx = w.s[0].localTxUs;
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(tx * 0.75);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(mult === 1 ? tx * 0.9 : tx);
      expect(new Set(gaps).size).toBeGreaterThan(5); // jittered, not constant
    }
  });

  it('reconfigure with new intervals starts a Poll; the new rate applies after the Final', () => {
    const w = new Pair(cfg(), cfg());
    w.start();
    w.run(3000 * MS);
    const t0 = w.now;
    w.s[0].reconfigure(cfg({ minTxUs: 200 * MS, minRxUs: 200 * MS }), w.now);
    w.run(t0 + 2000 * MS);
    const poll = w.sent.find((x) => x.from === 0 && x.at >= t0 && x.p.poll);
    expect(poll?.p.desiredMinTx).toBe(200 * MS);
    const fin = w.sent.find((x) => x.from === 1 && x.at >= poll!.at && x.p.final);
    expect(fin).toBeDefined();
    expect(w.s[0].localTxUs).toBe(200 * MS);
    expect(w.s[1].localTxUs).toBe(200 * MS); // the peer now honours our required min RX
    expect(w.s[1].localDetectUs).toBe(3 * 200 * MS);
    expect(w.bothUp()).toBe(true);
  });

  it('the peer saying AdminDown takes us Down (Neighbor Signaled Session Down) without notifying', () => {
    const w = new Pair(cfg(), cfg());
    w.start();
    w.run(3000 * MS);
    const a = w.s[0];
    const out = a.receive({ ...w.sent.filter((x) => x.from === 1).at(-1)!.p, state: BfdState.AdminDown, diag: Diag.AdminDown, poll: false, final: false }, w.now);
    expect(out.changes).toHaveLength(1);
    expect(out.changes[0]).toMatchObject({ from: BfdState.Up, to: BfdState.Down, diag: Diag.NeighborDown, notify: false });
  });

  it('AdminDown (no socket) sends nothing and takes no packets; adminUp starts again', () => {
    const s = new BfdSession(cfg(), deps(3));
    s.start(0);
    const c = s.adminDown();
    expect(c).toMatchObject({ to: BfdState.AdminDown, diag: Diag.AdminDown });
    expect(s.nextDeadline()).toBeNull();
    expect(s.due(10_000 * MS).packets).toHaveLength(0);
    s.adminUp(20_000 * MS);
    expect(s.localState).toBe(BfdState.Down);
    expect(s.due(20_000 * MS).packets).toHaveLength(1);
  });
});
