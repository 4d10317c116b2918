// keepalived's dumps: the pure formatters against keepalived 2.2.7's own output (dump-reference.ts),
// the runtime snapshot on fakes against the same, and the file writer.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { dumpConfig, type Resolver } from '../../src/daemon/dump-config.js';
import { formatData, formatParentData, ctimeUs, globalLines } from '../../src/daemon/dump-data.js';
import { dumpGlobals, dumpSnapshot, keepalivedStats, withKeepalivedView } from '../../src/daemon/dump-input.js';
import { formatG, formatJson, jsonString } from '../../src/daemon/dump-json.js';
import { SIGNUMS, signumOf } from '../../src/daemon/dump-signals.js';
import { formatStats } from '../../src/daemon/dump-stats.js';
import type { DumpInstance } from '../../src/daemon/dump-types.js';
import { dumpDir, writeDumpFile } from '../../src/daemon/dump-writer.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpRuntime } from '../../src/daemon/runtime.js';
import { Counters } from '../../src/vrrp/counters.js';
import { KA_CONF, KA_GLOBALS, KA_JSON, KA_STATS, KA_TOPOLOGY } from './dump-reference.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

const zeroStats = () => ({
  advert_rcvd: 0, advert_sent: 0, become_master: 1, release_master: 0, packet_len_err: 0, advert_interval_err: 0, ip_ttl_err: 0,
  invalid_type_rcvd: 0, addr_list_err: 0, invalid_authtype: 0, authtype_mismatch: 0, auth_failure: 0, pri_zero_rcvd: 0, pri_zero_sent: 0,
});

/** The two instances of KA_CONF as keepalived's dump showed them. */
function refInstances(sent: number): DumpInstance[] {
  const common = {
    family: 4 as const, state: 'MASTER' as const, wantState: 'MASTER' as const, masterAddr: null, masterPriority: 0, masterAdverIntUs: 1_000_000,
    ifname: 'veth0', srcAddr: '192.0.2.1', dontTrackPrimary: false, skipCheckAdvAddr: false, strict: false,
    garpDelayUs: 5_000_000, garpRepeat: 5, garpRefreshUs: 0, garpRefreshRepeat: 1, garpLowerPrioDelayUs: 5_000_000, garpLowerPrioRepeat: 5,
    downTimerAdverts: 3, lowerPrioNoAdvert: false, higherPrioSendAdvert: false, advertIntUs: 1_000_000, accept: true,
    preemptDelayUs: 0, promoteSecondaries: false, excludedVips: [], unicastTtl: 255, checkUnicastSrc: false, unicastChecksumCompat: 'no',
    trackedInterfaces: [], vipSet: true,
  };
  return [
    {
      ...common, name: 'VI_1', version: 2, syncGroup: 'G1', lastTransitionUs: 1795586793908333, readTimeoutUs: 1795586795908699,
      msDownTimerUs: 3414062, srcFromConfig: false, unicast: false, vrid: 51, basePriority: 150, effectivePriority: 150, totalPriority: 150,
      nopreempt: false, authType: 'pass', authData: 'secret1', vips: ['192.0.2.100/24 dev veth0 scope global set'], unicastPeers: [],
      stats: { ...zeroStats(), advert_sent: sent },
    },
    {
      ...common, name: 'VI_6', version: 3, lastTransitionUs: 1795586794120325, readTimeoutUs: 1795586796120541, msDownTimerUs: 3609375,
      srcFromConfig: true, unicast: true, vrid: 52, basePriority: 100, effectivePriority: 100, totalPriority: 100, nopreempt: true,
      authType: 'none', vips: ['192.0.2.101/24 dev veth0 scope global set'], unicastPeers: [{ addr: '192.0.2.2', minTtl: 0, maxTtl: 255 }],
      stats: { ...zeroStats(), advert_sent: sent },
    },
  ];
}

/** The build's nftables/libnftnl lines are keepalived's own; socket fds are masked (ours print -1). */
const notOurs = (l: string) => /^ (nftables|libnftnl)/.test(l);
const maskFds = (l: string) => l.replace(/^( {3}fd_in) -?\d+, fd_out -?\d+$/, '$1 N, fd_out N').replace(/^( fd_in) -?\d+ fd_out = -?\d+$/, '$1 N fd_out = N');
const lines = (s: string) => s.split('\n').filter((l) => l !== '' && !notOurs(l)).map(maskFds);
const label = (l: string) => l.replace(/ = .*$/, ' =').replace(/\d+/g, 'N');

describe('formatters against keepalived 2.2.7 output', () => {
  const globals = dumpGlobals(loadConfigText(KA_CONF, 'ka.conf').model, 'unused-host');
  const snap = { globals, instances: refInstances(2), syncGroups: [{ name: 'G1', state: 'MASTER' as const, members: ['VI_1'], numMemberFault: 0, numMemberInit: 0 }] };

  it('STATS: byte for byte', () => {
    expect(formatStats(refInstances(2))).toBe(KA_STATS);
  });

  it('JSON: byte for byte (field names, order, number formats, escaped slashes)', () => {
    expect(formatJson(refInstances(3))).toBe(KA_JSON);
    expect(formatJson([])).toBeNull();
  });

  it('DATA: global definitions, topology and sync groups line for line (less fds and library versions)', () => {
    const ours = formatData(snap, true);
    const ref = KA_GLOBALS + KA_TOPOLOGY;
    expect(lines(ours)).toEqual(lines(ref));
    expect(ours.endsWith('\n')).toBe(true);
  });

  it('parent data is the global definitions without the VRRP child-only lines', () => {
    const p = formatParentData(globals);
    expect(p).toContain(' Router ID = ka1\n');
    expect(p).not.toContain('Default interface');
    expect(p.startsWith('------< Global definitions >------\n')).toBe(true);
  });

  it("C's %g, ctime with microseconds, json_writer escapes", () => {
    const cases: [number, string][] = [[5, '5'], [0.5, '0.5'], [1, '1'], [0, '0'], [1e6, '1e+06'], [123456.7, '123457'], [0.0001, '0.0001'],
      [0.00001, '1e-05'], [3.14159265, '3.14159'], [0.01, '0.01'], [100.25, '100.25'], [2.5e-7, '2.5e-07']];
    for (const [x, s] of cases) expect(formatG(x), String(x)).toBe(s);
    expect(ctimeUs(1795586793908333, true)).toBe('Wed Nov 25 06:06:33.908333 2026');
    expect(ctimeUs(Date.UTC(2026, 0, 5, 1, 2, 3) * 1000 + 7, true)).toBe('Mon Jan  5 01:02:03.000007 2026');
    expect(jsonString('a/b"c\\d\n\u0001')).toBe('"a\\/b\\"c\\\\d\\n\\u0001"');
  });
});

/** keepalived 2.2.7's global definitions for CONF5 (its keepalived.data, less the nftables build lines). */
const KA5_GLOBALS = "------< Global definitions >------\n Network namespace = (default)\n Network namespace ipvs = (main namespace)\n Router ID = rich5\n Smtp server = 192.0.2.25\n Smtp server port = 2525\n Smtp HELO name = vm\n Smtp server connection timeout = 7\n Email notification from = kad@example.org\n Email notification to:\n   ops@example.org\n   noc@example.org\n Default smtp_alert = unset\n Default smtp_alert_vrrp = unset\n Default smtp_alert_checker = unset\n Checkers log all failures = true\n No test config before reload\n Dynamic interfaces = false\n Send emails for fault transitions = off\n Default interface = eth0\n Disable local IGMP = no\n LVS flush = false\n LVS flush on stop = disabled\n VRRP notify fifo = /tmp/s4/w/fifo5k, uid:gid 0:0\n VRRP notify fifo script = '/usr/bin/cat' '/tmp/s4/w/fifo5k', uid:gid 0:0\n FIFO write vrrp states on reload = false\n VRRP notify priority changes = false\n VRRP IPv4 mcast group = 224.0.0.18\n VRRP IPv6 mcast group = ff02::12\n Gratuitous ARP delay = 5\n Gratuitous ARP repeat = 5\n Gratuitous ARP refresh timer = 0\n Gratuitous ARP refresh repeat = 1\n Gratuitous ARP lower priority delay = 5\n Gratuitous ARP lower priority repeat = 5\n Num adverts before down = 3\n Gratuitous ARP for each secondary VMAC = 0s\n Send advert after receive lower priority advert = true\n Send advert after receive higher priority advert = false\n Gratuitous ARP interval = 0.000000\n Gratuitous NA interval = 0.000000\n VRRP default protocol version = 2\n VRRP check unicast_src = false\n VRRP skip check advert addresses = false\n VRRP strict mode = false\n Max auto priority = 10\n Min auto priority delay = 1000000 usecs\n VRRP process priority = 0\n VRRP don't swap = false\n VRRP realtime priority = 0\n VRRP realtime limit = 10000\n Checker process priority = 0\n Checker don't swap = false\n Checker realtime priority = 0\n Checker realtime limit = 10000\n BFD process priority = 0\n BFD don't swap = false\n BFD realtime priority = 0\n BFD realtime limit = 10000\n SNMP vrrp disabled\n SNMP checker disabled\n SNMP RFCv2 disabled\n SNMP RFCv3 disabled\n SNMP traps disabled\n SNMP socket = default (unix:/var/agentx/master)\n DBus disabled\n DBus service name = \n Script security disabled\n Default script uid:gid 0:0\n vrrp_netlink_cmd_rcv_bufs = 0\n vrrp_netlink_cmd_rcv_bufs_force = 0\n vrrp_netlink_monitor_rcv_bufs = 0\n vrrp_netlink_monitor_rcv_bufs_force = 0\n process_monitor_rcv_bufs = 0\n process_monitor_rcv_bufs_force = 0\n lvs_netlink_cmd_rcv_bufs = 0\n lvs_netlink_cmd_rcv_bufs_force = 0\n lvs_netlink_monitor_rcv_bufs = 0\n lvs_netlink_monitor_rcv_bufs_force = 0\n rs_init_notifies = 0\n no_checker_emails = 0\n rx_bufs_multiples = 3\n umask = 0177\n vrrp_startup_delay = 0.5\n log_unknown_vrids\n";
const CONF5 = "global_defs {\n  router_id rich5\n  notification_email {\n    ops@example.org\n    noc@example.org\n  }\n  notification_email_from kad@example.org\n  smtp_server 192.0.2.25 2525\n  smtp_connect_timeout 7\n  vrrp_notify_fifo /tmp/s4/w/fifo5k\n  vrrp_notify_fifo_script \"/bin/cat\"\n  max_auto_priority 10\n  vrrp_startup_delay 0.5\n  log_unknown_vrids\n  checker_log_all_failures\n  no_email_faults\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface veth0\n  virtual_router_id 95\n  priority 150\n  advert_int 1\n  smtp_alert\n  virtual_ipaddress {\n    192.0.2.195/24\n  }\n}\n";

describe('global definitions from global_defs', () => {
  it('smtp, emails, notify FIFO and its script, max_auto_priority, startup delay, ... as keepalived 2.2.7 printed them', () => {
    const { model } = loadConfigText(CONF5, 'k.conf');
    // The dumper resolves commands (path search, symlinks) and users; here /bin is /usr/bin's link.
    const resolver: Resolver = {
      user: () => ({ uid: 0, gid: 0 }),
      command: (argv) => ({ cmd: argv.map((a, k) => `'${k === 0 ? a.replace(/^\/bin\//, '/usr/bin/') : a}'`).join(' '), uid: 0, gid: 0, insecure: false }),
    };
    const g = dumpGlobals(model, 'kahost'); // the HELO name defaults to the host's name (keepalived's ran on "vm")
    g.fifos = dumpConfig(model, resolver, { hostname: 'h', userName: 'root' }).fifos;
    g.defaultScriptUid = { uid: 0, gid: 0 };
    expect(globalLines(g, true)).toEqual(KA5_GLOBALS.replace(' Smtp HELO name = vm\n', ' Smtp HELO name = kahost\n').trimEnd().split('\n'));
  });
});

describe('signal numbers', () => {
  it("match keepalived's --signum on this machine", () => {
    expect(signumOf('NOPE')).toBeNull();
    expect(signumOf('toString')).toBeNull();
    if (!existsSync('/usr/sbin/keepalived')) return expect(SIGNUMS.JSON).toBe(36);
    for (const name of Object.keys(SIGNUMS)) {
      const ka = execFileSync('/usr/sbin/keepalived', [`--signum=${name}`], { encoding: 'utf8' }).trim();
      expect(String(signumOf(name)), name).toBe(ka);
    }
  });
});

describe('runtime snapshot', () => {
  const S = 1_000_000;
  it('a runtime on fakes running KA_CONF dumps the same topology labels and config values as keepalived', async () => {
    const clock = new FakeClock();
    const lan = new FakeLan();
    const rtnl = new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr: '192.0.2.1' }]);
    const { model } = loadConfigText(KA_CONF, 'ka.conf');
    const rt = new VrrpRuntime(buildVrrpPlan(model), {
      openVrrpSocket: lan.opener('a'), announcer: new FakeAnnouncer(clock), rtnl, clock, log: memLogger(), onEvent: () => undefined,
      persistOverrides: () => null,
    });
    expect(await rt.start()).toEqual({ ok: true });
    await clock.advance(5 * S, () => rt.idle());
    const snap = dumpSnapshot(rt, dumpGlobals(model), clock.wallMs() * 1000);
    const topo = (s: string) => lines(s.slice(s.indexOf('------< VRRP Topology >------')));
    const ours = topo(formatData(snap, true));
    const ref = topo(KA_TOPOLOGY);
    expect(ours.map(label)).toEqual(ref.map(label));
    // Everything that comes from the configuration or the state is the same value.
    const volatile = /^ {3}(Last transition|Read timeout|Master down timer) =/;
    expect(ours.filter((l) => !volatile.test(l))).toEqual(ref.filter((l) => !volatile.test(l)));
    const st = withKeepalivedView(rt.status({ daemonPid: 1, daemonVersion: 'x', configFile: 'ka.conf', configId: 'h', startedAt: '' }), rt);
    const vi1 = st.instances.find((i) => i.name === 'VI_1')!;
    expect(vi1.keepalived).toMatchObject({ wantState: 'MASTER', masterPriority: 0, vipSet: true });
    expect(vi1.keepalived!.stats.advert_sent).toBe(vi1.counters.advertsSent);
    expect(vi1.keepalived!.stats.become_master).toBe(1);
    const json = JSON.parse(formatJson(snap.instances)!) as { data: Record<string, unknown> }[];
    expect(json.map((j) => Object.keys(j.data))).toEqual((JSON.parse(KA_JSON) as { data: object }[]).map((j) => Object.keys(j.data)));
    await rt.stop();
  });

  it('drop reasons feed the keepalived statistic they name', () => {
    const counters = new Counters();
    counters.drop('ttl_invalid');
    counters.drop('ah_icv');
    counters.drop('auth_password');
    counters.drop('truncated');
    counters.drop('addr_count_mismatch');
    counters.drop('own_packet'); // keepalived only logs this one
    counters.record({ ok: true, advert: { priority: 0 } });
    const s = keepalivedStats({ counters, advertsSent: 7, priorityZeroSent: 1, becameMaster: 2, releasedMaster: 1 } as never);
    expect(s).toMatchObject({ advert_rcvd: 1, pri_zero_rcvd: 1, ip_ttl_err: 1, auth_failure: 2, packet_len_err: 1, addr_list_err: 1, advert_sent: 7, pri_zero_sent: 1, become_master: 2, release_master: 1 });
  });
});

describe('dump files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dump-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes whole files, mode 0600, replacing the old one; a missing directory is an error, not a throw', () => {
    expect(writeDumpFile(dir, 'keepalived.stats', 'one\n')).toEqual({ ok: true, path: join(dir, 'keepalived.stats') });
    expect(writeDumpFile(dir, 'keepalived.stats', 'two\n').ok).toBe(true);
    expect(readFileSync(join(dir, 'keepalived.stats'), 'utf8')).toBe('two\n');
    expect(statSync(join(dir, 'keepalived.stats')).mode & 0o777).toBe(0o600);
    const bad = writeDumpFile(join(dir, 'nope'), 'keepalived.data', 'x');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain(join(dir, 'nope', 'keepalived.data'));
  });

  it("uses $TMPDIR when it is absolute, else /tmp (keepalived's tmp_dir)", () => {
    expect(dumpDir({ TMPDIR: '/var/tmp' })).toBe('/var/tmp');
    expect(dumpDir({ TMPDIR: 'relative' })).toBe('/tmp');
    expect(dumpDir({})).toBe('/tmp');
  });
});
