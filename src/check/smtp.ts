// SMTP_CHECK (check_smtp.c): connect, expect a 220 banner, send "HELO <helo_name>", expect 250,
// send QUIT. Each step is bounded by connect_timeout. Every host (the checker's own target and any
// legacy `host` block) must pass.
import type net from 'node:net';
import { tcpConnect } from './tcp.js';
import { clampTimer, failure, hostPort, success, type CheckDeps, type CheckResult, type ConnectTarget, type SmtpSpec } from './types.js';

/** keepalived's SMTP read buffer; a reply that does not fit is an error. */
export const SMTP_BUFF_MAX = 512;

/** Finds a complete reply in `text`: the final line of a (multi-line) reply, "NNN text". */
export function smtpReply(text: string): { code: number } | 'more' | 'bad' {
  const lines = text.split('\r\n');
  lines.pop(); // incomplete tail (or '')
  for (const line of lines) {
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (!m) return 'bad';
    if (m[2] !== '-') return { code: Number(m[1]) };
  }
  return 'more';
}

function exchange(socket: net.Socket, t: ConnectTarget, send: string | undefined): Promise<{ code: number } | { error: string }> {
  return new Promise((resolve) => {
    let buf = '';
    const where = hostPort(t.ip, t.port);
    const done = (r: { code: number } | { error: string }): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      resolve(r);
    };
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      if (buf.length > SMTP_BUFF_MAX) return done({ error: `reply from ${where} longer than ${SMTP_BUFF_MAX} bytes` });
      const r = smtpReply(buf);
      if (r === 'bad') return done({ error: `malformed SMTP reply from ${where}: ${JSON.stringify(buf.slice(0, 80))}` });
      if (r !== 'more') done(r);
    };
    const onEnd = (): void => done({ error: `${where} closed the connection` });
    const onError = (e: Error): void => done({ error: `${where}: ${e.message}` });
    const timer = setTimeout(() => done({ error: `timed out waiting for ${where}` }), clampTimer(t.timeoutMs));
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    if (send !== undefined) socket.write(send);
  });
}

async function checkHost(t: ConnectTarget, helo: string, deps: CheckDeps): Promise<string | undefined> {
  const c = await tcpConnect(t, deps);
  if (!c.ok) return c.detail;
  const s = c.socket;
  s.on('error', () => undefined);
  try {
    const banner = await exchange(s, t, undefined);
    if ('error' in banner) return banner.error;
    if (banner.code !== 220) return `bad banner from ${hostPort(t.ip, t.port)}: ${banner.code}`;
    const h = await exchange(s, t, `HELO ${helo}\r\n`);
    if ('error' in h) return h.error;
    if (h.code !== 250) return `bad HELO response from ${hostPort(t.ip, t.port)}: ${h.code}`;
    // QUIT's answer does not change the verdict (keepalived judges after HELO).
    await exchange(s, t, 'QUIT\r\n');
    return undefined;
  } finally {
    s.destroy();
  }
}

export async function runSmtpCheck(spec: SmtpSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  for (const t of spec.targets) {
    const problem = await checkHost(t, spec.helo, deps);
    if (problem) return failure(`SMTP_CHECK ${problem}`, started, deps.now);
  }
  return success(`SMTP_CHECK ${spec.targets.map((t) => hostPort(t.ip, t.port)).join(', ')} answered HELO`, started, deps.now);
}
