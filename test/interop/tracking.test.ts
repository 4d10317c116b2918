// Tracking end to end: our daemon (node 0) and Debian's keepalived 2.2.7 (node 1, priority 100)
// on a bridge in namespaces. Ours (base priority 90) tracks a vrrp_script (tests a file the test
// toggles, weight -60), a non-primary interface (dummy1, weight 0), two track_files (-60 per unit;
// weight 0) and a process (`sleep` with a distinctive argv, weight +60). With everything healthy
// ours is at 150 and holds the VIP; each tracker failing moves it to keepalived, and back.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type Daemon, KEEPALIVED_BIN, type Proc, ROOT, sleep, until } from '../helpers/cluster.js';
import { ip, isRoot } from '../helpers/netns.js';
import { instance, stateOf } from './lab.js';

const VIP = '192.0.2.100';
const ADVERT_S = 1;
const SCRIPT = { interval: 1, fall: 2, rise: 2 };
const SLEEP_ARG = `${4000 + (process.pid % 1000)}.125`; // distinctive: only this test's sleep matches
const SLOW_ARG = `${5000 + (process.pid % 1000)}.375`; // a script still running when the daemon stops

function ourConf(dir: string): string {
  return `global_defs {
  vrrp_garp_master_delay 0
  script_user root
  enable_script_security
}
vrrp_script chk_flag {
  script "/bin/test -f ${join(dir, 'flag')}"
  interval ${SCRIPT.interval}
  fall ${SCRIPT.fall}
  rise ${SCRIPT.rise}
  weight -60
}
vrrp_script chk_slow {
  script "/bin/sleep ${SLOW_ARG}"
  interval 1000
  timeout 900
  weight 10
}
track_file tf_weight {
  file ${join(dir, 'tf1')}
  weight -60
  init_file 0 overwrite
}
track_file tf_zero {
  file ${join(dir, 'tf2')}
  weight 0
  init_file 0 overwrite
}
vrrp_track_process tp_sleep {
  process /bin/sleep ${SLEEP_ARG}
  weight 60
}
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 61
  priority 90
  advert_int ${ADVERT_S}
  authentication {
    auth_type PASS
    auth_pass tr4ck
  }
  track_interface {
    dummy1
  }
  track_script {
    chk_flag
    chk_slow
  }
  track_file {
    tf_weight
    tf_zero
  }
  track_process {
    tp_sleep
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

const peerConf = `global_defs {
  vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 61
  priority 100
  advert_int ${ADVERT_S}
  authentication {
    auth_type PASS
    auth_pass tr4ck
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

describe.runIf(isRoot())('tracking against keepalived 2.2.7', () => {
  let c: Cluster;
  let ours: Daemon;
  let peer: Daemon;
  let sleeper: Proc | null = null;
  let dir: string;

  const holders = () => c.holders(VIP);
  const ourPrio = async () => (await instance(ours))?.priority.effective;
  const startSleeper = () => (sleeper = c.run(c.nodes[0]!.ns, ['/bin/sleep', SLEEP_ARG]));
  /** Waits for the VIP on exactly `node`; the time it took. */
  const vipOn = (node: number, what: string, ms = 20_000) => until(what, () => {
    const h = holders();
    return h.length === 1 && h[0] === node;
  }, ms);

  beforeAll(async () => {
    // bin/keepalived runs dist/ (built by `npm run build` before the interop tests).
    expect(existsSync(join(ROOT, 'dist', 'src', 'daemon', 'track-manager.js'))).toBe(true);
    c = new Cluster(2, 'tk');
    dir = c.dir;
    // A second interface on our node: a veth pair with both ends in the namespace (no dummy module here).
    ip('-n', c.nodes[0]!.ns, 'link', 'add', 'dummy1', 'type', 'veth', 'peer', 'name', 'dummy1p');
    ip('-n', c.nodes[0]!.ns, 'link', 'set', 'dummy1p', 'up');
    ip('-n', c.nodes[0]!.ns, 'link', 'set', 'dummy1', 'up');
    writeFileSync(join(dir, 'flag'), '');
    startSleeper();
    await until('sleeper running', () => existsSync(`/proc/${sleeper!.pid}`), 5000);
    ours = c.start('ours', 0, ourConf(dir));
    peer = c.start('keepalived', 1, peerConf);
    await vipOn(0, 'our MASTER with every tracker healthy', 30_000);
    await until('priority 150', async () => (await ourPrio()) === 150, 10_000);
  }, 400_000);

  afterAll(async () => {
    if (c) {
      if (ours) await c.stop(ours);
      if (peer) await c.stop(peer);
      await c.dispose();
    }
  });

  it('keepalived -t accepts both configs', () => {
    for (const [d, node] of [[ours, 0], [peer, 1]] as const) {
      const r = (() => {
        try {
          execFileSync('ip', ['netns', 'exec', c.nodes[node]!.ns, KEEPALIVED_BIN, '-t', '-f', d.conf], { stdio: 'pipe', timeout: 30_000 });
          return 0;
        } catch (e) {
          return (e as { status?: number }).status ?? 99;
        }
      })();
      expect(r, `keepalived -t ${d.conf}`).toBe(0);
    }
  });

  it('status shows every tracker with kind, weight and status', async () => {
    const tracks = (await instance(ours))?.tracks ?? [];
    expect(tracks).toEqual(expect.arrayContaining([
      { name: 'dummy1', kind: 'interface', weight: 0, status: true },
      { name: 'chk_flag', kind: 'script', weight: -60, status: true },
      { name: 'tf_weight', kind: 'file', weight: -60, status: 0 },
      { name: 'tf_zero', kind: 'file', weight: 0, status: 0 },
      { name: 'tp_sleep', kind: 'process', weight: 60, status: true },
      { name: 'chk_slow', kind: 'script', weight: 10, status: 'init' },
    ]));
  });

  it('vrrp_script: the VIP moves to keepalived within interval x fall (+ adverts) and back', async () => {
    rmSync(join(dir, 'flag'));
    const t0 = Date.now();
    await until('our priority 90', async () => (await ourPrio()) === 90, 15_000);
    const prioMs = Date.now() - t0;
    await vipOn(1, 'VIP on keepalived after the script fails');
    const moveMs = Date.now() - t0;
    // fall x interval for the script to count as failed, then keepalived (priority 100 > 90) preempts.
    console.log(`script failed -> priority 90 in ${prioMs} ms (interval x fall = ${SCRIPT.interval * SCRIPT.fall * 1000} ms); VIP on peer after ${moveMs} ms`);
    expect(prioMs).toBeLessThan((SCRIPT.interval * SCRIPT.fall + ADVERT_S) * 1000 + 3000);
    expect(await stateOf(ours)).toBe('BACKUP');
    writeFileSync(join(dir, 'flag'), '');
    await vipOn(0, 'VIP back on ours after the script succeeds rise times');
    expect(await ourPrio()).toBe(150);
  });

  it('track_interface: a tracked non-primary interface down puts ours in FAULT; the peer takes the VIP', async () => {
    ip('-n', c.nodes[0]!.ns, 'link', 'set', 'dummy1', 'down');
    await until('our FAULT', async () => (await stateOf(ours)) === 'FAULT', 10_000);
    await vipOn(1, 'VIP on keepalived while dummy1 is down');
    ip('-n', c.nodes[0]!.ns, 'link', 'set', 'dummy1', 'up');
    await vipOn(0, 'VIP back on ours after dummy1 is up');
  });

  it('track_file: a value times the weight moves the priority; with weight 0 a non-zero value is FAULT', async () => {
    writeFileSync(join(dir, 'tf1'), '1\n');
    await until('our priority 90', async () => (await ourPrio()) === 90, 10_000);
    await vipOn(1, 'VIP on keepalived with tf_weight at 1');
    writeFileSync(join(dir, 'tf1'), '0\n');
    await vipOn(0, 'VIP back on ours with tf_weight at 0');
    writeFileSync(join(dir, 'tf2'), '7\n');
    await until('our FAULT', async () => (await stateOf(ours)) === 'FAULT', 10_000);
    await vipOn(1, 'VIP on keepalived with tf_zero non-zero');
    const t = (await instance(ours))?.tracks.find((x) => x.name === 'tf_zero');
    expect(t?.status).toBe(7);
    writeFileSync(join(dir, 'tf2'), '0\n');
    await vipOn(0, 'VIP back on ours with tf_zero at 0');
  });

  it('track_process: stopping and starting the process moves the VIP', async () => {
    await c.stop(sleeper!);
    await until('our priority 90', async () => (await ourPrio()) === 90, 10_000);
    await vipOn(1, 'VIP on keepalived without the process');
    startSleeper();
    await until('our priority 150', async () => (await ourPrio()) === 150, 10_000);
    await vipOn(0, 'VIP back on ours with the process running');
    await c.stop(sleeper!);
    sleeper = null;
  });

  it('a reload keeps trackers and state (no failover); stop kills the script still running', async () => {
    const before = (await instance(ours))?.counters.becameMaster;
    execFileSync('kill', ['-HUP', String(ours.pid)]);
    await sleep(3000);
    expect(holders()).toEqual([0]);
    expect((await instance(ours))?.counters.becameMaster).toBe(before);
    const slow = () => execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes(SLOW_ARG));
    expect(slow().length).toBe(1); // chk_slow's run, started with the daemon, still going
    await c.stop(ours);
    await until('no script process left after stop', () => slow().length === 0, 5000);
    await vipOn(1, 'VIP on keepalived after our stop');
  });
});

// A sync group whose track_script (weight 0, no init_fail) is still in its initial state at start:
// keepalived 2.2.7 holds both members in FAULT until the first result, then brings the group up as
// one. Ours (node 0, VRIDs 71/72) and keepalived (node 1, VRIDs 73/74) each run the same shape of
// config alone on their VRIDs; both must end with both members MASTER (every VIP held).
function groupConf(vrids: [number, number], dir: string): string {
  const inst = (name: string, vrid: number) => `vrrp_instance ${name} {
  interface veth0
  state BACKUP
  virtual_router_id ${vrid}
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.${vrid + 100}/24
  }
}`;
  return `global_defs {
  vrrp_garp_master_delay 0
  script_user root
  enable_script_security
}
vrrp_script chk_ready {
  script "/bin/test -f ${join(dir, 'ready')}"
  interval 1
}
vrrp_sync_group G {
  group {
    VI_A
    VI_B
  }
  track_script {
    chk_ready
  }
}
${inst('VI_A', vrids[0])}
${inst('VI_B', vrids[1])}
`;
}

describe.runIf(isRoot())('sync group with a weight-0 script in its initial state, against keepalived 2.2.7', () => {
  let c: Cluster;
  const daemons: Daemon[] = [];

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist', 'src', 'daemon', 'track-manager.js'))).toBe(true);
    c = new Cluster(2, 'tg');
    writeFileSync(join(c.dir, 'ready'), '');
  });

  afterAll(async () => {
    if (!c) return;
    for (const d of daemons) await c.stop(d);
    await c.dispose();
  });

  it('both daemons bring both members up as one (no init_fail needed); a failure takes both to FAULT', async () => {
    daemons.push(c.start('ours', 0, groupConf([71, 72], c.dir)));
    daemons.push(c.start('keepalived', 1, groupConf([73, 74], c.dir)));
    const held = (vrid: number, node: number) => {
      const h = c.holders(`192.0.2.${vrid + 100}`);
      return h.length === 1 && h[0] === node;
    };
    await until('every member MASTER on both', () => held(71, 0) && held(72, 0) && held(73, 1) && held(74, 1), 30_000);
    for (const n of ['VI_A', 'VI_B']) expect(await stateOf(daemons[0]!, n)).toBe('MASTER');
    // The script fails (shared directory): both groups go FAULT as a whole and drop every VIP.
    rmSync(join(c.dir, 'ready'));
    await until('no VIP held', () => [171, 172, 173, 174].every((v) => c.holders(`192.0.2.${v}`).length === 0), 20_000);
    for (const n of ['VI_A', 'VI_B']) expect(await stateOf(daemons[0]!, n)).toBe('FAULT');
    writeFileSync(join(c.dir, 'ready'), '');
    await until('every member MASTER again', () => held(71, 0) && held(72, 0) && held(73, 1) && held(74, 1), 30_000);
  }, 120_000);
});
