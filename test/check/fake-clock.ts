// A deterministic clock for scheduler tests: timers fire only when the test advances time.
import type { SchedulerClock } from '../../src/check/scheduler.js';

export class FakeClock implements SchedulerClock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Advances to `to`, firing due timers in time order and letting promises settle in between. */
  async advanceTo(to: number): Promise<void> {
    for (let guard = 0; guard < 100_000; guard++) {
      await flush();
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= to && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.timers.delete(best[0]);
      this.t = Math.max(this.t, best[1].at);
      best[1].fn();
    }
    this.t = to;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
