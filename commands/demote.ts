import { Args, Command, Flags } from '@oclif/core';
import { daemonFlags, finish, forFlag, overrideCommand, waitFlag } from '../src/control/cli.js';

export default class Demote extends Command {
  static override description = `Make this node step down for an instance (and its whole sync group) and stay down.

Sets a runtime priority override of 1 so a peer takes over, kept across restarts and reloads until
\`clear\` or until --for runs out; --fault goes to FAULT instead, releasing the VIPs even when no peer
is there to take them (maintenance). Then waits for BACKUP (or FAULT) and prints what changed.
Exit status: 0 settled, 1 failed or did not settle in time.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> VI_1',
    '<%= config.bin %> <%= command.id %> VI_1 --fault --for 30m',
    '<%= config.bin %> <%= command.id %> VI_1 --wait 30',
  ];
  static override enableJsonFlag = true;
  static override args = { instance: Args.string({ description: 'vrrp_instance name', required: true, ignoreStdin: true }) };
  static override flags = {
    ...daemonFlags,
    ...waitFlag,
    ...forFlag,
    fault: Flags.boolean({ description: 'go to FAULT: release the VIPs even if no peer takes over' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Demote);
    return finish(this, await overrideCommand('demote', flags.fault ? 'demote-fault' : 'demote', args.instance, flags));
  }
}
