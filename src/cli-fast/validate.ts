// The body of `keepalivedctl validate`, free of oclif: run by the oclif command (commands/validate.ts)
// and by the fast path in bin/keepalivedctl, so both print the same bytes.
import { readFileSync } from 'node:fs';
import type { Paint } from '../config/report.js';

export interface ValidateInput {
  files: string[];
  configId?: string;
  host: boolean;
  strict: boolean;
  format: string;
  cluster?: string;
  /** --json (or oclif's JSON content type): no text output, the report is returned. */
  json: boolean;
  /** The CLI's version, for SARIF. */
  version: string;
}

/** The outcome: `exit` when the command stops at once (oclif's this.exit), `result` what --json prints. */
export type ValidateOutcome = { exit: number } | { result: unknown };

export async function validateMain(inp: ValidateInput): Promise<ValidateOutcome> {
  // oclif's log/logToStderr say nothing under --json.
  const log = (s: string) => {
    if (!inp.json) console.log(s);
  };
  const logErr = (s: string) => {
    if (!inp.json) console.error(s);
  };
  const { clusterFiles, sourceLineOf, validateFiles } = await import('../config/validate.js');
  let files = inp.files;
  if (inp.cluster) {
    try {
      files = [...files, ...clusterFiles(inp.cluster)];
    } catch (e) {
      logErr(`keepalivedctl validate: cannot read cluster directory '${inp.cluster}': ${(e as Error).message}`);
      return { exit: 2 };
    }
    if (files.length === 0) {
      logErr(`keepalivedctl validate: cluster directory '${inp.cluster}' has no files`);
      return { exit: 2 };
    }
  }
  if (files.length === 0) files = ['/etc/keepalived/keepalived.conf'];
  const configId = inp.configId ?? (await import('node:os')).hostname();
  const r = validateFiles(files, { configId, host: inp.host, strict: inp.strict, stdin: () => readFileSync(0, 'latin1') });
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
  if (inp.json) return { result: json };
  if (inp.format === 'json') {
    log(JSON.stringify(json, null, 2));
    return { result: json };
  }
  const { formatHuman, summaryLine, toSarif } = await import('../config/report.js');
  if (inp.format === 'sarif') {
    const { codeDocs } = await import('../config/codes.js');
    log(JSON.stringify(toSarif(r.diagnostics, inp.version, codeDocs()), null, 2));
    return { result: json };
  }
  const { default: chalk } = await import('chalk');
  const paint: Paint = { error: chalk.red.bold, warning: chalk.yellow.bold, dim: chalk.dim, bold: chalk.bold };
  for (const d of r.diagnostics) log(formatHuman(d, sourceLineOf(d, r.sources), paint));
  // A file that cannot be read at all: its one line says so; a summary of a check that never ran would mislead.
  if (r.exitCode === 2) return { result: json };
  const summary = summaryLine(new Set(r.files).size || files.length, r.errors, r.warnings);
  log(r.valid ? chalk.green(summary) : chalk.red(summary));
  return { result: json };
}
