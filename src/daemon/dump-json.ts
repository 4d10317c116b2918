// keepalived's JSON dump (SIGRTMIN+2, /tmp/keepalived.json): an array of {data, stats} objects with
// keepalived 2.2.7's field names, order and number formats (json_writer's %g floats, %f for
// last_transition, '/' escaped as '\/'). Pure.
import type { VrrpStateName } from '../control/protocol.js';
import type { DumpInstance } from './dump-types.js';

/** keepalived's VRRP_STATE_* numbers. */
export const STATE_NUMBER: Record<VrrpStateName, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };
const AUTH_NUMBER = { none: 0, pass: 1, ah: 2 } as const;

/** C's printf("%g"): 6 significant digits, trailing zeros dropped, exponent form outside 1e-4..1e6. */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const p = Number(x.toPrecision(6));
  const exp = Math.floor(Math.log10(Math.abs(p)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = p.toExponential(5).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = p.toFixed(Math.max(0, 5 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** json_writer's string escaping ('/' as '\/'); a backslash is escaped correctly (keepalived
 * writes "\n" for it, which no parser reads back as a backslash). */
export function jsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '\t': out += '\\t'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\f': out += '\\f'; break;
      case '\b': out += '\\b'; break;
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      case '/': out += '\\/'; break;
      default: {
        const c = ch.codePointAt(0) ?? 0;
        out += c < 0x20 ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
      }
    }
  }
  return `${out}"`;
}

type Field = [string, string];
const str = (k: string, v: string): Field => [k, jsonString(v)];
const uint = (k: string, v: number): Field => [k, String(Math.max(0, Math.trunc(v)))];
const bool = (k: string, v: boolean): Field => [k, v ? 'true' : 'false'];
const flt = (k: string, v: number): Field => [k, formatG(v)];
const arr = (k: string, v: readonly string[]): Field[] => (v.length > 0 ? [[k, `[${v.map(jsonString).join(',')}]`]] : []);
const obj = (fields: readonly Field[]): string => `{${fields.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}}`;

/** keepalived's JSON names of the notify scripts, by the data dump's labels. */
const SCRIPT_FIELDS: [string, string][] = [
  ['Backup', 'script_backup'], ['Master', 'script_master'], ['Fault', 'script_fault'], ['Stop', 'script_stop'], ['Deleted', 'script_deleted'],
  ['Generic', 'script'], ['Master rx lower pri', 'script_master_rx_lower_pri'],
];

function dataFields(i: DumpInstance, scriptCmds: ReadonlyMap<string, string>): Field[] {
  const x = i.extra;
  const scripts = SCRIPT_FIELDS.flatMap(([label, key]) => {
    const s = x?.notify.find((n) => n.label === label);
    return s ? [str(key, s.cmd)] : [];
  });
  const f: Field[] = [
    str('iname', i.name),
    uint('dont_track_primary', i.dontTrackPrimary ? 1 : 0),
    uint('skip_check_adv_addr', i.skipCheckAdvAddr ? 1 : 0),
    uint('strict_mode', i.strict ? 1 : 0),
    str('vmac_ifname', i.vmac?.ifname ?? ''),
    // keepalived's vrrp->ifp is the vmac when there is one.
    str('ifp_ifname', i.vmac?.ifname ?? i.ifname),
    uint('master_priority', i.masterPriority),
    ['last_transition', (i.lastTransitionUs / 1e6).toFixed(6)],
    flt('garp_delay', i.garpDelayUs / 1e6),
    uint('garp_refresh', i.garpRefreshUs / 1e6),
    uint('garp_rep', i.garpRepeat),
    uint('garp_refresh_rep', i.garpRefreshRepeat),
    uint('garp_lower_prio_delay', i.garpLowerPrioDelayUs / 1e6),
    uint('garp_lower_prio_rep', i.garpLowerPrioRepeat),
    uint('lower_prio_no_advert', i.lowerPrioNoAdvert ? 1 : 0),
    uint('higher_prio_send_advert', i.higherPrioSendAdvert ? 1 : 0),
    uint('vrid', i.vrid),
    uint('base_priority', i.basePriority),
    uint('effective_priority', i.effectivePriority),
    bool('vipset', i.vipSet),
    bool('promote_secondaries', i.promoteSecondaries),
    flt('adver_int', i.advertIntUs / 1e6),
    flt('master_adver_int', i.masterAdverIntUs / 1e6),
    uint('accept', i.accept ? 1 : 0),
    bool('nopreempt', i.nopreempt),
    uint('preempt_delay', i.preemptDelayUs / 1e6),
    uint('state', STATE_NUMBER[i.state]),
    uint('wantstate', STATE_NUMBER[i.wantState]),
    uint('version', i.version),
    bool('smtp_alert', x?.smtpAlert ?? false),
    bool('notify_deleted', x?.notifyDeleted ?? false),
    ...scripts,
    ...arr('vips', i.vips),
    ...arr('evips', i.excludedVips),
    ...arr('vroutes', i.routes ?? []),
    ...arr('vrules', i.rules ?? []),
    ...arr('track_ifp', i.trackedInterfaces.map((t) => t.ifname)),
    ...arr('track_script', (x?.scripts ?? []).flatMap((t) => (scriptCmds.has(t.name) ? [scriptCmds.get(t.name)!] : []))),
    uint('auth_type', AUTH_NUMBER[i.authType]),
  ];
  if (i.authType !== 'none') f.push(str('auth_data', i.authData ?? ''));
  return f;
}

function statsFields(i: DumpInstance): Field[] {
  const s = i.stats;
  return [
    uint('advert_rcvd', s.advert_rcvd), uint('advert_sent', s.advert_sent),
    uint('become_master', s.become_master), uint('release_master', s.release_master),
    uint('packet_len_err', s.packet_len_err), uint('advert_interval_err', s.advert_interval_err),
    uint('ip_ttl_err', s.ip_ttl_err), uint('invalid_type_rcvd', s.invalid_type_rcvd),
    uint('addr_list_err', s.addr_list_err), uint('invalid_authtype', s.invalid_authtype),
    uint('authtype_mismatch', s.authtype_mismatch), uint('auth_failure', s.auth_failure),
    uint('pri_zero_rcvd', s.pri_zero_rcvd), uint('pri_zero_sent', s.pri_zero_sent),
  ];
}

/** The file's text, or null when there is no instance (keepalived then writes no file). scriptCmds:
 * each vrrp_script's command as keepalived shows it (track_script). */
export function formatJson(instances: readonly DumpInstance[], scriptCmds: ReadonlyMap<string, string> = new Map()): string | null {
  if (instances.length === 0) return null;
  const items = instances.map((i) => `{"data":${obj(dataFields(i, scriptCmds))},"stats":${obj(statsFields(i))}}`);
  return `[${items.join(',')}]\n`;
}
