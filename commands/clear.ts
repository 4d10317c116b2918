import { Args, Command } from '@oclif/core';
import { daemonFlags, finish, overrideCommand, waitFlag } from '../src/control/cli.js';

export default class Clear extends Command {
  static override description = `Remove the promote/demote override of an instance (and its whole sync group).

The configured priority applies again and VRRP decides as usual. Waits until the states stop changing
for one advert interval and prints what changed. Exit status: 0 settled, 1 failed or did not settle.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> VI_1',
    '<%= config.bin %> <%= command.id %> VI_1 --wait 0 --json   # do not wait for the state to settle',
  ];
  static override enableJsonFlag = true;
  static override args = { instance: Args.string({ description: 'vrrp_instance name', required: true, ignoreStdin: true }) };
  static override flags = { ...daemonFlags, ...waitFlag };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Clear);
    return finish(this, await overrideCommand('clear', 'clear', args.instance, flags));
  }
}
