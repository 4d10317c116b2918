// `validate` as a library: runs the engine over one or more files (a cluster when several) and
// gives the verdict, shared by `keepalivedctl validate` and `keepalived -t`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkCluster } from './checks/cluster.js';
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
import { realHost } from './host.js';
import { loadConfig, loadConfigText, type LoadResult } from './index.js';
import { decode } from './source.js';

export interface ValidateOptions {
  configId?: string;
  host?: boolean;
  strict?: boolean;
  /** Text read from stdin when the file is `-`. */
  stdin?: () => string;
}

export interface ValidateResult {
  valid: boolean;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
  files: string[];
  /** 0 valid, 1 problems, 2 a file could not be read at all. */
  exitCode: 0 | 1 | 2;
  /** File text by name, for rendering source lines. */
  sources: Map<string, string>;
}

/** Config files of a cluster directory: every regular file in it, sorted. */
export function clusterFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .map((f) => join(dir, f))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

export function validateFiles(files: string[], opts: ValidateOptions = {}): ValidateResult {
  const sources = new Map<string, string>();
  const results: { file: string; r: LoadResult }[] = [];
  for (const file of files) {
    const loadOpts = { configId: opts.configId, host: opts.host ? realHost : undefined };
    if (file === '-') {
      let text = '';
      let unreadable = false;
      try {
        text = opts.stdin ? opts.stdin() : decode(readFileSync(0));
      } catch (e) {
        unreadable = true;
        text = '';
        const sink = new DiagnosticSink();
        sink.error('file-unreadable', { file: '<stdin>', line: 0, column: 0 }, `cannot read standard input: ${e instanceof Error ? e.message : e}`);
        results.push({ file: '<stdin>', r: { ...loadConfigText('', '<stdin>', loadOpts), diagnostics: sink.items, errors: 1, unreadable } });
        continue;
      }
      sources.set('<stdin>', text);
      results.push({ file: '<stdin>', r: loadConfigText(text, '<stdin>', loadOpts) });
    } else {
      results.push({ file, r: loadConfig(file, loadOpts) });
    }
  }
  const diagnostics = results.flatMap((x) => x.r.diagnostics);
  if (results.length > 1) {
    const sink = new DiagnosticSink();
    checkCluster(results.filter((x) => !x.r.unreadable).map((x) => ({ file: x.file, model: x.r.model })), sink);
    diagnostics.push(...sink.sorted());
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const unreadable = results.some((x) => x.r.unreadable);
  const failed = errors > 0 || (opts.strict === true && warnings > 0);
  return {
    valid: !failed && !unreadable,
    errors,
    warnings,
    diagnostics,
    files: results.flatMap((x) => x.r.model.files),
    exitCode: unreadable ? 2 : failed ? 1 : 0,
    sources,
  };
}

/** The source line a diagnostic points at, read lazily and cached. */
export function sourceLineOf(d: Diagnostic, sources: Map<string, string>): string | undefined {
  let text = sources.get(d.file);
  if (text === undefined) {
    try {
      text = decode(readFileSync(d.file));
    } catch {
      text = '';
    }
    sources.set(d.file, text);
  }
  if (d.line < 1) return undefined;
  let start = 0;
  for (let i = 1; i < d.line; i++) {
    start = text.indexOf('\n', start) + 1;
    if (start === 0) return undefined;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
}
