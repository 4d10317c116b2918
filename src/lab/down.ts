// `lab down`: stop every daemon the lab started (by its recorded pid), delete every namespace it
// made (recorded ones, and any other carrying its prefix), remove its files. Idempotent: a second
// run, or a run after a half-built `lab up`, finds less to do and says so.
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { killLeftovers, stopDaemon } from './daemon.js';
import { type LabState, readState, removeState } from './state.js';
import { ip, isOurProcess, netnsList, pidAlive } from './sys.js';

export interface DownReport {
  ok: boolean;
  /** What was done, one line each. */
  lines: string[];
  /** One line per thing that could not be undone. */
  errors: string[];
  /** There was no lab in the directory. */
  nothing: boolean;
}

/** Namespaces that belong to the lab: recorded ones plus any named with its prefix. */
export async function labNamespaces(s: LabState): Promise<string[]> {
  const all = await netnsList();
  const mine = new Set([s.bridgeNs, ...s.nodes.map((n) => n.ns)]);
  return all.filter((ns) => mine.has(ns) || ns.startsWith(`${s.prefix}-`));
}

/** Whether anything of the lab still exists (a namespace or a daemon), i.e. it is not stale. */
export async function labAlive(s: LabState): Promise<boolean> {
  if (s.nodes.some((n) => isOurProcess(n.pid, n.conf))) return true;
  return (await labNamespaces(s)).length > 0;
}

/**
 * Takes the lab in `dir` down. `self` is true when `lab up` cleans up after itself; otherwise a lab
 * still being built by a live `lab up` is left to that process (it cleans up on Ctrl-C).
 */
export async function labDown(dir: string, o: { self?: boolean } = {}): Promise<DownReport> {
  const r = readState(dir);
  if (!r.ok) {
    if (r.missing) return { ok: true, lines: [`no lab in ${dir}; nothing to do`], errors: [], nothing: true };
    return { ok: false, lines: [], errors: [r.error], nothing: false };
  }
  const s = r.state;
  if (!o.self && s.phase === 'starting' && s.upPid !== undefined && s.upPid !== process.pid && pidAlive(s.upPid)) {
    return {
      ok: false,
      lines: [],
      errors: [`lab ${s.prefix} is still being started by keepalivedctl lab up (pid ${s.upPid}); press Ctrl-C there (it cleans up), or wait and run lab down again`],
      nothing: false,
    };
  }
  const lines: string[] = [];
  const errors: string[] = [];
  // Graceful stops in parallel: each daemon drops its VIPs and says goodbye (bounded by stopDaemon).
  const stops = await Promise.all(s.nodes.map(async (n) => ({ n, r: await stopDaemon(n, 'SIGTERM', 5000) })));
  for (const { n, r: st } of stops) {
    if (st.detail !== 'not running') lines.push(`${n.name}: daemon pid ${n.pid} stopped (${st.detail})`);
    if (!st.stopped) errors.push(`${n.name}: daemon pid ${n.pid} is ${st.detail}`);
  }
  for (const ns of await labNamespaces(s)) {
    const left = await killLeftovers(ns);
    if (left.length) lines.push(`${ns}: killed leftover process${left.length > 1 ? 'es' : ''} ${left.join(', ')}`);
    const del = await ip('netns', 'del', ns);
    if (del.ok) lines.push(`namespace ${ns} deleted`);
    else errors.push(`namespace ${ns}: ${del.error}`);
  }
  for (const n of s.nodes) {
    for (const f of [n.conf, n.sock, n.log]) rmSync(f, { force: true });
    rmSync(n.stateDir, { recursive: true, force: true });
  }
  if (errors.length === 0) {
    removeState(dir);
    try {
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    } catch {
      // someone else's files live there too: leave the directory
    }
    lines.push(`lab ${s.prefix} is down`);
  } else {
    errors.push(`state kept in ${dir} so that lab down can try again`);
  }
  return { ok: errors.length === 0, lines, errors, nothing: false };
}
