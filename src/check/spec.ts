// From the config model to checker entries: every keyword read from the checker's syntax node,
// defaults resolved as keepalived's check_data.c does (checker, else real server, else virtual
// server, else the checker type's default). Problems become diagnostics naming file and line.
import { child, childrenNamed, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig, RealServer, VirtualServer } from '../config/model.js';
import { BFD_POLL_MS } from './bfd.js';
import { parseStatusCodes } from './http-check.js';
import { realServerKey, rsPortOf, vsKeyOf } from './keys.js';
import { splitCommand } from './misc.js';
import { at, bool, int, ms, present, word, words } from './spec-read.js';
import type { CheckerEntry, CheckerTiming, CheckSpec, ConnectTarget, HttpUrlSpec, RealServerEntry, TlsClientSpec } from './types.js';
import { parseHexString } from './udp.js';

export interface SpecProblem {
  where: string;
  severity: 'error' | 'warning';
  message: string;
}

export const DEFAULT_DELAY_LOOP_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const FILE_POLL_MS = 1_000;

const REGEX_FLAGS: Record<string, string> = { caseless: 'i', multiline: 'm', dotall: 's', utf: 'u' };

interface Ctx {
  config: KeepalivedConfig;
  vs: VirtualServer;
  rs: RealServer;
  rsPort: number;
  problems: SpecProblem[];
}

/** Every real server of every virtual server with its checkers. */
export function buildCheckers(config: KeepalivedConfig): { servers: RealServerEntry[]; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const servers: RealServerEntry[] = [];
  for (const vs of config.virtualServers) {
    const vsKey = vsKeyOf(vs);
    for (const rs of vs.realServers) {
      const rsPort = rsPortOf(vs, rs);
      const rsKey = realServerKey(vsKey, rs.addr, rsPort);
      const ctx: Ctx = { config, vs, rs, rsPort, problems };
      const weight = int(rs.node, 'weight') ?? int(vs.node, 'weight') ?? 1;
      const checkers: CheckerEntry[] = [];
      rs.checkers.forEach((c, i) => {
        const spec = checkerSpec(c.node, ctx, weight);
        if (!spec) return;
        checkers.push({ id: `${rsKey}#${i}`, vsKey, rsKey, spec, timing: timing(c.node, ctx), where: at(c.node) });
      });
      servers.push({ vsKey, rsKey, addr: rs.addr, port: rsPort, weight, checkers });
    }
  }
  return { servers, problems };
}

function timing(n: ConfNode, { vs, rs }: Ctx): CheckerTiming {
  const type = n.keyword;
  // keepalived watches a tracked file with inotify; we poll it every second (no warmup, no retry).
  if (type === 'FILE_CHECK') return { delayLoopMs: FILE_POLL_MS, warmupMs: 0, retry: 0, delayBeforeRetryMs: FILE_POLL_MS, alpha: false, logAllFailures: false };
  // keepalived acts on BFD events at once; the state is polled here (bfd.ts), no warmup, no retry.
  if (type === 'BFD_CHECK') return { delayLoopMs: BFD_POLL_MS, warmupMs: 0, retry: 0, delayBeforeRetryMs: BFD_POLL_MS, alpha: bool(n, 'alpha') ?? false, logAllFailures: false };
  const delayLoopMs = ms(n, 'delay_loop') ?? ms(rs.node, 'delay_loop') ?? ms(vs.node, 'delay_loop') ?? DEFAULT_DELAY_LOOP_MS;
  const defaultRetry = type === 'MISC_CHECK' ? 0 : type === 'DNS_CHECK' ? 3 : 1;
  const retry = int(n, 'retry') ?? int(n, 'nb_get_retry') ?? int(rs.node, 'retry') ?? int(vs.node, 'retry') ?? defaultRetry;
  const defaultDbr = type === 'HTTP_GET' || type === 'SSL_GET' ? 3000 : type === 'DNS_CHECK' ? delayLoopMs : 1000;
  const alpha = bool(n, 'alpha') ?? bool(rs.node, 'alpha') ?? present(vs.node, 'alpha');
  return {
    delayLoopMs,
    warmupMs: ms(n, 'warmup') ?? ms(rs.node, 'warmup') ?? ms(vs.node, 'warmup') ?? delayLoopMs,
    retry,
    delayBeforeRetryMs: ms(n, 'delay_before_retry') ?? ms(rs.node, 'delay_before_retry') ?? ms(vs.node, 'delay_before_retry') ?? defaultDbr,
    alpha,
    logAllFailures: bool(n, 'log_all_failures') ?? false,
  };
}

/** Checkers whose connections carry `fwmark` (SO_MARK through the native addon). */
const MARKED_CHECKERS = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET']);

/** `fwmark N` (read_unsigned_strvec: decimal 0-4294967295; keepalived ignores a bad value). 0 means none. */
function fwmarkOf(n: ConfNode, ctx: Ctx): number | undefined {
  const w = word(n, 'fwmark');
  if (w === undefined) return undefined;
  const v = /^\d{1,10}$/.test(w) ? Number(w) : NaN;
  if (!(v <= 0xffffffff)) {
    ctx.problems.push({ where: at(n), severity: 'warning', message: `${n.keyword}: invalid fwmark connection value '${w}'; ignored` });
    return undefined;
  }
  return v || undefined;
}

function target(n: ConfNode, ctx: Ctx): ConnectTarget {
  const { vs, rs } = ctx;
  const t: ConnectTarget = {
    ip: word(n, 'connect_ip') ?? rs.addr,
    port: int(n, 'connect_port') ?? ctx.rsPort,
    timeoutMs: ms(n, 'connect_timeout') ?? ms(rs.node, 'connect_timeout') ?? ms(vs.node, 'connect_timeout') ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  const bindto = word(n, 'bindto');
  const bindPort = int(n, 'bind_port');
  const bindIf = word(n, 'bind_if');
  if (bindto) t.bindto = bindto;
  if (bindPort) t.bindPort = bindPort;
  if (bindIf) t.bindIf = bindIf;
  if (MARKED_CHECKERS.has(n.keyword)) {
    const mark = fwmarkOf(n, ctx);
    if (mark) t.fwmark = mark;
  } else if (present(n, 'fwmark')) {
    ctx.problems.push({ where: at(n), severity: 'warning', message: `${n.keyword} fwmark is not implemented for this checker; ignored` });
  }
  return t;
}

function needPort(n: ConfNode, t: ConnectTarget, ctx: Ctx): boolean {
  if (t.port > 0) return true;
  ctx.problems.push({ where: at(n), severity: 'error', message: `${n.keyword} has no port to connect to (set connect_port or the real server port); checker ignored` });
  return false;
}

function checkerSpec(n: ConfNode, ctx: Ctx, rsWeight: number): CheckSpec | undefined {
  const err = (message: string): undefined => {
    ctx.problems.push({ where: at(n), severity: 'error', message: `${n.keyword}: ${message}; checker ignored` });
    return undefined;
  };
  switch (n.keyword) {
    case 'TCP_CHECK': {
      const t = target(n, ctx);
      return needPort(n, t, ctx) ? { type: 'TCP_CHECK', target: t } : undefined;
    }
    case 'HTTP_GET':
    case 'SSL_GET':
      return httpSpec(n, ctx, err);
    case 'MISC_CHECK': {
      const path = child(n, 'misc_path')?.args[0]?.text;
      if (!path) return err('misc_path is missing');
      const split = splitCommand(path);
      if (!split.ok) return err(split.error);
      const user = words(n, 'user') ?? ctx.config.globals?.scriptUser?.split(/\s+/);
      const timeoutS = int(n, 'misc_timeout');
      const delayLoop = ms(n, 'delay_loop') ?? ms(ctx.rs.node, 'delay_loop') ?? ms(ctx.vs.node, 'delay_loop') ?? DEFAULT_DELAY_LOOP_MS;
      return {
        type: 'MISC_CHECK',
        argv: split.argv,
        timeoutMs: timeoutS ? timeoutS * 1000 : delayLoop,
        dynamic: present(n, 'misc_dynamic'),
        ...(user?.[0] ? { user: user[0] } : {}),
        ...(user?.[1] ? { group: user[1] } : {}),
      };
    }
    case 'SMTP_CHECK': {
      const own = target(n, ctx);
      const hosts = childrenNamed(n, 'host').map((h) => target(h, ctx));
      const targets = [own, ...hosts].filter((t) => needPort(n, t, ctx));
      if (!targets.length) return undefined;
      return { type: 'SMTP_CHECK', targets, helo: word(n, 'helo_name') ?? 'smtpchecker.keepalived.org' };
    }
    case 'DNS_CHECK': {
      const t = target(n, ctx);
      if (!needPort(n, t, ctx)) return undefined;
      return { type: 'DNS_CHECK', target: t, qtype: (word(n, 'type') ?? 'SOA').toUpperCase(), name: word(n, 'name') ?? '.' };
    }
    case 'PING_CHECK':
      return { type: 'PING_CHECK', target: target(n, ctx) };
    case 'UDP_CHECK': {
      const t = target(n, ctx);
      if (!needPort(n, t, ctx)) return undefined;
      const payloadText = words(n, 'payload')?.join(' ');
      const payload = payloadText !== undefined ? parseHexString(payloadText, false) : undefined;
      if (payloadText !== undefined && !payload) return err(`payload '${payloadText}' is not hex`);
      const rr = child(n, 'require_reply');
      const replyText = rr?.args.map((a) => a.text).join(' ');
      const reply = replyText ? parseHexString(replyText, true) : undefined;
      if (replyText && !reply) return err(`require_reply '${replyText}' is not hex`);
      return {
        type: 'UDP_CHECK',
        target: t,
        ...(payload ? { payload: payload.data } : {}),
        requireReply: !!rr,
        ...(reply ? { replyData: reply.data, ...(reply.mask ? { replyMask: reply.mask } : {}) } : {}),
        minReplyLength: int(n, 'min_reply_length') ?? 0,
        maxReplyLength: int(n, 'max_reply_length') ?? 255,
      };
    }
    case 'FILE_CHECK': {
      const name = word(n, 'track_file');
      if (!name) return err('track_file is missing');
      const tf = ctx.config.nodes.find((x) => (x.keyword === 'track_file' || x.keyword === 'vrrp_track_file') && x.args[0]?.text === name);
      const path = word(tf, 'file');
      if (!tf || !path) return err(`track_file '${name}' is not defined (or has no file)`);
      const own = child(n, 'weight');
      const src = own ?? child(tf, 'weight');
      return {
        type: 'FILE_CHECK',
        trackName: name,
        path,
        weight: src ? Number(src.args[0]?.text ?? 1) || 0 : 1,
        reverse: src?.args[1]?.text === 'reverse',
        baseWeight: rsWeight,
      };
    }
    case 'BFD_CHECK': {
      const names = child(n, 'name')?.args.map((a) => a.text) ?? [];
      if (names.length !== 1) return err('No or too many names specified');
      const b = ctx.config.nodes.find((x) => x.keyword === 'bfd_instance' && x.args[0]?.text === names[0]);
      // A bfd_instance naming only `vrrp` sends the checker process nothing (bfd_parser.c).
      if (!b || (child(b, 'vrrp') && !child(b, 'checker'))) return err(`BFD ${names[0]} not configured`);
      return { type: 'BFD_CHECK', name: names[0]! };
    }
    default:
      ctx.problems.push({ where: at(n), severity: 'warning', message: `${n.keyword} is not supported by this checker process; ignored` });
      return undefined;
  }
}

function httpSpec(n: ConfNode, ctx: Ctx, err: (m: string) => undefined): CheckSpec | undefined {
  const t = target(n, ctx);
  if (!needPort(n, t, ctx)) return undefined;
  const urls: HttpUrlSpec[] = [];
  for (const u of childrenNamed(n, 'url')) {
    const path = word(u, 'path');
    if (!path) return err(`url block at ${at(u)} has no path`);
    const codes = words(u, 'status_code');
    const status = codes ? parseStatusCodes(codes) : { ok: true as const, ranges: [{ min: 200, max: 299 }] };
    if (!status.ok) return err(status.error);
    const url: HttpUrlSpec = { path, status: status.ranges };
    const digest = word(u, 'digest');
    if (digest) {
      if (!/^[0-9a-f]{32}$/i.test(digest)) return err(`digest '${digest}' is not 32 hex digits`);
      url.digest = digest.toLowerCase();
    }
    const vh = word(u, 'virtualhost');
    if (vh) url.virtualhost = vh;
    const rx = word(u, 'regex');
    if (rx !== undefined) {
      let flags = '';
      for (const o of words(u, 'regex_options') ?? []) {
        if (REGEX_FLAGS[o]) flags += REGEX_FLAGS[o];
        else ctx.problems.push({ where: at(u), severity: 'warning', message: `regex option '${o}' has no JavaScript equivalent; ignored` });
      }
      try {
        new RegExp(rx, flags);
      } catch (e) {
        return err(`regex /${rx}/ is not valid: ${(e as Error).message}`);
      }
      const max = int(u, 'regex_max_offset');
      url.regex = { source: rx, flags, noMatch: present(u, 'regex_no_match'), minOffset: int(u, 'regex_min_offset') ?? 0, ...(max !== undefined ? { maxOffset: max } : {}) };
    }
    urls.push(url);
  }
  if (!urls.length) return err('no url block');
  const proto = (word(n, 'http_protocol') ?? '1.0').toLowerCase();
  const vhost = word(n, 'virtualhost') ?? word(ctx.rs.node, 'virtualhost') ?? word(ctx.vs.node, 'virtualhost');
  const ssl = ctx.config.nodes.filter((x) => x.keyword === 'SSL').at(-1);
  const tls: TlsClientSpec = {};
  for (const [kw, field] of [['certificate', 'certificate'], ['key', 'key'], ['password', 'password'], ['ca', 'ca']] as const) {
    const v = word(ssl, kw);
    if (v) tls[field] = v;
  }
  return {
    type: n.keyword as 'HTTP_GET' | 'SSL_GET',
    target: t,
    urls,
    protocol: proto === '1.1' ? '1.1' : proto === '1.0c' ? '1.0c' : '1.0',
    ...(vhost ? { virtualhost: vhost } : {}),
    sni: bool(n, 'enable_sni') ?? false,
    fastRecovery: bool(n, 'fast_recovery') ?? false,
    ...(Object.keys(tls).length ? { tls } : {}),
  };
}
