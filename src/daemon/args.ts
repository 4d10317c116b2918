// keepalived's command line (the flags of keepalived 2.2 that the daemon honours) plus ours:
// --socket (control socket) and --state-dir (where operator overrides persist). Pure: argv and
// environment in, parsed options or one error line out.
import { parseArgs } from 'node:util';
import { DEFAULT_SOCKET, SOCKET_ENV } from '../control/protocol.js';
import { METRICS_ENV, type MetricsListen, parseMetricsListen } from './metrics-addr.js';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
export const DEFAULT_PID_FILE = '/run/keepalived.pid';
export const DEFAULT_VRRP_PID_FILE = '/run/vrrp.pid';
export const DEFAULT_CHECKERS_PID_FILE = '/run/checkers.pid';
export const DEFAULT_BFD_PID_FILE = '/run/bfd.pid';
export const DEFAULT_STATE_DIR = '/var/lib/keepalivedctl';

export interface DaemonArgs {
  configFile: string;
  /** -P: VRRP only (no checker child). */
  vrrpOnly: boolean;
  /** -C: checkers only (no VRRP child). */
  checkOnly: boolean;
  /** -B: no BFD child even when the config has bfd_instance. */
  noBfd: boolean;
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  /** -S: LOCAL0..LOCAL7 as 0-7. */
  logFacility?: number;
  configId?: string;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  bfdPidFile: string;
  configTest: boolean;
  configTestLog?: string;
  version: boolean;
  help: boolean;
  socket: string;
  stateDir: string;
  /** --signum=SIGFUNC: print keepalived's signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON and exit. */
  signum?: string;
  /** --metrics ADDR:PORT (or $KEEPALIVED_METRICS): serve Prometheus metrics over HTTP there. */
  metrics?: MetricsListen;
}

export type ParseResult = { ok: true; args: DaemonArgs } | { ok: false; error: string };

export const USAGE = `Usage: keepalived [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '${DEFAULT_CONFIG}'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=[0-7]     Set syslog facility to LOG_LOCAL[0-7]
  -n, --dont-fork              Don't fork the daemon process
  -p, --pid=FILE               Use specified pidfile for parent process
                                default '${DEFAULT_PID_FILE}'
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
                                default '${DEFAULT_VRRP_PID_FILE}'
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
                                default '${DEFAULT_CHECKERS_PID_FILE}'
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
                                default '${DEFAULT_BFD_PID_FILE}'
  -i, --config-id id           Skip configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match (default: node name)
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
      --socket=PATH            Control socket for keepalivedctl
                                default '${DEFAULT_SOCKET}' (env ${SOCKET_ENV})
      --state-dir=DIR          Where operator overrides (promote/demote) persist
                                default '${DEFAULT_STATE_DIR}'
      --metrics=ADDR:PORT      Serve Prometheus metrics on http://ADDR:PORT/metrics
                                (env ${METRICS_ENV}; default: off)
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;

const OPTIONS = {
  'use-file': { type: 'string', short: 'f' },
  vrrp: { type: 'boolean', short: 'P' },
  check: { type: 'boolean', short: 'C' },
  no_bfd: { type: 'boolean', short: 'B' },
  'dont-fork': { type: 'boolean', short: 'n' },
  'log-console': { type: 'boolean', short: 'l' },
  'log-detail': { type: 'boolean', short: 'D' },
  'log-facility': { type: 'string', short: 'S' },
  'config-id': { type: 'string', short: 'i' },
  pid: { type: 'string', short: 'p' },
  vrrp_pid: { type: 'string', short: 'r' },
  checkers_pid: { type: 'string', short: 'c' },
  bfd_pid: { type: 'string', short: 'b' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  socket: { type: 'string' },
  'state-dir': { type: 'string' },
  signum: { type: 'string' },
  metrics: { type: 'string' },
} as const;

function nonEmpty(v: string | undefined, flag: string): string | undefined | Error {
  if (v === undefined) return undefined;
  if (v === '') return new Error(`option ${flag} needs a non-empty value`);
  return v;
}

export function parseDaemonArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParseResult {
  // -t/--config-test takes an optional value attached with '=' (getopt's optional_argument), which
  // parseArgs cannot express: take it out first.
  let configTest = false;
  let configTestLog: string | undefined;
  const rest: string[] = [];
  for (const a of argv) {
    if (a === '-t' || a === '--config-test') configTest = true;
    else if (a.startsWith('--config-test=')) {
      configTest = true;
      configTestLog = a.slice('--config-test='.length);
    } else if (/^-t./.test(a)) {
      configTest = true;
      configTestLog = a.slice(2);
    } else rest.push(a);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...rest], strict: true, allowPositionals: false, options: OPTIONS }).values;
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
  const str = (k: keyof typeof OPTIONS) => values[k] as string | undefined;
  const bool = (k: keyof typeof OPTIONS) => values[k] === true;
  let facility: number | undefined;
  const fac = str('log-facility');
  if (fac !== undefined) {
    if (!/^[0-7]$/.test(fac)) return { ok: false, error: `invalid log facility '${fac}': must be 0-7 (LOG_LOCAL0-7)` };
    facility = Number(fac);
  }
  if (bool('vrrp') && bool('check')) return { ok: false, error: 'options -P/--vrrp and -C/--check exclude each other' };
  const paths: [keyof typeof OPTIONS, string][] = [
    ['use-file', '-f/--use-file'], ['pid', '-p/--pid'], ['vrrp_pid', '-r/--vrrp_pid'], ['checkers_pid', '-c/--checkers_pid'], ['bfd_pid', '-b/--bfd_pid'],
    ['socket', '--socket'], ['state-dir', '--state-dir'], ['config-id', '-i/--config-id'],
  ];
  for (const [k, flag] of paths) {
    const v = nonEmpty(str(k), flag);
    if (v instanceof Error) return { ok: false, error: v.message };
  }
  const envSocket = env[SOCKET_ENV];
  const metricsText = str('metrics') ?? (env[METRICS_ENV] ? env[METRICS_ENV] : undefined);
  const metrics = metricsText === undefined ? undefined : parseMetricsListen(metricsText);
  if (metrics && !metrics.ok) return { ok: false, error: metrics.error };
  return {
    ok: true,
    args: {
      configFile: str('use-file') ?? DEFAULT_CONFIG,
      vrrpOnly: bool('vrrp'),
      checkOnly: bool('check'),
      noBfd: bool('no_bfd'),
      dontFork: bool('dont-fork'),
      logConsole: bool('log-console'),
      logDetail: bool('log-detail'),
      logFacility: facility,
      configId: str('config-id'),
      pidFile: str('pid') ?? DEFAULT_PID_FILE,
      vrrpPidFile: str('vrrp_pid') ?? DEFAULT_VRRP_PID_FILE,
      checkersPidFile: str('checkers_pid') ?? DEFAULT_CHECKERS_PID_FILE,
      bfdPidFile: str('bfd_pid') ?? DEFAULT_BFD_PID_FILE,
      configTest,
      configTestLog,
      version: bool('version'),
      help: bool('help'),
      socket: str('socket') ?? (envSocket ? envSocket : DEFAULT_SOCKET),
      stateDir: str('state-dir') ?? DEFAULT_STATE_DIR,
      ...(str('signum') !== undefined ? { signum: str('signum') } : {}),
      ...(metrics?.ok ? { metrics: metrics.listen } : {}),
    },
  };
}
