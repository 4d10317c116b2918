// The body of `keepalivedctl status`, free of oclif: run by the oclif command (commands/status.ts)
// and by the fast path in bin/keepalivedctl, so both print the same bytes.
import { callDaemon } from '../control/client.js';
import type { StatusResult, VrrpStateName } from '../control/protocol.js';
import { NO_PAINT, type Paint, renderStatus } from '../control/render.js';
import { failureDetail, failureLine, reportFailureJson, secondsFlag } from './common.js';

export interface StatusInput {
  instance?: string;
  socket?: string;
  timeout: string;
  watch: boolean;
  /** --json (or oclif's JSON content type). */
  json: boolean;
}

/** Colours for a terminal; chalk is loaded only then (it is not free, and a pipe never needs it). */
async function terminalPaint(): Promise<Paint> {
  const { default: chalk } = await import('chalk');
  const colour: Record<VrrpStateName, (t: string) => string> = {
    MASTER: chalk.green.bold,
    BACKUP: chalk.cyan,
    FAULT: chalk.red.bold,
    INIT: chalk.yellow,
    STOP: chalk.dim,
  };
  return { state: (s, t) => (colour[s] ?? ((x: string) => x))(t), head: chalk.bold, dim: chalk.dim, warn: chalk.yellow };
}

/** Runs status; returns what --json prints (the caller prints it), undefined when nothing is. */
export async function statusMain(inp: StatusInput): Promise<unknown> {
  const timeout = secondsFlag('timeout', inp.timeout);
  if (!timeout.ok) return reportFailureJson(inp.json, `keepalivedctl status: ${timeout.error}`, 2, { kind: 'usage' });
  const tty = Boolean(process.stdout.isTTY);
  const paint = tty ? await terminalPaint() : NO_PAINT;
  if (inp.watch) return watch(inp, timeout.value, tty, paint);
  const params = inp.instance ? { instance: inp.instance } : {};
  const r = await callDaemon<StatusResult>('status', params, { socket: inp.socket, timeoutMs: timeout.value });
  if (!r.ok) return reportFailureJson(inp.json, failureLine('status', r), 1, failureDetail(r));
  if (inp.json) return r.result;
  process.stdout.write(renderStatus(r.result, { tty, now: new Date(), paint }));
  return r.result;
}

async function watch(inp: StatusInput, timeoutMs: number, tty: boolean, paint: Paint): Promise<undefined> {
  const { watchStatus } = await import('../control/watch.js');
  const json = inp.json;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const r = await watchStatus({
    socket: inp.socket,
    timeoutMs,
    instance: inp.instance,
    intervalMs: 2000,
    signal: abort.signal,
    // --json --watch: one StatusResult per line (NDJSON), for jq --seq and friends.
    render: (s) => (json ? JSON.stringify(s) + '\n' : renderStatus(s, { tty, now: new Date(), paint })),
    write: (frame) => process.stdout.write(tty && !json ? `\x1b[H\x1b[2J${frame}` : json ? frame : `${frame}\n`),
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (r.error) reportFailureJson(json, r.error, r.exit);
  else process.exitCode = r.exit;
  return undefined;
}
