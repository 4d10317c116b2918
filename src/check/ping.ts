// PING_CHECK (check_ping.c): one ICMP echo request; an echo reply from the server within
// connect_timeout is success, anything else (silence, unreachable) a failure. One raw socket per
// family is shared by every check in flight (replies are matched on source, id and sequence) and
// closed when none is left, so thousands of pings do not hold thousands of sockets.
import net from 'node:net';
import { createRequire } from 'node:module';
import { decodeEchoReply, encodeEcho } from './icmp-codec.js';
import { clampTimer, errText, failure, success, type CheckDeps, type CheckResult, type PingSpec } from './types.js';

interface RawSocket {
  on(ev: 'message', fn: (b: Buffer, source: string) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  send(b: Buffer, off: number, len: number, addr: string, cb: (e: Error | null) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(o: { protocol: number; addressFamily: number }): RawSocket;
  Protocol: { ICMP: number; ICMPv6: number };
  AddressFamily: { IPv4: number; IPv6: number };
}

const PAYLOAD = Buffer.from('keepalivedctl PING_CHECK', 'latin1');
let seq = 0;
const ident = process.pid & 0xffff;

type Waiter = (ok: boolean, why: string) => void;

class Pinger {
  private sock: RawSocket | undefined;
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly family: 4 | 6) {}

  private open(): RawSocket {
    if (this.sock) return this.sock;
    const raw = createRequire(import.meta.url)('raw-socket') as RawModule;
    const s = raw.createSocket({
      protocol: this.family === 4 ? raw.Protocol.ICMP : raw.Protocol.ICMPv6,
      addressFamily: this.family === 4 ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6,
    });
    s.on('message', (b, source) => {
      const r = decodeEchoReply(this.family, b);
      if (!r || r.id !== ident) return;
      const key = `${canon(source)}|${r.seq}`;
      const w = this.waiting.get(key);
      if (w) w(true, '');
    });
    s.on('error', (e) => {
      for (const w of [...this.waiting.values()]) w(false, `raw socket error: ${errText(e)}`);
      this.sock = undefined;
    });
    this.sock = s;
    return s;
  }

  ping(addr: string, timeoutMs: number, signal?: AbortSignal): Promise<{ ok: boolean; why: string }> {
    return new Promise((resolve) => {
      const n = seq++ & 0xffff;
      const key = `${canon(addr)}|${n}`;
      const done: Waiter = (ok, why) => {
        if (!this.waiting.delete(key)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiting.size === 0 && this.sock) {
          this.sock.close();
          this.sock = undefined;
        }
        resolve({ ok, why });
      };
      const onAbort = (): void => done(false, 'aborted');
      this.waiting.set(key, done);
      const timer = setTimeout(() => done(false, `no echo reply within ${timeoutMs / 1000}s`), clampTimer(timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      let s: RawSocket;
      try {
        s = this.open();
      } catch (e) {
        return done(false, `cannot open an ICMP raw socket (needs root): ${errText(e)}`);
      }
      const pkt = encodeEcho(this.family, ident, n, PAYLOAD);
      s.send(pkt, 0, pkt.length, addr, (e) => {
        if (e) done(false, `send failed: ${errText(e)}`);
      });
    });
  }
}

function canon(a: string): string {
  try {
    return new net.SocketAddress({ address: a, family: a.includes(':') ? 'ipv6' : 'ipv4' }).address;
  } catch {
    return a;
  }
}

const pingers: Record<4 | 6, Pinger> = { 4: new Pinger(4), 6: new Pinger(6) };

export async function runPingCheck(spec: PingSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const family = net.isIP(spec.target.ip);
  if (!family) return failure(`PING_CHECK address '${spec.target.ip}' is not an IP address`, started, deps.now);
  const r = await pingers[family as 4 | 6].ping(spec.target.ip, spec.target.timeoutMs, deps.signal);
  if (!r.ok) return failure(`PING_CHECK ${spec.target.ip}: ${r.why}`, started, deps.now);
  return success(`PING_CHECK ${spec.target.ip} answered`, started, deps.now);
}
