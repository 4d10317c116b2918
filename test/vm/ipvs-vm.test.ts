// Runs the IPVS VM test (test/vm/run.sh) so that `npm test` covers the real kernel too. As root it
// installs what it needs (qemu, busybox-static, cpio, ipvsadm) and must pass; without root it
// cannot boot the VM and says so (exit 2).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const isRoot = process.getuid?.() === 0;

describe('IPVS against a real kernel (qemu VM)', () => {
  it(isRoot ? 'reconciles, follows backend flips, adopts the table, runs every client command' : 'refuses to run without root', () => {
    const r = spawnSync('bash', ['test/vm/run.sh'], { encoding: 'utf8', timeout: 900_000 });
    const out = `${r.stdout}${r.stderr}`;
    if (!isRoot) {
      expect(r.status, out).toBe(2);
      expect(out).toMatch(/needs root/);
      return;
    }
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/test:vm: all checks passed/);
    expect(out.match(/^test:vm: ok /gm)?.length, out).toBe(12);
  }, 900_000);
});
