import { describe, expect, it } from 'vitest';
import { CheckScheduler, type SchedulerChange } from '../../src/check/scheduler.js';
import type { CheckerEntry, CheckerTiming, CheckResult, RealServerEntry } from '../../src/check/types.js';
import { FakeClock } from './fake-clock.js';

function servers(n: number, t: Partial<CheckerTiming> = {}): RealServerEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const rsKey = `[192.0.2.1]:tcp:80|198.51.100.${i}:80`;
    const entry: CheckerEntry = {
      id: `${rsKey}#0`,
      vsKey: '[192.0.2.1]:tcp:80',
      rsKey,
      spec: { type: 'TCP_CHECK', target: { ip: `198.51.100.${i}`, port: 80, timeoutMs: 1000 } },
      timing: { delayLoopMs: 1000, warmupMs: 1000, retry: 1, delayBeforeRetryMs: 200, alpha: false, logAllFailures: false, ...t },
      where: 'test:1',
    };
    return { vsKey: entry.vsKey, rsKey, addr: `198.51.100.${i}`, port: 80, weight: 1, checkers: [entry] };
  });
}

describe('CheckScheduler on a fake clock', () => {
  it('spreads first runs over the warmup and then runs each checker every delay_loop', async () => {
    const clock = new FakeClock();
    const runs: Array<[string, number]> = [];
    const s = new CheckScheduler(servers(4), {
      clock,
      random: () => 0,
      run: async (e) => {
        runs.push([e.id, clock.now()]);
        return { ok: true, detail: 'ok', latencyMs: 0 };
      },
    });
    s.start();
    await clock.advanceTo(999);
    expect(runs.map((r) => r[1])).toEqual([0, 250, 500, 750]);
    await clock.advanceTo(2999);
    const first = runs.filter((r) => r[0].endsWith('198.51.100.1:80#0')).map((r) => r[1]);
    expect(first).toEqual([250, 1250, 2250]);
    await s.stop();
  });

  it('never has more than maxInFlight checks running; the rest wait in due order', async () => {
    const clock = new FakeClock();
    const pending: Array<() => void> = [];
    let running = 0;
    let peak = 0;
    const s = new CheckScheduler(servers(10, { warmupMs: 0 }), {
      clock,
      maxInFlight: 3,
      run: () =>
        new Promise<CheckResult>((resolve) => {
          running++;
          peak = Math.max(peak, running);
          pending.push(() => {
            running--;
            resolve({ ok: true, detail: 'ok', latencyMs: 5 });
          });
        }),
    });
    s.start();
    await clock.advanceTo(0);
    expect(running).toBe(3);
    for (let i = 0; i < 20 && pending.length; i++) {
      pending.shift()!();
      await clock.advanceTo(clock.now() + 1);
    }
    expect(peak).toBe(3);
    expect(s.peakInFlight).toBe(3);
    await s.stop();
  });

  it('reports a flap: down after retry+1 failures (retries spaced by delay_before_retry), up again on success', async () => {
    const clock = new FakeClock();
    const changes: Array<SchedulerChange & { at: number }> = [];
    let healthy = true;
    const runsAt: number[] = [];
    const s = new CheckScheduler(servers(1, { warmupMs: 0, retry: 2 }), {
      clock,
      run: async () => {
        runsAt.push(clock.now());
        return healthy ? { ok: true, detail: 'connected', latencyMs: 1 } : { ok: false, detail: 'refused', latencyMs: 1 };
      },
      onChange: (c) => changes.push({ ...c, at: clock.now() }),
    });
    s.start();
    await clock.advanceTo(1500); // runs at 0 and 1000: up, no change event (was up)
    expect(changes).toEqual([]);
    healthy = false;
    await clock.advanceTo(2500); // 2000 fails, retry at 2200, 2400 -> down at 2400
    expect(runsAt.filter((t) => t >= 2000)).toEqual([2000, 2200, 2400]);
    expect(changes.map((c) => [c.kind, c.up, c.at])).toEqual([
      ['checker', false, 2400],
      ['real-server', false, 2400],
    ]);
    expect(s.results().get(servers(1)[0].rsKey)).toEqual({ up: false, weight: 1 });
    healthy = true;
    await clock.advanceTo(3500);
    expect(changes.at(-1)).toMatchObject({ kind: 'real-server', up: true, at: 3400 });
    const snap = s.snapshot()[0];
    expect(snap.up).toBe(true);
    expect(snap.checkers[0]).toMatchObject({ up: true, detail: 'connected', failures: 3 });
    await s.stop();
  });

  it('a real server with two checkers is down while either is down; dynamic weight moves it', async () => {
    const clock = new FakeClock();
    const [rs] = servers(1, { warmupMs: 0, retry: 0 });
    rs.weight = 10;
    rs.checkers.push({ ...rs.checkers[0], id: `${rs.rsKey}#1`, spec: { type: 'MISC_CHECK', argv: ['x'], timeoutMs: 1000, dynamic: true } });
    let misc: CheckResult = { ok: true, detail: 'exit 5', latencyMs: 0, weight: 3 };
    const changes: SchedulerChange[] = [];
    const s = new CheckScheduler([rs], {
      clock,
      run: async (e) => (e.spec.type === 'MISC_CHECK' ? misc : { ok: true, detail: 'tcp ok', latencyMs: 0 }),
      onChange: (c) => changes.push(c),
    });
    s.start();
    await clock.advanceTo(10);
    expect(s.results().get(rs.rsKey)).toEqual({ up: true, weight: 3 });
    misc = { ok: false, detail: 'exit 1', latencyMs: 0 };
    await clock.advanceTo(1010);
    expect(s.results().get(rs.rsKey)).toEqual({ up: false, weight: 10 });
    expect(changes.filter((c) => c.kind === 'real-server').map((c) => (c as { up: boolean }).up)).toEqual([true, false]);
    await s.stop();
  });

  it('stop() aborts checks in flight and schedules nothing more', async () => {
    const clock = new FakeClock();
    let aborted = 0;
    let runs = 0;
    const s = new CheckScheduler(servers(3, { warmupMs: 0 }), {
      clock,
      run: (_e, signal) =>
        new Promise<CheckResult>((resolve) => {
          runs++;
          signal.addEventListener('abort', () => {
            aborted++;
            resolve({ ok: false, detail: 'aborted', latencyMs: 0 });
          });
        }),
    });
    s.start();
    await clock.advanceTo(0);
    await s.stop();
    expect(aborted).toBe(3);
    await clock.advanceTo(10_000);
    expect(runs).toBe(3);
  });
});
