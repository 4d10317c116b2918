// The runtime's clock: microseconds on a monotonic scale (the state machine's unit) and one-shot
// timers at an absolute deadline. Tests substitute a fake that they advance by hand.
import { performance } from 'node:perf_hooks';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic microseconds. */
  nowUs(): number;
  /** Wall-clock time, for ISO timestamps and override expiry. */
  wallMs(): number;
  /** Calls fn once at (or just after) `atUs`. */
  at(atUs: number, fn: () => void): TimerHandle;
}

/** The real clock: performance.now (monotonic) and Node timers; a timer firing early re-arms itself. */
export function realClock(): Clock {
  const nowUs = () => Math.floor(performance.now() * 1000);
  const at = (atUs: number, fn: () => void): TimerHandle => {
    let t: NodeJS.Timeout | null = null;
    let cancelled = false;
    const arm = () => {
      const delayMs = Math.max(0, Math.ceil((atUs - nowUs()) / 1000));
      t = setTimeout(() => {
        if (cancelled) return;
        if (nowUs() < atUs) arm(); // libuv's ms clock can run ahead of performance.now by < 1 ms
        else fn();
      }, delayMs);
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        if (t) clearTimeout(t);
      },
    };
  };
  return { nowUs, wallMs: () => Date.now(), at };
}
