import { Args, Command, Flags } from '@oclif/core';
import { callDaemon } from '../src/control/client.js';
import { daemonFlags, failureDetail, failureLine, reportFailure, secondsFlag } from '../src/control/cli.js';
import type { StatusResult, VrrpStateName } from '../src/control/protocol.js';
import { NO_PAINT, type Paint, renderStatus } from '../src/control/render.js';

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

export default class Status extends Command {
  static override description = `Show the VRRP instances of the running daemon.

One row per vrrp_instance: state, VRID, interface, priority (effective/configured, and the operator's
promote/demote override), the current master, VIPs, tracked objects and the last transition with its
reason and age. A table on a terminal, plain aligned columns in a pipe, the daemon's StatusResult with
--json. --watch redraws on every change and at least every 2 seconds until Ctrl-C.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> VI_1 --json',
    '<%= config.bin %> <%= command.id %> --watch',
  ];
  static override enableJsonFlag = true;
  static override args = { instance: Args.string({ description: 'only this vrrp_instance' }) };
  static override flags = {
    ...daemonFlags,
    watch: Flags.boolean({ char: 'w', description: 'redraw on every change (and every 2 s) until Ctrl-C' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Status);
    const timeout = secondsFlag('timeout', flags.timeout);
    if (!timeout.ok) return reportFailure(this, `keepalivedctl status: ${timeout.error}`, 2, { kind: 'usage' });
    const tty = Boolean(process.stdout.isTTY);
    const paint = tty ? await terminalPaint() : NO_PAINT;
    const params = args.instance ? { instance: args.instance } : {};
    if (flags.watch) return this.watch(args.instance, flags.socket, timeout.value, tty, paint);
    const r = await callDaemon<StatusResult>('status', params, { socket: flags.socket, timeoutMs: timeout.value });
    if (!r.ok) return reportFailure(this, failureLine('status', r), 1, failureDetail(r));
    if (this.jsonEnabled()) return r.result;
    process.stdout.write(renderStatus(r.result, { tty, now: new Date(), paint }));
    return r.result;
  }

  private async watch(instance: string | undefined, socket: string | undefined, timeoutMs: number, tty: boolean, paint: Paint): Promise<undefined> {
    const { watchStatus } = await import('../src/control/watch.js');
    const json = this.jsonEnabled();
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const r = await watchStatus({
      socket,
      timeoutMs,
      instance,
      intervalMs: 2000,
      signal: abort.signal,
      // --json --watch: one StatusResult per line (NDJSON), for jq --seq and friends.
      render: (s) => (json ? JSON.stringify(s) + '\n' : renderStatus(s, { tty, now: new Date(), paint })),
      write: (frame) => process.stdout.write(tty && !json ? `\x1b[H\x1b[2J${frame}` : json ? frame : `${frame}\n`),
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (r.error) reportFailure(this, r.error, r.exit);
    else process.exitCode = r.exit;
    return undefined;
  }
}
