// The metrics core and its HTTP endpoint on loopback, fed by canned status/checker answers: names,
// labels and values as Prometheus parses them, counters refreshed per scrape, the histogram fed once
// per new run, the --metrics address parser, and the endpoint's bounds (404, 405, a failing source).
import { request } from 'node:http';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceStatus, IpvsKernelStats, StatusResult } from '../../src/control/protocol.js';
import { parseDaemonArgs } from '../../src/daemon/args.js';
import { parseMetricsListen } from '../../src/daemon/metrics-addr.js';
import { METRICS_CONTENT_TYPE, startMetricsServer, type MetricsServer } from '../../src/daemon/metrics-http.js';
import { type CheckerSnapshot, DaemonMetrics, statusNameOfVsKey } from '../../src/daemon/metrics.js';

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[] };
const parse = (t: string) => parsePrometheusTextFormat(t) as Family[];
const fam = (fs: Family[], n: string) => {
  const f = fs.find((x) => x.name === n);
  if (!f) throw new Error(`no metric ${n}`);
  return f;
};
const val = (fs: Family[], n: string, labels: Record<string, string>) => {
  const m = fam(fs, n).metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m ? Number(m.value) : undefined;
};

const httpGet = (port: number, path: string, method = 'GET') =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });

function status(over: Partial<StatusResult> = {}): StatusResult {
  const inst: InstanceStatus[] = (['MASTER', 'BACKUP'] as const).map((state, k) => ({
    name: `VI_${k + 1}`, state, vrid: 51 + k, version: 2, family: 4, interface: 'veth0',
    priority: { configured: 100 + k, effective: 90 + k, override: k === 0 ? 254 : null },
    masterAddr: null, vips: [`192.0.2.${100 + k}`],
    tracks: [{ name: 'veth0', kind: 'interface', weight: 0, status: true }],
    counters: { advertsSent: 10 + k, advertsReceived: 20 + k, becameMaster: 1, releasedMaster: 0, priorityZeroSent: 0, priorityZeroReceived: 0, drops: { auth_failure: 3 } },
  }));
  return {
    protocolVersion: 1,
    daemon: { pid: 1, version: 't', configFile: '/x', configId: 'h', startedAt: new Date(0).toISOString() },
    instances: inst,
    syncGroups: [{ name: 'G1', state: inst[0]!.state, members: [inst[0]!.name] }],
    virtualServers: [
      {
        name: 'TCP 192.0.2.10:80', services: ['TCP 192.0.2.10:80'], quorumUp: true,
        realServers: [
          { address: '192.0.2.21:80', up: true, weight: 3, tableWeight: 3, checkers: [{ type: 'HTTP_GET', up: true, detail: 'ok' }] },
          { address: '192.0.2.22:80', up: false, weight: 1, tableWeight: null, checkers: [{ type: 'TCP_CHECK', up: false, detail: 'refused' }] },
        ],
      },
    ],
    ipvs: { available: false, detail: 'no ip_vs' },
    ...over,
  };
}

function checker(runs: number, latencyMs: number): CheckerSnapshot {
  return {
    realServers: [
      { vsKey: '[192.0.2.10]:tcp:80', rsKey: '[192.0.2.10]:tcp:80|192.0.2.21:80', checkers: [{ id: 'c1', type: 'HTTP_GET', up: true, latencyMs, runs, failures: 1 }] },
    ],
  };
}

describe('DaemonMetrics', () => {
  it('exports every instance, counter and real server as status has them', async () => {
    const st = status();
    const m = new DaemonMetrics({ status: async () => st, checker: async () => checker(5, 12) }, '9.9');
    const fs = parse(await m.scrape());
    for (const i of st.instances) {
      expect(val(fs, 'keepalived_vrrp_state', { instance: i.name, state: i.state })).toBe(1);
      expect(fam(fs, 'keepalived_vrrp_state').metrics.filter((x) => x.labels?.instance === i.name && x.value === '1')).toHaveLength(1);
      expect(val(fs, 'keepalived_vrrp_effective_priority', { instance: i.name })).toBe(i.priority.effective);
      expect(val(fs, 'keepalived_vrrp_configured_priority', { instance: i.name })).toBe(i.priority.configured);
      expect(val(fs, 'keepalived_vrrp_adverts_sent_total', { instance: i.name })).toBe(i.counters.advertsSent);
      expect(val(fs, 'keepalived_vrrp_adverts_received_total', { instance: i.name })).toBe(i.counters.advertsReceived);
      expect(val(fs, 'keepalived_vrrp_dropped_total', { instance: i.name, reason: 'auth_failure' })).toBe(3);
      // Every known reason is there from the first scrape.
      expect(val(fs, 'keepalived_vrrp_dropped_total', { instance: i.name, reason: 'truncated' })).toBe(0);
    }
    expect(fam(fs, 'keepalived_vrrp_adverts_sent_total').type).toBe('COUNTER');
    expect(val(fs, 'keepalived_vrrp_override_priority', { instance: 'VI_1' })).toBe(254);
    expect(val(fs, 'keepalived_vrrp_override_priority', { instance: 'VI_2' })).toBeUndefined();
    expect(val(fs, 'keepalived_vrrp_track_status', { instance: 'VI_1', kind: 'interface', track: 'veth0' })).toBe(1);
    expect(val(fs, 'keepalived_vrrp_sync_group_state', { group: 'G1', state: st.instances[0]!.state })).toBe(1);
    expect(val(fs, 'keepalived_real_server_up', { virtual_server: 'TCP 192.0.2.10:80', real_server: '192.0.2.22:80' })).toBe(0);
    expect(val(fs, 'keepalived_real_server_weight', { real_server: '192.0.2.21:80' })).toBe(3);
    expect(val(fs, 'keepalived_real_server_ipvs_weight', { real_server: '192.0.2.22:80' })).toBeUndefined();
    expect(val(fs, 'keepalived_checker_up', { real_server: '192.0.2.22:80', checker: 'TCP_CHECK' })).toBe(0);
    expect(val(fs, 'keepalived_ipvs_available', {})).toBe(0);
    // The checker's vsKey is mapped to the status name, so both join on the same labels.
    expect(val(fs, 'keepalived_checker_runs_total', { virtual_server: 'TCP 192.0.2.10:80', real_server: '192.0.2.21:80' })).toBe(5);
    expect(val(fs, 'keepalived_build_info', { version: '9.9' })).toBe(1);
    expect(fs.some((f) => f.name === 'process_cpu_seconds_total')).toBe(true);
    expect(val(fs, 'keepalived_scrape_source_up', { source: 'vrrp' })).toBe(1);
  });

  it('refreshes counters on each scrape, counts transitions from events, observes a check once per new run', async () => {
    let st = status();
    let ck = checker(1, 20);
    const m = new DaemonMetrics({ status: async () => st, checker: async () => ck }, 't');
    await m.scrape();
    const name = st.instances[0]!.name;
    st = status();
    st.instances[0]!.counters.advertsSent = 500;
    m.onEvent({ type: 'transition', instance: name, transition: { from: 'BACKUP', to: 'MASTER', at: new Date().toISOString(), reason: 'x' } });
    m.onEvent({ type: 'transition', instance: name, transition: { from: 'BACKUP', to: 'MASTER', at: new Date().toISOString(), reason: 'y' } });
    let fs = parse(await m.scrape());
    expect(val(fs, 'keepalived_vrrp_adverts_sent_total', { instance: name })).toBe(500);
    expect(val(fs, 'keepalived_vrrp_transitions_total', { instance: name, from: 'BACKUP', to: 'MASTER' })).toBe(2);
    // Same run count: no new observation.
    let h = fam(fs, 'keepalived_check_duration_seconds').metrics[0]!;
    expect(Number(h.buckets!['+Inf'])).toBe(1);
    expect(Number(h.buckets!['0.025'])).toBe(1);
    expect(Number(h.buckets!['0.01'])).toBe(0);
    ck = checker(3, 300);
    fs = parse(await m.scrape());
    h = fam(fs, 'keepalived_check_duration_seconds').metrics[0]!;
    expect(Number(h.buckets!['+Inf'])).toBe(2);
    expect(Number(h.buckets!['0.25'])).toBe(1);
  });

  it('a source that fails reads as down, never as an error', async () => {
    const m = new DaemonMetrics({ status: async () => { throw new Error('VRRP child gone'); }, checker: async () => undefined }, 't');
    const fs = parse(await m.scrape());
    expect(val(fs, 'keepalived_scrape_source_up', { source: 'vrrp' })).toBe(0);
    expect(val(fs, 'keepalived_scrape_source_up', { source: 'checker' })).toBe(0);
    expect(fam(fs, 'keepalived_vrrp_state').metrics).toHaveLength(0);
    // A status of the wrong shape (a daemon bug) is treated the same way.
    const odd = new DaemonMetrics({ status: async () => ({ instances: [{ name: 'x' }] }) as unknown as StatusResult, checker: async () => ({ realServers: [{}] }) as unknown as CheckerSnapshot }, 't');
    const fs2 = parse(await odd.scrape());
    expect(val(fs2, 'keepalived_scrape_source_up', { source: 'vrrp' })).toBe(0);
    expect(val(fs2, 'keepalived_scrape_source_up', { source: 'checker' })).toBe(0);
  });

  it('exports the kernel IPVS counters per virtual and real server, by direction, on the endpoint (loopback)', async () => {
    const ks = (base: number): IpvsKernelStats => ({
      connections: base, packetsIn: base * 10, packetsOut: base * 9, bytesIn: base * 1000, bytesOut: base * 2000,
      connectionsPerSecond: 1, packetsInPerSecond: 2, packetsOutPerSecond: 3, bytesInPerSecond: 4, bytesOutPerSecond: 5,
    });
    let st = status({ ipvs: { available: true } });
    const vs = st.virtualServers![0]!;
    vs.kernelStats = ks(7);
    vs.realServers[0]!.kernelStats = ks(5);
    const m = new DaemonMetrics({ status: async () => st, checker: async () => undefined }, 't');
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => m.scrape(), () => undefined);
    if (!s.ok) throw new Error(s.error);
    try {
      const scrape = async () => {
        const r = await httpGet(s.server.address.port, '/metrics');
        expect(r.status).toBe(200);
        return parse(r.body);
      };
      let fs = await scrape();
      const v = { virtual_server: 'TCP 192.0.2.10:80' };
      const r1 = { ...v, real_server: '192.0.2.21:80' };
      for (const n of ['connections', 'packets', 'bytes']) {
        expect(fam(fs, `keepalived_ipvs_virtual_server_${n}_total`).type).toBe('COUNTER');
        expect(fam(fs, `keepalived_ipvs_real_server_${n}_total`).type).toBe('COUNTER');
      }
      expect(val(fs, 'keepalived_ipvs_virtual_server_connections_total', v)).toBe(7);
      expect(val(fs, 'keepalived_ipvs_virtual_server_packets_total', { ...v, direction: 'in' })).toBe(70);
      expect(val(fs, 'keepalived_ipvs_virtual_server_packets_total', { ...v, direction: 'out' })).toBe(63);
      expect(val(fs, 'keepalived_ipvs_virtual_server_bytes_total', { ...v, direction: 'in' })).toBe(7000);
      expect(val(fs, 'keepalived_ipvs_virtual_server_bytes_total', { ...v, direction: 'out' })).toBe(14000);
      expect(val(fs, 'keepalived_ipvs_real_server_connections_total', r1)).toBe(5);
      expect(val(fs, 'keepalived_ipvs_real_server_packets_total', { ...r1, direction: 'out' })).toBe(45);
      expect(val(fs, 'keepalived_ipvs_real_server_bytes_total', { ...r1, direction: 'in' })).toBe(5000);
      // The real server not in the table has no series (not a misleading 0); same labels as the other real-server metrics.
      expect(fam(fs, 'keepalived_ipvs_real_server_connections_total').metrics.map((x) => x.labels)).toEqual([r1]);
      expect(val(fs, 'keepalived_real_server_up', r1)).toBe(1);
      // The next scrape shows the kernel's new figures, not a sum of scrapes.
      st = status({ ipvs: { available: true } });
      st.virtualServers![0]!.kernelStats = ks(8);
      fs = await scrape();
      expect(val(fs, 'keepalived_ipvs_virtual_server_connections_total', v)).toBe(8);
      expect(fam(fs, 'keepalived_ipvs_real_server_connections_total').metrics).toHaveLength(0);
      // Without IPVS: no series at all.
      st = status();
      fs = await scrape();
      expect(fam(fs, 'keepalived_ipvs_virtual_server_bytes_total').metrics).toHaveLength(0);
    } finally {
      await s.server.close();
    }
  });

  it('maps keepalived vsKeys to status names', () => {
    const names = ['TCP 192.0.2.10:80', 'UDP [2001:db8::1]:53', 'FWM 7', 'GROUP web TCP'];
    expect(statusNameOfVsKey('[192.0.2.10]:tcp:80', names)).toBe('TCP 192.0.2.10:80');
    expect(statusNameOfVsKey('[2001:db8::1]:udp:53', names)).toBe('UDP [2001:db8::1]:53');
    expect(statusNameOfVsKey('FWM 7', names)).toBe('FWM 7');
    expect(statusNameOfVsKey('group web', names)).toBe('GROUP web TCP');
    expect(statusNameOfVsKey('[192.0.2.99]:tcp:80', names)).toBe('[192.0.2.99]:tcp:80');
  });
});

describe('--metrics ADDR:PORT', () => {
  it('parses addresses and refuses bad ones with the flag named', () => {
    expect(parseMetricsListen('192.0.2.1:9650')).toEqual({ ok: true, listen: { host: '192.0.2.1', port: 9650 } });
    expect(parseMetricsListen('[2001:db8::1]:9650')).toEqual({ ok: true, listen: { host: '2001:db8::1', port: 9650 } });
    expect(parseMetricsListen(':9650')).toEqual({ ok: true, listen: { host: '', port: 9650 } });
    expect(parseMetricsListen('9650')).toEqual({ ok: true, listen: { host: '', port: 9650 } });
    for (const bad of ['192.0.2.1', '192.0.2.1:0', '192.0.2.1:70000', '2001:db8::1:80', '[192.0.2.1]:80', 'a b:80', 'x:port']) {
      const r = parseMetricsListen(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error).toContain('--metrics');
    }
  });

  it('comes from the flag or KEEPALIVED_METRICS, the flag first', () => {
    const a = parseDaemonArgs(['--metrics', '127.0.0.1:9650'], { KEEPALIVED_METRICS: '127.0.0.1:1' });
    expect(a.ok && a.args.metrics).toEqual({ host: '127.0.0.1', port: 9650 });
    const e = parseDaemonArgs([], { KEEPALIVED_METRICS: '[::1]:9651' });
    expect(e.ok && e.args.metrics).toEqual({ host: '::1', port: 9651 });
    const none = parseDaemonArgs([], {});
    expect(none.ok && none.args.metrics).toBeUndefined();
    const bad = parseDaemonArgs(['--metrics', 'nope'], {});
    expect(bad.ok).toBe(false);
  });
});

describe('metrics endpoint (loopback)', () => {
  let srv: MetricsServer | null = null;
  afterEach(async () => {
    await srv?.close();
    srv = null;
  });
  const get = httpGet;

  it('serves GET /metrics only, one scrape shared by concurrent requests', async () => {
    let scrapes = 0;
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, async () => {
      scrapes++;
      await new Promise((r) => setTimeout(r, 50));
      return 'x_total 1\n';
    }, () => undefined);
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    srv = s.server;
    const port = s.server.address.port;
    const [a, b] = await Promise.all([get(port, '/metrics'), get(port, '/metrics?x=1')]);
    expect(a).toEqual({ status: 200, type: METRICS_CONTENT_TYPE, body: 'x_total 1\n' });
    expect(b.status).toBe(200);
    expect(scrapes).toBe(1);
    expect((await get(port, '/')).status).toBe(404);
    expect((await get(port, '/metrics/x')).status).toBe(404);
    expect((await get(port, '/metrics', 'POST')).status).toBe(405);
  });

  it('a failing scrape is a 500 and logged; a taken port is one error line', async () => {
    const logs: string[] = [];
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, async () => { throw new Error('boom'); }, (m) => logs.push(m));
    if (!s.ok) throw new Error(s.error);
    srv = s.server;
    expect((await get(s.server.address.port, '/metrics')).status).toBe(500);
    expect(logs.join()).toContain('boom');
    const again = await startMetricsServer({ host: '127.0.0.1', port: s.server.address.port }, async () => '', () => undefined);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error).toMatch(/cannot listen on 127\.0\.0\.1:\d+ for metrics/);
  });
});
