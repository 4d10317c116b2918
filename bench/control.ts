// Control socket: `status` round trips against a fake daemon with 100 instances, in process and as the
// CLI process an operator runs. Unix socket in a temp dir only: nothing touches the network.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchRow } from './harness.js';
import { callDaemon, openDaemon } from '../src/control/client.js';
import { startFakeDaemon } from '../src/control/fake-daemon.js';
import { renderStatus } from '../src/control/render.js';
import type { StatusResult } from '../src/control/protocol.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/**
 * Wall time of one CLI process. stdin is /dev/null, as from a terminal or cron: with a pipe there and
 * no INSTANCE argument oclif may read the argument from it, so the fast path leaves such runs to oclif.
 */
function run1(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t0) / 1e6) : rej(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** Best and median of `runs` timings. */
async function stats(fn: () => Promise<number>, runs: number): Promise<{ best: number; median: number }> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push(await fn());
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[Math.floor(t.length / 2)] };
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

    const floor = await stats(() => run1(['-e', '0'], repoRoot), 5);
    rows.push({ name: 'node -e 0 (process start floor, best of 5)', ours: floor.best, unit: 'ms' });
    const bin = join(repoRoot, 'bin', 'keepalivedctl');
    const cli = await stats(() => run1([bin, 'status', '--socket', path], repoRoot), 7);
    rows.push({ name: 'keepalivedctl status, process, fast path (best of 7)', ours: cli.best, unit: 'ms', target: '< 200 ms' });
    rows.push({ name: 'keepalivedctl status, process, fast path (median of 7)', ours: cli.median, unit: 'ms', target: '< 200 ms' });
    // The same command through oclif (as every other command runs), with the repository's oclif manifest.
    const oclifEnv = { ...process.env, KEEPALIVEDCTL_FAST_PATH: '0' };
    const viaOclif = await stats(() => run1([bin, 'status', '--socket', path], repoRoot, oclifEnv), 7);
    rows.push({ name: 'keepalivedctl status, process, oclif path (best of 7)', ours: viaOclif.best, unit: 'ms' });
    return rows;
  } finally {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
