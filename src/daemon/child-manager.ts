// One supervised child (VRRP, checker or BFD): fork with an IPC channel, hand it its start message,
// relay its messages, forward RPCs with a timeout, respawn it with backoff when it dies, and stop
// it gracefully (shutdown message, bounded wait, then SIGKILL).
import type { ChildProcess } from 'node:child_process';
import type { DaemonEvent } from '../control/protocol.js';
import { type ChildMessage, type ChildRole, type ChildRpcError, type ChildStart, isChildMessage, type LogLevel, type ParentMessage, sendIpc } from './ipc.js';
import type { Logger } from './log.js';
import { removePidFile, writePidFile } from './pidfile.js';

export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;
export const HEALTHY_RESET_MS = 60_000;

/** Respawn delay after a crash: 1 s doubling to 30 s, back to 1 s after 60 s of healthy running. */
export function nextBackoff(prevMs: number | null, healthyMs: number): number {
  if (prevMs === null || healthyMs >= HEALTHY_RESET_MS) return BACKOFF_MIN_MS;
  return Math.min(BACKOFF_MAX_MS, prevMs * 2);
}

export class RpcError extends Error {
  constructor(readonly rpc: ChildRpcError) {
    super(rpc.message);
  }
}

export interface ChildManagerOptions {
  role: ChildRole;
  fork: () => ChildProcess;
  startMessage: () => ChildStart;
  pidFile: string;
  log: Logger;
  onEvent: (e: DaemonEvent) => void;
  /** Messages the manager does not handle itself (the BFD child's 'bfd-state'). */
  onOther?: (m: ChildMessage) => void;
  /** The child's own log lines (ipc 'log' messages). */
  onChildLog?: (level: LogLevel, message: string) => void;
  now?: () => number;
  rpcTimeoutMs?: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class ChildManager {
  proc: ChildProcess | null = null;
  ready = false;
  private stopping = false;
  private backoffMs: number | null = null;
  private startedAt = 0;
  private respawnTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private exitWaiters: (() => void)[] = [];
  /** Count of forks (tests and logs). */
  spawns = 0;

  constructor(private readonly o: ChildManagerOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  start(): void {
    if (this.stopping || this.proc) return;
    this.spawns++;
    this.ready = false;
    let p: ChildProcess;
    try {
      p = this.o.fork();
    } catch (e) {
      this.o.log.log('err', `cannot start the ${this.o.role} child: ${(e as Error).message}`);
      this.scheduleRespawn();
      return;
    }
    this.proc = p;
    this.startedAt = this.now();
    p.on('message', (m) => this.onMessage(p, m));
    p.on('error', (e) => this.o.log.log('err', `${this.o.role} child: ${e.message}`));
    p.on('exit', (code, signal) => this.onExit(p, code, signal));
  }

  private onMessage(p: ChildProcess, m: unknown): void {
    if (!isChildMessage(m)) return;
    const msg = m as ChildMessage;
    switch (msg.type) {
      case 'hello':
        sendIpc(p, this.o.startMessage());
        return;
      case 'ready': {
        this.ready = true;
        const w = writePidFile(this.o.pidFile, p.pid ?? msg.pid);
        if (!w.ok) this.o.log.log('warning', w.error);
        return;
      }
      case 'fatal':
        this.o.log.log('err', `${this.o.role} child: ${msg.message}`);
        return;
      case 'rpc-reply': {
        const pend = this.pending.get(msg.id);
        if (!pend) return;
        this.pending.delete(msg.id);
        clearTimeout(pend.timer);
        if (msg.ok) pend.resolve(msg.result);
        else pend.reject(new RpcError(msg.error));
        return;
      }
      case 'event':
        this.o.onEvent(msg.event);
        return;
      case 'log':
        (this.o.onChildLog ?? ((l, s) => this.o.log.log(l, s)))(msg.level, msg.message);
        return;
      case 'reload-result':
        this.o.onEvent({ type: 'reload', ok: msg.ok, ...(msg.detail ? { detail: msg.detail } : {}) });
        return;
      default:
        this.o.onOther?.(msg);
        return;
    }
  }

  private onExit(p: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== p) return;
    this.proc = null;
    this.ready = false;
    if (p.pid) removePidFile(this.o.pidFile, p.pid);
    for (const [id, pend] of this.pending) {
      clearTimeout(pend.timer);
      pend.reject(new RpcError({ code: -32003, message: `the ${this.o.role} child exited` }));
      this.pending.delete(id);
    }
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (this.stopping) return;
    const how = signal ? `signal ${signal}` : `status ${code}`;
    this.o.log.log('err', `${this.o.role === 'vrrp' ? 'VRRP' : this.o.role === 'bfd' ? 'BFD' : 'Healthcheck'} child process(${p.pid}) died: exited with ${how}`);
    this.scheduleRespawn();
  }

  private scheduleRespawn(): void {
    if (this.stopping) return;
    this.backoffMs = nextBackoff(this.backoffMs, this.now() - this.startedAt);
    this.o.log.log('info', `Restarting the ${this.o.role} child in ${this.backoffMs / 1000} s`);
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      this.start();
    }, this.backoffMs);
  }

  send(m: ParentMessage): boolean {
    return this.proc ? sendIpc(this.proc, m) : false;
  }

  /** Forwards a control method; rejects with RpcError (typed) when the child is absent, fails or times out. */
  rpc(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (!this.proc || !this.ready) {
      return Promise.reject(new RpcError({ code: -32003, message: `the ${this.o.role} child is not running (restarting); try again shortly` }));
    }
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError({ code: -32603, message: `the ${this.o.role} child did not answer ${method} in time` }));
      }, this.o.rpcTimeoutMs ?? 10_000);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.send({ type: 'rpc', id, method, params })) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new RpcError({ code: -32003, message: `the ${this.o.role} child is not reachable` }));
      }
    });
  }

  private waitExit(ms: number): Promise<boolean> {
    if (!this.proc) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.exitWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** Graceful stop: shutdown message (and SIGTERM), up to graceMs, then SIGKILL. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = null;
    const p = this.proc;
    if (!p) return;
    if (!this.send({ type: 'shutdown' })) p.kill('SIGTERM');
    if (await this.waitExit(graceMs)) return;
    this.o.log.log('warning', `${this.o.role} child ${p.pid} did not stop in ${graceMs} ms; killing it`);
    p.kill('SIGKILL');
    await this.waitExit(2000);
  }
}
