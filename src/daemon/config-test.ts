// `keepalived -t`: the daemon's config test, on the same engine as `keepalivedctl validate`,
// printed the way keepalived prints it so that scripts reading its output keep working.
import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { validateFiles } from '../config/validate.js';

/** keepalived's exit statuses for a config test. */
export const EXIT_CONFIG = 5;
export const EXIT_CONFIG_SECURITY = 6;

export function runConfigTest(file: string, configId: string | undefined, logFile?: string): number {
  const r = validateFiles([file], { configId: configId ?? hostname(), strict: true });
  const lines = r.diagnostics.map((d) => (d.line > 0 ? `(${d.file}: Line ${d.line}) ${d.message}` : `${d.file}: ${d.message}`));
  const text = lines.map((l) => `${l}\n`).join('');
  if (logFile) appendFileSync(logFile, text);
  else process.stderr.write(text);
  if (r.diagnostics.length === 0) return 0;
  return r.diagnostics.some((d) => d.code === 'script-security') ? EXIT_CONFIG_SECURITY : EXIT_CONFIG;
}
