// virtual_routes / virtual_rules / static_* end to end: our daemon and keepalived 2.2.7 as peers in
// network namespaces. Routes and rules are read back with `ip route` / `ip -6 route` / `ip rule` in
// our node's namespace: present while ours is MASTER, gone when it leaves MASTER and at stop; static
// entries from start to stop. `keepalived -t` accepts the configs used.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type Daemon, KEEPALIVED_BIN, ROOT, until } from '../helpers/cluster.js';
import { ip, isRoot } from '../helpers/netns.js';
import { cli, stateOf } from './lab.js';

const VIP = '192.0.2.100';

function conf(priority: number, withRoutes: boolean): string {
  const routes = withRoutes
    ? ` virtual_routes {
  198.51.100.0/24 via 192.0.2.254 dev veth0 table 100 metric 20
  blackhole 203.0.113.0/25 table 100 no_track
  2001:db8:1::/48 via 2001:db8::fe dev veth0
 }
 virtual_rules {
  from 192.0.2.100 table 100 priority 100
  from 2001:db8::100 table 100 priority 101
 }
`
    : '';
  const statics = withRoutes
    ? `static_ipaddress {
 198.51.100.77/32 dev lo
}
static_routes {
 203.0.113.128/25 via 192.0.2.254 dev veth0 table 200
}
static_rules {
 fwmark 7 table 200 priority 50
}
`
    : '';
  return `global_defs {
 router_id n${priority}
 vrrp_garp_master_delay 0
}
${statics}vrrp_instance VI_1 {
 interface veth0
 state BACKUP
 virtual_router_id 51
 priority ${priority}
 advert_int 0.2
 version 3
 virtual_ipaddress {
  ${VIP}/24
 }
${routes}}
`;
}

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('virtual routes/rules and static_* against keepalived 2.2.7 (root)', () => {
  let c: Cluster;
  let A: Daemon; // ours, node 0, priority 150, with routes
  let K: Daemon; // keepalived, node 1, priority 100
  const ns0 = () => c.nodes[0]!.ns;
  /** `ip route show table N`; '' for a table that does not exist (yet, or any more). */
  const table = (ns: string, t: string): string => {
    const r = spawnSync('ip', ['-n', ns, 'route', 'show', 'table', t], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : '';
  };
  const table100 = () => table(ns0(), '100');
  const main6 = () => ip('-n', ns0(), '-6', 'route', 'show');
  const rules = () => ip('-n', ns0(), 'rule', 'show') + ip('-n', ns0(), '-6', 'rule', 'show');
  const virtualPresent = () => /198\.51\.100\.0\/24 via 192\.0\.2\.254 dev veth0 proto keepalived metric 20/.test(table100())
    && /blackhole 203\.0\.113\.0\/25 proto keepalived/.test(table100())
    && /2001:db8:1::\/48 via 2001:db8::fe dev veth0 proto keepalived/.test(main6())
    && /100:\s+from 192\.0\.2\.100 lookup 100 proto keepalived/.test(rules())
    && /101:\s+from 2001:db8::100 lookup 100 proto keepalived/.test(rules());
  const virtualGone = () => table100() === '' && !/2001:db8:1::/.test(main6()) && !/^10[01]:/m.test(rules());
  const staticsPresent = () => /203\.0\.113\.128\/25 via 192\.0\.2\.254 dev veth0 proto keepalived/.test(table(ns0(), '200'))
    && /50:\s+from all fwmark 0x7 lookup 200 proto keepalived/.test(rules())
    && /198\.51\.100\.77\/32/.test(ip('-n', ns0(), 'addr', 'show', 'dev', 'lo'));

  beforeAll(async () => {
    expect(existsSync(`${ROOT}/dist/src/daemon/runtime-routes.js`)).toBe(true);
    c = new Cluster(2, 'r');
    K = c.start('keepalived', 1, conf(100, false));
    A = c.start('ours', 0, conf(150, true));
  });
  afterAll(async () => {
    await c?.dispose();
  });

  it('keepalived -t accepts the configuration', () => {
    for (const text of [conf(150, true), conf(100, false)]) {
      const f = `${c.dir}/t-${text.length}.conf`;
      spawnSync('sh', ['-c', `cat > ${f}`], { input: text });
      const r = spawnSync('ip', ['netns', 'exec', ns0(), KEEPALIVED_BIN, '-t', '-f', f], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
  });

  it('static_* are set at start; routes and rules appear when ours becomes MASTER', async () => {
    await until('ours MASTER with the VIP', async () => (await stateOf(A)) === 'MASTER' && c.holders(VIP).join() === '0', 40_000);
    await until('static entries', () => staticsPresent(), 10_000);
    await until('virtual routes and rules', () => virtualPresent(), 10_000);
    // The peer, without routes, holds none of them.
    expect(table(c.nodes[1]!.ns, '100')).toBe('');
  });

  it('leaving MASTER (demote: keepalived takes over) removes them; static_* stay', async () => {
    const r = await cli(A.ns, ['demote', 'VI_1', '--socket', A.sock, '--wait', '20']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await until('keepalived MASTER, ours BACKUP', async () => (await stateOf(A)) === 'BACKUP' && (await stateOf(K)) === 'MASTER' && c.holders(VIP).join() === '1', 20_000);
    await until('virtual routes and rules gone', () => virtualGone(), 10_000);
    expect(staticsPresent()).toBe(true);
    const back = await cli(A.ns, ['clear', 'VI_1', '--socket', A.sock, '--wait', '20']);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    await until('ours MASTER again (preempts with 150)', async () => (await stateOf(A)) === 'MASTER' && c.holders(VIP).join() === '0', 20_000);
    await until('virtual routes and rules back', () => virtualPresent(), 10_000);
  });

  it('a tracked virtual route deleted by hand takes ours straight to BACKUP (no FAULT) with priority 0; it comes back and re-adds it', async () => {
    const from = A.out().length;
    const kFrom = K.out().length;
    ip('-n', ns0(), 'route', 'del', '198.51.100.0/24', 'table', '100');
    await until('ours noticed the deletion', () => /\(VI_1\) virtual route 198\.51\.100\.0\/24 .* was deleted; leaving MASTER state/.test(A.out().slice(from)), 10_000);
    await until('ours MASTER again with the route', async () => (await stateOf(A)) === 'MASTER' && virtualPresent(), 20_000);
    // keepalived's set_vrrp_backup: MASTER -> BACKUP -> MASTER, never FAULT; the peer hears priority 0.
    const after = A.out().slice(from);
    expect(after).toMatch(/\(VI_1\) Entering BACKUP STATE[\s\S]*\(VI_1\) Entering MASTER STATE/);
    expect(after).not.toMatch(/FAULT/);
    await until('keepalived heard priority 0', () => /\(VI_1\) Backup received priority 0 advertisement/.test(K.out().slice(kFrom)), 10_000);
  });

  it('a deleted static route is restored', async () => {
    ip('-n', ns0(), 'route', 'del', '203.0.113.128/25', 'table', '200');
    await until('ours logged the restore', () => /Restoring deleted static route 203\.0\.113\.128\/25/.test(A.out()), 10_000);
    await until('static route restored', () => staticsPresent(), 10_000);
  });

  it('stop removes the virtual routes/rules and the static entries', async () => {
    const r = await c.stop(A);
    expect(r.code).toBe(0);
    expect(virtualGone()).toBe(true);
    expect(table(ns0(), '200')).toBe('');
    expect(rules()).not.toMatch(/^50:/m);
    expect(ip('-n', ns0(), 'addr', 'show', 'dev', 'lo')).not.toMatch(/198\.51\.100\.77/);
    await until('keepalived takes the VIP', async () => (await stateOf(K)) === 'MASTER', 20_000);
  });
});
