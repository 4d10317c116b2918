// README shows, for each init template, the command and the node-1 file it writes: re-run each command
// here and compare, so the README never shows output the wizard no longer makes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale, init, repoRoot } from './build.js';

beforeAll(buildIfStale, 200_000);

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const shown = [...readme.matchAll(/<details><summary><code>([\w-]+)<\/code>: (\S+)<\/summary>\n\n```sh\n([\s\S]*?)```\n\n`\2`:\n\n```\n([\s\S]*?)```/g)].map((m) => ({
  template: m[1],
  file: m[2],
  command: m[3],
  text: m[4],
}));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `keepalivedctl init --a b \` lines -> argv (the README's commands use plain words only). */
function argvOf(command: string): string[] {
  const words = command.replace(/\\\n/g, ' ').trim().split(/\s+/);
  expect(words.slice(0, 2)).toEqual(['keepalivedctl', 'init']);
  return words.slice(2);
}

describe('README: what each init template writes', () => {
  it('shows every template, once', () => {
    expect(shown.map((s) => s.template).sort()).toEqual(readdirSync(join(repoRoot, 'templates')).sort());
  });

  for (const s of shown) {
    it(`${s.template}: the command writes exactly ${s.file}`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'kactl-readme-'));
      dirs.push(cwd);
      const r = await init(argvOf(s.command), cwd);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(readFileSync(join(cwd, s.file), 'utf8')).toBe(s.text);
    }, 90_000);
  }
});
