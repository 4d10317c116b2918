// What the fast path and the oclif commands share without loading oclif (src/control/cli.ts imports
// @oclif/core for its flag definitions and re-exports these): the flag checks, the failure lines, the
// --json failure report, and when the process's surroundings leave oclif's
// behaviour in doubt.
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallFailure } from '../control/client.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** A flag in seconds -> ms; `min0` allows zero. The error names the flag. */
export function secondsFlag(name: string, text: string, min0 = false): Checked<number> {
  const t = text.trim();
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n) || (!min0 && n <= 0) || n > 86_400) {
    return { ok: false, error: `--${name}: '${text}' is not a number of seconds (${min0 ? '0' : 'above 0'} to 86400)` };
  }
  return { ok: true, value: Math.round(n * 1000) };
}

/** The one line for a failed call: not-running and denied stand alone, the rest name the command. */
export function failureLine(command: string, f: CallFailure): string {
  if (f.kind === 'not-running' || f.kind === 'denied') return f.message;
  return `keepalivedctl ${command}: ${f.message}`;
}

/** The machine-readable part of a failure, for --json. */
export function failureDetail(f: CallFailure): Record<string, unknown> {
  return { kind: f.kind, ...(f.code !== undefined ? { code: f.code } : {}), ...(f.data !== undefined ? { data: f.data } : {}) };
}

/** A failure's line on stderr, and under --json `{"error": {...}}` on stdout; sets the exit status. */
export function reportFailureJson(json: boolean, line: string, exit: number, detail: Record<string, unknown> = {}): void {
  process.stderr.write(line + '\n');
  if (json) process.stdout.write(JSON.stringify({ error: { message: line, ...detail } }, null, 2) + '\n');
  process.exitCode = exit;
}

/**
 * Whether oclif would do something here the fast path does not: its debug and scoped environment
 * variables, or a user JSON theme. (Arguments never come from stdin: the commands set ignoreStdin.)
 */
export function oclifWouldDiffer(): boolean {
  const env = process.env;
  if (env.DEBUG || env.CLI_FLAGS_DEBUG) return true;
  for (const k of Object.keys(env)) if (k.startsWith('KEEPALIVEDCTL_') && k !== 'KEEPALIVEDCTL_SOCKET' && k !== 'KEEPALIVEDCTL_FAST_PATH') return true;
  const home = env.HOME || homedir() || tmpdir();
  return existsSync(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'keepalivedctl', 'theme.json'));
}

/** oclif's logJson without a theme: two-space JSON and a newline. */
export function logJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
