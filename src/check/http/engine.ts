// The HTTP/HTTPS GET engine shared by genhash and the HTTP_GET/SSL_GET checkers: one request, the
// response body streamed through a digest, every stage bounded by keepalived's connection timeout.
// Stages and their failures follow check_http.c: connect (TCP, then TLS), write, first read, reads.
import net from 'node:net';
import tls from 'node:tls';
import { createBodyDigest, DEFAULT_DIGEST_ALGORITHM, type BodyDigest } from './digest.js';
import { buildGetRequest, canonicalAddress, type HttpProtocol } from './request.js';
import { ResponseReader, type ReadObserver, type ResponseHead } from './response.js';
import { validateGetOptions } from './validate.js';

export interface HttpGetOptions {
  /** Server IP address (v4 or v6 literal; no names, as keepalived). */
  address: string;
  port: number;
  /** Request target sent verbatim, e.g. "/index.html". */
  path: string;
  protocol?: HttpProtocol;
  virtualhost?: string;
  /** Speak TLS (SSL_GET / genhash -S). Certificates are never verified, as keepalived. */
  tls?: boolean;
  /** Send the virtual host as TLS SNI (genhash -I). */
  sni?: boolean;
  /** keepalived's connection timeout, applied to each stage. */
  timeoutMs: number;
  /** Digest algorithm, md5 by default (keepalived's only one). */
  algorithm?: string;
  signal?: AbortSignal;
  /** Monotonic clock in ms, injectable for tests. */
  now?: () => number;
  /** Source address and port (the checkers' bindto / bind_port). */
  localAddress?: string;
  localPort?: number;
  /** Client certificate chain, key and its password (keepalived's top-level SSL block), PEM text. */
  tlsCert?: string | Buffer;
  tlsKey?: string | Buffer;
  tlsPassphrase?: string;
  /**
   * Makes the TCP connection instead of net.connect (e.g. with SO_MARK, genhash -m / fwmark). It gets
   * the target, source and timeout, and a signal aborted when the exchange ends first; it resolves
   * the connected socket (the engine then owns it) or a failure with an errno-style code.
   */
  connect?: HttpConnectHook;
}

export interface HttpConnectTarget {
  address: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  timeoutMs: number;
  signal: AbortSignal;
}

export type HttpConnectHook = (
  t: HttpConnectTarget,
) => Promise<{ ok: true; socket: net.Socket } | { ok: false; code: string; message: string; stage?: string }>;

export type HttpGetFailureKind =
  | 'bad-request'
  | 'connect-refused'
  | 'connect-unreachable'
  | 'connect-failed'
  | 'connect-timeout'
  /** The connect hook could not set up the socket (SO_MARK refused, bind failed, ...). */
  | 'connect-setup'
  | 'tls-handshake'
  | 'write-timeout'
  | 'write-failed'
  | 'response-timeout'
  | 'read-timeout'
  | 'read-error'
  | 'no-response'
  | 'header-too-large'
  | 'aborted';

export interface HttpGetSuccess {
  ok: true;
  head: ResponseHead;
  /** Body bytes received (after the header). */
  bodyBytes: number;
  /** Body bytes that went into the digest (capped by Content-Length). */
  digestedBytes: number;
  digest: Buffer;
  algorithm: string;
  /** How the body ended: EOF, or Content-Length / last chunk seen (connection then closed by us). */
  end: 'eof' | 'complete' | 'tls-error';
  elapsedMs: number;
}

export interface HttpGetFailure {
  ok: false;
  kind: HttpGetFailureKind;
  /** One line, naming what failed and where. */
  message: string;
  /** "address:port" (IPv6 in brackets). */
  target: string;
  elapsedMs: number;
  /** For failures found at a clean EOF (no header): the digest of nothing, which genhash -v prints. */
  digest?: Buffer;
}

export type HttpGetResult = HttpGetSuccess | HttpGetFailure;

// Node refuses larger timers; 24.8 days is "forever" for a health check.
const MAX_TIMER_MS = 2_147_483_647;

/** Performs one GET. Never throws and never rejects: every problem is a failure value. */
export function httpGet(options: HttpGetOptions, observer: ReadObserver = {}): Promise<HttpGetResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const address = canonicalAddress(options.address);
  const target = address.includes(':') ? `[${address}]:${options.port}` : `${address}:${options.port}`;
  const invalid = validateGetOptions(options);
  if (invalid) return Promise.resolve({ ok: false, kind: 'bad-request', message: invalid, target, elapsedMs: 0 });
  const made = createBodyDigest(options.algorithm ?? DEFAULT_DIGEST_ALGORITHM);
  if (!made.ok) return Promise.resolve({ ok: false, kind: 'bad-request', message: made.error, target, elapsedMs: 0 });
  return new Promise((resolve) => new Exchange(options, observer, made.digest, target, started, now, resolve).start());
}

type Stage = 'connect' | 'write' | 'response' | 'read' | 'done';

class Exchange {
  private stage: Stage = 'connect';
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly reader: ResponseReader;
  private readonly onAbort = (): void => this.fail('aborted', `request to ${this.target} aborted`);
  /** Cancels a hooked connect still under way when the exchange ends. */
  private readonly hookStop = new AbortController();

  constructor(
    private readonly o: HttpGetOptions,
    observer: ReadObserver,
    private readonly digest: BodyDigest,
    private readonly target: string,
    private readonly started: number,
    private readonly now: () => number,
    private readonly resolve: (r: HttpGetResult) => void,
  ) {
    this.reader = new ResponseReader((b) => digest.update(b), observer);
  }

  start(): void {
    if (this.o.signal?.aborted) return this.onAbort();
    this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
    const family = this.o.address.includes(':') ? 6 : 4;
    this.arm('connect-timeout', `timed out connecting to ${this.target}`);
    if (this.o.connect) return this.startHooked(this.o.connect);
    const tcp = net.connect({
      host: this.o.address,
      port: this.o.port,
      family,
      localAddress: this.o.localAddress,
      localPort: this.o.localPort,
    });
    this.socket = tcp;
    tcp.on('error', (e) => this.onError(e));
    tcp.once('connect', () => (this.o.tls ? this.startTls(tcp) : this.sendRequest()));
  }

  private startHooked(hook: HttpConnectHook): void {
    const { address, port, localAddress, localPort, timeoutMs } = this.o;
    const signal = this.hookStop.signal;
    let pending: ReturnType<HttpConnectHook>;
    try {
      pending = hook({ address, port, localAddress, localPort, timeoutMs, signal });
    } catch (e) {
      return this.fail('connect-setup', `cannot connect to ${this.target}: ${oneLine(e as Error)}`);
    }
    pending.then(
      (r) => {
        if (this.stage !== 'connect') {
          if (r.ok) r.socket.destroy();
          return;
        }
        if (!r.ok) return this.hookFailed(r.code, r.message, r.stage);
        this.socket = r.socket;
        r.socket.on('error', (e) => this.onError(e));
        if (this.o.tls) this.startTls(r.socket);
        else this.sendRequest();
      },
      (e: unknown) => this.fail('connect-failed', `cannot connect to ${this.target}: ${e instanceof Error ? oneLine(e) : String(e)}`),
    );
  }

  /** A hooked connect's failure, classed as net.connect's would be. */
  private hookFailed(code: string, message: string, stage: string | undefined): void {
    if (code === 'ECONNREFUSED') return this.fail('connect-refused', message);
    if (code === 'ENETUNREACH') return this.fail('connect-unreachable', message);
    if (code === 'ETIMEDOUT') return this.fail('connect-timeout', message);
    if (code === 'ABORT_ERR') return this.fail('aborted', message);
    if (stage && stage !== 'connect') return this.fail('connect-setup', message);
    this.fail('connect-failed', message);
  }

  private startTls(tcp: net.Socket): void {
    const vhost = this.o.virtualhost;
    // Node (rightly) refuses an IP literal as SNI; keepalived would send it, nobody can use it.
    const servername = this.o.sni && vhost && net.isIP(vhost) === 0 ? vhost : undefined;
    const secure = tls.connect({
      socket: tcp,
      rejectUnauthorized: false,
      servername,
      cert: this.o.tlsCert,
      key: this.o.tlsKey,
      passphrase: this.o.tlsPassphrase,
    });
    this.socket = secure;
    secure.on('error', (e) => this.onError(e));
    secure.once('secureConnect', () => this.sendRequest());
  }

  private sendRequest(): void {
    if (this.stage !== 'connect') return;
    this.stage = 'write';
    const socket = this.socket!;
    this.arm('write-timeout', `timed out sending the request to ${this.target}`);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.write(buildGetRequest({ ...this.o, protocol: this.o.protocol ?? '1.0' }), (err) => {
      if (err) return this.fail('write-failed', `cannot send the request to ${this.target}: ${oneLine(err)}`);
      if (this.stage !== 'write') return;
      this.stage = 'response';
      this.arm('response-timeout', `timed out waiting for a response from ${this.target}`);
    });
  }

  private onData(data: Buffer): void {
    if (this.stage === 'done') return;
    if (this.stage !== 'read') {
      this.stage = 'read';
      this.armRead();
    } else if (!this.o.tls) {
      this.armRead(); // plain reads: an idle timeout per read; TLS: one deadline (check_ssl.c)
    }
    const outcome = this.reader.push(data);
    if (outcome === 'complete') this.succeed('complete');
    else if (outcome === 'header-too-large') this.finishNoHeader('header-too-large');
  }

  private armRead(): void {
    this.arm('read-timeout', `timed out reading the response from ${this.target}`);
  }

  private onEnd(): void {
    if (this.stage === 'done') return;
    if (this.reader.head) this.succeed('eof');
    else this.finishNoHeader('no-response');
  }

  private onError(e: NodeJS.ErrnoException): void {
    if (this.stage === 'done') return;
    const code = e.code ?? '';
    if (this.stage === 'connect') {
      if (code === 'ECONNREFUSED') return this.fail('connect-refused', `connection refused by ${this.target}`);
      if (code === 'ENETUNREACH') return this.fail('connect-unreachable', `network unreachable for ${this.target}`);
      if (this.o.tls && this.socket instanceof tls.TLSSocket) {
        return this.fail('tls-handshake', `TLS handshake with ${this.target} failed: ${oneLine(e)}`);
      }
      return this.fail('connect-failed', `cannot connect to ${this.target}: ${oneLine(e)}`);
    }
    if (this.stage === 'write') return this.fail('write-failed', `cannot send the request to ${this.target}: ${oneLine(e)}`);
    // keepalived ends a TLS stream on any SSL error and judges what it got; a plain read error fails.
    if (this.o.tls) {
      if (this.reader.head) return this.succeed('tls-error');
      return this.finishNoHeader('no-response');
    }
    this.fail('read-error', `read error from ${this.target}: ${oneLine(e)}`);
  }

  private finishNoHeader(kind: 'no-response' | 'header-too-large'): void {
    const message =
      kind === 'no-response'
        ? `no HTTP response header received from ${this.target}`
        : `response header from ${this.target} does not fit in 4095 bytes`;
    this.fail(kind, message, this.digest.final());
  }

  private succeed(end: HttpGetSuccess['end']): void {
    const head = this.reader.head!;
    this.settle({
      ok: true,
      head,
      bodyBytes: this.reader.bodyBytes,
      digestedBytes: this.reader.digestedBytes,
      digest: this.digest.final(),
      algorithm: this.digest.algorithm,
      end,
      elapsedMs: this.now() - this.started,
    });
  }

  private fail(kind: HttpGetFailureKind, message: string, digest?: Buffer): void {
    const failure: HttpGetFailure = { ok: false, kind, message, target: this.target, elapsedMs: this.now() - this.started };
    if (digest) failure.digest = digest;
    this.settle(failure);
  }

  private arm(kind: HttpGetFailureKind, message: string): void {
    clearTimeout(this.timer);
    const ms = Math.min(Math.max(0, this.o.timeoutMs), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.fail(kind, `${message} (${formatSeconds(this.o.timeoutMs)})`), ms);
  }

  private settle(result: HttpGetResult): void {
    if (this.stage === 'done') return;
    this.stage = 'done';
    clearTimeout(this.timer);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.hookStop.abort();
    this.socket?.destroy();
    this.resolve(result);
  }
}

function formatSeconds(ms: number): string {
  return `${+(ms / 1000).toFixed(3)}s`;
}

/** OpenSSL errors carry a multi-line dump; keep its reason, or the first line. */
function oneLine(e: Error): string {
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === 'string' && reason) return reason;
  return (e.message.split('\n')[0] ?? '').trim() || String((e as NodeJS.ErrnoException).code ?? 'unknown error');
}
