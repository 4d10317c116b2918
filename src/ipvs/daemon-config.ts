// What the daemon's IPVS side reads from the config besides the virtual server specs: global_defs
// lvs_flush / lvs_flush_on_stop / lvs_sync_daemon, each virtual server's quorum_up/quorum_down
// scripts, and which vrrp_instance holds a virtual server's address (for ha_suspend). Pure.
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { IpvsDaemon } from './genl-codec.js';
import { realServerKey as checkerKey, rsPortOf, vsKeyOf } from '../check/keys.js';
import { scriptFromLine } from '../daemon/script-exec.js';
import type { NotifyScript } from '../daemon/notify-config.js';
import { realServerKey, vsId } from './spec.js';

export type FlushOnStop = 'none' | 'vs' | 'full';

export interface SyncDaemonConf {
  /** The interface the sync messages go out of (and are received on). */
  ifname: string;
  /** The vrrp_instance whose state decides master or backup; none: both run (keepalived's checker starts them). */
  instance?: string;
  syncId?: number;
  maxlen?: number;
  port?: number;
  ttl?: number;
  group?: string;
}

export interface IpvsGlobals {
  lvsFlush: boolean;
  flushOnStop: FlushOnStop;
  syncDaemon?: SyncDaemonConf;
  problems: string[];
}

function globalNodes(cfg: KeepalivedConfig): ConfNode[] {
  return cfg.nodes.filter((n) => n.keyword === 'global_defs');
}

const num = (t: string | undefined) => (t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined);

const SYNC_LIMITS: Record<string, [number, number]> = { id: [0, 255], maxlen: [1, 65535 - 20 - 8], port: [1, 65535], ttl: [1, 255] };

/**
 * lvs_sync_daemon INTERFACE [inst VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR], and
 * the older INTERFACE VRRP_INSTANCE [SYNC_ID] (keepalived's global_parser.c: an unnamed 2nd word is the
 * instance, an unnamed 3rd the sync id). Without an instance both daemons run.
 */
export function parseSyncDaemon(n: ConfNode, where: string, problems: string[]): SyncDaemonConf | undefined {
  const a = n.args.map((x) => x.text);
  if (a.length < 1) {
    problems.push(`${where}: lvs_sync_daemon requires interface - ignored`);
    return undefined;
  }
  const out: SyncDaemonConf = { ifname: a[0]! };
  for (let i = 1; i < a.length; i++) {
    const k = a[i]!;
    const v = a[i + 1];
    if (k === 'inst' || k === 'group' || k in SYNC_LIMITS) {
      i++;
      if (v === undefined) {
        problems.push(`${where}: lvs_sync_daemon ${k} has no value - ignored`);
        continue;
      }
      if (k === 'inst') {
        if (out.instance !== undefined) problems.push(`${where}: lvs_sync_daemon vrrp instance already given as ${out.instance} - ignored`);
        else out.instance = v;
      } else if (k === 'group') out.group = v;
      else {
        const x = num(v);
        const [lo, hi] = SYNC_LIMITS[k]!;
        if (x === undefined || x < lo || x > hi) problems.push(`${where}: lvs_sync_daemon ${k} '${v}' is not a number in ${lo}..${hi} - ignored`);
        else if (k === 'id') out.syncId = x;
        else if (k === 'maxlen') out.maxlen = x;
        else if (k === 'port') out.port = x;
        else out.ttl = x;
      }
      continue;
    }
    if (i === 1 && out.instance === undefined) out.instance = k;
    else if (i === 2 && num(k) !== undefined && num(k)! <= 255) out.syncId = num(k);
    else problems.push(`${where}: lvs_sync_daemon option '${k}' not understood - ignored`);
  }
  return out;
}

export function ipvsGlobals(cfg: KeepalivedConfig): IpvsGlobals {
  const problems: string[] = [];
  let lvsFlush = false;
  let flushOnStop: FlushOnStop = 'none';
  let syncDaemon: SyncDaemonConf | undefined;
  let syncWhere = '';
  for (const g of globalNodes(cfg)) {
    if (child(g, 'lvs_flush')) lvsFlush = true;
    const f = child(g, 'lvs_flush_on_stop') ?? child(g, 'lvs_flush_onstop');
    if (f) {
      const t = f.args[0]?.text;
      if (t === undefined) flushOnStop = 'full';
      else if (t === 'VS') flushOnStop = 'vs';
      else problems.push(`${f.file}:${f.line}: unknown lvs_flush_on_stop type ${t} - ignored`);
    }
    const s = child(g, 'lvs_sync_daemon');
    if (s && !syncDaemon) {
      syncWhere = `${s.file}:${s.line}`;
      syncDaemon = parseSyncDaemon(s, syncWhere, problems);
    }
  }
  if (syncDaemon?.instance !== undefined) {
    const inst = cfg.instances.find((i) => i.name === syncDaemon!.instance);
    if (!inst) {
      problems.push(`${syncWhere}: lvs_sync_daemon: vrrp_instance '${syncDaemon.instance}' is not defined - sync daemon not started`);
      syncDaemon = undefined;
    } else if (syncDaemon.syncId === undefined && inst.vrid !== undefined) syncDaemon.syncId = inst.vrid; // keepalived's default
  }
  return { lvsFlush, flushOnStop, syncDaemon, problems };
}

/** The kernel's sync daemon request for a state (1 master, 2 backup). */
export function syncDaemonRequest(c: SyncDaemonConf, state: 1 | 2): IpvsDaemon {
  const d: IpvsDaemon = { state, mcastIfn: c.ifname, syncId: c.syncId ?? 0 };
  if (c.maxlen !== undefined) d.syncMaxlen = c.maxlen;
  if (c.port !== undefined) d.mcastPort = c.port;
  if (c.ttl !== undefined) d.mcastTtl = c.ttl;
  if (c.group) {
    if (c.group.includes(':')) d.mcastGroup6 = c.group;
    else d.mcastGroup = c.group;
  }
  return d;
}

export interface VsScripts {
  quorumUp?: NotifyScript;
  quorumDown?: NotifyScript;
}

/** keepalived's notify_script_init for a check notify: the command, then an optional user [group]. */
function notifyScript(n: ConfNode | undefined, problems: string[]): NotifyScript | undefined {
  if (!n || !n.args.length) return undefined;
  const r = scriptFromLine(n.text.text);
  if (!r.ok) {
    problems.push(`${n.file}:${n.line}: ${n.keyword}: ${r.error} - ignoring`);
    return undefined;
  }
  const s: NotifyScript = { kind: n.keyword, argv: r.value.argv };
  if (r.value.rest.length > 0) s.user = r.value.rest.slice(0, 2);
  return s;
}

/** quorum_up / quorum_down per virtual server id (problems, if given, gets lines that do not parse). */
export function vsScripts(cfg: KeepalivedConfig, problems: string[] = []): Map<string, VsScripts> {
  const out = new Map<string, VsScripts>();
  for (const vs of cfg.virtualServers) {
    const up = notifyScript(child(vs.node, 'quorum_up'), problems);
    const down = notifyScript(child(vs.node, 'quorum_down'), problems);
    if (up || down) out.set(vsId(vs), { ...(up ? { quorumUp: up } : {}), ...(down ? { quorumDown: down } : {}) });
  }
  return out;
}

/** Virtual server id -> the checkers' name for it (keys.ts vsKeyOf), to suspend its checkers. */
export function checkerVsKeys(cfg: KeepalivedConfig): Map<string, string> {
  return new Map(cfg.virtualServers.map((vs) => [vsId(vs), vsKeyOf(vs)]));
}

/**
 * For ha_suspend: the vrrp_instance whose virtual_ipaddress holds each virtual server's address
 * (keepalived suspends the checkers while that address is not on this node).
 */
export function vipOwners(cfg: KeepalivedConfig): Map<string, string> {
  const byAddr = new Map<string, string>();
  for (const inst of cfg.instances) for (const v of inst.vips) if (!byAddr.has(v.addr)) byAddr.set(v.addr, inst.name);
  const out = new Map<string, string>();
  for (const vs of cfg.virtualServers) {
    if (vs.kind === 'ip' && vs.addr && byAddr.has(vs.addr)) out.set(vsId(vs), byAddr.get(vs.addr)!);
  }
  return out;
}

/**
 * The checkers name a real server by keepalived's FMT_VS wording (src/check/keys.ts), the IPVS
 * side by spec.ts's realServerKey: IPVS key -> checker key, for every real server of the config.
 */
export function checkerKeys(cfg: KeepalivedConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const vs of cfg.virtualServers) {
    const vk = vsKeyOf(vs);
    for (const rs of vs.realServers) out.set(realServerKey(vs, rs), checkerKey(vk, rs.addr, rsPortOf(vs, rs)));
  }
  return out;
}
