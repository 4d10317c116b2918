// What keepalived 2.2.7 does at run time with each config error the engine reports. keepalived logs
// a config error (report_config_error) and starts anyway with its fallback; only `keepalived -t`
// turns errors into an exit code. The daemon reads this table (and only this table) to decide
// which errors stop it; `keepalivedctl validate` and `-t` keep counting every error.
// Facts from keepalived v2.2.7's source (vrrp_parser.c, vrrp.c, check_data.c, lib/parser.c).
import type { ConfNode } from './ast.js';

/**
 * fallback: keepalived uses a default value (the model/plan builders apply the same one);
 * skip: keepalived leaves the entry or block out; disable: the instance / virtual server is
 * disabled, the rest runs; exit: keepalived does not run the config (the daemon refuses it).
 */
export type Fate = 'fallback' | 'skip' | 'disable' | 'exit';

/** Where an error sits: the keyword of its line and the block it is in (vrrp_instance NAME...). */
export interface ErrorSite {
  keyword?: string;
  /** The keyword of the block the line is in (track_script for a track_script item). */
  block?: string;
  instance?: string;
  /** The vrrp_sync_group around it. */
  syncGroup?: string;
}

export interface FateRule {
  fate: Fate;
  /** keepalived's run-time log line for it (null: logged elsewhere, e.g. by the VRRP child). */
  log: (message: string, site: ErrorSite) => string | null;
}

/** A value error (out of range, not a number...) or a reference: keepalived's handler of the line's
 * keyword (else of its block) decides. */
type ByKeyword = { byKeyword: Readonly<Record<string, FateRule>>; otherwise: FateRule };

/** keepalived's default priority (VRRP_PRIO_DFL) and advert interval, used when the value is invalid. */
export const FALLBACK_PRIORITY = 100;
export const FALLBACK_ADVERT_INT = 1;

const vsName = (m: string): string => /^virtual server (\S+?):? /.exec(m)?.[1] ?? m;
const exitRule: FateRule = { fate: 'exit', log: (m) => m };
const SKIP_LOGGED_BY_CHILD: FateRule = { fate: 'skip', log: () => null };

const VALUE_RULES: ByKeyword = {
  byKeyword: {
    // vrrp_prio_handler: "Priority not valid! ... Using default 100".
    priority: { fate: 'fallback', log: (_m, s) => `(${s.instance ?? '?'}) Priority not valid! must be between 1 & 255. Using default ${FALLBACK_PRIORITY}` },
    // vrrp_adv_handler: "Advert interval (X) not valid! Must be > 0 - ignoring": the default stays.
    advert_int: { fate: 'fallback', log: (m, s) => `(${s.instance ?? '?'}) Advert interval (${/'([^']*)'/.exec(m)?.[1] ?? ''}) not valid! Must be > 0 - ignoring` },
    // vrrp_vrid_handler leaves vrid 0; vrrp_complete_instance then fails ("the virtual router id
    // must be set") and the VRRP process exits with a config error.
    // bfd_parser.c: a bad bfd_instance value is ignored (the default stays); the BFD child logs it.
    bfd_instance: SKIP_LOGGED_BY_CHILD,
    // global_parser.c: a bad process priority, real-time priority (clamped), limit, CPU list or auto
    // priority value is corrected or ignored; each child logs it (process-priority.ts).
    ...Object.fromEntries(
      ['vrrp', 'checker', 'bfd']
        .flatMap((p) => ['priority', 'rt_priority', 'rlimit_rttime', 'rlimit_rtime', 'cpu_affinity'].map((k) => `${p}_${k}`))
        .concat('max_auto_priority', 'min_auto_priority_delay')
        .map((k) => [k, SKIP_LOGGED_BY_CHILD]),
    ),
  },
  otherwise: exitRule,
};

/** Keyed by code (src/config/codes.ts). A code not listed here stops the daemon, as now. */
export const RUNTIME_FATE: Readonly<Record<string, FateRule | ByKeyword>> = {
  // lib/parser.c: "Unknown keyword 'X'", the line is ignored.
  'unknown-keyword': { fate: 'skip', log: (m) => { const kw = /unknown keyword '([^']*)'/.exec(m)?.[1]; return kw !== undefined ? `Unknown keyword '${kw}'` : m; } },
  // check_data.c validate_check_config: the fix-ups applied at start.
  'vs-no-scheduler': { fate: 'fallback', log: (m) => `Virtual server ${vsName(m)}: no scheduler set, setting default 'wlc'` },
  'vs-no-forwarding-method': { fate: 'fallback', log: (m) => `Virtual server ${vsName(m)}: no forwarding method set, setting default NAT` },
  'vs-no-protocol': { fate: 'fallback', log: (m) => `Virtual server ${vsName(m)}: no protocol set - defaulting to UDP` },
  'vs-no-real-servers': { fate: 'skip', log: (m) => `Virtual server ${vsName(m)} has no real servers - ignoring` },
  // check_data.c: "real server X is duplicated - removing second rs"; check_parser.c: "Address family
  // of virtual server and real server X don't match - skipping real server." (spec.ts skips them and
  // the checker child logs its problems).
  'duplicate-real-server': { fate: 'skip', log: () => null },
  'real-server-family': { fate: 'skip', log: () => null },
  // vrrp_track.c / track_file.c: "(VI) track script|process|file|bfd X not found, ignoring..." (the
  // plan leaves it out and the VRRP child logs its plan issues). Other references stay fatal.
  'undefined-reference': {
    byKeyword: {
      track_script: SKIP_LOGGED_BY_CHILD, track_process: SKIP_LOGGED_BY_CHILD, track_file: SKIP_LOGGED_BY_CHILD, track_bfd: SKIP_LOGGED_BY_CHILD,
      // vrrp_sync.c: "Virtual router X specified in sync group G doesn't exist - ignoring".
      group: { fate: 'skip', log: (_m, s) => `Virtual router ${s.keyword ?? '?'} specified in sync group ${s.syncGroup ?? '?'} doesn't exist - ignoring` },
    },
    otherwise: exitRule,
  },
  // bfd_parser.c / bfd_data.c: the instance is disabled, ignored or its max_hops lowered; the BFD
  // child's reader (src/bfd/config.ts) does the same and logs keepalived's line.
  'bfd-no-neighbor': SKIP_LOGGED_BY_CHILD,
  'bfd-family': SKIP_LOGGED_BY_CHILD,
  'bfd-max-hops': SKIP_LOGGED_BY_CHILD,
  'bfd-name-too-long': SKIP_LOGGED_BY_CHILD,
  'bfd-duplicate-neighbor': SKIP_LOGGED_BY_CHILD,
  // A second bfd_instance of one name is ignored ("already configured"); other names stay fatal.
  'duplicate-name': { byKeyword: { bfd_instance: SKIP_LOGGED_BY_CHILD }, otherwise: exitRule },
  // vrrp_sync.c vrrp_sync_set_group: the instance stays in the first group naming it; a later one
  // goes on without it (and is removed if nothing is left).
  'sync-group-member-twice': {
    fate: 'skip', log: (_m, s) => `Virtual router ${s.keyword ?? '?'} cannot exist in more than one sync group; ignoring ${s.syncGroup ?? '?'}`,
  },
  // vrrp_data.c alloc_vrrp_unicast_peer / vrrp_parser.c vrrp_srcip_handler: a peer (or source) of
  // the other family than the instance is skipped (the source falls back to the interface's).
  'unicast-peer-family': {
    fate: 'skip',
    log: (m, s) => {
      const src = /unicast_src_ip (\S+)/.exec(m)?.[1];
      const peer = /unicast_peer (\S+)/.exec(m)?.[1];
      return src !== undefined
        ? `Configuration error: VRRP instance[${s.instance ?? '?'}] and src address[${src}] MUST be of the same family !!! Skipping...`
        : `Configuration error: VRRP instance[${s.instance ?? '?'}] and unicast peer address[${peer ?? '?'}] MUST be of the same family !!! Skipping...`;
    },
  },
  // Verified exits: vrrp_complete_init fails and the VRRP process stops with KEEPALIVED_EXIT_CONFIG
  // (vrrp_complete_instance: no vrid, no VIP under v3/strict; check_vrid_conflicts).
  'missing-vrid': exitRule,
  'no-vip': exitRule,
  'vrid-collision': exitRule,
  'value-out-of-range': VALUE_RULES,
  'invalid-number': VALUE_RULES,
};

/** The rule for one error: by code, then (value errors) by the keyword of its line. */
export function fateRule(code: string, site: ErrorSite): FateRule {
  const r = RUNTIME_FATE[code];
  if (r === undefined) return exitRule;
  if ('fate' in r) return r;
  const pick = (k: string | undefined) => (k !== undefined && Object.hasOwn(r.byKeyword, k) ? r.byKeyword[k] : undefined);
  return pick(site.keyword) ?? pick(site.block) ?? r.otherwise;
}

/** Finds the node on file:line and the vrrp_instance around it (bounded walk). */
export function errorSite(roots: readonly ConfNode[], file: string, line: number): ErrorSite {
  let found: ErrorSite = {};
  type Around = { instance?: string; syncGroup?: string; block?: string };
  const walk = (n: ConfNode, around: Around, depth: number): boolean => {
    if (depth > 64) return false;
    const name = n.args[0]?.text;
    const here: Around = { ...around };
    if (n.keyword === 'vrrp_instance' && name !== undefined) here.instance = name;
    if (n.keyword === 'vrrp_sync_group' && name !== undefined) here.syncGroup = name;
    if (n.file === file && n.line === line) {
      found = { keyword: n.keyword, ...around };
      return true;
    }
    for (const c of n.children ?? []) if (walk(c, { ...here, block: n.keyword }, depth + 1)) return true;
    return false;
  };
  for (const r of roots) if (walk(r, {}, 0)) break;
  return found;
}

type Diag = { severity: string; code: string; file: string; line: number; message: string };

/** Sorts errors into those that stop the daemon and those it runs past, with keepalived's log line. */
export function runtimeFates<D extends Diag>(diagnostics: readonly D[], roots: readonly ConfNode[]): { fatal: D[]; ranPast: { d: D; fate: Fate; log: string | null }[] } {
  const fatal: D[] = [];
  const ranPast: { d: D; fate: Fate; log: string | null }[] = [];
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    const site = errorSite(roots, d.file, d.line);
    const rule = fateRule(d.code, site);
    if (rule.fate === 'exit') fatal.push(d);
    else ranPast.push({ d, fate: rule.fate, log: rule.log(d.message, site) });
  }
  return { fatal, ranPast };
}
