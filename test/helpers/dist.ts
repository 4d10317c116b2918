// Tests run the compiled code; test/global-setup.ts builds it once before any file starts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Throws, naming the file, when a compiled module the test needs is missing. */
export function requireDist(...paths: string[]): void {
  for (const p of ['dist/commands/reload.js', ...paths]) {
    if (!existsSync(join(ROOT, p))) throw new Error(`${p} is missing: run \`npm run build\` (vitest's global setup should have)`);
  }
}
