// `--for DURATION` of promote/demote: `90s`, `5m`, `2h`, `1d`, `1h30m`, or plain seconds. Pure.

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

/** Longer than this is a typo, not a maintenance window (and keeps expiresAt a valid date). */
export const MAX_DURATION_MS = 3650 * 86_400_000;

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
const ORDER = ['d', 'h', 'm', 's'];
const HINT = 'use e.g. 90s, 5m, 2h, 1d, 1h30m or plain seconds';

export function parseDuration(input: string): DurationResult {
  const text = input.trim();
  if (text === '') return { ok: false, error: `empty duration (${HINT})` };
  if (/^[-−]/.test(text)) return { ok: false, error: `'${input}' is negative; a duration must be positive` };
  if (/^\d+$/.test(text)) return checked(input, Number(text) * 1000);
  const part = /(\d+)([dhms])/y;
  let total = 0;
  let lastUnit = -1;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return { ok: false, error: `'${input}' is not a duration (${HINT})` };
    const unit = ORDER.indexOf(m[2]);
    // Each unit once, largest first: `30m1h` or `1h1h` is more likely a mistake than intended.
    if (unit <= lastUnit) return { ok: false, error: `'${input}' is not a duration: units must go d, h, m, s, each at most once` };
    lastUnit = unit;
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = part.lastIndex;
  }
  return checked(input, total);
}

function checked(input: string, ms: number): DurationResult {
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) return { ok: false, error: `'${input}' is too long (at most ${MAX_DURATION_MS / 86_400_000}d)` };
  if (ms <= 0) return { ok: false, error: `'${input}' is zero; a duration must be positive` };
  return { ok: true, ms };
}

/** 5400000 -> "1h30m", 90000 -> "1m30s", 500 -> "0s"; the largest two units, for status lines. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  let rest = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const u of ORDER) {
    const size = UNIT_MS[u] / 1000;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n}${u}`);
    if (parts.length === 2) break;
  }
  // Drop a trailing zero unit ("2h0m" reads better as "2h").
  if (parts.length === 2 && parts[1].startsWith('0')) parts.pop();
  return parts.length ? parts.join('') : '0s';
}
