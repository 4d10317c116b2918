// One run of a keepalived script (vrrp_script, notify...): as its user (setpriv when we are root),
// file tests through /bin/sh as keepalived's system() path, and a timeout that kills the script's
// whole process group. Nothing here throws: failures come back as values.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { isFileTest, ourUser, type ScriptUser } from './script-exec.js';

/** The shell line keepalived's system() path runs (cmd_str): the first word as it is when it is a
 * redirection, every other word in single quotes. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((w, k) => (k === 0 && (w[0] === '<' || w[0] === '>') ? w : `'${w}'`)).join(' ');
}

/** How one run ended. `timedOut`: killed by us after its timeout (keepalived's "timed_out"). */
export type ScriptExit =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: string; timedOut: boolean }
  | { kind: 'error'; error: string };

export interface ScriptRun {
  readonly pid: number | undefined;
  readonly done: Promise<ScriptExit>;
  /** Ends the run now: SIGTERM to the process group, SIGKILL after the grace period. */
  kill(): void;
}

export interface RunOptions {
  /** 0 or absent: no timeout. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL (keepalived: 2 s). */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Schedules the timeout and the kill escalation (default: Node timers); the daemon passes its clock. */
  after?: (ms: number, fn: () => void) => { cancel(): void };
}

const nodeAfter = (ms: number, fn: () => void) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

const SETPRIV = '/usr/bin/setpriv';
let setprivOk: boolean | undefined;
function haveSetpriv(): boolean {
  if (setprivOk === undefined) {
    try {
      fs.accessSync(SETPRIV, fs.constants.X_OK);
      setprivOk = true;
    } catch {
      setprivOk = false;
    }
  }
  return setprivOk;
}

/**
 * Runs argv (no shell) as `user` in its own process group with stdio on /dev/null, as keepalived
 * does: uid/gid set and the supplementary groups reduced to the gid; the script gets SIGTERM if the
 * daemon dies (setpriv --pdeathsig, when util-linux's setpriv is there; else Node's uid/gid with
 * no supplementary groups). After `timeoutMs` the group gets SIGTERM, then SIGKILL after the grace.
 */
export function runScript(argv0: readonly string[], user: ScriptUser, opts: RunOptions = {}): ScriptRun {
  const viaShell = isFileTest(argv0);
  const argv = viaShell ? ['/bin/sh', '-c', shellLine(argv0)] : argv0;
  const me = ourUser();
  const switchUser = user.uid !== me.uid || user.gid !== me.gid;
  let cmd: string;
  let args: string[];
  const spawnOpts: Parameters<typeof spawn>[2] = { stdio: 'ignore', detached: true, env: opts.env ?? process.env };
  if (haveSetpriv()) {
    cmd = SETPRIV;
    args = ['--pdeathsig', 'TERM'];
    if (switchUser) args.push(`--regid=${user.gid}`, `--groups=${user.gid}`, `--reuid=${user.uid}`);
    args.push('--', ...argv);
  } else {
    cmd = argv[0];
    args = argv.slice(1);
    if (switchUser) Object.assign(spawnOpts, { uid: user.uid, gid: user.gid });
  }
  let phase: 'running' | 'term' | 'kill' = 'running';
  let timer: { cancel(): void } | null = null;
  const after = opts.after ?? nodeAfter;
  let pid: number | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone already
    }
  };
  let kill = () => {};
  const done = new Promise<ScriptExit>((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, spawnOpts);
    } catch (e) {
      resolve({ kind: 'error', error: `Error exec-ing command '${argv[0]}': ${(e as Error).message}` });
      return;
    }
    pid = child.pid;
    const clear = () => {
      timer?.cancel();
      timer = null;
    };
    const escalate = () => {
      if (phase === 'running') {
        phase = 'term';
        signalGroup('SIGTERM');
        timer = after(opts.killGraceMs ?? 2000, escalate);
      } else {
        phase = 'kill';
        signalGroup('SIGKILL');
        timer = after(10_000, escalate);
      }
    };
    kill = () => {
      if (phase !== 'running') return;
      clear();
      escalate();
    };
    if (opts.timeoutMs && opts.timeoutMs > 0) timer = after(opts.timeoutMs, escalate);
    child.once('error', (e) => {
      clear();
      resolve({ kind: 'error', error: `Error exec-ing command '${argv[0]}': ${e.message}` });
    });
    child.once('exit', (code, signal) => {
      clear();
      if (signal) {
        const killedByUs = (phase === 'term' && signal === 'SIGTERM') || (phase === 'kill' && (signal === 'SIGKILL' || signal === 'SIGTERM'));
        // The leader obeyed SIGTERM: whatever it started goes too.
        if (phase === 'term' && signal === 'SIGTERM') signalGroup('SIGKILL');
        resolve({ kind: 'signal', signal, timedOut: killedByUs });
      } else {
        // setpriv reports its own failure to exec with 127 (not found) or 126; keepalived's
        // system() path turns the shell's 126/127 into 0.
        const c = code ?? 0;
        resolve({ kind: 'exit', code: viaShell && (c === 126 || c === 127) ? 0 : c });
      }
    });
  });
  return {
    get pid() {
      return pid;
    },
    done,
    kill: () => kill(),
  };
}
