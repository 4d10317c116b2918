// The lab state file (DIR/lab.json): every namespace, file and process a lab made, written before
// each is made, so `lab down` can undo a lab that stopped half-way. Created exclusively (O_EXCL):
// two `lab up` in one directory cannot both win.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirFlag } from './plan.js';

export type FailHow = 'link' | 'kill' | 'stop';

export interface LabNode {
  /** n1, n2, n3. */
  name: string;
  ns: string;
  /** The node's veth leg in the bridge namespace (set down by `fail --how link`). */
  leg: string;
  /** The node's own addresses with prefix. */
  addr4: string;
  addr6: string;
  conf: string;
  sock: string;
  log: string;
  /** --state-dir, and where the pid files live. */
  stateDir: string;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  /** The daemon's pid (we started it under `ip netns exec`, which execs it); null when not running. */
  pid: number | null;
  failed?: { how: FailHow; at: string };
}

export interface LabInstance {
  name: string;
  vips: string[];
}

export interface LabState {
  version: 1;
  dir: string;
  prefix: string;
  template: string;
  bridgeNs: string;
  /** 'starting' while `lab up` (upPid) builds it. */
  phase: 'starting' | 'up';
  upPid?: number;
  createdAt: string;
  /** bin/keepalived and the node binary that run it. */
  keepalived: string;
  node: string;
  nodes: LabNode[];
  /** Learned from the daemons once up. */
  instances: LabInstance[];
}

export const STATE_FILE = 'lab.json';

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

export type ReadState = { ok: true; state: LabState } | { ok: false; missing: boolean; error: string };

function isState(x: unknown): x is LabState {
  const s = x as LabState;
  return (
    typeof s === 'object' && s !== null && s.version === 1 && typeof s.prefix === 'string' && /^lab-[0-9a-f]{6}$/.test(s.prefix) &&
    typeof s.bridgeNs === 'string' && Array.isArray(s.nodes) && s.nodes.every((n) => typeof n?.name === 'string' && typeof n.ns === 'string' && n.ns.startsWith(s.prefix)) &&
    Array.isArray(s.instances)
  );
}

export function readState(dir: string): ReadState {
  const p = statePath(dir);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, error: missing ? `no lab in ${dir} (start one with: keepalivedctl lab up${dirFlag(dir)})` : `cannot read ${p}: ${(e as Error).message}` };
  }
  try {
    const s: unknown = JSON.parse(text);
    if (!isState(s)) return { ok: false, missing: false, error: `${p} is not a lab state file` };
    return { ok: true, state: s };
  } catch (e) {
    return { ok: false, missing: false, error: `${p} is not valid JSON: ${(e as Error).message}` };
  }
}

/** Creates the state file only if none exists; false when one does. */
export function createState(s: LabState): { ok: true } | { ok: false; exists: boolean; error: string } {
  try {
    mkdirSync(s.dir, { recursive: true, mode: 0o755 });
    writeFileSync(statePath(s.dir), JSON.stringify(s, null, 2) + '\n', { flag: 'wx', mode: 0o644 });
    return { ok: true };
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    return { ok: false, exists, error: `cannot create ${statePath(s.dir)}: ${(e as Error).message}` };
  }
}

/** Replaces the state file atomically (temp + rename). */
export function saveState(s: LabState): void {
  const p = statePath(s.dir);
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, p);
}

export function removeState(dir: string): void {
  try {
    unlinkSync(statePath(dir));
  } catch {
    // already gone
  }
}
