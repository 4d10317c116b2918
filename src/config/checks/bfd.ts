// bfd_instance problems keepalived reports at start-up (and `keepalived -t` fails on): read with the
// BFD child's own reader, so validate and the daemon agree on what is disabled or adjusted.
import { readBfdInstances, type BfdIssue } from '../../bfd/config.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { KeepalivedConfig } from '../model.js';

export function checkBfd(cfg: KeepalivedConfig, sink: DiagnosticSink): void {
  const issues: BfdIssue[] = [];
  readBfdInstances(cfg, issues);
  // Issues without a code are bad values the keyword table already reports on their own.
  for (const i of issues) if (i.code && i.at) sink.error(i.code, i.at, i.message.replace(/^Configuration error: /, ''));
}
