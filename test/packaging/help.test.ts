// Man-style help for every command: `keepalivedctl <command> --help` has a one-line summary, a
// description of more than one line, at least two examples, and every flag and argument described.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../helpers/dist.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

type Manifest = { commands: Record<string, { description?: string; examples?: string[]; flags: Record<string, { description?: string; hidden?: boolean }>; args?: Record<string, { description?: string }> }> };

function run(argv: string[], timeout = 240_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, COLUMNS: '120' };
  return new Promise((res) =>
    execFile(argv[0]!, argv.slice(1), { cwd: ROOT, timeout, encoding: 'utf8', env }, (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr })),
  );
}

/** The command ids the sources define (commands/x.ts -> x, commands/lab/y.ts -> lab:y). */
function sourceIds(): string[] {
  const ids: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}:`);
      else if (e.name.endsWith('.ts')) ids.push(prefix + e.name.slice(0, -3));
    }
  };
  walk(join(ROOT, 'commands'), '');
  return ids.sort();
}

let manifest: Manifest = { commands: {} };

beforeAll(async () => {
  // vitest's global setup builds dist/ and the manifest once; a manifest missing a command fails below.
  requireDist('oclif.manifest.json');
  const path = join(ROOT, 'oclif.manifest.json');
  manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}, 300_000);

describe('every command has man-style help', () => {
  it('the manifest lists every command the sources define', () => {
    expect(Object.keys(manifest.commands).sort()).toEqual(sourceIds());
  });

  it.each(sourceIds())('%s: summary, description, examples, every flag and argument described', async (id) => {
    const c = manifest.commands[id]!;
    const lines = (c.description ?? '').split('\n');
    expect(lines[0]!.length, 'summary line').toBeGreaterThan(20);
    expect(lines.slice(1).join(' ').trim().length, 'description beyond the summary').toBeGreaterThan(80);
    expect(c.examples?.length ?? 0, 'examples').toBeGreaterThanOrEqual(2);
    for (const [name, f] of Object.entries(c.flags)) if (!f.hidden) expect(f.description, `--${name}`).toBeTruthy();
    for (const [name, a] of Object.entries(c.args ?? {})) expect(a.description, name).toBeTruthy();
    const h = await run([process.execPath, join(ROOT, 'bin', 'keepalivedctl'), ...id.split(':'), '--help'], 60_000);
    expect(h.code, h.stderr).toBe(0);
    for (const section of ['USAGE', 'DESCRIPTION', 'EXAMPLES']) expect(h.stdout).toMatch(new RegExp(`^${section}$`, 'm'));
    expect(h.stdout).toContain(`$ keepalivedctl ${id.replace(':', ' ')}`);
  });
});
