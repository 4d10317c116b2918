// genhash: keepalived's tool that prints the digest of a web page for HTTP_GET/SSL_GET "digest"
// lines. Command line, output and exit codes follow keepalived 2.2's genhash: the digest (MD5 hex)
// on one line; runtime failures are reported the way genhash does (a line on stdout, exit 0) and
// only a bad command line exits 1, after the usage text on stderr (and a socket that cannot be set
// up, e.g. -m without CAP_NET_ADMIN, where genhash would retry silently for ever).
import { getoptLong, type GetoptEvent, type LongOption } from './http/getopt.js';
import { httpGet, type HttpGetFailure, type HttpGetResult } from './http/engine.js';
import { formatVerboseDigest, verboseObserver, type Write } from './http/verbose.js';
import { parseFwmarkArg, parsePortArg, parseProtocolArg, parseServerArg, parseTimeoutArg, GENHASH_DEFAULT_TIMEOUT_MS } from './http/options.js';
import type { HttpProtocol } from './http/request.js';
import { markedConnector } from '../net/marked-socket.js';

export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl: boolean;
  sni: boolean;
  virtualhost?: string;
  protocol: HttpProtocol;
  timeoutMs: number;
  verbose: boolean;
  /** -m: SO_MARK for the connection; 0 (the default) sets none, as genhash. */
  fwmark: number;
}

export function genhashUsage(prog: string): string {
  return (
    `Usage: ${prog} COMMAND [OPTIONS]\n` +
    'Commands:\n' +
    '   -s server-address -p port -u url\n' +
    '   -S -s server-address -p port -u url\n' +
    '   -h\n\n' +
    'Options:\n' +
    'Either long or short options are allowed.\n' +
    '   --use-ssl         -S       Use SSL connection to remote server.\n' +
    '   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n' +
    '   --server          -s       Use the specified remote server address.\n' +
    '   --port            -p       Use the specified remote server port.\n' +
    '   --url             -u       Use the specified remote server url.\n' +
    '   --use-virtualhost -V       Use the specified virtualhost in GET query.\n' +
    '   --verbose         -v       Use verbose mode output.\n' +
    '   --help            -h       Display this short inlined help screen.\n' +
    '   --fwmark          -m       Use the specified FW mark.\n' +
    "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n" +
    "                                1.0c means 1.0 with 'Connection: close'\n" +
    '   --timeout         -t       Timeout in seconds\n'
  );
}

const LONG_OPTIONS: LongOption[] = [
  { name: 'help', hasArg: false, val: 'h' },
  { name: 'verbose', hasArg: false, val: 'v' },
  { name: 'use-ssl', hasArg: false, val: 'S' },
  { name: 'use-sni', hasArg: false, val: 'I' },
  { name: 'server', hasArg: true, val: 's' },
  { name: 'use-virtualhost', hasArg: true, val: 'V' },
  { name: 'port', hasArg: true, val: 'p' },
  { name: 'url', hasArg: true, val: 'u' },
  { name: 'fwmark', hasArg: true, val: 'm' },
  { name: 'protocol', hasArg: true, val: 'P' },
  { name: 'timeout', hasArg: true, val: 't' },
];

export type GenhashParse = { ok: true; options: GenhashOptions } | { ok: false; stderr: string; exitCode: 1 };

/** genhash's command line (without the program name). Errors carry genhash's messages + usage. */
export function parseGenhashArgs(args: readonly string[], prog = 'genhash'): GenhashParse {
  const fail = (message = ''): GenhashParse => ({ ok: false, stderr: message + genhashUsage(prog), exitCode: 1 });
  // genhash gives only the usage when there are fewer than two arguments.
  if (args.length <= 1) return fail();
  const { events, operands } = getoptLong(args, 'hvSs:V:p:u:m:P:t:I', LONG_OPTIONS);
  const o: Partial<GenhashOptions> = { ssl: false, sni: false, verbose: false, protocol: '1.0', timeoutMs: GENHASH_DEFAULT_TIMEOUT_MS, fwmark: 0 };
  let messages = '';
  let badOption = false;
  for (const ev of events) {
    if (ev.kind !== 'option') {
      messages += describeGetoptError(ev);
      badOption = true;
      continue;
    }
    const arg = ev.arg ?? '';
    const problem = applyOption(o, ev.opt, arg);
    if (problem === 'help') badOption = true;
    else if (problem) return fail(messages + problem + '\n');
  }
  if (badOption) return fail(messages);
  if (operands.length) return fail(`Unexpected argument(s): ${operands.join(' ')}\n`);
  if (o.server === undefined || o.port === undefined || o.url === undefined) return fail();
  return { ok: true, options: o as GenhashOptions };
}

function describeGetoptError(ev: Exclude<GetoptEvent, { kind: 'option' }>): string {
  if (ev.kind === 'unknown') return ev.short && !ev.text.startsWith('--') ? `Unknown option -${ev.short}\n` : `Unknown option ${ev.text}\n`;
  // genhash 2.2.7 crashes on a long option missing its value; name the option instead.
  return ev.long ? `Missing parameter for option --${ev.long}\n` : `Missing parameter for option -${ev.opt}\n`;
}

/** Applies one option; returns genhash's complaint, 'help' for -h, or undefined. */
function applyOption(o: Partial<GenhashOptions>, opt: string, arg: string): string | undefined {
  switch (opt) {
    case 'h':
      return 'help';
    case 'v':
      o.verbose = true;
      return undefined;
    case 'S':
      o.ssl = true;
      return undefined;
    case 'I':
      o.sni = true;
      return undefined;
    case 'V':
      o.virtualhost = arg;
      return undefined;
    case 'u':
      o.url = arg;
      return undefined;
    case 's':
      return set(parseServerArg(arg), (v) => (o.server = v));
    case 'p':
      return set(parsePortArg(arg), (v) => (o.port = v));
    case 'P':
      return set(parseProtocolArg(arg), (v) => (o.protocol = v));
    case 't':
      return set(parseTimeoutArg(arg, 'genhash'), (v) => (o.timeoutMs = v));
    case 'm':
      return set(parseFwmarkArg(arg), (v) => (o.fwmark = v));
    default:
      return `Unknown option \`-${opt}\``;
  }
}

function set<T>(r: { ok: true; value: T } | { ok: false; error: string }, apply: (v: T) => void): string | undefined {
  if (!r.ok) return r.error;
  apply(r.value);
  return undefined;
}

/** genhash's one-line report of a failed fetch, and whether it goes to stderr. */
export function genhashFailureLine(f: HttpGetFailure, tls: boolean): { text: string; stderr: boolean } | undefined {
  switch (f.kind) {
    case 'connect-refused':
    case 'connect-failed':
      return { text: 'Connection failed\n', stderr: false };
    case 'connect-unreachable':
      return { text: 'HTTP_CHECK - network unreachable\n', stderr: false };
    case 'connect-timeout':
      return { text: 'Timeout connecting\n', stderr: false };
    case 'tls-handshake':
      return { text: 'SSL handshake/communication error connecting to\n', stderr: false };
    case 'write-timeout':
      return { text: 'Timeout WEB write\n', stderr: false };
    case 'write-failed':
      return { text: 'Cannot send get request to\n', stderr: false };
    case 'response-timeout':
      return { text: 'Timeout WEB read\n', stderr: false };
    case 'read-timeout':
      return { text: tls ? 'Timeout SSL read\n' : 'Timeout HTTP read\n', stderr: false };
    case 'read-error':
      return { text: 'Read error with\n', stderr: false };
    case 'no-response':
    case 'header-too-large':
      return { text: 'no data received from remote webserver\n', stderr: true };
    case 'aborted':
      return undefined; // genhash stops quietly on SIGINT/SIGTERM
    case 'bad-request':
      return { text: f.message + '\n', stderr: true };
    case 'connect-setup':
      // genhash logs this and retries for ever; we say why once (e.g. SO_MARK without CAP_NET_ADMIN).
      return { text: f.message + '\n', stderr: true };
  }
}

export interface GenhashIo {
  stdout: Write;
  stderr: Write;
  signal?: AbortSignal;
  now?: () => number;
}

/** Fetches and prints as genhash does; resolves to the exit status. */
export async function runGenhash(options: GenhashOptions, io: GenhashIo, algorithm = 'md5'): Promise<number> {
  const result: HttpGetResult = await httpGet(
    {
      address: options.server,
      port: options.port,
      path: options.url,
      protocol: options.protocol,
      virtualhost: options.virtualhost,
      tls: options.ssl,
      sni: options.sni,
      timeoutMs: options.timeoutMs,
      algorithm,
      signal: io.signal,
      now: io.now,
      // genhash sets SO_MARK only for a non-zero mark (layer4.c).
      ...(options.fwmark ? { connect: markedConnector(options.fwmark) } : {}),
    },
    options.verbose ? verboseObserver(io.stdout) : {},
  );
  if (result.ok) {
    // keepalived dumps the digest only at a clean end of stream (EOF or TLS close_notify).
    if (options.verbose && result.end !== 'tls-error') io.stdout(formatVerboseDigest(result.digest));
    io.stdout(result.digest.toString('hex') + '\n');
  } else {
    if (options.verbose && result.digest) io.stdout(formatVerboseDigest(result.digest));
    const line = genhashFailureLine(result, options.ssl);
    if (line) (line.stderr ? io.stderr : io.stdout)(line.text);
  }
  if (options.verbose) {
    const usecs = Math.round(result.elapsedMs * 1000);
    io.stdout(`\nGlobal response time for [${options.url}] = ${usecs} usecs\n`);
  }
  return result.ok || (result.kind !== 'bad-request' && result.kind !== 'connect-setup') ? 0 : 1;
}
