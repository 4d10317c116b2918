// Writing the rendered files (never over an existing one unless allowed), validating what was
// written (as one cluster when there are several nodes) and the commands to run next.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.js';
import { validateFiles } from '../config/validate.js';
import type { RenderedNode } from './answers.js';

export interface WriteResult {
  written: string[];
  /** Existing files that were left alone (refused or not confirmed). */
  skipped: string[];
  error?: string;
}

/**
 * Writes `nodes` into `outDir`. An existing file is replaced only when `overwrite(path)` says so
 * (interactive: a confirmation; non-interactive: --force). Nothing is written if any file is refused.
 */
export async function writeNodes(outDir: string, nodes: readonly RenderedNode[], overwrite: (path: string) => Promise<boolean>): Promise<WriteResult> {
  const targets = nodes.map((n) => ({ path: join(outDir, n.file), text: n.text }));
  const skipped: string[] = [];
  for (const t of targets) if (existsSync(t.path) && !(await overwrite(t.path))) skipped.push(t.path);
  if (skipped.length) return { written: [], skipped };
  try {
    mkdirSync(outDir, { recursive: true });
    for (const t of targets) writeFileSync(t.path, t.text, { mode: 0o644 });
  } catch (e) {
    return { written: [], skipped, error: `cannot write into ${outDir}: ${(e as Error).message}` };
  }
  return { written: targets.map((t) => t.path), skipped };
}

export interface Validation {
  valid: boolean;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

/** Our validator over the written files; several files are checked as the nodes of one cluster. */
export function validateWritten(files: readonly string[]): Validation {
  const r = validateFiles([...files], { configId: 'keepalivedctl-init' });
  return { valid: r.valid, errors: r.errors, warnings: r.warnings, diagnostics: r.diagnostics, sources: r.sources };
}

/** What to run next, per node. */
export function nextCommands(files: readonly string[], nodes: readonly RenderedNode[]): string[] {
  const out: string[] = [];
  nodes.forEach((n, i) => {
    const f = resolve(files[i]);
    out.push(`scp ${f} root@${n.node}:/etc/keepalived/keepalived.conf`);
  });
  out.push(`keepalivedctl validate ${files.map((f) => resolve(f)).join(' ')}   # cluster check, here`);
  out.push('keepalivedctl validate --host   # on each node: interfaces exist, scripts runnable');
  out.push('systemctl restart keepalived   # on each node');
  return out;
}
