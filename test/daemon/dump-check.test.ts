// The checker child's DATA dump (dump-check.ts). keepalived 2.2.7's checker process cannot run on
// this machine (no ip_vs: "IPVS: Can't initialize ipvs", the checker exits FATAL), so the topology
// and checkers part is compared with a reference written from the source's format (check_data.c
// dump_vsg/dump_vs/dump_rs, check_api.c dump_checker and each type's dump, v2.2.7), line by line;
// the global part is compared with keepalived's own dump (dump-reference.ts) less the line only the
// VRRP process prints. Then our daemon in a namespace writes the file on SIGUSR1 to its checker.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
// "Last ran" is printed in local time, as keepalived's ctime_r.
process.env.TZ = 'UTC';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import type { RealServerStatus } from '../../src/check/scheduler.js';
import { fmtDecimal, formatCheckData } from '../../src/daemon/dump-check.js';
import { dumpGlobals } from '../../src/daemon/dump-input.js';
import { KA_CONF, KA_GLOBALS } from './dump-reference.js';
import { readPid, startOurs, stopProc, until } from './dump-harness.js';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

const CONF = "global_defs {\n  router_id ck1\n}\nvirtual_server_group web {\n  192.0.2.20-22 80\n  fwmark 7\n}\nvirtual_server 192.0.2.10 80 {\n  delay_loop 6\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n  persistence_timeout 300\n  quorum_up \"/bin/echo up\" root\n  ha_suspend\n  sorry_server 198.51.100.99 8080\n  real_server 198.51.100.11 8080 {\n    weight 3\n    TCP_CHECK {\n      connect_timeout 2\n      retry 2\n      delay_before_retry 1\n    }\n  }\n  real_server 198.51.100.12 8080 {\n    inhibit_on_failure\n    MISC_CHECK {\n      misc_path \"/bin/true x\"\n      misc_timeout 4\n    }\n  }\n}\nvirtual_server group web {\n  lb_algo wlc\n  lb_kind DR\n  protocol UDP\n  real_server 198.51.100.13 80 {\n    HTTP_GET {\n      url {\n        path /health\n        status_code 200\n      }\n      connect_timeout 3\n    }\n  }\n}\n";

/** keepalived_check.data from "LVS Topology" on, as check_data.c / check_api.c write it for CONF at start. */
const REF_TOPOLOGY = "------< LVS Topology >------\n System is compiled with LVS v1.2.1\n ------< Virtual server group >------\n Virtual Server Group = web, IPv4 = yes, IPv6 = no\n   VIP Range = 192.0.2.20-192.0.2.22, VPORT = 80\n     Alive: 0 tcp, 0 udp, 0 sctp\n     reloaded = False\n   FWMARK = 7\n     Alive: 0 IPv4, 0 IPv6\n     reloaded = False\n ------< Virtual server >------\n VS VIP = 192.0.2.10, VPORT = 80\n   Address family = inet\n   connection timeout = 5.000000\n   delay_loop = 6.000000\n   lvs_sched = wrr\n   Hashed = disabled\n   flag-1 = disabled\n   flag-2 = disabled\n   flag-3 = disabled\n   One packet scheduling = disabled\n   persistence timeout = 300\n   protocol = TCP\n   alpha is OFF\n   omega is OFF\n   Inhibit on failure is OFF\n   quorum = 1, hysteresis = 0\n   Quorum up notify script = '/bin/echo' 'up', uid:gid 0:0\n   Using HA suspend\n   Using smtp notification = no\n   default forwarding method = NAT\n   sorry server = [198.51.100.99]:tcp:8080\n     forwarding method = NAT\n     Inhibit on failure is OFF\n   alive = 0\n   quorum_state_up = 1\n   reloaded = 0\n   ------< Real server >------\n   RIP = 198.51.100.11, RPORT = 8080, WEIGHT = 3 EFF WEIGHT = 3\n   forwarding method = NAT\n   Alpha is OFF\n   connection timeout = 5.000000\n   connection limit range = 0 -> 0\n   Delay loop = 6.000000\n   Inhibit on failure is OFF\n   Using smtp notification = yes\n   initial weight = 3\n   effective weight = 3\n   previous effective_weight = 3\n   alive = 1\n   num failed checkers = 0\n   RS set = 0\n   reloaded = 0\n   ------< Real server >------\n   RIP = 198.51.100.12, RPORT = 8080, WEIGHT = 1 EFF WEIGHT = 1\n   forwarding method = NAT\n   Alpha is OFF\n   connection timeout = 5.000000\n   connection limit range = 0 -> 0\n   Delay loop = 6.000000\n   Inhibit on failure is ON\n   Using smtp notification = yes\n   initial weight = 1\n   effective weight = 1\n   previous effective_weight = 1\n   alive = 1\n   num failed checkers = 0\n   RS set = 0\n   reloaded = 0\n ------< Virtual server >------\n VS GROUP = [web]:0\n   Address family = inet\n   connection timeout = 5.000000\n   delay_loop = 60.000000\n   lvs_sched = wlc\n   Hashed = disabled\n   flag-1 = disabled\n   flag-2 = disabled\n   flag-3 = disabled\n   One packet scheduling = disabled\n   protocol = UDP\n   alpha is OFF\n   omega is OFF\n   Inhibit on failure is OFF\n   quorum = 1, hysteresis = 0\n   Using smtp notification = no\n   default forwarding method = DR\n   alive = 0\n   quorum_state_up = 1\n   reloaded = 0\n   ------< Real server >------\n   RIP = 198.51.100.13, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1\n   forwarding method = DR\n   Alpha is OFF\n   connection timeout = 5.000000\n   connection limit range = 0 -> 0\n   Delay loop = 60.000000\n   Inhibit on failure is OFF\n   Using smtp notification = yes\n   initial weight = 1\n   effective weight = 1\n   previous effective_weight = 1\n   alive = 1\n   num failed checkers = 0\n   RS set = 0\n   reloaded = 0\n------< Health checkers >------\n [192.0.2.10]:tcp:80 -> [198.51.100.11]:tcp:8080\n   Enabled = no\n   Up = yes\n   Has run = no\n   Current weight = 0\n   Alpha = no\n   Delay loop = 6000000 us\n   Warmup = 6000000 us\n   Retries = 2\n   Delay before retry = 1000000 us\n   Retries iterations = 2\n   Default delay before retry = 1000000 us\n   Log all failures = no\n   Connection\n     Dest = [198.51.100.11]:8080\n     Timeout = 2.000000\n   Keepalive method = TCP_CHECK\n [192.0.2.10]:tcp:80 -> [198.51.100.12]:tcp:8080\n   Enabled = no\n   Up = yes\n   Has run = no\n   Current weight = 0\n   Alpha = no\n   Delay loop = 6000000 us\n   Warmup = 6000000 us\n   Retries = 0\n   Default delay before retry = 1000000 us\n   Log all failures = no\n   Keepalive method = MISC_CHECK\n   script = '/bin/true' 'x'\n   timeout = 4\n   dynamic = NO\n   uid:gid = UID:GID\n   Last ran = 0.000000 (Thu Jan  1 00:00:00 1970.000000)\n   Last status = 0\n [web]:0 -> [198.51.100.13]:udp:80\n   Enabled = yes\n   Up = yes\n   Has run = no\n   Current weight = 0\n   Alpha = no\n   Delay loop = 60000000 us\n   Warmup = 60000000 us\n   Retries = 1\n   Delay before retry = 3000000 us\n   Retries iterations = 1\n   Default delay before retry = 3000000 us\n   Log all failures = no\n   Connection\n     Dest = [198.51.100.13]:80\n     Timeout = 3.000000\n   Keepalive method = HTTP_GET, http protocol 1.0\n   Enable SNI unset\n   Fast recovery unset\n   Checked url = /health\n     HTTP Status Code(s)\n       200\n";

const model = () => loadConfigText(CONF, 'k.conf').model;
// MISC_CHECK runs as the default script user: no keepalived_script user here, so ours (keepalived's rule).
const REF = () => REF_TOPOLOGY.replace('UID:GID', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`);
const VS1 = '[192.0.2.10]:tcp:80';

describe('keepalived_check.data layout', () => {
  it('global part: keepalived\'s own dump less the VRRP-only Default interface line', () => {
    const g = dumpGlobals(loadConfigText(KA_CONF, 'ka.conf').model, 'unused-host');
    const text = formatCheckData(loadConfigText(KA_CONF, 'ka.conf').model, g, { snapshot: [], virtualServers: [], suspended: new Set(), ipvs: false });
    const want = KA_GLOBALS.split('\n').filter((l) => !l.startsWith(' Default interface =') && !/^ (nftables|libnftnl)/.test(l)).join('\n');
    expect(text.split('\n').filter((l) => !/^ (nftables|libnftnl)/.test(l)).join('\n')).toBe(want);
    expect(text).not.toContain('LVS Topology'); // no virtual servers, no topology (nor checkers)
  });

  it('topology and checkers at start (ha_suspend VS suspended) match the source-derived reference', () => {
    const m = model();
    const text = formatCheckData(m, dumpGlobals(m), { snapshot: [], virtualServers: [], suspended: new Set([VS1]), ipvs: false });
    expect(text.slice(text.indexOf('------< LVS Topology >------'))).toBe(REF());
  });

  it('live state: a failed checker, a real server out of the table, quorum lost, checkers resumed', () => {
    const m = model();
    const snapshot: RealServerStatus[] = [{
      vsKey: VS1, rsKey: `${VS1}|198.51.100.11:8080`, up: false, weight: 3,
      checkers: [{ id: 'x', type: 'TCP_CHECK', up: false, detail: 'refused', latencyMs: 1, runs: 4, failures: 3, retryIt: 2 }],
    }];
    const virtualServers = [{
      name: 'TCP 192.0.2.10:80', services: [], quorumUp: false,
      realServers: [
        { address: '198.51.100.11:8080', up: false, weight: 3, tableWeight: null, checkers: [{ type: 'TCP_CHECK', up: false, detail: 'refused' }] },
        { address: '198.51.100.12:8080', up: true, weight: 1, tableWeight: 1, checkers: [] },
      ],
    }];
    const text = formatCheckData(m, dumpGlobals(m), { snapshot, virtualServers, suspended: new Set(), ipvs: true });
    const vs = text.slice(text.indexOf(' VS VIP = 192.0.2.10'), text.indexOf(' VS GROUP'));
    expect(vs).toContain('   alive = 1\n   quorum_state_up = 0\n');
    const rs1 = vs.slice(vs.indexOf('RIP = 198.51.100.11'), vs.indexOf('RIP = 198.51.100.12'));
    expect(rs1).toContain('   alive = 0\n   num failed checkers = 1\n   RS set = 0\n');
    expect(vs.slice(vs.indexOf('RIP = 198.51.100.12'))).toContain('   alive = 1\n   num failed checkers = 0\n   RS set = 1\n');
    const chk = text.slice(text.indexOf(` ${VS1} -> [198.51.100.11]:tcp:8080`));
    expect(chk).toMatch(/^.*\n   Enabled = yes\n   Up = no\n   Has run = yes\n/);
    expect(chk).toContain('   Retries iterations = 2\n');
  });

  it('SMTP, DNS, UDP, FILE checks: their own lines; MISC_CHECK last run; checker track files (check_*.c dump_*_check, check_data.c)', () => {
    const conf = 'track_file tf {\n  file /tmp/nosuch-kadump\n  weight 2\n}\nvirtual_server 192.0.2.30 25 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n' +
      '  real_server 198.51.100.21 25 {\n    SMTP_CHECK {\n      helo_name mx.example\n    }\n    FILE_CHECK {\n      track_file tf\n      weight 3 reverse\n    }\n  }\n' +
      '  real_server 198.51.100.22 25 {\n    DNS_CHECK {\n      type A\n      name example.org\n    }\n    UDP_CHECK {\n      payload 0a0b\n      require_reply 0c\n      min_reply_length 1\n      max_reply_length 9\n    }\n' +
      '    MISC_CHECK {\n      misc_path /bin/false\n    }\n  }\n}\n';
    const m = loadConfigText(conf, 'k.conf').model;
    const rs1 = '[192.0.2.30]:tcp:25|198.51.100.21:25';
    const rs2 = '[192.0.2.30]:tcp:25|198.51.100.22:25';
    const checker = (type: string, detail: string, extra: object = {}) => ({ id: type, type, up: false, detail, latencyMs: 1, runs: 1, failures: 1, retryIt: 1, ...extra });
    const snapshot: RealServerStatus[] = [
      { vsKey: '[192.0.2.30]:tcp:25', rsKey: rs1, up: false, weight: 1, checkers: [checker('SMTP_CHECK', 'x'), checker('FILE_CHECK', 'FILE_CHECK tf (/tmp/nosuch-kadump) value 7: fault')] },
      { vsKey: '[192.0.2.30]:tcp:25', rsKey: rs2, up: false, weight: 1, checkers: [checker('DNS_CHECK', 'x'), checker('UDP_CHECK', 'x'),
        checker('MISC_CHECK', 'MISC_CHECK /bin/false exited with status 1', { lastRunWallMs: Date.UTC(2026, 0, 5, 1, 2, 3) + 0.5 })] },
    ];
    const text = formatCheckData(m, dumpGlobals(m), { snapshot, virtualServers: [], suspended: new Set(), ipvs: true });
    expect(text).toContain('   Keepalive method = SMTP_CHECK\n   helo = mx.example\n');
    expect(text).toContain('   Keepalive method = FILE_CHECK\n     Tracked file = tf\n     Reloaded = No\n');
    expect(text).toContain('   Keepalive method = DNS_CHECK\n   Type = A\n   Name = example.org\n');
    expect(text).toContain('   Keepalive method = UDP_CHECK\n   Payload len = 2\n   Require reply = yes\n     Min reply length = 1\n     Max reply length = 9\n     Reply data len = 1\n     Reply data mask = no\n');
    expect(text).toContain('   Last ran = 1767574923.000500 (Mon Jan  5 01:02:03 2026.000500)\n   Last status = 1\n');
    expect(text.slice(text.indexOf('------< Checker track files >------'))).toBe(('------< Checker track files >------\n Track file = tf\n   File = /tmp/nosuch-kadump\n   Status = 7\n   Weight = 2\n' +
      '   Tracking instances :\n     [192.0.2.30]:tcp:25 -> [198.51.100.21]:tcp:25, weight 3 reverse\n'));
  });

  it('SSL definitions (the SSL block, or the autogenerated context for SSL_GET) and checker track BFDs', () => {
    const vs = (checker: string) => 'virtual_server 192.0.2.40 443 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 198.51.100.41 443 {\n' + checker + '  }\n}\n';
    const ssl = 'SSL {\n  password secret\n  ca /etc/ca.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n}\n';
    const get = '    SSL_GET {\n      url {\n        path /\n        status_code 200\n      }\n    }\n';
    const text = (conf: string) => {
      const m = loadConfigText(conf, 'k.conf').model;
      return formatCheckData(m, dumpGlobals(m), { snapshot: [], virtualServers: [], suspended: new Set(), ipvs: true });
    };
    expect(text(ssl + vs(get))).toContain('------< SSL definitions >------\n Password : secret\n CA-file : /etc/ca.pem\n Certificate file : /etc/c.pem\n Key file : /etc/k.pem\n------< LVS Topology >------\n');
    expect(text(vs(get))).toContain(' umask = 0177\n------< SSL definitions >------\n Using autogen SSL context\n------< LVS Topology >------\n');
    expect(text(vs('    TCP_CHECK {\n    }\n'))).not.toContain('SSL definitions');
    const bfd = text('bfd_instance b1 {\n  neighbor_ip 198.51.100.41\n}\n' + vs('    BFD_CHECK {\n      name b1\n    }\n'));
    expect(bfd).toContain('   Keepalive method = BFD_CHECK\n   Name = b1\n   Alpha is OFF\n');
    expect(bfd.endsWith('------< Checker track BFDs >------\n Checker Track BFD = b1\n   Tracking RS :\n   [198.51.100.41]:tcp:443\n')).toBe(true);
  });

  it('format_decimal: seconds with six decimals', () => {
    expect(fmtDecimal(5_000_000)).toBe('5.000000');
    expect(fmtDecimal(1_500_000)).toBe('1.500000');
    expect(fmtDecimal(42)).toBe('0.000042');
  });
});

describe.runIf(isRoot())('our daemon writes keepalived_check.data on SIGUSR1 (namespace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dump-check-'));
  let ns = '';
  afterAll(() => {
    if (ns) deleteNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the checker child writes the file whole, mode 0600, in TMPDIR', async () => {
    requireDist('dist/src/daemon/vrrp-child.js');
    ns = createNetns('dck');
    const d = startOurs(ns, join(dir, 'ours'), CONF);
    try {
      await until('checker pid', () => readPid(d.files.checkersPid) !== null, 30_000);
      const pid = readPid(d.files.checkersPid)!;
      const file = join(d.dir, 'keepalived_check.data');
      // The child takes SIGUSR1 once it has loaded the config: retry until the file is there.
      await until('keepalived_check.data', () => {
        try {
          process.kill(pid, 'SIGUSR1');
        } catch {
          /* not yet */
        }
        return existsSync(file);
      }, 30_000, 500);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith('------< Global definitions >------\n')).toBe(true);
      expect(text).toContain(' VS VIP = 192.0.2.10, VPORT = 80\n');
      expect(text).toContain('------< Health checkers >------\n [192.0.2.10]:tcp:80 -> [198.51.100.11]:tcp:8080\n');
      expect(text).not.toContain(' Default interface');
    } catch (e) {
      throw new Error(`${String(e)}\ndaemon output:\n${d.out()}`);
    } finally {
      await stopProc(d);
    }
  }, 90_000);
});
