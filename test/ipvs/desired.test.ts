import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { type CheckerState, desiredTable, nextQuorum } from '../../src/ipvs/desired.js';
import { netmaskFromV4 } from '../../src/ipvs/genl-codec.js';
import { specsFromConfig } from '../../src/ipvs/spec.js';
import { serviceKey, type Table } from '../../src/ipvs/table.js';

function specs(text: string) {
  const r = specsFromConfig(loadConfigText(text, 'test.conf').model);
  return r;
}
/** 'SERVICE sched -> dest:port fwd weight' lines, to compare whole tables at a glance. */
function show(t: Table): string[] {
  return t.services.flatMap((s) => [
    `${serviceKey(s)} ${s.sched} flags=${s.flags} timeout=${s.timeout} netmask=${s.netmask}${s.peName ? ` pe=${s.peName}` : ''}`,
    ...s.dests.map((d) => `  -> ${d.addr}:${d.port} fwd=${d.fwd} w=${d.weight}${d.tunType || d.tunPort || d.tunFlags ? ` tun=${d.tunType}/${d.tunPort}/${d.tunFlags}` : ''}`),
  ]);
}
const st = (o: Record<string, boolean | [boolean, number]>) =>
  new Map<string, CheckerState>(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? { up: v[0], weight: v[1] } : { up: v }]));

const WEB = `
virtual_server 192.0.2.10 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.1 8080 { weight 3
    TCP_CHECK { connect_timeout 3 } }
  real_server 198.51.100.2 8080 { weight 2
    inhibit_on_failure
    TCP_CHECK { connect_timeout 3 } }
}`;

describe('desired table', () => {
  it('applies keepalived defaults: UDP (no protocol: keepalived sets UDP, as the kernel would), wlc, NAT, weight 1, full netmask', () => {
    const r = specs('virtual_server 192.0.2.10 80 {\n real_server 198.51.100.1 80 {\n }\n}\n');
    expect(r.problems).toEqual([]);
    expect(show(desiredTable({ specs: r.specs }).table)).toEqual([
      'UDP 192.0.2.10:80 wlc flags=0 timeout=0 netmask=4294967295',
      '  -> 198.51.100.1:80 fwd=0 w=1',
    ]);
  });

  it('removes a down server, keeps an inhibited one at weight 0, takes dynamic weights', () => {
    const { specs: sp } = specs(WEB);
    expect(show(desiredTable({ specs: sp }).table).slice(1)).toEqual(['  -> 198.51.100.1:8080 fwd=0 w=3', '  -> 198.51.100.2:8080 fwd=0 w=2']);
    const down = st({ 'TCP 192.0.2.10:80 -> 198.51.100.1:8080': false, 'TCP 192.0.2.10:80 -> 198.51.100.2:8080': false });
    expect(show(desiredTable({ specs: sp, results: down }).table).slice(1)).toEqual(['  -> 198.51.100.2:8080 fwd=0 w=0']);
    const dyn = st({ 'TCP 192.0.2.10:80 -> 198.51.100.1:8080': [true, 9] });
    expect(show(desiredTable({ specs: sp, results: dyn }).table)[1]).toBe('  -> 198.51.100.1:8080 fwd=0 w=9');
  });

  it('alpha: servers with checkers start down until a checker says up', () => {
    const { specs: sp } = specs(WEB.replace('protocol TCP', 'protocol TCP\n  alpha'));
    expect(show(desiredTable({ specs: sp }).table).slice(1)).toEqual(['  -> 198.51.100.2:8080 fwd=0 w=0']);
  });

  it('sorry server: in alone when quorum is lost, out (or weight 0 with sorry_server_inhibit) otherwise', () => {
    const conf = (extra: string) => `virtual_server 192.0.2.20 53 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  quorum 2
  sorry_server 198.51.100.99 5353
  ${extra}
  real_server 198.51.100.21 53 { weight 1
    MISC_CHECK { misc_path /bin/true } }
  real_server 198.51.100.22 53 { weight 1
    inhibit_on_failure
    MISC_CHECK { misc_path /bin/true } }
}`;
    const { specs: sp } = specs(conf(''));
    expect(show(desiredTable({ specs: sp }).table).slice(1)).toEqual(['  -> 198.51.100.21:53 fwd=3 w=1', '  -> 198.51.100.22:53 fwd=3 w=1']);
    const oneDown = st({ 'UDP 192.0.2.20:53 -> 198.51.100.21:53': false });
    // DR keeps the service's port for the sorry server too; the inhibited real server stays at 0.
    expect(show(desiredTable({ specs: sp, results: oneDown }).table).slice(1)).toEqual(['  -> 198.51.100.22:53 fwd=3 w=0', '  -> 198.51.100.99:53 fwd=3 w=1']);
    const { specs: inh } = specs(conf('sorry_server_inhibit'));
    expect(show(desiredTable({ specs: inh }).table).slice(1)).toEqual([
      '  -> 198.51.100.21:53 fwd=3 w=1', '  -> 198.51.100.22:53 fwd=3 w=1', '  -> 198.51.100.99:53 fwd=3 w=0',
    ]);
  });

  it('quorum with hysteresis: gained at quorum + h, lost below quorum - h', () => {
    expect(nextQuorum(undefined, 3, 3, 1)).toBe(false);
    expect(nextQuorum(undefined, 4, 3, 1)).toBe(true);
    expect(nextQuorum(true, 2, 3, 1)).toBe(true);
    expect(nextQuorum(true, 1, 3, 1)).toBe(false);
    expect(nextQuorum(false, 3, 3, 1)).toBe(false);
    expect(nextQuorum(false, 4, 3, 1)).toBe(true);
    expect(nextQuorum(true, 0, 1, 0)).toBe(false);
    const text = `virtual_server 192.0.2.30 80 {
  protocol TCP
  quorum 3
  hysteresis 1
  sorry_server 198.51.100.99 80
  real_server 198.51.100.1 80 { weight 2
    TCP_CHECK { } }
  real_server 198.51.100.2 80 { weight 2
    TCP_CHECK { } }
}`;
    const { specs: sp } = specs(text);
    const k = (n: number) => `TCP 192.0.2.30:80 -> 198.51.100.${n}:80`;
    const up = desiredTable({ specs: sp });
    expect(up.quorumUp.get('TCP 192.0.2.30:80')).toBe(true);
    // weight 2 >= 3 - 1: still up, no sorry server
    const half = desiredTable({ specs: sp, results: st({ [k(1)]: false }), quorumUp: up.quorumUp });
    expect(show(half.table).slice(1)).toEqual(['  -> 198.51.100.2:80 fwd=0 w=2']);
    // the same weight from a lost quorum stays lost (needs 3 + 1)
    const lost = desiredTable({ specs: sp, results: st({ [k(1)]: false }), quorumUp: new Map([['TCP 192.0.2.30:80', false]]) });
    expect(show(lost.table).slice(1)).toEqual(['  -> 198.51.100.99:80 fwd=0 w=1']);
  });

  it('quorum above the total weight is capped, as keepalived does', () => {
    const { specs: sp } = specs('virtual_server 192.0.2.10 80 {\n quorum 50\n hysteresis 60\n real_server 198.51.100.1 80 {\n weight 4\n }\n}\n');
    expect(sp[0]!.quorum).toBe(4);
    expect(sp[0]!.hysteresis).toBe(3);
  });

  it('fwmark, mh flags, TUN with GUE, persistence and granularity', () => {
    const { specs: sp, problems } = specs(`virtual_server fwmark 7 {
  lb_algo mh
  mh-port
  mh-fallback
  lb_kind TUN
  persistence_timeout 600
  persistence_engine sip
  real_server 198.51.100.31 0 { weight 5 }
  real_server 198.51.100.32 99 { lvs_method TUN type gue port 6080 csum }
}
virtual_server 192.0.2.40 443 {
  protocol TCP
  persistence_granularity 255.255.255.0
  lb_kind DR
  real_server 198.51.100.41 8443 { }
}
virtual_server 2001:db8::10 0 {
  protocol TCP
  lb_algo sh
  sh-port
  persistence_granularity 64
  real_server 2001:db8:1::11 443 { }
}`);
    expect(problems).toEqual([]);
    expect(show(desiredTable({ specs: sp }).table)).toEqual([
      'FWM 7 IPv4 mh flags=25 timeout=600 netmask=4294967295 pe=sip',
      '  -> 198.51.100.31:0 fwd=2 w=5',
      '  -> 198.51.100.32:0 fwd=2 w=1 tun=1/6080/1',
      `TCP 192.0.2.40:443 wlc flags=1 timeout=360 netmask=${netmaskFromV4('255.255.255.0')}`,
      '  -> 198.51.100.41:443 fwd=3 w=1',
      'TCP [2001:db8::10]:0 sh flags=17 timeout=360 netmask=64',
      '  -> 2001:db8:1::11:443 fwd=0 w=1',
    ]);
  });

  it('expands virtual_server_group ranges, blocks and fwmarks', () => {
    const { specs: sp, problems } = specs(`virtual_server_group g {
  192.0.2.1-3 80
  192.0.2.8/31 80
  2001:db8::a-c 443
  192.0.2.20-192.0.2.21 80
  fwmark 9 inet6
}
virtual_server group g {
  protocol TCP
  lb_kind DR
  persistence_granularity 255.255.0.0
  real_server 198.51.100.1 8080 { }
}`);
    expect(problems).toEqual([]);
    const t = desiredTable({ specs: sp }).table;
    expect(t.services.map(serviceKey)).toEqual([
      'TCP 192.0.2.1:80', 'TCP 192.0.2.2:80', 'TCP 192.0.2.3:80', 'TCP 192.0.2.8:80', 'TCP 192.0.2.9:80',
      'TCP [2001:db8::a]:443', 'TCP [2001:db8::b]:443', 'TCP [2001:db8::c]:443', 'TCP 192.0.2.20:80', 'TCP 192.0.2.21:80', 'FWM 9 IPv6',
    ]);
    // DR: each destination takes its service's port (0 for the fwmark); groups keep the full netmask.
    expect(t.services.map((s) => s.dests[0]!.port)).toEqual([80, 80, 80, 80, 80, 443, 443, 443, 80, 80, 0]);
    expect(t.services[0]!.netmask).toBe(0xffffffff);
    expect(t.services[5]!.netmask).toBe(128);
  });

  it('names bad groups and servers instead of failing', () => {
    const { specs: sp, problems } = specs(`virtual_server_group g {
  192.0.2.5-3 80
  192.0.2.1/30 80
}
virtual_server group g {
  real_server 198.51.100.1 80 { }
}
virtual_server group missing {
  real_server 198.51.100.1 80 { }
}
virtual_server 192.0.2.9 80 {
}`);
    expect(sp.map((s) => s.services.length)).toEqual([0]);
    expect(problems.join('\n')).toMatch(/range end is not greater than range start in '192\.0\.2\.5-3'/);
    expect(problems.join('\n')).toMatch(/address mask bits not empty in '192\.0\.2\.1\/30'/);
    expect(problems.join('\n')).toMatch(/virtual_server_group 'missing' is not defined/);
    expect(problems.join('\n')).toMatch(/no real servers - ignored/);
  });

  it('ha_suspend: the service is held while not MASTER', () => {
    const { specs: sp } = specs(WEB.replace('protocol TCP', 'protocol TCP\n  ha_suspend'));
    expect([...desiredTable({ specs: sp, isMaster: () => false }).held]).toEqual(['TCP 192.0.2.10:80']);
    expect(desiredTable({ specs: sp, isMaster: () => true }).held.size).toBe(0);
  });

  it('lists every configured destination as managed, up or down', () => {
    const { specs: sp } = specs(WEB);
    const down = st({ 'TCP 192.0.2.10:80 -> 198.51.100.1:8080': false });
    expect([...desiredTable({ specs: sp, results: down }).managed.get('TCP 192.0.2.10:80')!]).toEqual(['198.51.100.1:8080', '198.51.100.2:8080']);
  });
});
