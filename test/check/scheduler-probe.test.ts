// Direct probes (TCP_CHECK's path) on a fake clock: started by the scheduler, timed out from its one
// deadline queue, cancelled on stop; the lag report when checks start late; the deadline heap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap, type Deadline } from '../../src/check/schedule-core.js';
import { CheckScheduler, type SchedulerChange, type SchedulerLag } from '../../src/check/scheduler.js';
import type { CheckerEntry, CheckerTiming, DirectProbe, ProbeDone, RealServerEntry } from '../../src/check/types.js';
import { FakeClock } from './fake-clock.js';

function servers(n: number, t: Partial<CheckerTiming> = {}): RealServerEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const rsKey = `[192.0.2.1]:tcp:80|198.51.100.${i}:80`;
    const entry: CheckerEntry = {
      id: `${rsKey}#0`,
      vsKey: '[192.0.2.1]:tcp:80',
      rsKey,
      spec: { type: 'TCP_CHECK', target: { ip: `198.51.100.${i}`, port: 80, timeoutMs: 300 } },
      timing: { delayLoopMs: 1000, warmupMs: 0, retry: 0, delayBeforeRetryMs: 200, alpha: false, logAllFailures: false, ...t },
      where: 'test:1',
    };
    return { vsKey: entry.vsKey, rsKey, addr: `198.51.100.${i}`, port: 80, weight: 1, checkers: [entry] };
  });
}

/** A probe the test completes by hand; records starts and cancels. */
class ManualProbe implements DirectProbe {
  readonly timeoutMs = 300;
  readonly timeoutDetail = 'timed out after 0.3s';
  starts: number[] = [];
  cancels = 0;
  syncError: string | undefined;
  constructor(
    readonly done: ProbeDone,
    private readonly clock: FakeClock,
  ) {}
  start(): string | undefined {
    this.starts.push(this.clock.now());
    return this.syncError;
  }
  cancel(): void {
    this.cancels++;
  }
}

const noRun = async (): Promise<never> => {
  throw new Error('a checker with a probe must not go through run()');
};

describe('CheckScheduler direct probes', () => {
  it('times a probe out from its own deadline queue, keeps a completed one, ignores a late done', async () => {
    const clock = new FakeClock();
    const probes: ManualProbe[] = [];
    const changes: Array<SchedulerChange & { at: number }> = [];
    const s = new CheckScheduler(servers(2), {
      clock,
      tickMs: 0,
      run: noRun,
      probe: (_e, done) => {
        const p = new ManualProbe(done, clock);
        probes.push(p);
        return p;
      },
      onChange: (c) => changes.push({ ...c, at: clock.now() }),
    });
    s.start();
    await clock.advanceTo(0);
    expect(probes.map((p) => p.starts)).toEqual([[0], [0]]);
    expect(s.inFlight).toBe(2);
    await clock.advanceTo(50);
    probes[0].done(true, 'connected');
    await clock.advanceTo(299);
    expect(changes).toEqual([]);
    await clock.advanceTo(300); // probe 1's deadline: cancelled and down (retry 0)
    expect(probes[1].cancels).toBe(1);
    expect(probes[0].cancels).toBe(0);
    expect(changes.map((c) => [c.kind, c.up, c.at])).toEqual([
      ['checker', false, 300],
      ['real-server', false, 300],
    ]);
    expect(s.snapshot()[1].checkers[0]).toMatchObject({ up: false, detail: 'timed out after 0.3s', latencyMs: 300 });
    probes[1].done(true, 'too late'); // after cancel: ignored
    expect(s.results().get(servers(2)[1].rsKey)).toEqual({ up: false, weight: 1 });
    expect(s.inFlight).toBe(0);
    await clock.advanceTo(1300);
    // Next runs planned from each completion: 50 + 1000 and 300 + 1000.
    expect(probes.map((p) => p.starts)).toEqual([
      [0, 1050],
      [0, 1300],
    ]);
    await s.stop();
    expect(probes[0].cancels + probes[1].cancels).toBe(3); // stop cancels both runs in flight
    await clock.advanceTo(5000);
    expect(probes[0].starts.length + probes[1].starts.length).toBe(4);
  });

  it('a failure found at start is a result at once; the next run follows delay_loop', async () => {
    const clock = new FakeClock();
    let probe!: ManualProbe;
    const s = new CheckScheduler(servers(1), {
      clock,
      run: noRun,
      probe: (_e, done) => (probe = new ManualProbe(done, clock)),
    });
    probe.syncError = "connect address 'x' is not an IP address";
    s.start();
    await clock.advanceTo(10);
    expect(s.snapshot()[0]).toMatchObject({ up: false, checkers: [{ detail: "connect address 'x' is not an IP address", runs: 1 }] });
    expect(s.inFlight).toBe(0);
    await clock.advanceTo(1010);
    expect(probe.starts).toEqual([0, 1000]);
    await s.stop();
  });
});

describe('CheckScheduler lag', () => {
  it('reports checks starting late (behind), then once caught up; never runs a checker twice at once', async () => {
    const clock = new FakeClock();
    const lags: Array<SchedulerLag & { at: number }> = [];
    const pending: ProbeDone[] = [];
    const starts = new Map<number, number>();
    const probesMade: number[] = [];
    let slow = true;
    const s = new CheckScheduler(servers(5, { delayLoopMs: 100 }), {
      clock,
      tickMs: 0,
      maxInFlight: 1,
      lagThresholdMs: 150,
      lagReportMs: 1000,
      run: noRun,
      probe: (_e, done) => {
        const i = probesMade.push(0) - 1;
        return {
          timeoutMs: 10_000,
          timeoutDetail: 'timeout',
          start: () => {
            starts.set(i, (starts.get(i) ?? 0) + 1);
            if (slow) pending.push(done);
            else queueMicrotask(() => done(true, 'ok'));
            return undefined;
          },
          cancel: () => undefined,
        };
      },
      onLag: (l) => lags.push({ ...l, at: clock.now() }),
    });
    s.start();
    // One slot, 5 checkers due every 100 ms, each run takes 100 ms: a full round takes 500 ms.
    for (let t = 100; t <= 2000; t += 100) {
      await clock.advanceTo(t);
      pending.shift()?.(true, 'ok');
    }
    expect(s.inFlight).toBeLessThanOrEqual(1);
    expect(lags.length).toBeGreaterThan(0);
    expect(lags[0]).toMatchObject({ behind: true });
    expect(lags[0].maxLagMs).toBeGreaterThan(150);
    const st = s.stats();
    expect(st.lateRuns).toBeGreaterThan(0);
    expect(st.maxLagMs).toBeGreaterThan(150);
    // Each checker waits in the queue once: the backlog never exceeds the number of checkers.
    expect(st.waiting).toBeLessThanOrEqual(5);
    slow = false;
    pending.splice(0).forEach((d) => d(true, 'ok'));
    for (let t = 2100; t <= 5000; t += 100) await clock.advanceTo(t);
    expect(lags.at(-1)).toMatchObject({ behind: false, lateRuns: 0 });
    expect(lags.filter((l) => !l.behind)).toHaveLength(1);
    await s.stop();
  });
});

describe('DeadlineHeap', () => {
  it('pops in (due, push order) with removals, like a sorted list', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('push', 'pop', 'remove'), fc.nat(20), fc.nat(9)), { maxLength: 200 }), (ops) => {
        type Item = Deadline & { id: number };
        const items: Item[] = Array.from({ length: 10 }, (_, id) => ({ id, due: 0, seq: 0, heapIndex: -1 }));
        const h = new DeadlineHeap<Item>();
        let model: Array<{ id: number; due: number; order: number }> = [];
        let order = 0;
        for (const [op, due, id] of ops) {
          if (op === 'push') {
            h.push(items[id], due); // re-push moves the item
            model = model.filter((m) => m.id !== id);
            model.push({ id, due, order: order++ });
          } else if (op === 'remove') {
            h.remove(items[id]);
            model = model.filter((m) => m.id !== id);
          } else {
            model.sort((a, b) => a.due - b.due || a.order - b.order);
            expect(h.pop()?.id).toBe(model.shift()?.id);
          }
          expect(h.size).toBe(model.length);
        }
        for (const it of items) expect(it.heapIndex >= 0).toBe(model.some((m) => m.id === it.id));
      }),
    );
  });
});
