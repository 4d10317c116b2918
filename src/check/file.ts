// FILE_CHECK (check_file.c, track_file.c): the real server follows a number read from a tracked
// file (read like strtol(buf, NULL, 0) from its first 127 bytes; missing or unreadable = 0).
// weight 0: a non-zero value is down (reverse: zero is down), weight unchanged. weight W: the value
// times W (negated with reverse) is added to the real server's weight; INT32_MIN means down.
import { readFileSync } from 'node:fs';
import { failure, success, type CheckDeps, type CheckResult, type FileSpec } from './types.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** C strtol(s, NULL, 0) on text: blanks, sign, 0x hex / 0 octal / decimal; no digits = 0. */
export function strtol0(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(text);
  const digits = m?.[2];
  if (!digits) return 0;
  const base = /^0[xX]/.test(digits) ? 16 : digits.length > 1 && digits[0] === '0' ? 8 : 10;
  const v = Number(BigInt.asIntN(64, BigInt(base === 16 ? digits : base === 8 ? `0o${digits.slice(1)}` : digits)));
  return m?.[1] === '-' ? -v : v;
}

/** The value in the file, or undefined when out of range (keepalived then ignores the read). */
export function readTrackValue(path: string): number | undefined {
  let text = '';
  try {
    text = readFileSync(path).subarray(0, 127).toString('latin1');
  } catch {
    return 0;
  }
  const v = strtol0(text);
  return v < INT32_MIN || v > INT32_MAX + 1 ? undefined : v;
}

/** Pure: what a value means for the real server. */
export function fileVerdict(value: number, spec: Pick<FileSpec, 'weight' | 'reverse' | 'baseWeight'>): { up: boolean; weight: number } {
  if (spec.weight === 0) {
    const down = spec.reverse ? value === 0 : value !== 0;
    return { up: !down, weight: spec.baseWeight };
  }
  const raw = value * spec.weight * (spec.reverse ? -1 : 1);
  const status = Math.min(INT32_MAX, Math.max(INT32_MIN, raw));
  if (status === INT32_MIN) return { up: false, weight: 0 };
  return { up: true, weight: Math.min(INT32_MAX, Math.max(0, spec.baseWeight + status)) };
}

const lastValue = new WeakMap<FileSpec, number>();

export async function runFileCheck(spec: FileSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  let value = readTrackValue(spec.path);
  const ignored = value === undefined;
  if (value === undefined) value = lastValue.get(spec) ?? 0;
  lastValue.set(spec, value);
  const v = fileVerdict(value, spec);
  const what = `FILE_CHECK ${spec.trackName} (${spec.path}) value ${value}${ignored ? ' (out-of-range read ignored)' : ''}`;
  return v.up ? success(`${what}, weight ${v.weight}`, started, deps.now, v.weight) : failure(`${what}: fault`, started, deps.now);
}
