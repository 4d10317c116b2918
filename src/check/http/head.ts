// Reading a response header the way keepalived does (lib/html.c), quirks included, because the
// digest depends on them: "Content-Length:" is matched case-sensitively as a plain substring of the
// first buffer, its value read by strtoul(), and a value keepalived rejects means "hash to EOF".

const CONTENT_LENGTH = Buffer.from('Content-Length:', 'latin1');
const ULONG_MAX = (1n << 64n) - 1n;

export interface StrtoulResult {
  value: bigint;
  /** Index just past the number, or `start` when there were no digits (as strtoul's endptr). */
  end: number;
  negative: boolean;
}

/** C strtoul(s + start, &end, 10) over a NUL-terminated byte string (64-bit unsigned long). */
export function strtoul(bytes: Uint8Array, start: number): StrtoulResult {
  let i = start;
  const at = (k: number): number => (k < bytes.length ? bytes[k]! : 0);
  while (isCSpace(at(i))) i++;
  let negative = false;
  if (at(i) === 0x2b || at(i) === 0x2d) {
    negative = at(i) === 0x2d;
    i++;
  }
  const digitsStart = i;
  let value = 0n;
  let overflow = false;
  while (at(i) >= 0x30 && at(i) <= 0x39) {
    if (!overflow) {
      value = value * 10n + BigInt(at(i) - 0x30);
      if (value > ULONG_MAX) overflow = true;
    }
    i++;
  }
  if (i === digitsStart) return { value: 0n, end: start, negative: false };
  if (overflow) return { value: ULONG_MAX, end: i, negative };
  return { value: negative && value !== 0n ? (ULONG_MAX + 1n - value) & ULONG_MAX : value, end: i, negative };
}

function isCSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/** Length of the C string in `buffer` (up to the first NUL). */
function cStringLength(buffer: Uint8Array): number {
  const nul = buffer.indexOf(0);
  return nul < 0 ? buffer.length : nul;
}

/**
 * keepalived's extract_content_length(): null (its SIZE_MAX) when absent or unusable, which makes
 * it hash everything up to EOF.
 */
export function readContentLength(buffer: Uint8Array): number | null {
  const text = Buffer.from(buffer.buffer, buffer.byteOffset, cStringLength(buffer));
  const at = text.indexOf(CONTENT_LENGTH);
  if (at < 0) return null;
  const { value, end } = strtoul(text, at + CONTENT_LENGTH.length);
  const next = end < text.length ? text[end]! : 0;
  if (next !== 0 && next !== 0x0d && next !== 0x0a) return null;
  if (value === ULONG_MAX) return null;
  // Beyond 2^53 no body could reach it: the nearest double still never cuts the digest short.
  return Number(value);
}

/** keepalived's extract_status_code(): the 3-digit code after the first space, else 0. */
export function readStatusCode(buffer: Uint8Array): number {
  const end = buffer.length;
  let i = 0;
  while (i < end && buffer[i] !== 0x20 && buffer[i] !== 0x0d) i++;
  if (i >= end || buffer[i] !== 0x20) return 0;
  i++;
  if (i + 3 >= end || buffer[i] === 0x20 || buffer[i + 3] !== 0x20) return 0;
  const r = strtoul(buffer, i);
  if (r.end !== i + 3) return 0;
  // A negative "code" wraps to a huge number in keepalived; call it what it is: no code.
  return r.negative ? 0 : Number(r.value);
}

/** "Name: value" lines after the status line, in order (latin1, obsolete folding not joined). */
export function parseHeaderFields(raw: Uint8Array): Array<[string, string]> {
  const lines = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1').split(/\r?\n/);
  const fields: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return fields;
}
