// The lab's few system calls: `ip` (bounded in time, in its own process group so a terminal's Ctrl-C
// meant for `lab up` does not kill a cleanup step half-way), reading addresses and links of a
// namespace, and process checks by pid that make sure a pid is still the daemon we started.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** One line naming the command and why it failed. */
  error: string;
}

/** Runs `cmd args` (no shell) for at most `timeoutMs`; never throws. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (r: RunResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const line = `${cmd} ${args.join(' ')}`;
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, stdout, stderr, error: `${line}: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => finish({ ok: false, stdout, stderr, error: `${line}: ${e.message}` }));
    child.on('close', (code, signal) => {
      const why = stderr.trim().split('\n').pop() || (signal ? `killed by ${signal}` : `exit status ${code}`);
      finish({ ok: code === 0, stdout, stderr, error: code === 0 ? '' : `${line}: ${why}` });
    });
  });
}

export async function ip(...args: string[]): Promise<RunResult> {
  return run('ip', args);
}

/** Names of every network namespace (`ip netns list`). */
export async function netnsList(): Promise<string[]> {
  const r = await run('ip', ['-j', 'netns', 'list']);
  if (!r.ok || !r.stdout.trim()) return [];
  try {
    return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
  } catch {
    return [];
  }
}

/** Addresses (no prefix) on `ifname` in `ns`; null when the namespace or interface cannot be read. */
export async function nsAddrs(ns: string, ifname: string): Promise<string[] | null> {
  const r = await run('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', ifname], 5000);
  if (!r.ok) return null;
  try {
    const j = JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[];
    return j.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')).filter((a) => a !== '');
  } catch {
    return null;
  }
}

/** Whether `ifname` in `ns` is administratively up; null when it cannot be read. */
export async function linkIsUp(ns: string, ifname: string): Promise<boolean | null> {
  const r = await run('ip', ['-n', ns, '-j', 'link', 'show', 'dev', ifname], 5000);
  if (!r.ok) return null;
  try {
    const j = JSON.parse(r.stdout) as { flags?: string[] }[];
    return (j[0]?.flags ?? []).includes('UP');
  } catch {
    return null;
  }
}

export function pidAlive(pid: number | null | undefined): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A zombie or a dead pid does not count: a reaped child's pid may be reused. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

function cmdline(pid: number): string[] | null {
  try {
    const t = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return t === '' ? [] : t.split('\0');
  } catch {
    return null;
  }
}

function liveNotZombie(pid: number | null | undefined): pid is number {
  if (!pidAlive(pid)) return false;
  const st = procState(pid as number);
  return st !== null && st !== 'Z' && st !== 'X';
}

/** True when `pid` is alive and its command line names `conf`: a pid we recorded, not a reused one. */
export function isOurProcess(pid: number | null | undefined, conf: string): boolean {
  return liveNotZombie(pid) && (cmdline(pid) ?? []).includes(conf);
}

/**
 * Liveness for observing: as isOurProcess, but a process between fork and exec (an empty command
 * line for a moment, seen here under load) counts as running. Never used to pick whom to signal.
 */
export function isRunning(pid: number | null | undefined, conf: string): boolean {
  if (!liveNotZombie(pid)) return false;
  const argv = cmdline(pid);
  return argv !== null && (argv.length === 0 || argv.includes(conf));
}

/** Sends `signal` to `pid` only if it is still ours; false when it was not (or is gone). */
export function signalOurs(pid: number | null | undefined, conf: string, signal: NodeJS.Signals): boolean {
  if (!isOurProcess(pid, conf)) return false;
  try {
    process.kill(pid as number, signal);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
