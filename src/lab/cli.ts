// What the `lab` commands share: flags, colours, the status printout and Ctrl-C handling.
// (oclif would load a commands/lab/_x.ts file as a command, so this lives here.)
import { Flags } from '@oclif/core';
import chalk from 'chalk';
import type { VrrpStateName } from '../control/protocol.js';
import type { ClusterView, NodeObs } from './cluster.js';
import { DEFAULT_LAB_DIR, LAB_DIR_ENV } from './plan.js';
import { type LabPaint, renderLabStatus } from './render.js';
import type { LabState } from './state.js';

export const dirFlags = {
  dir: Flags.string({ description: 'where the lab keeps its state, configs, sockets and logs', env: LAB_DIR_ENV, default: DEFAULT_LAB_DIR, helpValue: 'DIR' }),
};

export const waitFlags = {
  wait: Flags.integer({ description: 'seconds to wait for the VIPs to settle', default: 30, min: 1, max: 600, helpValue: 'SECONDS' }),
};

const STATE_COLOUR: Record<VrrpStateName, (t: string) => string> = {
  MASTER: chalk.green.bold,
  BACKUP: chalk.cyan,
  FAULT: chalk.red.bold,
  INIT: chalk.yellow,
  STOP: chalk.dim,
};
export const labPaint: LabPaint = { state: (s, t) => (STATE_COLOUR[s] ?? ((x: string) => x))(t), head: chalk.bold, warn: chalk.yellow };

export function statusText(s: LabState, view: ClusterView, obs: readonly NodeObs[]): string {
  return renderLabStatus(s, view, obs, { tty: Boolean(process.stdout.isTTY), paint: labPaint });
}

/** The --json shape of a lab's status. */
export function statusJson(s: LabState, view: ClusterView, obs: readonly NodeObs[]) {
  return {
    lab: s.prefix,
    dir: s.dir,
    template: s.template,
    settled: view.settled,
    nodes: s.nodes.map((n, i) => ({
      name: n.name,
      namespace: n.ns,
      address: n.addr4.split('/')[0],
      address6: n.addr6.split('/')[0],
      pid: n.pid,
      running: obs[i]?.running ?? false,
      failed: n.failed?.how ?? null,
      linkUp: obs[i]?.linkUp ?? null,
      socket: n.sock,
      log: n.log,
      instances: (obs[i]?.status?.instances ?? []).map((x) => ({ name: x.name, state: x.state, priority: x.priority.effective })),
      vips: view.places.filter((p) => p.holders.includes(n.name)).map((p) => p.vip),
    })),
    vips: view.places,
    masters: view.masters,
  };
}

/**
 * Turns SIGINT/SIGTERM into an abort while `fn` runs (a second signal only says to wait: cleanup
 * is bounded and must finish, or namespaces would be left behind).
 */
export async function withAbort<T>(say: (l: string) => void, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const on = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) say(`${sig} again: still cleaning up, a few seconds more`);
    else ac.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  process.on('SIGHUP', on);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
    process.off('SIGHUP', on);
  }
}

/** One line on stderr, also with --json (oclif silences logToStderr then). */
export function errLine(line: string): void {
  process.stderr.write(`${line}\n`);
}
