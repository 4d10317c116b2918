// Templates of `keepalivedctl init`: templates/<name>/template.json plus one .tmpl file per node.
// template.json says which questions to ask; each question names the keyword of the ONE table it
// feeds (`feeds`), and ranges, enums, defaults and docs come from there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKeyword, keywordTable } from '../config/keywords/index.js';
import type { ArgSpec, KeywordSpec } from '../config/schema.js';

/** What a question asks for; each kind has its own parsing (params.ts) and context fields (context.ts). */
export const PARAM_TYPES = [
  'interface', // an interface name; offered from the host
  'vip', // ADDR[/LEN], a virtual address
  'address', // an IP address, no prefix
  'int',
  'enum', // one of the table's values for the keyword fed
  'word',
  'password', // auth_pass; random by default
  'email',
  'script', // a command line
  'endpoint', // ADDR:PORT or [V6]:PORT
  'realserver', // ADDR[:PORT][,WEIGHT]
  'server', // HOST[:PORT] (smtp_server)
] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** How a default is computed when the template gives none and the table's is not right. */
export type Suggest = 'free-vrid' | 'random-password';

export interface ParamSpec {
  /** Answer key; the flag is --name with _ as -. */
  name: string;
  question: string;
  type: ParamType;
  /** `BLOCK KEYWORD` (e.g. `vrrp_instance priority`) or a list block id (`vrrp_instance.virtual_ipaddress`). */
  feeds: string;
  /** Several values (repeatable flag, comma-separated when typed). */
  list?: boolean;
  /** Exact number of values of a list when one is given (unicast peers: one per node). */
  count?: number;
  required?: boolean;
  /** A fixed default, or text with {{answers}} computed from earlier answers. */
  default?: string | number | readonly string[];
  suggest?: Suggest;
  /** Asked only when this holds: `name` (answered, non-empty), `name=VALUE`, or `name@4` / `name@6` (an address of that family). */
  when?: string;
  /** Address family the value must have, or `{{name}}` naming a vip param whose family it follows. */
  family?: 4 | 6 | string;
  maxLength?: number;
  /** For a vip: the interface question it lives on (default: the first interface question). */
  on?: string;
  /** For `enum`: the subset of the table's values this template offers. */
  choices?: readonly string[];
}

export interface NodeSpec {
  /** Name of this node (router_id). */
  name: string;
  /** File written into --out. */
  file: string;
  /** Template file in the template directory (nodes may share one). */
  source: string;
  /** Per-node values (text with {{answers}}), e.g. state MASTER on one node and BACKUP on the other. */
  vars?: Record<string, string>;
}

export interface TemplateSpec {
  name: string;
  description: string;
  nodes: NodeSpec[];
  params: ParamSpec[];
  /** Extra lines printed after the next commands (e.g. DNS advice for active-active). */
  notes?: string[];
}

export interface LoadedTemplate extends TemplateSpec {
  dir: string;
  /** Template text by NodeSpec.source. */
  sources: Record<string, string>;
}

/** The templates directory of this package (dist/src/wizard -> ../../../templates; src/wizard -> ../../templates). */
export function templatesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../templates', '../../../templates']) {
    const d = resolve(here, up);
    try {
      if (statSync(join(d, 'active-backup', 'template.json')).isFile()) return d;
    } catch {
      // not this layout
    }
  }
  return resolve(here, '../../templates');
}

/** What a `feeds` reference resolves to in the keyword table. */
export interface Fed {
  /** First argument (or list item) the value must satisfy. */
  arg: ArgSpec;
  keyword?: KeywordSpec;
  doc: string;
}

export function resolveFeeds(feeds: string): Fed | undefined {
  const [blockId, word] = feeds.split(' ');
  const block = keywordTable[blockId];
  if (!block) return undefined;
  if (word === undefined && block.kind === 'keywords') {
    // A keywords block alone: the answer picks one of its keywords (e.g. the checker of a real_server).
    return { arg: { name: `${blockId} keyword`, type: 'enum', values: (block.keywords ?? []).map((k) => k.name) }, doc: block.doc };
  }
  if (word === undefined) {
    const first = block.item?.args[0] ?? block.item?.forms?.[0]?.[0];
    return first ? { arg: first, doc: block.doc } : undefined;
  }
  const kw = findKeyword(blockId, word);
  if (!kw) return undefined;
  const first = kw.args[0] ?? kw.forms?.[0]?.[0];
  return first ? { arg: first, keyword: kw, doc: kw.doc } : undefined;
}

/** Problems in a template definition (a broken template is our bug; tests keep this list empty). */
export function checkTemplate(t: TemplateSpec, sources: Record<string, string>): string[] {
  const out: string[] = [];
  const where = `template ${t.name}`;
  if (!t.nodes?.length) out.push(`${where}: no nodes`);
  const names = new Set<string>();
  for (const p of t.params ?? []) {
    if (names.has(p.name)) out.push(`${where}: question ${p.name} twice`);
    names.add(p.name);
    if (!PARAM_TYPES.includes(p.type)) out.push(`${where}: question ${p.name} has unknown type ${p.type}`);
    if (!resolveFeeds(p.feeds)) out.push(`${where}: question ${p.name} feeds '${p.feeds}', which is not in the keyword table`);
    const fed = resolveFeeds(p.feeds);
    if (p.type === 'enum' && fed) {
      const values = fed.arg.values ?? [];
      for (const c of p.choices ?? []) if (!values.includes(c)) out.push(`${where}: question ${p.name} offers ${c}, which ${p.feeds} does not accept`);
      if (!values.length) out.push(`${where}: question ${p.name} is an enum but ${p.feeds} has no values`);
    }
    if (p.when && !names.has(p.when.split(/[=@]/)[0])) out.push(`${where}: question ${p.name} depends on ${p.when}, which is not asked before it`);
  }
  for (const n of t.nodes ?? []) if (sources[n.source] === undefined) out.push(`${where}: node ${n.name} has no file ${n.source}`);
  return out;
}

export type LoadTemplateResult = { ok: true; template: LoadedTemplate } | { ok: false; error: string };

export function loadTemplate(name: string, dir = templatesDir()): LoadTemplateResult {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return { ok: false, error: `template name '${name}' is not valid` };
  const tdir = join(dir, name);
  let spec: TemplateSpec;
  try {
    spec = JSON.parse(readFileSync(join(tdir, 'template.json'), 'utf8')) as TemplateSpec;
  } catch (e) {
    const known = listTemplates(dir).map((t) => t.name);
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such template' : (e as Error).message;
    return { ok: false, error: `template '${name}': ${why}${known.length ? ` (templates: ${known.join(', ')})` : ''}` };
  }
  const sources: Record<string, string> = {};
  for (const n of spec.nodes ?? []) {
    try {
      sources[n.source] = readFileSync(join(tdir, n.source), 'utf8');
    } catch {
      // reported by checkTemplate
    }
  }
  const problems = checkTemplate(spec, sources);
  if (problems.length) return { ok: false, error: problems.join('\n') };
  return { ok: true, template: { ...spec, dir: tdir, sources } };
}

/** Every template in `dir` with its description, sorted by name. */
export function listTemplates(dir = templatesDir()): { name: string; description: string }[] {
  const out: { name: string; description: string }[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const e of entries) {
    try {
      const spec = JSON.parse(readFileSync(join(dir, e, 'template.json'), 'utf8')) as TemplateSpec;
      out.push({ name: e, description: spec.description ?? '' });
    } catch {
      // not a template directory
    }
  }
  return out;
}
