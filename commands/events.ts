import { Command, Flags } from '@oclif/core';
import { SOCKET_ENV } from '../src/control/protocol.js';

export default class Events extends Command {
  static override description = `Follow the daemon's events as they happen.

One line per event: VRRP transitions (with their reason), sync group transitions, effective priority
changes, tracked interfaces/scripts/files/processes going up or down, operator overrides, health
checker results and reloads. Colours only on a terminal. --json prints one JSON object per line
(NDJSON), each written as soon as the event arrives, for scripts and log shippers.
Runs until Ctrl-C, --count events or --timeout; exit status 0. If the daemon is not running or goes
away, one line on stderr and exit status 1.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json | jq -c \'select(.type == "transition")\'',
    '<%= config.bin %> <%= command.id %> --count 1 --timeout 30s   # wait for the next event, at most 30 s',
    '<%= config.bin %> <%= command.id %> --socket /run/keepalived/keepalivedctl.sock',
  ];

  static override flags = {
    json: Flags.boolean({ description: 'one JSON object per line (NDJSON), flushed per event' }),
    socket: Flags.string({ description: 'control socket of the daemon', env: SOCKET_ENV, helpValue: 'PATH' }),
    count: Flags.integer({ char: 'n', description: 'end after this many events', min: 0, helpValue: 'N' }),
    timeout: Flags.string({ description: 'end after this long (90s, 5m, 1h30m or plain seconds)', helpValue: 'DURATION' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Events);
    const { parseDuration } = await import('../src/control/duration.js');
    const { humanLine, jsonLine, streamEvents } = await import('../src/control/events-render.js');
    let durationMs: number | undefined;
    if (flags.timeout !== undefined) {
      const d = parseDuration(flags.timeout);
      if (!d.ok) {
        process.stderr.write(`keepalivedctl events: --timeout: ${d.error}\n`);
        process.exitCode = 2;
        return;
      }
      durationMs = d.ms;
    }
    let format = jsonLine;
    if (!flags.json) {
      const tty = Boolean(process.stdout.isTTY);
      const paint = tty ? await colourPaint() : undefined;
      format = (e, at) => humanLine(e, at, paint);
    }
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const r = await streamEvents({
      socket: flags.socket,
      timeoutMs: 5000,
      count: flags.count,
      durationMs,
      format,
      write: (l) => process.stdout.write(l),
      signal: ac.signal,
    });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (r.exit !== 0) process.stderr.write(r.error + '\n');
    process.exitCode = r.exit;
  }
}

async function colourPaint() {
  const { default: chalk } = await import('chalk');
  const { plainPaint } = await import('../src/control/events-render.js');
  const byState: Record<string, (s: string) => string> = { MASTER: chalk.green, BACKUP: chalk.yellow, FAULT: chalk.red, STOP: chalk.gray, INIT: chalk.cyan };
  return { ...plainPaint, state: (s: string, t: string) => (byState[s] ?? ((x: string) => x))(t), good: chalk.green, bad: chalk.red, dim: chalk.dim, bold: chalk.bold };
}
