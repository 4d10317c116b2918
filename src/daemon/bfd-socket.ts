// The BFD process's sockets. Sending: one UDP socket per session, bound to source_ip and a port in
// 49152-65535 (RFC 5881 4; within the host's ip_local_port_range when that leaves 1024 ports, as
// keepalived), TTL / hop limit set (255 by default). Receiving: one socket on port 3784 for every
// session, through the native addon (native/bfd.c), because the received TTL must be checked and
// Node's dgram cannot read it.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { BFD_PORT } from '../bfd/codec.js';
import type { BfdInstanceConfig } from '../bfd/config.js';
import { loadNative, type NativeHandle, type NativeResult } from '../net/native.js';
import type { BfdDatagram, BfdSender } from './bfd-service.js';

export const BFD_MIN_PORT = 49152;
export const BFD_MAX_PORT = 65535;
/** Ports tried before giving up on a session's socket. */
const BIND_TRIES = 256;

interface BfdAddon {
  bfdOpen(port: number, cb: (err: string | null, pkt: (BfdDatagram & { truncated: number }) | null) => void): NativeResult<{ handle: NativeHandle }>;
  close(h: NativeHandle): NativeResult;
}

/** The source port range: ip_local_port_range within 49152-65535, or all of it if that leaves under 1024. */
export function sourcePortRange(text?: string): [number, number] {
  let lo = 49152;
  let hi = 60999;
  try {
    const m = /^(\d+)\s+(\d+)\s*$/.exec(text ?? readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
    if (m) [lo, hi] = [Number(m[1]), Number(m[2])];
  } catch {
    // keep the defaults
  }
  lo = Math.max(lo, BFD_MIN_PORT);
  hi = Math.min(hi, BFD_MAX_PORT);
  return lo + 1023 > hi ? [BFD_MIN_PORT, BFD_MAX_PORT] : [lo, hi];
}

function bindOnce(sock: Socket, port: number, address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      sock.off('listening', onListening);
      if (e.code === 'EADDRINUSE') resolve(false);
      else reject(e);
    };
    const onListening = () => {
      sock.off('error', onError);
      resolve(true);
    };
    sock.once('error', onError);
    sock.once('listening', onListening);
    sock.bind({ port, address, exclusive: true });
  });
}

/** A session's sending socket; rejects with a message naming the session's addresses. */
export async function openSender(cfg: BfdInstanceConfig, random: () => number = Math.random): Promise<BfdSender> {
  const [lo, hi] = sourcePortRange();
  const start = lo + Math.floor(random() * (hi - lo + 1));
  const address = cfg.source ?? (cfg.family === 4 ? '0.0.0.0' : '::');
  for (let i = 0; i < BIND_TRIES && i <= hi - lo; i++) {
    const port = lo + ((start - lo + i) % (hi - lo + 1));
    const sock = createSocket({ type: cfg.family === 4 ? 'udp4' : 'udp6' });
    let bound: boolean;
    try {
      bound = await bindOnce(sock, port, address);
    } catch (e) {
      sock.close();
      throw new Error(`bind() to ${address} error (${(e as Error).message})`);
    }
    if (!bound) {
      sock.close();
      continue;
    }
    try {
      sock.setTTL(cfg.ttl);
    } catch (e) {
      sock.close();
      throw new Error(`setsockopt() error (${(e as Error).message})`);
    }
    // Errors come through send callbacks; an 'error' event must not take the process down.
    sock.on('error', () => undefined);
    return {
      port,
      send: (payload, done) => sock.send(payload, BFD_PORT, cfg.neighbor, (err) => done(err ?? null)),
      close: () => {
        try {
          sock.close();
        } catch {
          // already closed
        }
      },
    };
  }
  throw new Error(`bind() to ${address} error (no free port in ${lo}-${hi} after ${BIND_TRIES} tries)`);
}

export interface BfdReceiver {
  close(): void;
}

/** The receive socket on [::]:3784 (v4-mapped IPv4 too); `onPacket` gets every datagram. */
export function openReceiver(
  onPacket: (d: BfdDatagram) => void,
  onError: (message: string) => void,
  port = BFD_PORT,
): { ok: true; receiver: BfdReceiver } | { ok: false; error: string } {
  const n = loadNative();
  if (!n.ok) return { ok: false, error: n.error };
  const addon = n.addon as unknown as BfdAddon;
  if (typeof addon.bfdOpen !== 'function') return { ok: false, error: 'the native addon has no BFD socket (rebuild it: npm ci)' };
  const r = addon.bfdOpen(port, (err, pkt) => {
    if (err) onError(err);
    else if (pkt && !pkt.truncated) onPacket(pkt);
  });
  if (!r.ok) return { ok: false, error: r.error };
  const handle = r.handle;
  return { ok: true, receiver: { close: () => void addon.close(handle) } };
}
