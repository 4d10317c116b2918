// Wire fuzzer: an observer namespace on the bridge blasts 100,000 malformed / mutated VRRPv2 adverts
// (fuzz-packets.ts) at a running pair of our daemons at full speed. Afterwards: nobody changed state
// (the master stayed master, no transition), the same processes run, and each daemon's drop counters
// in `status` account for what reached it, class by class.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResult } from '../../src/control/protocol.js';
import { readIpv4Packet } from '../../src/vrrp/packet.js';
import { type InstanceConfig, validate } from '../../src/vrrp/validate.js';
import { Cluster, type Daemon, ROOT, sleep, until } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { CLASSES, FUZZ, fuzzPackets, framesFile, type FuzzClass } from './fuzz-packets.js';
import { conf, status } from './lab.js';

/** Reasons the daemon counts per socket (no instance to charge them to); not in `status`. */
const SOCKET_LEVEL = new Set(['vrid_unknown', 'truncated']);
const CHECK: InstanceConfig = { family: 4, version: 2, vrid: FUZZ.vrid, authType: 'pass', authPass: FUZZ.pass, advertIntervalCs: 100, vips: [FUZZ.vip] };

/** Where the daemon files one packet: the socket-level reason, or validate()'s verdict for VRID 51. */
export function expectedReason(cls: FuzzClass, pkt: Uint8Array): string {
  const fixed = CLASSES[cls];
  if (fixed) return fixed;
  const r = readIpv4Packet(pkt);
  if (!r.ok) return 'truncated';
  if (r.raw.vrid !== FUZZ.vrid) return 'vrid_unknown';
  const v = validate(pkt, CHECK, { state: 'master', ownAddrs: ['192.0.2.1', '192.0.2.2'] });
  return v.ok ? 'ACCEPTED' : v.reason;
}

/** Packets the kernel dropped on this namespace's VRRP raw sockets (receive buffer full): /proc/net/raw. */
function socketDrops(ns: string): number {
  const t = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/raw'], { encoding: 'utf8' });
  return t.split('\n').slice(1).filter((l) => /^\s*\d+: [0-9A-F]{8}:0070 /.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/).at(-1)), 0);
}

function dropsOf(s: StatusResult): Record<string, number> {
  return s.instances[0]!.counters.drops;
}

describe.runIf(isRoot())('wire fuzzer: 100,000 mutated adverts at a running pair (root)', () => {
  let c: Cluster;
  let M: Daemon;
  let B: Daemon;
  beforeAll(async () => {
    expect(existsSync(`${ROOT}/dist/src/net/native.js`)).toBe(true);
    c = new Cluster(2, 'z');
    // No -D: per-packet debug lines would measure the logger, not the receive path.
    M = c.start('ours', 0, conf({ variant: 'v2-pass', node: 0, priority: 150, state: 'MASTER' }), { detail: false });
    B = c.start('ours', 1, conf({ variant: 'v2-pass', node: 1, priority: 100 }), { detail: false });
    await until('pair settled', async () => (await status(M))?.instances[0]?.state === 'MASTER' && (await status(B))?.instances[0]?.state === 'BACKUP', 40_000);
  });
  afterAll(async () => {
    await c?.dispose();
  });

  it('state unchanged, same processes, drops accounted by reason', async () => {
    const daemons = [M, B];
    const before = await Promise.all(daemons.map(async (d) => ({ st: (await status(d))!, child: await c.vrrpPid(d), kdrops: socketDrops(d.ns) })));

    const pkts = fuzzPackets(20240607);
    expect(pkts.length).toBe(100_000);
    const expected = new Map<string, number>();
    for (const p of pkts) {
      const r = expectedReason(p.cls, p.pkt);
      expected.set(r, (expected.get(r) ?? 0) + 1);
    }
    // Nothing in the mix is a valid advert: a higher priority one would take mastership.
    expect(expected.get('ACCEPTED')).toBeUndefined();
    const file = join(c.dir, 'frames.bin');
    writeFileSync(file, framesFile(pkts.map((p) => p.pkt), c.obs.mac));

    const sender = c.run(c.obs.ns, [process.execPath, join(ROOT, 'test', 'interop', 'fuzz-sender.mjs'), file]);
    const ex = await Promise.race([sender.exited, sleep(120_000).then(() => null)]);
    expect(ex?.code, sender.out()).toBe(0);
    const sent = JSON.parse(sender.out().trim().split('\n').at(-1)!) as { sent: number; refused: number; ms: number };
    expect(sent.sent).toBe(100_000);

    // Counters settle once the daemons have read what is queued.
    let last = '';
    await until('drop counters settled', async () => {
      const now = JSON.stringify(await Promise.all(daemons.map(async (d) => dropsOf((await status(d, 5000))!))));
      const same = now === last;
      last = now;
      return same;
    }, 60_000, 1000);

    const report: string[] = [`sent ${sent.sent} frames in ${sent.ms.toFixed(0)} ms (${sent.refused} sends retried)`];
    for (const [k, d] of daemons.entries()) {
      const b = before[k]!;
      const st = (await status(d))!;
      const i = st.instances[0]!;
      const b0 = b.st.instances[0]!;
      // Same daemon, same VRRP child, same state, no transition since.
      expect(d.proc.exitCode).toBeNull();
      expect(st.daemon.pid).toBe(b.st.daemon.pid);
      expect(await c.vrrpPid(d)).toBe(b.child);
      expect(i.state).toBe(b0.state);
      expect(i.lastTransition, `node ${k}: ${JSON.stringify(i.lastTransition)} after ${JSON.stringify(b0.lastTransition)}`).toEqual(b0.lastTransition);
      expect(i.counters.becameMaster).toBe(b0.counters.becameMaster);
      expect(i.counters.releasedMaster).toBe(b0.counters.releasedMaster);

      const kdrops = socketDrops(d.ns) - b.kdrops;
      const got = dropsOf(st);
      const gotSum = Object.values(got).reduce((a, n) => a + n, 0) - Object.values(dropsOf(b.st)).reduce((a, n) => a + n, 0);
      const visible = [...expected].filter(([r]) => !SOCKET_LEVEL.has(r) && r !== 'ACCEPTED');
      const visibleSum = visible.reduce((a, [, n]) => a + n, 0);
      // What reached the daemon's socket: charged to the instance, or dropped by the kernel (buffer full).
      // A kernel drop hides which class it was, so each reason is bounded by its share.
      const lost = kdrops / 100_000;
      report.push(`node ${k} (${i.state}): kernel drops ${kdrops}, instance drops ${gotSum} of ${visibleSum} visible`);
      expect(gotSum).toBeLessThanOrEqual(visibleSum);
      expect(gotSum).toBeGreaterThanOrEqual(visibleSum - kdrops);
      // Everything sent is either charged to the instance, dropped by the kernel, or socket-level.
      const invisible = 100_000 - visibleSum;
      expect(gotSum + kdrops).toBeLessThanOrEqual(100_000);
      expect(gotSum + kdrops).toBeGreaterThanOrEqual(100_000 - invisible);
      for (const [reason, n] of visible) {
        const g = (got[reason] ?? 0) - (dropsOf(b.st)[reason] ?? 0);
        report.push(`  ${reason.padEnd(26)} expected ${n}, counted ${g}`);
        expect(g, reason).toBeLessThanOrEqual(n);
        // Classes are shuffled together, so kernel drops hit each in proportion.
        expect(g, reason).toBeGreaterThanOrEqual(Math.floor(n * (1 - lost) * 0.9) - 20);
        expect(g, reason).toBeLessThanOrEqual(Math.ceil(n * (1 - lost) * 1.1) + 20);
      }
      for (const r of Object.keys(got)) expect(expected.has(r) || (dropsOf(b.st)[r] ?? 0) === got[r], `unexpected reason ${r}`).toBe(true);
    }
    console.log(report.join('\n'));
  }, 300_000);
});
