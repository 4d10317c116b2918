// A reload that leaves an instance unchanged but disables one of its scripts (missing or insecure
// on disk now): keepalived rebuilds the instance without that track (check_vrrp_script_security
// frees it), so its FAULT or weight goes; enabled again at a later reload, the track comes back.
// Runtime on fakes (fake clock, LAN, rtnetlink, script runner; the script check reads a set).
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpRuntime } from '../../src/daemon/runtime.js';
import type { ScriptExit, ScriptRun } from '../../src/daemon/script-run.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

const S = 1_000_000;

class World {
  lan = new FakeLan();
  clock = new FakeClock();
  exits = new Map<string, number>();
  runs: string[] = [];
  /** Script paths the security check finds missing; `insecure` ones are refused as insecure. */
  missing = new Set<string>();
  insecure = new Set<string>();
  run = (argv: readonly string[]): ScriptRun => {
    this.runs.push(argv[argv.length - 1]);
    const code = this.exits.get(argv[argv.length - 1]) ?? 0;
    return { pid: 1, done: Promise.resolve<ScriptExit>({ kind: 'exit', code }), kill: () => {} };
  };
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

const planOf = (text: string) => buildVrrpPlan(loadConfigText(text, 'a.conf').model);

function host(w: World, name: string, text: string, addr: string) {
  const log = memLogger(true);
  const rt = new VrrpRuntime(planOf(text), {
    openVrrpSocket: w.lan.opener(name), announcer: new FakeAnnouncer(w.clock), rtnl: new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr }]),
    clock: w.clock, log, onEvent: () => {},
    tracking: {
      runScript: w.run,
      checkScript: (argv) => {
        const bad = w.missing.has(argv[0]) || w.insecure.has(argv[0]);
        return { runnable: !bad, argv: [...argv], insecure: w.insecure.has(argv[0]), messages: [] };
      },
      scriptUser: () => ({ ok: true, value: { uid: 0, gid: 0 } }),
    },
  });
  return { rt, log };
}
type Host = ReturnType<typeof host>;

const settle = (...hs: Host[]) => async () => {
  for (let i = 0; i < 3; i++) await Promise.all(hs.map((h) => h.rt.idle()));
};
const st = (h: Host) => h.rt.statusOf('VI_1')!;

async function pair(w: World, text: string): Promise<[Host, Host]> {
  const a = host(w, 'a', text, '192.0.2.1');
  const b = host(w, 'b', conf(100, '', ''), '192.0.2.2');
  expect(await a.rt.start()).toEqual({ ok: true });
  expect(await b.rt.start()).toEqual({ ok: true });
  await w.clock.advance(5 * S, settle(a, b));
  return [a, b];
}

describe('reload disabling a script of an unchanged instance', () => {
  it('weight 0: the FAULT it held goes (BACKUP, then MASTER); the script no longer runs; enabled again it holds FAULT again', async () => {
    const w = new World();
    const text = conf(150, 'track_script { chk }', 'vrrp_script chk {\n script "/opt/chk.sh zero"\n interval 1\n}');
    w.exits.set('zero', 1);
    const [a, b] = await pair(w, text);
    expect(st(a).state).toBe('FAULT');
    expect(st(b).state).toBe('MASTER');
    w.missing.add('/opt/chk.sh');
    expect(await a.rt.reload(planOf(text))).toEqual({ ok: true });
    expect(a.log.lines.some((l) => l.includes('Disabling track script chk since not found/accessible'))).toBe(true);
    expect(st(a).state).toBe('BACKUP');
    expect(st(a).tracks.map((t) => t.name)).not.toContain('chk');
    const n = w.runs.length;
    await w.clock.advance(5 * S, settle(a, b));
    expect(w.runs.length).toBe(n);
    expect(st(a).state).toBe('MASTER'); // priority 150 preempts b's 100
    expect(st(b).state).toBe('BACKUP');
    // The script is back on disk: the next reload tracks it again and its failure is FAULT again.
    w.missing.delete('/opt/chk.sh');
    expect(await a.rt.reload(planOf(text))).toEqual({ ok: true });
    await w.clock.advance(3 * S, settle(a, b));
    expect(st(a).tracks.find((t) => t.name === 'chk')?.status).toBe(false);
    expect(st(a).state).toBe('FAULT');
    await a.rt.stop();
    await b.rt.stop();
  });

  it('weighted: a failed script made insecure stops lowering the priority; a passing positive one stops raising it', async () => {
    const w = new World();
    const defs = 'vrrp_script down {\n script "/opt/down.sh d"\n interval 1\n weight -60\n}\n'
      + 'vrrp_script up {\n script "/opt/up.sh u"\n interval 1\n weight 20\n}';
    const text = conf(120, 'track_script { down\n up }', defs);
    w.exits.set('d', 1);
    const [a, b] = await pair(w, text);
    expect(st(a).priority.effective).toBe(80); // 120 - 60 + 20
    expect(st(b).state).toBe('MASTER');
    w.insecure.add('/opt/down.sh');
    expect(await a.rt.reload(planOf(text))).toEqual({ ok: true });
    expect(a.log.lines.some((l) => l.includes('Disabling track script down due to insecure'))).toBe(true);
    expect(st(a).priority.effective).toBe(140);
    await w.clock.advance(5 * S, settle(a, b));
    expect(st(a).state).toBe('MASTER');
    w.missing.add('/opt/up.sh');
    expect(await a.rt.reload(planOf(text))).toEqual({ ok: true });
    expect(st(a).priority.effective).toBe(120);
    expect(st(a).tracks.filter((t) => t.kind === 'script')).toEqual([]);
    expect(st(a).state).toBe('MASTER');
    await a.rt.stop();
    await b.rt.stop();
  });
});
