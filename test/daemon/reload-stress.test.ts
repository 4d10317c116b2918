// Reload stress (root, namespaces): our daemon (node 0) and keepalived 2.2.7 (node 1) run three
// instances on a bridge. 1,000 SIGHUPs to our daemon alternate configs A and B, which differ only in
// VI_3's priority; every 10th HUP brings a broken config instead. VI_1 (ours MASTER) and VI_2 (ours
// BACKUP) must not move at all (no transition in our status, none in keepalived's log, VIPs where they
// were), VI_3 must carry the priority of the config just loaded, a broken config must be refused with
// its diagnostics logged and the previous one kept, and the daemon's memory must stay flat.
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { InstanceStatus } from '../../src/control/protocol.js';
import { Cluster, type Daemon as ClusterDaemon } from '../helpers/cluster.js';
import { haveKeepalived } from '../helpers/oracle.js';
import { isRoot } from '../helpers/netns.js';
import { distBuilt, rssKb, status, until } from './dump-harness.js';

const RELOADS = Number(process.env.RELOAD_STRESS_N ?? 1000);
const BROKEN_EVERY = 10;
/** Bounded growth of supervisor + VRRP child RSS between the warmed-up start and the end. */
const MAX_GROWTH_KB = 20 * 1024;
const DEADLINE_MS = 9 * 60_000;

const instance = (name: string, vrid: number, prio: number, vip: string) => `
vrrp_instance ${name} {
  interface veth0
  state BACKUP
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${vip}/24
  }
}`;
const config = (p1: number, p2: number, p3: number) =>
  [instance('VI_1', 51, p1, '192.0.2.101'), instance('VI_2', 52, p2, '192.0.2.102'), instance('VI_3', 53, p3, '192.0.2.103')].join('\n');
const CONF_A = config(150, 100, 120);
const CONF_B = config(150, 100, 130);
// An error keepalived -t reports too: the VRID is out of range.
const CONF_BROKEN = CONF_A.replace('virtual_router_id 53', 'virtual_router_id 300');
const PEER = config(100, 150, 100);

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

describe.runIf(isRoot() && haveKeepalived() && distBuilt())('reload stress: 1,000 SIGHUPs (root)', () => {
  let cl: Cluster | null = null;
  afterAll(async () => {
    await cl?.dispose();
  });

  it('unchanged instances never move, the changed one follows, broken configs are refused, memory stays flat', async () => {
    const t0 = Date.now();
    cl = new Cluster(2, 'rs');
    const a = cl.start('ours', 0, CONF_A, { detail: false });
    const b = cl.start('keepalived', 1, PEER, { detail: false });
    const d = { files: { sock: a.sock } } as Parameters<typeof status>[0];
    const byName = async () => new Map(((await status(d))?.instances ?? []).map((i) => [i.name, i] as [string, InstanceStatus]));
    await until('VI_1 and VI_3 MASTER here, VI_2 BACKUP', async () => {
      const s = await byName();
      return s.get('VI_1')?.state === 'MASTER' && s.get('VI_2')?.state === 'BACKUP' && s.get('VI_3')?.state === 'MASTER';
    }, 30_000);
    await until('keepalived MASTER for VI_2', () => /\(VI_2\) Entering MASTER STATE/.test(b.out()), 10_000);
    const vrrpPid = await cl.vrrpPid(a);
    expect(vrrpPid).not.toBeNull();
    const rss = () => rssKb(a.pid) + rssKb(vrrpPid);
    const before = await byName();
    const frozen = (s: Map<string, InstanceStatus>) =>
      ['VI_1', 'VI_2'].map((n) => ({ n, state: s.get(n)?.state, last: s.get(n)?.lastTransition, became: s.get(n)?.counters.becameMaster, released: s.get(n)?.counters.releasedMaster }));
    const peerMoves = () => (b.out().match(/\(VI_[12]\) Entering/g) ?? []).length;
    const peerMovesBefore = peerMoves();
    const rssStart = rss();

    let pos = a.out().length;
    /** Waits for our daemon's next reload verdict in its log; returns it. */
    const verdict = async (): Promise<'complete' | 'failed'> => {
      let found: 'complete' | 'failed' | null = null;
      await until('reload verdict', () => {
        const out = a.out();
        const c = out.indexOf('Reload complete', pos);
        const f = out.indexOf('Reload failed', pos);
        const at = c >= 0 && (f < 0 || c < f) ? c : f;
        if (at < 0) return false;
        found = at === c ? 'complete' : 'failed';
        pos = at + 1;
        return true;
      }, 30_000, 5);
      return found!;
    };

    let rssWarm = 0;
    let expectPrio = 120;
    let refused = 0;
    const trace: string[] = [];
    for (let i = 1; i <= RELOADS; i++) {
      if (Date.now() - t0 > DEADLINE_MS) throw new Error(`reload ${i}: over the ${DEADLINE_MS / 60_000} min bound`);
      const broken = i % BROKEN_EVERY === 0;
      const text = broken ? CONF_BROKEN : i % 2 === 1 ? CONF_B : CONF_A;
      writeFileSync(a.conf, text);
      process.kill(a.pid, 'SIGHUP');
      const v = await verdict();
      if (broken) {
        expect(v, `reload ${i}`).toBe('failed');
        refused++;
      } else {
        expect(v, `reload ${i}`).toBe('complete');
        expectPrio = text === CONF_B ? 130 : 120;
      }
      // Applied (or, after a broken one, kept): VI_3 runs the last valid config's priority.
      if (broken || i % 25 === 1) {
        const s = await byName();
        expect(s.get('VI_3')?.priority.configured, `reload ${i}`).toBe(expectPrio);
        expect(frozen(s), `reload ${i}`).toEqual(frozen(before));
      }
      if (i === 50) rssWarm = rss();
      if (i % 100 === 0) trace.push(`${i}: ${mb(rssKb(a.pid))} + ${mb(rssKb(vrrpPid))}`);
    }
    const elapsed = Date.now() - t0;
    const rssEnd = rss();
    const after = await byName();
    // Diagnostics of the broken config are logged (file, line, what) before each refusal.
    expect(a.out()).toMatch(/\(.*k\.conf: Line \d+\) .*300/);
    expect((a.out().match(/Reload failed/g) ?? []).length).toBe(refused);
    expect(refused).toBe(RELOADS / BROKEN_EVERY);
    expect(frozen(after)).toEqual(frozen(before));
    expect(peerMoves()).toBe(peerMovesBefore);
    expect(cl.holders('192.0.2.101')).toEqual([0]);
    expect(cl.holders('192.0.2.102')).toEqual([1]);
    expect(await cl.vrrpPid(a)).toBe(vrrpPid); // never respawned
    console.log(`reload stress: ${RELOADS} HUPs (${refused} refused) in ${(elapsed / 1000).toFixed(1)} s; RSS supervisor+VRRP child start ${mb(rssStart)}, after 50 reloads ${mb(rssWarm)}, end ${mb(rssEnd)} (growth ${mb(rssEnd - rssWarm)}); supervisor + child every 100: ${trace.join(', ')}`);
    expect(rssEnd - rssWarm).toBeLessThan(MAX_GROWTH_KB);
    const stop = await cl.stop(a);
    expect(stop.code).toBe(0);
  }, 10 * 60_000);
});
