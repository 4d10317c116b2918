// CPU time of this process, in ms. Tests that guard against runaway (non-linear) inputs bound CPU
// time, not wall time: on a shared, loaded machine wall time is some multiple of it, which says nothing
// about the code. Performance targets themselves live in the benchmarks.
export function cpuMs(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

/** Runs fn and returns its result with the CPU ms it took (this process, all threads). */
export function withCpuMs<T>(fn: () => T): { value: T; ms: number } {
  const c0 = process.cpuUsage();
  const value = fn();
  return { value, ms: cpuMs(c0) };
}
