// Control socket: `status` round trips against a fake daemon with 100 instances, in process and as the
// CLI process an operator runs. Unix socket in a temp dir only: nothing touches the network.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchRow } from './harness.js';
import { callDaemon, openDaemon } from '../src/control/client.js';
import { startFakeDaemon } from '../src/control/fake-daemon.js';
import { renderStatus } from '../src/control/render.js';
import type { StatusResult } from '../src/control/protocol.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

function run1(args: string[], cwd: string): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    execFile(process.execPath, args, { cwd, timeout: 60_000 }, (err) => (err ? rej(err) : res(Number(process.hrtime.bigint() - t0) / 1e6)));
  });
}

/** Best and median of `runs` timings. */
async function stats(fn: () => Promise<number>, runs: number): Promise<{ best: number; median: number }> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push(await fn());
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[Math.floor(t.length / 2)] };
}

/**
 * A copy of the CLI with an oclif manifest, as a release would ship it: without one, oclif imports
 * every command module (validate's config engine, genhash, ...) just to list them.
 */
async function withManifest(dir: string): Promise<string> {
  const root = join(dir, 'pkg');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
  copyFileSync(join(repoRoot, 'bin', 'keepalivedctl'), join(root, 'bin', 'keepalivedctl'));
  symlinkSync(join(repoRoot, 'dist'), join(root, 'dist'));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  const { Config } = await import('@oclif/core');
  const config = await Config.load({ root });
  const plugin = config.getPluginsList().find((p) => p.root === root);
  if (!plugin) throw new Error('oclif did not load the keepalivedctl plugin');
  // Plugin.manifest is public on the class, not on the exported interface.
  writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify((plugin as unknown as { manifest: unknown }).manifest));
  return join(root, 'bin', 'keepalivedctl');
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
    const cli = await stats(() => run1([join(repoRoot, 'bin', 'keepalivedctl'), 'status', '--socket', path], repoRoot), 5);
    rows.push({ name: 'keepalivedctl status, process (best of 5)', ours: cli.best, unit: 'ms', target: '< 200 ms' });
    const binM = await withManifest(dir);
    const cliM = await stats(() => run1([binM, 'status', '--socket', path], repoRoot), 5);
    rows.push({ name: 'keepalivedctl status, with oclif manifest (best of 5)', ours: cliM.best, unit: 'ms', target: '< 200 ms' });
    return rows;
  } finally {
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
