// Logging as keepalived does it: `-l` writes `Keepalived_vrrp[pid]: message` lines to stderr;
// otherwise syslog with the -S facility (src/net/syslog.ts). -D enables the detailed messages.
import { openSyslog } from '../net/syslog.js';
import type { LogLevel, LogOptions } from './ipc.js';

export interface Logger {
  log(level: LogLevel, message: string): void;
  /** True when -D was given: callers skip building detail messages otherwise. */
  readonly detail: boolean;
}

export type Ident = 'Keepalived' | 'Keepalived_vrrp' | 'Keepalived_healthcheckers' | 'Keepalived_bfd';

/** One stderr line per message, keepalived's console format. */
export function consoleLogger(ident: Ident, opts: Pick<LogOptions, 'detail'>, write: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  return {
    detail: opts.detail,
    log(level, message) {
      if (level === 'debug' && !opts.detail) return;
      for (const line of String(message).split('\n')) write(`${ident}[${process.pid}]: ${line}\n`);
    },
  };
}

/** A syslog sink as src/net/syslog.ts provides it. */
export interface SyslogSink {
  log(level: LogLevel, message: string): void;
}

export function syslogLogger(sink: SyslogSink, opts: Pick<LogOptions, 'detail'>): Logger {
  return {
    detail: opts.detail,
    log(level, message) {
      if (level === 'debug' && !opts.detail) return;
      try {
        sink.log(level, message);
      } catch {
        // a logging failure must never take the daemon down
      }
    },
  };
}

/** -l: stderr lines; otherwise syslog(3) with the -S facility (LOG_DAEMON by default). */
export function makeLogger(ident: Ident, opts: LogOptions): Logger {
  if (opts.console) return consoleLogger(ident, opts);
  return syslogLogger(openSyslog(ident, opts.facility), opts);
}
