// Interop matrix against Debian's keepalived 2.2.7, two node namespaces behind a bridge plus an
// observer: for v2+PASS, v3 IPv4, v3 IPv6 and unicast, with ours MASTER / keepalived BACKUP and the
// reverse, the master fails three ways (its bridge leg cut, SIGTERM, kill -9 of the whole daemon) and
// the backup takes over: the VIP moves, the observer sees the new master's GARP / unsolicited NA, and
// once the failed side is back (link up / restart) the VIP is on exactly one node again. One cluster
// per variant and direction; each failure starts and ends with node 0 MASTER holding the VIP alone.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capture, Cluster, type Daemon, type Impl, KEEPALIVED_BIN, ROOT, until } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { conf, PEER_COMPLAINTS, stateOf, type Variant, VIP } from './lab.js';

const groups = (['v2-pass', 'v3-ipv4', 'v3-ipv6', 'unicast'] as Variant[]).flatMap((variant) =>
  (['ours', 'keepalived'] as Impl[]).map((master) => ({ variant, master })),
);
const other = (i: Impl): Impl => (i === 'ours' ? 'keepalived' : 'ours');
const same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, k) => x === b[k]);
const timing = !!process.env.KA_TIMING;

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('interop matrix with keepalived 2.2.7 (root, namespaces)', () => {
  beforeAll(() => {
    // bin/keepalived runs from dist/: the test runner builds it first.
    expect(existsSync(`${ROOT}/dist/src/daemon/vrrp-child.js`)).toBe(true);
  });

  describe.each(groups)('$variant, $master MASTER', ({ variant, master }) => {
    const vip = VIP[variant];
    const confM = conf({ variant, node: 0, priority: 150, state: 'MASTER' });
    let c: Cluster;
    let M: Daemon;
    let B: Daemon;
    const settled = async (what: string, ms = 20_000): Promise<void> => {
      const t = await until(`${what}: node 0 MASTER, node 1 BACKUP, ${vip} on node 0 only`, async () =>
        (await stateOf(M)) === 'MASTER' && (await stateOf(B)) === 'BACKUP' && same(c.holders(vip), [0]), ms).catch(async (e: Error) => {
        const tail = (d: Daemon): string => d.out().split('\n').slice(-15).join('\n');
        throw new Error(`${e.message}\nnode 0 ${await stateOf(M)}, node 1 ${await stateOf(B)}, holders ${c.holders(vip).join(',')}\n` +
          `--- node 0 (${M.impl}):\n${tail(M)}\n--- node 1 (${B.impl}):\n${tail(B)}`);
      });
      if (timing) console.log(`${variant} ${master}: ${what} in ${t} ms`);
    };

    beforeAll(async () => {
      c = new Cluster(2, 'm');
      M = c.start(master, 0, confM);
      B = c.start(other(master), 1, conf({ variant, node: 1, priority: 100 }));
      await settled('start', 30_000);
    });
    afterAll(async () => {
      // keepalived never complained about our adverts.
      const theirs = master === 'keepalived' ? M : B;
      await c?.dispose();
      expect(theirs.out()).not.toMatch(PEER_COMPLAINTS);
    });

    /** Fails node 0 with `fail`, checks the takeover as the observer sees it. */
    async function failover(fail: () => Promise<void> | void, goodbye: boolean): Promise<void> {
      const cap = await c.capture('arp or icmp6 or ip proto 112 or ip6 proto 112');
      try {
        const t0 = Capture.now();
        await fail();
        const t = await until('node 1 MASTER holding the VIP', async () => (await stateOf(B)) === 'MASTER' && c.holders(vip).includes(1), 15_000);
        if (timing) console.log(`${variant} ${master}: took over in ${t} ms`);
        const kind = vip.includes(':') ? 'na' : 'garp';
        await until(`${kind} for ${vip} from the new master at the observer`, () => cap.from(1, kind, t0).some((f) => f.addr === vip), 5000);
        if (variant !== 'unicast') {
          await until('the new master advertising', () => cap.from(1, 'vrrp', t0).length > 0, 5000);
          // SIGTERM says goodbye with a priority-0 advert; a crash or a cut link cannot.
          expect(cap.from(0, 'vrrp', t0).some((f) => f.prio === 0)).toBe(goodbye);
        }
      } finally {
        await cap.stop();
      }
    }

    it('link cut: the backup takes over; rejoined, the higher priority keeps the VIP alone', async () => {
      await failover(() => c.setLink(0, false), false);
      c.setLink(0, true);
      await settled('link back');
    });

    it('SIGTERM: the backup takes over at once and holds the VIP alone; restarted, node 0 preempts', async () => {
      await failover(async () => expect((await c.stop(M)).code).toBe(0), true);
      expect(c.holders(vip)).toEqual([1]);
      M = c.start(master, 0, confM);
      await settled('restart after SIGTERM', 45_000);
    });

    it('kill -9 of the whole daemon: the backup takes over; restarted, node 0 clears the stale VIP and preempts', async () => {
      await failover(() => c.crash(M), false);
      // A crash leaves the VIP on the dead node (both hold it until it restarts).
      expect(c.holders(vip)).toEqual([0, 1]);
      M = c.start(master, 0, confM);
      await settled('restart after kill -9', 45_000);
    });
  });
});
