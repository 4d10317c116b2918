// MISC_CHECK (check_misc.c): runs misc_path without a shell; exit 0 is up, anything else down.
// With misc_dynamic, exit 2-255 is up with weight (exit - 2) and 1 is down. A script still running
// after misc_timeout (default: delay_loop) gets SIGTERM on its process group, SIGKILL 2 s later,
// and counts as a failure ("timed out").
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { splitCommandLine } from '../config/lexer.js';
import { errText, failure, success, type CheckDeps, type CheckResult, type MiscSpec } from './types.js';

/** keepalived gives a terminated script this long to go before SIGKILL. */
export const MISC_KILL_GRACE_MS = 2000;

/** Splits misc_path's value as keepalived does for every script line (src/config/lexer.ts). */
export function splitCommand(text: string): { ok: true; argv: string[] } | { ok: false; error: string } {
  const r = splitCommandLine(text);
  if ('error' in r) return { ok: false, error: r.error };
  return r.argv.length ? { ok: true, argv: r.argv } : { ok: false, error: 'misc_path is empty' };
}

/** What an exit status means (pure). */
export function miscVerdict(code: number, dynamic: boolean): { ok: boolean; weight?: number } {
  if (code === 0) return { ok: true };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, weight: code - 2 };
  return { ok: false };
}

/** uid/gid of a user (and group) name from /etc/passwd and /etc/group; numbers pass through. */
export function lookupUser(user: string, group?: string): { uid: number; gid: number } | { error: string } {
  const field = (file: string, name: string, idx: number): number | undefined => {
    if (/^\d+$/.test(name)) return Number(name);
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const f = line.split(':');
        if (f[0] === name) return Number(f[idx]);
      }
    } catch {
      return undefined;
    }
    return undefined;
  };
  const uid = field('/etc/passwd', user, 2);
  if (uid === undefined) return { error: `unknown user '${user}'` };
  const gid = group !== undefined ? field('/etc/group', group, 2) : field('/etc/passwd', user, 3);
  if (gid === undefined) return { error: `unknown group '${group ?? user}'` };
  return { uid, gid };
}

export function runMiscCheck(spec: MiscSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const name = spec.argv[0] ?? '';
  if (!name) return Promise.resolve(failure('MISC_CHECK has no misc_path', started, deps.now));
  let ids: { uid: number; gid: number } | undefined;
  if (spec.user) {
    const r = lookupUser(spec.user, spec.group);
    if ('error' in r) return Promise.resolve(failure(`MISC_CHECK ${name}: ${r.error}`, started, deps.now));
    ids = r;
  }
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (r: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      deps.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const signalGroup = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const terminate = (): void => {
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), MISC_KILL_GRACE_MS);
      killTimer.unref();
    };
    const onAbort = (): void => terminate();
    const child = spawn(name, spec.argv.slice(1), {
      stdio: 'ignore',
      detached: true, // its own process group, so a timeout kills whatever it started too
      uid: ids?.uid,
      gid: ids?.gid,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, Math.min(spec.timeoutMs, 2_147_483_647));
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => finish(failure(`MISC_CHECK ${name} cannot run: ${errText(e)}`, started, deps.now)));
    child.on('exit', (code, sig) => {
      // Whatever it left behind in its group goes with it.
      if (sig === 'SIGTERM') signalGroup('SIGKILL');
      if (timedOut) return finish(failure(`MISC_CHECK ${name} timed out after ${spec.timeoutMs / 1000}s`, started, deps.now));
      if (sig) return finish(failure(`MISC_CHECK ${name} failed due to signal ${sig}`, started, deps.now));
      const v = miscVerdict(code ?? 0, spec.dynamic);
      if (!v.ok) return finish(failure(`MISC_CHECK ${name} exited with status ${code}`, started, deps.now));
      const w = v.weight !== undefined ? ` (weight ${v.weight})` : '';
      finish(success(`MISC_CHECK ${name} exited with status ${code}${w}`, started, deps.now, v.weight));
    });
  });
}
