// Looking at a running lab: each node's daemon status over its control socket, its leg's link state
// in the bridge namespace and the addresses really on its eth0 (what `ip -n NS -j addr` says, not
// what the daemon believes). And the bounded wait for the cluster to settle.
import { callDaemon } from '../control/client.js';
import type { StatusResult } from '../control/protocol.js';
import { type ClusterView, clusterView, type NodeObs } from './cluster.js';
import { logTail } from './daemon.js';
import { NODE_IF } from './plan.js';
import type { LabNode, LabState } from './state.js';
import { isRunning, linkIsUp, nsAddrs, sleep } from './sys.js';

export async function observeNode(s: LabState, n: LabNode): Promise<NodeObs> {
  const running = isRunning(n.pid, n.conf);
  const [st, addrs, linkUp] = await Promise.all([
    running ? callDaemon<StatusResult>('status', {}, { socket: n.sock, timeoutMs: 1500 }) : Promise.resolve(null),
    nsAddrs(n.ns, NODE_IF),
    linkIsUp(s.bridgeNs, n.leg),
  ]);
  return { name: n.name, failed: n.failed?.how, running, linkUp, status: st?.ok ? st.result : null, addrs };
}

export async function observe(s: LabState): Promise<NodeObs[]> {
  return Promise.all(s.nodes.map((n) => observeNode(s, n)));
}

export interface SettleResult {
  settled: boolean;
  elapsedMs: number;
  view: ClusterView;
  obs: NodeObs[];
  /** Why waiting stopped early: aborted, or a daemon that should run died. */
  stopped?: string;
}

/**
 * Polls until the cluster view is settled and stays so for `holdMs` (a VIP that lands and leaves
 * again is not settled), at most `timeoutMs`. `elapsedMs` is when it first became settled.
 */
export async function waitSettled(
  s: LabState,
  o: { timeoutMs: number; holdMs?: number; pollMs?: number; signal?: AbortSignal; since?: number; joining?: string },
): Promise<SettleResult> {
  const start = o.since ?? Date.now();
  const hold = o.holdMs ?? 1000;
  const poll = o.pollMs ?? 100;
  let firstSettled: number | null = null;
  // Bounded: at most timeoutMs / poll rounds (each round's own calls are bounded in time too).
  for (let round = 0; ; round++) {
    const obs = await observe(s);
    const view = clusterView(s.instances, s.nodes, obs);
    const now = Date.now();
    const dead = s.nodes.find((n, i) => !n.failed && !obs[i].running);
    if (dead) {
      const stopped = [`the daemon of ${dead.name} is not running; the end of ${dead.log}:`, ...logTail(dead, 5).map((l) => `  ${l}`)].join('\n');
      return { settled: false, elapsedMs: now - start, view, obs, stopped };
    }
    // A healed node leaves FAULT a moment after its link comes back: wait for it to rejoin.
    const joining = o.joining === undefined ? undefined : obs.find((x) => x.name === o.joining);
    const joined = !joining || (joining.status?.instances.every((i) => i.state === 'MASTER' || i.state === 'BACKUP') ?? false);
    if (view.settled && joined) {
      firstSettled ??= now;
      if (now - firstSettled >= hold) return { settled: true, elapsedMs: firstSettled - start, view, obs };
    } else firstSettled = null;
    if (o.signal?.aborted) return { settled: false, elapsedMs: now - start, view, obs, stopped: 'interrupted' };
    if (now - start > o.timeoutMs || round > o.timeoutMs / poll + 10) return { settled: false, elapsedMs: now - start, view, obs };
    await sleep(poll, o.signal);
  }
}
