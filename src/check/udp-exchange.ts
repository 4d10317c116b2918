// One datagram out, the first reply that counts back: the socket, timeout and abort handling that
// DNS_CHECK and UDP_CHECK share. Every path ends in exactly one result and a closed socket.
import dgram from 'node:dgram';
import { clampTimer, errText, type CheckDeps, type CheckResult, type ConnectTarget } from './types.js';

export interface UdpExchange {
  target: ConnectTarget;
  family: 4 | 6;
  payload: Uint8Array;
  deps: CheckDeps;
  /** What the check says on each outcome; onMessage returns undefined to ignore a stray datagram. */
  onMessage: (msg: Buffer) => CheckResult | undefined;
  onTimeout: () => CheckResult;
  onError: (e: NodeJS.ErrnoException) => CheckResult;
  onAbort: () => CheckResult;
  /** The result when the datagram cannot be sent (the reason in words). */
  onSendError: (why: string) => CheckResult;
}

export function udpExchange(x: UdpExchange): Promise<CheckResult> {
  const t = x.target;
  return new Promise((resolve) => {
    const sock = dgram.createSocket(x.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      x.deps.signal?.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch {
        /* closed already */
      }
      resolve(r);
    };
    const onAbort = (): void => finish(x.onAbort());
    const timer = setTimeout(() => finish(x.onTimeout()), clampTimer(t.timeoutMs));
    x.deps.signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(x.onError(e)));
    sock.on('message', (msg) => {
      const r = x.onMessage(msg);
      if (r) finish(r);
    });
    const send = (): void => {
      sock.connect(t.port, t.ip, () => {
        sock.send(x.payload, (e) => {
          if (e) finish(x.onSendError(errText(e)));
        });
      });
    };
    if (t.bindto || t.bindPort) sock.bind({ address: t.bindto, port: t.bindPort ?? 0 }, send);
    else send();
  });
}
