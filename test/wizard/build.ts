// Shared by the wizard's CLI tests: build dist when it is missing or older than the sources (test
// files run in parallel must not rewrite dist/ under each other), and run the built CLI.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireDist } from '../helpers/dist.js';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cliPath = join(repoRoot, 'bin', 'keepalivedctl');

/** dist/ exists (vitest's global setup builds it once). */
export async function buildIfStale(): Promise<void> {
  requireDist('dist/commands/init.js');
}

function run(cmd: string, args: string[], timeoutMs: number, cwd = repoRoot, env = process.env): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/keepalivedctl init ARGS` with stdin a pipe (not a terminal). Asynchronous, so the test
 * worker's event loop stays free while a loaded machine runs the CLI; killed after 60 s.
 */
export function init(args: string[], cwd = repoRoot): Promise<CliRun> {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  return run(process.execPath, [cliPath, 'init', ...args], 60_000, cwd, env);
}

/** Flags for an answer set: arrays become repeated flags. */
export function toFlags(answers: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(answers)) {
    for (const x of Array.isArray(v) ? v : [v]) out.push(`--${k.replaceAll('_', '-')}`, String(x));
  }
  return out;
}
