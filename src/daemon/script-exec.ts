// Running keepalived's scripts (vrrp_script, notify...): the command line split as keepalived
// splits it (quotes and escapes, no shell), the user it runs as (script_user / keepalived_script /
// ours) and keepalived's security check (enable_script_security); one run of it is script-run.ts.
// Nothing here throws: failures come back as values.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitCommandLine } from '../config/lexer.js';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Split a line into words as keepalived does for script lines (the config engine's splitter: quotes,
 * escapes, no shell), with keepalived's error wording.
 */
export function splitQuotedEscaped(src: string): Result<string[]> {
  const r = splitCommandLine(src);
  if ('error' in r) {
    return { ok: false, error: r.kind === 'escape-at-end' ? `Missing escape char at end: '${src}'` : `String '${src}': missing terminating ${r.quote}` };
  }
  return r.argv.length > 0 ? { ok: true, value: r.argv } : { ok: false, error: 'empty command' };
}

export interface ScriptLine {
  /** The command and its parameters. */
  argv: string[];
  /** Words after the command (notify scripts: `USER [GROUP]`). */
  rest: string[];
}

/**
 * A `script ...` / `notify_master ...` line as keepalived reads it: the whole line is split with
 * quotes and escapes, the word after the keyword is the command, split again (so "/bin/x -a b"
 * in quotes is a command with two parameters); later words are kept in `rest`.
 */
export function scriptFromLine(lineText: string): Result<ScriptLine> {
  const line = splitQuotedEscaped(lineText);
  if (!line.ok) return line;
  if (line.value.length < 2) return { ok: false, error: 'no script given' };
  const argv = splitQuotedEscaped(line.value[1]);
  if (!argv.ok) return { ok: false, error: `Unable to parse script '${line.value[1]}': ${argv.error}` };
  return { ok: true, value: { argv: argv.value, rest: line.value.slice(2) } };
}

export interface ScriptUser {
  uid: number;
  gid: number;
}

/** Where user and group names are looked up (tests point these at their own files). */
export interface UserDb {
  passwd: string;
  group: string;
}
const SYSTEM_DB: UserDb = { passwd: '/etc/passwd', group: '/etc/group' };

function dbLine(file: string, name: string): string[] | null | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 'unreadable';
  }
  for (const l of text.split('\n')) {
    const f = l.split(':');
    if (f[0] === name && f.length >= 4) return f;
  }
  return null;
}

/** `user USER [GROUP]` / `script_user USER [GROUP]`: uid and gid (the user's group unless GROUP). */
export function lookupUser(user: string, group?: string, db: UserDb = SYSTEM_DB): Result<ScriptUser> {
  const pw = dbLine(db.passwd, user);
  if (pw === 'unreadable') return { ok: false, error: `Unable to resolve script username '${user}'` };
  if (!pw) return { ok: false, error: `Script user '${user}' does not exist` };
  const uid = Number(pw[2]);
  let gid = Number(pw[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return { ok: false, error: `Unable to resolve script username '${user}'` };
  if (group !== undefined) {
    const gr = dbLine(db.group, group);
    if (gr === 'unreadable') return { ok: false, error: `Unable to resolve script group name '${group}'` };
    if (!gr) return { ok: false, error: `Script group '${group}' does not exist` };
    gid = Number(gr[2]);
  }
  return { ok: true, value: { uid, gid } };
}

export function ourUser(): ScriptUser {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/**
 * keepalived's default script user: global `script_user` if given, else `keepalived_script` if
 * that user exists, else the daemon's own uid/gid (with enable_script_security a missing
 * keepalived_script is an error: scripts without their own user are not run).
 */
export function defaultScriptUser(scriptUser: string[] | undefined, scriptSecurity: boolean, db: UserDb = SYSTEM_DB): Result<ScriptUser> {
  if (scriptUser && scriptUser.length > 0) return lookupUser(scriptUser[0], scriptUser[1], db);
  const ks = lookupUser('keepalived_script', undefined, db);
  if (ks.ok) return ks;
  if (scriptSecurity) return { ok: false, error: 'Unable to set default user keepalived_script for script' };
  return { ok: true, value: ourUser() };
}

export interface SecurityVerdict {
  /** False: keepalived disables the script (not found, not executable, or insecure with script security). */
  runnable: boolean;
  /** The command with argv[0] resolved (path search, symlinks) as keepalived runs it. */
  argv: string[];
  /** Writable by non-root somewhere on its path while run as root. */
  insecure: boolean;
  /** Log lines keepalived would write, in order. */
  messages: string[];
}

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

function isExecutable(st: fs.Stats, u: ScriptUser): boolean {
  const m = st.mode;
  return (u.uid === 0 && (m & 0o111) !== 0) ||
    (u.uid === st.uid && (m & 0o100) !== 0) ||
    (u.uid !== st.uid && ((u.gid === st.gid && (m & 0o010) !== 0) || (u.gid !== st.gid && (m & 0o001) !== 0)));
}

function pathSearch(file: string, u: ScriptUser, messages: string[]): string | null {
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  let denied = false;
  for (const d of dirs) {
    const cand = path.join(d || '.', file);
    try {
      const st = fs.statSync(cand);
      if (st.isFile() && isExecutable(st, u)) {
        messages.push(`WARNING - script \`${file}\` resolved by path search to \`${cand}\`. Please specify full path.`);
        return cand;
      }
      denied = true;
    } catch {
      // not in this directory
    }
  }
  messages.push(denied ? `Permissions failure for script ${file} in path - disabling` : `Cannot find script ${file} in path - disabling`);
  return null;
}

/** Every component of `file` from "/" down must be root's and not writable by others. */
function pathIsSecure(file: string, scriptSecurity: boolean, messages: string[]): { insecure: boolean; broken: boolean } {
  const parts = file.split('/');
  for (let k = 1; k <= parts.length; k++) {
    const last = k === parts.length;
    const p = k === 1 ? '/' : parts.slice(0, k).join('/');
    if (!last && p !== '/' && parts[k - 1] === '') continue; // a doubled slash
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      messages.push(`check_script_secure could not find script '${file}' - disabling`);
      return { insecure: false, broken: true };
    }
    if ((!last && !st.isDirectory()) || (last && !st.isFile() && !st.isSymbolicLink())) {
      messages.push(`Wrong file type found in script path '${file}'.`);
      return { insecure: false, broken: true };
    }
    const groupOrWorldWritable = (st.gid !== 0 && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0;
    const sticky = st.isDirectory() && (st.mode & S_ISVTX) !== 0;
    if (st.uid !== 0 || ((st.isFile() || (st.isDirectory() && !sticky)) && groupOrWorldWritable)) {
      messages.push(`Unsafe permissions found for script '${file}'${scriptSecurity ? ' - disabling' : ''}.`);
      return { insecure: true, broken: false };
    }
  }
  return { insecure: false, broken: false };
}

/**
 * keepalived's check_script_secure: find the command, check the user may execute it, and when it
 * runs with root privileges (uid or gid 0, or set-uid/gid root) check that neither it nor any
 * directory above it is writable by anyone but root. With script security an insecure script
 * is disabled; without, it runs and the finding is logged.
 */
export function checkScriptSecure(argv: readonly string[], user: ScriptUser, scriptSecurity: boolean): SecurityVerdict {
  const messages: string[] = [];
  const out = (runnable: boolean, insecure = false, a: string[] = [...argv]): SecurityVerdict => ({ runnable, argv: a, insecure, messages });
  if (argv.length === 0 || argv[0] === '') return out(false);
  if (isFileTest(argv)) return out(true); // nothing is executed: no file to check
  let file = argv[0];
  if (!file.includes('/')) {
    const found = pathSearch(file, user, messages);
    if (!found) return out(false);
    file = found;
  }
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    messages.push(`Script ${argv[0]} cannot be accessed - ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return out(false);
  }
  // keepalived keeps the name the script was called by when only the directory part resolves differently.
  let runAs = real;
  if (path.basename(real) !== path.basename(file)) {
    const named = path.join(path.dirname(real), path.basename(file));
    try {
      const a = fs.statSync(real);
      const b = fs.statSync(named);
      if (a.dev === b.dev && a.ino === b.ino) runAs = named;
    } catch {
      // the called name does not exist beside the target: run the target
    }
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(real);
  } catch {
    messages.push(`Unable to access script \`${argv[0]}\` - disabling`);
    return out(false);
  }
  const resolved = [runAs, ...argv.slice(1)];
  if (!isExecutable(st, user)) {
    messages.push(`WARNING - script '${runAs}' is not executable for uid:gid ${user.uid}:${user.gid} - disabling.`);
    return out(false, false, resolved);
  }
  const privileged = user.uid === 0 || user.gid === 0 ||
    (st.uid === 0 && (st.mode & 0o100) !== 0 && (st.mode & S_ISUID) !== 0) ||
    (st.gid === 0 && (st.mode & 0o010) !== 0 && (st.mode & S_ISGID) !== 0);
  if (!privileged) return out(true, false, resolved);
  let insecure = false;
  for (const f of new Set([runAs, real])) {
    const r = pathIsSecure(f, scriptSecurity, messages);
    if (r.broken) return out(false, false, resolved);
    insecure ||= r.insecure;
  }
  return out(!(insecure && scriptSecurity), insecure, resolved);
}

/** keepalived's file test: a command starting "</" (blanks allowed after '<') only checks that the
 * user can open the file for reading; the shell does it (exit 0 when it can). */
export function isFileTest(argv: readonly string[]): boolean {
  return argv.length > 0 && /^<[ \t]*\//.test(argv[0]);
}
