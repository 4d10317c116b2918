// The built CLI, run as a user runs it: `node bin/keepalivedctl validate ...` with pipes (not a TTY).
import { runAsync } from './run-async.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDist } from '../helpers/dist.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kaeng-cli-'));

beforeAll(async () => {
  requireDist('dist/commands/validate.js');
}, 200_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function cli(args: string[], input?: string) {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  const r = await runAsync(process.execPath, [join(repoRoot, 'bin', 'keepalivedctl'), 'validate', ...args], {
    cwd: repoRoot,
    input: input ?? '',
    env,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

const broken = [
  'vrrp_instance VI_1 {',
  '\tinterface eth0',
  '  virtual_router_id 51',
  '  priorty 100',
  '  priority 300',
  '  virtual_ipaddress {',
  '    192.0.2.10/24',
  '  }',
  '}',
  '',
].join('\n');
const clean = broken.replace('  priorty 100\n', '').replace('priority 300', 'priority 100');
const warnOnly = clean.replace('  priority 100', '  priority 100\n  priority 100');

describe('keepalivedctl validate (built CLI)', () => {
  it('human output: file:line:col severity code message, then the source line and a caret', async () => {
    const f = file('broken.conf', broken);
    const r = await cli([f]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const i = lines.indexOf(`${f}:4:3 error unknown-keyword unknown keyword 'priorty' in vrrp_instance; did you mean 'priority'? (suggestion: priority)`);
    expect(i, r.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[i + 1]).toBe('    priorty 100');
    expect(lines[i + 2]).toBe('    ^');
    const j = lines.findIndex((l) => l.startsWith(`${f}:5:12 error value-out-of-range `));
    expect(j, r.stdout).toBeGreaterThan(i);
    expect(lines[j + 1]).toBe('    priority 300');
    expect(lines[j + 2]).toBe(`  ${' '.repeat(11)}^`);
    expect(r.stdout).toMatch(/2 errors, 0 warnings/);
  });

  it('writes no ANSI colour codes when stdout is not a TTY', async () => {
    const r = await cli([file('broken.conf', broken)]);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.all).not.toMatch(/\x1b\[/);
  });

  it('a clean file exits 0', async () => {
    const r = await cli([file('clean.conf', clean)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 errors, 0 warnings/);
  });

  it('--strict turns warnings into exit 1', async () => {
    const f = file('warn.conf', warnOnly);
    const plain = await cli([f]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(`${f}:5:3 warning duplicate-keyword `);
    expect((await cli([f, '--strict'])).code).toBe(1);
  });

  it('--format json has exactly the documented shape', async () => {
    const f = file('broken.conf', broken);
    const r = await cli([f, '--format', 'json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['valid', 'errors', 'warnings', 'diagnostics']);
    expect(j).toMatchObject({ valid: false, errors: 2, warnings: 0 });
    expect(j.diagnostics[0]).toEqual({
      severity: 'error',
      code: 'unknown-keyword',
      file: f,
      line: 4,
      column: 3,
      message: expect.stringContaining('priorty'),
      suggestion: 'priority',
    });
    // No suggestion: the key is absent, not null.
    expect(Object.keys(j.diagnostics[1])).toEqual(['severity', 'code', 'file', 'line', 'column', 'message']);
  });

  it('--json (oclif) prints the same object', async () => {
    const f = file('broken.conf', broken);
    const a = JSON.parse((await cli([f, '--format', 'json'])).stdout);
    const r = await cli([f, '--json']);
    expect(JSON.parse(r.stdout)).toEqual(a);
    expect(r.code).toBe(1);
  });

  it('--format sarif is SARIF 2.1.0: version, rules, results with ruleId, level and locations', async () => {
    const f = file('broken.conf', broken);
    const r = await cli([f, '--format', 'sarif']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/sarif/);
    expect(s.runs).toHaveLength(1);
    const driver = s.runs[0].tool.driver;
    expect(typeof driver.name).toBe('string');
    const ruleIds = driver.rules.map((x: { id: string }) => x.id);
    expect(ruleIds).toEqual(['unknown-keyword', 'value-out-of-range']);
    for (const rule of driver.rules) expect(rule.shortDescription.text.length).toBeGreaterThan(5);
    expect(s.runs[0].results).toHaveLength(2);
    for (const res of s.runs[0].results) {
      expect(ruleIds).toContain(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(typeof res.message.text).toBe('string');
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe(f);
    }
    expect(s.runs[0].results[1].locations[0].physicalLocation.region).toEqual({ startLine: 5, startColumn: 12 });
  });

  it('reads the config from stdin with -', async () => {
    const r = await cli(['-', '--format', 'json'], broken);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.diagnostics.map((d: { file: string; line: number }) => [d.file, d.line])).toEqual([
      ['<stdin>', 4],
      ['<stdin>', 5],
    ]);
    const human = await cli(['-'], broken);
    expect(human.stdout).toContain('<stdin>:4:3 error unknown-keyword');
    expect(human.stdout).toContain('    priorty 100\n    ^');
    expect((await cli(['-'], clean)).code).toBe(0);
  });

  it('a missing file: exit 2, a message naming it, no stack trace', async () => {
    const missing = join(dir, 'does-not-exist.conf');
    const r = await cli([missing]);
    expect(r.code).toBe(2);
    const lines = r.all.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toContain(missing);
    expect(lines[0]).toContain('file-unreadable');
    expect(r.all).not.toMatch(/^\s+at /m);
    expect(r.all).not.toMatch(/Error:|node:internal/);
    const j = await cli([missing, '--format', 'json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).diagnostics).toEqual([expect.objectContaining({ code: 'file-unreadable', file: missing })]);
  });

  it('several files are checked as one cluster, and --cluster DIR reads a directory', async () => {
    const node = (prio: number) => clean.replace('priority 100', `priority ${prio}`);
    const a = file('lb1.conf', node(100));
    const b = file('lb2.conf', node(100));
    const r = await cli([a, b, '--format', 'json']);
    const j = JSON.parse(r.stdout);
    expect(j.diagnostics.map((d: { code: string; file: string }) => [d.code, d.file])).toEqual([['cluster-equal-priority', b]]);
    expect(r.code).toBe(0);
    const cdir = mkdtempSync(join(dir, 'cluster-'));
    writeFileSync(join(cdir, 'a.conf'), node(100));
    writeFileSync(join(cdir, 'b.conf'), node(100).replace('advert_int', 'x').replace('virtual_router_id 51', 'virtual_router_id 51\n  advert_int 3'));
    const c = JSON.parse((await cli(['--cluster', cdir, '--format', 'json'])).stdout);
    expect(c.diagnostics.map((d: { code: string }) => d.code).sort()).toEqual(['cluster-equal-priority', 'cluster-mismatch']);
  });
  it('--config-id / -i selects the @ID lines', async () => {
    const f = file('id.conf', '@lb1 $P=150\n@^lb1 $P=999\n' + clean.replace('priority 100', 'priority $P'));
    expect((await cli([f, '-i', 'lb1'])).code).toBe(0);
    const other = await cli([f, '--config-id', 'lb2']);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`${f}:6:12 error value-out-of-range`);
  });

  it('--host checks this machine: an interface that does not exist here is an error', async () => {
    const f = file('host.conf', clean.replace('interface eth0', 'interface kaengnosuch0'));
    expect((await cli([f])).code).toBe(0);
    const r = await cli([f, '--host']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${f}:2:2 error interface-missing`);
  });

  it('usage errors exit 2 without a stack trace', async () => {
    for (const args of [['--cluster', join(dir, 'no-such-dir')], [file('x.conf', clean), '--format', 'bogus']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.all.trim().length).toBeGreaterThan(0);
      expect(r.all).not.toMatch(/^\s+at /m);
    }
  });
  it('human output of a cluster finding names the other file and line too', async () => {
    const a = file('h1.conf', clean);
    const b = file('h2.conf', clean);
    const r = await cli([a, b]);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith(`${b}:4:3 warning cluster-equal-priority `));
    expect(i, r.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[i]).toContain(a);
    // The related place, as `  file:line:col: what`, among the lines that follow the finding.
    expect(lines.slice(i + 1, i + 4).some((l) => l.startsWith(`  ${a}:4:3: `)), r.stdout).toBe(true);
  });
});
