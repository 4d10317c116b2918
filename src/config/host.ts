// The real machine behind HostInfo, for `validate --host` and the daemon's start-up checks.
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { HostInfo } from './checks/host.js';

export const realHost: HostInfo = {
  interfaces() {
    try {
      return new Set(readdirSync('/sys/class/net'));
    } catch {
      return new Set();
    }
  },
  findExecutable(program) {
    const candidates = isAbsolute(program) || program.includes('/')
      ? [program]
      : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).map((d) => join(d, program));
    for (const c of candidates) {
      try {
        if (!statSync(c).isFile()) continue;
        accessSync(c, constants.X_OK);
        return c;
      } catch {
        /* try the next */
      }
    }
    return undefined;
  },
  userExists(name) {
    try {
      return readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.split(':')[0] === name);
    } catch {
      return false;
    }
  },
};
