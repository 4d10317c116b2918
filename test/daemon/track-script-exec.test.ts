// Script execution: keepalived's word splitting, users, the security check and a run with timeout.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  checkScriptSecure, defaultScriptUser, lookupUser, scriptFromLine, splitQuotedEscaped,
} from '../../src/daemon/script-exec.js';
import { runScript } from '../../src/daemon/script-run.js';

const root = process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ka-script-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeScript(p: string, body: string, mode = 0o755): string {
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, mode);
  return p;
}

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('splitQuotedEscaped', () => {
  it('splits on whitespace and keeps quoted groups', () => {
    expect(splitQuotedEscaped(`  /bin/test -f "/tmp/a b"  'c d'e`)).toEqual({ ok: true, value: ['/bin/test', '-f', '/tmp/a b', 'c de'] });
  });
  it('handles escapes as keepalived does', () => {
    const r = splitQuotedEscaped(String.raw`a\ b \x41\101 \n\t "q\"x" \cA z\\`);
    expect(r).toEqual({ ok: true, value: ['a b', 'AA', '\n\t', 'q"x', '\x01', 'z\\'] });
  });
  it('names an unmatched quote and a trailing backslash', () => {
    const a = splitQuotedEscaped(`/bin/x "open`);
    expect(a.ok).toBe(false);
    if (!a.ok) expect(a.error).toContain('missing terminating "');
    const b = splitQuotedEscaped('/bin/x \\');
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.error).toContain('Missing escape char');
    expect(splitQuotedEscaped('   ').ok).toBe(false);
  });
});

describe('scriptFromLine', () => {
  it('takes the word after the keyword and splits it again', () => {
    expect(scriptFromLine(`script "/bin/test -f '/tmp/my file'"`)).toEqual({ ok: true, value: { argv: ['/bin/test', '-f', '/tmp/my file'], rest: [] } });
    expect(scriptFromLine(`notify_master "/etc/k/n.sh x" nobody nogroup`)).toEqual({ ok: true, value: { argv: ['/etc/k/n.sh', 'x'], rest: ['nobody', 'nogroup'] } });
    expect(scriptFromLine('script').ok).toBe(false);
  });
});

describe('users', () => {
  const db = { passwd: path.join(tmp, 'passwd'), group: path.join(tmp, 'group') };
  fs.writeFileSync(db.passwd, 'root:x:0:0:root:/root:/bin/sh\nkeepalived_script:x:990:991::/:/usr/sbin/nologin\nalice:x:1000:1000::/home/a:/bin/sh\n');
  fs.writeFileSync(db.group, 'root:x:0:\nstaff:x:50:alice\n');
  it('resolves a user and an optional group', () => {
    expect(lookupUser('alice', undefined, db)).toEqual({ ok: true, value: { uid: 1000, gid: 1000 } });
    expect(lookupUser('alice', 'staff', db)).toEqual({ ok: true, value: { uid: 1000, gid: 50 } });
    expect(lookupUser('bob', undefined, db)).toEqual({ ok: false, error: "Script user 'bob' does not exist" });
    expect(lookupUser('alice', 'wheel', db)).toEqual({ ok: false, error: "Script group 'wheel' does not exist" });
  });
  it('defaults to script_user, then keepalived_script, then ourselves', () => {
    expect(defaultScriptUser(['alice'], true, db)).toEqual({ ok: true, value: { uid: 1000, gid: 1000 } });
    expect(defaultScriptUser(undefined, false, db)).toEqual({ ok: true, value: { uid: 990, gid: 991 } });
    const none = { passwd: path.join(tmp, 'passwd-none'), group: db.group };
    fs.writeFileSync(none.passwd, 'root:x:0:0::/:/bin/sh\n');
    expect(defaultScriptUser(undefined, false, none)).toEqual({ ok: true, value: { uid: process.getuid?.(), gid: process.getgid?.() } });
    expect(defaultScriptUser(undefined, true, none).ok).toBe(false);
  });
});

describe.runIf(root)('checkScriptSecure (root)', () => {
  const rootUser = { uid: 0, gid: 0 };
  it('accepts a root-owned script in root-owned directories', () => {
    const dir = path.join(tmp, 'safe');
    fs.mkdirSync(dir, { mode: 0o755 });
    const s = writeScript(path.join(dir, 'ok.sh'), 'exit 0');
    const v = checkScriptSecure([s, 'arg'], rootUser, true);
    expect(v).toMatchObject({ runnable: true, insecure: false, argv: [s, 'arg'] });
  });
  it('disables a world-writable script with script security, runs it (logged) without', () => {
    const dir = path.join(tmp, 'ww');
    fs.mkdirSync(dir, { mode: 0o755 });
    const s = writeScript(path.join(dir, 'w.sh'), 'exit 0', 0o757);
    fs.chmodSync(s, 0o757);
    const on = checkScriptSecure([s], rootUser, true);
    expect(on.runnable).toBe(false);
    expect(on.insecure).toBe(true);
    expect(on.messages.join('\n')).toContain(`Unsafe permissions found for script '${s}' - disabling`);
    const off = checkScriptSecure([s], rootUser, false);
    expect(off.runnable).toBe(true);
    expect(off.insecure).toBe(true);
  });
  it('disables a script in a directory a non-root user owns', () => {
    const dir = path.join(tmp, 'owned');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chownSync(dir, 65534, 65534);
    const s = writeScript(path.join(dir, 'x.sh'), 'exit 0');
    expect(checkScriptSecure([s], rootUser, true)).toMatchObject({ runnable: false, insecure: true });
  });
  it('does not apply the path rules to a script run by an unprivileged user', () => {
    const dir = path.join(tmp, 'owned2');
    fs.mkdirSync(dir, { mode: 0o777 });
    const s = writeScript(path.join(dir, 'x.sh'), 'exit 0', 0o755);
    expect(checkScriptSecure([s], { uid: 65534, gid: 65534 }, true)).toMatchObject({ runnable: true, insecure: false });
  });
  it('reports a missing or non-executable script and resolves a bare name by PATH', () => {
    const missing = checkScriptSecure([path.join(tmp, 'nope.sh')], rootUser, false);
    expect(missing.runnable).toBe(false);
    expect(missing.messages[0]).toContain('cannot be accessed');
    const dir = path.join(tmp, 'noexec');
    fs.mkdirSync(dir, { mode: 0o755 });
    const s = writeScript(path.join(dir, 'n.sh'), 'exit 0', 0o644);
    expect(checkScriptSecure([s], rootUser, false).messages.join()).toContain('is not executable');
    const t = checkScriptSecure(['true'], rootUser, false);
    expect(t.runnable).toBe(true);
    expect(t.argv[0]).toMatch(/^\/.*\/true$/);
    expect(t.messages[0]).toContain('resolved by path search');
  });
});

describe('runScript', () => {
  const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  it('reports the exit status without a shell', async () => {
    expect(await runScript(['/bin/sh', '-c', 'exit 3'], me).done).toEqual({ kind: 'exit', code: 0 + 3 });
    // No shell: a ';' is just an argument to /bin/echo.
    const out = path.join(tmp, 'echo.out');
    const r = await runScript(['/bin/sh', '-c', 'echo "$1" > "$2"', 'sh', 'a; rm -rf /nonexistent', out], me).done;
    expect(r).toEqual({ kind: 'exit', code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('a; rm -rf /nonexistent\n');
  });
  it('a command that cannot run fails cleanly', async () => {
    const r = await runScript([path.join(tmp, 'does-not-exist')], me).done;
    expect(r.kind === 'error' || (r.kind === 'exit' && r.code !== 0)).toBe(true);
  });
  it('times out: SIGTERM to the whole process group, children included', async () => {
    const pidFile = path.join(tmp, 'bg.pid');
    const run = runScript(['/bin/sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`], me, { timeoutMs: 300, killGraceMs: 500 });
    const r = await run.done;
    expect(r).toEqual({ kind: 'signal', signal: 'SIGTERM', timedOut: true });
    const bg = Number(fs.readFileSync(pidFile, 'utf8'));
    for (let k = 0; k < 50 && alive(bg); k++) await new Promise((res) => setTimeout(res, 20));
    expect(alive(bg)).toBe(false);
  });
  it('escalates to SIGKILL when SIGTERM is ignored, and kill() ends a run early', async () => {
    const run = runScript(['/bin/sh', '-c', "trap '' TERM; while :; do sleep 0.05; done"], me, { timeoutMs: 200, killGraceMs: 300 });
    expect(await run.done).toEqual({ kind: 'signal', signal: 'SIGKILL', timedOut: true });
    const early = runScript(['/bin/sleep', '30'], me, {});
    setTimeout(() => early.kill(), 50);
    expect(await early.done).toEqual({ kind: 'signal', signal: 'SIGTERM', timedOut: true });
  });
  it('a script outlives no daemon: when the process that ran it dies, the script gets SIGTERM', async () => {
    // A child Node process runs a script through dist/ (the built module), then is SIGKILLed.
    const mod = path.join(__dirname, '..', '..', 'dist', 'src', 'daemon', 'script-run.js');
    const users = path.join(__dirname, '..', '..', 'dist', 'src', 'daemon', 'script-exec.js');
    expect(fs.existsSync(mod), 'dist is built (npm run build)').toBe(true);
    const arg = `${6000 + (process.pid % 1000)}.625`;
    const code = `Promise.all([import(${JSON.stringify(mod)}), import(${JSON.stringify(users)})]).then(([m, u]) => { const r = m.runScript(['/bin/sleep', ${JSON.stringify(arg)}], u.ourUser()); setTimeout(() => console.log(r.pid), 200); });`;
    const parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((res) => parent.stdout!.once('data', (d: Buffer) => res(Number(String(d).trim()))));
    try {
      expect(alive(pid)).toBe(true);
      parent.kill('SIGKILL');
      for (let k = 0; k < 100 && alive(pid); k++) await new Promise((r) => setTimeout(r, 20));
      expect(alive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
      if (alive(pid)) process.kill(pid, 'SIGKILL'); // never leave the sleep behind if the check failed
    }
  });
  it.runIf(root)('runs as another user with only its group', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ka-nobody-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.chmodSync(dir, 0o777);
    const out = path.join(dir, 'id.out');
    const r = await runScript(['/bin/sh', '-c', `echo "$(id -u) $(id -g) $(id -G)" > ${out}`], { uid: 65534, gid: 65534 }).done;
    expect(r).toEqual({ kind: 'exit', code: 0 });
    expect(fs.readFileSync(out, 'utf8').trim()).toBe('65534 65534 65534');
  });
});
