// scripts/lab.sh (npm run lab) for real (root): the guided demo end to end without a terminal (no
// pauses), --keep leaving the lab up, and Ctrl-C (SIGINT to its process group, as a terminal sends
// it) in the middle of the demo taking the lab down. Checked against `ip netns list` and /proc.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/lab/state.js';
import { ip, isRoot } from '../helpers/netns.js';

const ROOT = join(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'kalabsh-'));
const dirs: string[] = [];
const prefixes = new Set<string>();

interface Out {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

function script(args: string[], onOutput?: (all: string, pid: number) => void): Promise<Out> {
  // Its own process group, so a test can send SIGINT to the whole group as a terminal would.
  const p = spawn('bash', [join(ROOT, 'scripts', 'lab.sh'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const on = (d: Buffer) => {
    out += d.toString();
    onOutput?.(out, p.pid!);
  };
  p.stdout!.on('data', on);
  p.stderr!.on('data', on);
  return new Promise((res) => {
    const t = setTimeout(() => process.kill(-p.pid!, 'SIGKILL'), 240_000);
    p.on('close', (code, signal) => {
      clearTimeout(t);
      res({ code, signal, out });
    });
  });
}

function ctl(args: string[]): Promise<string> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'keepalivedctl'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.on('close', () => res(out));
  });
}

function newDir(): string {
  const d = join(tmp, `lab${dirs.length}`);
  dirs.push(d);
  return d;
}

function prefixIn(out: string): string {
  const m = /lab (lab-[0-9a-f]{6}):/.exec(out);
  expect(m, out).not.toBeNull();
  prefixes.add(m![1]);
  return m![1];
}

const namespacesOf = (prefix: string) => ip('netns', 'list').split('\n').filter((l) => l.startsWith(`${prefix}-`));

function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').some((a) => a.startsWith(`${dir}/`))) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe.runIf(isRoot())('npm run lab (scripts/lab.sh, root)', () => {
  afterAll(async () => {
    for (const d of dirs) await ctl(['lab', 'down', '--dir', d]);
    for (const p of prefixes) for (const ns of namespacesOf(p)) ip('netns', 'del', ns);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the demo without pauses off a terminal (up, fail n1, status, heal n1, status) and takes the lab down', async () => {
    const dir = newDir();
    const r = await script(['--dir', dir]);
    expect(r.code, r.out).toBe(0);
    const steps = [...r.out.matchAll(/^== (.*)$/gm)].map((m) => m[1].trim());
    expect(steps).toEqual(['keepalivedctl lab up', 'keepalivedctl lab fail n1 --how link', 'keepalivedctl lab status', 'keepalivedctl lab heal n1', 'keepalivedctl lab status', 'keepalivedctl lab down']);
    expect(r.out).toContain('VIP 192.0.2.100 (VI_1): n1 -> n2');
    expect(r.out).toContain('VIP 192.0.2.100 (VI_1): n2 -> n1');
    expect(r.out).not.toMatch(/\x1b\[/);
    expect(r.out).not.toContain('[Enter]');
    const prefix = prefixIn(r.out);
    expect(namespacesOf(prefix)).toEqual([]);
    expect(processesIn(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  }, 250_000);

  it('--keep leaves the lab up (then lab down removes it); bad options are refused before anything starts', async () => {
    const bad = await script(['--how', 'melt']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--how must be link, kill or stop/);
    const dir = newDir();
    const r = await script(['--dir', dir, '--keep', '--how', 'stop']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`The lab is still up (--keep)`);
    expect(r.out).toContain('n1: daemon pid');
    const prefix = prefixIn(r.out);
    const s = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabState;
    expect(s.phase).toBe('up');
    expect(namespacesOf(prefix).length).toBe(3);
    expect(await ctl(['lab', 'down', '--dir', dir])).toContain(`lab ${prefix} is down`);
    expect(namespacesOf(prefix)).toEqual([]);
    expect(processesIn(dir)).toEqual([]);
  }, 250_000);

  it('Ctrl-C in the middle of the demo takes the lab down', async () => {
    const dir = newDir();
    let sent = false;
    const r = await script(['--dir', dir], (all, pid) => {
      if (!sent && /== keepalivedctl lab fail n1/.test(all)) {
        sent = true;
        process.kill(-pid, 'SIGINT');
      }
    });
    expect(sent, r.out).toBe(true);
    expect(r.code, r.out).toBe(130);
    expect(r.out).toContain('interrupted');
    const prefix = prefixIn(r.out);
    expect(r.out).toContain(`lab ${prefix} is down`);
    expect(namespacesOf(prefix)).toEqual([]);
    expect(processesIn(dir)).toEqual([]);
    expect(existsSync(join(dir, 'lab.json'))).toBe(false);
  }, 250_000);
});
