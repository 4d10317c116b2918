import { Command } from '@oclif/core';
import { errLine, dirFlags, statusJson, statusText } from '../../src/lab/cli.js';
import { labView } from '../../src/lab/faults.js';

export default class LabStatus extends Command {
  static override description = `Show the lab: each node's daemon, each instance's state and priority, and where each VIP is.

The VIP owner column is what the kernel of each node holds on eth0 (ip -n NS addr), not what the
daemons believe. Exit status 0 when every VIP is on the node VRRP should elect, 1 otherwise or with no lab.`;

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override enableJsonFlag = true;
  static override flags = { ...dirFlags };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(LabStatus);
    const r = await labView(flags.dir);
    if (!r.ok) {
      errLine(`keepalivedctl lab status: ${r.error}`);
      this.exit(1);
    }
    process.exitCode = r.view.settled ? 0 : 1;
    if (this.jsonEnabled()) return statusJson(r.state, r.view, r.obs);
    process.stdout.write(statusText(r.state, r.view, r.obs));
    return undefined;
  }
}
