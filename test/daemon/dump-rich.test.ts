// keepalived.data for a config with most of what the VRRP side dumps: vrrp_script, track_file,
// vrrp_track_process, notify scripts (instance and sync group, one with its own user), static
// address and route, virtual routes and rules, use_vmac, unicast. Our daemon and keepalived 2.2.7
// each run it in a namespace (dump-compare.ts); every section keepalived writes must be in ours,
// in the same order, line for line (times, fds, random MACs masked), the test naming the section.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveKeepalived } from '../helpers/oracle.js';
import { isRoot } from '../helpers/netns.js';
import { type BothRun, runBoth, sections } from './dump-compare.js';
import { distBuilt, until } from './dump-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'kadrich-'));
const trackFile = join(dir, 'tf1');

const CONF = `global_defs {
  router_id rich1
  enable_script_security
  script_user root
  rs_init_notifies
}
vrrp_script chk_a {
  script "/bin/true"
  interval 1
  weight -20
  rise 2
  fall 3
}
track_file tf1 {
  file "${trackFile}"
  weight 5
}
vrrp_track_process tp1 {
  process kadump-no-such-process
  weight 3
  quorum 1
  delay 1
}
static_ipaddress {
  198.51.100.5/24 dev veth0
}
static_routes {
  203.0.113.0/24 via 192.0.2.254 dev veth0
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
  notify_master "/bin/echo gmaster"
  notify "/bin/echo gnotify"
  track_script {
    chk_a
  }
}
vrrp_instance VI_1 {
  state MASTER
  interface veth0
  virtual_router_id 51
  priority 150
  advert_int 1
  use_vmac
  authentication {
    auth_type PASS
    auth_pass secret1
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.99
  }
  virtual_routes {
    203.0.113.128/25 via 192.0.2.254 dev veth0
  }
  track_script {
    chk_a
  }
  track_process {
    tp1
  }
  notify_master "/bin/echo master"
  notify_backup "/bin/echo backup"
  notify_fault "/bin/echo fault"
  notify_stop "/bin/echo stop"
  notify "/bin/echo notify"
}
vrrp_instance VI_6 {
  state BACKUP
  interface veth0
  virtual_router_id 52
  priority 100
  version 3
  advert_int 1
  nopreempt
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.101/24 dev veth0
  }
  track_script {
    chk_a weight 4
  }
  track_file {
    tf1
  }
  virtual_rules {
    from 192.0.2.101 table 100
  }
  notify_master "/bin/echo six" root
}
`;

/** IPv6 with excluded VIPs of both families, typed / untracked / IPv6 virtual routes, rules, a
 * reverse-weighted script, a weighted tracked interface, dont_track_primary, label/brd/scope VIPs. */
const CONF6 = `global_defs {
  router_id rich6
  vrrp_garp_master_delay 3
  lvs_flush
  smtp_alert off
}
vrrp_script chk_b {
  script "/bin/true"
  interval 1
  timeout 3
  weight 10 reverse
}
vrrp_instance VI_6 {
  state BACKUP
  interface veth0
  virtual_router_id 71
  priority 120
  advert_int 1
  preempt_delay 2
  track_interface {
    kap0 weight 10
  }
  track_script {
    chk_b
  }
  virtual_ipaddress {
    2001:db8::100/64
    2001:db8::101
  }
  virtual_ipaddress_excluded {
    192.0.2.150/24
    2001:db8::102/64
  }
  virtual_routes {
    2001:db8:5::/64 via 2001:db8::254 dev veth0
    blackhole 198.51.100.0/24
    198.51.100.128/25 via 192.0.2.254 metric 5 table 100 no_track
  }
  virtual_rules {
    from 2001:db8::100 table 101
    to 198.51.100.0/24 lookup 102 priority 100
  }
  notify_deleted "/bin/echo deleted"
  notify_master_rx_lower_pri "/bin/echo lower"
}
vrrp_instance VI_7 {
  state BACKUP
  interface veth0
  virtual_router_id 72
  priority 100
  advert_int 1
  dont_track_primary
  garp_master_refresh 30
  virtual_ipaddress {
    192.0.2.160/24 brd 192.0.2.255 label veth0:1
    192.0.2.161 dev veth0 scope link
  }
}
`;

/** keepalived.json of both: the same instances with the same fields and values (less times and counters). */
async function compareJson(run: BothRun): Promise<Record<string, unknown>[]> {
  type Item = { data: Record<string, unknown>; stats: Record<string, number> };
  const [a, b] = (await run.json()).map((t) => JSON.parse(t) as Item[]);
  const stable = (i: Item) => ({ ...i.data, last_transition: 0 });
  for (const [k, item] of b.entries()) expect(stable(a[k]!), String(item.data.iname)).toEqual(stable(item));
  expect(a.length).toBe(b.length);
  return b.map((i) => i.data);
}

/** vmacs of both families (one with vmac_xmit_base), static rule and IPv6 address, rules with priorities. */
const CONF_VMAC = `global_defs {
  router_id rich4
}
static_rules {
  fwmark 7 table 200 priority 50
}
static_ipaddress {
  2001:db8::50/64 dev veth0
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 91
  priority 150
  advert_int 1
  use_vmac
  vmac_xmit_base
  virtual_ipaddress {
    192.0.2.191/24
  }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev veth0 table 100 metric 20
  }
  virtual_rules {
    from 192.0.2.191 table 100 priority 100
  }
}
vrrp_instance VI_6 {
  state BACKUP
  interface veth0
  virtual_router_id 92
  priority 150
  advert_int 1
  use_vmac
  virtual_ipaddress {
    2001:db8::192/64
  }
  virtual_rules {
    from 2001:db8::192 table 100 priority 101
  }
}
`;

/** A failing weight-0 script and a tracked interface in a sync group: the member with the fault and
 * the one in FAULT through the group count differently. */
const CONF_FAULT = `global_defs {
  router_id rich7
}
vrrp_script chk_bad {
  script "/bin/false"
  interval 1
  weight 0
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 97
  priority 150
  advert_int 1
  track_script {
    chk_bad
  }
  track_interface {
    kap0
  }
  virtual_ipaddress {
    192.0.2.197/24
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface veth0
  virtual_router_id 98
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.198/24
  }
}
`;

/** Every section of ours against keepalived's, naming the section that differs. */
function compareSections(ours: Map<string, string[]>, theirs: Map<string, string[]>): void {
  expect([...ours.keys()]).toEqual([...theirs.keys()]);
  for (const [name, lines] of theirs) {
    const mine = ours.get(name) ?? [];
    const mask = (ls: string[]) => (name === 'Global definitions' ? ls.map((l) => l.replace(/^ Router ID = .*/, ' Router ID')) : ls);
    expect(mask(mine), `section "${name}"`).toEqual(mask(lines));
  }
}

describe.runIf(isRoot() && haveKeepalived())('keepalived.data for rich VRRP configs against keepalived 2.2.7 (root)', () => {
  const runs: BothRun[] = [];
  afterAll(async () => {
    for (const r of runs) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every section and line keepalived writes, in its order (less times, fds, random MACs)', async () => {
    expect(distBuilt()).toBe(true);
    writeFileSync(trackFile, '0\n');
    const run = await runBoth('drc', join(dir, 'v4'), CONF, ['VI_1', 'VI_6']);
    runs.push(run);
    // The script's result climbs to rise + fall - 1 after its first runs: dump until both show it, idle.
    let ours = new Map<string, string[]>();
    let theirs = new Map<string, string[]>();
    await until('chk_a settled in both dumps', async () => {
      const [a, b] = await run.data();
      ours = sections(a);
      theirs = sections(b);
      // A dump that catches a script mid-run says "State = running": a moment, not a difference.
      const idle = (x: Map<string, string[]>) => x.get('VRRP Scripts')?.includes('   State = idle') ?? false;
      return [ours, theirs].every((x) => (x.get('VRRP Scripts')?.includes('   Result = 4') ?? false) && idle(x));
    }, 30_000, 1000);
    compareSections(ours, theirs);
    // What the comparison covered (so that a config keepalived rejected could not pass by being empty).
    expect([...theirs.keys()]).toEqual(['Global definitions', 'Static Addresses', 'Static Routes', 'VRRP Topology', 'VRRP Sockpool',
      'VRRP Sync groups', 'VRRP Scripts', 'VRRP Track files', 'VRRP Track processes', 'Interfaces']);
    expect(theirs.get('Global definitions')).toContain(' rs_init_notifies = 1');
    const json = await compareJson(run);
    expect(json[0]).toMatchObject({ vmac_ifname: 'vrrp.51', script_master: "'/usr/bin/echo' 'master'" });
    expect(json[1]).toMatchObject({ track_script: ["'/usr/bin/true'"], vrules: ['from 192.0.2.101 priority 16384 tos 0x0 protocol 18 lookup 100'] });
    expect(theirs.get('VRRP Topology')).toContain('   Master state transition script = \'/usr/bin/echo\' \'six\', uid:gid 0:0');
  }, 120_000);

  it('IPv6, excluded VIPs, typed and untracked routes, rules, reverse weights, dont_track_primary', async () => {
    const run = await runBoth('drs', join(dir, 'v6'), CONF6, ['VI_6', 'VI_7'], ['2001:db8::1/64']);
    runs.push(run);
    const [a, b] = await run.data();
    const [ours, theirs] = [sections(a), sections(b)];
    compareSections(ours, theirs);
    const topo = theirs.get('VRRP Topology')!;
    // keepalived: weight 10 (kap0 up) and weight 10 reverse (script up) cancel out.
    expect(topo).toContain('   Effective priority = 120');
    expect(topo).toContain('     add blackhole 198.51.100.0/24 proto 18 no_track');
    expect(topo).toContain('     2001:db8::101 dev veth0 scope global deprecated set');
    const json = await compareJson(run);
    expect(Object.keys(json[0]!)).toEqual(expect.arrayContaining(['script_deleted', 'script_master_rx_lower_pri', 'evips', 'vroutes', 'vrules', 'track_ifp', 'track_script']));
  }, 120_000);

  it('vmacs of both families, vmac_xmit_base, static rule and IPv6 address', async () => {
    const run = await runBoth('drv', join(dir, 'vm'), CONF_VMAC, ['VI_1', 'VI_6'], ['2001:db8::1/64']);
    runs.push(run);
    const [a, b] = await run.data();
    const [ours, theirs] = [sections(a), sections(b)];
    compareSections(ours, theirs);
    expect(theirs.get('VRRP Topology')).toContain('   Interface = vrrp.91, vmac on veth0, xmit base i/f');
    // keepalived sets (and counts) the ARP settings for the IPv4 vmac only.
    const ifs = theirs.get('Interfaces')!;
    expect(ifs.slice(ifs.indexOf(' Name = veth0'))).toContain('   Reset ARP config counter 1');
    await compareJson(run);
  }, 120_000);

  it('faults: a failing weight-0 script in a sync group (instance and group fault counts)', async () => {
    const run = await runBoth('drf', join(dir, 'fa'), CONF_FAULT, ['VI_1', 'VI_2'], [], { state: 'FAULT', kaLog: 'VRRP_Group(G) Syncing instances to FAULT state' });
    runs.push(run);
    const [a, b] = await run.data();
    const [ours, theirs] = [sections(a), sections(b)];
    compareSections(ours, theirs);
    expect(theirs.get('VRRP Topology')!.filter((l) => l.includes('track script faults'))).toEqual([
      '   Number of interface and track script faults = 1', '   Number of interface and track script faults = 0',
    ]);
    expect(theirs.get('VRRP Sync groups')).toContain('   Num member fault 1, num member init 0');
  }, 120_000);
});
