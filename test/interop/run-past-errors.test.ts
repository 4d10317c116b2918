// Ours and keepalived 2.2.7 start one config with errors keepalived runs past (priority out of range
// or not a number, advert_int out of range, an unknown keyword, an undefined track_script, a
// virtual_server without lb_algo/lb_kind) and end in the same state: every instance MASTER (each
// alone on its VRIDs) advertising the same fallback priorities every second. Ours is judged by its
// status and its adverts, keepalived by its log and its adverts (one capture of both nodes).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capture, Cluster, type Daemon, KEEPALIVED_BIN, ROOT, sleep, until } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { loggedState, status } from './lab.js';

/** The instances: name, the lines with errors, and the priority keepalived's fallback gives. */
const INSTANCES = [
  { name: 'VI_1', lines: ['priority 300'], prio: 100 },
  { name: 'VI_2', lines: ['priority high'], prio: 100 },
  { name: 'VI_3', lines: ['priority 80', 'advert_int 300'], prio: 80 },
  { name: 'VI_4', lines: ['priority 90', 'priorty 10', 'track_script {', '  nosuch', '}'], prio: 90 },
];

function conf(vridBase: number): string {
  const out: string[] = ['global_defs {', '  router_id rpe', '}'];
  INSTANCES.forEach((vi, k) => {
    const vrid = vridBase + k;
    out.push(`vrrp_instance ${vi.name} {`, '  state BACKUP', '  interface veth0', `  virtual_router_id ${vrid}`, ...vi.lines.map((l) => `  ${l}`),
      '  virtual_ipaddress {', `    192.0.2.${100 + vrid}/24`, '  }', '}');
  });
  // keepalived -P never reads it; ours must not refuse to start over it (wlc/NAT fallback).
  out.push('virtual_server 203.0.113.10 80 {', '  protocol TCP', '  real_server 198.51.100.1 80 {', '    weight 1', '  }', '}', '');
  return out.join('\n');
}

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('run past config errors: ours and keepalived 2.2.7 end in the same state (root)', () => {
  let c: Cluster;
  let A: Daemon; // ours, node 0, VRIDs 51..
  let K: Daemon; // keepalived, node 1, VRIDs 61..
  let cap: Capture;

  beforeAll(async () => {
    expect(existsSync(`${ROOT}/dist/src/daemon/vrrp-child.js`)).toBe(true);
    c = new Cluster(2, 'rpe');
    cap = await c.capture('ip proto 112');
    K = c.start('keepalived', 1, conf(61));
    A = c.start('ours', 0, conf(51));
  }, 60_000);
  afterAll(async () => {
    await c?.dispose();
  });

  it('both run every instance as MASTER with keepalived\'s fallback priorities and a 1 s advert interval', async () => {
    await until('every instance MASTER in both', async () => {
      const st = await status(A);
      return INSTANCES.every((vi) => st?.instances.find((i) => i.name === vi.name)?.state === 'MASTER' && loggedState(K.out(), vi.name) === 'MASTER');
    }, 40_000, 200);
    const since = Capture.now();
    await sleep(4500);
    const st = await status(A);
    INSTANCES.forEach((vi, k) => {
      const ours = st!.instances.find((i) => i.name === vi.name)!;
      expect(ours.priority.configured, vi.name).toBe(vi.prio);
      expect(ours.advertIntMs, vi.name).toBe(1000);
      for (const [node, vrid] of [[0, 51 + k], [1, 61 + k]] as const) {
        const adverts = cap.from(node, 'vrrp', since).filter((f) => f.vrid === vrid);
        expect(new Set(adverts.map((f) => f.prio)), `${vi.name} node ${node}`).toEqual(new Set([vi.prio]));
        // One a second (not one every 300 s): 3 to 6 in 4.5 s on a loaded machine.
        expect(adverts.length, `${vi.name} node ${node}`).toBeGreaterThanOrEqual(3);
        expect(adverts.length, `${vi.name} node ${node}`).toBeLessThanOrEqual(6);
      }
    });
    // Each logs the errors it ran past once, in keepalived's words.
    expect(A.out().match(/Priority not valid! must be between 1 & 255\. Using default 100/g)?.length).toBe(2);
    expect(K.out().match(/Priority not valid! must be between 1 & 255\. Using default 100/g)?.length).toBe(2);
    expect(A.out()).toContain("Unknown keyword 'priorty'");
    expect(K.out()).toContain("Unknown keyword 'priorty'");
    expect(A.out()).toMatch(/no scheduler set, setting default 'wlc'/);
    expect(A.proc.exitCode).toBeNull();
    expect(K.proc.exitCode).toBeNull();
  }, 90_000);
});
