import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyOverride, dropExpired, effectOf, emptyStore, loadOverrides, makeOverride, nextExpiryMs, overridesPath, parseStore,
  retainInstances, saveOverrides, serializeStore,
} from '../../src/daemon/overrides.js';

const T = Date.parse('2026-03-01T12:00:00Z');

describe('override logic (pure)', () => {
  it('makes promote/demote/fault overrides with their priorities and expiry', () => {
    expect(makeOverride('promote', T)).toEqual({ kind: 'promote', priority: 254, setAt: '2026-03-01T12:00:00.000Z' });
    expect(makeOverride('demote', T, 60_000)).toEqual({ kind: 'demote', priority: 1, setAt: '2026-03-01T12:00:00.000Z', expiresAt: '2026-03-01T12:01:00.000Z' });
    expect(effectOf(makeOverride('demote-fault', T))).toEqual({ priority: null, fault: true });
    expect(effectOf(makeOverride('promote', T))).toEqual({ priority: 254, fault: false });
    expect(effectOf(null)).toEqual({ priority: null, fault: false });
  });

  it('applies to every member and reports previous/current; clear removes', () => {
    const p = makeOverride('promote', T);
    const a = applyOverride(emptyStore(), ['VI_1', 'VI_2'], p);
    expect(a.result).toEqual({ instances: ['VI_1', 'VI_2'], previous: { VI_1: null, VI_2: null }, current: { VI_1: p, VI_2: p } });
    const d = makeOverride('demote', T + 1);
    const b = applyOverride(a.store, ['VI_1', 'VI_2'], d);
    expect(b.result.previous.VI_2).toEqual(p);
    const c = applyOverride(b.store, ['VI_1', 'VI_2'], null);
    expect(c.store).toEqual({ overrides: {} });
    expect(c.result.current).toEqual({ VI_1: null, VI_2: null });
    expect(a.store.overrides.VI_1).toEqual(p); // inputs are never mutated
  });

  it('drops expired overrides and finds the next expiry', () => {
    let s = applyOverride(emptyStore(), ['A'], makeOverride('demote', T, 1000)).store;
    s = applyOverride(s, ['B'], makeOverride('promote', T, 5000)).store;
    s = applyOverride(s, ['C'], makeOverride('promote', T)).store;
    expect(nextExpiryMs(s)).toBe(T + 1000);
    const r = dropExpired(s, T + 1000);
    expect(r.expired).toEqual(['A']);
    expect(Object.keys(r.store.overrides)).toEqual(['B', 'C']);
    expect(nextExpiryMs(r.store)).toBe(T + 5000);
    expect(retainInstances(r.store, new Set(['C'])).dropped).toEqual(['B']);
  });

  it('round-trips through its file format, and parse never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/), fc.constantFrom('promote', 'demote', 'demote-fault'), fc.option(fc.nat(1e9))), { maxLength: 6 }), (entries) => {
        let s = emptyStore();
        for (const [n, k, f] of entries) s = applyOverride(s, [n], makeOverride(k as 'promote', T, f ?? undefined)).store;
        expect(parseStore(serializeStore(s))).toEqual({ store: s, problems: [] });
      }),
      { numRuns: 200 },
    );
    fc.assert(fc.property(fc.string(), (t) => void parseStore(t)), { numRuns: 500 });
    const bad = parseStore(JSON.stringify({ overrides: { X: { kind: 'promote', setAt: 'x' }, Y: { kind: 'nuke', setAt: 'x' }, Z: { kind: 'demote', setAt: 's', expiresAt: 'never' } } }));
    expect(bad.store.overrides).toEqual({ X: { kind: 'promote', priority: 254, setAt: 'x' } });
    expect(bad.problems).toEqual(['entry for Y is malformed; ignored', 'entry for Z is malformed; ignored']);
    expect(parseStore('{').problems[0]).toMatch(/^not JSON/);
  });
});

describe('override persistence (file I/O)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaov-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves atomically and loads back; a missing file is empty; a corrupt one is named', () => {
    const path = overridesPath(join(dir, 'state'));
    expect(loadOverrides(path)).toEqual({ store: emptyStore(), problems: [] });
    const s = applyOverride(emptyStore(), ['VI_1'], makeOverride('promote', T, 5000)).store;
    expect(saveOverrides(path, s)).toEqual({ ok: true });
    expect(readdirSync(join(dir, 'state'))).toEqual(['overrides.json']); // no temp file left
    expect(JSON.parse(readFileSync(path, 'utf8')).version).toBe(1);
    expect(loadOverrides(path)).toEqual({ store: s, problems: [] });
    writeFileSync(path, 'garbage');
    const r = loadOverrides(path);
    expect(r.store).toEqual(emptyStore());
    expect(r.problems[0]).toContain(path);
  });

  it('reports an unwritable state dir', () => {
    const f = join(dir, 'plainfile');
    writeFileSync(f, '');
    const r = saveOverrides(join(f, 'overrides.json'), emptyStore());
    expect(r.ok).toBe(false);
  });
});
