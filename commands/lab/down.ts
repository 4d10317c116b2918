import { Command } from '@oclif/core';
import { errLine, dirFlags, withAbort } from '../../src/lab/cli.js';
import { labDown } from '../../src/lab/down.js';

export default class LabDown extends Command {
  static override description = `Take the lab down: stop its daemons, delete its namespaces, remove its files.

Stops every daemon the lab started (by its recorded pid; SIGKILL after 5 s), deletes every namespace
it created, and removes its state. Running it again, or with no lab, does nothing and succeeds.`;

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --dir /tmp/lab'];
  static override enableJsonFlag = true;
  static override flags = { ...dirFlags };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(LabDown);
    const json = this.jsonEnabled();
    // Ctrl-C during down changes nothing: down is what Ctrl-C would do anyway.
    const r = await withAbort((l) => errLine(l), () => labDown(flags.dir));
    if (!json) for (const l of r.lines) this.log(l);
    for (const e of r.errors) errLine(`keepalivedctl lab down: ${e}`);
    if (!r.ok) process.exitCode = 1;
    return { ok: r.ok, nothing: r.nothing, done: r.lines, errors: r.errors };
  }
}
