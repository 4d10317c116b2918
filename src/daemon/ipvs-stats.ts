// The kernel's IPVS traffic counters for `status` (and so the metrics): one dump of services and
// destinations with their stats, bounded by a timeout, read at most once a second (a fresher read is
// reused, concurrent callers share one read). Counters arrive as bigint (u64) and leave as JSON
// numbers, saturating at Number.MAX_SAFE_INTEGER. A virtual server's figures are the sum over the
// kernel services it makes (one, or one per group entry); so are a real server's.
import type { IpvsKernelStats } from '../control/protocol.js';
import { tableService } from '../ipvs/client.js';
import { FWD, type IpvsDest, type IpvsService, type IpvsStats } from '../ipvs/genl-codec.js';
import { err, ok, type Result } from '../net/nlattr.js';
import type { ServerSpec, VsSpec } from '../ipvs/spec.js';
import { destKey, serviceKey, type ServiceId } from '../ipvs/table.js';

/** What the stats read needs of the kernel (IpvsClient has it). */
export interface IpvsStatsSource {
  listServices(): Promise<Result<IpvsService[]>>;
  listDests(svc: ServiceId): Promise<Result<IpvsDest[]>>;
}

/** Per kernel service (serviceKey): its counters and its destinations' (destKey). */
export type StatsTable = Map<string, { stats?: IpvsKernelStats; dests: Map<string, IpvsKernelStats> }>;

export const STATS_TIMEOUT_MS = 2000;
export const STATS_MAX_AGE_MS = 1000;

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const num = (v: bigint | undefined): number => (v === undefined || v < 0n ? 0 : v > MAX ? Number.MAX_SAFE_INTEGER : Number(v));
const add = (a: number, b: number): number => Math.min(Number.MAX_SAFE_INTEGER, a + b);

/** stats64 when the kernel sent it (>= 4.1), else the 32-bit stats. */
export function kernelStats(s: { stats?: IpvsStats; stats64?: IpvsStats }): IpvsKernelStats | undefined {
  const x = s.stats64 ?? s.stats;
  if (!x) return undefined;
  return {
    connections: num(x.conns), packetsIn: num(x.inpkts), packetsOut: num(x.outpkts), bytesIn: num(x.inbytes), bytesOut: num(x.outbytes),
    connectionsPerSecond: num(x.cps), packetsInPerSecond: num(x.inpps), packetsOutPerSecond: num(x.outpps),
    bytesInPerSecond: num(x.inbps), bytesOutPerSecond: num(x.outbps),
  };
}

export function sumStats(a: IpvsKernelStats | undefined, b: IpvsKernelStats | undefined): IpvsKernelStats | undefined {
  if (!a || !b) return a ?? b;
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof IpvsKernelStats)[]) out[k] = add(a[k], b[k]);
  return out;
}

function withTimeout<T>(p: Promise<Result<T>>, ms: number): Promise<Result<T>> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Result<T>>((resolve) => {
    t = setTimeout(() => resolve(err(`reading the IPVS counters took over ${ms} ms`)), ms);
  });
  return Promise.race([p.catch((e: unknown) => err<T>(String(e))), late]).finally(() => clearTimeout(t));
}

/** One dump: every service and its destinations, with their counters. */
export async function readStatsTable(src: IpvsStatsSource, timeoutMs = STATS_TIMEOUT_MS): Promise<Result<StatsTable>> {
  return withTimeout((async (): Promise<Result<StatsTable>> => {
    const svcs = await src.listServices();
    if (!svcs.ok) return svcs;
    const out: StatsTable = new Map();
    for (const s of svcs.value) {
      const id = tableService(s);
      const ds = await src.listDests(id);
      if (!ds.ok) return ds;
      const dests = new Map<string, IpvsKernelStats>();
      for (const d of ds.value) {
        const st = kernelStats(d);
        if (st) dests.set(destKey({ addr: d.addr ?? '', port: d.port ?? 0 }), st);
      }
      const stats = kernelStats(s);
      out.set(serviceKey(id), { ...(stats ? { stats } : {}), dests });
    }
    return ok(out);
  })(), timeoutMs);
}

/** Reads reused while fresh (maxAgeMs), one read at a time; a failed read gives undefined (no figures). */
export class StatsCache {
  private last: { at: number; table: StatsTable | undefined } | undefined;
  private inFlight: Promise<StatsTable | undefined> | undefined;
  /** Reads made (tests). */
  reads = 0;

  constructor(
    private readonly read: () => Promise<Result<StatsTable>>,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = STATS_MAX_AGE_MS,
    private readonly onError: (e: string) => void = () => {},
  ) {}

  get(): Promise<StatsTable | undefined> {
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.table);
    if (this.inFlight) return this.inFlight;
    this.reads++;
    this.inFlight = this.read()
      .catch((e: unknown) => err<StatsTable>(String(e)))
      .then((r) => {
        if (!r.ok) this.onError(r.error);
        const table = r.ok ? r.value : undefined;
        this.last = { at: this.now(), table };
        return table;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  /** The table changed shape (a reload, a stop): the next read goes to the kernel. */
  invalidate(): void {
    this.last = undefined;
  }
}

/** A real server's destination key in a service (direct routing and tunnels keep the service's port). */
function destKeyIn(s: ServerSpec, svc: ServiceId): string {
  return destKey({ addr: s.addr, port: s.fwd === FWD.MASQ ? s.port : svc.fwmark ? 0 : svc.port });
}

/** A virtual server's counters and its real servers' (in spec order), summed over its services. */
export function statsOfSpec(spec: VsSpec, table: StatsTable): { vs?: IpvsKernelStats; rs: (IpvsKernelStats | undefined)[] } {
  let vs: IpvsKernelStats | undefined;
  const rs: (IpvsKernelStats | undefined)[] = spec.realServers.map(() => undefined);
  for (const svc of spec.services) {
    const t = table.get(serviceKey(svc));
    if (!t) continue;
    vs = sumStats(vs, t.stats);
    spec.realServers.forEach((s, i) => {
      rs[i] = sumStats(rs[i], t.dests.get(destKeyIn(s, svc)));
    });
  }
  return { ...(vs ? { vs } : {}), rs };
}
