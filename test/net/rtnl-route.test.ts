// Routes, rules and VMACs over rtnetlink: keepalived's line parser, the pure codec (request -> the
// netlink package's wire format -> decoded back), then (as root) the kernel in a namespace made for
// the test, read back both through our listRoutes/listRules and through iproute2 (`ip -j`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttrStream, rt } from 'netlink';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { newRuleCounter, parseRoute, parseRule } from '../../src/daemon/instance-routes.js';
import { routeInfo, routeRequest, ruleInfo, ruleRequest, sameRoute, sameRule } from '../../src/net/rtnl-route.js';
import { decodeEvent } from '../../src/net/rtnl-route-io.js';
import { inetConfSpec, macvlanLinkinfo, parseInetConf, parseLinkinfo, vmacAddress, vmacName } from '../../src/net/vmac.js';
import type { RouteSpec, RuleSpec } from '../../src/net/types.js';
import { requireDist } from '../helpers/dist.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

// Every route option this implementation sends, over several lines (one route cannot carry them all).
const ROUTES = [
  '198.51.100.0/24 via 192.0.2.254 dev veth0 table 100 metric 50 src 192.0.2.1 tos 0x10 realms 5 onlink',
  '203.0.113.0/24 dev veth0 table 100 mtu lock 1400 advmss 1300 hoplimit 64 initcwnd 10 initrwnd 20 window 65535 rtt 100ms rttvar 50ms rto_min 20ms cwnd 5 ssthresh 7 reordering 3 features ecn quickack 1 fastopen_no_cookie 1 congctl cubic scope link',
  'blackhole 198.51.100.64/26 table 100',
  'unreachable 198.51.100.128/26 table 100',
  'prohibit 198.51.100.192/26 table 100',
  'throw 203.0.113.128/25 table 100',
  '192.0.2.0/25 dev veth0 table 1000 proto static no_track',
  '198.51.100.0/25 table 101 nexthop via 192.0.2.253 dev veth0 weight 2 nexthop via 192.0.2.252 dev veth0',
  '2001:db8:1::/48 via 2001:db8::fe dev veth0 table 100 metric 10 pref high expires 600',
  '2001:db8:3::/64 from 2001:db8:2::/64 dev veth0 table 100',
];
const RULES = [
  'from 192.0.2.0/24 to 198.51.100.0/24 table 100 priority 100 fwmark 0x10/0xff iif veth0 oif veth0 tos 0x10 uidrange 1000-2000 ipproto tcp sport 80 dport 1000-2000',
  'priority 200 not from 203.0.113.0/24 lookup 1000',
  'priority 300 goto 400',
  'priority 400 blackhole',
  'priority 401 unreachable',
  'priority 402 prohibit',
  'priority 403 nop',
  'priority 500 l3mdev',
  'priority 600 from all table 100 suppress_prefixlength 0 suppress_ifgroup 5',
  'priority 700 fwmark 7 table 100 realms 3/4',
  'inet6 priority 100 from 2001:db8::/32 table 100',
];

const words = (l: string) => l.split(/\s+/);
function route(line: string): RouteSpec {
  const r = parseRoute(words(line));
  if (!r.ok) throw new Error(r.error);
  return r.value.spec;
}
function rule(line: string): RuleSpec {
  const r = parseRule(words(line), newRuleCounter());
  if (!r.ok) throw new Error(r.error);
  return r.value.spec;
}

/** What the kernel (and our decoder) gives back for a spec: ours less what is request-only. */
function expectedRoute(s: RouteSpec): RouteSpec {
  const { mode: _m, ...rest } = s;
  if (rest.expires !== undefined) delete rest.expires; // counts down
  return rest;
}

describe('route and rule lines (keepalived alloc_route / alloc_rule)', () => {
  it('reads a route with keepalived defaults: main table, protocol keepalived, tracked only with a dev', () => {
    const r = parseRoute(words('192.0.2.0/24 via 198.51.100.1 dev eth0'));
    expect(r.ok && r.value).toMatchObject({ track: true, spec: { family: 4, dst: '192.0.2.0', dstLen: 24, table: 254, protocol: 18, scope: 0, type: 1, via: '198.51.100.1', dev: 'eth0' } });
    const nodev = parseRoute(words('default via 192.0.2.1'));
    expect(nodev.ok && nodev.value.track).toBe(false);
    expect(nodev.warnings.join()).toMatch(/cannot track route default with no interface specified/);
    const gw = parseRoute(words('2001:db8::/32 gw 2001:db8::1 dev eth0 protocol static'));
    expect(gw.ok && gw.value.spec).toMatchObject({ family: 6, via: '2001:db8::1', protocol: 18 });
    expect(gw.warnings.join('|')).toMatch(/"gw" for routes is deprecated.*protocol reset/);
    expect(route('192.0.2.0/24 dev eth0 proto static no_track')).toMatchObject({ protocol: 4 });
    expect(route('to unreachable 192.0.2.0/24 table local append').type).toBe(7);
    expect(route('192.0.2.0/24 dev eth0 table local append')).toMatchObject({ table: 255, mode: 'append' });
  });

  it('names what is wrong in a route, as keepalived does', () => {
    const bad: [string, RegExp][] = [
      ['192.0.2.0/24 via 2001:db8::1', /cannot mix IPv4 and IPv6/],
      ['via 192.0.2.1 dev eth0', /must have a destination/],
      ['192.0.2.0/33 dev eth0', /unknown route keyword 192\.0\.2\.0\/33/],
      ['192.0.2.0/24 table nosuch', /routing table nosuch not found/],
      ['192.0.2.0/24 from 192.0.2.1/32', /from address only supported with IPv6/],
      ['192.0.2.0/24 metric x', /invalid metric x/],
      ['192.0.2.0/24 pref high', /pref is only valid for IPv6/],
      ['192.0.2.0/24 encap mpls 100', /'encap' is not supported/],
    ];
    for (const [line, msg] of bad) {
      const r = parseRoute(words(line));
      expect(r.ok, line).toBe(false);
      expect(!r.ok && r.error, line).toMatch(msg);
    }
  });

  it('reads rules: actions, numbering without a preference, goto checks', () => {
    const c = newRuleCounter();
    const a = parseRule(words('from 192.0.2.0/24 table 100'), c);
    const b = parseRule(words('to 198.51.100.0/24 table 100'), c);
    const v6 = parseRule(words('from 2001:db8::/32 table 100'), c);
    expect([a, b, v6].map((r) => r.ok && r.value.spec.priority)).toEqual([16384, 16383, 16384]);
    expect(a.warnings.join()).toMatch(/no preference specified - setting to 16384/);
    expect(rule('priority 5 from all fwmark 0x10/0xff lookup main')).toMatchObject({ action: 1, table: 254, fwmark: 16, fwmask: 255, from: '0.0.0.0', fromLen: 0, protocol: 18 });
    const bad: [string, RegExp][] = [
      ['priority 5 from 192.0.2.0/24', /no action specified/],
      ['priority 5 goto 3', /preference 5 >= goto target 3/],
      ['goto 30', /goto target 30 specified without preference/],
      ['priority 5 table 100 blackhole', /more than one of/],
      ['priority 5 l3mdev table 100', /l3mdev/],
      ['priority 5 table 0', /table 0 is not valid/],
      ['priority 5 table 100 from 192.0.2.0/24 to 2001:db8::/32', /mixed IPv4 and IPv6/],
    ];
    for (const [line, msg] of bad) {
      const r = parseRule(words(line), newRuleCounter());
      expect(!r.ok && r.error, line).toMatch(msg);
    }
  });
});

describe('route and rule codec (pure)', () => {
  const names = new Map([[3, 'veth0']]);
  const index = (n: string) => (n === 'veth0' ? 3 : undefined);

  it('round-trips every route attribute through the netlink wire format', () => {
    for (const line of ROUTES) {
      const spec = route(line);
      const req = routeRequest('add', spec, index);
      expect(req.ok, line).toBe(true);
      if (!req.ok) continue;
      const out = new AttrStream();
      rt.formatRouteMessage({ kind: 'route', data: req.value.data, attrs: req.value.attrs }, out);
      const back = routeInfo(rt.parseRouteMessage(Buffer.concat(out.bufs)), (i) => names.get(i));
      expect(back, line).toEqual({ ...spec, ...(spec.mode ? {} : {}) });
      expect(sameRoute(spec, back as RouteSpec)).toBe(true);
    }
  });

  it('round-trips every rule attribute', () => {
    for (const line of RULES) {
      const spec = rule(line);
      const req = ruleRequest('add', spec);
      expect(req.ok, line).toBe(true);
      if (!req.ok) continue;
      const out = new AttrStream();
      rt.formatRuleMessage({ kind: 'rule', data: req.value.data, attrs: req.value.attrs }, out);
      const back = ruleInfo(rt.parseRuleMessage(Buffer.concat(out.bufs))) as RuleSpec;
      const { from, fromLen, to, toLen, ...rest } = spec;
      // "from all" travels as prefix 0 with no address: it comes back as no address.
      const want: RuleSpec = { ...rest, ...(fromLen ? { from, fromLen } : {}), ...(toLen ? { to, toLen } : {}) };
      if (want.l3mdev) delete want.table;
      expect(back, line).toEqual(want);
      expect(sameRule(spec, back), line).toBe(true);
    }
  });

  it('deletes routes with scope nowhere and decodes route/rule notifications', () => {
    const spec = route('192.0.2.0/24 dev veth0 table 100 scope link');
    const del = routeRequest('delete', spec, index);
    expect(del.ok && del.value.data.scope).toBe(255);
    const out = new AttrStream();
    if (del.ok) rt.formatRouteMessage({ kind: 'route', data: { ...del.value.data, scope: 253 }, attrs: del.value.attrs }, out);
    const ev = decodeEvent(25, Buffer.concat(out.bufs), (i) => names.get(i));
    expect(ev).toMatchObject({ type: 'route', removed: true, route: { dst: '192.0.2.0', dstLen: 24, table: 100, dev: 'veth0' } });
    expect(decodeEvent(16, Buffer.alloc(16), () => undefined)).toBeNull();
  });

  it('refuses bad specs with the operation and the route in the message, without throwing', () => {
    const base = route('192.0.2.0/24 dev veth0');
    expect(routeRequest('add', { ...base, dev: 'nosuch' }, index)).toEqual({ ok: false, error: 'add route 192.0.2.0/24 dev nosuch: no such interface nosuch' });
    expect(routeRequest('add', { ...base, dstLen: 40 }, index)).toMatchObject({ ok: false, error: expect.stringMatching(/prefix must be 0-32/) });
    expect(routeRequest('add', { ...base, via: '2001:db8::1', viaFamily: 6 }, index)).toMatchObject({ ok: false, error: expect.stringMatching(/another family/) });
    expect(routeRequest('add', null as unknown as RouteSpec, index).ok).toBe(false);
    expect(ruleRequest('delete', { family: 4, action: 1, from: 'x', fromLen: 24 })).toMatchObject({ ok: false, error: expect.stringMatching(/from 'x' is not an IPv4 address/) });
  });

  it('builds a private macvlan and reads devconf the way the kernel lays it out', () => {
    expect(parseLinkinfo(macvlanLinkinfo())).toEqual({ kind: 'macvlan', macvlanMode: 1 });
    expect([vmacAddress(5, 4), vmacAddress(255, 6), vmacName(7), vmacName(200, 'averyverylongprefix')]).toEqual(['00:00:5e:00:01:05', '00:00:5e:00:02:ff', 'vrrp.7', 'averyverylo.200']);
    // IFLA_INET_CONF as dumped: u32 per devconf, index = param - 1.
    const dump = Buffer.alloc(4 + 4 * 23);
    dump.writeUInt16LE(dump.length, 0);
    dump.writeUInt16LE(1, 2);
    dump.writeUInt32LE(1, 4 + 4 * 18); // ARP_IGNORE (19)
    expect(parseInetConf(dump).get(19)).toBe(1);
    expect(inetConfSpec([[19, 1]]).length).toBe(4 + 8);
  });
});

interface IpRoute { flow?: unknown; dst: string; type?: string; gateway?: string; dev?: string; protocol?: string; scope?: string; metric?: number; prefsrc?: string; flags?: string[]; metrics?: Record<string, unknown>[]; nexthops?: unknown[]; tos?: string; realms?: string; pref?: string; from?: string }
interface IpRule { goto?: number; priority: number; src?: string; srclen?: number; dst?: string; dstlen?: number; table?: string; action?: string; not?: null; fwmark?: string; fwmask?: string; iif?: string; oif?: string; protocol?: string; target?: number; ipproto?: string; sport?: number; dport_start?: number; uid_start?: number; l3mdev?: null; realms?: string; suppress_prefixlen?: number; suppress_ifgroup?: string }

describe.skipIf(!isRoot())('routes, rules and vmacs in a network namespace (root)', () => {
  let ns = '';
  let tmp = '';
  let script = '';

  beforeAll(() => {
    requireDist('dist/src/net/rtnl-route-io.js');
    ns = createNetns('rr');
    addVethPairs(ns, ['veth0']);
    ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
    ip('-n', ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'veth0', 'nodad');
    tmp = mkdtempSync(join(tmpdir(), 'ka-rtroute-'));
    script = join(tmp, 'ops.mjs');
    // Runs Rtnl operations (JSON) in one process of the namespace; prints their results as one JSON array.
    writeFileSync(script, `const { createRtnl } = await import(${JSON.stringify(join(repo, 'dist/src/net/rtnl.js'))});
const made = createRtnl();
if (!made.ok) { console.log(JSON.stringify([{ ok: false, error: made.error }])); process.exit(0); }
const r = made.value; const out = [];
const events = [];
for (const o of JSON.parse(process.argv[2])) {
  if (o.op === 'watch') { const w = r.watchRoutes((e) => events.push(e)); out.push({ ok: w.ok }); continue; }
  if (o.op === 'shell') { const { execFileSync } = await import('node:child_process'); execFileSync(o.arg[0], o.arg.slice(1)); out.push({ ok: true }); continue; }
  if (o.op === 'sleep') { await new Promise((res) => setTimeout(res, o.arg)); out.push({ ok: true, value: events }); continue; }
  out.push(await r[o.op](o.arg));
}
r.close();
console.log(JSON.stringify(out));
`);
  });

  afterAll(() => {
    if (ns) deleteNetns(ns);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function run(ops: { op: string; arg?: unknown }[]): { ok: boolean; value?: unknown; error?: string }[] {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'node', script, JSON.stringify(ops)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout.trim().split('\n').pop() as string);
  }
  /** Route tables of these tests emptied, so one failure does not cascade into the next test. */
  function flush(): void {
    for (const t of ['100', '101', '102', '1000']) {
      spawnSync('ip', ['-n', ns, 'route', 'flush', 'table', t], { stdio: 'ignore' });
      spawnSync('ip', ['-n', ns, '-6', 'route', 'flush', 'table', t], { stdio: 'ignore' });
    }
  }
  const ipj = <T>(...args: string[]): T[] => JSON.parse(ip('-n', ns, '-j', '-d', ...args) || '[]') as T[];

  it('adds every route option; the kernel and ip show them; delete takes them away', () => {
    flush();
    const specs = ROUTES.map(route);
    expect(run(specs.map((s) => ({ op: 'addRoute', arg: s })))).toEqual(specs.map(() => ({ ok: true })));
    // Adding again succeeds (keepalived's prepend without EXCL; EEXIST is fine).
    expect(run([{ op: 'addRoute', arg: specs[0] }])).toEqual([{ ok: true }]);
    const t100 = ipj<IpRoute>('route', 'show', 'table', '100');
    const r1 = t100.find((r) => r.dst === '198.51.100.0/24');
    expect(r1).toMatchObject({ gateway: '192.0.2.254', dev: 'veth0', protocol: 'keepalived', metric: 50, prefsrc: '192.0.2.1', flags: ['onlink'], tos: '0x10', flow: { to: '5' } });
    const r2 = t100.find((r) => r.dst === '203.0.113.0/24');
    expect(r2).toMatchObject({ scope: 'link', protocol: 'keepalived' });
    expect(r2?.metrics?.[0]).toMatchObject({ mtu: 1400, advmss: 1300, hoplimit: 64, initcwnd: 10, initrwnd: 20, window: 65535, cwnd: 5, ssthresh: 7, reordering: 3, quickack: 1, fastopen_no_cookie: 1 });
    expect(ip('-n', ns, 'route', 'show', 'table', '100', '203.0.113.0/24')).toMatch(/mtu lock 1400 .*rtt 100ms rttvar 50ms .*features ecn rto_min 20ms initrwnd 20 quickack 1 congctl cubic fastopen_no_cookie 1/);
    expect(t100.filter((r) => r.type && r.type !== 'unicast').map((r) => `${r.type} ${r.dst}`).sort()).toEqual(
      ['blackhole 198.51.100.64/26', 'prohibit 198.51.100.192/26', 'throw 203.0.113.128/25', 'unreachable 198.51.100.128/26'],
    );
    expect(ipj<IpRoute>('route', 'show', 'table', '1000')).toMatchObject([{ dst: '192.0.2.0/25', dev: 'veth0', protocol: 'static' }]);
    expect(ip('-n', ns, 'route', 'show', 'table', '101')).toMatch(/nexthop via 192\.0\.2\.253 dev veth0 weight 2\s+nexthop via 192\.0\.2\.252 dev veth0 weight 1/);
    const v6 = ipj<IpRoute>('-6', 'route', 'show', 'table', '100');
    expect(v6.find((r) => r.dst === '2001:db8:1::/48')).toMatchObject({ gateway: '2001:db8::fe', metric: 10, pref: 'high', protocol: 'keepalived' });
    expect(v6.find((r) => r.dst === '2001:db8:3::/64')).toMatchObject({ from: '2001:db8:2::/64', dev: 'veth0' });

    // Our own listing decodes each back to the spec it came from.
    const [l4, l6] = run([{ op: 'listRoutes', arg: 4 }, { op: 'listRoutes', arg: 6 }]) as { ok: true; value: RouteSpec[] }[];
    const listed = [...l4!.value, ...l6!.value];
    for (const s of specs) {
      const got = listed.find((k) => sameRoute(s, k) && k.table === s.table);
      expect(got, `${s.dst}/${s.dstLen}`).toBeDefined();
      const want = expectedRoute(s);
      const { expires: _e, ...have } = got as RouteSpec;
      // The kernel gives IPv6 routes a default metric (1024) and pref (medium) when none was given.
      if (s.family === 6) {
        if (want.metric === undefined) delete have.metric;
        if (want.pref === undefined) delete have.pref;
      }
      expect(have, `${s.dst}/${s.dstLen}`).toEqual(want);
    }

    expect(run(specs.map((s) => ({ op: 'deleteRoute', arg: s })))).toEqual(specs.map(() => ({ ok: true })));
    expect(ip('-n', ns, 'route', 'show', 'table', '100') + ip('-n', ns, 'route', 'show', 'table', '101') + ip('-n', ns, 'route', 'show', 'table', '1000') + ip('-n', ns, '-6', 'route', 'show', 'table', '100')).toBe('');
    // Deleting what is not there succeeds; a route on a missing interface is refused with its name.
    expect(run([{ op: 'deleteRoute', arg: specs[0] }, { op: 'addRoute', arg: { ...specs[0], dev: 'nosuch0' } }])).toEqual([
      { ok: true }, { ok: false, error: 'add route 198.51.100.0/24 via 192.0.2.254 dev nosuch0 table 100 metric 50: no such interface' },
    ]);
  });

  it('adds every rule option; ip rule shows them; delete takes them away', () => {
    const specs = RULES.map(rule);
    expect(run(specs.map((s) => ({ op: 'addRule', arg: s })))).toEqual(specs.map(() => ({ ok: true })));
    expect(run([{ op: 'addRule', arg: specs[1] }])).toEqual([{ ok: true }]);
    const rules = ipj<IpRule>('rule', 'show');
    const by = (p: number) => rules.find((r) => r.priority === p);
    expect(by(100)).toMatchObject({ src: '192.0.2.0', srclen: 24, dst: '198.51.100.0', dstlen: 24, table: '100', fwmark: '0x10', fwmask: '0xff', iif: 'veth0', oif: 'veth0', protocol: 'keepalived', ipproto: 'tcp', sport: 80, dport_start: 1000, uid_start: 1000 });
    expect(by(200)).toMatchObject({ src: '203.0.113.0', srclen: 24, table: '1000', not: null });
    expect(by(300)).toMatchObject({ goto: 400 });
    const text = ip('-n', ns, 'rule', 'show');
    expect(text).toMatch(/^400:\s+from all blackhole proto keepalived$/m);
    expect(text).toMatch(/^401:\s+from all unreachable proto keepalived$/m);
    expect(text).toMatch(/^402:\s+from all prohibit proto keepalived$/m);
    expect(text).toMatch(/^403:\s+from all nop proto keepalived$/m);
    expect(text).toMatch(/^500:\s+from all lookup \[l3mdev-table\] proto keepalived$/m);
    expect(text).toMatch(/^600:\s+from all lookup 100 suppress_prefixlength 0 suppress_ifgroup 5 proto keepalived$/m);
    expect(text).toMatch(/^700:\s+from all fwmark 0x7 lookup 100 realms 3\/4 proto keepalived$/m);
    expect(ipj<IpRule>('-6', 'rule', 'show').find((r) => r.priority === 100)).toMatchObject({ src: '2001:db8::', srclen: 32, table: '100', protocol: 'keepalived' });

    const [l4, l6] = run([{ op: 'listRules', arg: 4 }, { op: 'listRules', arg: 6 }]) as { ok: true; value: RuleSpec[] }[];
    for (const s of specs) expect(([...l4!.value, ...l6!.value]).some((k) => sameRule(s, k)), `rule ${s.priority}`).toBe(true);

    expect(run(specs.map((s) => ({ op: 'deleteRule', arg: s })))).toEqual(specs.map(() => ({ ok: true })));
    expect(ipj<IpRule>('rule', 'show').map((r) => r.priority)).toEqual([0, 32766, 32767]);
    expect(ipj<IpRule>('-6', 'rule', 'show').map((r) => r.priority)).toEqual([0, 32766]);
    expect(run([{ op: 'deleteRule', arg: specs[0] }])).toEqual([{ ok: true }]);
  });

  // The kernel reports deletions, not the routes an interface takes down with it (IPv4 flushes
  // those silently): the runtime follows links for that (runtime-routes.ts routesOnLink).
  it('reports a route deleted by someone else through watchRoutes', () => {
    flush();
    const spec = route('203.0.113.0/26 via 192.0.2.254 dev veth0 table 102');
    const out = run([
      { op: 'watch' },
      { op: 'addRoute', arg: spec },
      { op: 'shell', arg: ['ip', 'route', 'del', '203.0.113.0/26', 'table', '102'] },
      { op: 'shell', arg: ['ip', 'rule', 'add', 'priority', '900', 'table', '102'] },
      { op: 'sleep', arg: 300 },
    ]);
    const events = out[4]!.value as { type: string; removed: boolean; route: RouteSpec }[];
    expect(events.some((e) => e.type === 'route' && e.removed && sameRoute(spec, e.route))).toBe(true);
    expect(events.some((e) => e.type === 'route' && !e.removed && sameRoute(spec, e.route))).toBe(true);
    expect(events.some((e) => e.type === 'rule' && !e.removed && (e as unknown as { rule: RuleSpec }).rule.priority === 900)).toBe(true);
    ip('-n', ns, 'rule', 'del', 'priority', '900');
  });

  it('makes a private-mode vmac with the VRRP MAC and keepalived settings, reuses it, fixes a wrong MAC, and removes it', () => {
    const v = { ifname: 'vrrp.5', base: 'veth0', mac: '00:00:5e:00:01:05' };
    ip('netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.veth0.arp_ignore=0', 'net.ipv4.conf.veth0.arp_filter=0');
    const sys = (k: string) => ip('netns', 'exec', ns, 'cat', `/proc/sys/net/ipv4/conf/${k}`).trim();
    const first = run([{ op: 'ensureVmac', arg: v }, { op: 'ensureVmac', arg: v }]);
    expect(first).toEqual([{ ok: true, value: { created: true } }, { ok: true, value: { created: false } }]);
    const link = ipj<{ address: string; operstate: string; flags: string[]; linkinfo: { info_kind: string; info_data: { mode: string } }; inet6_addr_gen_mode: string; link: string }>('link', 'show', 'vrrp.5')[0]!;
    expect(link).toMatchObject({ address: '00:00:5e:00:01:05', link: 'veth0', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } }, inet6_addr_gen_mode: 'none' });
    expect(link.flags).toContain('UP');
    expect(['vrrp.5/arp_ignore', 'vrrp.5/accept_local', 'vrrp.5/rp_filter', 'vrrp.5/promote_secondaries', 'veth0/arp_ignore', 'veth0/arp_filter'].map(sys)).toEqual(['1', '1', '0', '1', '1', '1']);
    // A leftover with the wrong MAC (a crashed run of another config) is fixed in place.
    ip('-n', ns, 'link', 'set', 'vrrp.5', 'address', '00:00:5e:00:01:63');
    // One process: ensure (fix) then delete gives the base interface its own settings back.
    ip('netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.veth0.arp_ignore=0', 'net.ipv4.conf.veth0.arp_filter=0');
    const fixed = run([{ op: 'ensureVmac', arg: v }, { op: 'listLinks' }, { op: 'deleteLink', arg: 'vrrp.5' }, { op: 'deleteLink', arg: 'vrrp.5' }]);
    expect(fixed[0]).toEqual({ ok: true, value: { created: false } });
    expect((fixed[1]!.value as { ifname: string; mac: string }[]).find((l) => l.ifname === 'vrrp.5')?.mac).toBe('00:00:5e:00:01:05');
    expect(fixed.slice(2)).toEqual([{ ok: true }, { ok: true }]);
    expect(ipj('link', 'show').some((l) => (l as { ifname: string }).ifname === 'vrrp.5')).toBe(false);
    expect(['veth0/arp_ignore', 'veth0/arp_filter'].map(sys)).toEqual(['0', '0']);
    // A name taken by a real interface is refused, not deleted.
    expect(run([{ op: 'ensureVmac', arg: { ...v, ifname: 'kap0' } }])).toEqual([{ ok: false, error: 'vmac kap0 on veth0: conflicts with an existing interface that is not a macvlan' }]);
  });
});
