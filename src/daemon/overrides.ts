// Operator overrides (promote / demote / demote --fault / clear), our own feature: pure logic over
// an OverrideStore, plus the file I/O that persists it in <state-dir>/overrides.json (atomic
// temp + rename) so a restart or reload does not silently undo an operator's decision.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Override, OverrideResult } from '../control/protocol.js';

export const PROMOTE_PRIORITY = 254;
export const DEMOTE_PRIORITY = 1;
export const OVERRIDES_FILE = 'overrides.json';

export interface OverrideStore {
  /** Instance name -> override in force. */
  overrides: Record<string, Override>;
}

export const emptyStore = (): OverrideStore => ({ overrides: {} });

export type OverrideKind = Override['kind'];

export function makeOverride(kind: OverrideKind, nowMs: number, forMs?: number): Override {
  const o: Override = {
    kind,
    priority: kind === 'promote' ? PROMOTE_PRIORITY : DEMOTE_PRIORITY,
    setAt: new Date(nowMs).toISOString(),
  };
  if (forMs !== undefined) o.expiresAt = new Date(nowMs + forMs).toISOString();
  return o;
}

/** What an override does to the state machine: a priority, FAULT, or nothing. */
export function effectOf(o: Override | null | undefined): { priority: number | null; fault: boolean } {
  if (!o) return { priority: null, fault: false };
  if (o.kind === 'demote-fault') return { priority: null, fault: true };
  return { priority: o.priority, fault: false };
}

/** Sets (or with null clears) the override of every member of a sync group at once. */
export function applyOverride(
  store: OverrideStore,
  members: readonly string[],
  next: Override | null,
): { store: OverrideStore; result: OverrideResult } {
  const overrides = { ...store.overrides };
  const result: OverrideResult = { instances: [...members], previous: {}, current: {} };
  for (const m of members) {
    result.previous[m] = overrides[m] ?? null;
    if (next) overrides[m] = { ...next };
    else delete overrides[m];
    result.current[m] = overrides[m] ?? null;
  }
  return { store: { overrides }, result };
}

function expiryMs(o: Override): number | null {
  if (o.expiresAt === undefined) return null;
  const t = Date.parse(o.expiresAt);
  return Number.isFinite(t) ? t : null;
}

/** Removes the overrides whose time is up. */
export function dropExpired(store: OverrideStore, nowMs: number): { store: OverrideStore; expired: string[] } {
  const overrides: Record<string, Override> = {};
  const expired: string[] = [];
  for (const [name, o] of Object.entries(store.overrides)) {
    const t = expiryMs(o);
    if (t !== null && t <= nowMs) expired.push(name);
    else overrides[name] = o;
  }
  return { store: { overrides }, expired };
}

/** The earliest expiry in force (ms since the epoch), or null. */
export function nextExpiryMs(store: OverrideStore): number | null {
  let next: number | null = null;
  for (const o of Object.values(store.overrides)) {
    const t = expiryMs(o);
    if (t !== null && (next === null || t < next)) next = t;
  }
  return next;
}

/** Keeps only overrides of instances that still exist (a reload may remove some). */
export function retainInstances(store: OverrideStore, names: ReadonlySet<string>): { store: OverrideStore; dropped: string[] } {
  const overrides: Record<string, Override> = {};
  const dropped: string[] = [];
  for (const [name, o] of Object.entries(store.overrides)) {
    if (names.has(name)) overrides[name] = o;
    else dropped.push(name);
  }
  return { store: { overrides }, dropped };
}

const KINDS: Record<OverrideKind, number> = { promote: PROMOTE_PRIORITY, demote: DEMOTE_PRIORITY, 'demote-fault': DEMOTE_PRIORITY };

/** Parses the file's text; a bad entry is skipped and named, never thrown. */
export function parseStore(text: string): { store: OverrideStore; problems: string[] } {
  const problems: string[] = [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { store: emptyStore(), problems: [`not JSON: ${(e as Error).message}`] };
  }
  const raw = (data as { overrides?: unknown })?.overrides;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { store: emptyStore(), problems: ['no "overrides" object'] };
  const overrides: Record<string, Override> = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    const o = v as Partial<Override>;
    const ok =
      o && typeof o === 'object' && typeof o.kind === 'string' && o.kind in KINDS && typeof o.setAt === 'string' &&
      (o.expiresAt === undefined || (typeof o.expiresAt === 'string' && Number.isFinite(Date.parse(o.expiresAt))));
    if (!ok) {
      problems.push(`entry for ${name} is malformed; ignored`);
      continue;
    }
    const kind = o.kind as OverrideKind;
    overrides[name] = { kind, priority: KINDS[kind], setAt: o.setAt as string, ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}) };
  }
  return { store: { overrides }, problems };
}

export function serializeStore(store: OverrideStore): string {
  return `${JSON.stringify({ version: 1, overrides: store.overrides }, null, 2)}\n`;
}

// ---- file I/O ----

export function overridesPath(stateDir: string): string {
  return join(stateDir, OVERRIDES_FILE);
}

/** Loads the store; a missing file is an empty store, an unreadable/corrupt one is named in problems. */
export function loadOverrides(path: string): { store: OverrideStore; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { store: emptyStore(), problems: [] };
    return { store: emptyStore(), problems: [`cannot read ${path}: ${(e as Error).message}`] };
  }
  const r = parseStore(text);
  return { store: r.store, problems: r.problems.map((p) => `${path}: ${p}`) };
}

/** Atomic write: a crash leaves the old file or the new one, never half of one. */
export function saveOverrides(path: string, store: OverrideStore): { ok: true } | { ok: false; error: string } {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(tmp, serializeStore(store), { mode: 0o600 });
    renameSync(tmp, path);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `cannot save overrides to ${path}: ${(e as Error).message}` };
  }
}
