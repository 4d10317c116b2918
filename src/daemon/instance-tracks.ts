// The tracked objects of a config (vrrp_script, track_file, vrrp_track_process, track_bfd) and
// which instance tracks which, with keepalived's rules for references (per-reference weight,
// reverse/noreverse), sync groups (a group's tracks apply to every member; members of a group
// without sync_group_tracking_weight lose their own weighted tracks) and address owners (no
// weights). Read from the syntax tree; pure: no I/O.
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig, VrrpInstance } from '../config/model.js';
import { parseDecimal, parseIntStrict } from '../config/values.js';
import type { TrackSpec } from '../vrrp/tracking.js';
import { scriptFromLine } from './script-exec.js';
import { vrrpBfds } from '../bfd/config.js';

export interface PlanIssueLike {
  where: string;
  message: string;
}

export type TrackerKind = 'script' | 'file' | 'process' | 'bfd';

/** The state machine's name of a tracked object (kinds kept apart from each other and from interfaces). */
export const trackKey = (kind: TrackerKind, name: string): string => `${kind}:${name}`;

export interface ScriptDef {
  name: string;
  /** The command, split as keepalived splits it; null when the line could not be read. */
  argv: string[] | null;
  intervalMs: number;
  /** keepalived: no timeout means the interval. */
  timeoutMs: number;
  weight: number;
  reverse: boolean;
  rise: number;
  fall: number;
  /** `user USER [GROUP]`; absent: the default script user. */
  user?: string[];
  initFail: boolean;
}

export interface FileDef {
  name: string;
  path: string;
  weight: number;
  reverse: boolean;
  /** init_file [VALUE] [overwrite]: create (or with overwrite, rewrite) the file at start. */
  init?: { value: number; overwrite: boolean };
}

export type ParamMatch = 'none' | 'exact' | 'initial' | 'partial';

export interface ProcessDef {
  name: string;
  process: string;
  /** Parameters after the process name (keepalived matches them NUL-joined). */
  params: string[];
  paramMatch: ParamMatch;
  /** Match the command line's first word instead of the 15-character comm. */
  fullCommand: boolean;
  quorum: number;
  quorumMax: number;
  forkDelayMs: number;
  terminateDelayMs: number;
  weight: number;
  reverse: boolean;
}

export interface BfdDef {
  name: string;
  /** bfd_instance's `weight N [reverse]`: the default of track_bfd references. */
  weight: number;
  reverse: boolean;
}

export interface TrackerPlan {
  scripts: ScriptDef[];
  files: FileDef[];
  processes: ProcessDef[];
  bfds: BfdDef[];
  /** global_defs script_user USER [GROUP]. */
  scriptUser?: string[];
  scriptSecurity: boolean;
}

/** One instance's reference to a tracked object. */
export interface TrackRef {
  kind: TrackerKind;
  name: string;
  weight: number;
  reverse: boolean;
}

const words = (n: ConfNode | undefined): string[] => (n ? n.args.map((a) => a.text) : []);
const num = (t: string | undefined): number | undefined => (t === undefined ? undefined : parseIntStrict(t) ?? parseDecimal(t));
const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

function scriptDef(n: ConfNode, issues: PlanIssueLike[]): ScriptDef {
  const name = n.args[0]?.text ?? '';
  const where = `vrrp_script ${name}`;
  let argv: string[] | null = null;
  const s = child(n, 'script');
  if (!s) issues.push({ where, message: 'no script specified; script ignored' });
  else {
    const r = scriptFromLine(s.text.text);
    if (r.ok) argv = r.value.argv;
    else issues.push({ where: `${where}.script`, message: r.error });
  }
  const interval = num(words(child(n, 'interval'))[0]);
  const timeout = num(words(child(n, 'timeout'))[0]);
  const w = words(child(n, 'weight'));
  const rise = num(words(child(n, 'rise'))[0]);
  const fall = num(words(child(n, 'fall'))[0]);
  const intervalS = interval === undefined ? 1 : Math.max(1, interval);
  const user = words(child(n, 'user'));
  const def: ScriptDef = {
    name,
    argv,
    intervalMs: Math.round(intervalS * 1000),
    timeoutMs: Math.round((timeout !== undefined && timeout > 0 ? timeout : intervalS) * 1000),
    weight: clamp(num(w[0]) ?? 0, -253, 253),
    reverse: w[1] === 'reverse',
    rise: rise !== undefined && rise >= 1 ? Math.floor(rise) : 1,
    fall: fall !== undefined && fall >= 1 ? Math.floor(fall) : 1,
    initFail: !!child(n, 'init_fail'),
  };
  if (user.length > 0) def.user = user.slice(0, 2);
  return def;
}

function fileDef(n: ConfNode, issues: PlanIssueLike[]): FileDef | null {
  const name = n.args[0]?.text ?? '';
  const path = words(child(n, 'file'))[0];
  if (!path) {
    issues.push({ where: `track_file ${name}`, message: `No file set for track_file ${name} - ignoring` });
    return null;
  }
  const w = words(child(n, 'weight'));
  const def: FileDef = { name, path, weight: clamp(num(w[0]) ?? 1, -254, 254), reverse: w[1] === 'reverse' };
  const init = child(n, 'init_file');
  if (init) {
    let value = 0;
    let overwrite = false;
    for (const x of words(init)) {
      if (x === 'overwrite') overwrite = true;
      else value = parseIntStrict(x) ?? 0;
    }
    def.init = { value, overwrite };
  }
  return def;
}

function processDef(n: ConfNode, issues: PlanIssueLike[]): ProcessDef | null {
  const name = n.args[0]?.text ?? '';
  const p = words(child(n, 'process'));
  if (p.length === 0) {
    issues.push({ where: `vrrp_track_process ${name}`, message: `track process '${name}' process name not specified` });
    return null;
  }
  let paramMatch: ParamMatch = 'none';
  let fullCommand = !!child(n, 'full_command');
  const pm = child(n, 'param_match');
  if (pm) {
    const t = words(pm)[0];
    paramMatch = t === 'initial' ? 'initial' : t === 'partial' ? 'partial' : 'exact';
    fullCommand = true;
  }
  if (p.length > 1) {
    if (paramMatch === 'none') paramMatch = 'exact';
    fullCommand = true;
  }
  const w = words(child(n, 'weight'));
  const delay = (kw: string) => {
    const v = num(words(child(n, kw))[0]);
    return v === undefined ? undefined : Math.round(clamp(v, 0.000001, 3600) * 1000);
  };
  const both = delay('delay');
  const qMaxRaw = num(words(child(n, 'quorum_max'))[0]);
  let quorum = num(words(child(n, 'quorum'))[0]) ?? 1;
  let quorumMax = qMaxRaw ?? Number.MAX_SAFE_INTEGER;
  if (qMaxRaw === 0) quorum = 0;
  if (quorum > quorumMax) quorumMax = quorum;
  return {
    name,
    process: p[0],
    params: p.slice(1),
    paramMatch,
    fullCommand,
    quorum,
    quorumMax,
    forkDelayMs: delay('fork_delay') ?? both ?? 0,
    terminateDelayMs: delay('terminate_delay') ?? both ?? 0,
    weight: clamp(num(w[0]) ?? 0, -254, 254),
    reverse: w[1] === 'reverse',
  };
}

const topLevel = (model: KeepalivedConfig, ...kws: string[]) =>
  model.nodes.filter((n) => kws.includes(n.keyword) && n.children !== undefined);

/** Every tracked object the config defines. */
export function buildTrackerPlan(model: KeepalivedConfig, issues: PlanIssueLike[]): TrackerPlan {
  const g = model.globals?.node;
  const su = words(child(g, 'script_user'));
  const plan: TrackerPlan = {
    scripts: topLevel(model, 'vrrp_script').map((n) => scriptDef(n, issues)),
    files: topLevel(model, 'track_file', 'vrrp_track_file').map((n) => fileDef(n, issues)).filter((x): x is FileDef => x !== null),
    processes: topLevel(model, 'vrrp_track_process').map((n) => processDef(n, issues)).filter((x): x is ProcessDef => x !== null),
    bfds: vrrpBfds(model),
    scriptSecurity: model.globals?.enableScriptSecurity ?? false,
  };
  if (su.length > 0) plan.scriptUser = su.slice(0, 2);
  return plan;
}

const LIST_KW: Record<TrackerKind, string> = { script: 'track_script', file: 'track_file', process: 'track_process', bfd: 'track_bfd' };

/** The references of one track_* list block: NAME [weight N [reverse|noreverse]]. */
function refsOf(block: ConfNode | undefined, kind: TrackerKind, plan: TrackerPlan, owner: string, issues: PlanIssueLike[]): TrackRef[] {
  const out: TrackRef[] = [];
  for (const item of block?.children ?? []) {
    const name = item.keyword;
    const w = words(item);
    const where = `${owner}.${LIST_KW[kind]}`;
    let base: { weight: number; reverse: boolean } | undefined;
    if (kind === 'script') base = plan.scripts.find((s) => s.name === name);
    else if (kind === 'file') base = plan.files.find((s) => s.name === name);
    else if (kind === 'process') base = plan.processes.find((s) => s.name === name);
    else base = plan.bfds.find((b) => b.name === name);
    if (!base) {
      issues.push({ where, message: `track ${kind} ${name} not found, ignoring...` });
      continue;
    }
    if (out.some((r) => r.name === name)) {
      issues.push({ where, message: `duplicate ${LIST_KW[kind]} ${name} - ignoring` });
      continue;
    }
    let weight = base.weight;
    let reverse = base.reverse;
    if (w[0] === 'weight') {
      const v = num(w[1]);
      if (v !== undefined) weight = kind === 'script' || kind === 'bfd' ? clamp(v, -253, 253) : clamp(v, -254, 254);
      if (w[2] === 'reverse') reverse = true;
      else if (w[2] === 'noreverse') reverse = false;
    }
    out.push({ kind, name, weight, reverse });
  }
  return out;
}

/**
 * What one instance tracks besides interfaces: its own references, then its sync group's. A
 * member of a sync group without sync_group_tracking_weight, and an address owner, cannot use
 * weights (keepalived drops the weighted tracks; a track_file left at its default weight 1 is made
 * unweighted instead).
 */
export function instanceTrackRefs(vi: VrrpInstance, model: KeepalivedConfig, plan: TrackerPlan, issues: PlanIssueLike[]): TrackRef[] {
  const own = ownTrackRefs(vi, model, plan, issues);
  const sg = vi.syncGroup ? model.syncGroups.find((s) => s.name === vi.syncGroup) : undefined;
  if (!sg) return own;
  for (const ref of groupTrackRefs(sg, model, plan, issues)) {
    const i = own.findIndex((o) => o.kind === ref.kind && o.name === ref.name);
    // On both: the group's weight wins unless the instance's is unweighted (keepalived).
    if (i >= 0) {
      if (own[i].weight !== 0) own[i] = ref;
    } else own.push(ref);
  }
  return own;
}

/** The instance's own track_* references after keepalived's sync group / address owner rules
 * (vrrp_complete_instance). Weighted track_process references stay: keepalived 2.2.7 drops
 * weighted scripts, files and BFDs there, not processes. */
export function ownTrackRefs(vi: VrrpInstance, model: KeepalivedConfig, plan: TrackerPlan, issues: PlanIssueLike[]): TrackRef[] {
  const sg = vi.syncGroup ? model.syncGroups.find((s) => s.name === vi.syncGroup) : undefined;
  const owner = vi.priority === 255;
  const noWeights = owner || (sg !== undefined && !child(sg.node, 'sync_group_tracking_weight'));
  const own: TrackRef[] = [];
  for (const kind of ['script', 'file', 'process', 'bfd'] as const) {
    // keepalived takes a track_file weight of 1 for the default and makes it 0 instead of dropping it.
    const defaultW = (r: TrackRef) => kind === 'file' && r.weight === 1;
    for (const r of refsOf(child(vi.node, LIST_KW[kind]), kind, plan, vi.name, issues)) {
      if (noWeights && r.weight !== 0 && kind !== 'process') {
        // keepalived's wording, so the messages can be compared with keepalived -t's.
        const why = owner ? 'address_owner' : 'SYNC group';
        if (defaultW(r)) {
          issues.push({ where: `${vi.name}.track_file`, message: `ignoring weight from tracked file ${r.name} due to ${why}. specify weight 0` });
          own.push({ ...r, weight: 0 });
        } else {
          const w = kind === 'script' ? 'weights' : `weight ${r.weight}`;
          issues.push({ where: `${vi.name}.${LIST_KW[kind]}`, message: `ignoring tracked ${kind} ${r.name} with ${w} due to ${why}` });
        }
        continue;
      }
      own.push(r);
    }
  }
  return own;
}

/** A sync group's track_* references (weights cleared when a member is an address owner). */
export function groupTrackRefs(sg: KeepalivedConfig['syncGroups'][number], model: KeepalivedConfig, plan: TrackerPlan, issues: PlanIssueLike[]): TrackRef[] {
  const members = model.instances.filter((m) => m.syncGroup === sg.name);
  const groupOwner = members.some((m) => m.priority === 255);
  const out: TrackRef[] = [];
  for (const kind of ['script', 'file', 'process', 'bfd'] as const) {
    for (const r of refsOf(child(sg.node, LIST_KW[kind]), kind, plan, sg.name, issues)) out.push(groupOwner && r.weight !== 0 ? { ...r, weight: 0 } : r);
  }
  return out;
}

/** The state machine's track specs for an instance's references. */
export function refSpecs(refs: readonly TrackRef[]): TrackSpec[] {
  return refs.map((r) => ({ name: trackKey(r.kind, r.name), kind: r.kind, weight: r.weight, reverse: r.reverse }));
}
