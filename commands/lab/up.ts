import { Command, Flags } from '@oclif/core';
import { errLine, dirFlags, statusJson, statusText, waitFlags, withAbort } from '../../src/lab/cli.js';
import { LAB_TEMPLATES, MAX_NODES, MIN_NODES } from '../../src/lab/plan.js';
import { nextCommands } from '../../src/lab/render.js';
import { labUp } from '../../src/lab/up.js';

export default class LabUp extends Command {
  static override description = `Start a keepalived cluster on this machine, in network namespaces, to play with.

Builds a LAN of network namespaces (a bridge and one namespace per node, eth0 with 192.0.2.N/24 and
2001:db8::N/64, no route out, the host's interfaces untouched), writes each node's keepalived.conf from
an init template, starts our daemon in each, waits until exactly one node is MASTER with the VIP, and
prints the cluster and the commands to try next. Needs root. Ctrl-C while starting takes it all down.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --nodes 3',
    '<%= config.bin %> <%= command.id %> --template active-active --dir /tmp/lab',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    nodes: Flags.integer({ char: 'n', description: 'how many nodes', default: 2, min: MIN_NODES, max: MAX_NODES }),
    template: Flags.string({ char: 't', description: 'init template the nodes run', default: 'active-backup', options: [...LAB_TEMPLATES] }),
    ...dirFlags,
    ...waitFlags,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(LabUp);
    const json = this.jsonEnabled();
    const say = (l: string) => (json ? errLine(l) : this.log(l));
    const r = await withAbort(say, (signal) => labUp({ dir: flags.dir, nodes: flags.nodes, template: flags.template, waitMs: flags.wait * 1000, signal, say }));
    if (!r.ok) {
      for (const l of r.error) errLine(`keepalivedctl lab up: ${l}`);
      this.exit(r.exit);
    }
    const { state, settle } = r;
    if (json) return { ...statusJson(state, settle.view, settle.obs), elapsedMs: r.elapsedMs, next: nextCommands(state) };
    this.log(`up in ${(r.elapsedMs / 1000).toFixed(1)}s\n`);
    process.stdout.write(statusText(state, settle.view, settle.obs));
    this.log('\nTry:');
    for (const c of nextCommands(state)) this.log(`  ${c}`);
    return undefined;
  }
}
