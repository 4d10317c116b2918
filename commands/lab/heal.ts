import { Args, Command } from '@oclif/core';
import { errLine, dirFlags, statusJson, statusText, waitFlags, withAbort } from '../../src/lab/cli.js';
import { labHeal } from '../../src/lab/faults.js';
import { observe } from '../../src/lab/observe.js';
import { clusterView } from '../../src/lab/cluster.js';

export default class LabHeal extends Command {
  static override description = `Mend a lab node (link up, daemon restarted), then show where the VIP is and how long it took.

Mends whatever is broken on the node, whichever way it failed: its leg in the bridge is set up and its
daemon is started again if it is not running. With default preemption the node with the highest
priority takes the VIP back.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> n1',
    '<%= config.bin %> <%= command.id %> n1 --json   # where the VIP went and how long it took',
  ];
  static override enableJsonFlag = true;
  static override args = { node: Args.string({ description: 'node to mend (n1, n2, n3)', required: true, ignoreStdin: true }) };
  static override flags = { ...dirFlags, ...waitFlags };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(LabHeal);
    const r = await withAbort((l) => errLine(l), (signal) => labHeal(flags.dir, args.node, flags.wait * 1000, signal));
    for (const e of r.errors) errLine(`keepalivedctl lab heal: ${e}`);
    if (!r.state) this.exit(r.exit);
    process.exitCode = r.exit;
    const obs = r.settle?.obs ?? (await observe(r.state));
    const view = r.settle?.view ?? clusterView(r.state.instances, r.state.nodes, obs);
    if (this.jsonEnabled()) return { action: r.action, errors: r.errors, settled: r.settle?.settled ?? view.settled, elapsedMs: r.settle?.elapsedMs ?? 0, moves: r.lines, status: statusJson(r.state, view, obs) };
    this.log(r.action);
    for (const l of r.lines) this.log(l);
    this.log('');
    process.stdout.write(statusText(r.state, view, obs));
    return undefined;
  }
}
