// `keepalivedctl lab` for real (root): the CLI as a process builds clusters of our daemons in
// network namespaces; the tests check each claim against the kernel (`ip -n NS -j addr`), the
// process table and `ip netns list`, not only against what the CLI prints. Every lab gets its own
// directory and is always taken down, also when a test fails.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/lab/state.js';
import { ip, isRoot } from '../helpers/netns.js';

const ROOT = join(__dirname, '..', '..');
const CTL = join(ROOT, 'bin', 'keepalivedctl');
const tmp = mkdtempSync(join(tmpdir(), 'kalab-'));
const dirs: string[] = [];
const prefixes = new Set<string>();

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  proc: ReturnType<typeof spawn>;
  done: Promise<Out>;
}

function start(args: string[], timeoutMs = 150_000): Running {
  const proc = spawn(process.execPath, [CTL, 'lab', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Out>((res) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
  return { proc, done };
}

const lab = (args: string[], timeoutMs?: number) => start(args, timeoutMs).done;

function newDir(): string {
  const d = join(tmp, `lab${dirs.length}`);
  dirs.push(d);
  return d;
}

function state(dir: string): LabState {
  const s = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabState;
  prefixes.add(s.prefix);
  return s;
}

/** Which nodes really have `vip` on eth0. */
function holders(s: LabState, vip: string): string[] {
  return s.nodes
    .filter((n) => {
      const j = JSON.parse(ip('-n', n.ns, '-j', 'addr', 'show', 'dev', 'eth0')) as { addr_info: { local: string }[] }[];
      return j.some((l) => l.addr_info.some((a) => a.local === vip));
    })
    .map((n) => n.name);
}

function labNamespaces(prefix: string): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${prefix}-`));
}

function alive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every pid the lab ever ran: the daemons and their children from the pid files. */
function pidsOf(s: LabState): number[] {
  const out: number[] = [];
  for (const n of s.nodes) {
    if (n.pid) out.push(n.pid);
    for (const f of [n.pidFile, n.vrrpPidFile]) {
      try {
        out.push(Number(readFileSync(f, 'utf8').trim()));
      } catch {
        // not written (yet)
      }
    }
  }
  return out.filter((p) => Number.isInteger(p) && p > 0);
}

/** Live processes whose command line names a file in `dir` (our daemons name their config there). */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').some((a) => a.startsWith(`${dir}/`)) && alive(Number(e))) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function expectGone(dir: string, s: LabState, pids: number[]): Promise<void> {
  expect(labNamespaces(s.prefix)).toEqual([]);
  expect(pids.filter(alive)).toEqual([]);
  expect(processesIn(dir)).toEqual([]);
  expect(existsSync(join(dir, 'lab.json'))).toBe(false);
}

function json<T = Record<string, unknown>>(o: Out): T {
  expect(o.stderr).not.toMatch(/Error|at .*\.js:\d+/);
  return JSON.parse(o.stdout) as T;
}

interface MoveJson {
  settled: boolean;
  elapsedMs: number;
  status: { vips: { vip: string; holders: string[]; stale: string[]; expected: string | null }[] };
}

describe.runIf(isRoot())('keepalivedctl lab (root, network namespaces)', () => {
  beforeAll(() => {
    // The CLI runs from dist/: the test runner builds it first.
    expect(existsSync(join(ROOT, 'dist', 'commands', 'lab', 'up.js'))).toBe(true);
  });
  afterAll(async () => {
    for (const d of dirs) await lab(['down', '--dir', d]);
    // Belt and braces: nothing with a lab prefix of ours may survive the run.
    for (const p of prefixes) for (const ns of labNamespaces(p)) ip('netns', 'del', ns);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses to run without root, creating nothing', () => {
    const dir = newDir();
    const r = spawnSync(process.execPath, [CTL, 'lab', 'up', '--dir', dir], { uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: tmp } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('keepalivedctl lab up: the lab needs root (it creates network namespaces); run it with sudo');
    expect(existsSync(dir)).toBe(false);
  });

  it('2 nodes: one MASTER with the VIP; a second up is refused; fail/heal by link, kill and stop move the VIP; down leaves nothing', async () => {
    const dir = newDir();
    try {
      const up = await lab(['up', '--dir', dir, '--json']);
      expect(up.code, up.stderr).toBe(0);
      const j = json<{ masters: Record<string, string[]>; vips: { vip: string; holders: string[] }[]; nodes: { name: string; running: boolean }[] }>(up);
      const s = state(dir);
      expect(s.phase).toBe('up');
      expect(j.masters).toEqual({ VI_1: ['n1'] });
      expect(j.vips.map((v) => [v.vip, v.holders])).toEqual([['192.0.2.100', ['n1']]]);
      expect(holders(s, '192.0.2.100')).toEqual(['n1']);
      expect(labNamespaces(s.prefix).sort()).toEqual([`${s.prefix}-br`, `${s.prefix}-n1`, `${s.prefix}-n2`]);
      // Nothing of the lab on the host: no veth legs or addresses appear outside its namespaces.
      expect(ip('-j', 'addr').includes('192.0.2.100')).toBe(false);
      expect(ip('link').includes('leg-n1')).toBe(false);

      const second = await lab(['up', '--dir', dir]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/a lab is already running in .*: lab-[0-9a-f]{6}, 2 nodes/);
      expect(state(dir).prefix).toBe(s.prefix);

      const pids = new Set(pidsOf(s));
      for (const how of ['link', 'kill', 'stop']) {
        const f = await lab(['fail', 'n1', '--how', how, '--dir', dir, '--json']);
        expect(f.code, `${how}: ${f.stderr}`).toBe(0);
        const fj = json<MoveJson>(f);
        expect(fj.settled).toBe(true);
        expect(fj.status.vips[0]).toMatchObject({ vip: '192.0.2.100', expected: 'n2' });
        // The kernel agrees: the VIP is on n2; a killed daemon leaves its copy behind (as keepalived's does).
        expect(holders(state(dir), '192.0.2.100')).toEqual(how === 'kill' ? ['n1', 'n2'] : ['n2']);
        expect(fj.status.vips[0].stale).toEqual(how === 'kill' ? ['n1'] : []);
        const again = await lab(['fail', 'n1', '--dir', dir]);
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(/n1 has already failed/);

        const h = await lab(['heal', 'n1', '--dir', dir]);
        expect(h.code, `heal after ${how}: ${h.stderr}`).toBe(0);
        expect(h.stdout).toMatch(how === 'link' ? /^n1: link up \(leg-n1\)/ : /^n1: daemon restarted, pid \d+/);
        expect(h.stdout).toMatch(/VIP 192\.0\.2\.100 \(VI_1\): n2 -> n1\nsettled after \d+\.\ds/);
        expect(holders(state(dir), '192.0.2.100')).toEqual(['n1']);
        for (const p of pidsOf(state(dir))) pids.add(p);
      }
      const st = await lab(['status', '--dir', dir]);
      expect(st.code).toBe(0);
      expect(st.stdout).toMatch(/^n1 +192\.0\.2\.1 +pid \d+ +VI_1 +MASTER +150 +192\.0\.2\.100$/m);
      expect(st.stdout).toMatch(/^n2 +192\.0\.2\.2 +pid \d+ +VI_1 +BACKUP +100 +-$/m);

      const down = await lab(['down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(/lab lab-[0-9a-f]{6} is down/);
      await expectGone(dir, s, [...pids]);
      const twice = await lab(['down', '--dir', dir]);
      expect(twice.code).toBe(0);
      expect(twice.stdout).toMatch(/no lab in .*; nothing to do/);
    } finally {
      await lab(['down', '--dir', dir]);
    }
  }, 400_000);

  it('3 nodes (ipv6 template): one MASTER; the failed master hands over to the next priority; fail and heal name bad nodes', async () => {
    const dir = newDir();
    try {
      const up = await lab(['up', '--dir', dir, '--nodes', '3', '--template', 'ipv6']);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toMatch(/^n1 +192\.0\.2\.1 +pid \d+ +VI_1 +MASTER +150 +2001:db8::100$/m);
      expect(up.stdout).toMatch(/^n3 +192\.0\.2\.3 +pid \d+ +VI_1 +BACKUP +90 +-$/m);
      expect(up.stdout).toMatch(/Try:\n {2}keepalivedctl lab status --dir /);
      const s = state(dir);
      expect(holders(s, '2001:db8::100')).toEqual(['n1']);
      const bad = await lab(['fail', 'n9', '--dir', dir]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/no node 'n9' in lab lab-[0-9a-f]{6} \(nodes: n1, n2, n3\)/);
      const badHow = await lab(['fail', 'n1', '--how', 'melt', '--dir', dir]);
      expect(badHow.code).toBe(2);

      const f = await lab(['fail', 'n1', '--dir', dir]);
      expect(f.code, f.stderr).toBe(0);
      expect(f.stdout).toMatch(/VIP 2001:db8::100 \(VI_1\): n1 -> n2\nsettled after/);
      expect(f.stdout).toMatch(/^n1 +192\.0\.2\.1 +pid \d+, link down +VI_1 +FAULT/m);
      expect(holders(state(dir), '2001:db8::100')).toEqual(['n2']);
      const healthy = await lab(['heal', 'n3', '--dir', dir]);
      expect(healthy.code).toBe(0);
      expect(healthy.stdout).toMatch(/^n3 is healthy; nothing to heal/);
      const pids = pidsOf(state(dir));
      const down = await lab(['down', '--dir', dir]);
      expect(down.code, down.stderr).toBe(0);
      await expectGone(dir, s, pids);
    } finally {
      await lab(['down', '--dir', dir]);
    }
  }, 300_000);

  it('active-active: each node holds one VIP; stopping one moves both to the other', async () => {
    const dir = newDir();
    try {
      const up = await lab(['up', '--dir', dir, '--template', 'active-active', '--json']);
      expect(up.code, up.stderr).toBe(0);
      const s = state(dir);
      expect(json<{ masters: Record<string, string[]> }>(up).masters).toEqual({ VI_1: ['n1'], VI_2: ['n2'] });
      expect([holders(s, '192.0.2.100'), holders(s, '192.0.2.101')]).toEqual([['n1'], ['n2']]);
      const f = await lab(['fail', 'n2', '--how', 'stop', '--dir', dir]);
      expect(f.code, f.stderr).toBe(0);
      expect(f.stdout).toContain('VIP 192.0.2.100 (VI_1): stayed on n1');
      expect(f.stdout).toContain('VIP 192.0.2.101 (VI_2): n2 -> n1');
      expect([holders(s, '192.0.2.100'), holders(s, '192.0.2.101')]).toEqual([['n1'], ['n1']]);
    } finally {
      const down = await lab(['down', '--dir', dir]);
      expect(down.code).toBe(0);
    }
  }, 300_000);

  it('Ctrl-C (SIGINT) while lab up starts the daemons takes everything down again', async () => {
    const dir = newDir();
    const up = start(['up', '--dir', dir, '--nodes', '3']);
    let s: LabState | null = null;
    const pids: number[] = [];
    try {
      // Interrupt once the first daemon is recorded: namespaces, configs and a process exist.
      const end = Date.now() + 60_000;
      while (Date.now() < end) {
        try {
          const cur = state(dir);
          if (cur.nodes.some((n) => n.pid)) {
            s = cur;
            break;
          }
        } catch {
          // not written yet
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(s, 'lab up never recorded a daemon').not.toBeNull();
      expect(s!.phase).toBe('starting');
      pids.push(...pidsOf(s!));
      // Another shell's lab down leaves a lab being built to its lab up (which cleans up on Ctrl-C).
      const early = await lab(['down', '--dir', dir]);
      expect(early.code).toBe(1);
      expect(early.stderr).toMatch(/lab lab-[0-9a-f]{6} is still being started by keepalivedctl lab up \(pid \d+\); press Ctrl-C there/);
      expect(existsSync(join(dir, 'lab.json'))).toBe(true);
      up.proc.kill('SIGINT');
      const out = await up.done;
      expect(out.code).toBe(130);
      expect(out.stderr).toContain('interrupted; the lab was taken down');
      expect(out.stdout).toMatch(/namespace lab-[0-9a-f]{6}-br deleted/);
      await expectGone(dir, s!, pids);
      expect(existsSync(dir)).toBe(false);
    } finally {
      up.proc.kill('SIGKILL');
      await lab(['down', '--dir', dir]);
    }
  }, 200_000);
});
