import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, applyResult, initialState, planStarts, TimerHeap } from '../../src/check/schedule-core.js';
import type { CheckerTiming } from '../../src/check/types.js';

const timing = (o: Partial<CheckerTiming> = {}): CheckerTiming => ({
  delayLoopMs: 10_000,
  warmupMs: 10_000,
  retry: 2,
  delayBeforeRetryMs: 1_000,
  alpha: false,
  logAllFailures: false,
  ...o,
});
const ok = { ok: true, detail: 'fine', latencyMs: 1 };
const bad = { ok: false, detail: 'refused', latencyMs: 1 };

describe('applyResult (keepalived retry rules)', () => {
  it('a first failure marks down at once (retry_it starts at retry)', () => {
    const s = applyResult(initialState(timing()), timing(), bad, 0);
    expect(s.state.isUp).toBe(false);
    expect(s.changed).toBe(true);
    expect(s.delayMs).toBe(10_000);
  });

  it('once up, a failure retries `retry` times after delay_before_retry, then marks down', () => {
    const t = timing();
    let s = applyResult(initialState(t), t, ok, 0).state;
    const r1 = applyResult(s, t, bad, 1);
    expect([r1.state.isUp, r1.delayMs, r1.state.retryIt]).toEqual([true, 1000, 1]);
    const r2 = applyResult(r1.state, t, bad, 2);
    expect([r2.state.isUp, r2.delayMs, r2.state.retryIt]).toEqual([true, 1000, 2]);
    const r3 = applyResult(r2.state, t, bad, 3);
    expect([r3.state.isUp, r3.changed, r3.delayMs]).toEqual([false, true, 10_000]);
    s = applyResult(r3.state, t, bad, 4).state; // down: no retries, plain delay_loop
    expect(s.retryIt).toBe(0);
    const back = applyResult(s, t, ok, 5);
    expect([back.state.isUp, back.changed]).toEqual([true, true]);
  });

  it('a success in the middle of retries resets them without a flip', () => {
    const t = timing();
    const up = applyResult(initialState(t), t, ok, 0).state;
    const r1 = applyResult(up, t, bad, 1).state;
    const r2 = applyResult(r1, t, ok, 2);
    expect([r2.state.retryIt, r2.changed, r2.delayMs]).toEqual([0, false, 10_000]);
  });

  it('alpha starts down and comes up on the first success', () => {
    const t = timing({ alpha: true });
    const s0 = initialState(t);
    expect(s0.isUp).toBe(false);
    expect(applyResult(s0, t, bad, 0).changed).toBe(false);
    expect(applyResult(s0, t, ok, 0).changed).toBe(true);
  });

  it('weight changes of an up checker are reported without a flip', () => {
    const t = timing();
    const a = applyResult(initialState(t), t, { ...ok, weight: 5 }, 0).state;
    const b = applyResult(a, t, { ...ok, weight: 7 }, 1);
    expect([b.changed, b.weightChanged, b.state.weight]).toEqual([false, true, 7]);
  });

  it('property: never up after retry+1 consecutive failures, and never down right after a success', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), (seq, retry, alpha) => {
        const t = timing({ retry, alpha });
        let s = initialState(t);
        let streak = 0;
        for (const good of seq) {
          s = applyResult(s, t, good ? ok : bad, 0).state;
          streak = good ? 0 : streak + 1;
          if (good) expect(s.isUp).toBe(true);
          if (streak >= retry + 1) expect(s.isUp).toBe(false);
        }
      }),
    );
  });
});

describe('planStarts', () => {
  it('spreads checkers sharing a warmup evenly, one per slot', () => {
    const offs = planStarts(new Array(10).fill(1000), () => 0.5);
    expect(offs).toEqual([50, 150, 250, 350, 450, 550, 650, 750, 850, 950]);
  });

  it('keeps every offset within its warmup, whatever the random source gives', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), (ws, r) => {
        const offs = planStarts(ws, () => r);
        offs.forEach((o, i) => {
          expect(o).toBeGreaterThanOrEqual(0);
          expect(o).toBeLessThan(ws[i] === 0 ? 1e-9 : ws[i]);
        });
      }),
    );
  });

  it('warmup 0 starts at once', () => {
    expect(planStarts([0, 0], () => 0.7)).toEqual([0, 0]);
  });
});

describe('aggregate', () => {
  const st = (isUp: boolean, weight?: number) => ({ ...initialState(timing()), isUp, weight });
  it('is up only when every checker is up', () => {
    expect(aggregate(3, [st(true), st(true)]).up).toBe(true);
    expect(aggregate(3, [st(true), st(false)]).up).toBe(false);
    expect(aggregate(3, []).up).toBe(true);
  });
  it('sums dynamic weight changes around the base, never below 0', () => {
    expect(aggregate(10, [st(true, 4), st(true)]).weight).toBe(4);
    expect(aggregate(10, [st(true, 4), st(true, 12)]).weight).toBe(6);
    expect(aggregate(1, [st(true, 0), st(true, 0), st(true, 0)]).weight).toBe(0);
  });
});

describe('TimerHeap', () => {
  it('pops in due order, FIFO among equal dues', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (dues) => {
        const h = new TimerHeap<number>();
        dues.forEach((d, i) => h.push(d, i));
        const out: number[] = [];
        for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
        const want = dues.map((d, i) => [d, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((p) => p[1]);
        expect(out).toEqual(want);
      }),
    );
  });
});
