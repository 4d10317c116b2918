// The daemon's syslog: syslog(3) through the native addon (Node has no Unix datagram sockets
// to reach /dev/log). Without the addon it writes to stderr and says so once.
import { loadNative } from './native.js';

export type SyslogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'error' | 'warning' | 'warn' | 'notice' | 'info' | 'debug';

const LEVELS: Record<SyslogLevel, number> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  error: 3,
  warning: 4,
  warn: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** syslog.h facility numbers (before the << 3). */
const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/**
 * A facility as keepalived takes it: a name ('daemon', the default; 'local0'-'local7', ...)
 * or, as `keepalived -S N`, a number 0-7 meaning LOG_LOCAL0-7. Returns the syslog.h code.
 */
export function facilityCode(facility: string | number | undefined): number | string {
  if (facility === undefined) return FACILITIES.daemon! << 3;
  if (typeof facility === 'number') {
    return Number.isInteger(facility) && facility >= 0 && facility <= 7 ? (16 + facility) << 3 : `facility ${facility} is not 0-7 (LOG_LOCAL0-7)`;
  }
  const n = typeof facility === 'string' ? FACILITIES[facility.toLowerCase().replace(/^log_/, '')] : undefined;
  return n === undefined ? `unknown syslog facility ${JSON.stringify(facility)}` : n << 3;
}

export function levelCode(level: SyslogLevel | number): number {
  if (typeof level === 'number' && Number.isInteger(level) && level >= 0 && level <= 7) return level;
  return typeof level === 'string' && level in LEVELS ? LEVELS[level] : LEVELS.info;
}

export interface Syslog {
  /** Where lines go: 'syslog' (syslog(3)) or 'stderr' (the fallback). */
  readonly backend: 'syslog' | 'stderr';
  log(level: SyslogLevel | number, msg: string): void;
}

export interface SyslogOptions {
  /** For tests: where fallback lines go. */
  write?: (line: string) => void;
}

/** Opens the daemon's log; never throws. A bad facility falls back to 'daemon' with a note. */
export function openSyslog(ident: string, facility?: string | number, opts: SyslogOptions = {}): Syslog {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const name = typeof ident === 'string' && ident !== '' ? ident.slice(0, 63) : 'keepalived';
  const stderrLine = (msg: string): void => write(`${name}[${process.pid}]: ${msg}\n`);
  let code = facilityCode(facility);
  if (typeof code === 'string') {
    stderrLine(`syslog: ${code}, using daemon`);
    code = FACILITIES.daemon! << 3;
  }
  const fac = code;
  const n = loadNative();
  if (!n.ok) {
    stderrLine(`syslog unavailable, logging to stderr: ${n.error}`);
    return { backend: 'stderr', log: (_level, msg) => stderrLine(String(msg)) };
  }
  const addon = n.addon;
  let failedOnce = false;
  return {
    backend: 'syslog',
    log(level, msg) {
      const r = addon.syslog(name, fac, levelCode(level), String(msg));
      if (!r.ok) {
        if (!failedOnce) stderrLine(`syslog failed, this line goes to stderr: ${r.error}`);
        failedOnce = true;
        stderrLine(String(msg));
      }
    },
  };
}
