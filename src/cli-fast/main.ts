// bin/keepalivedctl's fast path for the hot commands (status, validate): when the command line is
// beyond doubt it runs the command's body without loading oclif (its import alone costs more CPU than
// Node's start-up). Anything else, --help, an unknown or repeated flag, a bad value, returns false
// before printing a byte, and oclif runs as always: it stays the only judge of errors and help.
import { readFileSync } from 'node:fs';
import { readFastArgv, type FastFlag } from './argv.js';
import { logJson, oclifWouldDiffer } from './common.js';

const DAEMON_FLAGS: FastFlag[] = [
  { name: 'socket', type: 'string' },
  { name: 'timeout', type: 'string' },
  { name: 'json', type: 'boolean' },
];

const STATUS_FLAGS: FastFlag[] = [...DAEMON_FLAGS, { name: 'watch', char: 'w', type: 'boolean' }];

const VALIDATE_FLAGS: FastFlag[] = [
  { name: 'config-id', char: 'i', type: 'string' },
  { name: 'host', type: 'boolean' },
  { name: 'strict', type: 'boolean' },
  { name: 'format', type: 'string', options: ['human', 'json', 'sarif'] },
  { name: 'cluster', type: 'string' },
  { name: 'json', type: 'boolean' },
];

/** Runs argv (without node and the script) if it is a fast-path command line; false: use oclif. */
export async function fastPath(argv: readonly string[]): Promise<boolean> {
  const [id, ...rest] = argv;
  if (id === 'status') {
    const a = readFastArgv(rest, STATUS_FLAGS, 1);
    if (!a || oclifWouldDiffer()) return false;
    const { statusMain } = await import('./status.js');
    const json = a.flags.has('json');
    const result = await statusMain({
      instance: a.positionals[0],
      socket: a.flags.get('socket') as string | undefined,
      timeout: (a.flags.get('timeout') as string | undefined) ?? '5',
      watch: a.flags.has('watch'),
      json,
    });
    if (result && json) logJson(result);
    return true;
  }
  if (id === 'validate') {
    const a = readFastArgv(rest, VALIDATE_FLAGS, Infinity);
    if (!a || oclifWouldDiffer()) return false;
    const json = a.flags.has('json');
    // Under --json oclif reports its own exit (a bad cluster directory) as a JSON error: leave it to oclif.
    if (json && a.flags.has('cluster')) return false;
    const { validateMain } = await import('./validate.js');
    const out = await validateMain({
      files: a.positionals,
      configId: a.flags.get('config-id') as string | undefined,
      host: a.flags.has('host'),
      strict: a.flags.has('strict'),
      format: (a.flags.get('format') as string | undefined) ?? 'human',
      cluster: a.flags.get('cluster') as string | undefined,
      json,
      version: packageVersion(),
    });
    // As oclif's this.exit(): its error handler ends the process at once.
    if ('exit' in out) process.exit(out.exit);
    if (out.result && json) logJson(out.result);
    return true;
  }
  return false;
}

/** The CLI's version as oclif reads it (package.json), only needed for SARIF. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
