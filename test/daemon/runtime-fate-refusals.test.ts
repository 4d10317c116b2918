// Two configs keepalived 2.2.7 runs while naming an error, which our daemon once refused: an
// instance named in two sync groups, and unicast peers (or a source) of the other address family
// than the instance. Our daemon and keepalived each run the config in a namespace
// (dump-compare.ts): both start, both log keepalived's line, and the outcome is the same: every
// instance MASTER, the same sync groups and members, the same unicast peers (their keepalived.data
// sections compared).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveKeepalived } from '../helpers/oracle.js';
import { isRoot } from '../helpers/netns.js';
import { type BothRun, runBoth, sections } from './dump-compare.js';
import { distBuilt } from './dump-harness.js';

const inst = (name: string, vrid: number, extra = '') =>
  `vrrp_instance ${name} {\n  state BACKUP\n  interface veth0\n  virtual_router_id ${vrid}\n  priority 100\n  advert_int 1\n${extra}  virtual_ipaddress {\n    192.0.2.${vrid}/24\n  }\n}\n`;

/** VI_1 in G1 and G2: keepalived keeps it in G1 and runs G2 with VI_3 alone. */
const TWO_GROUPS = `global_defs {\n  router_id fate1\n}\n` +
  'vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n}\nvrrp_sync_group G2 {\n  group {\n    VI_1\n    VI_3\n  }\n}\n' +
  inst('VI_1', 51) + inst('VI_2', 52) + inst('VI_3', 53);

/** IPv6 peers of IPv4 instances are skipped; an IPv6 source is skipped too (the interface's address is used). */
const MIXED_PEERS = `global_defs {\n  router_id fate2\n}\n` +
  inst('VI_1', 61, '  unicast_src_ip 192.0.2.1\n  unicast_peer {\n    192.0.2.2\n    2001:db8::2\n    192.0.2.3\n  }\n') +
  inst('VI_2', 62, '  unicast_peer {\n    192.0.2.6\n  }\n  unicast_src_ip 2001:db8::1\n');

const dir = mkdtempSync(join(tmpdir(), 'kafate-'));
const runs: BothRun[] = [];
afterAll(async () => {
  for (const r of runs) await r.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The instance blocks of a topology section, by name (masked lines). */
function instanceBlock(topology: string[], name: string): string[] {
  const start = topology.indexOf(` VRRP Instance = ${name}`);
  const next = topology.findIndex((l, k) => k > start && l.startsWith(' VRRP Instance = '));
  return topology.slice(start, next < 0 ? undefined : next);
}

describe.runIf(isRoot() && haveKeepalived())('config errors keepalived runs past: ours ends where keepalived does (root)', () => {
  it('an instance in two sync groups stays in the first; the second goes on without it', async () => {
    expect(distBuilt()).toBe(true);
    const run = await runBoth('fsg', join(dir, 'sg'), TWO_GROUPS, ['VI_1', 'VI_2', 'VI_3']);
    runs.push(run);
    const line = 'Virtual router VI_1 cannot exist in more than one sync group; ignoring G2';
    expect(run.ka.out()).toContain(line);
    expect(run.ours.out()).toContain(line);
    const [a, b] = (await run.data()).map(sections);
    const groups = b.get('VRRP Sync groups')!;
    expect(groups).toEqual([
      ' VRRP Sync Group = G1, MASTER', '   Num member fault 0, num member init 0', '   VRRP member instances :', '     VI_1', '     VI_2',
      '   Using smtp notification = no',
      ' VRRP Sync Group = G2, MASTER', '   Num member fault 0, num member init 0', '   VRRP member instances :', '     VI_3',
      '   Using smtp notification = no',
    ]);
    expect(a.get('VRRP Sync groups')).toEqual(groups);
    for (const n of ['VI_1', 'VI_2', 'VI_3']) expect(instanceBlock(a.get('VRRP Topology')!, n), n).toEqual(instanceBlock(b.get('VRRP Topology')!, n));
  }, 120_000);

  it('unicast peers and a source of the other family are skipped, the rest runs', async () => {
    expect(distBuilt()).toBe(true);
    const run = await runBoth('fpf', join(dir, 'pf'), MIXED_PEERS, ['VI_1', 'VI_2']);
    runs.push(run);
    for (const line of [
      'Configuration error: VRRP instance[VI_1] and unicast peer address[2001:db8::2] MUST be of the same family !!! Skipping...',
      'Configuration error: VRRP instance[VI_2] and src address[2001:db8::1] MUST be of the same family !!! Skipping...',
    ]) {
      expect(run.ka.out()).toContain(line);
      expect(run.ours.out()).toContain(line);
    }
    const [a, b] = (await run.data()).map(sections);
    const vi1 = instanceBlock(b.get('VRRP Topology')!, 'VI_1');
    expect(vi1.slice(vi1.indexOf('   Unicast Peer :'), vi1.indexOf('   Unicast Peer :') + 3)).toEqual([
      '   Unicast Peer :', '     192.0.2.2 min_ttl 0 max_ttl 255', '     192.0.2.3 min_ttl 0 max_ttl 255',
    ]);
    expect(instanceBlock(b.get('VRRP Topology')!, 'VI_2')).toContain('   Using src_ip = 192.0.2.1');
    for (const n of ['VI_1', 'VI_2']) expect(instanceBlock(a.get('VRRP Topology')!, n), n).toEqual(instanceBlock(b.get('VRRP Topology')!, n));
    expect(a.get('VRRP Sockpool')).toEqual(b.get('VRRP Sockpool'));
  }, 120_000);
});
