// `lab fail NODE` and `lab heal NODE`: break a node the way real ones break (its cable: the leg in
// the bridge goes down; a crash: SIGKILL; a clean stop: SIGTERM), or mend it, then wait (bounded)
// for VRRP to move the VIPs and tell where they are and how long that took.
import { type ClusterView, clusterView, moves, placeText } from './cluster.js';
import { killLeftovers, startDaemon, stopDaemon, until } from './daemon.js';
import { observe, type SettleResult, waitSettled } from './observe.js';
import { type FailHow, type LabNode, type LabState, readState, saveState } from './state.js';
import { ip, isOurProcess, linkIsUp } from './sys.js';

export const FAIL_HOWS: readonly FailHow[] = ['link', 'kill', 'stop'];

export interface FaultResult {
  ok: boolean;
  exit: number;
  /** What was done. */
  action: string;
  lines: string[];
  errors: string[];
  state?: LabState;
  before?: ClusterView;
  settle?: SettleResult;
}

function fail(errors: string[], exit = 1): FaultResult {
  return { ok: false, exit, action: '', lines: [], errors };
}

function loadUp(dir: string, nodeName: string): { s: LabState; n: LabNode } | FaultResult {
  const r = readState(dir);
  if (!r.ok) return fail([r.error]);
  const s = r.state;
  if (s.phase !== 'up') return fail([`lab ${s.prefix} is still starting (pid ${s.upPid ?? '?'})`]);
  const n = s.nodes.find((x) => x.name === nodeName);
  if (!n) return fail([`no node '${nodeName}' in lab ${s.prefix} (nodes: ${s.nodes.map((x) => x.name).join(', ')})`], 2);
  return { s, n };
}

function settleLines(before: ClusterView, settle: SettleResult, waitMs: number): { lines: string[]; errors: string[] } {
  const secs = (settle.elapsedMs / 1000).toFixed(1);
  if (settle.settled) return { lines: [...moves(before.places, settle.view.places).map((m) => `VIP ${m}`), `settled after ${secs}s`], errors: [] };
  const why = settle.stopped ?? `did not settle within ${(waitMs / 1000).toFixed(0)}s`;
  return { lines: settle.view.places.map((p) => `VIP ${placeText(p)}`), errors: why.split('\n') };
}

/** SIGKILL to every process in the node's namespace (only its daemon runs there). */
async function killAll(n: LabNode): Promise<{ stopped: boolean; detail: string }> {
  const pids = await killLeftovers(n.ns);
  const gone = await until(() => !isOurProcess(n.pid, n.conf), 5000);
  return { stopped: gone, detail: gone ? `pid${pids.length > 1 ? 's' : ''} ${pids.join(', ')}` : 'still running after SIGKILL' };
}

export async function labFail(dir: string, nodeName: string, how: FailHow, waitMs: number, signal?: AbortSignal): Promise<FaultResult> {
  const got = loadUp(dir, nodeName);
  if ('exit' in got) return got;
  const { s, n } = got;
  if (n.failed) return fail([`${n.name} has already failed (${n.failed.how}); heal it first: keepalivedctl lab heal ${n.name}`]);
  if (!isOurProcess(n.pid, n.conf)) return fail([`the daemon of ${n.name} is not running; heal it first: keepalivedctl lab heal ${n.name}`]);
  const before = clusterView(s.instances, s.nodes, await observe(s));
  const t0 = Date.now();
  let action: string;
  if (how === 'link') {
    const r = await ip('-n', s.bridgeNs, 'link', 'set', n.leg, 'down');
    if (!r.ok) return fail([`cannot set ${n.leg} down: ${r.error}`]);
    action = `${n.name}: link down (its leg ${n.leg} in ${s.bridgeNs}; the daemon sees carrier loss)`;
  } else {
    // kill: a crash, no goodbye: every process of the daemon at once (its VRRP child, left alone,
    // would send priority 0 when its parent vanishes), so peers wait out the master down interval.
    // stop: SIGTERM, a clean shutdown with a priority-0 advert: a backup takes over at once.
    const r = how === 'kill' ? await killAll(n) : await stopDaemon(n, 'SIGTERM');
    if (!r.stopped) return fail([`cannot stop the daemon of ${n.name} (pid ${n.pid}): ${r.detail}`]);
    action = `${n.name}: daemon pid ${n.pid} ${how === 'kill' ? `killed (SIGKILL to ${r.detail})` : 'stopped (SIGTERM)'}`;
    n.pid = null;
  }
  n.failed = { how, at: new Date().toISOString() };
  saveState(s);
  const settle = await waitSettled(s, { timeoutMs: waitMs, signal, since: t0 });
  const { lines, errors } = settleLines(before, settle, waitMs);
  return { ok: errors.length === 0, exit: errors.length ? 1 : 0, action, lines, errors, state: s, before, settle };
}

export async function labHeal(dir: string, nodeName: string, waitMs: number, signal?: AbortSignal): Promise<FaultResult> {
  const got = loadUp(dir, nodeName);
  if ('exit' in got) return got;
  const { s, n } = got;
  const before = clusterView(s.instances, s.nodes, await observe(s));
  const t0 = Date.now();
  const done: string[] = [];
  // Mend what is actually broken, whatever the record says (a daemon may have been killed by hand).
  const legUp = await linkIsUp(s.bridgeNs, n.leg);
  if (legUp === null) return fail([`cannot read ${n.leg} in ${s.bridgeNs}; is the lab still there? (keepalivedctl lab status)`]);
  if (!legUp) {
    const r = await ip('-n', s.bridgeNs, 'link', 'set', n.leg, 'up');
    if (!r.ok) return fail([`cannot set ${n.leg} up: ${r.error}`]);
    done.push(`link up (${n.leg})`);
  }
  if (!isOurProcess(n.pid, n.conf)) {
    const r = startDaemon(s, n);
    if (!r.ok) return fail([r.error]);
    n.pid = r.pid;
    done.push(`daemon restarted, pid ${r.pid}`);
  }
  const wasFailed = n.failed !== undefined;
  delete n.failed;
  saveState(s);
  if (!done.length) {
    const view = clusterView(s.instances, s.nodes, await observe(s));
    const note = wasFailed ? `${n.name}: nothing was broken any more; marked healthy` : `${n.name} is healthy; nothing to heal`;
    return { ok: true, exit: 0, action: note, lines: view.places.map((p) => `VIP ${placeText(p)}`), errors: [], state: s, before };
  }
  const settle = await waitSettled(s, { timeoutMs: waitMs, signal, since: t0, joining: n.name });
  const { lines, errors } = settleLines(before, settle, waitMs);
  return { ok: errors.length === 0, exit: errors.length ? 1 : 0, action: `${n.name}: ${done.join(', ')}`, lines, errors, state: s, before, settle };
}

/** Current view of a lab (for `lab status`). */
export async function labView(dir: string): Promise<{ ok: true; state: LabState; view: ClusterView; obs: Awaited<ReturnType<typeof observe>> } | { ok: false; error: string }> {
  const r = readState(dir);
  if (!r.ok) return { ok: false, error: r.error };
  const obs = await observe(r.state);
  return { ok: true, state: r.state, view: clusterView(r.state.instances, r.state.nodes, obs), obs };
}
