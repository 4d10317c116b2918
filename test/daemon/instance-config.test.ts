import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan, fsmConfig, IF_TRACK_PREFIX, OPERATOR_FAULT_PREFIX } from '../../src/daemon/instance-config.js';
import { createNode } from '../../src/vrrp/fsm.js';

const SAMPLES = join(__dirname, '..', '..', '..', 'shared', 'keepalived-samples');
const withVrrp = readdirSync(SAMPLES).filter((f) => readFileSync(join(SAMPLES, f), 'utf8').includes('vrrp_instance'));

const plan = (text: string) => buildVrrpPlan(loadConfigText(text, 'test.conf').model);

describe('instance config mapping on keepalived samples', () => {
  it('has samples', () => expect(withVrrp.length).toBeGreaterThanOrEqual(10));

  it.each(withVrrp)('%s maps without throwing into a node the state machine accepts', (f) => {
    const { model } = loadConfig(join(SAMPLES, f), { configId: 'test' });
    const p = buildVrrpPlan(model);
    expect(p.instances.length).toBe(model.instances.filter((i) => i.vrid !== undefined).length);
    for (const i of p.instances) {
      expect(i.vrid).toBeGreaterThanOrEqual(1);
      expect(i.vrid).toBeLessThanOrEqual(255);
      expect([4, 6]).toContain(i.family);
      expect(i.ifname).toMatch(/^\S+$/);
      expect(i.fsm.advertIntUs).toBeGreaterThan(0);
      expect(i.check.advertIntervalCs).toBe(Math.round(i.fsm.advertIntUs! / 10_000));
      for (const v of i.vips) expect(v.prefix).toBeLessThanOrEqual(v.family === 4 ? 32 : 128);
      expect(i.vips.filter((v) => v.advertised).map((v) => v.addr)).toEqual(i.fsm.vips);
    }
    const primary = (fam: 4 | 6) => (fam === 4 ? '192.0.2.1' : 'fe80::1');
    const node = createNode({ instances: p.instances.map((i) => fsmConfig(i, primary(i.family))), syncGroups: p.syncGroups });
    if (!node.ok) {
      // Only a VRID clash on one interface (a sample quirk) may stop a node; never a mapping error.
      for (const issue of node.issues.filter((x) => x.severity === 'error')) expect(issue.message).toMatch(/already used/);
    }
  });
});

describe('instance config mapping details', () => {
  it('maps priorities, timers, auth, garp defaults from global_defs, and tracks', () => {
    const p = plan(`
global_defs {
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_garp_interval 0.01
  vrrp_gna_interval 0.02
}
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 7
  priority 150
  advert_int 2
  nopreempt
  garp_master_repeat 4
  authentication {
    auth_type PASS
    auth_pass secret123
  }
  track_interface {
    veth1 weight -20
    veth0
  }
  virtual_ipaddress {
    192.0.2.100/24 dev veth0 label veth0:vip brd 192.0.2.255
    192.0.2.101
    2001:db8::100/64
  }
  virtual_ipaddress_excluded {
    198.51.100.7/32 dev veth1
  }
}`);
    expect(p.instances).toHaveLength(1);
    const i = p.instances[0];
    expect(i).toMatchObject({ name: 'VI_1', ifname: 'veth0', family: 4, version: 2, vrid: 7, garpIntervalUs: 10_000, gnaIntervalUs: 20_000 });
    expect(i.fsm).toMatchObject({
      priority: 150, advertIntUs: 2_000_000, state: 'BACKUP', nopreempt: true, garpMasterDelayUs: 2_000_000, garpMasterRepeat: 4,
      authType: 'pass', authData: 'secret12', vips: ['192.0.2.100', '192.0.2.101'],
    });
    expect(i.check).toMatchObject({ authType: 'pass', authPass: 'secret12', advertIntervalCs: 200, vips: ['192.0.2.100', '192.0.2.101'] });
    expect(i.vips).toEqual([
      { ifname: 'veth0', family: 4, addr: '192.0.2.100', prefix: 24, label: 'veth0:vip', brd: '192.0.2.255', advertised: true },
      { ifname: 'veth0', family: 4, addr: '192.0.2.101', prefix: 32, advertised: true },
      { ifname: 'veth1', family: 4, addr: '198.51.100.7', prefix: 32, advertised: false },
    ]);
    expect(p.issues.some((x) => x.message.includes('2001:db8::100') && x.message.includes('skipped'))).toBe(true);
    expect(i.tracks).toEqual([
      { ifname: 'veth0', weight: 0, reverse: false, own: true },
      { ifname: 'veth1', weight: -20, reverse: false, own: false },
    ]);
    expect(i.fsm.tracks?.map((t) => t.name)).toEqual([`${IF_TRACK_PREFIX}veth0`, `${IF_TRACK_PREFIX}veth1`, `${OPERATOR_FAULT_PREFIX}VI_1`]);
  });

  it('IPv6 defaults to VRRPv3, unicast peers and source, sync groups, missing vrid', () => {
    const p = plan(`
vrrp_sync_group G1 {
  group {
    V6
    U4
  }
}
vrrp_instance V6 {
  interface veth0
  virtual_router_id 9
  advert_int 0.5
  virtual_ipaddress {
    2001:db8::9
  }
}
vrrp_instance U4 {
  interface veth0
  virtual_router_id 10
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2 min_ttl 250
  }
  virtual_ipaddress {
    192.0.2.10
  }
}
vrrp_instance NOVRID {
  interface veth0
}`);
    const [v6, u4] = p.instances;
    expect(v6).toMatchObject({ family: 6, version: 3, fsm: { advertIntUs: 500_000 }, check: { advertIntervalCs: 50 }, syncGroup: 'G1' });
    expect(v6.vips[0]).toMatchObject({ nodad: true, prefix: 128 });
    expect(u4).toMatchObject({ family: 4, version: 2, srcAddr: '192.0.2.1', unicastPeers: [{ addr: '192.0.2.2', minTtl: 250 }] });
    expect(p.syncGroups).toEqual([{ name: 'G1', members: ['V6', 'U4'] }]);
    expect(p.instances.map((i) => i.name)).not.toContain('NOVRID');
    expect(p.issues.some((x) => x.where.startsWith('NOVRID'))).toBe(true);
  });
});
