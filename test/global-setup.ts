// One build before any test file runs. Test files never run tsc themselves: tsc rewrites dist/ in
// place, and a daemon another file starts at that moment reads half-written modules.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** dist/ is older than a source, or missing. */
export function distStale(): boolean {
  const stamp = join(ROOT, 'oclif.manifest.json');
  const built = join(ROOT, 'dist', 'commands', 'reload.js');
  if (!existsSync(stamp) || !existsSync(built)) return true;
  const t = Math.min(statSync(stamp).mtimeMs, statSync(built).mtimeMs);
  return ['src', 'commands', 'bench'].some((d) => existsSync(join(ROOT, d)) && newest(join(ROOT, d)) > t);
}

export default function setup(): void {
  if (distStale()) {
    // `npm test` has built already; this serves `npx vitest run FILE` after an edit.
    // flock: two vitest runs in one checkout must not interleave two builds.
    const r = spawnSync('flock', [join(tmpdir(), 'keepalivedctl-build.lock'), 'npm', 'run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) console.warn(`npm run build reported problems (tsc still emits dist/):\n${r.stdout}${r.stderr}`);
  }
  if (!existsSync(join(ROOT, 'build', 'Release', 'keepalived_net.node')) || !existsSync(join(ROOT, 'build', 'Release', 'keepalived_sys.node'))) {
    const r = spawnSync('npm', ['rebuild', '--foreground-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`building the native addons failed:\n${r.stdout}${r.stderr}`);
  }
}
