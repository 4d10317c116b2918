// `keepalivedctl status` as text: a boxed table on a terminal, plain aligned columns otherwise.
// Pure: the clock and the colours are passed in, so the output is testable byte for byte.
import type TableType from 'cli-table3';
import { createRequire } from 'node:module';
import { formatDuration } from './duration.js';
import type { InstanceStatus, Override, StatusResult, TrackState, Transition, VirtualServerStatus, VrrpStateName } from './protocol.js';

/** Colour functions; identity everywhere means no colours. */
export interface Paint {
  state(state: VrrpStateName, text: string): string;
  head(text: string): string;
  dim(text: string): string;
  warn(text: string): string;
}

export const NO_PAINT: Paint = { state: (_s, t) => t, head: (t) => t, dim: (t) => t, warn: (t) => t };

export interface RenderOptions {
  /** true: cli-table3 table with colours; false: plain aligned text. */
  tty: boolean;
  now: Date;
  paint?: Paint;
}

// Loaded on first use: only a terminal gets a table, and every keepalivedctl start pays for imports.
const requireCjs = createRequire(import.meta.url);
let TableClass: typeof TableType | undefined;

const HEAD = ['INSTANCE', 'STATE', 'VRID', 'INTERFACE', 'PRIORITY', 'MASTER', 'VIPS', 'TRACKS', 'LAST TRANSITION'];

export function renderStatus(s: StatusResult, o: RenderOptions): string {
  const paint = o.tty ? (o.paint ?? NO_PAINT) : NO_PAINT;
  const out: string[] = [daemonLine(s, o.now)];
  if (s.instances.length === 0) {
    out.push('no vrrp_instance configured');
    out.push(...bfdLines(s, paint));
    out.push(...renderVirtualServers(s, o.tty, paint));
    return out.join('\n') + '\n';
  }
  // On a terminal, lists go one per line inside the cell; in plain text, one row per instance.
  const sep = o.tty ? '\n' : ',';
  const rows = s.instances.map((i) => [
    i.name,
    paint.state(i.state, i.state),
    String(i.vrid),
    i.interface,
    priorityCell(i, o.now, paint),
    i.masterAddr ?? '-',
    i.vips.length ? i.vips.join(sep) : '-',
    i.tracks.length ? i.tracks.map((t) => trackText(t, paint)).join(sep) : '-',
    i.lastTransition ? transitionText(i.lastTransition, o.now) : '-',
  ]);
  if (o.tty) {
    TableClass ??= requireCjs('cli-table3') as typeof TableType;
    const table = new TableClass({ head: HEAD.map((h) => paint.head(h)), style: { head: [], border: [] } });
    table.push(...rows);
    out.push(table.toString());
  } else out.push(...aligned([HEAD, ...rows]));
  for (const g of s.syncGroups) out.push(`sync group ${g.name}: ${paint.state(g.state, g.state)} (${g.members.join(', ')})`);
  out.push(...bfdLines(s, paint));
  out.push(...renderVirtualServers(s, o.tty, paint));
  return out.join('\n') + '\n';
}

const VS_HEAD = ['VIRTUAL SERVER', 'REAL SERVER', 'STATE', 'WEIGHT', 'IPVS', 'CHECKERS'];

/** The second table: one row per real server (and sorry server), the virtual server named on its first row. */
export function renderVirtualServers(s: StatusResult, tty: boolean, paint: Paint = NO_PAINT): string[] {
  const vss: VirtualServerStatus[] = s.virtualServers ?? [];
  if (!vss.length) return [];
  const up = (x: boolean) => paint.state(x ? 'MASTER' : 'FAULT', x ? 'UP' : 'DOWN');
  const rows: string[][] = [];
  for (const v of vss) {
    const name = `${v.name}${v.quorumUp ? '' : ' (quorum lost)'}${v.suspended ? ' (suspended)' : ''}`;
    const first = rows.length;
    for (const r of v.realServers) {
      const checks = r.checkers.map((c) => `${c.type} ${c.up ? 'up' : `down: ${c.detail}`}`).join(tty ? '\n' : '; ');
      rows.push([rows.length === first ? name : '', r.address, up(r.up), String(r.weight), r.tableWeight === null ? '-' : String(r.tableWeight), checks || '-']);
    }
    if (v.sorryServer) rows.push([rows.length === first ? name : '', `${v.sorryServer.address} (sorry)`, v.sorryServer.active ? 'ACTIVE' : 'standby', '1', v.sorryServer.active ? '1' : '-', '-']);
  }
  const out: string[] = [];
  if (s.ipvs && !s.ipvs.available) out.push(paint.warn(`IPVS: not kept (${s.ipvs.detail ?? 'unavailable'}); the checkers still run`));
  if (tty) {
    TableClass ??= requireCjs('cli-table3') as typeof TableType;
    const table = new TableClass({ head: VS_HEAD.map((h) => paint.head(h)), style: { head: [], border: [] } });
    table.push(...rows);
    out.push(table.toString());
  } else out.push(...aligned([VS_HEAD, ...rows]));
  return out;
}

/** One line per BFD session: "bfd b1 192.0.2.1 -> 192.0.2.2: Up (tx 200 ms, detect 1000 ms)". */
export function bfdLines(s: StatusResult, paint: Paint = NO_PAINT): string[] {
  return (s.bfd ?? []).map((b) => {
    const ms = (us: number) => `${Math.round(us / 100) / 10} ms`;
    const state = b.state === 'Up' ? paint.state('MASTER', 'Up') : paint.warn(b.state === 'Down' && b.localDiag !== 'No Diagnostic' ? `Down (${b.localDiag})` : b.state);
    return `bfd ${b.name} ${b.source ? `${b.source} ` : ''}-> ${b.neighbor}: ${state} (tx ${ms(b.txIntervalUs)}, detect ${ms(b.detectionTimeUs)})`;
  });
}

export function daemonLine(s: StatusResult, now: Date): string {
  const d = s.daemon;
  const started = Date.parse(d.startedAt);
  const up = Number.isFinite(started) ? `, up ${formatDuration(now.getTime() - started)}` : '';
  const id = d.configId ? ` (config id ${d.configId})` : '';
  return `keepalived ${d.version}, pid ${d.pid}${up}, config ${d.configFile}${id}`;
}

/** "254/100 promote 45m left": effective/configured, then the operator's override if any. */
export function priorityCell(i: InstanceStatus, now: Date, paint: Paint = NO_PAINT): string {
  const base = `${i.priority.effective}/${i.priority.configured}`;
  if (!i.override) return i.priority.override === null ? base : `${base} ${paint.warn('override')}`;
  return `${base} ${paint.warn(overrideText(i.override, now))}`;
}

/** "promote", "demote 45m left", "demote --fault"; "none" for null. */
export function overrideText(o: Override | null | undefined, now: Date): string {
  if (!o) return 'none';
  const what = o.kind === 'demote-fault' ? 'demote --fault' : o.kind;
  if (!o.expiresAt) return what;
  const left = Date.parse(o.expiresAt) - now.getTime();
  if (!Number.isFinite(left)) return what;
  return left > 0 ? `${what} ${formatDuration(left)} left` : `${what} expiring`;
}

export function trackText(t: TrackState, paint: Paint = NO_PAINT): string {
  const status = t.status === true ? 'up' : t.status === false ? 'down' : String(t.status);
  const text = t.weight !== 0 ? `${t.name}:${status}(${t.weight > 0 ? '+' : ''}${t.weight})` : `${t.name}:${status}`;
  return t.status === false ? paint.warn(text) : text;
}

export function transitionText(t: Transition, now: Date): string {
  const at = Date.parse(t.at);
  const age = Number.isFinite(at) ? ` ${formatDuration(now.getTime() - at)} ago` : '';
  return `${t.from}->${t.to}${age}: ${t.reason}`;
}

/** Columns padded to the widest cell, two blanks apart, no trailing blanks. */
export function aligned(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, k) => (widths[k] = Math.max(widths[k] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k])))
      .join('  ')
      .trimEnd(),
  );
}
