// The checker child's DATA dump (SIGUSR1): keepalived 2.2.7's checker process writes
// keepalived_check.data with dump_data_check (check_data.c): the global definitions (as the parent
// shows them: no Default interface line), "LVS Topology" (virtual server groups, virtual servers
// and their real servers) and "Health checkers" (check_api.c dump_checker plus each type's own
// lines). Pure: the config, the checkers' snapshot and the IPVS side's status in, the text out.
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig, VirtualServer } from '../config/model.js';
import type { VirtualServerStatus } from '../control/protocol.js';
import type { RealServerStatus } from '../check/scheduler.js';
import { vsKeyOf } from '../check/keys.js';
import { buildCheckers } from '../check/spec.js';
import type { CheckerEntry, CheckSpec, ConnectTarget } from '../check/types.js';
import { FWD, SVC_F, TUN_TYPE } from '../ipvs/genl-codec.js';
import { specsFromConfig, vsId, type ServerSpec, type VsSpec } from '../ipvs/spec.js';
import { ctimeUs, globalLines } from './dump-data.js';
import type { DumpGlobals } from './dump-types.js';
import { cmdStr } from './notify-scripts.js';
import { defaultScriptUser, lookupUser, scriptFromLine, type ScriptUser, type UserDb } from './script-exec.js';

/** What is live at dump time; everything else comes from the config. */
export interface CheckDumpState {
  /** The checkers' snapshot (CheckerService.snapshot()). */
  snapshot: readonly RealServerStatus[];
  /** IpvsService.status(snapshot): quorum state, suspended, the kernel weight per real server. */
  virtualServers: readonly VirtualServerStatus[];
  /** Checkers' vsKeys whose checkers are suspended (ha_suspend). */
  suspended: ReadonlySet<string>;
  /** Whether the kernel has IPVS (keepalived's checker cannot run without it; we keep checking). */
  ipvs: boolean;
  userDb?: UserDb;
}

/** LVS version the dump names: the UAPI's IP_VS_VERSION_CODE (linux/ip_vs.h: 1.2.1). */
const LVS_VERSION = 'v1.2.1';
const US = 1_000_000;

const arg = (n: ConfNode | undefined, i = 0) => n?.args[i]?.text;
/** keepalived's format_decimal(val, 6): seconds with six decimals. */
export const fmtDecimal = (us: number): string => `${Math.floor(us / US)}.${String(us % US).padStart(6, '0')}`;
/** Seconds as the config gives them (decimals allowed) -> microseconds, or undefined. */
function secondsUs(n: ConfNode | undefined): number | undefined {
  const t = arg(n);
  if (t === undefined || !/^\d+(\.\d+)?$/.test(t)) return undefined;
  return Math.round(Number(t) * US);
}
function uintOf(n: ConfNode | undefined): number | undefined {
  const t = arg(n);
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}
function flagOf(n: ConfNode | undefined): boolean | undefined {
  if (!n) return undefined;
  const t = arg(n)?.toLowerCase();
  return t === undefined || !['false', 'off', 'no', '0'].includes(t);
}
const onOff = (b: boolean) => (b ? 'ON' : 'OFF');
const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const en = (b: boolean) => (b ? 'en' : 'dis');
const bracket = (a: string, port: number) => `[${a}]:${port}`;

function protoOf(vs: VirtualServer): string {
  return (arg(child(vs.node, 'protocol')) ?? 'TCP').toUpperCase();
}

/** keepalived's FMT_VS. */
export function fmtVs(vs: VirtualServer): string {
  if (vs.kind === 'group') return `[${vs.group ?? ''}]:0`;
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark ?? 0}`;
  return `[${vs.addr ?? ''}]:${protoOf(vs).toLowerCase()}:${vs.port ?? 0}`;
}

function fwdLines(prefix: string, s: Pick<ServerSpec, 'fwd' | 'tunType' | 'tunPort'>): string {
  const m = 'forwarding method = ';
  if (s.fwd === FWD.MASQ) return `   ${prefix}${m}NAT`;
  if (s.fwd === FWD.DROUTE) return `   ${prefix}${m}DR`;
  if (s.fwd === FWD.TUNNEL) {
    if (s.tunType === TUN_TYPE.IPIP) return `   ${prefix}${m}TUN, type = IPIP`;
    if (s.tunType === TUN_TYPE.GUE) return `   ${m}TUN, type = GUE, port = ${s.tunPort}`;
    return `   ${m}TUN, type = GRE`;
  }
  return `   ${m} 0x${s.fwd.toString(16)}`;
}

/** A notify script line with the uid:gid it would run as. */
function scriptLine(n: ConfNode | undefined, label: string, indent: string, userOf: (u?: string[]) => ScriptUser | undefined): string[] {
  if (!n || !n.args.length) return [];
  const r = scriptFromLine(n.text.text);
  if (!r.ok) return [];
  const u = userOf(r.value.rest.length ? r.value.rest.slice(0, 2) : undefined);
  return [`${indent}${label} = ${cmdStr(r.value.argv)}, uid:gid ${u?.uid ?? 0}:${u?.gid ?? 0}`];
}

function vsLines(vs: VirtualServer, spec: VsSpec, st: VirtualServerStatus | undefined, ctx: Ctx): string[] {
  const n = vs.node;
  const out = [' ------< Virtual server >------'];
  if (vs.kind === 'group') out.push(` VS GROUP = ${fmtVs(vs)}`);
  else if (vs.kind === 'fwmark') out.push(` VS FWMARK = ${vs.fwmark ?? 0}`);
  else out.push(` VS VIP = ${vs.addr ?? ''}, VPORT = ${vs.port ?? 0}`);
  const vh = arg(child(n, 'virtualhost'));
  if (vh !== undefined) out.push(`   VirtualHost = ${vh}`);
  const v6 = spec.realServers.some((r) => r.addr.includes(':')) || (vs.addr ?? '').includes(':');
  out.push(`   Address family = ${spec.realServers.length || vs.addr ? (v6 ? 'inet6' : 'inet') : 'unknown'}`);
  out.push(`   connection timeout = ${fmtDecimal(secondsUs(child(n, 'connect_timeout')) ?? 5 * US)}`);
  out.push(`   delay_loop = ${fmtDecimal(secondsUs(child(n, 'delay_loop')) ?? 60 * US)}`);
  out.push(`   lvs_sched = ${spec.sched}`);
  out.push('   Hashed = disabled');
  if (spec.sched === 'sh' || spec.sched === 'mh') {
    out.push(`   ${spec.sched}-port = ${en(!!(spec.flags & SVC_F.SH_PORT))}abled`, `   ${spec.sched}-fallback = ${en(!!(spec.flags & SVC_F.SH_FALLBACK))}abled`);
  } else {
    for (const [i, f] of [SVC_F.SCHED1, SVC_F.SCHED2, SVC_F.SCHED3].entries()) out.push(`   flag-${i + 1} = ${en(!!(spec.flags & f))}abled`);
  }
  out.push(`   One packet scheduling = ${en(!!(spec.flags & SVC_F.ONEPACKET))}abled`);
  if (child(n, 'persistence_timeout')) out.push(`   persistence timeout = ${spec.timeout}`);
  const gran = arg(child(n, 'persistence_granularity'));
  if (gran !== undefined) out.push(`   persistence granularity = ${gran}`);
  out.push(`   protocol = ${vs.kind === 'fwmark' && !child(n, 'protocol') ? 'TCP' : protoOf(vs)}`);
  out.push(`   alpha is ${onOff(!!flagOf(child(n, 'alpha')))}`, `   omega is ${onOff(spec.omega)}`);
  timingLines(n, out);
  out.push(`   Inhibit on failure is ${onOff(!!flagOf(child(n, 'inhibit_on_failure')))}`);
  out.push(`   quorum = ${spec.quorum}, hysteresis = ${spec.hysteresis}`);
  out.push(...scriptLine(child(n, 'quorum_up'), 'Quorum up notify script', '   ', ctx.userOf));
  out.push(...scriptLine(child(n, 'quorum_down'), 'Quorum down notify script', '   ', ctx.userOf));
  if (spec.haSuspend) out.push('   Using HA suspend');
  out.push(`   Using smtp notification = ${yesNo(!!flagOf(child(n, 'smtp_alert')))}`);
  out.push(fwdLines('default ', spec.realServers[0] ?? { fwd: FWD.MASQ, tunType: 0, tunPort: 0 }));
  if (spec.sorry) {
    const dup = spec.realServers.some((r) => r.addr === spec.sorry!.addr && r.port === spec.sorry!.port);
    out.push(`   sorry server ${dup ? '(duplicates rs) ' : ''}= ${rsTrio(vs, spec.sorry.addr, spec.sorry.port)}`);
    out.push(fwdLines('  ', spec.sorry), `     Inhibit on failure is ${onOff(spec.sorry.inhibit)}`);
  }
  const inKernel = !!st && st.realServers.some((r) => r.tableWeight !== null);
  out.push(`   alive = ${inKernel ? 1 : 0}`, `   quorum_state_up = ${st?.quorumUp === false ? 0 : 1}`, '   reloaded = 0');
  vs.realServers.forEach((rs, i) => {
    const s = spec.realServers[i];
    if (s) out.push(...rsLines(vs, rs.node, s, st?.realServers[i], ctx));
  });
  return out;
}

/** retry / delay_before_retry / warmup: printed only when this block sets them (keepalived's UINT_MAX test). */
function timingLines(n: ConfNode, out: string[], vsNode?: ConfNode): void {
  const pick = (kw: string) => child(n, kw) ?? (vsNode ? child(vsNode, kw) : undefined);
  const retry = uintOf(pick('retry')) ?? uintOf(pick('nb_get_retry'));
  if (retry !== undefined) out.push(`   Retry count = ${retry}`);
  const dbr = secondsUs(pick('delay_before_retry'));
  if (dbr !== undefined) out.push(`   Retry delay = ${fmtDecimal(dbr)}`);
  const warm = secondsUs(pick('warmup'));
  if (warm !== undefined) out.push(`   Warmup = ${fmtDecimal(warm)}`);
}

function rsTrio(vs: VirtualServer, addr: string, port: number): string {
  const p = vs.kind === 'fwmark' && !child(vs.node, 'protocol') ? 'tcp' : protoOf(vs).toLowerCase();
  return `[${addr}]:${p}:${port}`;
}

function rsLines(vs: VirtualServer, n: ConfNode, s: ServerSpec, st: VirtualServerStatus['realServers'][number] | undefined, ctx: Ctx): string[] {
  const eff = st?.up === false ? s.weight : st?.weight ?? s.weight;
  const out = ['   ------< Real server >------', `   RIP = ${s.addr}, RPORT = ${s.port}, WEIGHT = ${Math.max(0, eff)} EFF WEIGHT = ${eff}`];
  out.push(fwdLines('', s), `   Alpha is ${onOff(s.alpha)}`);
  const vn = vs.node;
  out.push(`   connection timeout = ${fmtDecimal(secondsUs(child(n, 'connect_timeout') ?? child(vn, 'connect_timeout')) ?? 5 * US)}`);
  out.push(`   connection limit range = ${s.lThresh} -> ${s.uThresh}`);
  out.push(`   Delay loop = ${fmtDecimal(secondsUs(child(n, 'delay_loop') ?? child(vn, 'delay_loop')) ?? 60 * US)}`);
  timingLines(n, out, vn);
  out.push(`   Inhibit on failure is ${onOff(s.inhibit)}`);
  out.push(...scriptLine(child(n, 'notify_up'), 'RS up notify script', '     ', ctx.userOf));
  out.push(...scriptLine(child(n, 'notify_down'), 'RS down notify script', '     ', ctx.userOf));
  const vh = arg(child(n, 'virtualhost'));
  if (vh !== undefined) out.push(`    VirtualHost = '${vh}'`);
  // keepalived defaults a real server's smtp_alert to on (backward compatibility).
  out.push(`   Using smtp notification = ${yesNo(flagOf(child(n, 'smtp_alert')) ?? true)}`);
  const failed = st ? st.checkers.filter((c) => !c.up).length : 0;
  out.push(`   initial weight = ${s.weight}`, `   effective weight = ${eff}`, `   previous effective_weight = ${eff}`);
  out.push(`   alive = ${st?.up === false ? 0 : 1}`, `   num failed checkers = ${failed}`, `   RS set = ${st && st.tableWeight !== null ? 1 : 0}`, '   reloaded = 0');
  return out;
}

/** keepalived's default_delay_before_retry per checker type. */
function defaultRetryDelayUs(t: CheckSpec['type']): number {
  if (t === 'HTTP_GET' || t === 'SSL_GET') return 3 * US;
  return t === 'DNS_CHECK' ? 0 : US;
}

function targetOf(s: CheckSpec): ConnectTarget | undefined {
  if (s.type === 'SMTP_CHECK') return s.targets[0];
  if (s.type === 'MISC_CHECK' || s.type === 'FILE_CHECK' || s.type === 'BFD_CHECK') return undefined;
  return s.target;
}

/** ctime_r's "%.24s" with microseconds: "1795599559.792773 (Wed Nov 25 09:39:19 2026.792773)". */
function lastRan(wallMs: number | undefined): string {
  const us = Math.round((wallMs ?? 0) * 1000);
  const t = ctimeUs(us);
  const frac = t.slice(20, 26);
  return `${Math.floor(us / US)}.${frac} (${t.slice(0, 19)}${t.slice(26)}.${frac})`;
}

function typeLines(s: CheckSpec, c: RealServerStatus['checkers'][number] | undefined, ctx: Ctx, alpha: boolean): string[] {
  switch (s.type) {
    case 'HTTP_GET':
    case 'SSL_GET': {
      const out = [`   Keepalive method = ${s.type}, http protocol ${s.protocol === '1.0c' ? '1.0C' : s.protocol}`];
      if (s.virtualhost) out.push(`   Virtualhost = ${s.virtualhost}`);
      out.push(`   Enable SNI ${s.sni ? '' : 'un'}set`, `   Fast recovery ${s.fastRecovery ? '' : 'un'}set`);
      for (const u of s.urls) {
        out.push(`   Checked url = ${u.path}`);
        if (u.digest) out.push(`     digest = ${u.digest}`);
        out.push('     HTTP Status Code(s)', ...u.status.map((r) => (r.min === r.max ? `       ${r.min}` : `       ${r.min}-${r.max}`)));
        if (u.virtualhost) out.push(`     Virtual host = ${u.virtualhost}`);
      }
      return out;
    }
    case 'MISC_CHECK': {
      const u = ctx.userOf(s.user !== undefined ? [s.user, ...(s.group !== undefined ? [s.group] : [])] : undefined);
      const status = /exited with status (\d+)/.exec(c?.detail ?? '')?.[1] ?? '0';
      return ['   Keepalive method = MISC_CHECK', `   script = ${cmdStr(s.argv)}`, `   timeout = ${Math.floor(s.timeoutMs / 1000)}`, `   dynamic = ${s.dynamic ? 'YES' : 'NO'}`,
        `   uid:gid = ${u?.uid ?? 0}:${u?.gid ?? 0}`, `   Last ran = ${lastRan(c?.lastRunWallMs)}`, `   Last status = ${status}`];
    }
    case 'SMTP_CHECK':
      return ['   Keepalive method = SMTP_CHECK', `   helo = ${s.helo}`];
    case 'DNS_CHECK':
      return ['   Keepalive method = DNS_CHECK', `   Type = ${s.qtype.toUpperCase()}`, `   Name = ${s.name}`];
    case 'UDP_CHECK': {
      const out = ['   Keepalive method = UDP_CHECK', s.payload ? `   Payload len = ${s.payload.length}` : '   Payload specified = no', `   Require reply = ${yesNo(s.requireReply)}`];
      if (s.requireReply) {
        out.push(`     Min reply length = ${s.minReplyLength}`, `     Max reply length = ${s.maxReplyLength}`, `     Reply data len = ${s.replyData?.length ?? 0}`);
        if (s.replyData) out.push(`     Reply data mask = ${yesNo(!!s.replyMask)}`);
      }
      return out;
    }
    case 'FILE_CHECK':
      return ['   Keepalive method = FILE_CHECK', `     Tracked file = ${s.trackName}`, '     Reloaded = No'];
    case 'BFD_CHECK':
      return ['   Keepalive method = BFD_CHECK', `   Name = ${s.name}`, `   Alpha is ${onOff(alpha)}`];
    default:
      return [`   Keepalive method = ${s.type}`];
  }
}

function checkerLines(vs: VirtualServer, e: CheckerEntry, c: RealServerStatus['checkers'][number] | undefined, addr: string, port: number, suspended: boolean, ctx: Ctx): string[] {
  const t = e.timing;
  const out = [` ${fmtVs(vs)} -> ${rsTrio(vs, addr, port)}`, `   Enabled = ${yesNo(!suspended)}`, `   Up = ${yesNo(c?.up ?? !t.alpha)}`,
    `   Has run = ${yesNo((c?.runs ?? 0) > 0)}`, '   Current weight = 0'];
  if (e.spec.type !== 'FILE_CHECK') {
    out.push(`   Alpha = ${yesNo(t.alpha)}`, `   Delay loop = ${t.delayLoopMs * 1000} us`, `   Warmup = ${t.warmupMs * 1000} us`, `   Retries = ${t.retry}`);
    // keepalived starts retry_it at retry (one failure is enough at first).
    if (t.retry) out.push(`   Delay before retry = ${t.delayBeforeRetryMs * 1000} us`, `   Retries iterations = ${c?.retryIt ?? t.retry}`);
    out.push(`   Default delay before retry = ${defaultRetryDelayUs(e.spec.type)} us`);
  }
  out.push(`   Log all failures = ${yesNo(t.logAllFailures)}`);
  const co = targetOf(e.spec);
  if (co) {
    out.push('   Connection', `     Dest = ${bracket(co.ip, co.port)}`);
    if (co.bindto) out.push(`     Bind to = ${bracket(co.bindto, co.bindPort ?? 0)}`);
    if (co.bindIf) out.push(`     Bind i/f = ${co.bindIf}`);
    if (co.fwmark) out.push(`     Mark = ${co.fwmark}`);
    out.push(`     Timeout = ${(co.timeoutMs / 1000).toFixed(6)}`);
  }
  return [...out, ...typeLines(e.spec, c, ctx, t.alpha)];
}

interface Ctx {
  userOf: (u?: string[]) => ScriptUser | undefined;
}

/** "192.0.2.10-20" -> start and end addresses (keepalived's range: the last byte / last group). */
function range(text: string): [string, string] {
  const m = /^(.*[.:])([0-9a-fA-F]+)-([0-9a-fA-F]+)$/.exec(text);
  return m ? [`${m[1]}${m[2]}`, `${m[1]}${m[3]}`] : [text, text];
}

/** dump_vsg: its address entries, then its fwmarks; Alive counts the group's virtual servers in the kernel. */
function vsgLines(grp: KeepalivedConfig['virtualServerGroups'][number], vss: readonly VirtualServer[], status: ReadonlyMap<string, VirtualServerStatus>): string[] {
  const users = vss.filter((v) => v.kind === 'group' && v.group === grp.name);
  const alive = (proto: string) => users.filter((v) => protoOf(v) === proto && status.get(vsId(v))?.realServers.some((r) => r.tableWeight !== null)).length;
  const addrs = grp.entries.filter((e) => e.fwmark === undefined);
  const marks = grp.entries.filter((e) => e.fwmark !== undefined);
  const v4 = addrs.some((e) => !e.text.includes(':'));
  const v6 = addrs.some((e) => e.text.includes(':'));
  const out = [' ------< Virtual server group >------', ` Virtual Server Group = ${grp.name}, IPv4 = ${yesNo(v4 || marks.length > 0)}, IPv6 = ${yesNo(v6)}`];
  for (const e of addrs) {
    const [a, b] = range(e.text.trim().split(/\s+/)[0] ?? '');
    out.push(a === b ? `   VIP = ${a}, VPORT = ${e.port ?? 0}` : `   VIP Range = ${a}-${b}, VPORT = ${e.port ?? 0}`);
    out.push(`     Alive: ${alive('TCP')} tcp, ${alive('UDP')} udp, ${alive('SCTP')} sctp`, '     reloaded = False');
  }
  for (const e of marks) out.push(`   FWMARK = ${e.fwmark}`, `     Alive: ${users.length ? alive(protoOf(users[0]!)) : 0} IPv4, 0 IPv6`, '     reloaded = False');
  return out;
}

/** "SSL definitions": the SSL block's files, or keepalived's autogenerated context for SSL_GET without one. */
function sslLines(cfg: KeepalivedConfig, sslUsed: boolean): string[] {
  const n = cfg.nodes.find((x) => x.keyword === 'SSL' && x.children);
  if (!n && !sslUsed) return [];
  const out = ['------< SSL definitions >------'];
  const f = (kw: string) => arg(child(n, kw));
  const [pw, ca, cert, key] = [f('password'), f('ca'), f('certificate'), f('key')];
  if (pw === undefined && ca === undefined && cert === undefined && key === undefined) return [...out, ' Using autogen SSL context'];
  if (pw !== undefined) out.push(` Password : ${pw}`);
  if (ca !== undefined) out.push(` CA-file : ${ca}`);
  if (cert !== undefined) out.push(` Certificate file : ${cert}`);
  if (key !== undefined) out.push(` Key file : ${key}`);
  return out;
}

/** "Checker track BFDs": each bfd_instance a BFD_CHECK follows, with the real servers on it. */
function bfdLines(cfg: KeepalivedConfig, checkers: ReturnType<typeof buildCheckers>['servers'], byKey: ReadonlyMap<string, VirtualServer>): string[] {
  const users = new Map<string, string[]>();
  for (const rs of checkers) {
    const vs = byKey.get(rs.vsKey);
    if (!vs) continue;
    for (const e of rs.checkers) if (e.spec.type === 'BFD_CHECK') users.set(e.spec.name, [...(users.get(e.spec.name) ?? []), `   ${rsTrio(vs, rs.addr, rs.port)}`]);
  }
  const out: string[] = [];
  for (const n of cfg.nodes) {
    const name = arg(n);
    if (n.keyword !== 'bfd_instance' || name === undefined || !users.has(name)) continue;
    out.push(` Checker Track BFD = ${name}`, '   Tracking RS :', ...users.get(name)!);
  }
  return out.length ? ['------< Checker track BFDs >------', ...out] : [];
}

/** "Checker track files": each track_file a FILE_CHECK uses, its value (the last check's), the checkers on it. */
function trackFileLines(cfg: KeepalivedConfig, byKey: ReadonlyMap<string, VirtualServer>, snap: ReadonlyMap<string, RealServerStatus>): string[] {
  const users = new Map<string, string[]>();
  const values = new Map<string, string>();
  for (const rs of buildCheckers(cfg).servers) {
    const vs = byKey.get(rs.vsKey);
    if (!vs) continue;
    rs.checkers.forEach((e, i) => {
      if (e.spec.type !== 'FILE_CHECK') return;
      const name = e.spec.trackName;
      users.set(name, [...(users.get(name) ?? []), `     ${fmtVs(vs)} -> ${rsTrio(vs, rs.addr, rs.port)}, weight ${e.spec.weight}${e.spec.reverse ? ' reverse' : ''}`]);
      const v = / value (-?\d+)/.exec(snap.get(rs.rsKey)?.checkers[i]?.detail ?? '')?.[1];
      if (v !== undefined) values.set(name, v);
    });
  }
  const out: string[] = [];
  for (const n of cfg.nodes) {
    if ((n.keyword !== 'track_file' && n.keyword !== 'vrrp_track_file') || !n.children) continue;
    const name = arg(n) ?? '';
    const list = users.get(name);
    if (!list) continue;
    const w = child(n, 'weight');
    out.push(` Track file = ${name}`, `   File = ${arg(child(n, 'file')) ?? ''}`, `   Status = ${values.get(name) ?? 0}`,
      `   Weight = ${arg(w) ?? 1}${arg(w, 1) === 'reverse' ? ' reverse' : ''}`, '   Tracking instances :', ...list);
    users.delete(name);
  }
  return out.length ? ['------< Checker track files >------', ...out] : [];
}

/** The text of keepalived_check.data. */
export function formatCheckData(cfg: KeepalivedConfig, globals: DumpGlobals, state: CheckDumpState): string {
  const g = cfg.nodes.find((x) => x.keyword === 'global_defs');
  const su = g ? child(g, 'script_user')?.args.map((a) => a.text) : undefined;
  const security = !!(g && child(g, 'enable_script_security'));
  const userOf = (u?: string[]): ScriptUser | undefined => {
    const r = u ? lookupUser(u[0]!, u[1], state.userDb) : defaultScriptUser(su, security, state.userDb);
    return r.ok ? r.value : undefined;
  };
  const ctx: Ctx = { userOf };
  const out = globalLines(globals, false);
  const checkers = buildCheckers(cfg).servers;
  out.push(...sslLines(cfg, checkers.some((rs) => rs.checkers.some((e) => e.spec.type === 'SSL_GET'))));
  const specs = new Map(specsFromConfig(cfg).specs.map((s) => [s.id, s]));
  const status = new Map(state.virtualServers.map((v) => [v.name, v]));
  const vss = cfg.virtualServers.filter((vs) => specs.has(vsId(vs)));
  if (vss.length) {
    out.push('------< LVS Topology >------', ` System is compiled with LVS ${LVS_VERSION}`);
    for (const grp of cfg.virtualServerGroups) out.push(...vsgLines(grp, vss, status));
    for (const vs of vss) out.push(...vsLines(vs, specs.get(vsId(vs))!, status.get(vsId(vs)), ctx));
  }
  const snap = new Map(state.snapshot.map((r) => [r.rsKey, r]));
  // The checkers name a virtual server by keys.ts's vsKeyOf; keepalived lists them in config order.
  const byKey = new Map(vss.map((vs) => [vsKeyOf(vs), vs]));
  const lines: string[] = [];
  for (const rs of checkers) {
    const vs = byKey.get(rs.vsKey);
    if (!vs) continue;
    const st = snap.get(rs.rsKey);
    rs.checkers.forEach((e, i) => lines.push(...checkerLines(vs, e, st?.checkers[i], rs.addr, rs.port, state.suspended.has(rs.vsKey), ctx)));
  }
  if (lines.length) out.push('------< Health checkers >------', ...lines);
  out.push(...trackFileLines(cfg, byKey, snap), ...bfdLines(cfg, checkers, byKey));
  return out.join('\n') + '\n';
}
