import { Args, Command, Flags } from '@oclif/core';
import { errLine, dirFlags, statusJson, statusText, waitFlags, withAbort } from '../../src/lab/cli.js';
import { FAIL_HOWS, labFail } from '../../src/lab/faults.js';
import type { FailHow } from '../../src/lab/state.js';

export default class LabFail extends Command {
  static override description = `Break a lab node, then show where the VIP went and how long it took.

--how link (default): set the node's leg in the bridge down, as if its cable were pulled; its daemon
sees carrier loss and goes to FAULT, the others stop hearing it. --how kill: SIGKILL its daemon (no
goodbye advert: the backups wait out the master down interval). --how stop: SIGTERM (a clean shutdown
sends priority 0, so a backup takes over at once). Mend it with \`lab heal\`.`;

  static override examples = ['<%= config.bin %> <%= command.id %> n1', '<%= config.bin %> <%= command.id %> n1 --how kill'];
  static override enableJsonFlag = true;
  static override args = { node: Args.string({ description: 'node to break (n1, n2, n3)', required: true, ignoreStdin: true }) };
  static override flags = {
    how: Flags.string({ description: 'how the node fails', default: 'link', options: [...FAIL_HOWS] }),
    ...dirFlags,
    ...waitFlags,
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(LabFail);
    const r = await withAbort((l) => errLine(l), (signal) => labFail(flags.dir, args.node, flags.how as FailHow, flags.wait * 1000, signal));
    for (const e of r.errors) errLine(`keepalivedctl lab fail: ${e}`);
    if (!r.state || !r.settle) this.exit(r.exit);
    process.exitCode = r.exit;
    if (this.jsonEnabled()) return { action: r.action, errors: r.errors, settled: r.settle.settled, elapsedMs: r.settle.elapsedMs, moves: r.lines, status: statusJson(r.state, r.settle.view, r.settle.obs) };
    this.log(r.action);
    for (const l of r.lines) this.log(l);
    this.log('');
    process.stdout.write(statusText(r.state, r.settle.view, r.settle.obs));
    return undefined;
  }
}
