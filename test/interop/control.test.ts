// promote / demote / clear end to end through the real CLI (`node bin/keepalivedctl ... --socket`)
// against a keepalived 2.2.7 peer, overrides persisted across a restart of our daemon, --for expiry,
// demote --fault without a peer, and a kill -9 of our VRRP child respawned by the supervisor without
// two masters for more than one advert interval (judged from a capture of both nodes' adverts).
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capture, Cluster, type Daemon, KEEPALIVED_BIN, ROOT, sleep, until } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { cli, conf, instance, longestDualMaster, PEER_COMPLAINTS, stateOf, VIP } from './lab.js';

const variant = 'v3-ipv4';
const vip = VIP[variant];
const INT_MS = 200;
const same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, k) => x === b[k]);

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('promote/demote/clear via keepalivedctl against keepalived 2.2.7 (root)', () => {
  let c: Cluster;
  let A: Daemon; // ours, node 0, priority 100
  let K: Daemon; // keepalived, node 1, priority 150: the natural master
  const confA = conf({ variant, node: 0, priority: 100 });
  const confK = conf({ variant, node: 1, priority: 150 });
  const ctl = async (...args: string[]) => await cli(A.ns, [...args, '--socket', A.sock, '--wait', '20']);
  const placed = async (what: string, a: string, k: string, holders: number[], ms = 20_000): Promise<void> => {
    await until(`${what}: ours ${a}, keepalived ${k}, VIP on [${holders.join(',')}]`, async () =>
      (await stateOf(A)) === a && (await stateOf(K)) === k && same(c.holders(vip), holders), ms);
  };

  beforeAll(async () => {
    expect(existsSync(`${ROOT}/dist/src/daemon/vrrp-child.js`)).toBe(true);
    c = new Cluster(2, 'p');
    K = c.start('keepalived', 1, confK);
    A = c.start('ours', 0, confA);
    await placed('start', 'BACKUP', 'MASTER', [1], 40_000);
  });
  afterAll(async () => {
    await c?.dispose();
  });

  it('promote moves the VIP to ours; the override survives a restart of our daemon', async () => {
    const r = await ctl('promote', 'VI_1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/promote VI_1/);
    await placed('after promote', 'MASTER', 'BACKUP', [0]);
    expect((await instance(A))?.priority).toMatchObject({ configured: 100, effective: 254, override: 254 });

    const stateDir = A.stateDir;
    expect((await c.stop(A)).code).toBe(0);
    await placed('ours stopped', 'DEAD', 'MASTER', [1]);
    A = c.start('ours', 0, confA, { stateDir });
    await placed('ours restarted with the persisted promote', 'MASTER', 'BACKUP', [0], 40_000);
    expect((await instance(A))?.override?.kind).toBe('promote');
  }, 120_000);

  it('demote hands the VIP to keepalived; clear restores the configured priorities', async () => {
    const d = await ctl('demote', 'VI_1');
    expect(d.code).toBe(0);
    await placed('after demote', 'BACKUP', 'MASTER', [1]);
    expect((await instance(A))?.priority.effective).toBe(1);

    // Promote again, then clear: keepalived's 150 beats our configured 100 and takes the VIP back.
    expect((await ctl('promote', 'VI_1')).code).toBe(0);
    await placed('promoted again', 'MASTER', 'BACKUP', [0]);
    const cl = await ctl('clear', 'VI_1');
    expect(cl.code).toBe(0);
    await placed('after clear', 'BACKUP', 'MASTER', [1]);
    const st = await instance(A);
    expect(st?.priority).toEqual({ configured: 100, effective: 100, override: null });
    expect(st?.override).toBeUndefined();
  }, 90_000);

  it('promote --for 3s expires by itself and keepalived takes the VIP back', async () => {
    const t0 = Date.now();
    expect((await ctl('promote', 'VI_1', '--for', '3s')).code).toBe(0);
    await placed('promoted for 3s', 'MASTER', 'BACKUP', [0]);
    expect((await instance(A))?.override?.expiresAt).toBeDefined();
    await placed('override expired', 'BACKUP', 'MASTER', [1], 20_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
    expect((await instance(A))?.override).toBeUndefined();
  }, 60_000);

  it('demote --fault with no peer releases the VIP; clear takes it back', async () => {
    expect((await c.stop(K)).code).toBe(0);
    await until('ours MASTER alone', async () => (await stateOf(A)) === 'MASTER' && same(c.holders(vip), [0]), 20_000);
    const f = await ctl('demote', 'VI_1', '--fault');
    expect(f.code).toBe(0);
    await until('ours FAULT, no VIP anywhere', async () => (await stateOf(A)) === 'FAULT' && same(c.holders(vip), []), 20_000);
    await sleep(5 * INT_MS);
    expect(c.holders(vip)).toEqual([]);
    expect((await ctl('clear', 'VI_1')).code).toBe(0);
    await until('ours MASTER again', async () => (await stateOf(A)) === 'MASTER' && same(c.holders(vip), [0]), 20_000);
  }, 60_000);

  it('kill -9 of our VRRP child: respawned by the supervisor, no two masters for more than one advert interval', async () => {
    if ((await stateOf(K)) === 'DEAD') K = c.start('keepalived', 1, confK);
    expect((await ctl('promote', 'VI_1')).code).toBe(0);
    await placed('ours promoted over keepalived', 'MASTER', 'BACKUP', [0], 30_000);
    const cap = await c.capture('ip proto 112');
    const parent = A.pid;
    const child = await c.vrrpPid(A);
    expect(child).toBeGreaterThan(0);
    const t0 = Capture.now();
    process.kill(child!, 'SIGKILL');
    await until('a new VRRP child', () => {
      // The pid file goes with the dead child and comes back with the new one.
      const p = existsSync(A.vrrpPidFile) ? Number(readFileSync(A.vrrpPidFile, 'utf8')) : 0;
      return p > 0 && p !== child;
    }, 20_000);
    await placed('ours master again after the respawn', 'MASTER', 'BACKUP', [0], 40_000);
    await sleep(5 * INT_MS);
    await cap.stop();
    expect(A.proc.exitCode).toBeNull();
    expect(A.pid).toBe(parent);
    expect(A.out()).toMatch(/VRRP child process\(\d+\) died: exited with signal SIGKILL/);
    // keepalived took over while our child was down, then gave way to the respawned child.
    const frames = cap.frames().filter((f) => f.t >= t0);
    expect(frames.some((f) => c.nodeOfMac(f.srcMac) === 1 && f.prio === 150)).toBe(true);
    const dual = longestDualMaster(frames, (f) => c.nodeOfMac(f.srcMac), INT_MS / 1000);
    if (process.env.KA_TIMING) console.log(`longest dual-master stretch ${(dual * 1000).toFixed(0)} ms`);
    expect(dual).toBeLessThanOrEqual(INT_MS / 1000);
    expect(K.out()).not.toMatch(PEER_COMPLAINTS);
  }, 120_000);
});
