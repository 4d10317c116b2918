// What the daemon-facing commands (status, promote, demote, clear) share: flags, flag checks, the
// one-line failure text, and the promote/demote/clear flow that waits for the state to settle.
// (oclif would load a `commands/_x.ts` file as a command, so this lives here.)
import { type Command, Flags } from '@oclif/core';
// Shared with the fast path (src/cli-fast), which must not load @oclif/core.
import { type Checked, failureDetail, failureLine, secondsFlag } from '../cli-fast/common.js';
import { type CallFailure, openDaemon } from './client.js';
import { parseDuration } from './duration.js';
import { SOCKET_ENV, type OverrideResult, type StatusResult } from './protocol.js';
import { type Action, type ChangeReport, renderChange, settleTracker, statesOf } from './settle.js';

export { type Checked, failureDetail, failureLine, secondsFlag };

export const daemonFlags = {
  socket: Flags.string({ description: 'control socket of the daemon', env: SOCKET_ENV, helpValue: 'PATH' }),
  timeout: Flags.string({ description: 'seconds to wait for each answer from the daemon', default: '5', helpValue: 'SECONDS' }),
};

export const waitFlag = {
  wait: Flags.string({ description: 'seconds to wait for the state to settle (0: do not wait)', default: '10', helpValue: 'SECONDS' }),
};

export const forFlag = {
  for: Flags.string({ description: 'the override expires by itself after this long (90s, 5m, 2h, 1d, 1h30m)', helpValue: 'DURATION' }),
};


export function forFlagMs(text: string | undefined): Checked<number | undefined> {
  if (text === undefined) return { ok: true, value: undefined };
  const d = parseDuration(text);
  return d.ok ? { ok: true, value: d.ms } : { ok: false, error: `--for: ${d.error}` };
}

export interface OverrideRequest {
  action: Action;
  instance: string;
  forMs?: number;
  waitMs: number;
  socket?: string;
  timeoutMs: number;
}

const POLL_MS = 100;

/** Sends promote/demote/clear, then polls status until the sync group settles or waitMs passes. */
export async function runOverride(req: OverrideRequest, clock: { now(): number; sleep(ms: number): Promise<void> }): Promise<{ ok: true; report: ChangeReport } | CallFailure> {
  const opened = await openDaemon({ socket: req.socket, timeoutMs: req.timeoutMs });
  if (!opened.ok) return opened;
  const conn = opened.connection;
  try {
    const before = await conn.call<StatusResult>('status', {});
    if (!before.ok) return before;
    const method = req.action === 'demote-fault' ? 'demote' : req.action;
    const params: Record<string, unknown> = { instance: req.instance };
    if (req.forMs !== undefined) params.forMs = req.forMs;
    if (req.action === 'demote-fault') params.fault = true;
    const start = clock.now();
    const r = await conn.call<OverrideResult>(method, params);
    if (!r.ok) return r;
    const result = r.result;
    const names = result.instances.length ? result.instances : [req.instance];
    const tracker = settleTracker(req.action, names, start, statesOf(before.result, names));
    let settled = false;
    let last: StatusResult | null = null;
    // Bounded by the deadline and by a count (a clock that does not move cannot loop forever).
    const maxPolls = Math.ceil(req.waitMs / POLL_MS) + 2;
    for (let k = 0; k < maxPolls; k++) {
      const s = await conn.call<StatusResult>('status', {});
      if (!s.ok) return s;
      last = s.result;
      settled = tracker.observe(s.result, clock.now());
      if (settled || clock.now() - start >= req.waitMs) break;
      await clock.sleep(Math.min(POLL_MS, Math.max(0, start + req.waitMs - clock.now())));
    }
    return {
      ok: true,
      report: {
        action: req.action,
        instance: req.instance,
        forMs: req.forMs,
        result: { ...result, instances: names },
        before: statesOf(before.result, names),
        after: statesOf(last, names),
        settled,
        elapsedMs: clock.now() - start,
        waitMs: req.waitMs,
      },
    };
  } finally {
    conn.close();
  }
}

export const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/** The body of promote/demote/clear once flags are parsed: returns the exit status and what to print. */
export async function overrideCommand(
  command: string,
  action: Action,
  instance: string,
  flags: { socket?: string; timeout: string; wait: string; for?: string },
): Promise<{ exit: number; stdout: string[]; error?: string; detail?: Record<string, unknown>; json?: unknown }> {
  const timeout = secondsFlag('timeout', flags.timeout);
  const wait = secondsFlag('wait', flags.wait, true);
  const forMs = forFlagMs(flags.for);
  for (const c of [timeout, wait, forMs]) if (!c.ok) return { exit: 2, stdout: [], error: `keepalivedctl ${command}: ${c.error}`, detail: { kind: 'usage' } };
  if (!timeout.ok || !wait.ok || !forMs.ok) return { exit: 2, stdout: [] };
  const r = await runOverride({ action, instance, forMs: forMs.value, waitMs: wait.value, socket: flags.socket, timeoutMs: timeout.value }, realClock);
  if (!r.ok) return { exit: 1, stdout: [], error: failureLine(command, r), detail: failureDetail(r) };
  const shown = renderChange(r.report, new Date());
  return { exit: shown.ok ? 0 : 1, stdout: shown.lines, json: r.report };
}

/**
 * A failure: its one line on stderr (oclif's logToStderr is silent under --json, this is not), and
 * under --json also `{"error": {...}}` on stdout for scripts.
 */
export function reportFailure(cmd: Command, line: string, exit: number, detail: Record<string, unknown> = {}): void {
  process.stderr.write(line + '\n');
  if (cmd.jsonEnabled()) process.stdout.write(JSON.stringify({ error: { message: line, ...detail } }, null, 2) + '\n');
  process.exitCode = exit;
}

/** Prints an override command's outcome (text, or the report with --json) and sets the exit status. */
export function finish(cmd: Command, r: Awaited<ReturnType<typeof overrideCommand>>): unknown {
  if (r.error) {
    reportFailure(cmd, r.error, r.exit, r.detail);
    return undefined;
  }
  process.exitCode = r.exit;
  if (cmd.jsonEnabled()) return r.json;
  for (const l of r.stdout) cmd.log(l);
  return r.json;
}
