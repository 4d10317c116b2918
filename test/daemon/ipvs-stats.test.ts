// The kernel's IPVS counters in the checker child's status: read from an in-memory kernel (table kept
// by reconcile.ts applyOps, dumps answered with per-service/destination stats64 or stats), summed per
// virtual server over its services, converted from bigint with saturation, read at most once a second,
// bounded by a timeout, and absent (no field, no error) without IPVS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { KeepalivedConfig } from '../../src/config/model.js';
import { destAttrs, serviceAttrs, tableService } from '../../src/ipvs/client.js';
import type { IpvsDaemon, IpvsDest, IpvsService as GenlService, IpvsStats } from '../../src/ipvs/genl-codec.js';
import { err, ok, type Result } from '../../src/net/nlattr.js';
import { applyOps, type Op } from '../../src/ipvs/reconcile.js';
import { destKey, serviceKey, type ServiceId, type Table } from '../../src/ipvs/table.js';
import { IpvsService, type IpvsKernel } from '../../src/daemon/ipvs-service.js';
import { kernelStats, readStatsTable, StatsCache, sumStats, type StatsTable } from '../../src/daemon/ipvs-stats.js';

const dir = mkdtempSync(join(tmpdir(), 'ipvs-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function cfg(text: string): KeepalivedConfig {
  const f = join(dir, `k${n++}.conf`);
  writeFileSync(f, text);
  const r = loadConfig(f, { configId: 'test' });
  expect(r.errors, JSON.stringify(r.diagnostics)).toBe(0);
  return r.model;
}

/** Stats whose every field derives from one base, so a mix-up between fields shows. */
const st = (b: bigint): IpvsStats => ({
  conns: b, inpkts: b * 10n, outpkts: b * 9n, inbytes: b * 1000n, outbytes: b * 2000n,
  cps: b + 1n, inpps: b + 2n, outpps: b + 3n, inbps: b + 4n, outbps: b + 5n,
});

/** The in-memory kernel, answering the dumps the stats read makes. */
class MemKernel implements IpvsKernel {
  table: Table = { services: [] };
  /** serviceKey -> stats; `${serviceKey}|${destKey}` -> stats. */
  stats = new Map<string, IpvsStats>();
  /** Send the 32-bit stats only (a kernel before 4.1). */
  only32 = false;
  dumps = 0;
  delayMs = 0;
  async readTable() { return ok(structuredClone(this.table)); }
  async apply(ops: readonly Op[]) {
    const r = applyOps(this.table, ops);
    this.table = r.table;
    return { done: ops.length - r.errors.length, errors: r.errors };
  }
  async getDaemons() { return ok<IpvsDaemon[]>([]); }
  async startDaemon() { return ok(undefined); }
  async stopDaemon() { return ok(undefined); }
  close() {}
  private withStats<T extends object>(x: T, s: IpvsStats | undefined): T {
    return s ? { ...x, ...(this.only32 ? { stats: s } : { stats64: s }) } : x;
  }
  async listServices(): Promise<Result<GenlService[]>> {
    this.dumps++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return ok(this.table.services.map((s) => this.withStats(serviceAttrs(s, true), this.stats.get(serviceKey(s)))));
  }
  async listDests(svc: ServiceId): Promise<Result<IpvsDest[]>> {
    const s = this.table.services.find((x) => serviceKey(x) === serviceKey(svc));
    if (!s) return err('GET_DEST: no such service (ESRCH)');
    return ok(s.dests.map((d) => this.withStats(destAttrs(d, true), this.stats.get(`${serviceKey(s)}|${destKey(d)}`))));
  }
}

function service(kernel: IpvsKernel | undefined) {
  const logs: string[] = [];
  const svc = new IpvsService({
    open: async () => (kernel ? ok(kernel) : err('the kernel has no IPVS (ip_vs module not loaded or not built)')),
    results: () => new Map(),
    log: (level, m) => logs.push(`${level}: ${m}`),
    runScript: () => {},
    coalesceMs: 5,
  });
  return { svc, logs };
}

const CONF = `
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 8080 {
        weight 1
    }
    real_server 198.51.100.12 8080 {
        weight 1
    }
}
virtual_server_group web {
    192.0.2.20 80
    192.0.2.21 80
}
virtual_server group web {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 198.51.100.31 80 {
        weight 2
    }
}
`;

describe('kernel IPVS counters in status', () => {
  it('attaches each virtual and real server its counters, a group summed over its services', async () => {
    const k = new MemKernel();
    const { svc, logs } = service(k);
    await svc.start(cfg(CONF));
    expect(k.table.services.map((s) => serviceKey(s)).sort()).toEqual(['TCP 192.0.2.10:80', 'TCP 192.0.2.20:80', 'TCP 192.0.2.21:80']);
    k.stats.set('TCP 192.0.2.10:80', st(100n));
    k.stats.set('TCP 192.0.2.10:80|198.51.100.11:8080', st(60n));
    // 198.51.100.12 has no stats in the dump: no figure rather than a made-up 0.
    k.stats.set('TCP 192.0.2.20:80', st(3n));
    k.stats.set('TCP 192.0.2.21:80', st(4n));
    k.stats.set('TCP 192.0.2.20:80|198.51.100.31:80', st(1n));
    k.stats.set('TCP 192.0.2.21:80|198.51.100.31:80', st(2n));
    const vss = svc.status([], await svc.kernelStats());
    const web = vss.find((v) => v.name === 'TCP 192.0.2.10:80')!;
    expect(web.kernelStats).toEqual({
      connections: 100, packetsIn: 1000, packetsOut: 900, bytesIn: 100_000, bytesOut: 200_000,
      connectionsPerSecond: 101, packetsInPerSecond: 102, packetsOutPerSecond: 103, bytesInPerSecond: 104, bytesOutPerSecond: 105,
    });
    expect(web.realServers[0]!.kernelStats?.connections).toBe(60);
    expect(web.realServers[0]!.kernelStats?.bytesOut).toBe(120_000);
    expect(web.realServers[1]!.kernelStats).toBeUndefined();
    const group = vss.find((v) => v.name.startsWith('GROUP web'))!;
    expect(group.kernelStats?.connections).toBe(7);
    expect(group.kernelStats?.packetsIn).toBe(70);
    expect(group.kernelStats?.connectionsPerSecond).toBe(4 + 5);
    // DR: the destination's port is the service's (80); both services' figures add up.
    expect(group.realServers[0]!.kernelStats?.connections).toBe(3);
    expect(group.realServers[0]!.kernelStats?.bytesIn).toBe(3000);
    // Numbers, so the status survives JSON as it is.
    expect(JSON.parse(JSON.stringify(vss))).toEqual(vss);
    expect(logs.filter((l) => /^(err|warning)/.test(l))).toEqual([]);
    await svc.stop();
  });

  it('reads the kernel at most once a second (shared while in flight), then again', async () => {
    let now = 10_000;
    let reads = 0;
    let release: (() => void) | undefined;
    const table: StatsTable = new Map([['TCP 192.0.2.10:80', { stats: kernelStats({ stats64: st(1n) })!, dests: new Map() }]]);
    const cache = new StatsCache(async () => {
      reads++;
      await new Promise<void>((r) => (release = r));
      return ok(table);
    }, () => now);
    const a = cache.get();
    const b = cache.get();
    release!();
    expect(await a).toBe(table);
    expect(await b).toBe(table);
    expect(reads).toBe(1);
    now += 999;
    expect(await cache.get()).toBe(table);
    expect(reads).toBe(1);
    now += 1;
    const c = cache.get();
    release!();
    await c;
    expect(reads).toBe(2);
  });

  it('the service reuses a fresh read: two status requests in a row make one dump', async () => {
    const k = new MemKernel();
    const { svc } = service(k);
    await svc.start(cfg(CONF));
    k.stats.set('TCP 192.0.2.10:80', st(5n));
    await svc.kernelStats();
    k.stats.set('TCP 192.0.2.10:80', st(6n));
    const again = await svc.kernelStats();
    expect(k.dumps).toBe(1);
    expect(again?.get('TCP 192.0.2.10:80')?.stats?.connections).toBe(5);
    await svc.stop();
  });

  it('a dump that hangs is cut at the timeout: no figures, the reason logged at debug', async () => {
    const k = new MemKernel();
    k.delayMs = 500;
    const r = await readStatsTable(k, 50);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/reading the IPVS counters took over 50 ms/);
    const failing = new MemKernel();
    failing.listDests = async () => err('GET_DEST: busy (EBUSY)');
    failing.table.services.push(tableService(serviceAttrs({ af: 2, protocol: 6, addr: '192.0.2.10', port: 80, fwmark: 0 }, true)));
    const logs: string[] = [];
    const cache = new StatsCache(() => readStatsTable(failing), Date.now, 1000, (e) => logs.push(e));
    expect(await cache.get()).toBeUndefined();
    expect(logs).toEqual(['GET_DEST: busy (EBUSY)']);
  });

  it('without IPVS (or a kernel that cannot dump): no field, no error', async () => {
    const { svc, logs } = service(undefined);
    await svc.start(cfg(CONF));
    const stats = await svc.kernelStats();
    expect(stats).toBeUndefined();
    const vss = svc.status([], stats);
    expect(vss).toHaveLength(2);
    for (const v of vss) {
      expect(v).not.toHaveProperty('kernelStats');
      for (const r of v.realServers) expect(r).not.toHaveProperty('kernelStats');
    }
    expect(logs.filter((l) => l.startsWith('err'))).toEqual([]);
    await svc.stop();
    // A kernel object without the dump calls (an older fake, a partial client) is the same.
    const bare = new MemKernel();
    Object.defineProperty(bare, 'listServices', { value: undefined });
    const s2 = service(bare);
    await s2.svc.start(cfg(CONF));
    expect(await s2.svc.kernelStats()).toBeUndefined();
    await s2.svc.stop();
  });

  it('converts u64 counters to JSON numbers, saturating; falls back to the 32-bit stats', async () => {
    const big = kernelStats({ stats64: { ...st(1n), inbytes: 2n ** 64n - 1n, outbytes: BigInt(Number.MAX_SAFE_INTEGER) + 1n } })!;
    expect(big.bytesIn).toBe(Number.MAX_SAFE_INTEGER);
    expect(big.bytesOut).toBe(Number.MAX_SAFE_INTEGER);
    expect(big.connections).toBe(1);
    expect(sumStats(big, big)!.bytesIn).toBe(Number.MAX_SAFE_INTEGER);
    expect(sumStats(undefined, big)).toBe(big);
    expect(kernelStats({})).toBeUndefined();
    // stats64 wins over stats when both are there.
    expect(kernelStats({ stats: st(1n), stats64: st(2n) })!.connections).toBe(2);
    const k = new MemKernel();
    k.only32 = true;
    const { svc } = service(k);
    await svc.start(cfg(CONF));
    k.stats.set('TCP 192.0.2.10:80', st(9n));
    const vs = svc.status([], await svc.kernelStats()).find((v) => v.name === 'TCP 192.0.2.10:80')!;
    expect(vs.kernelStats?.packetsOut).toBe(81);
    await svc.stop();
  });
});
