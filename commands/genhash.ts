import { Command, Flags } from '@oclif/core';
import { httpGet, type HttpGetResult } from '../src/check/http/engine.js';
import { formatVerboseDigest, verboseObserver } from '../src/check/http/verbose.js';
import { DEFAULT_DIGEST_ALGORITHM } from '../src/check/http/digest.js';
import { parseFwmarkArg, parsePortArg, parseProtocolArg, parseServerArg, parseTimeoutArg, GENHASH_DEFAULT_TIMEOUT_MS } from '../src/check/http/options.js';
import type { HttpProtocol } from '../src/check/http/request.js';
import { markedConnector } from '../src/net/marked-socket.js';

export default class Genhash extends Command {
  static override description = `Print the digest of a web page, for HTTP_GET / SSL_GET "digest" lines (keepalived's genhash).

Sends the GET keepalived's checkers send and hashes the response body exactly as they do (the raw
bytes after the header, cut at Content-Length; chunked bodies are hashed with their framing).
Redirects are not followed and certificates are not verified. Prints the hex digest on one line.
Exit status: 0 digest printed, 1 the request failed (one line on stderr), 2 bad options.
bin/genhash is the byte-for-byte drop-in for keepalived's genhash command itself.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> -s 192.0.2.10 -p 80 -u /health',
    '<%= config.bin %> <%= command.id %> -S -I -V www.example.com -s 2001:db8::10 -p 443 -u / -P 1.1',
    '<%= config.bin %> <%= command.id %> -s 192.0.2.10 -p 80 -u / --digest sha256 --json',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    server: Flags.string({ char: 's', description: 'server IP address (IPv4 or IPv6)' }),
    port: Flags.string({ char: 'p', description: 'server port' }),
    url: Flags.string({ char: 'u', description: 'path to fetch, sent as is' }),
    'use-ssl': Flags.boolean({ char: 'S', description: 'connect with TLS (certificate not verified)' }),
    'use-sni': Flags.boolean({ char: 'I', description: 'send the virtual host as TLS SNI (see -V)' }),
    'use-virtualhost': Flags.string({ char: 'V', description: 'Host header to send (default: address:port)' }),
    protocol: Flags.string({ char: 'P', description: "HTTP protocol: 1.0, 1.0c (1.0 with 'Connection: close') or 1.1", default: '1.0' }),
    timeout: Flags.string({ char: 't', description: 'timeout in seconds for each stage (connect, send, each read)' }),
    fwmark: Flags.string({ char: 'm', description: 'firewall mark (SO_MARK) for the connection, as genhash -m; 0 sets none; needs CAP_NET_ADMIN' }),
    verbose: Flags.boolean({ char: 'v', description: "dump the header and body as genhash -v does, and the response time" }),
    digest: Flags.string({ description: 'digest algorithm (keepalived uses md5): md5, sha1, sha256, sha512, ...', default: DEFAULT_DIGEST_ALGORITHM }),
    help: Flags.help({ char: 'h' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Genhash);
    const bad = (message: string): { error: { kind: string; message: string } } => {
      process.exitCode = 2;
      if (!this.jsonEnabled()) this.logToStderr(`keepalivedctl genhash: ${message}`);
      return { error: { kind: 'bad-option', message } };
    };
    if (flags.server === undefined || flags.port === undefined || flags.url === undefined) {
      return bad('--server (-s), --port (-p) and --url (-u) are required');
    }
    const server = parseServerArg(flags.server);
    if (!server.ok) return bad(server.error);
    const port = parsePortArg(flags.port);
    if (!port.ok) return bad(port.error);
    const protocol = parseProtocolArg(flags.protocol);
    if (!protocol.ok) return bad(protocol.error);
    let timeoutMs = GENHASH_DEFAULT_TIMEOUT_MS;
    if (flags.timeout !== undefined) {
      const t = parseTimeoutArg(flags.timeout, 'seconds');
      if (!t.ok) return bad(t.error);
      timeoutMs = t.value;
    }
    let fwmark = 0;
    if (flags.fwmark !== undefined) {
      const m = parseFwmarkArg(flags.fwmark);
      if (!m.ok) return bad(m.error);
      fwmark = m.value;
    }
    const verbose = flags.verbose && !this.jsonEnabled();
    const write = (chunk: string | Uint8Array): void => void process.stdout.write(chunk);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result: HttpGetResult;
    try {
      result = await httpGet(
        {
          address: server.value,
          port: port.value,
          path: flags.url,
          protocol: protocol.value as HttpProtocol,
          virtualhost: flags['use-virtualhost'],
          tls: flags['use-ssl'],
          sni: flags['use-sni'],
          timeoutMs,
          algorithm: flags.digest,
          signal: stop.signal,
          // SO_MARK needs a socket made by our native addon; 0 is genhash's "no mark".
          ...(fwmark ? { connect: markedConnector(fwmark) } : {}),
        },
        verbose ? verboseObserver(write) : {},
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const scheme = flags['use-ssl'] ? 'https' : 'http';
    if (!result.ok) {
      if (result.kind === 'bad-request') return bad(result.message);
      process.exitCode = 1;
      if (!this.jsonEnabled()) this.logToStderr(`keepalivedctl genhash: ${result.message}`);
      return { url: `${scheme}://${result.target}${flags.url}`, error: { kind: result.kind, message: result.message }, elapsedMs: round(result.elapsedMs) };
    }
    const hex = result.digest.toString('hex');
    if (!this.jsonEnabled()) {
      if (verbose && result.end !== 'tls-error') write(formatVerboseDigest(result.digest));
      write(hex + '\n');
      if (verbose) write(`\nGlobal response time for [${flags.url}] = ${Math.round(result.elapsedMs * 1000)} usecs\n`);
    }
    const target = server.value.includes(':') ? `[${server.value}]:${port.value}` : `${server.value}:${port.value}`;
    return {
      url: `${scheme}://${target}${flags.url}`,
      status: result.head.statusCode,
      headers: Object.fromEntries(result.head.headers.map(([n, v]) => [n.toLowerCase(), v])),
      bytes: result.digestedBytes,
      digest: hex,
      algorithm: result.algorithm,
      elapsedMs: round(result.elapsedMs),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
