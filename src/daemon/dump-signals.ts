// keepalived's signal functions (`keepalived --signum=NAME`) with the numbers keepalived 2.2.7 uses
// on Linux/glibc: DATA SIGUSR1, STATS SIGUSR2, RELOAD SIGHUP, STOP SIGTERM, JSON SIGRTMIN+2 (36),
// STATS_CLEAR SIGRTMAX-1 (63). glibc's SIGRTMIN is 34 (two real-time signals are NPTL's).
export const SIGRTMIN_GLIBC = 34;
export const SIGRTMAX_GLIBC = 64;

export const SIGNUMS = {
  STOP: 15,
  RELOAD: 1,
  DATA: 10,
  STATS: 12,
  STATS_CLEAR: SIGRTMAX_GLIBC - 1,
  JSON: SIGRTMIN_GLIBC + 2,
} as const;

export type SigFunc = keyof typeof SIGNUMS;

/** The number for a signal function name, or null (keepalived: "Unknown sigfunc NAME", exit 1). */
export function signumOf(name: string): number | null {
  return Object.prototype.hasOwnProperty.call(SIGNUMS, name) ? SIGNUMS[name as SigFunc] : null;
}
