// track_file: a file holding a number; the value times the weight moves the priority (rules in
// src/vrrp/tracking.ts). As keepalived: the first 127 bytes are read as strtol(buf, NULL, 0)
// would (decimal, 0x hex, 0 octal, leading blanks and sign; no digits is 0), a missing or empty
// file reads 0, an out-of-range number is logged and ignored (the last value stays). The
// directory is watched (inotify through fs.watch) and the file read again on each event for it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileDef } from './instance-tracks.js';
import type { Logger } from './log.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** strtol(text, NULL, 0) on the file's text: the number, or null when out of range. */
export function parseTrackFileValue(text: string): number | null {
  let i = 0;
  const s = text.slice(0, 127);
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') base = 8;
  let v = 0n;
  const B = BigInt(base);
  for (; i < s.length; i++) {
    const d = parseInt(s[i], base);
    if (Number.isNaN(d)) break;
    v = v * B + BigInt(d);
    if (v > 2n ** 64n) return null; // strtol would say ERANGE
  }
  const n = Number(neg ? -v : v);
  if (n < INT32_MIN || n > INT32_MAX + 1) return null;
  return n;
}

export interface FileTrackerDeps {
  log: Logger;
  /** The file's text, or null when it cannot be read (missing: value 0). */
  read?: (file: string) => string | null;
  write?: (file: string, text: string) => string | null;
  /** Watches a directory; calls back with the name of the entry that changed. */
  watch?: (dir: string, onEvent: (name: string | null) => void) => { close(): void } | string;
}

function readText(file: string): string | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(127);
    const n = fs.readSync(fd, buf, 0, 127, null);
    return buf.subarray(0, n).toString('latin1');
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function writeText(file: string, text: string): string | null {
  try {
    fs.writeFileSync(file, text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function watchDir(dir: string, onEvent: (name: string | null) => void): { close(): void } | string {
  try {
    const w = fs.watch(dir, { persistent: false }, (_ev, name) => onEvent(name === null ? null : String(name)));
    w.on('error', () => onEvent(null));
    return w;
  } catch (e) {
    return (e as Error).message;
  }
}

export class FileTracker {
  value = 0;
  private watcher: { close(): void } | null = null;
  private readonly read: (file: string) => string | null;

  constructor(
    readonly def: FileDef,
    private readonly deps: FileTrackerDeps,
    private readonly onChange: (value: number, reason: string) => void,
  ) {
    this.read = deps.read ?? readText;
  }

  /** init_file (not on reload unless the file is missing), then the first read. */
  init(reload: boolean): void {
    const init = this.def.init;
    if (init) {
      let exists = false;
      let regular = true;
      try {
        const st = fs.statSync(this.def.path);
        exists = true;
        regular = st.isFile();
      } catch {
        // missing: created below
      }
      const write = !exists || (init.overwrite && regular && !reload);
      if (exists && init.overwrite && !regular) this.deps.log.log('err', `Cannot initialise track file ${this.def.name} - it is not a regular file`);
      if (write) {
        const err = (this.deps.write ?? writeText)(this.def.path, `${init.value}\n`);
        if (err) this.deps.log.log('err', `Unable to initialise track file ${this.def.name}: ${err}`);
      }
    }
    const v = this.readValue();
    if (v !== null) this.value = v;
  }

  private readValue(): number | null {
    const text = this.read(this.def.path);
    if (text === null || text.length === 0) return 0;
    const v = parseTrackFileValue(text);
    if (v === null) this.deps.log.log('info', `Invalid number read from ${this.def.path} - ignoring`);
    return v;
  }

  /** Re-reads the file; reports a changed value. */
  refresh(): void {
    const v = this.readValue();
    if (v === null || v === this.value) return;
    const was = this.value;
    this.value = v;
    this.onChange(v, `track file ${this.def.name} value ${was} -> ${v}`);
  }

  start(): void {
    if (this.watcher) return;
    const dir = path.dirname(this.def.path);
    const base = path.basename(this.def.path);
    const w = (this.deps.watch ?? watchDir)(dir, (name) => {
      if (name === null || name === base) this.refresh();
    });
    if (typeof w === 'string') this.deps.log.log('err', `track file ${this.def.name}: cannot watch ${dir}: ${w}; value stays ${this.value}`);
    else this.watcher = w;
    this.refresh(); // a change between the first read and the watch
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}
