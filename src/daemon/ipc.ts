// The IPC contract between the supervisor (parent) and its children (VRRP child, checker child,
// BFD child).
// Children are started with child_process.fork and an IPC channel; every message is one of the
// plain JSON objects below (process.send / process.on('message')). Both sides must ignore messages
// they do not know (isParentMessage / isChildMessage), so either can grow without breaking the other.
//
// Life of a child:
//   parent: fork  ->  child: { type: 'hello' }  ->  parent: { type: 'start', ... }
//   child:  { type: 'ready' } once it runs (the parent resets its respawn backoff from then on)
//   parent: 'reload' | 'rpc' | 'status' | 'signal' ... child: 'rpc-reply' | 'status-reply' | 'event' | 'log'
//   parent: { type: 'shutdown' } -> child stops cleanly (VIPs released, adverts with priority 0),
//           sends { type: 'stopped' } and exits 0. The parent SIGKILLs it after a bounded wait.
// A child whose IPC channel closes (the parent died) must shut down the same way and exit.

import type { DaemonEvent } from '../control/protocol.js';

export type ChildRole = 'vrrp' | 'checker' | 'bfd';

/** syslog levels (RFC 5424 numbers), the names keepalived's log_message uses. */
export type LogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

export interface LogOptions {
  /** -l: log to stderr instead of syslog. */
  console: boolean;
  /** -D: detailed log messages. */
  detail: boolean;
  /** -S: syslog facility LOCAL0..LOCAL7 (0-7); absent = LOG_DAEMON. */
  facility?: number;
}

/** Everything a child needs to run: it reads the configuration itself (as keepalived's children do). */
export interface ChildStart {
  type: 'start';
  role: ChildRole;
  configFile: string;
  configId: string;
  log: LogOptions;
  /** Directory for persistent state (the VRRP child keeps operator overrides there). */
  stateDir: string;
  /** The supervisor's pid and start time, reported by `status`. */
  daemonPid: number;
  daemonVersion: string;
  startedAt: string;
  /** Checker child: the VRRP instances' states known so far (ha_suspend, lvs_sync_daemon follow them). */
  vrrpStates?: Record<string, string>;
  /** VRRP and checker children: the BFD sessions' last known Up (true) / Down, by bfd_instance name. */
  bfdStates?: Record<string, boolean>;
}

/** A JSON-RPC method the parent forwards from the control socket (status, promote, demote, clear, reload). */
export interface ChildRpc {
  type: 'rpc';
  /** Unique per parent; the reply carries it back. */
  id: number;
  method: string;
  params: Record<string, unknown>;
}

export type ParentMessage =
  | ChildStart
  | ChildRpc
  /** HUP: re-read the configuration (the parent validated it already) and apply it. */
  | { type: 'reload' }
  /** A cheap health/status probe (the parent uses it for its own logging and tests). */
  | { type: 'status'; id: number }
  /** USR1/USR2 relayed (data / stats dumps); JSON (SIGRTMIN+2) and STATS_CLEAR (SIGRTMAX-1) by keepalived's names. */
  | { type: 'signal'; signal: 'SIGUSR1' | 'SIGUSR2' | 'JSON' | 'STATS_CLEAR' }
  /** TERM/INT: stop cleanly and exit 0. */
  | { type: 'shutdown' }
  /** To the checker child: a VRRP instance changed state (relayed from the VRRP child's transitions). */
  | { type: 'vrrp-state'; instance: string; state: string }
  /** To the VRRP and checker children: a BFD session went Up or Down (relayed from the BFD child). */
  | { type: 'bfd-state'; name: string; up: boolean };

/** A typed error for an RPC, mapped by the parent onto RpcFailure(code, message, data). */
export interface ChildRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type ChildMessage =
  /** The child's IPC listener is installed: the parent may send 'start'. */
  | { type: 'hello'; pid: number }
  /** Started: sockets open, instances (or checkers) running. */
  | { type: 'ready'; pid: number }
  /** The child could not start (bad config, no permission, ...): it exits with status 1 after this. */
  | { type: 'fatal'; message: string }
  | { type: 'rpc-reply'; id: number; ok: true; result: unknown }
  | { type: 'rpc-reply'; id: number; ok: false; error: ChildRpcError }
  | { type: 'status-reply'; id: number; status: unknown }
  /** A state transition, checker change, ... to broadcast on the control socket's `events` stream. */
  | { type: 'event'; event: DaemonEvent }
  /** A log line the parent should write for the child (when the child has no logger of its own). */
  | { type: 'log'; level: LogLevel; message: string }
  /** Result of a 'reload'. */
  | { type: 'reload-result'; ok: boolean; detail?: string }
  /** Shutdown is complete; the child exits right after. */
  | { type: 'stopped' }
  /** BFD child: a session's Up/Down, and which processes want it (bfd_instance's vrrp/checker). */
  | { type: 'bfd-state'; name: string; up: boolean; vrrp: boolean; checker: boolean };

const PARENT_TYPES = new Set(['start', 'rpc', 'reload', 'status', 'signal', 'shutdown', 'vrrp-state', 'bfd-state']);
const CHILD_TYPES = new Set(['hello', 'ready', 'fatal', 'rpc-reply', 'status-reply', 'event', 'log', 'reload-result', 'stopped', 'bfd-state']);

function typed(m: unknown): m is { type: string } {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/** A message a child may act on (structure is checked by type tag; fields are checked where used). */
export function isParentMessage(m: unknown): m is ParentMessage {
  return typed(m) && PARENT_TYPES.has(m.type);
}

export function isChildMessage(m: unknown): m is ChildMessage {
  return typed(m) && CHILD_TYPES.has(m.type);
}

/** A ChildProcess (parent side) or `process` (child side). */
export interface IpcTarget {
  connected?: boolean;
  // Method syntax: ChildProcess.send and process.send have richer overloads.
  send?(message: any, callback?: (error: Error | null) => void): boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Sends over the IPC channel if it is still open; never throws (a dead peer is not an error here). */
export function sendIpc(target: IpcTarget, m: ParentMessage | ChildMessage): boolean {
  if (!target.send || target.connected === false) return false;
  try {
    target.send(m, () => undefined);
    return true;
  } catch {
    return false;
  }
}
