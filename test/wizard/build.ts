// Shared by the wizard's CLI tests: build dist when it is missing or older than the sources (test
// files run in parallel must not rewrite dist/ under each other), and run the built CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cliPath = join(repoRoot, 'bin', 'keepalivedctl');

function newest(dir: string, ext: RegExp): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n = Math.max(n, newest(p, ext));
    else if (ext.test(e.name)) n = Math.max(n, statSync(p).mtimeMs);
  }
  return n;
}

export function buildIfStale(): void {
  const built = join(repoRoot, 'dist', 'commands', 'init.js');
  const sources = Math.max(newest(join(repoRoot, 'src'), /\.ts$/), newest(join(repoRoot, 'commands'), /\.ts$/));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const tsc = spawnSync('npx', ['tsc', '-p', '.'], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
  if (tsc.status !== 0) console.warn(`tsc -p . reported problems:\n${tsc.stdout}${tsc.stderr}`);
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
  return new Promise((done) => {
    const child = spawn(process.execPath, [cliPath, 'init', ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Flags for an answer set: arrays become repeated flags. */
export function toFlags(answers: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(answers)) {
    for (const x of Array.isArray(v) ? v : [v]) out.push(`--${k.replaceAll('_', '-')}`, String(x));
  }
  return out;
}
