// Pure cores of tracking: the vrrp_script rise/fall counter, track_file values, process matching
// and quorum with delays (fake clock), and the track plan read from a config.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import type { ProcessDef } from '../../src/daemon/instance-tracks.js';
import { parseTrackFileValue } from '../../src/daemon/track-file.js';
import { countMatches, processMatches, ProcessTracker, scanProc, scanProcSliced } from '../../src/daemon/track-process.js';
import { carryCounter, counterStatus, initialCounter, scriptStep, type ScriptCounter } from '../../src/daemon/track-script.js';
import { addVethPairs, createNetns, deleteNetns, isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest } from '../helpers/oracle.js';
import { FakeClock, memLogger } from './fakes.js';

function run(def: { rise: number; fall: number; initFail?: boolean }, results: boolean[]) {
  let c: ScriptCounter = initialCounter({ rise: def.rise, initFail: !!def.initFail });
  const statuses: unknown[] = [];
  const reports: (boolean | undefined)[] = [];
  for (const r of results) {
    const s = scriptStep(c, def, r);
    c = s.counter;
    reports.push(s.report);
    statuses.push(counterStatus(c, def));
  }
  return { statuses, reports, counter: c };
}

describe('vrrp_script rise/fall (keepalived counting)', () => {
  it('starts in init; one success is enough, one failure reports failed', () => {
    expect(counterStatus(initialCounter({ rise: 3, initFail: false }), { rise: 3 })).toBe('init');
    expect(run({ rise: 3, fall: 2 }, [true]).statuses).toEqual([true]);
    expect(run({ rise: 3, fall: 2 }, [false]).statuses).toEqual([false]);
    expect(run({ rise: 3, fall: 2 }, [false]).reports).toEqual([false]);
  });
  it('needs fall failures to go bad and rise successes to come back', () => {
    const r = run({ rise: 3, fall: 2 }, [true, false, false, true, true, true, false]);
    expect(r.statuses).toEqual([true, true, false, false, false, true, true]);
    expect(r.reports).toEqual([true, undefined, false, undefined, undefined, true, undefined]);
  });
  it('init_fail starts bad and needs rise successes', () => {
    expect(counterStatus(initialCounter({ rise: 2, initFail: true }), { rise: 2 })).toBe(false);
    expect(run({ rise: 2, fall: 1, initFail: true }, [true, true]).statuses).toEqual([false, true]);
  });
  it('never leaves 0..rise+fall-1 and reports only real changes (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { maxLength: 40 }), (rise, fall, rs) => {
      let c = initialCounter({ rise, initFail: false });
      let prev = counterStatus(c, { rise });
      for (const x of rs) {
        const s = scriptStep(c, { rise, fall }, x);
        c = s.counter;
        const now = counterStatus(c, { rise });
        expect(c.result).toBeGreaterThanOrEqual(0);
        expect(c.result).toBeLessThanOrEqual(rise + fall - 1);
        if (prev !== 'init' && now !== prev) expect(s.report).toBe(now);
        prev = now;
      }
    }));
  });
  it('a reload with new rise/fall keeps the position as keepalived maps it', () => {
    expect(carryCounter({ result: 4, init: 'done' }, { rise: 3, fall: 2 }, { rise: 2, fall: 2, initFail: false })).toEqual({ result: 3, init: 'done' });
    expect(carryCounter({ result: 3, init: 'done' }, { rise: 3, fall: 2 }, { rise: 2, fall: 5, initFail: false })).toEqual({ result: 2, init: 'done' });
    expect(carryCounter({ result: 1, init: 'done' }, { rise: 3, fall: 2 }, { rise: 5, fall: 1, initFail: false })).toEqual({ result: 3, init: 'done' });
    expect(carryCounter({ result: 0, init: 'done' }, { rise: 3, fall: 2 }, { rise: 5, fall: 1, initFail: false })).toEqual({ result: 0, init: 'done' });
    expect(carryCounter({ result: 2, init: 'init' }, { rise: 3, fall: 2 }, { rise: 1, fall: 1, initFail: false })).toEqual({ result: 0, init: 'init' });
  });
});

describe('track_file value (strtol base 0)', () => {
  it('reads decimal, hex, octal, signs and stops at junk', () => {
    expect(parseTrackFileValue('42\n')).toBe(42);
    expect(parseTrackFileValue('  -7 tail')).toBe(-7);
    expect(parseTrackFileValue('0x1F')).toBe(31);
    expect(parseTrackFileValue('010')).toBe(8);
    expect(parseTrackFileValue('abc')).toBe(0);
    expect(parseTrackFileValue('0xg')).toBe(0);
    expect(parseTrackFileValue('+5')).toBe(5);
  });
  it('ignores numbers outside 32 bits', () => {
    expect(parseTrackFileValue('2147483648')).toBe(2147483648);
    expect(parseTrackFileValue('2147483649')).toBeNull();
    expect(parseTrackFileValue('-2147483649')).toBeNull();
    expect(parseTrackFileValue('99999999999999999999999')).toBeNull();
  });
});

const pdef = (p: Partial<ProcessDef>): ProcessDef => ({
  name: 'p', process: 'sleep', params: [], paramMatch: 'none', fullCommand: false, quorum: 1, quorumMax: Number.MAX_SAFE_INTEGER,
  forkDelayMs: 0, terminateDelayMs: 0, weight: 0, reverse: false, ...p,
});

describe('process matching', () => {
  const sleep = { pid: 10, comm: 'sleep', cmdline: ['/bin/sleep', '300', 'x'] };
  it('matches comm by default and the first word with full_command', () => {
    expect(processMatches(pdef({}), sleep)).toBe(true);
    expect(processMatches(pdef({ process: '/bin/sleep' }), sleep)).toBe(false);
    expect(processMatches(pdef({ process: '/bin/sleep', fullCommand: true }), sleep)).toBe(true);
    expect(processMatches(pdef({ process: 'sleep', fullCommand: true }), sleep)).toBe(false);
  });
  it('param_match exact, partial and initial as keepalived', () => {
    const d = (m: ProcessDef['paramMatch'], params: string[]) => pdef({ process: '/bin/sleep', fullCommand: true, paramMatch: m, params });
    expect(processMatches(d('exact', ['300', 'x']), sleep)).toBe(true);
    expect(processMatches(d('exact', ['300']), sleep)).toBe(false);
    expect(processMatches(d('exact', []), sleep)).toBe(false);
    expect(processMatches(d('exact', []), { ...sleep, cmdline: ['/bin/sleep'] })).toBe(true);
    expect(processMatches(d('partial', ['300']), sleep)).toBe(true);
    expect(processMatches(d('partial', ['30']), sleep)).toBe(false);
    expect(processMatches(d('initial', ['30']), sleep)).toBe(true);
    expect(processMatches(d('initial', ['300', 'y']), sleep)).toBe(false);
  });
  it('counts matches per tracker', () => {
    expect(countMatches([pdef({}), pdef({ process: 'nginx' })], [sleep, { ...sleep, pid: 11 }, { pid: 12, comm: 'nginx' }])).toEqual([2, 1]);
  });
});

describe('/proc scan', () => {
  it('finds a running process by comm and by command line, sliced or not, and not once it has exited', async () => {
    const arg = `${7000 + (process.pid % 1000)}.5`;
    const child = spawn('/bin/sleep', [arg], { stdio: 'ignore' });
    try {
      const want = (p: { pid: number }) => p.pid === child.pid;
      const plain = scanProc(false).find(want);
      expect(plain).toEqual({ pid: child.pid, comm: 'sleep' });
      const full = (await scanProcSliced(true, 7)).find(want);
      expect(full?.cmdline).toEqual(['/bin/sleep', arg]);
      const def = pdef({ process: '/bin/sleep', params: [arg], paramMatch: 'exact', fullCommand: true });
      expect(countMatches([def], await scanProcSliced(true))).toEqual([1]);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const def = pdef({ process: '/bin/sleep', params: [arg], paramMatch: 'exact', fullCommand: true });
    expect(countMatches([def], scanProc(true))).toEqual([0]);
  });
});

describe('process quorum and delays (fake clock)', () => {
  function tracker(p: Partial<ProcessDef>) {
    const clock = new FakeClock();
    const changes: boolean[] = [];
    const t = new ProcessTracker(pdef(p), { clock, log: memLogger() }, (up) => void changes.push(up));
    return { clock, changes, t };
  }
  it('quorum..quorum_max without delays', () => {
    const { t, changes } = tracker({ quorum: 2, quorumMax: 3 });
    t.init(0);
    expect(t.up).toBe(false);
    t.update(1);
    t.update(2);
    t.update(3);
    t.update(4);
    t.update(2);
    t.update(1);
    expect(changes).toEqual([true, false, true, false]);
  });
  it('fork_delay holds a gain, terminate_delay a loss; the opposite change cancels', async () => {
    const { t, changes, clock } = tracker({ forkDelayMs: 2000, terminateDelayMs: 3000 });
    t.init(0);
    t.update(1);
    await clock.advance(1_999_000);
    expect(changes).toEqual([]);
    await clock.advance(1000);
    expect(changes).toEqual([true]);
    t.update(0);
    await clock.advance(1_000_000);
    t.update(1); // back before terminate_delay: no change at all
    await clock.advance(5_000_000);
    expect(changes).toEqual([true]);
    t.update(0);
    await clock.advance(3_000_000);
    expect(changes).toEqual([true, false]);
  });
});

describe('track plan from a config', () => {
  const text = `
global_defs {
  script_user root
  enable_script_security
}
vrrp_script chk_a {
  script "/bin/test -f '/tmp/a b'"
  interval 2
  weight -20
  rise 2
  fall 3
}
vrrp_script chk_b {
  script /bin/true
  timeout 5
  init_fail
  user root
}
track_file tf {
  file /tmp/tf
  weight 10 reverse
  init_file 5 overwrite
}
vrrp_track_process tp {
  process /bin/sleep 300
  param_match partial
  quorum 2
  quorum_max 4
  delay 1.5
  fork_delay 0.5
  weight 7
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  track_script {
    chk_a
    chk_b weight 30 reverse
  }
  track_file {
    tf weight 3 noreverse
  }
  track_process {
    tp
  }
  virtual_ipaddress { 192.0.2.10 }
}
vrrp_sync_group G {
  group { VI_2 }
  track_script { chk_a weight 5 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  track_script { chk_b weight 10 }
  track_file { tf }
  virtual_ipaddress { 192.0.2.11 }
}
vrrp_instance VI_3 {
  interface eth0
  virtual_router_id 3
  priority 255
  track_script { chk_a }
  virtual_ipaddress { 192.0.2.12 }
}`;
  const plan = buildVrrpPlan(loadConfigText(text, 'plan.conf').model);
  it('reads the definitions', () => {
    const t = plan.trackers!;
    expect(t.scriptUser).toEqual(['root']);
    expect(t.scriptSecurity).toBe(true);
    expect(t.scripts).toEqual([
      { name: 'chk_a', argv: ['/bin/test', '-f', '/tmp/a b'], intervalMs: 2000, timeoutMs: 2000, weight: -20, reverse: false, rise: 2, fall: 3, initFail: false },
      { name: 'chk_b', argv: ['/bin/true'], intervalMs: 1000, timeoutMs: 5000, weight: 0, reverse: false, rise: 1, fall: 1, initFail: true, user: ['root'] },
    ]);
    expect(t.files).toEqual([{ name: 'tf', path: '/tmp/tf', weight: 10, reverse: true, init: { value: 5, overwrite: true } }]);
    expect(t.processes).toEqual([{
      name: 'tp', process: '/bin/sleep', params: ['300'], paramMatch: 'partial', fullCommand: true, quorum: 2, quorumMax: 4,
      forkDelayMs: 500, terminateDelayMs: 1500, weight: 7, reverse: false,
    }]);
  });
  it('applies per-reference weights, sync group and owner rules', () => {
    const vi = (n: string) => plan.instances.find((i) => i.name === n)!;
    expect(vi('VI_1').trackRefs).toEqual([
      { kind: 'script', name: 'chk_a', weight: -20, reverse: false },
      { kind: 'script', name: 'chk_b', weight: 30, reverse: true },
      { kind: 'file', name: 'tf', weight: 3, reverse: false },
      { kind: 'process', name: 'tp', weight: 7, reverse: false },
    ]);
    // VI_2 is in a sync group without sync_group_tracking_weight: its own weighted script goes,
    // its track_file at the default weight 1... here 10 from the definition: dropped too; the group's track applies.
    expect(vi('VI_2').trackRefs).toEqual([{ kind: 'script', name: 'chk_a', weight: 5, reverse: false }]);
    expect(vi('VI_3').trackRefs).toEqual([]);
    expect(plan.issues.map((i) => i.message)).toContain('ignoring tracked script chk_a with weights due to address_owner');
    expect(vi('VI_1').fsm.tracks).toContainEqual({ name: 'script:chk_b', kind: 'script', weight: 30, reverse: true });
  });
  it.runIf(isRoot() && haveKeepalived())('keepalived -t drops the same weighted tracks and accepts the rest', () => {
    const ns = createNetns('trc');
    const dir = mkdtempSync(join(tmpdir(), 'ka-trc-'));
    try {
      addVethPairs(ns, ['eth0']);
      const f = join(dir, 'plan.conf');
      writeFileSync(f, text);
      const r = keepalivedTest(ns, f);
      const theirs = r.lines.map((l) => l.message).filter((m) => m.includes('ignoring'));
      const ours = plan.issues.filter((i) => i.message.startsWith('ignoring')).map((i) => `(${i.where.split('.')[0]}) ${i.message}`);
      expect(theirs.sort()).toEqual(ours.sort());
      // Nothing else but the one-member sync group remark.
      expect(r.lines.map((l) => l.message).filter((m) => !m.includes('ignoring'))).toEqual(['Sync group G has only 1 virtual router(s) - this probably isn\'t what you want']);
    } finally {
      deleteNetns(ns);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
