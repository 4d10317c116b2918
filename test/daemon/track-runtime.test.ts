// Trackers in the VRRP runtime on fakes (fake clock, LAN, rtnetlink, script runner, files, /proc):
// weights move the VIP, weight 0 faults, status/events show tracks, reload keeps unchanged
// trackers, stop ends script runs. One test runs a real script to a timeout on the fake clock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import type { DaemonEvent } from '../../src/control/protocol.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpRuntime, type RuntimeDeps } from '../../src/daemon/runtime.js';
import type { ScriptExit, ScriptRun } from '../../src/daemon/script-run.js';
import type { ProcInfo } from '../../src/daemon/track-process.js';
import { addVethPairs, createNetns, deleteNetns, isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest } from '../helpers/oracle.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

/** Every config the tests run, for keepalived -t at the end. */
const usedConfigs = new Set<string>();

const S = 1_000_000;

/** Scripts whose exit the test sets; `hang` runs until killed. */
class FakeRunner {
  exits = new Map<string, number | 'hang'>();
  runs: string[][] = [];
  killed = 0;
  run = (argv: readonly string[]): ScriptRun => {
    this.runs.push([...argv]);
    const e = this.exits.get(argv[argv.length - 1]) ?? 0;
    let kill = () => {};
    const done = new Promise<ScriptExit>((resolve) => {
      if (e === 'hang') kill = () => (this.killed++, resolve({ kind: 'signal', signal: 'SIGTERM', timedOut: true }));
      else resolve({ kind: 'exit', code: e });
    });
    return { pid: 1, done, kill: () => kill() };
  };
}

interface Host {
  rt: VrrpRuntime;
  log: ReturnType<typeof memLogger>;
  events: DaemonEvent[];
  rtnl: FakeRtnl;
}

function conf(prio: number, tracks: string, defs: string): string {
  return `global_defs {
  script_user root
  enable_script_security
}
${defs}
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  ${tracks}
  virtual_ipaddress { 192.0.2.100/24 }
}`;
}

interface World {
  lan: FakeLan;
  clock: FakeClock;
  runner: FakeRunner;
  files: Map<string, string>;
  fileWatch: ((name: string | null) => void)[];
  procs: ProcInfo[];
}

function world(): World {
  return { lan: new FakeLan(), clock: new FakeClock(), runner: new FakeRunner(), files: new Map(), fileWatch: [], procs: [] };
}

function host(w: World, name: string, text: string, addr: string, real = false): Host {
  usedConfigs.add(text);
  const { model } = loadConfigText(text, `${name}.conf`);
  const plan = buildVrrpPlan(model);
  const rtnl = new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr }]);
  const log = memLogger(true);
  const events: DaemonEvent[] = [];
  const tracking: RuntimeDeps['tracking'] = real ? {} : {
    runScript: w.runner.run,
    checkScript: (argv) => ({ runnable: !argv[0].includes('missing'), argv: [...argv], insecure: false, messages: [] }),
    scriptUser: () => ({ ok: true, value: { uid: 0, gid: 0 } }),
    file: {
      read: (f) => w.files.get(f) ?? null,
      write: (f, t) => (w.files.set(f, t), null),
      watch: (_dir, cb) => (w.fileWatch.push(cb), { close: () => void w.fileWatch.splice(w.fileWatch.indexOf(cb), 1) }),
    },
    listProcs: () => w.procs,
  };
  const rt = new VrrpRuntime(plan, {
    openVrrpSocket: w.lan.opener(name), announcer: new FakeAnnouncer(w.clock), rtnl, clock: w.clock, log,
    onEvent: (e) => void events.push(e), tracking,
  });
  return { rt, log, events, rtnl };
}

const settle = (...hs: Host[]) => async () => {
  for (let i = 0; i < 3; i++) await Promise.all(hs.map((h) => h.rt.idle()));
};
const st = (h: Host) => h.rt.statusOf('VI_1')!;

async function pair(w: World, tracksA: string, defs: string): Promise<[Host, Host]> {
  const a = host(w, 'a', conf(150, tracksA, defs), '192.0.2.1');
  const b = host(w, 'b', conf(100, '', ''), '192.0.2.2');
  expect(await a.rt.start()).toEqual({ ok: true });
  expect(await b.rt.start()).toEqual({ ok: true });
  await w.clock.advance(5 * S, settle(a, b));
  return [a, b];
}

describe('tracking in the runtime (fakes)', () => {
  it('a weighted vrrp_script moves the VIP after fall failures and back after rise successes', async () => {
    const w = world();
    const defs = 'vrrp_script chk { \n script "/bin/echo flag"\n interval 2\n weight -60\n rise 2\n fall 2\n}';
    const [a, b] = await pair(w, 'track_script { chk }', defs);
    expect(st(a).state).toBe('MASTER');
    expect(st(a).tracks).toContainEqual({ name: 'chk', kind: 'script', weight: -60, status: true });
    expect(w.runner.runs[0]).toEqual(['/bin/echo', 'flag']);
    w.runner.exits.set('flag', 1);
    await w.clock.advance(2 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(150); // one failure of fall 2
    await w.clock.advance(2 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(90);
    expect(a.log.lines).toContain('info: VRRP_Script(chk) failed (exited with status 1)');
    await w.clock.advance(4 * S, settle(a, b));
    expect(st(b).state).toBe('MASTER');
    expect(st(a).state).toBe('BACKUP');
    expect(b.rtnl.has('veth0', '192.0.2.100')).toBe(true);
    expect(a.events).toContainEqual({ type: 'track', instance: 'VI_1', track: { name: 'chk', kind: 'script', weight: -60, status: false } });
    w.runner.exits.set('flag', 0);
    await w.clock.advance(8 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(150);
    expect(st(a).state).toBe('MASTER');
    await a.rt.stop();
    await b.rt.stop();
  });

  it('weight 0: a failing script puts the instance in FAULT; a disabled script is not tracked', async () => {
    const w = world();
    const defs = 'vrrp_script chk { \n script "/bin/echo z"\n}\nvrrp_script gone { \n script /missing/x\n}';
    const [a, b] = await pair(w, 'track_script { chk\n gone }', defs);
    expect(st(a).state).toBe('MASTER');
    expect(st(a).tracks.map((t) => t.name)).not.toContain('gone');
    expect(a.log.lines.some((l) => l.includes('Disabling track script gone since not found/accessible'))).toBe(true);
    w.runner.exits.set('z', 2);
    await w.clock.advance(1 * S, settle(a, b));
    expect(st(a).state).toBe('FAULT');
    await w.clock.advance(4 * S, settle(a, b));
    expect(st(b).state).toBe('MASTER');
    await a.rt.stop();
    await b.rt.stop();
  });

  it('track_file: the value times the weight moves the priority; weight 0 and a non-zero value is FAULT', async () => {
    const w = world();
    w.files.set('/t/f1', '0\n');
    const defs = 'track_file f1 {\n file /t/f1\n weight -10\n}\ntrack_file f2 {\n file /t/f2\n weight 0\n init_file 0\n}';
    const [a, b] = await pair(w, 'track_file { f1\n f2 }', defs);
    expect(w.files.get('/t/f2')).toBe('0\n'); // init_file created it
    expect(st(a).tracks).toContainEqual({ name: 'f1', kind: 'file', weight: -10, status: 0 });
    w.files.set('/t/f1', '3\n');
    for (const cb of w.fileWatch) cb('f1');
    await w.clock.advance(4 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(120);
    w.files.set('/t/f1', '0x6');
    for (const cb of w.fileWatch) cb('f1');
    await w.clock.advance(4 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(90);
    expect(st(b).state).toBe('MASTER');
    w.files.set('/t/f1', '0');
    for (const cb of w.fileWatch) cb('f1');
    await w.clock.advance(4 * S, settle(a, b));
    expect(st(a).state).toBe('MASTER');
    w.files.set('/t/f2', '1');
    for (const cb of w.fileWatch) cb('f2');
    await w.clock.advance(1 * S, settle(a, b));
    expect(st(a).state).toBe('FAULT');
    await a.rt.stop();
    await b.rt.stop();
  });

  it('track_process: quorum lost and gained move the VIP (scan every second)', async () => {
    const w = world();
    w.procs = [{ pid: 5, comm: 'sleep', cmdline: ['sleep', '999'] }];
    const defs = 'vrrp_track_process tp {\n process sleep 999\n weight 60\n}';
    const a = host(w, 'a', conf(80, 'track_process { tp }', defs), '192.0.2.1');
    const b = host(w, 'b', conf(100, '', ''), '192.0.2.2');
    await a.rt.start();
    await b.rt.start();
    await w.clock.advance(5 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(140);
    expect(st(a).state).toBe('MASTER');
    w.procs = [];
    await w.clock.advance(5 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(80);
    expect(st(b).state).toBe('MASTER');
    expect(st(a).tracks).toContainEqual({ name: 'tp', kind: 'process', weight: 60, status: false });
    w.procs = [{ pid: 6, comm: 'sleep', cmdline: ['sleep', '999'] }];
    await w.clock.advance(5 * S, settle(a, b));
    expect(st(a).state).toBe('MASTER');
    await a.rt.stop();
    await b.rt.stop();
  });

  it('a sync group track_script applies to every member: its failure puts the whole group in FAULT', async () => {
    // No init_fail: both members wait in FAULT for the script's first result, then the group
    // comes up as one (the last member's track event brings the other along).
    const w = world();
    const text = `global_defs {
  script_user root
  enable_script_security
}
vrrp_script grp {
  script "/bin/echo g"
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  track_script {
    grp
  }
}
vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress { 192.0.2.100/24 }
}
vrrp_instance VI_2 {
  interface veth0
  virtual_router_id 52
  priority 150
  advert_int 1
  virtual_ipaddress { 192.0.2.101/24 }
}`;
    const a = host(w, 'a', text, '192.0.2.1');
    expect(await a.rt.start()).toEqual({ ok: true });
    await w.clock.advance(5 * S, settle(a));
    const state = (n: string) => a.rt.statusOf(n)?.state;
    expect([state('VI_1'), state('VI_2')]).toEqual(['MASTER', 'MASTER']);
    expect(a.rt.statusOf('VI_2')?.tracks).toContainEqual({ name: 'grp', kind: 'script', weight: 0, status: true });
    w.runner.exits.set('g', 1);
    await w.clock.advance(1 * S, settle(a));
    expect([state('VI_1'), state('VI_2')]).toEqual(['FAULT', 'FAULT']);
    expect(a.rtnl.has('veth0', '192.0.2.100') || a.rtnl.has('veth0', '192.0.2.101')).toBe(false);
    w.runner.exits.set('g', 0);
    await w.clock.advance(6 * S, settle(a));
    expect([state('VI_1'), state('VI_2')]).toEqual(['MASTER', 'MASTER']);
    await a.rt.stop();
  });

  it('track_bfd follows the BFD child: Down at start (weight 0: FAULT), Up lets it run; bfd_instance weight is the default', async () => {
    const w = world();
    const defs = 'bfd_instance b1 {\n neighbor_ip 192.0.2.9\n}\nbfd_instance b2 {\n neighbor_ip 192.0.2.10\n weight -60\n}';
    const [a, b] = await pair(w, 'track_bfd { b1\n b2 }', defs);
    expect(st(a).state).toBe('FAULT');
    expect(st(a).tracks).toEqual(expect.arrayContaining([
      { name: 'b1', kind: 'bfd', weight: 0, status: false },
      { name: 'b2', kind: 'bfd', weight: -60, status: false },
    ]));
    a.rt.trackers.setBfd('b1', true);
    await w.clock.advance(5 * S, settle(a, b));
    // Up on b1 leaves FAULT; b2 still Down costs 60 (150 - 60 < 100: the peer stays MASTER).
    expect(st(a).state).toBe('BACKUP');
    expect(st(a).priority.effective).toBe(90);
    a.rt.trackers.setBfd('b2', true);
    await w.clock.advance(5 * S, settle(a, b));
    expect(st(a)).toMatchObject({ state: 'MASTER', priority: { effective: 150 } });
    a.rt.trackers.setBfd('b1', false);
    await w.clock.advance(1 * S, settle(a, b));
    expect(st(a).state).toBe('FAULT');
    // A session nobody tracks changes nothing.
    a.rt.trackers.setBfd('other', true);
    expect(a.log.lines.some((l) => l.includes('not supported'))).toBe(false);
    await a.rt.stop();
    await b.rt.stop();
  });

  it('reload: an unchanged script keeps its counters, a removed one stops, a new one starts', async () => {
    const w = world();
    const defs = 'vrrp_script s1 {\n script "/bin/echo one"\n interval 1\n weight -60\n rise 1\n fall 3\n}\nvrrp_script s2 {\n script "/bin/echo two"\n interval 1\n}';
    const [a, b] = await pair(w, 'track_script { s1\n s2 }', defs);
    w.runner.exits.set('one', 1);
    await w.clock.advance(2 * S, settle(a, b)); // two failures of fall 3
    expect(st(a).priority.effective).toBe(150);
    const defs2 = defs.replace(/vrrp_script s2[^}]*}/, 'vrrp_script s3 {\n script "/bin/echo three"\n interval 1\n}');
    const plan = buildVrrpPlan(loadConfigText((usedConfigs.add(conf(150, 'track_script { s1\n s3 }', defs2)), conf(150, 'track_script { s1\n s3 }', defs2)), 'a2.conf').model);
    const before = w.runner.runs.length;
    expect(await a.rt.reload(plan)).toEqual({ ok: true });
    // s1 was not restarted: its third failure comes at its next interval and counts.
    await w.clock.advance(1 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(90);
    const after = w.runner.runs.slice(before).map((r) => r[1]);
    expect(after).toContain('three');
    expect(after).not.toContain('two');
    expect(st(a).tracks.filter((t) => t.kind === 'script').map((t) => t.name)).toEqual(['s1', 's3']);
    await a.rt.stop();
    await b.rt.stop();
  });

  it('reload: a script whose rise/fall changed keeps its position (keepalived mapping), not a new init', async () => {
    const w = world();
    const defs = (rise: number, fall: number) => `vrrp_script s1 {\n script "/bin/echo one"\n interval 1\n weight -60\n rise ${rise}\n fall ${fall}\n}`;
    const [a, b] = await pair(w, 'track_script { s1 }', defs(1, 3));
    w.runner.exits.set('one', 1);
    await w.clock.advance(1 * S, settle(a, b)); // result 3 -> 2: still good
    const plan = buildVrrpPlan(loadConfigText((usedConfigs.add(conf(150, 'track_script { s1 }', defs(1, 2))), conf(150, 'track_script { s1 }', defs(1, 2))), 'a2.conf').model);
    expect(await a.rt.reload(plan)).toEqual({ ok: true });
    // Carried: result 2 of 0..2 (one failure seen), then the restarted script's immediate run (as
    // keepalived runs a script at once after a reload) fails: 1, still good; a fresh init would be bad now.
    await a.rt.idle();
    expect(a.rt.trackers.scripts.get('s1')!.counter).toEqual({ result: 1, init: 'done' });
    expect(st(a).tracks.find((t) => t.name === 's1')?.status).toBe(true);
    expect(st(a).priority.effective).toBe(150);
    await w.clock.advance(1 * S, settle(a, b));
    expect(st(a).priority.effective).toBe(90);
    await a.rt.stop();
    await b.rt.stop();
  });

  it('a reload the state machine refuses leaves the running trackers as they were', async () => {
    const w = world();
    const defs = 'vrrp_script s1 {\n script "/bin/echo one"\n interval 1\n weight -60\n rise 1\n fall 3\n}';
    const [a, b] = await pair(w, 'track_script { s1 }', defs);
    const before = a.rt.trackers.scripts.get('s1')!;
    const bad = conf(150, 'track_script { s1\n s9 }', `${defs.replace('rise 1', 'rise 2')}\nvrrp_script s9 {\n script "/bin/echo nine"\n}`)
      + '\nvrrp_instance VI_DUP {\n  interface veth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress { 192.0.2.200/24 }\n}';
    const r = await a.rt.reload(buildVrrpPlan(loadConfigText(bad, 'bad.conf').model));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/VI_DUP|virtual_router_id|VRID/i);
    const now = a.rt.trackers.scripts.get('s1')!;
    expect(now.def.rise).toBe(1);
    expect(now.counter).toEqual(before.counter);
    expect(a.rt.trackers.scripts.has('s9')).toBe(false);
    const n = w.runner.runs.length;
    await w.clock.advance(2 * S, settle(a, b));
    expect(w.runner.runs.slice(n).map((x) => x[1])).toEqual(['one', 'one']);
    await a.rt.stop();
    await b.rt.stop();
  });

  it('stop kills a script run in progress and stops the schedule', async () => {
    const w = world();
    w.runner.exits.set('h', 'hang');
    const defs = 'vrrp_script hang {\n script "/bin/echo h"\n interval 1\n timeout 100\n weight 10\n}';
    const [a, b] = await pair(w, 'track_script { hang }', defs);
    expect(a.log.lines.some((l) => l.includes('Track script hang is already running'))).toBe(true);
    const n = w.runner.runs.length;
    await a.rt.stop();
    expect(w.runner.killed).toBe(1);
    await w.clock.advance(5 * S, settle(b));
    expect(w.runner.runs.length).toBe(n);
    await b.rt.stop();
  });

  it.runIf(process.getuid?.() === 0)('a real script that outlives its timeout is killed and counts as a failure', async () => {
    const w = world();
    const defs = 'vrrp_script slow {\n script "/bin/sleep 30"\n interval 10\n timeout 1\n weight -60\n}';
    const a = host(w, 'a', conf(150, 'track_script { slow }', defs), '192.0.2.1', true);
    expect(await a.rt.start()).toEqual({ ok: true });
    expect(st(a).tracks).toContainEqual({ name: 'slow', kind: 'script', weight: -60, status: 'init' });
    await w.clock.advance(1 * S, settle(a)); // the timeout: SIGTERM to the group
    for (let k = 0; k < 200 && st(a).tracks[1]?.status !== false; k++) await new Promise((r) => setTimeout(r, 20));
    expect(st(a).tracks).toContainEqual({ name: 'slow', kind: 'script', weight: -60, status: false });
    expect(a.log.lines).toContain('info: VRRP_Script(slow) timed_out');
    expect(st(a).priority.effective).toBe(90);
    await a.rt.stop();
  });

  it.runIf(isRoot() && haveKeepalived())('keepalived -t accepts every config these tests ran', () => {
    expect(usedConfigs.size).toBeGreaterThan(8);
    const ns = createNetns('trk');
    const dir = mkdtempSync(join(tmpdir(), 'ka-trk-'));
    try {
      addVethPairs(ns, ['veth0']);
      let k = 0;
      for (const text of usedConfigs) {
        const f = join(dir, `c${k++}.conf`);
        writeFileSync(f, text);
        const r = keepalivedTest(ns, f);
        // The one config with a missing script: keepalived disables it as we do, and says nothing else.
        if (text.includes('/missing/')) expect(r.raw.trim()).toBe('Disabling track script gone since not found/accessible');
        else expect(r.rc, `${text}\n---\n${r.raw}`).toBe(0);
      }
    } finally {
      deleteNetns(ns);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
