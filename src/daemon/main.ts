// bin/keepalived: keepalived's command line. This release implements the config test (-t); the
// VRRP/IPVS daemon itself is tracked in the project's issues and refuses to start rather than pretend.
import { parseArgs } from 'node:util';
import { runConfigTest } from './config-test.js';

const USAGE = `Usage: keepalived [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -i, --config-id id           Skip configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match (default: node name)
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;

export function main(argv: string[], version: string): number {
  // --config-test takes an optional value, which parseArgs cannot express: split it off first.
  let testLog: string | undefined;
  let configTest = false;
  const rest: string[] = [];
  for (const a of argv) {
    if (a === '-t' || a === '--config-test') configTest = true;
    else if (a.startsWith('--config-test=')) {
      configTest = true;
      testLog = a.slice('--config-test='.length);
    } else rest.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        'use-file': { type: 'string', short: 'f' },
        'config-id': { type: 'string', short: 'i' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        // Accepted for compatibility; they change nothing in a config test.
        'log-console': { type: 'boolean', short: 'l' },
        'log-detail': { type: 'boolean', short: 'D' },
        'dont-fork': { type: 'boolean', short: 'n' },
        vrrp: { type: 'boolean', short: 'P' },
        check: { type: 'boolean', short: 'C' },
      },
    });
  } catch (e) {
    process.stderr.write(`keepalived: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (v.version) {
    process.stdout.write(`Keepalived v${version} (keepalivedctl, TypeScript)\n`);
    return 0;
  }
  const file = v['use-file'] ?? '/etc/keepalived/keepalived.conf';
  if (configTest) return runConfigTest(file, v['config-id'], testLog);
  process.stderr.write('keepalived: this release implements only the config test (-t); the daemon is not available yet\n');
  return 1;
}
