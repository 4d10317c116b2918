import { Args, Command, Flags } from '@oclif/core';

// The engine, chalk and the renderers are imported in run() (src/cli-fast/validate.ts): start-up time
// is most of a small file's validate.

export default class Validate extends Command {
  static override description = `Check keepalived.conf files the way keepalived -t does, and more.

Reads the config with keepalived's own grammar (includes, @conditionals, $PARAMS, ~SEQ), checks every
keyword, value and reference, and reports each problem as file:line:col with a stable code.
Several files (or --cluster DIR) are taken as the nodes of one cluster and cross-checked.
Exit status: 0 valid (warnings allowed), 1 problems found (or warnings with --strict), 2 unreadable.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> /etc/keepalived/keepalived.conf --strict',
    '<%= config.bin %> <%= command.id %> lb1.conf lb2.conf',
    '<%= config.bin %> <%= command.id %> --cluster ./cluster --format sarif > results.sarif',
    'cat keepalived.conf | <%= config.bin %> <%= command.id %> -',
  ];

  static override strict = false;
  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: 'config file(s), default /etc/keepalived/keepalived.conf; - reads stdin', ignoreStdin: true }),
  };

  static override flags = {
    'config-id': Flags.string({ char: 'i', description: "config id for @ID / @^ID lines (keepalived's -i); default: this host's name" }),
    host: Flags.boolean({ description: 'also check against this machine: interfaces exist, scripts runnable, script security' }),
    strict: Flags.boolean({ description: 'warnings fail too (exit 1), as keepalived -t treats them' }),
    format: Flags.string({ description: 'output format', options: ['human', 'json', 'sarif'], default: 'human' }),
    cluster: Flags.string({ description: 'directory whose files are the nodes of one cluster' }),
  };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(Validate);
    // The body is shared with bin/keepalivedctl's fast path (no oclif there), so both print the same.
    const { validateMain } = await import('../src/cli-fast/validate.js');
    const out = await validateMain({
      files: argv as string[],
      configId: flags['config-id'],
      host: Boolean(flags.host),
      strict: Boolean(flags.strict),
      format: flags.format,
      cluster: flags.cluster,
      json: this.jsonEnabled(),
      version: this.config.version,
    });
    if ('exit' in out) this.exit(out.exit);
    return 'result' in out ? out.result : undefined;
  }
}
