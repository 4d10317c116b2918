// Runs the IPVS VM test (test/vm/run.sh) so that `npm test` covers the real kernel too. As root it
// installs what it needs (qemu, busybox-static, cpio, ipvsadm) and must pass; without root it
// cannot boot the VM and says so (exit 2).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const isRoot = process.getuid?.() === 0;

/** Async, so vitest's worker keeps answering its runner while the VM runs for minutes. */
function runVm(): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['test/vm/run.sh'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGTERM'), 2_300_000);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, out }); });
  });
}

describe('IPVS against a real kernel (qemu VM)', () => {
  it(isRoot ? 'reconciles, follows backend flips, adopts the table, reloads, runs every client command; ha_suspend and the sync daemon follow VRRP' : 'refuses to run without root', async () => {
    const r = await runVm();
    const out = r.out;
    if (!isRoot) {
      expect(r.status, out).toBe(2);
      expect(out).toMatch(/needs root/);
      return;
    }
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/test:vm: all checks passed/);
    expect(out.match(/^test:vm: ok /gm)?.length, out).toBe(45);
  }, 2_400_000);
});
