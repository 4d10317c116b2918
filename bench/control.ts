// Control socket: `status` round trips against a fake daemon with 100 instances, in process and as the
// CLI process an operator runs. Unix socket in a temp dir only: nothing touches the network.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchRow } from './harness.js';
import { callDaemon, openDaemon } from '../src/control/client.js';
import { startFakeDaemon } from '../src/control/fake-daemon.js';
import { renderStatus } from '../src/control/render.js';
import type { StatusResult } from '../src/control/protocol.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

const TIME = '/usr/bin/time';

/**
 * Wall time of one node process, and its CPU time (user + system, from /usr/bin/time when there: on a
 * machine shared with other work CPU time is the steadier figure). stdin is /dev/null, as from a
 * terminal or cron: with a pipe there and no INSTANCE argument oclif may read the argument from it,
 * so the fast path leaves such runs to oclif.
 */
function run1(args: string[], cwd: string, timeFile: string, env: NodeJS.ProcessEnv = process.env): Promise<{ wall: number; cpu?: number }> {
  const timed = existsSync(TIME);
  const [cmd, argv] = timed ? [TIME, ['-f', '%U %S', '-o', timeFile, process.execPath, ...args]] : [process.execPath, args];
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return rej(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      const cpu = timed ? readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number) : undefined;
      res({ wall, cpu: cpu && cpu.length === 2 && cpu.every(Number.isFinite) ? (cpu[0] + cpu[1]) * 1000 : undefined });
    });
  });
}

/** Best and median of `runs` timings. */
async function stats(fn: () => Promise<number>, runs: number): Promise<{ best: number; median: number }> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push(await fn());
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[Math.floor(t.length / 2)] };
}

/** Wall (best, median) and CPU (median) of `runs` processes. */
async function processStats(args: string[], runs: number, timeFile: string, env?: NodeJS.ProcessEnv): Promise<{ best: number; median: number; cpu?: number }> {
  const all: { wall: number; cpu?: number }[] = [];
  for (let i = 0; i < runs; i++) all.push(await run1(args, repoRoot, timeFile, env));
  const walls = all.map((r) => r.wall).sort((x, y) => x - y);
  const cpus = all.flatMap((r) => (r.cpu === undefined ? [] : [r.cpu])).sort((x, y) => x - y);
  return { best: walls[0], median: walls[Math.floor(walls.length / 2)], cpu: cpus.length ? cpus[Math.floor(cpus.length / 2)] : undefined };
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kactl-bench-'));
  const path = join(dir, 'ctl.sock');
  const daemon = await startFakeDaemon({ path, instances: 100 });
  try {
    const rows: BenchRow[] = [];
    const once = async () => {
      const t0 = process.hrtime.bigint();
      const r = await callDaemon<StatusResult>('status', {}, { socket: path });
      if (!r.ok || r.result.instances.length !== 100) throw new Error(`status failed: ${JSON.stringify(r).slice(0, 200)}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    for (let i = 0; i < 20; i++) await once(); // warm up
    const fresh = await stats(once, 200);
    rows.push({ name: 'status, 100 instances, new connection (median)', ours: fresh.median, unit: 'ms' });

    const c = await openDaemon({ socket: path });
    if (!c.ok) throw new Error(c.message);
    const reuse = await stats(async () => {
      const t0 = process.hrtime.bigint();
      const r = await c.connection.call<StatusResult>('status', {});
      if (!r.ok) throw new Error(r.message);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    }, 500);
    c.connection.close();
    rows.push({ name: 'status, 100 instances, one connection (median)', ours: reuse.median, unit: 'ms' });

    const s = await callDaemon<StatusResult>('status', {}, { socket: path });
    if (!s.ok) throw new Error(s.message);
    const renderRuns = await stats(async () => {
      const t0 = process.hrtime.bigint();
      renderStatus(s.result, { tty: true, now: new Date() });
      return Number(process.hrtime.bigint() - t0) / 1e6;
    }, 50);
    rows.push({ name: 'render 100 instances as a table (median)', ours: renderRuns.median, unit: 'ms' });

    const timeFile = join(dir, 'time');
    const floor = await processStats(['-e', '0'], 7, timeFile);
    rows.push({ name: 'node -e 0 (process start floor, best of 7)', ours: floor.best, unit: 'ms' });
    const bin = join(repoRoot, 'bin', 'keepalivedctl');
    const cli = await processStats([bin, 'status', '--socket', path], 7, timeFile);
    rows.push({ name: 'keepalivedctl status, process, fast path (best of 7)', ours: cli.best, unit: 'ms', target: '< 200 ms' });
    rows.push({ name: 'keepalivedctl status, process, fast path (median of 7)', ours: cli.median, unit: 'ms', target: '< 200 ms' });
    // The same command through oclif (as every other command runs), with the repository's oclif manifest.
    const viaOclif = await processStats([bin, 'status', '--socket', path], 7, timeFile, { ...process.env, KEEPALIVEDCTL_FAST_PATH: '0' });
    rows.push({ name: 'keepalivedctl status, process, oclif path (best of 7)', ours: viaOclif.best, unit: 'ms' });
    for (const [what, r] of [['node -e 0', floor], ['keepalivedctl status, fast path', cli], ['keepalivedctl status, oclif path', viaOclif]] as const) {
      if (r.cpu !== undefined) rows.push({ name: `${what}: CPU user+sys (median of 7)`, ours: r.cpu, unit: 'ms' });
    }
    return rows;
  } finally {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
