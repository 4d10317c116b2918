// How the config engine reaches files: injected, so the engine itself stays pure and testable.
import { closeSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';
import { basename, dirname, isAbsolute, join } from 'node:path';

export interface ConfigSource {
  /** Contents of a file; throws an Error whose message says why it cannot be read. */
  read(path: string): string;
  /** Paths matching a glob (absolute pattern), sorted as glob(3) sorts them. */
  glob(pattern: string): string[];
  /** A stable identity for cycle detection (the real path). */
  identity(path: string): string;
  /** Why this path cannot be used as a config file, or undefined when it can. */
  unusable(path: string): string | undefined;
}

/** Largest config file read: keepalived reads line by line, we read whole files, so cap them. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export const nodeSource: ConfigSource = {
  read(path) {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error('is a directory');
    if (st.size > MAX_FILE_BYTES) throw new Error(`is larger than ${MAX_FILE_BYTES} bytes`);
    // Read bytes and decode as latin1 when not valid UTF-8, so that garbage never throws.
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(st.size);
      let off = 0;
      while (off < buf.length) {
        const n = readSync(fd, buf, off, buf.length - off, off);
        if (n <= 0) break;
        off += n;
      }
      return decode(buf.subarray(0, off));
    } finally {
      closeSync(fd);
    }
  },
  glob: globSync,
  identity(path) {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  },
  unusable(path) {
    try {
      const st = statSync(path);
      if (st.isDirectory()) return 'is a directory';
      if (!st.isFile()) return 'is not a regular file';
      if (st.mode & 0o111) return 'is executable (keepalived skips executable config files)';
      return undefined;
    } catch (e) {
      // A symlink to nothing: glob(3) with lstat lists it, and keepalived then skips it.
      if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' && isSymlink(path)) return 'is a dangling symbolic link';
      return describeFsError(e);
    }
  },
};

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** True when the path exists as a directory entry (lstat, as keepalived's glob does: dangling symlinks count). */
function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function decode(buf: Buffer): string {
  // Plain ASCII (nearly every config) reads the same either way; latin1 is the plain copy.
  if (isAscii(buf)) return buf.toString('latin1');
  // isUtf8 first: decoding invalid UTF-8 only to throw the result away is slow on large garbage.
  if (!isUtf8(buf)) return buf.toString('latin1');
  const text = buf.toString('utf8');
  return text.includes('\uFFFD') ? buf.toString('latin1') : text;
}

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'has too many levels of symbolic links';
    default:
      return err?.message ?? String(e);
  }
}

/** Expands `{a,b}` alternatives, as glob(3) with GLOB_BRACE does. */
export function expandBraces(pattern: string, limit = 1000): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const parts: string[] = [];
  let last = open + 1;
  for (let i = open; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      parts.push(pattern.slice(last, i));
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      const out: string[] = [];
      for (const p of parts) {
        for (const e of expandBraces(head + p + tail, limit)) {
          if (out.length >= limit) return out;
          out.push(e);
        }
      }
      return out;
    } else if (c === ',' && depth === 1) {
      parts.push(pattern.slice(last, i));
      last = i + 1;
    }
  }
  return [pattern];
}

const hasMagic = (s: string): boolean => /[*?[]/.test(s);

function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/** A small glob(3): `*`, `?`, `[...]` per path segment and `{a,b}`; hidden files need an explicit dot. */
export function globSync(pattern: string): string[] {
  const results = new Set<string>();
  for (const p of expandBraces(pattern)) {
    if (!hasMagic(p)) {
      if (entryExists(p)) results.add(p);
      continue;
    }
    const abs = isAbsolute(p);
    const segs = p.split('/').filter((s, i) => s !== '' || i === 0);
    let current = [abs ? '/' : '.'];
    for (const seg of segs) {
      if (seg === '') continue;
      const next: string[] = [];
      for (const dir of current) {
        if (!hasMagic(seg)) {
          next.push(join(dir, seg));
          continue;
        }
        let entries: string[];
        try {
          entries = readdirSync(dir);
        } catch {
          continue;
        }
        const re = segmentRegex(seg);
        for (const e of entries.sort()) {
          if (e.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(e)) next.push(join(dir, e));
        }
      }
      current = next;
      if (current.length > 10_000) break;
    }
    for (const c of current) {
      if (entryExists(c)) results.add(abs ? c : c.replace(/^\.\//, ''));
    }
  }
  return [...results];
}

export { basename, dirname };
