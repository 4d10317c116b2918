// The VRRP runtime's CPU per advert, in-process and without a network: 100 instances on a simulated
// clock (a heap of deadlines, so the clock costs O(log n) per timer) with a socket that only counts.
// 'send': every instance MASTER, cost per advert sent (timer -> state machine -> encode -> send).
// 'receive': every instance BACKUP, cost per advert received from a higher-priority peer (decode ->
// route -> validate -> state machine -> timer re-armed). Steadier than the namespace bench (no
// scheduler noise, no tcpdump); run under `node --cpu-prof` to see where the time goes.
import { loadConfigText } from '../src/config/index.js';
import type { Clock, TimerHandle } from '../src/daemon/clock.js';
import { buildVrrpPlan } from '../src/daemon/instance-config.js';
import { VrrpRuntime } from '../src/daemon/runtime.js';
import type { AddressInfo, LinkInfo, NetResult, Rtnl, VrrpPacketIn } from '../src/net/types.js';
import { encode } from '../src/vrrp/packet.js';
import type { BenchRow } from './harness.js';

const N = 100;
const S = 1_000_000;

interface Due {
  at: number;
  seq: number;
  fn: () => void;
  dead: boolean;
}

/** A simulated clock: timers in a binary heap ordered by (deadline, arming order). */
class HeapClock implements Clock {
  t = 1_000_000;
  private seq = 0;
  private heap: Due[] = [];
  nowUs(): number {
    return this.t;
  }
  wallMs(): number {
    return 1_767_225_600_000 + Math.floor(this.t / 1000);
  }
  at(at: number, fn: () => void): TimerHandle {
    const e: Due = { at, seq: this.seq++, fn, dead: false };
    this.push(e);
    return { cancel: () => void (e.dead = true) };
  }
  /** The next live timer due by `end`, removed from the heap; null when none. */
  next(end: number): Due | null {
    for (let n = 0; n < 1_000_000 && this.heap.length > 0; n++) {
      const top = this.heap[0]!;
      if (!top.dead && top.at > end) return null;
      this.pop();
      if (!top.dead) return top;
    }
    return null;
  }
  private less(a: Due, b: Due): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(e: Due): void {
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function conf(state: 'MASTER' | 'BACKUP'): string {
  const out = ['global_defs {', '  vrrp_garp_master_delay 0', '}'];
  for (let i = 1; i <= N; i++) {
    out.push(`vrrp_instance VI_${i} {`, '  interface veth0', `  state ${state}`, `  virtual_router_id ${i}`, '  priority 100', '  advert_int 1',
      '  virtual_ipaddress {', `    198.51.100.${i}/32`, '  }', '}');
  }
  return out.join('\n') + '\n';
}

function rtnl(): Rtnl {
  const link: LinkInfo = { ifindex: 2, ifname: 'veth0', mac: '02:00:00:00:00:01', up: true, running: true, mtu: 1500 };
  const addr: AddressInfo = { ifname: 'veth0', ifindex: 2, addr: '192.0.2.1', prefix: 24, family: 4, flags: [] } as AddressInfo;
  const ok = async () => ({ ok: true as const });
  return {
    listLinks: async () => ({ ok: true, value: [link] }),
    listAddresses: async () => ({ ok: true, value: [addr] }),
    addAddress: ok, deleteAddress: ok,
    watch: () => ({ ok: true, value: { close() {} } }),
  } as unknown as Rtnl;
}

interface Run {
  perAdvertUs: number;
  adverts: number;
}

async function scenario(kind: 'send' | 'receive', seconds: number): Promise<Run> {
  const clock = new HeapClock();
  let sent = 0;
  let deliver: ((p: VrrpPacketIn) => void) | null = null;
  const { model } = loadConfigText(conf(kind === 'send' ? 'MASTER' : 'BACKUP'), 'bench.conf');
  const rt = new VrrpRuntime(buildVrrpPlan(model), {
    openVrrpSocket: (_o, onPacket) => {
      deliver = onPacket;
      return { ok: true, value: { send: async (): Promise<NetResult> => (sent++, { ok: true, value: undefined }), close() {} } };
    },
    announcer: { announce: async () => ({ ok: true }), close() {} } as never,
    rtnl: rtnl(), clock, log: { detail: false, log: () => undefined },
  });
  const r = await rt.start();
  if (!r.ok) throw new Error(r.error);
  // The peer's adverts, one per VRID per second, staggered over the second as real peers are.
  const peer: Uint8Array[] = [];
  for (let v = 1; v <= N && kind === 'receive'; v++) {
    const e = encode({
      version: 2, family: 4, vrid: v, priority: 200, advertIntervalCs: 100, authType: 'none', addrs: [`198.51.100.${v}`],
      srcAddr: '192.0.2.2', dstAddr: '224.0.0.18', ttl: 255, tos: 0xc0, ipId: v,
    } as Parameters<typeof encode>[0]);
    if (!e.ok) throw new Error(e.error);
    peer.push(e.bytes);
  }
  const feed = (v: number) => {
    deliver?.({ ifname: 'veth0', family: 4, buf: Buffer.from(peer[v]!) } as VrrpPacketIn);
    clock.at(clock.t + S, () => feed(v));
  };
  for (let v = 0; v < peer.length; v++) clock.at(clock.t + Math.floor((v * S) / N), () => feed(v));
  const runFor = async (us: number) => {
    const end = clock.t + us;
    for (let n = 0; n < 10_000_000; n++) {
      const d = clock.next(end);
      if (!d) break;
      clock.t = Math.max(clock.t, d.at);
      d.fn();
      await rt.idle();
    }
    clock.t = end;
  };
  await runFor(10 * S); // elections, GARP, warm-up of the JIT
  const received0 = countAccepted(rt);
  const sent0 = sent;
  const cpu0 = process.cpuUsage();
  await runFor(seconds * S);
  const cpu = process.cpuUsage(cpu0);
  const adverts = kind === 'send' ? sent - sent0 : countAccepted(rt) - received0;
  await rt.stop();
  return { perAdvertUs: (cpu.user + cpu.system) / Math.max(1, adverts), adverts };
}

function countAccepted(rt: VrrpRuntime): number {
  let n = 0;
  for (const io of rt.ios.values()) n += io.counters.accepted;
  return n;
}

export async function run(): Promise<BenchRow[]> {
  const seconds = Math.max(10, Number(process.env.BENCH_RUNTIME_CPU_SECONDS ?? 300));
  const s = await scenario('send', seconds);
  const r = await scenario('receive', seconds);
  return [
    { name: `CPU per advert sent, ${N} MASTER instances (${s.adverts} adverts)`, ours: s.perAdvertUs, unit: 'us' },
    { name: `CPU per advert received, ${N} BACKUP instances (${r.adverts} adverts)`, ours: r.perAdvertUs, unit: 'us' },
  ];
}

if (process.argv[1]?.endsWith('vrrp-runtime-cpu.js')) {
  const { printRows } = await import('./harness.js');
  printRows('VRRP runtime CPU per advert (in-process, simulated clock)', await run());
}
