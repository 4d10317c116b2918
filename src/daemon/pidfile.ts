// Pid files as keepalived keeps them: one per process, refused when the recorded process is alive,
// removed on exit (only if it still holds our pid, so a successor's file is never removed).
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in a pid file, or null when the file is missing or not a pid. */
export function readPidFile(path: string): number | null {
  try {
    const t = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(t) ? Number(t) : null;
  } catch {
    return null;
  }
}

/** The live process recorded in the file (keepalived's "daemon is already running"), else null. */
export function runningPid(path: string): number | null {
  const pid = readPidFile(path);
  return pid !== null && pid !== process.pid && pidAlive(pid) ? pid : null;
}

export type PidResult = { ok: true } | { ok: false; error: string };

/** Writes `pid` atomically (temp + rename) so a reader never sees a half-written file. */
export function writePidFile(path: string, pid: number = process.pid): PidResult {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${pid}.tmp`;
    writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
    renameSync(tmp, path);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `cannot write pid file ${path}: ${(e as Error).message}` };
  }
}

export function removePidFile(path: string, pid: number = process.pid): void {
  if (readPidFile(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
