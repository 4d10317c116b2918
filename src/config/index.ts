// The config engine's one entry point: file(s) in, typed model and diagnostics out.
import { buildModel } from './build-model.js';
import { checkHost, type HostInfo } from './checks/host.js';
import { checkBfd } from './checks/bfd.js';
import { checkLvs } from './checks/lvs.js';
import { checkReferences } from './checks/references.js';
import { checkVrrp } from './checks/vrrp.js';
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
import type { KeepalivedConfig } from './model.js';
import type { ConfNode } from './ast.js';
import { Parser } from './parser.js';
import { type PreprocessOptions, preprocessInto, preprocessTextInto } from './preprocess.js';
import { type ConfigSource, nodeSource } from './source.js';

export interface LoadOptions extends PreprocessOptions {
  /** Run the host-dependent checks against this machine. */
  host?: HostInfo;
  source?: ConfigSource;
}

export interface LoadResult {
  model: KeepalivedConfig;
  /** At most MAX_DIAGNOSTICS, then one too-many-diagnostics entry. */
  diagnostics: Diagnostic[];
  /** Every error and warning found, also those past the cap (the cap entry itself is not counted). */
  errors: number;
  warnings: number;
  /** The main file could not be read at all (validate exits 2). */
  unreadable: boolean;
}

/** Most diagnostics reported for one config: past this, garbage input would only flood the terminal. */
export const MAX_DIAGNOSTICS = 1000;

// The preprocessor streams each line straight into the parser: no list of every line is ever kept.
export function loadConfig(file: string, opts: LoadOptions = {}): LoadResult {
  const sink = new DiagnosticSink();
  const parser = new Parser(sink);
  const files = preprocessInto(file, opts.source ?? nodeSource, sink, opts, (l) => parser.line(l), parser);
  return finish(parser.end(), files, sink, opts);
}

export function loadConfigText(text: string, name: string, opts: LoadOptions = {}): LoadResult {
  const sink = new DiagnosticSink();
  const parser = new Parser(sink);
  const files = preprocessTextInto(text, name, opts.source ?? nodeSource, sink, opts, (l) => parser.line(l), undefined, parser);
  return finish(parser.end(), files, sink, opts);
}

function finish(nodes: ConfNode[], files: string[], sink: DiagnosticSink, opts: LoadOptions): LoadResult {
  const unreadable = sink.items.some((d) => d.code === 'file-unreadable');
  const model = buildModel(nodes, files);
  checkReferences(nodes, sink);
  checkVrrp(model, sink);
  checkLvs(model, sink);
  checkBfd(model, sink);
  if (opts.host) checkHost(model, opts.host, sink);
  let diagnostics = sink.sorted();
  // Counts cover every problem found, also those past the cap.
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length > MAX_DIAGNOSTICS) {
    const hidden = diagnostics.slice(MAX_DIAGNOSTICS);
    diagnostics = diagnostics.slice(0, MAX_DIAGNOSTICS);
    const last = diagnostics[diagnostics.length - 1];
    // A fresh entry at the last shown place: an error only when an error is among the hidden ones.
    diagnostics.push({
      severity: hidden.some((d) => d.severity === 'error') ? 'error' : 'warning',
      code: 'too-many-diagnostics',
      file: last.file,
      line: last.line,
      column: last.column,
      message: `${hidden.length} more problems not shown (${errors} errors, ${warnings} warnings in all)`,
    });
  }
  return {
    model,
    diagnostics,
    errors,
    warnings,
    unreadable,
  };
}

export type { Diagnostic, KeepalivedConfig };
