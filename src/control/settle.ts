// After promote/demote/clear: has the sync group reached where the operator sent it? Pure; the
// caller polls status and feeds each snapshot with its time.
import { formatDuration } from './duration.js';
import { overrideText } from './render.js';
import type { InstanceStatus, Override, OverrideResult, StatusResult, VrrpStateName } from './protocol.js';

export type Action = 'promote' | 'demote' | 'demote-fault' | 'clear';

/** The state each instance must reach; clear has none (it waits for quiet instead). */
export function targetState(action: Action): VrrpStateName | null {
  return action === 'promote' ? 'MASTER' : action === 'demote' ? 'BACKUP' : action === 'demote-fault' ? 'FAULT' : null;
}

export interface SettleTracker {
  /** Feed a status snapshot taken at nowMs; true once settled. */
  observe(status: StatusResult, nowMs: number): boolean;
  /** Latest state per instance (what we saw last). */
  readonly states: Record<string, VrrpStateName | 'missing'>;
}

const DEFAULT_ADVERT_MS = 1000;

/** `before`: the states just before the request, so a change that is already over still counts. */
export function settleTracker(action: Action, instances: string[], startMs: number, before?: Record<string, VrrpStateName | 'missing'>): SettleTracker {
  const target = targetState(action);
  const states: Record<string, VrrpStateName | 'missing'> = {};
  let lastChange = startMs;
  let key = before ? instances.map((n) => before[n] ?? 'missing').join(',') : '';
  let changed = false;
  return {
    states,
    observe(status, nowMs) {
      const byName = new Map(status.instances.map((i) => [i.name, i]));
      let advertMs = 0;
      for (const name of instances) {
        const i = byName.get(name);
        states[name] = i ? i.state : 'missing';
        advertMs = Math.max(advertMs, i?.advertIntMs ?? DEFAULT_ADVERT_MS);
      }
      if (target) return instances.every((n) => states[n] === target);
      // clear: settled when nothing moved for one advert interval after a change. With no change yet,
      // wait out a master down interval (3 adverts and the skew): a backup that should take over
      // does so only when its master down timer fires.
      const now = instances.map((n) => states[n]).join(',');
      if (key === '') key = now;
      else if (now !== key) {
        key = now;
        lastChange = nowMs;
        changed = true;
      }
      const quiet = changed ? advertMs : 4 * advertMs; // skew time is under one advert interval
      return instances.every((n) => states[n] !== 'missing') && nowMs - lastChange >= quiet;
    },
  };
}

export interface ChangeReport {
  action: Action;
  instance: string;
  forMs?: number;
  result: OverrideResult;
  before: Record<string, VrrpStateName | 'missing'>;
  after: Record<string, VrrpStateName | 'missing'>;
  settled: boolean;
  elapsedMs: number;
  waitMs: number;
}

/** What changed, one line per instance of the sync group, then the verdict. */
export function renderChange(r: ChangeReport, now: Date): { lines: string[]; ok: boolean } {
  const verb = { promote: 'promote', demote: 'demote', 'demote-fault': 'demote --fault', clear: 'clear' }[r.action];
  const group = r.result.instances.length > 1 ? ` (sync group: ${r.result.instances.join(', ')})` : '';
  const lines = [`${verb} ${r.instance}${r.forMs ? ` for ${formatDuration(r.forMs)}` : ''}${group}`];
  const width = Math.max(...r.result.instances.map((n) => n.length));
  for (const name of r.result.instances) {
    const ov = `override ${describe(r.result.previous[name], now)} -> ${describe(r.result.current[name], now)}`;
    const from = r.before[name] ?? 'missing';
    const to = r.after[name] ?? 'missing';
    lines.push(`  ${name.padEnd(width)}  ${ov}  state ${from === to ? `${to} (unchanged)` : `${from} -> ${to}`}`);
  }
  const target = targetState(r.action);
  const waited = formatSeconds(r.elapsedMs);
  if (r.waitMs === 0) lines.push('not waiting for the state to settle (--wait 0)');
  else if (r.settled) lines.push(target ? `settled at ${target} after ${waited}` : `settled after ${waited}`);
  else {
    const still = r.result.instances.map((n) => `${n} ${r.after[n] ?? 'missing'}`).join(', ');
    const want = target ? `at ${target}` : '';
    let hint = '';
    if (r.action === 'demote' && r.result.instances.some((n) => r.after[n] === 'MASTER')) hint = '; is a peer up to take over? (demote --fault releases the VIPs without one)';
    if (r.action === 'promote' && r.result.instances.some((n) => r.after[n] === 'FAULT')) hint = '; an instance in FAULT cannot become MASTER until its tracks recover';
    lines.push(`did not settle ${want} within ${formatSeconds(r.waitMs)}: ${still}${hint}`.replace('  ', ' '));
  }
  return { lines, ok: r.waitMs === 0 || r.settled };
}

function describe(o: Override | null | undefined, now: Date): string {
  if (!o) return 'none';
  return `${overrideText(o, now)} (${o.priority})`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The states of the named instances in one status snapshot. */
export function statesOf(status: StatusResult | null, names: string[]): Record<string, VrrpStateName | 'missing'> {
  const out: Record<string, VrrpStateName | 'missing'> = {};
  const by = new Map<string, InstanceStatus>((status?.instances ?? []).map((i) => [i.name, i]));
  for (const n of names) out[n] = by.get(n)?.state ?? 'missing';
  return out;
}
