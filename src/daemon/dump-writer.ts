// Writes a dump file as keepalived does (same name, in $TMPDIR when it is absolute, else /tmp), but
// whole or not at all: to a temporary name in the same directory, then renamed over the old one, so
// a script reading it never sees half a file. Mode 0600, as keepalived's (umask 0177): the data and
// JSON dumps carry auth_pass.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DUMP_FILES = {
  data: 'keepalived.data',
  parentData: 'keepalived_parent.data',
  checkData: 'keepalived_check.data',
  stats: 'keepalived.stats',
  json: 'keepalived.json',
} as const;

/** keepalived's tmp_dir: $TMPDIR if it is an absolute path, else /tmp. */
export function dumpDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const t = env.TMPDIR;
  return t && t.startsWith('/') ? t : '/tmp';
}

export type WriteResult = { ok: true; path: string } | { ok: false; error: string };

export function writeDumpFile(dir: string, name: string, text: string): WriteResult {
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
    return { ok: true, path };
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was created */
    }
    return { ok: false, error: `Can't open dump file ${path} (${(e as NodeJS.ErrnoException).code ?? ''}: ${(e as Error).message})` };
  }
}
