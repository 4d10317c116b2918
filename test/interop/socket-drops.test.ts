// Packets with a VRID no instance has, or too short to carry one, belong to no instance: status
// reports them per socket as unattributedDrops, so the fuzzer can account for every packet sent.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type Daemon, ROOT, sleep, until } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { framesFile, mutate, prng } from './fuzz-packets.js';
import { conf, status } from './lab.js';

function socketDrops(ns: string): number {
  const t = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/raw'], { encoding: 'utf8' });
  return t.split('\n').slice(1).filter((l) => /^\s*\d+: [0-9A-F]{8}:0070 /.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/).at(-1)), 0);
}

describe.runIf(isRoot())('socket-level drops in status (root)', () => {
  let c: Cluster;
  let M: Daemon;
  beforeAll(async () => {
    c = new Cluster(1, 's');
    M = c.start('ours', 0, conf({ variant: 'v2-pass', node: 0, priority: 150, state: 'MASTER' }), { detail: false });
    await until('master', async () => (await status(M))?.instances[0]?.state === 'MASTER', 40_000);
  });
  afterAll(async () => {
    await c?.dispose();
  });

  it('unknown-VRID and header-truncated packets are counted in status --json', async () => {
    const r = prng(7);
    const pkts = [...Array.from({ length: 1000 }, () => mutate('vrid', r)), ...Array.from({ length: 1000 }, () => mutate('truncated_header', r))];
    const k0 = socketDrops(M.ns);
    const file = join(c.dir, 'f.bin');
    writeFileSync(file, framesFile(pkts, c.obs.mac));
    const s = c.run(c.obs.ns, [process.execPath, join(ROOT, 'test', 'interop', 'fuzz-sender.mjs'), file]);
    expect((await s.exited).code).toBe(0);
    await sleep(2000);
    const kdrops = socketDrops(M.ns) - k0;
    const st = (await status(M)) as unknown as { unattributedDrops?: { reason: string; count: number }[] };
    const seen = (st.unattributedDrops ?? []).filter((x) => x.reason === 'vrid_unknown' || x.reason === 'truncated').reduce((n, x) => n + x.count, 0);
    expect(seen + kdrops).toBe(2000);
  }, 120_000);
});
