// Health checker contracts: a spec (everything one checker needs, defaults resolved from the
// virtual/real server as keepalived does), a one-shot run that never throws, and its result.

export type CheckerType =
  | 'TCP_CHECK'
  | 'HTTP_GET'
  | 'SSL_GET'
  | 'MISC_CHECK'
  | 'SMTP_CHECK'
  | 'DNS_CHECK'
  | 'PING_CHECK'
  | 'UDP_CHECK'
  | 'FILE_CHECK'
  | 'BFD_CHECK';

/** The outcome of one check. `weight` (absolute IPVS weight) only from MISC_CHECK misc_dynamic and FILE_CHECK. */
export interface CheckResult {
  ok: boolean;
  /** One line: what was checked and, on failure, what went wrong. */
  detail: string;
  latencyMs: number;
  weight?: number;
}

/** What a check may use from the outside world (injected so tests and benches control it). */
export interface CheckDeps {
  /** Monotonic milliseconds. */
  now: () => number;
  /** Aborts a check in flight (shutdown). */
  signal?: AbortSignal;
  random?: () => number;
}

/** Where a connection-based checker connects (connect_ip/connect_port default to the real server). */
export interface ConnectTarget {
  ip: string;
  port: number;
  /** bindto: source address. */
  bindto?: string;
  /** bind_port: source port. */
  bindPort?: number;
  /** bind_if: needed for IPv6 link-local targets (used as the scope id). */
  bindIf?: string;
  /** fwmark: SO_MARK for the connection (TCP_CHECK, HTTP_GET, SSL_GET); absent or 0 sets none. */
  fwmark?: number;
  timeoutMs: number;
}

/** Scheduling knobs every checker has (check_api.c), in milliseconds, defaults resolved. */
export interface CheckerTiming {
  delayLoopMs: number;
  /** Upper bound of the random delay before the first check (0: none). */
  warmupMs: number;
  /** Extra attempts after a failure before the checker is marked down. */
  retry: number;
  delayBeforeRetryMs: number;
  /** Start down until the first success. */
  alpha: boolean;
  logAllFailures: boolean;
}

export interface StatusRange {
  min: number;
  max: number;
}

export interface HttpUrlSpec {
  path: string;
  /** Lower-case hex MD5. */
  digest?: string;
  /** Accepted status codes (default 200-299). */
  status: StatusRange[];
  virtualhost?: string;
  regex?: { source: string; flags: string; noMatch: boolean; minOffset: number; maxOffset?: number };
}

export interface TlsClientSpec {
  /** PEM file paths from the top-level SSL block. */
  certificate?: string;
  key?: string;
  password?: string;
  ca?: string;
}

export interface TcpSpec {
  type: 'TCP_CHECK';
  target: ConnectTarget;
}

export interface HttpSpec {
  type: 'HTTP_GET' | 'SSL_GET';
  target: ConnectTarget;
  urls: HttpUrlSpec[];
  protocol: '1.0' | '1.0c' | '1.1';
  virtualhost?: string;
  sni: boolean;
  fastRecovery: boolean;
  tls?: TlsClientSpec;
}

export interface MiscSpec {
  type: 'MISC_CHECK';
  /** argv as keepalived splits misc_path (no shell). */
  argv: string[];
  timeoutMs: number;
  dynamic: boolean;
  user?: string;
  group?: string;
}

export interface SmtpSpec {
  type: 'SMTP_CHECK';
  /** The checker's own target plus any legacy `host` blocks; all must pass. */
  targets: ConnectTarget[];
  helo: string;
}

export interface DnsSpec {
  type: 'DNS_CHECK';
  target: ConnectTarget;
  qtype: string;
  name: string;
}

export interface PingSpec {
  type: 'PING_CHECK';
  target: ConnectTarget;
}

export interface UdpSpec {
  type: 'UDP_CHECK';
  target: ConnectTarget;
  payload?: Buffer;
  requireReply: boolean;
  replyData?: Buffer;
  /** 1 bits are "don't care" (an `x` nibble in require_reply's hex). */
  replyMask?: Buffer;
  minReplyLength: number;
  maxReplyLength: number;
}

export interface FileSpec {
  type: 'FILE_CHECK';
  trackName: string;
  path: string;
  weight: number;
  reverse: boolean;
  /** The real server's configured weight (a FILE_CHECK moves the weight around it). */
  baseWeight: number;
}

/** BFD_CHECK: up while the named bfd_instance's session is Up. */
export interface BfdCheckSpec {
  type: 'BFD_CHECK';
  name: string;
}

export type CheckSpec = TcpSpec | HttpSpec | MiscSpec | SmtpSpec | DnsSpec | PingSpec | UdpSpec | FileSpec | BfdCheckSpec;

/** One configured checker of one real server. */
export interface CheckerEntry {
  /** `vsKey|rsAddr:port#n` (n: the checker's index in the real server block). */
  id: string;
  vsKey: string;
  /** `vsKey|rsAddr:port`: the key the IPVS reconciler uses. */
  rsKey: string;
  spec: CheckSpec;
  timing: CheckerTiming;
  /** Where the checker block is, for messages. */
  where: string;
}

/** A real server and its checkers, as the scheduler tracks it. */
export interface RealServerEntry {
  vsKey: string;
  rsKey: string;
  addr: string;
  port: number;
  /** Configured weight (real server weight, else the virtual server's). */
  weight: number;
  checkers: CheckerEntry[];
}

export const MAX_TIMER_MS = 2_147_483_647;

/** A result that never throws further: build a failure. */
export function failure(detail: string, started: number, now: () => number): CheckResult {
  return { ok: false, detail, latencyMs: Math.max(0, now() - started) };
}

export function success(detail: string, started: number, now: () => number, weight?: number): CheckResult {
  const r: CheckResult = { ok: true, detail, latencyMs: Math.max(0, now() - started) };
  if (weight !== undefined) r.weight = weight;
  return r;
}

/** "ip:port", IPv6 in brackets. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function clampTimer(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

export function errText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const first = (e.message.split('\n')[0] ?? '').trim();
    return code && !first.includes(code) ? `${code}: ${first}` : first || String(code ?? 'error');
  }
  return String(e);
}

/** Called once per run of a DirectProbe (never from inside start()). */
export type ProbeDone = (ok: boolean, detail: string) => void;

/**
 * A checker the scheduler drives itself, for checks cheap enough that a promise, a timer and an
 * AbortSignal listener per run would cost more than the check (TCP_CHECK): the scheduler times it
 * out from its own deadline queue and calls cancel(); the probe reports through the one `done`
 * callback it was made with.
 */
export interface DirectProbe {
  /** The run's deadline, from start. */
  readonly timeoutMs: number;
  /** The failure detail when the deadline passes. */
  readonly timeoutDetail: string;
  /** Starts one run. A string is a failure found at once (then `done` is not called). */
  start(): string | undefined;
  /** Abandons the run in flight (deadline or stop): `done` is not called for it. */
  cancel(): void;
}
