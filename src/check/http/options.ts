// genhash's readings of its option values (check_genhash.c), with its exact acceptance rules and
// messages: they are C library conversions (inet_pton, strtol, strtoul), reproduced here.
import net from 'node:net';
import { strtoul } from './head.js';
import type { HttpProtocol } from './request.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Without -t, genhash's timeout is UINT_MAX microseconds (about 71 minutes). */
export const GENHASH_DEFAULT_TIMEOUT_MS = 4294967.295;

const UINT_MOD = 1n << 32n;

/** An IP address; like keepalived, anything from a '-' or '/' on (a range or a prefix) is dropped. */
export function parseServerArg(arg: string): Parsed<string> {
  const cut = arg.search(/[-/]/);
  const ip = cut < 0 ? arg : arg.slice(0, cut);
  const ok = arg.includes(':') ? net.isIPv6(ip) && !ip.includes('%') : net.isIPv4(ip);
  return ok ? { ok: true, value: ip } : { ok: false, error: `server should be an IP, not ${arg}` };
}

/** strtol(arg, &end, 10) with nothing left over, in 1..65535. */
export function parsePortArg(arg: string): Parsed<number> {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(arg);
  const value = m ? Number(m[2]) * (m[1] === '-' ? -1 : 1) : 0;
  if (!m || value <= 0 || value > 65535) return { ok: false, error: `invalid port number '${arg}'` };
  return { ok: true, value };
}

export function parseProtocolArg(arg: string): Parsed<HttpProtocol> {
  if (arg === '1.0' || arg === '1.1') return { ok: true, value: arg };
  if (arg === '1.0c' || arg === '1.0C') return { ok: true, value: '1.0c' };
  return { ok: false, error: `invalid HTTP protocol version '${arg}'` };
}

/** genhash's strtoul() reading used by -t and -m: leading blanks skipped, no '-', nothing after. */
function readUnsigned(arg: string, allowEmpty: boolean): bigint | undefined {
  const bytes = Buffer.from(arg, 'utf8');
  let start = 0;
  while (bytes[start] === 0x20 || bytes[start] === 0x09) start++;
  if (bytes[start] === 0x2d || (!allowEmpty && start >= bytes.length)) return undefined;
  const r = strtoul(bytes, start);
  if (r.end < bytes.length) return undefined;
  return r.value;
}

/**
 * -t seconds. genhash keeps microseconds in a 32-bit unsigned int, so its timeout wraps around
 * above 4294 s (e.g. -t 4295 is 32.704 ms); `wrap` reproduces that for the drop-in genhash.
 */
export function parseTimeoutArg(arg: string, mode: 'genhash' | 'seconds'): Parsed<number> {
  const v = readUnsigned(arg, false);
  if (v === undefined) return { ok: false, error: `invalid timeout '${arg}'` };
  if (mode === 'seconds') return { ok: true, value: Number(v) * 1000 };
  const usecs = ((v % UINT_MOD) * 1_000_000n) % UINT_MOD;
  return { ok: true, value: Number(usecs) / 1000 };
}

/** -m mark: an unsigned 32-bit value (an empty string reads as 0, as in genhash). */
export function parseFwmarkArg(arg: string): Parsed<number> {
  const v = readUnsigned(arg, true);
  if (v === undefined) return { ok: false, error: `invalid fwmark '${arg}'` };
  return { ok: true, value: Number(v % UINT_MOD) };
}
