import { Args, Command, Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import type { Paint } from '../src/config/report.js';

// The engine, chalk and the renderers are imported in run(): oclif loads every command module to
// list them, and start-up time is most of a small file's validate.

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
    file: Args.string({ description: 'config file(s), default /etc/keepalived/keepalived.conf; - reads stdin' }),
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
    const { clusterFiles, sourceLineOf, validateFiles } = await import('../src/config/validate.js');
    let files = (argv as string[]).length ? (argv as string[]) : [];
    if (flags.cluster) {
      try {
        files = [...files, ...clusterFiles(flags.cluster)];
      } catch (e) {
        this.logToStderr(`keepalivedctl validate: cannot read cluster directory '${flags.cluster}': ${(e as Error).message}`);
        this.exit(2);
      }
      if (files.length === 0) {
        this.logToStderr(`keepalivedctl validate: cluster directory '${flags.cluster}' has no files`);
        this.exit(2);
      }
    }
    if (files.length === 0) files = ['/etc/keepalived/keepalived.conf'];
    const configId = flags['config-id'] ?? (await import('node:os')).hostname();
    const r = validateFiles(files, { configId, host: flags.host, strict: flags.strict, stdin: () => readFileSync(0, 'latin1') });
    process.exitCode = r.exitCode;
    const json = {
      valid: r.valid,
      errors: r.errors,
      warnings: r.warnings,
      diagnostics: r.diagnostics.map((d) => ({
        severity: d.severity,
        code: d.code,
        file: d.file,
        line: d.line,
        column: d.column,
        message: d.message,
        ...(d.suggestion ? { suggestion: d.suggestion } : {}),
      })),
    };
    if (this.jsonEnabled()) return json;
    if (flags.format === 'json') {
      this.log(JSON.stringify(json, null, 2));
      return json;
    }
    const { formatHuman, summaryLine, toSarif } = await import('../src/config/report.js');
    if (flags.format === 'sarif') {
      const { codeDocs } = await import('../src/config/codes.js');
      this.log(JSON.stringify(toSarif(r.diagnostics, this.config.version, codeDocs()), null, 2));
      return json;
    }
    const { default: chalk } = await import('chalk');
    const paint: Paint = { error: chalk.red.bold, warning: chalk.yellow.bold, dim: chalk.dim, bold: chalk.bold };
    for (const d of r.diagnostics) this.log(formatHuman(d, sourceLineOf(d, r.sources), paint));
    // A file that cannot be read at all: its one line says so; a summary of a check that never ran would mislead.
    if (r.exitCode === 2) return json;
    const summary = summaryLine(new Set(r.files).size || files.length, r.errors, r.warnings);
    this.log(r.valid ? chalk.green(summary) : chalk.red(summary));
    return json;
  }
}
