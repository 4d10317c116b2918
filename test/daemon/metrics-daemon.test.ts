// The metrics endpoint of running daemons (ours, bin/keepalived) in network namespaces: node 0 with
// --metrics, node 1 with KEEPALIVED_METRICS; each endpoint listens inside its namespace and is scraped
// from inside it (a node child under `ip netns exec`). The scrape, parsed with
// parse-prometheus-text-format, must agree with `keepalivedctl status --json`: states, priorities,
// advert counters, drop reasons, transitions, real servers and checkers (one real server answers,
// one does not).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResult } from '../../src/control/protocol.js';
import { Cluster, ROOT, until, type Daemon } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[] };
const fam = (fs: Family[], n: string): Family => {
  const f = fs.find((x) => x.name === n);
  if (!f) throw new Error(`no metric ${n}`);
  return f;
};
const val = (fs: Family[], n: string, labels: Record<string, string>): number | undefined => {
  const m = fam(fs, n).metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m ? Number(m.value) : undefined;
};

const conf = (prio: number, withVs: boolean) => `
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
${withVs ? `
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.1 8081 {
    weight 3
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 192.0.2.1 8082 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
    }
  }
}` : ''}
`;

function ctlJson(d: Daemon): Promise<StatusResult> {
  return new Promise((res, rej) =>
    execFile(process.execPath, [join(ROOT, 'bin', 'keepalivedctl'), 'status', '--json', '--socket', d.sock], { cwd: ROOT, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? rej(new Error(`status --json: ${stderr}`)) : res(JSON.parse(stdout) as StatusResult),
    ),
  );
}

describe.runIf(isRoot())('metrics of running daemons (root, namespaces)', () => {
  let cl: Cluster | null = null;
  beforeAll(() => {
    cl = new Cluster(2, 'mt');
  });
  afterAll(async () => {
    await cl?.dispose();
  }, 60_000);

  /** GET inside the node's namespace: [status, content-type, body]. */
  async function scrape(i: number, path = '/metrics'): Promise<{ status: number; type: string; body: string }> {
    const c = cl!;
    const url = `http://${c.nodes[i]!.v4}:9650${path}`;
    const js = `fetch(${JSON.stringify(url)},{signal:AbortSignal.timeout(15000)}).then(async r=>{process.stdout.write(JSON.stringify({status:r.status,type:r.headers.get('content-type'),body:await r.text()}))},e=>{process.stdout.write(JSON.stringify({status:0,type:'',body:String(e)}))})`;
    const p = c.run(c.nodes[i]!.ns, [process.execPath, '-e', js]);
    const t = setTimeout(() => p.proc.kill('SIGKILL'), 30_000);
    await p.exited;
    clearTimeout(t);
    return JSON.parse(p.out()) as { status: number; type: string; body: string };
  }

  /** Runs ours on node i with extra daemon flags / environment (Cluster.start takes neither). */
  function startOurs(i: number, text: string, flags: string[], env: Record<string, string> = {}): Daemon {
    const c = cl!;
    const dir = join(c.dir, `m${i}`);
    mkdirSync(dir, { recursive: true });
    const f = (n: string) => join(dir, n);
    writeFileSync(f('k.conf'), text);
    const argv = [process.execPath, join(ROOT, 'bin', 'keepalived'), '-n', '-l', '-f', f('k.conf'), '-p', f('k.pid'), '-r', f('v.pid'), '-c', f('c.pid'), '--socket', f('k.sock'), '--state-dir', f('state'), ...flags];
    const p = c.run(c.nodes[i]!.ns, argv, env);
    return { ...p, impl: 'ours', node: i, ns: c.nodes[i]!.ns, conf: f('k.conf'), pidFile: f('k.pid'), vrrpPidFile: f('v.pid'), sock: f('k.sock'), stateDir: f('state') };
  }

  it('agree with status --json, from inside the namespace', async () => {
    const c = cl!;
    // Something for one real server's TCP_CHECK to connect to (it resets each connection); the other port has nobody.
    const listener = c.run(c.nodes[0]!.ns, [process.execPath, '-e', "require('net').createServer(s=>{s.on('error',()=>{});s.end()}).listen(8081,'192.0.2.1',()=>console.log('listening'))"]);
    await until('the real server listening', () => listener.out().includes('listening') || listener.proc.exitCode !== null, 20_000, 50);
    expect(listener.out()).toContain('listening');
    const a = startOurs(0, conf(200, true), ['--metrics', '192.0.2.1:9650']);
    const b = startOurs(1, conf(100, false), ['-P'], { KEEPALIVED_METRICS: '192.0.2.2:9650' });

    await until('node 0 MASTER, node 1 BACKUP', async () => {
      const [sa, sb] = await Promise.all([ctlJson(a).catch(() => null), ctlJson(b).catch(() => null)]);
      return sa?.instances[0]?.state === 'MASTER' && sb?.instances[0]?.state === 'BACKUP';
    }, 60_000, 300).catch((e: Error) => {
      throw new Error(`${e.message}\nnode 0: ${a.out().slice(-2000)}\nnode 1: ${b.out().slice(-2000)}`);
    });
    let last: unknown = null;
    await until('checkers decided', async () => {
      const s = await ctlJson(a);
      last = s.virtualServers ?? s.ipvs ?? null;
      const rs = s.virtualServers?.[0]?.realServers ?? [];
      return rs.length === 2 && rs[0]!.up && !rs[1]!.up && rs.every((r) => r.checkers.length === 1);
    }, 30_000, 300).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}\n${a.out().slice(-3000)}`);
    });
    expect(a.out()).toMatch(/Prometheus metrics on http:\/\/192\.0\.2\.1:9650\/metrics/);

    for (const [i, d] of [[0, a], [1, b]] as const) {
      // Counters move every second: status just before and just after bound the scraped values.
      const s0 = await ctlJson(d);
      const r = await scrape(i);
      expect(r.status, r.body).toBe(200);
      expect(r.type).toContain('text/plain; version=0.0.4');
      const s = await ctlJson(d);
      const inst0 = s0.instances[0]!;
      const fs = parsePrometheusTextFormat(r.body) as Family[];
      const inst = s.instances[0]!;
      const l = { instance: 'VI_1' };
      expect(val(fs, 'keepalived_vrrp_state', { ...l, state: inst.state, vrid: '51', interface: 'veth0' })).toBe(1);
      expect(fam(fs, 'keepalived_vrrp_state').metrics.filter((m) => m.value === '1')).toHaveLength(1);
      expect(val(fs, 'keepalived_vrrp_effective_priority', l)).toBe(inst.priority.effective);
      expect(val(fs, 'keepalived_vrrp_configured_priority', l)).toBe(inst.priority.configured);
      const sent = val(fs, 'keepalived_vrrp_adverts_sent_total', l)!;
      const rcvd = val(fs, 'keepalived_vrrp_adverts_received_total', l)!;
      expect(sent).toBeLessThanOrEqual(inst.counters.advertsSent);
      expect(sent).toBeGreaterThanOrEqual(inst0.counters.advertsSent);
      expect(rcvd).toBeLessThanOrEqual(inst.counters.advertsReceived);
      expect(rcvd).toBeGreaterThanOrEqual(inst0.counters.advertsReceived);
      if (inst.state === 'MASTER') expect(sent).toBeGreaterThan(0);
      else expect(rcvd).toBeGreaterThan(0);
      expect(val(fs, 'keepalived_vrrp_become_master_total', l)).toBe(inst.counters.becameMaster);
      for (const [reason, n] of Object.entries(inst.counters.drops)) {
        const m = val(fs, 'keepalived_vrrp_dropped_total', { ...l, reason })!;
        expect(m).toBeGreaterThanOrEqual(inst0.counters.drops[reason] ?? 0);
        expect(m).toBeLessThanOrEqual(n);
      }
      // Every reason is exported from the first scrape, 0 when none was seen.
      expect(val(fs, 'keepalived_vrrp_dropped_total', { ...l, reason: 'auth_password' })).toBe(inst.counters.drops.auth_password ?? 0);
      // Transitions counted from the event stream: as many into MASTER as status counts.
      const intoMaster = fam(fs, 'keepalived_vrrp_transitions_total').metrics.filter((m) => m.labels?.to === 'MASTER').reduce((n, m) => n + Number(m.value), 0);
      expect(intoMaster).toBe(inst.counters.becameMaster);
      expect(val(fs, 'keepalived_build_info', { version: s.daemon.version })).toBe(1);
      expect(fam(fs, 'process_resident_memory_bytes').metrics.length).toBe(1);
      expect(fam(fs, 'keepalived_vrrp_adverts_sent_total').type).toBe('COUNTER');
      expect(val(fs, 'keepalived_scrape_source_up', { source: 'vrrp' })).toBe(1);
      if (i === 0) {
        const vs = s.virtualServers![0]!;
        for (const rs of vs.realServers) {
          const rl = { virtual_server: vs.name, real_server: rs.address };
          expect(val(fs, 'keepalived_real_server_up', rl)).toBe(rs.up ? 1 : 0);
          expect(val(fs, 'keepalived_real_server_weight', rl)).toBe(rs.weight);
          expect(val(fs, 'keepalived_checker_up', { ...rl, checker: 'TCP_CHECK', index: '0' })).toBe(rs.checkers[0]!.up ? 1 : 0);
          expect(val(fs, 'keepalived_checker_runs_total', { ...rl, checker: 'TCP_CHECK' })).toBeGreaterThan(0);
        }
        expect(val(fs, 'keepalived_checker_failures_total', { virtual_server: vs.name, real_server: '192.0.2.1:8082' })).toBeGreaterThan(0);
        expect(val(fs, 'keepalived_virtual_server_quorum_up', { virtual_server: vs.name })).toBe(vs.quorumUp ? 1 : 0);
        if (s.ipvs) expect(val(fs, 'keepalived_ipvs_available', {})).toBe(s.ipvs.available ? 1 : 0);
        const h = fam(fs, 'keepalived_check_duration_seconds');
        expect(h.type).toBe('HISTOGRAM');
        expect(Number(h.metrics[0]!.buckets!['+Inf'])).toBeGreaterThan(0);
        expect(val(fs, 'keepalived_scrape_source_up', { source: 'checker' })).toBe(1);
      } else {
        expect(fam(fs, 'keepalived_real_server_up').metrics).toHaveLength(0);
      }
    }
    expect((await scrape(0, '/')).status).toBe(404);
    expect((await scrape(0, '/other')).status).toBe(404);
  }, 240_000);
});
