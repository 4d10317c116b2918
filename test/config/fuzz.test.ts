// Robustness of the config engine: 10,000 mutated copies of keepalived's sample configs (fast-check
// plus a seeded loop) and named hostile inputs. The engine must never throw, must finish in bounded
// time, and must report what it found as diagnostics with known codes and sane positions.
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CODES } from '../../src/config/codes.js';
import { loadConfig, loadConfigText, type LoadResult, MAX_DIAGNOSTICS } from '../../src/config/index.js';
import { type ConfigSource, decode, MAX_FILE_BYTES } from '../../src/config/source.js';
import { Prng } from '../../src/vrrp/sim/prng.js';
import { cpuMs, withCpuMs } from '../helpers/cpu.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const samplesDir = resolve(repoRoot, '..', 'shared', 'keepalived-samples');
const samples = readdirSync(samplesDir)
  .sort()
  .map((f) => readFileSync(join(samplesDir, f), 'latin1'));

const tmp = mkdtempSync(join(tmpdir(), 'kaeng-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A file system with nothing in it: mutated include lines must not wander over the real disk. */
const emptySource: ConfigSource = {
  read(path) {
    throw Object.assign(new Error(`${path}: does not exist`), { code: 'ENOENT' });
  },
  glob: () => [],
  identity: (p) => p,
  unusable: () => 'does not exist',
};

/** Per-config bound: generous because the 2 cores are shared with other test files. */
const MAX_MS_PER_CONFIG = 3000;

/** Why a result breaks the engine's contract, or undefined when it keeps it. */
function contractBroken(r: LoadResult): string | undefined {
  if (!Array.isArray(r.diagnostics)) return 'diagnostics is not an array';
  if (r.diagnostics.length > MAX_DIAGNOSTICS + 1) return `${r.diagnostics.length} diagnostics, above the cap`;
  let errors = 0;
  for (const d of r.diagnostics) {
    if (!(d.code in CODES)) return `unknown code ${d.code}`;
    if (d.severity !== 'error' && d.severity !== 'warning') return `bad severity ${d.severity}`;
    if (!Number.isInteger(d.line) || d.line < 0 || !Number.isInteger(d.column) || d.column < 0) return `bad position ${d.line}:${d.column}`;
    if (typeof d.message !== 'string' || d.message.length === 0) return 'empty message';
    if (d.severity === 'error') errors++;
  }
  const capped = r.diagnostics.at(-1)?.code === 'too-many-diagnostics';
  if (!capped) {
    if (errors !== r.errors) return `errors=${r.errors} but ${errors} error diagnostics`;
    if (r.errors + r.warnings !== r.diagnostics.length) return 'errors + warnings != diagnostics';
  } else {
    // Counts cover the problems past the cap too; the cap entry is no problem of its own.
    if (r.diagnostics.length !== MAX_DIAGNOSTICS + 1) return `capped at ${r.diagnostics.length - 1}, not ${MAX_DIAGNOSTICS}`;
    if (r.errors + r.warnings <= MAX_DIAGNOSTICS) return 'capped but errors + warnings are not above the cap';
    const shownErrors = errors - (r.diagnostics.at(-1)!.severity === 'error' ? 1 : 0);
    if (r.errors < shownErrors) return `errors=${r.errors} but ${shownErrors} error diagnostics shown`;
  }
  return undefined;
}

/** Every code the fuzzed inputs produced: the mutations must reach many different checks. */
const seenCodes = new Set<string>();

/** Runs the engine on `text`; returns a failure description (and saves the input) or undefined. */
function fuzzOne(text: string, label: string): string | undefined {
  const c0 = process.cpuUsage();
  let r: LoadResult;
  try {
    r = loadConfigText(text, 'fuzz.conf', { source: emptySource, random: () => 0.5, configId: 'lb1' });
  } catch (e) {
    return save(text, label, `threw ${(e as Error)?.stack ?? e}`);
  }
  const ms = cpuMs(c0);
  if (ms > MAX_MS_PER_CONFIG) return save(text, label, `took ${ms.toFixed(0)} ms`);
  for (const d of r.diagnostics) seenCodes.add(d.code);
  const broken = contractBroken(r);
  return broken ? save(text, label, broken) : undefined;
}

function save(text: string, label: string, why: string): string {
  // Kept (outside the repo) so that the failing input can be replayed.
  const p = join(tmpdir(), `keepalivedctl-fuzz-failure-${label}.conf`.replace(/[^\w.-]/g, '_'));
  writeFileSync(p, text, 'latin1');
  return `${label}: ${why} (input saved to ${p})`;
}

// Mutations of a config text, each at a position given as a fraction of the text.
const TOKENS = ['{', '}', '"', '$', '@', '@^lb1 ', '~SEQ(', '~SEQ(i,1,50) ', '~LST(x,a,b) ', '$X=', '$X', '${', '${X}', '\\', '#', '!', '\n', '\0', 'include ', '} {', '"{', '\r\n'];
type Kind = 'flip' | 'delete' | 'dup' | 'insert' | 'truncate';
const KINDS: Kind[] = ['flip', 'delete', 'dup', 'insert', 'truncate'];
interface Mutation {
  kind: Kind;
  at: number;
  byte: number;
  token: number;
}

function lineBounds(text: string, pos: number): [number, number] {
  const start = text.lastIndexOf('\n', pos - 1) + 1;
  const nl = text.indexOf('\n', pos);
  return [start, nl < 0 ? text.length : nl + 1];
}

function mutate(text: string, m: Mutation): string {
  const pos = Math.min(text.length, Math.floor(m.at * text.length));
  switch (m.kind) {
    case 'flip':
      return text.slice(0, pos) + String.fromCharCode(m.byte) + text.slice(pos + 1);
    case 'delete': {
      const [s, e] = lineBounds(text, pos);
      return text.slice(0, s) + text.slice(e);
    }
    case 'dup': {
      const [s, e] = lineBounds(text, pos);
      return text.slice(0, e) + text.slice(s, e) + text.slice(e);
    }
    case 'insert':
      return text.slice(0, pos) + TOKENS[m.token % TOKENS.length] + text.slice(pos);
    case 'truncate':
      return text.slice(0, pos);
  }
}

/** The simulator's seeded mulberry32, so a failing iteration can be replayed. */
function rng(seed: number): () => number {
  const g = new Prng(seed);
  return () => g.next();
}

const SEEDED_RUNS = 7000;
const FC_RUNS = 3000;

describe('fuzzing with mutated sample configs', () => {
  it('has the samples to start from', () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
    for (const s of samples) expect(fuzzOne(s, 'sample')).toBeUndefined();
  });

  it(`seeded loop: ${SEEDED_RUNS} mutated configs never throw and finish in bounded time`, async () => {
    const seed = 20251125;
    const rand = rng(seed);
    const c0 = process.cpuUsage();
    for (let i = 0; i < SEEDED_RUNS; i++) {
      let text = samples[Math.floor(rand() * samples.length)];
      const n = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < n; k++) {
        const m: Mutation = { kind: KINDS[Math.floor(rand() * KINDS.length)], at: rand(), byte: Math.floor(rand() * 256), token: Math.floor(rand() * TOKENS.length) };
        text = mutate(text, m);
      }
      const failure = fuzzOne(text, `seed${seed}-iter${i}`);
      if (failure) throw new Error(failure);
      // Yield now and then so the worker can report progress (vitest times out a blocked worker).
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    // A generous CPU bound: it catches runaway (non-linear) inputs, not a slow machine.
    expect(cpuMs(c0)).toBeLessThan(150_000);
    expect(seenCodes.size, [...seenCodes].join(' ')).toBeGreaterThanOrEqual(25);
  }, 180_000);

  it(`fast-check: ${FC_RUNS} mutated configs keep the engine's contract`, () => {
    const mutation = fc.record({
      kind: fc.constantFrom(...KINDS),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      byte: fc.integer({ min: 0, max: 255 }),
      token: fc.nat({ max: TOKENS.length - 1 }),
    });
    fc.assert(
      fc.property(fc.nat({ max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), (idx, muts) => {
        const text = muts.reduce(mutate, samples[idx]);
        const failure = fuzzOne(text, 'fast-check');
        if (failure) throw new Error(failure);
      }),
      { numRuns: FC_RUNS, seed: 0x5eed },
    );
  }, 60_000);
});

/** Loads a real file and checks the contract; returns the result. */
function loadChecked(path: string): LoadResult {
  const r = loadConfig(path);
  expect(contractBroken(r)).toBeUndefined();
  return r;
}

describe('named bad inputs', () => {
  it('binary garbage (random bytes with NULs) as a file and as text', () => {
    const rand = rng(7);
    const buf = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < buf.length; i++) buf[i] = rand() < 0.05 ? 0 : Math.floor(rand() * 256);
    const p = join(tmp, 'garbage.bin');
    writeFileSync(p, buf);
    const { value: r, ms } = withCpuMs(() => loadChecked(p));
    expect(ms).toBeLessThan(20_000);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.unreadable).toBe(false);
    expect(fuzzOne(decode(buf.subarray(0, 64 * 1024)), 'garbage-text')).toBeUndefined();
  }, 60_000);

  it('a 50 MB file of binary garbage yields diagnostics in bounded time', () => {
    const p = join(tmp, 'big-garbage.bin');
    const rand = rng(50);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = Math.floor(rand() * 256);
    writeFileSync(p, Buffer.concat(Array.from({ length: 50 }, () => chunk)));
    const { value: r, ms } = withCpuMs(() => loadChecked(p));
    expect(ms).toBeLessThan(20_000);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    rmSync(p);
  }, 60_000);

  it('10,000-deep { nesting, in every shape, without a stack overflow', () => {
    const shapes = {
      bare: '{\n'.repeat(10_000),
      unknown: 'a {\n'.repeat(10_000),
      oneLine: `global_defs ${'{'.repeat(10_000)}\n`,
      inBlock: `vrrp_instance VI_1 {\n${'  virtual_ipaddress {\n'.repeat(10_000)}`,
      balanced: `global_defs {\n${'{\n'.repeat(10_000)}${'}\n'.repeat(10_001)}`,
    };
    for (const [name, text] of Object.entries(shapes)) {
      const { value: r, ms } = withCpuMs(() => loadConfigText(text, `${name}.conf`));
      expect(ms, name).toBeLessThan(10_000);
      expect(contractBroken(r), name).toBeUndefined();
      const codes = new Set(r.diagnostics.map((d) => d.code));
      if (name === 'balanced') expect([...codes], name).toContain('unexpected-brace');
      else expect([...codes].some((c) => c === 'unclosed-block' || c === 'unexpected-brace'), `${name}: ${[...codes]}`).toBe(true);
    }
  });

  it('an unterminated quote', () => {
    const r = loadConfigText('vrrp_script chk {\n  script "/bin/true\n  interval 2\n}\n', 'q.conf');
    expect(r.diagnostics.find((d) => d.code === 'unterminated-quote')).toMatchObject({ line: 2, column: 10, severity: 'error' });
  });

  it('an unterminated brace', () => {
    const r = loadConfigText('global_defs {\n  router_id A\n}\nvrrp_instance VI_1 {\n  interface eth0\n', 'b.conf');
    expect(r.diagnostics.find((d) => d.code === 'unclosed-block')).toMatchObject({ line: 4, column: 1, severity: 'error' });
  });

  it('include cycles of length 1, 2 and 3', () => {
    const d = join(tmp, 'cycles');
    mkdirSync(d);
    writeFileSync(join(d, 'self.conf'), 'include self.conf\n');
    writeFileSync(join(d, 'a.conf'), 'include b.conf\n');
    writeFileSync(join(d, 'b.conf'), 'include a.conf\n');
    writeFileSync(join(d, 'x.conf'), 'include y.conf\n');
    writeFileSync(join(d, 'y.conf'), 'include z.conf\n');
    writeFileSync(join(d, 'z.conf'), 'include x.conf\n');
    for (const f of ['self.conf', 'a.conf', 'x.conf']) {
      const { value: r, ms } = withCpuMs(() => loadChecked(join(d, f)));
      expect(ms).toBeLessThan(2000);
      expect(r.diagnostics.map((x) => x.code), f).toEqual(['include-cycle']);
    }
  });

  it('unreadable includes: a directory, a dangling symlink, a file over the size cap', () => {
    const d = join(tmp, 'unreadable');
    mkdirSync(join(d, 'dir.conf'), { recursive: true });
    symlinkSync(join(d, 'gone'), join(d, 'dangling.conf'));
    writeFileSync(join(d, 'huge.conf'), '');
    truncateSync(join(d, 'huge.conf'), MAX_FILE_BYTES + 1);
    for (const name of ['dir.conf', 'dangling.conf', 'huge.conf']) {
      writeFileSync(join(d, 'main.conf'), `global_defs {\n  router_id A\n}\ninclude ${name}\n`);
      const r = loadChecked(join(d, 'main.conf'));
      expect(r.diagnostics, name).toHaveLength(1);
      expect(r.diagnostics[0].code, name).toMatch(/^include-/);
      expect(r.diagnostics[0]).toMatchObject({ line: 4, column: 1 });
      expect(r.diagnostics[0].message, name).toContain(name);
    }
  });
});
