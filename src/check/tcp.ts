// TCP_CHECK (check_tcp.c): the server is up when a TCP connection to it completes within
// connect_timeout; refused, unreachable or timed out is down. The connection is closed at once.
import net from 'node:net';
import { clampTimer, errText, failure, hostPort, success, type CheckDeps, type CheckResult, type ConnectTarget, type TcpSpec } from './types.js';

export interface Connected {
  socket: net.Socket;
}

/**
 * Opens a TCP connection honouring bindto/bind_port/bind_if and the timeout. Resolves the open
 * socket (the caller owns it) or a failure message; never rejects.
 */
export function tcpConnect(t: ConnectTarget, deps: CheckDeps): Promise<{ ok: true; socket: net.Socket } | { ok: false; detail: string }> {
  const where = hostPort(t.ip, t.port);
  return new Promise((resolve) => {
    let done = false;
    let socket: net.Socket | undefined;
    const finish = (r: { ok: true; socket: net.Socket } | { ok: false; detail: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      deps.signal?.removeEventListener('abort', onAbort);
      if (!r.ok) socket?.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, detail: `connection to ${where} aborted` });
    const timer = setTimeout(
      () => finish({ ok: false, detail: `TCP connection to ${where} timed out after ${t.timeoutMs / 1000}s` }),
      clampTimer(t.timeoutMs),
    );
    if (deps.signal?.aborted) return onAbort();
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    const family = net.isIP(t.ip);
    if (!family) return finish({ ok: false, detail: `connect address '${t.ip}' is not an IP address` });
    if (t.bindto && net.isIP(t.bindto) !== family) {
      return finish({ ok: false, detail: `bindto ${t.bindto} is not of the same family as ${t.ip}` });
    }
    const host = t.bindIf && family === 6 && t.ip.toLowerCase().startsWith('fe80') ? `${t.ip}%${t.bindIf}` : t.ip;
    try {
      socket = net.connect({ host, port: t.port, family, localAddress: t.bindto, localPort: t.bindPort });
    } catch (e) {
      return finish({ ok: false, detail: `cannot connect to ${where}: ${errText(e)}` });
    }
    socket.once('connect', () => finish({ ok: true, socket: socket! }));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'unreachable' : errText(e);
      finish({ ok: false, detail: `TCP connection to ${where} failed: ${why}` });
    });
  });
}

export async function runTcpCheck(spec: TcpSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const r = await tcpConnect(spec.target, deps);
  if (!r.ok) return failure(r.detail, started, deps.now);
  r.socket.on('error', () => undefined);
  // Close with RST (SO_LINGER 0), as HAProxy does for its checks: a FIN close would leave one
  // TIME_WAIT per check on this host, and thousands of checks a second to few servers exhaust
  // the ephemeral ports.
  r.socket.resetAndDestroy();
  return success(`TCP connection to ${hostPort(spec.target.ip, spec.target.port)} succeeded`, started, deps.now);
}
