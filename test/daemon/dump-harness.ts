// Shared by the dump, sdnotify, reload-stress and samples tests: run our daemon (bin/keepalived,
// which imports dist/) or keepalived inside a test namespace, read its status, wait, stop it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callDaemon } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/protocol.js';

export const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'keepalived');
export const distBuilt = () => existsSync(join(ROOT, 'dist', 'src', 'daemon', 'vrrp-child.js'));

export interface Proc {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** Runs `args` in namespace `ns` (`ip netns exec` execs it: the pid is the program's). */
export function runIn(ns: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => proc.on('exit', (c) => res(c)));
  return { proc, out: () => out, exited };
}

export interface Daemon extends Proc {
  dir: string;
  files: { pid: string; vrrpPid: string; checkersPid: string; sock: string; conf: string };
}

/** Our daemon in the foreground (-n -l -D), its files in `dir` (TMPDIR too: dumps land there). */
export function startOurs(ns: string, dir: string, conf: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Daemon {
  mkdirSync(dir, { recursive: true });
  const files = { pid: join(dir, 'k.pid'), vrrpPid: join(dir, 'v.pid'), checkersPid: join(dir, 'c.pid'), sock: join(dir, 'k.sock'), conf: join(dir, 'k.conf') };
  writeFileSync(files.conf, conf);
  const p = runIn(ns, [process.execPath, BIN, '-n', '-l', '-D', '-f', files.conf, '-p', files.pid, '-r', files.vrrpPid, '-c', files.checkersPid,
    '--socket', files.sock, '--state-dir', join(dir, 'state'), ...extraArgs], { TMPDIR: dir, ...env });
  return { ...p, dir, files };
}

/** keepalived itself (-n -l -D -P), dumps to `dir`. */
export function startKeepalived(ns: string, dir: string, conf: string, keepalived = '/usr/sbin/keepalived'): Proc & { dir: string; pidFile: string } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ka.conf'), conf);
  const pidFile = join(dir, 'ka.pid');
  const p = runIn(ns, [keepalived, '-n', '-l', '-D', '-P', '-f', join(dir, 'ka.conf'), '-p', pidFile, '-r', join(dir, 'kv.pid')], { TMPDIR: dir });
  return { ...p, dir, pidFile };
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function status(d: Daemon): Promise<StatusResult | null> {
  const r = await callDaemon<StatusResult>('status', {}, { socket: d.files.sock, timeoutMs: 5000 });
  return r.ok ? r.result : null;
}

export function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** VmRSS of a process in kB (0 when it is gone). */
export function rssKb(pid: number | null): number {
  if (pid === null) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves with the exit code. */
export async function stopProc(p: Proc, graceMs = 15_000): Promise<number | null> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.proc.exitCode;
  p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
  const c = await p.exited;
  clearTimeout(t);
  return c;
}
