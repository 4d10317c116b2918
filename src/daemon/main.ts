// bin/keepalived: keepalived's command line. -t runs the config test; otherwise the daemon starts:
// in the background (re-spawned detached; the parent exits once the daemon wrote its pid file) or,
// with -n, in the foreground.
import { spawn } from 'node:child_process';
import { startControlServer } from '../control/server.js';
import { parseDaemonArgs, USAGE, type DaemonArgs } from './args.js';
import { runConfigTest } from './config-test.js';
import { signumOf } from './dump-signals.js';
import { makeLogger } from './log.js';
import { readPidFile, runningPid } from './pidfile.js';
import { Supervisor } from './supervisor.js';

/** Set in the re-spawned background daemon: it must not fork again. */
export const FOREGROUND_ENV = 'KEEPALIVEDCTL_DAEMONIZED';
const DAEMONIZE_WAIT_MS = 15_000;

export async function main(argv: string[], version: string): Promise<number> {
  const r = parseDaemonArgs(argv, process.env);
  if (!r.ok) {
    process.stderr.write(`keepalived: ${r.error}\n`);
    return 2;
  }
  const a = r.args;
  if (a.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (a.signum !== undefined) {
    // keepalived: the number on stdout, exit 0; "Unknown sigfunc NAME" on stderr, exit 1.
    const n = signumOf(a.signum);
    if (n === null) {
      process.stderr.write(`Unknown sigfunc ${a.signum}\n`);
      return 1;
    }
    process.stdout.write(`${n}\n`);
    return 0;
  }
  if (a.version) {
    process.stdout.write(`Keepalived v${version} (keepalivedctl, TypeScript)\n`);
    return 0;
  }
  if (a.configTest) return runConfigTest(a.configFile, a.configId, a.configTestLog);
  if (!a.dontFork && process.env[FOREGROUND_ENV] !== '1') return daemonize(argv, a);
  return runDaemon(a, version);
}

async function runDaemon(a: DaemonArgs, version: string): Promise<number> {
  const log = makeLogger('Keepalived', { console: a.logConsole, detail: a.logDetail, ...(a.logFacility !== undefined ? { facility: a.logFacility } : {}) });
  const sup = new Supervisor(a, version, { log, startControlServer });
  process.on('uncaughtException', (e) => {
    log.log('err', `uncaught exception: ${e.stack ?? e.message}`);
    void sup.stop();
  });
  const code = await sup.run();
  // Whatever a library left open, the daemon ends when it says it stopped.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

/** keepalived's fork into the background: start a detached copy and wait for its pid file. */
async function daemonize(argv: string[], a: DaemonArgs): Promise<number> {
  const pid = runningPid(a.pidFile);
  if (pid !== null) {
    process.stderr.write(`keepalived: daemon is already running (pid ${pid})\n`);
    return 1;
  }
  const script = process.argv[1];
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', a.logConsole ? 'inherit' : 'ignore'],
    env: { ...process.env, [FOREGROUND_ENV]: '1' },
  });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + DAEMONIZE_WAIT_MS;
  while (Date.now() < deadline) {
    if (exited !== null) {
      process.stderr.write(`keepalived: the daemon exited during start-up (status ${exited})\n`);
      return 1;
    }
    if (readPidFile(a.pidFile) === child.pid) {
      child.unref();
      return 0;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  process.stderr.write(`keepalived: the daemon did not write ${a.pidFile} within ${DAEMONIZE_WAIT_MS / 1000} s\n`);
  child.unref();
  return 1;
}
