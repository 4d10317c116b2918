import { Args, Command, Flags } from '@oclif/core';
import { daemonFlags } from '../src/control/cli.js';

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
  static override args = { instance: Args.string({ description: 'only this vrrp_instance', ignoreStdin: true }) };
  static override flags = {
    ...daemonFlags,
    watch: Flags.boolean({ char: 'w', description: 'redraw on every change (and every 2 s) until Ctrl-C' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Status);
    // The body is shared with bin/keepalivedctl's fast path (no oclif there), so both print the same.
    const { statusMain } = await import('../src/cli-fast/status.js');
    return statusMain({ instance: args.instance, socket: flags.socket, timeout: flags.timeout, watch: flags.watch, json: this.jsonEnabled() });
  }
}
