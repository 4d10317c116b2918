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
  let errors = results.reduce((n, x) => n + x.r.errors, 0);
  let warnings = results.reduce((n, x) => n + x.r.warnings, 0);
  // A cluster is the files that could be read: one readable file next to a missing one is no cluster.
  const readable = results.filter((x) => !x.r.unreadable);
  if (readable.length > 1) {
    const sink = new DiagnosticSink();
    checkCluster(readable.map((x) => ({ file: x.file, model: x.r.model })), sink);
    diagnostics.push(...sink.sorted());
    errors += sink.errors;
    warnings += sink.warnings;
  }
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

/** Start offset of every line of a text, computed once per text. */
interface LineIndex {
  text: string;
  starts: Uint32Array;
}

const lineIndexes = new WeakMap<Map<string, string>, Map<string, LineIndex>>();

function indexLines(text: string): LineIndex {
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  const starts = new Uint32Array(count);
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[n++] = i + 1;
  return { text, starts };
}

/** The source line a diagnostic points at; files are read lazily, and each file's lines indexed once. */
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
  let perFile = lineIndexes.get(sources);
  if (!perFile) lineIndexes.set(sources, (perFile = new Map()));
  let idx = perFile.get(d.file);
  if (!idx || idx.text !== text) perFile.set(d.file, (idx = indexLines(text)));
  if (d.line > idx.starts.length) return undefined;
  const start = idx.starts[d.line - 1];
  const end = d.line < idx.starts.length ? idx.starts[d.line] - 1 : text.length;
  return text.slice(start, end).replace(/\r$/, '');
}
