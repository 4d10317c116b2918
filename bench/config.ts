// Config engine benchmark: validate a large LVS config (2,000 virtual servers x 10 real servers with
// TCP_CHECK, then 4x and 8x that) in-process and through the CLI, against `keepalived -t` on the same
// file. keepalived runs inside a network namespace made (and always deleted) here.
// KEEPALIVEDCTL_BENCH_BEFORE=DIR (a checkout or copy with bin/ and a built dist/, e.g. a git worktree
// of an older commit) adds that CLI's rows, run in turn with ours and keepalived's in the same rounds,
// so a before/after comparison shares the machine's conditions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateFiles } from '../src/config/validate.js';
import { type BenchRow, printRows, timeMs } from './harness.js';

const KEEPALIVED = '/usr/sbin/keepalived';
const BASE_VIRTUAL_SERVERS = 2000;
const REAL_SERVERS = 10;
const SCALES = [1, 4, 8];
const TARGET = '<= 0.5x keepalived';

/** The repository root, from dist/bench/config.js or bench/config.ts alike. */
function repoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return resolve(here, here.includes('/dist/') ? '../..' : '..');
}

/** A config of `vsCount` virtual servers, each with REAL_SERVERS TCP-checked real servers; unique TEST-NET endpoints. */
export function generateLvsConfig(vsCount: number): { text: string; lines: number } {
  const out: string[] = ['global_defs {', '  router_id bench', '}'];
  for (let v = 0; v < vsCount; v++) {
    // 250 addresses x many ports keeps every virtual server (address, port) distinct.
    const vip = `198.51.100.${1 + (v % 250)}`;
    const vport = 1024 + Math.floor(v / 250);
    out.push(`virtual_server ${vip} ${vport} {`, '  delay_loop 6', '  lb_algo wrr', '  lb_kind NAT', '  protocol TCP');
    for (let r = 0; r < REAL_SERVERS; r++) {
      const n = v * REAL_SERVERS + r;
      const rip = `203.0.113.${1 + (n % 250)}`;
      const rport = 1024 + Math.floor(n / 250);
      out.push(
        `  real_server ${rip} ${rport} {`,
        '    weight 1',
        '    TCP_CHECK {',
        `      connect_port ${rport}`,
        '      connect_timeout 3',
        '    }',
        '  }',
      );
    }
    out.push('}');
  }
  return { text: out.join('\n') + '\n', lines: out.length };
}

const TIME = '/usr/bin/time';

interface Timed {
  ms: number;
  cpuMs?: number;
  status: number | null;
  output: string;
}

/**
 * Wall time of each child process in ms (best of `runs`), its CPU time (user + system, best of `runs`,
 * from /usr/bin/time when there: the steadier figure on a shared machine) and its last exit status.
 * The commands take turns, round after round, so that each sees the same moments of a busy machine.
 */
function timeProcesses(cmds: { cmd: string; args: string[] }[], runs: number, timeFile: string): Timed[] {
  const timed = existsSync(TIME);
  const out: Timed[] = cmds.map(() => ({ ms: Infinity, status: null, output: '' }));
  for (let i = 0; i < runs; i++) {
    cmds.forEach(({ cmd, args }, k) => {
      const t = out[k];
      const t0 = process.hrtime.bigint();
      const r = timed
        ? spawnSync(TIME, ['-f', '%U %S', '-o', timeFile, cmd, ...args], { encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 1024 * 1024 })
        : spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 256 * 1024 * 1024 });
      t.ms = Math.min(t.ms, Number(process.hrtime.bigint() - t0) / 1e6);
      t.status = r.status;
      t.output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
      if (timed) {
        const [u, sys] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
        if (Number.isFinite(u) && Number.isFinite(sys)) t.cpuMs = Math.min(t.cpuMs ?? Infinity, (u + sys) * 1000);
      }
    });
  }
  return out;
}

/** CPU time of fn in this process, user + system ms (best of `runs`). */
function cpuMs(fn: () => void, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

/** A network namespace of our own for keepalived -t (it never leaves it); undefined when we cannot make one. */
function makeNetns(): string | undefined {
  const name = `kabenchcfg${process.pid}_${Date.now() % 100000}`;
  const add = spawnSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
  if (add.status !== 0) return undefined;
  spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  return name;
}

function deleteNetns(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
}

export async function run(): Promise<BenchRow[]> {
  const root = repoRoot();
  const cli = join(root, 'bin', 'keepalivedctl');
  const beforeDir = process.env.KEEPALIVEDCTL_BENCH_BEFORE;
  const beforeCli = beforeDir ? join(resolve(beforeDir), 'bin', 'keepalivedctl') : undefined;
  if (beforeCli && !existsSync(beforeCli)) throw new Error(`KEEPALIVEDCTL_BENCH_BEFORE: no ${beforeCli}`);
  const dir = mkdtempSync(join(tmpdir(), 'kabench-config-'));
  const haveKeepalived = existsSync(KEEPALIVED);
  const ns = haveKeepalived ? makeNetns() : undefined;
  if (haveKeepalived && !ns) console.warn('bench/config: cannot create a network namespace (not root?); keepalived -t is not run');
  if (!haveKeepalived) console.warn(`bench/config: ${KEEPALIVED} not found; printing our figures alone`);
  const rows: BenchRow[] = [];
  try {
    for (const scale of SCALES) {
      const vsCount = BASE_VIRTUAL_SERVERS * scale;
      const { text, lines } = generateLvsConfig(vsCount);
      const file = join(dir, `lvs-${vsCount}.conf`);
      writeFileSync(file, text);
      const runs = scale === 1 ? 3 : 1;
      const label = `${vsCount} VS x ${REAL_SERVERS} RS (${lines} lines)`;

      let errors = 0;
      const inProcess = await timeMs(() => {
        errors = validateFiles([file]).errors;
      }, runs);
      if (errors > 0) console.warn(`bench/config: our validate reports ${errors} errors on the generated ${label} config`);
      // The in-process CPU figure after the wall one: the engine is warm then (the CLI is never).
      const inProcessCpu = cpuMs(() => validateFiles([file]), runs);
      const timeFile = join(dir, 'time');
      const cmds = [{ cmd: process.execPath, args: [cli, 'validate', file, '--format', 'json'] }];
      if (ns) cmds.push({ cmd: 'ip', args: ['netns', 'exec', ns, KEEPALIVED, '-t', '-l', '-n', '-f', file] });
      if (beforeCli) cmds.push({ cmd: process.execPath, args: [beforeCli, 'validate', file, '--format', 'json'] });
      const timings = timeProcesses(cmds, runs, timeFile);
      const viaCli = timings[0];
      if (viaCli.status !== 0) console.warn(`bench/config: keepalivedctl validate exited ${viaCli.status} on ${label}`);

      let reference: number | undefined;
      let referenceCpu: number | undefined;
      if (ns) {
        const ka = timings[1];
        if (ka.status !== 0) console.warn(`bench/config: keepalived -t exited ${ka.status} on ${label}: ${ka.output.slice(0, 300)}`);
        reference = ka.ms;
        referenceCpu = ka.cpuMs;
      }
      const before = beforeCli ? timings[timings.length - 1] : undefined;
      if (before) {
        // Same file, same flags: the two CLIs must print the same report.
        if (before.output !== viaCli.output) console.warn(`bench/config: the 'before' CLI's output differs from ours on ${label}`);
        rows.push({ name: `before: validate CLI process, ${label}`, ours: before.ms, unit: 'ms', reference, target: reference ? TARGET : undefined });
        if (before.cpuMs !== undefined) rows.push({ name: `before: CPU, validate CLI process, ${label}`, ours: before.cpuMs, unit: 'ms', reference: referenceCpu });
      }
      rows.push({ name: `validate in-process, ${label}`, ours: inProcess, unit: 'ms', reference, target: reference ? TARGET : undefined });
      rows.push({ name: `validate CLI process, ${label}`, ours: viaCli.ms, unit: 'ms', reference, target: reference ? TARGET : undefined });
      rows.push({ name: `CPU, validate in-process (warm), ${label}`, ours: inProcessCpu, unit: 'ms', reference: referenceCpu });
      if (viaCli.cpuMs !== undefined) {
        rows.push({ name: `CPU, validate CLI process, ${label}`, ours: viaCli.cpuMs, unit: 'ms', reference: referenceCpu, target: referenceCpu ? TARGET : undefined });
      }
      rows.push({
        name: `per 1,000 lines, ${vsCount} VS (linear: flat across sizes)`,
        ours: (inProcess / lines) * 1000,
        unit: 'ms/1k lines',
        reference: reference === undefined ? undefined : (reference / lines) * 1000,
      });
    }
  } finally {
    if (ns) deleteNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  printRows('config engine: validate vs keepalived -t', await run());
}
