// The plan for virtual_routes, virtual_rules and use_vmac of each instance, and for static_ipaddress,
// static_routes and static_rules, from the config model. Lines are read by route-words.ts and
// rule-words.ts (re-exported here). Pure: a line that cannot be used is an issue.
import type { AddressSpec, Family } from '../net/types.js';
import { parseRoute, type PlannedRoute, type PlannedRule } from './route-words.js';
import { parseRule, type RuleCounter } from './rule-words.js';

export { parseRoute, type PlannedRoute, type PlannedRule } from './route-words.js';
export { newRuleCounter, parseRule, type RuleCounter } from './rule-words.js';

/** The words of a list item (route or rule line). */
export function itemWords(n: { keyword: string; args: { text: string }[] }): string[] {
  return [n.keyword, ...n.args.map((a) => a.text)];
}

export interface PlanIssueLike {
  where: string;
  message: string;
}

type ItemNode = { keyword: string; args: { text: string }[]; file?: string; line?: number };

/** keepalived names the config line of each route/rule problem: "(file: Line N)". */
function lineWhere(n: ItemNode, where: string): string {
  return n.file && n.line ? `${n.file}: Line ${n.line}` : where;
}

/** Routes of a block; an unusable line is skipped with keepalived's message for it (alloc_route
 * reports it and leaves the entry out; the daemon runs the rest). */
export function planRoutes(items: { node: ItemNode }[], where: string, issues: PlanIssueLike[]): PlannedRoute[] {
  const out: PlannedRoute[] = [];
  for (const it of items) {
    const r = parseRoute(itemWords(it.node));
    const at = lineWhere(it.node, where);
    for (const w of r.warnings) issues.push({ where: at, message: w });
    if (r.ok) out.push(r.value);
    else issues.push({ where: at, message: r.error });
  }
  return out;
}

export function planRules(items: { node: ItemNode }[], where: string, counter: RuleCounter, issues: PlanIssueLike[]): PlannedRule[] {
  const out: PlannedRule[] = [];
  for (const it of items) {
    const r = parseRule(itemWords(it.node), counter);
    const at = lineWhere(it.node, where);
    for (const w of r.warnings) issues.push({ where: at, message: w });
    if (r.ok) out.push(r.value);
    else issues.push({ where: at, message: r.error });
  }
  return out;
}

/** Where route/rule entries live: keepalived skips a bad one and runs (alloc_route/alloc_rule,
 * static_ipaddress), so a config error on one of these lines does not stop the daemon. */
const SKIPPABLE_BLOCKS = new Set(['virtual_routes', 'virtual_rules', 'static_routes', 'static_rules', 'static_ipaddress']);

/** "file:line" of every entry line inside those blocks (at any depth: instances hold theirs). */
export function skippableEntryLines(roots: readonly ItemTree[]): Set<string> {
  const out = new Set<string>();
  const walk = (n: ItemTree, inside: boolean, depth: number): void => {
    if (depth > 64) return; // configs nest a few levels; bound the walk anyway
    if (inside && n.file && n.line) out.add(`${n.file}:${n.line}`);
    for (const c of n.children ?? []) walk(c, inside || SKIPPABLE_BLOCKS.has(n.keyword), depth + 1);
  };
  for (const r of roots) walk(r, false, 0);
  return out;
}

type ItemTree = { keyword: string; file?: string; line?: number; children?: ItemTree[] };

/** The config errors that stop the daemon: all but those keepalived 2.2.7 logs and runs past (see
 * daemonDiagnostics). `keepalivedctl validate` still counts every one of them. */
export function fatalErrors<D extends Diag>(diagnostics: readonly D[], roots: readonly ItemTree[]): D[] {
  return daemonDiagnostics(diagnostics, roots).fatal;
}

type Diag = { severity: string; code: string; file: string; line: number; message: string };

/**
 * The daemon's view of config diagnostics. keepalived runs past two kinds of error: a bad
 * route/rule/static entry (alloc_route/alloc_rule/parse_ipaddress report it and leave the entry
 * out; the VRRP child logs those in keepalived's words, so `log` is null) and an unknown keyword
 * (lib/parser.c logs "Unknown keyword 'X'" and ignores the line). Everything else is fatal.
 */
export function daemonDiagnostics<D extends Diag>(diagnostics: readonly D[], roots: readonly ItemTree[]): { fatal: D[]; skipped: { d: D; log: string | null }[] } {
  const fatal: D[] = [];
  const skipped: { d: D; log: string | null }[] = [];
  let entries: Set<string> | undefined;
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    if (d.code === 'unknown-keyword') {
      const kw = /unknown keyword '([^']*)'/.exec(d.message)?.[1];
      skipped.push({ d, log: kw !== undefined ? `Unknown keyword '${kw}'` : d.message });
      continue;
    }
    entries ??= skippableEntryLines(roots);
    if (entries.has(`${d.file}:${d.line}`)) skipped.push({ d, log: null });
    else fatal.push(d);
  }
  return { fatal, skipped };
}

/** The weight-0 track through which a tracked virtual route or rule that disappears moves its
 * instance out of MASTER (keepalived's set_vrrp_backup on a route/rule deletion). */
export const ROUTE_TRACK_PREFIX = 'routes:';

export interface VmacPlan {
  /** The macvlan's name (use_vmac NAME, else vmac_prefix.VRID). */
  ifname: string;
  mac: string;
  /** vmac_xmit_base: adverts leave from the base interface instead of the vmac. */
  xmitBase: boolean;
}

/** What an instance plan carries for this part (each field only when configured). */
export interface InstanceRoutesPlan {
  routes?: PlannedRoute[];
  rules?: PlannedRule[];
  vmac?: VmacPlan;
}

type Node = { keyword: string; args: { text: string }[] };

/**
 * virtual_routes, virtual_rules and use_vmac of one instance. `vipIfname` is where VIPs without a dev
 * go (the vmac when there is one, as keepalived); `tracks` the state machine tracks to add.
 */
export function instanceRoutes(
  vi: { name: string; vrid?: number; virtualRoutes: { node: Node }[]; virtualRules: { node: Node }[]; unicastPeers: unknown[] },
  opts: { ifname: string; family: Family; useVmac?: Node; xmitBase: boolean; vmacPrefix?: string },
  counter: RuleCounter,
  issues: PlanIssueLike[],
): { fields: InstanceRoutesPlan; vipIfname: string; tracks: { name: string; kind: 'script'; weight: number }[] } {
  const fields: InstanceRoutesPlan = {};
  const routes = planRoutes(vi.virtualRoutes, `${vi.name}.virtual_routes`, issues);
  const rules = planRules(vi.virtualRules, `${vi.name}.virtual_rules`, counter, issues);
  if (routes.length) fields.routes = routes;
  if (rules.length) fields.rules = rules;
  let vipIfname = opts.ifname;
  if (opts.useVmac && vi.vrid !== undefined) {
    const named = opts.useVmac.args[0]?.text;
    const ifname = named ?? vmacNameFor(vi.vrid, opts.vmacPrefix);
    let xmitBase = opts.xmitBase;
    if (vi.unicastPeers.length > 0 && !xmitBase) {
      issues.push({ where: `${vi.name}.use_vmac`, message: 'unicast with use_vmac requires vmac_xmit_base - setting' });
      xmitBase = true;
    }
    if (ifname.length > 15 || /[\s/:]/.test(ifname)) {
      issues.push({ where: `${vi.name}.use_vmac`, message: `invalid vmac name '${ifname}'; use_vmac ignored` });
    } else {
      fields.vmac = { ifname, mac: vmacMac(vi.vrid, opts.family), xmitBase };
      vipIfname = ifname;
    }
  }
  const tracked = routes.some((r) => r.track) || rules.some((r) => r.track);
  return { fields, vipIfname, tracks: tracked ? [{ name: ROUTE_TRACK_PREFIX + vi.name, kind: 'script', weight: 0 }] : [] };
}

function vmacNameFor(vrid: number, prefix = 'vrrp'): string {
  const suffix = `.${vrid}`;
  return `${prefix.slice(0, 15 - suffix.length)}${suffix}`;
}

function vmacMac(vrid: number, family: Family): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${(vrid & 255).toString(16).padStart(2, '0')}`;
}

export interface StaticPlan {
  addresses: AddressSpec[];
  routes: PlannedRoute[];
  rules: PlannedRule[];
}

/** static_ipaddress, static_routes, static_rules (undefined when none is configured). */
export function staticPlan(
  model: { staticAddresses: { addr: string; prefix?: number; family: Family; dev?: string; scope?: string; label?: string; brd?: string }[]; staticRoutes: { node: Node }[]; staticRules: { node: Node }[] },
  defaultIfname: string,
  counter: RuleCounter,
  issues: PlanIssueLike[],
): StaticPlan | undefined {
  if (model.staticAddresses.length + model.staticRoutes.length + model.staticRules.length === 0) return undefined;
  const addresses = model.staticAddresses.map((a) => {
    const s: AddressSpec = { ifname: a.dev ?? defaultIfname, family: a.family, addr: a.addr, prefix: a.prefix ?? (a.family === 4 ? 32 : 128) };
    if (a.scope) s.scope = a.scope;
    if (a.family === 4 && a.label) s.label = a.label;
    if (a.family === 4 && a.brd) s.brd = a.brd;
    return s;
  });
  return {
    addresses,
    routes: planRoutes(model.staticRoutes, 'static_routes', issues),
    rules: planRules(model.staticRules, 'static_rules', counter, issues),
  };
}
