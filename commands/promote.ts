import { Args, Command } from '@oclif/core';
import { daemonFlags, finish, forFlag, overrideCommand, waitFlag } from '../src/control/cli.js';

export default class Promote extends Command {
  static override description = `Make this node MASTER for an instance (and its whole sync group), now.

Sets a runtime priority override of 254 (above every configured peer; 255 stays for address owners),
kept across restarts and reloads until \`clear\` or until --for runs out. Then waits for the group to
reach MASTER and prints what changed. Exit status: 0 settled, 1 failed or did not settle in time.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> VI_1',
    '<%= config.bin %> <%= command.id %> VI_1 --for 2h',
    '<%= config.bin %> <%= command.id %> VI_1 --json --socket /run/keepalived/keepalivedctl.sock',
  ];
  static override enableJsonFlag = true;
  static override args = { instance: Args.string({ description: 'vrrp_instance name', required: true, ignoreStdin: true }) };
  static override flags = { ...daemonFlags, ...waitFlag, ...forFlag };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Promote);
    const r = await overrideCommand('promote', 'promote', args.instance, flags);
    return finish(this, r);
  }
}

