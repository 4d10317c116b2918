// Fakes for the VRRP runtime: a manual clock, a shared LAN that carries encoded adverts between
// runtimes, rtnetlink with an in-memory address table, and an announcer that records calls.
import type { Clock, TimerHandle } from '../../src/daemon/clock.js';
import type { Logger } from '../../src/daemon/log.js';
import type {
  AddressEvent, AddressInfo, AddressSpec, Announcer, LinkEvent, LinkInfo, NetResult, OpenVrrpSocket, Rtnl, VrrpPacketIn, VrrpSocketOptions,
} from '../../src/net/types.js';
import type { RouteEvent, RouteSpec, RuleSpec, VmacSpec } from '../../src/net/types.js';
import { sameRoute, sameRule } from '../../src/net/rtnl-route.js';

export class FakeClock implements Clock {
  t = 1_000_000;
  wall0 = Date.parse('2026-01-01T00:00:00Z');
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; dead: boolean }[] = [];
  nowUs(): number {
    return this.t;
  }
  wallMs(): number {
    return this.wall0 + Math.floor((this.t - 1_000_000) / 1000);
  }
  at(at: number, fn: () => void): TimerHandle {
    const e = { at, seq: this.seq++, fn, dead: false };
    this.timers.push(e);
    return { cancel: () => void (e.dead = true) };
  }
  /** Runs due timers in deadline order up to now + us, yielding to promises between them. */
  async advance(us: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    const end = this.t + us;
    for (let n = 0; n < 100_000; n++) {
      this.timers = this.timers.filter((x) => !x.dead);
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      next.dead = true;
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
  pending(): number {
    return this.timers.filter((x) => !x.dead).length;
  }
}

export interface Sent {
  host: string;
  ifname: string;
  family: 4 | 6;
  bytes: Uint8Array;
  dst: string;
  src?: string;
}

/** One broadcast domain: every send reaches every other host's socket on the same family. */
export class FakeLan {
  sent: Sent[] = [];
  private sockets: { host: string; opts: VrrpSocketOptions; onPacket: (p: VrrpPacketIn) => void; closed: boolean }[] = [];
  /** Hosts whose frames are dropped (a pulled cable). */
  cut = new Set<string>();
  /** `host/ifname` -> segment; interfaces not listed are all on one segment. */
  segments = new Map<string, string>();

  private segmentOf(host: string, ifname: string): string {
    return this.segments.get(`${host}/${ifname}`) ?? '';
  }

  opener(host: string): OpenVrrpSocket & { opened: VrrpSocketOptions[] } {
    const opened: VrrpSocketOptions[] = [];
    const open: OpenVrrpSocket = (opts, onPacket) => {
      opened.push(opts);
      const s = { host, opts, onPacket, closed: false };
      this.sockets.push(s);
      return {
        ok: true,
        value: {
          send: async (bytes, dst, src) => {
            if (s.closed) return { ok: false, error: 'socket closed' };
            this.sent.push({ host, ifname: opts.ifname, family: opts.family, bytes, dst, src });
            if (this.cut.has(host)) return { ok: true };
            for (const o of this.sockets) {
              if (o === s || o.closed || o.opts.family !== opts.family || this.cut.has(o.host)) continue;
              if (this.segmentOf(o.host, o.opts.ifname) !== this.segmentOf(host, opts.ifname)) continue;
              const pkt: VrrpPacketIn = { family: opts.family, ifname: o.opts.ifname, buf: bytes };
              if (opts.family === 6) pkt.ipv6 = { src: src ?? '::', dst, hopLimit: 255 };
              o.onPacket(pkt);
            }
            return { ok: true };
          },
          close: () => void (s.closed = true),
        },
      };
    };
    return Object.assign(open, { opened });
  }

  openCount(): number {
    return this.sockets.filter((s) => !s.closed).length;
  }
}

export class FakeRtnl implements Rtnl {
  links: LinkInfo[];
  addrs: AddressInfo[] = [];
  calls: string[] = [];
  private watchers: ((e: LinkEvent | AddressEvent) => void)[] = [];
  constructor(links: string[], addrs: { ifname: string; addr: string; prefix?: number }[] = []) {
    this.links = links.map((ifname, i) => ({ ifindex: i + 2, ifname, mac: `02:00:00:00:00:0${i}`, up: true, running: true, mtu: 1500 }));
    for (const a of addrs) this.addrs.push(this.info({ ifname: a.ifname, addr: a.addr, prefix: a.prefix ?? 24, family: a.addr.includes(':') ? 6 : 4 }));
  }
  private info(a: AddressSpec): AddressInfo {
    const l = this.links.find((x) => x.ifname === a.ifname);
    return { ...a, ifindex: l?.ifindex ?? 0, flags: ['permanent'] };
  }
  async listLinks(): Promise<NetResult<LinkInfo[]>> {
    return { ok: true, value: this.links.map((l) => ({ ...l })) };
  }
  async listAddresses(ifname?: string): Promise<NetResult<AddressInfo[]>> {
    return { ok: true, value: this.addrs.filter((a) => !ifname || a.ifname === ifname).map((a) => ({ ...a })) };
  }
  async addAddress(a: AddressSpec): Promise<NetResult> {
    this.calls.push(`add ${a.addr}/${a.prefix} ${a.ifname}${a.nodad ? ' nodad' : ''}`);
    if (!this.links.some((l) => l.ifname === a.ifname)) return { ok: false, error: `no interface ${a.ifname}` };
    if (!this.has(a.ifname, a.addr)) {
      const info = this.info(a);
      this.addrs.push(info);
      this.emit({ type: 'address', address: { ...info }, removed: false });
    }
    return { ok: true };
  }
  async deleteAddress(a: AddressSpec): Promise<NetResult> {
    this.calls.push(`del ${a.addr}/${a.prefix} ${a.ifname}`);
    const gone = this.addrs.filter((x) => x.ifname === a.ifname && x.addr === a.addr);
    this.addrs = this.addrs.filter((x) => !gone.includes(x));
    for (const g of gone) this.emit({ type: 'address', address: { ...g }, removed: true });
    return { ok: true };
  }
  private emit(e: LinkEvent | AddressEvent): void {
    for (const w of [...this.watchers]) w(e);
  }
  /** An address added/removed by someone else (the operator, DHCP): as the kernel reports it. */
  setAddr(ifname: string, addr: string, present: boolean): void {
    if (present) void this.addAddress({ ifname, addr, family: addr.includes(':') ? 6 : 4, prefix: addr.includes(':') ? 64 : 24 });
    else void this.deleteAddress({ ifname, addr, family: addr.includes(':') ? 6 : 4, prefix: 0 });
  }
  watch(onEvent: (e: LinkEvent | AddressEvent) => void): NetResult<{ close(): void }> {
    this.watchers.push(onEvent);
    return { ok: true, value: { close: () => void (this.watchers = this.watchers.filter((w) => w !== onEvent)) } };
  }
  close(): void {}
  has(ifname: string, addr: string): boolean {
    return this.addrs.some((x) => x.ifname === ifname && x.addr === addr);
  }
  // Routes, rules and VMACs (in memory; calls recorded as "route add DST/LEN table T", "rule del PRIO", "vmac add NAME").
  routes: RouteSpec[] = [];
  rules: RuleSpec[] = [];
  private routeWatchers: ((e: RouteEvent) => void)[] = [];
  async addRoute(r: RouteSpec): Promise<NetResult> {
    this.calls.push(`route add ${r.dst}/${r.dstLen} table ${r.table}`);
    if (r.dev && !this.links.some((l) => l.ifname === r.dev)) return { ok: false, error: `add route ${r.dst}/${r.dstLen}: no such interface` };
    if (!this.routes.some((x) => sameRoute(r, x))) this.routes.push({ ...r });
    return { ok: true, value: undefined };
  }
  async deleteRoute(r: RouteSpec): Promise<NetResult> {
    this.calls.push(`route del ${r.dst}/${r.dstLen} table ${r.table}`);
    this.routes = this.routes.filter((x) => !sameRoute(r, x));
    for (const w of [...this.routeWatchers]) w({ type: 'route', route: { ...r }, removed: true });
    return { ok: true, value: undefined };
  }
  async listRoutes(): Promise<NetResult<RouteSpec[]>> {
    return { ok: true, value: this.routes.map((r) => ({ ...r })) };
  }
  async addRule(r: RuleSpec): Promise<NetResult> {
    this.calls.push(`rule add ${r.priority}`);
    if (!this.rules.some((x) => sameRule(r, x))) this.rules.push({ ...r });
    return { ok: true, value: undefined };
  }
  async deleteRule(r: RuleSpec): Promise<NetResult> {
    this.calls.push(`rule del ${r.priority}`);
    this.rules = this.rules.filter((x) => !sameRule(r, x));
    for (const w of [...this.routeWatchers]) w({ type: 'rule', rule: { ...r }, removed: true });
    return { ok: true, value: undefined };
  }
  async listRules(): Promise<NetResult<RuleSpec[]>> {
    return { ok: true, value: this.rules.map((r) => ({ ...r })) };
  }
  watchRoutes(onEvent: (e: RouteEvent) => void): NetResult<{ close(): void }> {
    this.routeWatchers.push(onEvent);
    return { ok: true, value: { close: () => void (this.routeWatchers = this.routeWatchers.filter((w) => w !== onEvent)) } };
  }
  /** A route deleted by someone else, as the kernel reports it. */
  dropRoute(pred: (r: RouteSpec) => boolean): void {
    const gone = this.routes.filter(pred);
    this.routes = this.routes.filter((r) => !gone.includes(r));
    for (const g of gone) for (const w of [...this.routeWatchers]) w({ type: 'route', route: { ...g }, removed: true });
  }
  async ensureVmac(v: VmacSpec): Promise<NetResult<{ created: boolean }>> {
    this.calls.push(`vmac add ${v.ifname} ${v.mac} on ${v.base}`);
    if (this.links.some((l) => l.ifname === v.ifname)) return { ok: true, value: { created: false } };
    const link: LinkInfo = { ifindex: 100 + this.links.length, ifname: v.ifname, mac: v.mac, up: true, running: true, mtu: 1500 };
    this.links.push(link);
    for (const w of this.watchers) w({ type: 'link', link: { ...link }, removed: false });
    return { ok: true, value: { created: true } };
  }
  async deleteLink(ifname: string): Promise<NetResult> {
    this.calls.push(`link del ${ifname}`);
    const l = this.links.find((x) => x.ifname === ifname);
    this.links = this.links.filter((x) => x !== l);
    this.addrs = this.addrs.filter((a) => a.ifname !== ifname);
    if (l) for (const w of this.watchers) w({ type: 'link', link: { ...l }, removed: true });
    return { ok: true, value: undefined };
  }
  setLink(ifname: string, running: boolean): void {
    const l = this.links.find((x) => x.ifname === ifname);
    if (!l) return;
    l.running = running;
    for (const w of this.watchers) w({ type: 'link', link: { ...l }, removed: false });
  }
}

export class FakeAnnouncer implements Announcer {
  calls: { ifname: string; addrs: string[]; at: number }[] = [];
  constructor(private readonly clock: FakeClock) {}
  async announce(ifname: string, addrs: string[]): Promise<NetResult> {
    this.calls.push({ ifname, addrs: [...addrs], at: this.clock.nowUs() });
    return { ok: true };
  }
  close(): void {}
}

export function memLogger(detail = false): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { detail, lines, log: (level, message) => void lines.push(`${level}: ${message}`) };
}
