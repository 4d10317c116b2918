// Unit tests for process-priority.ts: global_defs' per-child priority keywords read as keepalived
// 2.2.7 reads them (its `-t` messages, when it is installed), their fates (the daemon runs past them),
// and the apply/reset/auto-priority logic against fake system calls.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { fatalErrors } from '../../src/daemon/instance-routes.js';
import { runtimeFates } from '../../src/config/runtime-fate.js';
import {
  type ChildKind, type PrioritySys, ProcessPriority, readPrioritySettings, RT_RLIMIT_DEFAULT,
} from '../../src/daemon/process-priority.js';

const HOST = { ncpus: 2, rtMin: 1, rtMax: 99 };
const globals = (body: string) => loadConfigText(`global_defs {\n${body}\n}\n`, 'test.conf').model.globals?.node;
const read = (body: string, kind: ChildKind = 'vrrp') => readPrioritySettings(globals(body), kind, HOST);

const BAD = `global_defs {
  vrrp_priority 25
  vrrp_rt_priority 150
  checker_cpu_affinity 0 7
  max_auto_priority 200
  min_auto_priority_delay 0
  checker_priority abc
  checker_rt_priority x
  bfd_rt_priority 0
  checker_rlimit_rttime 0
  bfd_rlimit_rttime zz
  bfd_cpu_affinity a
  vrrp_cpu_affinity 1 1 0
}
`;

describe('reading the priority keywords', () => {
  it('defaults as global_data.c', () => {
    expect(read('').settings).toEqual({
      nice: 0, rtPriority: 0, rlimitRtTime: RT_RLIMIT_DEFAULT, noSwap: false, cpus: [], maxAutoPriority: 0, minAutoPriorityDelayUs: 1_000_000,
    });
  });

  it('reads each child its own keywords and the shared ones', () => {
    const body = 'vrrp_priority -5\nchecker_rt_priority 20\nchecker_rlimit_rttime 1\nbfd_no_swap\nbfd_cpu_affinity 1\nmax_auto_priority\nmin_auto_priority_delay 5000';
    expect(read(body, 'vrrp').settings).toMatchObject({ nice: -5, rtPriority: 0, maxAutoPriority: 99, minAutoPriorityDelayUs: 5000 });
    expect(read(body, 'checker').settings).toMatchObject({ nice: 0, rtPriority: 20, rlimitRtTime: 2, noSwap: false });
    expect(read(body, 'bfd').settings).toMatchObject({ noSwap: true, cpus: [1] });
    expect(read(body, 'vrrp').problems).toEqual([]);
  });

  it('the old spelling: the later line wins, with keepalived deprecation line', () => {
    const r = read('vrrp_rlimit_rttime 500\nvrrp_rlimit_rtime 700');
    expect(r.settings.rlimitRtTime).toBe(700);
    expect(r.problems).toEqual(["Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'"]);
  });

  it('corrects or ignores bad values with keepalived words', () => {
    const m = loadConfigText(BAD, 'bad.conf').model.globals?.node;
    const v = readPrioritySettings(m, 'vrrp', HOST);
    expect(v.settings).toMatchObject({ nice: 0, rtPriority: 99, maxAutoPriority: 0, minAutoPriorityDelayUs: 1_000_000, cpus: [1, 0] });
    const c = readPrioritySettings(m, 'checker', HOST);
    expect(c.settings).toMatchObject({ nice: 0, rtPriority: 0, rlimitRtTime: 0, cpus: [] });
    const b = readPrioritySettings(m, 'bfd', HOST);
    expect(b.settings).toMatchObject({ rtPriority: 1, rlimitRtTime: 0, cpus: [] });
    expect(c.problems).toContain('Invalid cpu_id:7 specified for checker process');
    expect(b.problems).toContain('Invalid cpu_id:0 specified for bfd process');
  });

  it('the daemon runs past them (none is fatal)', () => {
    const r = loadConfigText(BAD, 'bad.conf');
    const errs = fatalErrors(r.diagnostics, r.model.nodes);
    expect(errs.length).toBeGreaterThan(0);
    const { fatal, ranPast } = runtimeFates(errs, r.model.nodes);
    expect(fatal).toEqual([]);
    expect(ranPast.every((p) => p.fate === 'skip' && p.log === null)).toBe(true);
  });

  describe.skipIf(!existsSync('/usr/sbin/keepalived'))('the same messages as keepalived 2.2.7 -t', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prio-unit-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it('every line of keepalived -t about these keywords, and no other', () => {
      const file = join(dir, 'bad.conf');
      writeFileSync(file, BAD);
      const k = spawnSync('/usr/sbin/keepalived', ['-t', '-l', '-n', '-f', file], { encoding: 'utf8', timeout: 20_000 });
      const theirs = `${k.stdout}${k.stderr}`.split('\n').map((l) => /^\(Line \d+\) (.*)$/.exec(l)?.[1]).filter((l): l is string => !!l);
      const m = loadConfigText(BAD, 'bad.conf').model.globals?.node;
      // keepalived -t reads global_defs once; ours is read per child, the shared keywords by each.
      const ncpus = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim());
      const host = { ...HOST, ncpus };
      const ours = new Set((['vrrp', 'checker', 'bfd'] as const).flatMap((c) => readPrioritySettings(m, c, host).problems));
      expect([...ours].sort()).toEqual([...new Set(theirs)].sort());
    });
  });
});

/** Fake system calls that record what was done; `refuse` names the calls that fail with EPERM. */
function fakeSys(refuse: string[] = []) {
  const calls: string[] = [];
  let tick: (() => void) | undefined;
  let now = 0;
  const res = (name: string) => (refuse.includes(name) ? { ok: false as const, error: `${name}: Operation not permitted` } : { ok: true as const });
  const sys: PrioritySys = {
    limits: () => HOST,
    schedSet: (rt, p, rof) => (calls.push(`sched ${rt ? 'RR' : 'OTHER'} ${p}${rof ? ' reset-on-fork' : ''}`), res('sched')),
    setRtTime: (s, h) => (calls.push(`rttime ${s}/${h}`), res('rttime')),
    lockMemory: (l) => (calls.push(l ? 'lock' : 'unlock'), res('mlock')),
    setAffinity: (c) => (calls.push(`affinity ${c.join(',')}`), res('affinity')),
    getNice: () => 0,
    setNice: (n) => (calls.push(`nice ${n}`), refuse.includes('nice') ? { ok: false, error: 'Permission denied' } : { ok: true }),
    onSigxcpu: () => calls.push('sigxcpu handler'),
    now: () => now,
    every: (_ms, fn) => ((tick = fn), () => (tick = undefined)),
  };
  return { sys, calls, advance: (ms: number) => ((now += ms), tick?.()) };
}

const settingsOf = (body: string, kind: ChildKind = 'vrrp') => read(body, kind).settings;

describe('applying them', () => {
  it('SCHED_RR with reset-on-fork and RLIMIT_RTTIME (soft half), not the nice value; lock; affinity', () => {
    const f = fakeSys();
    const logs: string[] = [];
    new ProcessPriority('vrrp', (_l, m) => logs.push(m), f.sys).set(settingsOf('vrrp_rt_priority 30\nvrrp_priority -10\nvrrp_no_swap\nvrrp_cpu_affinity 1'));
    expect(f.calls).toEqual(['sched RR 30 reset-on-fork', 'sigxcpu handler', 'rttime 100000/200000', 'lock', 'affinity 1']);
    expect(logs).toEqual(['vrrp_rlimit_rttime 10000 raised to 200000 usecs: a Node.js child\'s CPU bursts are longer than keepalived\'s (the kernel SIGKILLs it past the limit)']);
  });

  it('nice only without a real-time priority', () => {
    const f = fakeSys();
    const p = new ProcessPriority('checker', () => {}, f.sys);
    p.set(settingsOf('checker_priority 19', 'checker'));
    expect(f.calls).toEqual(['nice 19']);
    expect(p.state.nice).toBe(19);
  });

  it('a refusal is logged in keepalived words and the rest goes on', () => {
    const f = fakeSys(['sched', 'mlock', 'affinity']);
    const logs: string[] = [];
    new ProcessPriority('bfd', (l, m) => logs.push(`${l}: ${m}`), f.sys).set(settingsOf('bfd_rt_priority 5\nbfd_no_swap\nbfd_cpu_affinity 0', 'bfd'));
    expect(logs).toEqual([
      'warning: child process: cannot raise priority',
      'info: Unable to lock process in memory - Operation not permitted',
      'warning: unable to set cpu affinity to bfd process (Operation not permitted)',
    ]);
    const g = fakeSys(['nice']);
    const l2: string[] = [];
    new ProcessPriority('vrrp', (_l, m) => l2.push(m), g.sys).set(settingsOf('vrrp_priority -20'));
    expect(l2).toEqual(['Unable to set process priority to -20 - Permission denied']);
  });

  it('reset (at reload) goes back to standard scheduling (RLIMIT_RTTIME kept), the original nice, unlocked', () => {
    const f = fakeSys();
    const p = new ProcessPriority('vrrp', () => {}, f.sys);
    p.set(settingsOf('vrrp_rt_priority 30\nvrrp_no_swap'));
    f.calls.length = 0;
    p.reset();
    expect(f.calls).toEqual(['sched OTHER 0', 'unlock']);
    expect(p.state.rlimitRtTime).toBe(0);
    const n = fakeSys();
    const q = new ProcessPriority('vrrp', () => {}, n.sys);
    q.set(settingsOf('vrrp_priority 5'));
    q.reset();
    expect(n.calls).toEqual(['nice 5', 'nice 0']);
    q.reset();
    expect(n.calls).toEqual(['nice 5', 'nice 0']);
  });

  it('a refused reload (apply(null)) applies the last settings again', () => {
    const f = fakeSys();
    const p = new ProcessPriority('vrrp', () => {}, f.sys);
    p.apply(loadConfigText('global_defs {\nvrrp_priority 7\n}\n', 't.conf').model);
    p.reset();
    p.apply(null);
    expect(f.calls).toEqual(['nice 7', 'nice 0', 'nice 7']);
  });
});

describe('max_auto_priority', () => {
  it('a timer late by more than min_auto_priority_delay is logged; SCHED_RR rises one step per lateness up to the max', () => {
    const f = fakeSys();
    const logs: string[] = [];
    const p = new ProcessPriority('vrrp', (_l, m) => logs.push(m), f.sys);
    p.set(settingsOf('max_auto_priority 2\nmin_auto_priority_delay 100000'));
    // probe every 50 ms: a tick 50 ms late is not over 100 ms
    f.advance(100);
    expect(logs).toEqual([]);
    f.advance(50 + 150);
    f.advance(50 + 300);
    f.advance(50 + 300);
    expect(logs.filter((l) => !l.includes('raised to'))).toEqual([
      'A thread timer expired 0.150000 seconds ago', 'Set realtime priority 1',
      'A thread timer expired 0.300000 seconds ago', 'Set realtime priority 2',
      'A thread timer expired 0.300000 seconds ago',
    ]);
    expect(f.calls).toEqual(['sched RR 1 reset-on-fork', 'sigxcpu handler', 'rttime 100000/200000', 'sched RR 2 reset-on-fork']);
    expect(p.state.rtPriority).toBe(2);
    p.stop();
  });

  it('without max_auto_priority the lateness is logged only (as 2.2.7)', () => {
    const f = fakeSys();
    const logs: string[] = [];
    new ProcessPriority('checker', (_l, m) => logs.push(m), f.sys).set(settingsOf('', 'checker'));
    f.advance(500 + 2_500_000);
    expect(logs).toEqual(['A thread timer expired 2500.000000 seconds ago']);
    expect(f.calls).toEqual([]);
  });
});
