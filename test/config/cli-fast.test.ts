// bin/keepalivedctl's fast path (src/cli-fast/): for a table of command lines, the process with the
// fast path prints the same bytes on stdout and stderr and exits the same as the oclif path
// (KEEPALIVEDCTL_FAST_PATH=0); it loads no oclif when it takes a command line, and leaves every
// doubtful one (help, unknown or repeated flags, bad values) to oclif.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFastArgv, type FastFlag } from '../../src/cli-fast/argv.js';
import * as fast from '../../src/cli-fast/common.js';
import * as cli from '../../src/control/cli.js';
import type { CallFailure } from '../../src/control/client.js';
import { type FakeDaemon, startFakeDaemon } from '../../src/control/fake-daemon.js';
import { requireDist } from '../helpers/dist.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const bin = join(repoRoot, 'bin', 'keepalivedctl');
const trace = join(import.meta.dirname, 'fixtures-cli-fast', 'trace-oclif.mjs');
const dir = mkdtempSync(join(tmpdir(), 'kactl-fast-'));

let daemon: FakeDaemon;
const sock = join(dir, 'ctl.sock');

beforeAll(async () => {
  requireDist('dist/src/cli-fast/main.js');
  daemon = await startFakeDaemon({ path: sock });
}, 200_000);

afterAll(async () => {
  await daemon?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Run = { code: number | null; stdout: string; stderr: string; oclif: boolean };
let runs = 0;

/** One CLI process; stdin is /dev/null ('ignore') unless `input` is given (then a pipe). */
function run(args: string[], opts: { fastPath: boolean; input?: string; env?: Record<string, string> }): Promise<Run> {
  const traceFile = join(dir, `trace-${++runs}`);
  const env: NodeJS.ProcessEnv = { ...process.env, KEEPALIVEDCTL_FAST_PATH: opts.fastPath ? '1' : '0', TRACE_OCLIF_FILE: traceFile, ...opts.env };
  delete env.FORCE_COLOR;
  if (!opts.env?.KEEPALIVEDCTL_SOCKET) delete env.KEEPALIVEDCTL_SOCKET;
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', trace, bin, ...args], { cwd: repoRoot, env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, oclif: existsSync(traceFile) && readFileSync(traceFile, 'utf8').length > 0 });
    });
  });
}

/** Ages ("up 4m6s", "3s ago") move between two runs; everything else must be byte for byte the same. */
const ages = (s: string) => s.replace(/\b(\d+[dhms])+\b/g, 'AGE').replace(/pid \d+/g, 'pid N');

async function both(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const slow = await run(args, { ...opts, fastPath: false });
  const quick = await run(args, { ...opts, fastPath: true });
  expect(slow.oclif, 'the oclif path loads oclif').toBe(true);
  const same = (r: Run) => ({ code: r.code, stdout: ages(r.stdout), stderr: ages(r.stderr) });
  expect(same(quick), `keepalivedctl ${args.join(' ')}`).toEqual(same(slow));
  return { slow, quick };
}

const conf = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const GOOD = `vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const BAD = `vrrp_instance VI_1 {
  priorty 100
  interface eth0
  virtual_router_id 300
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;
const WARN = `global_defs {
  router_id lb1
}
vrrp_instance VI_1 {
  state MASTER
  nopreempt
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

describe('fast path and oclif path print the same', () => {
  it('status: text, --json, one instance, unknown instance, bad --timeout, no daemon, env socket', async () => {
    const taken = [
      ['status', '--socket', sock],
      ['status', '--json', '--socket', sock],
      ['status', 'VI_DB6', `--socket=${sock}`, '--json'],
      ['status', 'VI_NOPE', '--socket', sock, '--json'],
      ['status', '--socket', sock, '--timeout', 'abc'],
      ['status', '--socket', join(dir, 'nobody.sock'), '--json'],
    ];
    for (const args of taken) {
      const { quick } = await both(args);
      expect(quick.oclif, `fast path taken for ${args.join(' ')}`).toBe(false);
    }
    const env = await both(['status', 'VI_WEB'], { env: { KEEPALIVEDCTL_SOCKET: sock } });
    expect(env.quick.oclif).toBe(false);
    expect(env.quick.stdout).toMatch(/^VI_WEB +BACKUP/m);
  }, 600_000);

  it('status: doubtful command lines go to oclif, with the same result', async () => {
    const doubtful = [
      ['status', '--help'],
      ['status', '--bogus', '--socket', sock],
      ['status', '--socket', sock, '--socket', sock],
      ['status', 'VI_WEB', 'VI_DB', '--socket', sock],
    ];
    for (const args of doubtful) {
      const { quick } = await both(args);
      expect(quick.oclif, `oclif decides ${args.join(' ')}`).toBe(true);
    }
    // A pipe on stdin (cron, scripts): the argument never comes from it (ignoreStdin), so both paths
    // give the same answer and the fast path takes it.
    const piped = await both(['status', '--socket', sock, '--json'], { input: 'VI_DB\n' });
    expect(piped.quick.oclif).toBe(false);
    expect((JSON.parse(piped.quick.stdout) as { instances: unknown[] }).instances.length).toBeGreaterThan(1);
  }, 600_000);

  it('validate: human, json, sarif, --json, strict, config id, several files, cluster, unreadable, stdin', async () => {
    const good = conf('good.conf', GOOD);
    const bad = conf('bad.conf', BAD);
    const warn = conf('warn.conf', WARN);
    const cl = join(dir, 'cluster');
    mkdirSync(cl);
    writeFileSync(join(cl, 'lb1.conf'), GOOD);
    writeFileSync(join(cl, 'lb2.conf'), GOOD.replace('priority 100', 'priority 100\n  nopreempt'));
    const taken = [
      ['validate', good],
      ['validate', bad],
      ['validate', bad, '--format', 'json'],
      ['validate', bad, '--format=sarif'],
      ['validate', warn, '--strict', '--json'],
      ['validate', good, bad, '-i', 'lb1'],
      ['validate', '--cluster', cl],
      ['validate', '--cluster', join(dir, 'no-such-dir')],
      ['validate', join(dir, 'missing.conf'), '--json'],
      ['validate', '-'],
      ['validate', good, '--config-id', 'lb2', '--host'],
    ];
    for (const args of taken) {
      const { quick } = await both(args);
      expect(quick.oclif, `fast path taken for ${args.join(' ')}`).toBe(false);
    }
  }, 600_000);

  it('validate: doubtful command lines go to oclif, with the same result', async () => {
    const bad = conf('bad2.conf', BAD);
    const doubtful = [
      ['validate', bad, '--format', 'xml'],
      ['validate', '--cluster', join(dir, 'no-such-dir'), '--json'],
      ['validate', '-ilb1', bad],
    ];
    for (const args of doubtful) {
      const { quick } = await both(args);
      expect(quick.oclif, `oclif decides ${args.join(' ')}`).toBe(true);
    }
    // `validate - < file` reads stdin itself (the argument is there): the fast path takes it.
    const piped = await both(['validate', '-'], { input: BAD });
    expect(piped.quick.oclif).toBe(false);
    expect(piped.quick.stdout).toContain("unknown keyword 'priorty'");
  }, 600_000);

  it('status --watch --json on the fast path: a frame, then exit 0 on Ctrl-C, as through oclif', async () => {
    const watchOnce = (fastPath: boolean) =>
      new Promise<Run>((res) => {
        const traceFile = join(dir, `trace-${++runs}`);
        const env: NodeJS.ProcessEnv = { ...process.env, KEEPALIVEDCTL_FAST_PATH: fastPath ? '1' : '0', TRACE_OCLIF_FILE: traceFile };
        delete env.FORCE_COLOR;
        const child = spawn(process.execPath, ['--import', trace, bin, 'status', '--watch', '--json', '--socket', sock], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          // The first frame (one StatusResult per line with --json): stop it as an operator would.
          if (stdout.includes('\n')) child.kill('SIGINT');
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          res({ code, stdout, stderr, oclif: existsSync(traceFile) && readFileSync(traceFile, 'utf8').length > 0 });
        });
      });
    const slow = await watchOnce(false);
    const quick = await watchOnce(true);
    // (--watch still loads @oclif/core through src/control/watch.ts's import of cli.ts, unused: a
    // long-running command, where start-up matters little.)
    expect(slow.oclif).toBe(true);
    for (const r of [slow, quick]) {
      expect(r.code, r.stderr).toBe(0);
      const first = JSON.parse(r.stdout.split('\n')[0]) as { instances: { name: string }[] };
      expect(first.instances.map((i) => i.name)).toEqual(['VI_WEB', 'VI_DB', 'VI_DB6', 'VI_SOLO']);
    }
  }, 300_000);

  it('on a terminal: the same colours and table', async () => {
    const bad = conf('bad3.conf', BAD);
    const viaScript = (args: string[], fastPath: boolean) =>
      new Promise<string>((res) => {
        const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', COLUMNS: '250', KEEPALIVEDCTL_FAST_PATH: fastPath ? '1' : '0' };
        for (const k of Object.keys(env)) if (k === 'CI' || k === 'NO_COLOR' || k === 'FORCE_COLOR' || k.startsWith('CI_')) delete env[k];
        execFile('script', ['-qec', [process.execPath, bin, ...args].join(' '), '/dev/null'], { cwd: repoRoot, env, timeout: 60_000 }, (_err, stdout) => res(stdout));
      });
    for (const args of [['status', '--socket', sock], ['validate', bad]]) {
      const slow = await viaScript(args, false);
      const quick = await viaScript(args, true);
      expect(slow).toMatch(/\x1b\[[0-9;]*m/);
      expect(ages(quick)).toBe(ages(slow));
    }
  }, 300_000);
});

describe('readFastArgv', () => {
  const flags: FastFlag[] = [
    { name: 'socket', type: 'string' },
    { name: 'format', type: 'string', options: ['human', 'json'] },
    { name: 'watch', char: 'w', type: 'boolean' },
    { name: 'config-id', char: 'i', type: 'string' },
  ];
  const read = (argv: string[], max = 1) => {
    const r = readFastArgv(argv, flags, max);
    return r && { flags: Object.fromEntries(r.flags), positionals: r.positionals };
  };

  it('takes known flags in every plain spelling', () => {
    expect(read(['VI_1', '--socket', '/s', '-w'])).toEqual({ flags: { socket: '/s', watch: true }, positionals: ['VI_1'] });
    expect(read(['--socket=/s', '--format=json', '-i', 'lb1'])).toEqual({ flags: { socket: '/s', format: 'json', 'config-id': 'lb1' }, positionals: [] });
    expect(read(['a', '-', 'b'], Infinity)).toEqual({ flags: {}, positionals: ['a', '-', 'b'] });
  });

  it('answers null for whatever oclif should judge', () => {
    for (const argv of [['--help'], ['-h'], ['--'], ['--socket'], ['--socket', ''], ['--socket='], ['--socket', '-w'], ['-w', '-w'], ['--watch=yes'], ['--format', 'xml'], ['-wi', 'x'], ['-ilb1'], ['a', 'b'], ['--no-watch']]) {
      expect(read(argv), argv.join(' ')).toBeNull();
    }
  });
});

describe('the oclif-free helpers (src/cli-fast/common.ts, re-exported by src/control/cli.ts)', () => {
  it('one implementation for both paths', () => {
    expect(cli.secondsFlag).toBe(fast.secondsFlag);
    expect(cli.failureLine).toBe(fast.failureLine);
    expect(cli.failureDetail).toBe(fast.failureDetail);
  });

  it('secondsFlag: seconds to ms within 0/above 0 to 86400, the error names the flag', () => {
    expect(fast.secondsFlag('timeout', ' 2 ')).toEqual({ ok: true, value: 2000 });
    expect(fast.secondsFlag('timeout', '3.25')).toEqual({ ok: true, value: 3250 });
    expect(fast.secondsFlag('wait', '0', true)).toEqual({ ok: true, value: 0 });
    expect(fast.secondsFlag('timeout', '86400')).toEqual({ ok: true, value: 86_400_000 });
    for (const t of ['0', '86401', 'abc', '-1', '1e3', '']) {
      const r = fast.secondsFlag('timeout', t);
      expect(r.ok, t).toBe(false);
      if (!r.ok) expect(r.error).toBe(`--timeout: '${t}' is not a number of seconds (above 0 to 86400)`);
    }
  });

  it('failureLine and failureDetail', () => {
    const failures: [CallFailure, string, Record<string, unknown>][] = [
      [{ ok: false, kind: 'not-running', message: 'keepalived is not running (no control socket at /x)' }, 'keepalived is not running (no control socket at /x)', { kind: 'not-running' }],
      [{ ok: false, kind: 'denied', message: 'permission denied' }, 'permission denied', { kind: 'denied' }],
      [{ ok: false, kind: 'rpc', message: "no vrrp_instance 'X'", code: -32004, data: { instance: 'X' } }, "keepalivedctl status: no vrrp_instance 'X'", { kind: 'rpc', code: -32004, data: { instance: 'X' } }],
      [{ ok: false, kind: 'timeout', message: 'no answer' }, 'keepalivedctl status: no answer', { kind: 'timeout' }],
    ];
    for (const [f, line, detail] of failures) {
      expect(fast.failureLine('status', f)).toBe(line);
      expect(fast.failureDetail(f)).toEqual(detail);
    }
  });
});
