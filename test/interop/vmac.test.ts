// use_vmac end to end: our daemon (use_vmac) and keepalived 2.2.7 (use_vmac) as peers in network
// namespaces. The master's VIP answers ARP from a third namespace with the VRRP MAC
// 00:00:5e:00:01:VRID (iputils arping in the observer), its adverts leave from that MAC, the VIP lives
// on vrrp.VRID, and the vmac is gone after our daemon stops.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Capture, Cluster, type Daemon, KEEPALIVED_BIN, ROOT, until } from '../helpers/cluster.js';
import { ip, isRoot } from '../helpers/netns.js';
import { cli, stateOf } from './lab.js';

const VIP = '192.0.2.100';
const VRID = 51;
const VMAC = '00:00:5e:00:01:33';

function conf(priority: number, extra = ''): string {
  return `global_defs {
 router_id n${priority}
 vrrp_garp_master_delay 0
}
vrrp_instance VI_1 {
 interface veth0
 state BACKUP
 virtual_router_id ${VRID}
 priority ${priority}
 advert_int 0.2
 version 3
 use_vmac
${extra} virtual_ipaddress {
  ${VIP}/24
 }
}
`;
}

/** arping from the observer: the MACs that answered for `addr`. */
function arpingMacs(ns: string, addr: string): string[] {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'arping', '-c', '3', '-w', '5', '-I', 'veth0', addr], { encoding: 'utf8', timeout: 15_000 });
  return [...r.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
}

const linkNames = (ns: string): string[] => (JSON.parse(ip('-n', ns, '-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname);

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN) && existsSync('/usr/bin/arping'))('use_vmac against keepalived 2.2.7 (root)', () => {
  let c: Cluster;
  let A: Daemon; // ours, node 0, priority 150
  let K: Daemon; // keepalived, node 1, priority 100
  let cap: Capture;

  beforeAll(async () => {
    expect(existsSync(`${ROOT}/dist/src/net/vmac.js`)).toBe(true);
    c = new Cluster(2, 'v');
    cap = await c.capture('ip proto 112 or arp');
    K = c.start('keepalived', 1, conf(100));
    A = c.start('ours', 0, conf(150));
  });
  afterAll(async () => {
    await c?.dispose();
  });

  it('keepalived -t accepts the configurations', () => {
    for (const [k, text] of [conf(150), conf(150, ' vmac_xmit_base\n'), conf6(150)].entries()) {
      const f = `${c.dir}/t${k}.conf`;
      spawnSync('sh', ['-c', `cat > ${f}`], { input: text });
      const r = spawnSync('ip', ['netns', 'exec', c.nodes[0]!.ns, KEEPALIVED_BIN, '-t', '-f', f], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
  });

  it('ours is MASTER with the VIP on vrrp.51 (a private macvlan with the VRRP MAC)', async () => {
    const ns = c.nodes[0]!.ns;
    await until('ours MASTER', async () => (await stateOf(A)) === 'MASTER', 40_000);
    await until('VIP on vrrp.51', () => /192\.0\.2\.100\/24/.test(ip('-n', ns, 'addr', 'show', 'dev', 'vrrp.51')), 10_000);
    const link = (JSON.parse(ip('-n', ns, '-j', '-d', 'link', 'show', 'vrrp.51')) as { address: string; link: string; linkinfo: { info_kind: string; info_data: { mode: string } } }[])[0]!;
    expect(link).toMatchObject({ address: VMAC, link: 'veth0', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } } });
    expect(c.addrs(0)).not.toContain(VIP); // not on veth0 itself
  });

  it('the VIP answers ARP from a third namespace with 00:00:5e:00:01:33, and adverts leave from it', async () => {
    const macs = arpingMacs(c.obs.ns, VIP);
    expect(macs.length).toBeGreaterThan(0);
    expect(new Set(macs)).toEqual(new Set([VMAC]));
    await until('an advert from the VRRP MAC', () => cap.frames().some((f) => f.kind === 'vrrp' && f.srcMac === VMAC && f.prio === 150), 10_000);
    // Nothing of ours goes out with veth0's own MAC any more once MASTER.
    const t0 = Date.now() / 1000;
    await until('a few more adverts', () => cap.frames().filter((f) => f.kind === 'vrrp' && f.t > t0).length >= 3, 10_000);
    expect(cap.from(0, 'vrrp', t0)).toEqual([]);
  });

  it('when keepalived takes over, its vmac answers; ours keeps its vmac (down to BACKUP, no VIP)', async () => {
    const r = await cli(A.ns, ['demote', 'VI_1', '--socket', A.sock, '--wait', '20']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await until('keepalived MASTER', async () => (await stateOf(K)) === 'MASTER' && (await stateOf(A)) === 'BACKUP', 20_000);
    await until('VIP on keepalived vrrp.51', () => /192\.0\.2\.100\/24/.test(ip('-n', c.nodes[1]!.ns, 'addr', 'show', 'dev', 'vrrp.51')), 10_000);
    expect(ip('-n', c.nodes[0]!.ns, 'addr', 'show', 'dev', 'vrrp.51')).not.toMatch(/192\.0\.2\.100/);
    expect(new Set(arpingMacs(c.obs.ns, VIP))).toEqual(new Set([VMAC]));
  });

  it('the vmac is gone after our daemon stops', async () => {
    expect(linkNames(c.nodes[0]!.ns)).toContain('vrrp.51');
    const r = await c.stop(A);
    expect(r.code).toBe(0);
    expect(linkNames(c.nodes[0]!.ns)).not.toContain('vrrp.51');
    // keepalived's own is untouched.
    expect(linkNames(c.nodes[1]!.ns)).toContain('vrrp.51');
  });
});

const VIP6 = '2001:db8::100';
const VMAC6 = '00:00:5e:00:02:34';

function conf6(priority: number): string {
  return `global_defs {
 router_id n${priority}
 vrrp_garp_master_delay 0
}
vrrp_instance VI_6 {
 interface veth0
 state BACKUP
 virtual_router_id 52
 priority ${priority}
 advert_int 0.2
 use_vmac
 virtual_ipaddress {
  ${VIP6}/64
 }
}
`;
}

describe.runIf(isRoot() && existsSync(KEEPALIVED_BIN))('use_vmac over IPv6 against keepalived 2.2.7 (root)', () => {
  let c: Cluster;
  let A: Daemon;
  let K: Daemon;
  let cap: Capture;

  beforeAll(async () => {
    c = new Cluster(2, 'w');
    cap = await c.capture('ip6 proto 112 or icmp6');
    K = c.start('keepalived', 1, conf6(100));
    A = c.start('ours', 0, conf6(150));
  });
  afterAll(async () => {
    await c?.dispose();
  });

  it('ours is MASTER, the VIP is on vrrp.52; adverts (from the base link-local address) and NAs leave from 00:00:5e:00:02:34', async () => {
    const ns = c.nodes[0]!.ns;
    await until('ours MASTER', async () => (await stateOf(A, 'VI_6')) === 'MASTER', 40_000);
    await until('VIP on vrrp.52', () => /2001:db8::100\/64/.test(ip('-n', ns, '-6', 'addr', 'show', 'dev', 'vrrp.52')), 10_000);
    const ll = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(ip('-n', ns, '-6', 'addr', 'show', 'dev', 'veth0'))?.[1] as string;
    expect(ll).toMatch(/^fe80::/);
    expect(ip('-n', ns, '-6', 'addr', 'show', 'dev', 'vrrp.52')).toContain(ll);
    await until('an advert from the VRRP MAC', () => cap.frames().some((f) => f.kind === 'vrrp' && f.srcMac === VMAC6 && f.prio === 150 && f.line.includes(ll)), 10_000);
    // The unsolicited neighbour advertisement for the VIP comes from the virtual MAC too.
    await until('an NA for the VIP from the VRRP MAC', () => cap.frames().some((f) => f.kind === 'na' && f.addr === VIP6 && f.srcMac === VMAC6), 10_000);
    expect(cap.frames().filter((f) => f.kind === 'na' && f.addr === VIP6 && f.srcMac !== VMAC6)).toEqual([]);
  });

  it('both hear each other through their vmacs: keepalived takes over on demote', async () => {
    const r = await cli(A.ns, ['demote', 'VI_6', '--socket', A.sock, '--wait', '20']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await until('keepalived MASTER, ours BACKUP', async () => (await stateOf(K, 'VI_6')) === 'MASTER' && (await stateOf(A, 'VI_6')) === 'BACKUP', 20_000);
    const stopped = await c.stop(A);
    expect(stopped.code).toBe(0);
    expect(linkNames(c.nodes[0]!.ns)).not.toContain('vrrp.52');
  });
});
