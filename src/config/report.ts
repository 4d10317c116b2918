// Renders diagnostics for people (file:line:col with a caret), for machines (JSON) and for code
// scanning (SARIF 2.1.0).
import type { Diagnostic } from './diagnostics.js';

export interface Paint {
  error(s: string): string;
  warning(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const noPaint: Paint = { error: (s) => s, warning: (s) => s, dim: (s) => s, bold: (s) => s };

/** `file:line:col severity code message`, then the source line and a caret under the column. */
export function formatHuman(d: Diagnostic, sourceLine: string | undefined, paint: Paint): string {
  const sev = d.severity === 'error' ? paint.error('error') : paint.warning('warning');
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  let out = `${paint.bold(where)} ${sev} ${d.code} ${d.message}`;
  if (d.suggestion) out += paint.dim(` (suggestion: ${d.suggestion})`);
  if (sourceLine !== undefined && d.line > 0) {
    const text = sourceLine.replace(/\t/g, ' ');
    out += `\n  ${text}\n  ${' '.repeat(Math.max(0, d.column - 1))}${paint.bold('^')}`;
  }
  for (const r of d.related ?? []) out += `\n  ${paint.dim(`${r.file}:${r.line}:${r.column}: ${r.message}`)}`;
  return out;
}

export function summaryLine(files: number, errors: number, warnings: number): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(files, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

export function toSarif(diags: Diagnostic[], version: string, docs: Map<string, string>): object {
  const codes = [...new Set(diags.map((d) => d.code))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'keepalivedctl validate',
            version,
            informationUri: 'https://www.keepalived.org/',
            rules: codes.map((id) => ({ id, shortDescription: { text: docs.get(id) ?? id } })),
          },
        },
        results: diags.map((d) => ({
          ruleId: d.code,
          level: d.severity === 'error' ? 'error' : 'warning',
          message: { text: d.suggestion ? `${d.message} (suggestion: ${d.suggestion})` : d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: d.file },
                region: { startLine: Math.max(1, d.line), startColumn: Math.max(1, d.column) },
              },
            },
          ],
        })),
      },
    ],
  };
}
