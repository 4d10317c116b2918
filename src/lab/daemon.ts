// Our daemon on a lab node: started detached under `ip netns exec` (which execs it, so the pid we
// get is the daemon's), logging to DIR/nX.log; stopped by that pid, checked against /proc first.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { daemonArgv } from './plan.js';
import type { LabNode, LabState } from './state.js';
import { ip, isOurProcess, isRunning, pidAlive, signalOurs, sleep } from './sys.js';

export type StartResult = { ok: true; pid: number } | { ok: false; error: string };

/** Starts n's daemon; pid files left by a killed daemon are removed first (keepalived refuses a live one only, but be tidy). */
export function startDaemon(s: LabState, n: LabNode): StartResult {
  try {
    mkdirSync(n.stateDir, { recursive: true, mode: 0o755 });
    for (const f of [n.pidFile, n.vrrpPidFile, n.checkersPidFile]) {
      const pid = readPid(f);
      if (pid === null || !pidAlive(pid)) rmSync(f, { force: true });
    }
    const fd = openSync(n.log, 'a', 0o644);
    try {
      const child = spawn('ip', daemonArgv(s, n), { stdio: ['ignore', fd, fd], detached: true });
      child.unref();
      if (child.pid === undefined) return { ok: false, error: `${n.name}: could not start ip netns exec ${n.ns} keepalived` };
      // The lab outlives this process: forget the child so Node does not wait for it.
      child.on('error', () => undefined);
      return { ok: true, pid: child.pid };
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return { ok: false, error: `${n.name}: cannot start its daemon: ${(e as Error).message}` };
  }
}

export function readPid(path: string): number | null {
  try {
    const t = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(t) ? Number(t) : null;
  } catch {
    return null;
  }
}

/** Polls until `cond` or `ms` passed; bounded in rounds too. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, pollMs = 50): Promise<boolean> {
  const end = Date.now() + ms;
  for (let i = 0; i <= ms / pollMs + 1; i++) {
    if (await cond()) return true;
    if (Date.now() > end) break;
    await sleep(pollMs);
  }
  return cond();
}

/**
 * Stops n's daemon: `signal` (SIGTERM: graceful, it hands the VIP over with a priority-0 advert;
 * SIGKILL: dies without a word) and waits for it to go, SIGKILL after `graceMs`.
 */
export async function stopDaemon(n: LabNode, signal: NodeJS.Signals, graceMs = 10_000): Promise<{ stopped: boolean; detail: string }> {
  // A daemon started a moment ago may still be between fork and exec: let it become itself first.
  await until(() => !isRunning(n.pid, n.conf) || isOurProcess(n.pid, n.conf), 3000, 20);
  if (!isOurProcess(n.pid, n.conf)) return { stopped: true, detail: 'not running' };
  signalOurs(n.pid, n.conf, signal);
  if (await until(() => !isOurProcess(n.pid, n.conf), graceMs)) return { stopped: true, detail: signal };
  signalOurs(n.pid, n.conf, 'SIGKILL');
  const gone = await until(() => !isOurProcess(n.pid, n.conf), 5000);
  return { stopped: gone, detail: gone ? `${signal}, then SIGKILL after ${graceMs} ms` : `still running after SIGKILL` };
}

/**
 * Every process left in the lab namespace `ns` (only the lab starts processes there: a daemon's
 * VRRP child whose parent was killed, for one). SIGKILLed; returns the pids.
 */
export async function killLeftovers(ns: string): Promise<number[]> {
  const r = await ip('netns', 'pids', ns);
  if (!r.ok) return [];
  const pids = r.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
  // Freeze them all first: a VRRP child that outlives its parent by a moment would say goodbye
  // (priority 0, VIPs removed), which a crash must not do.
  for (const sig of ['SIGSTOP', 'SIGKILL'] as const) {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  }
  if (pids.length) await until(async () => {
    const again = await ip('netns', 'pids', ns);
    return !again.ok || again.stdout.trim() === '';
  }, 5000);
  return pids;
}

/** The last `lines` lines of a node's log, for an error message. */
export function logTail(n: LabNode, lines = 8): string[] {
  try {
    return readFileSync(n.log, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
