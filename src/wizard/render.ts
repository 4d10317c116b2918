// The template language of `keepalivedctl init`: a pure function from template text and answers to
// keepalived.conf text. Deliberately tiny (no expressions): {{name}}, {{.field}} inside a loop,
// {{#if name}}..{{else}}..{{/if}}, {{#unless name}}..{{/unless}}, {{#each name}}..{{/each}}.
// A tag alone on its line takes the whole line with it, so the output reads as hand-written.

export type Value = string | number | boolean | undefined | readonly Value[] | { readonly [k: string]: Value };
export type Context = { readonly [k: string]: Value };

export type RenderResult = { ok: true; text: string } | { ok: false; error: string };

type Node =
  | { t: 'text'; s: string }
  | { t: 'var'; name: string; line: number }
  | { t: 'if' | 'unless' | 'each'; name: string; line: number; body: Node[]; alt: Node[] };

const TAG = /\{\{\s*(#if|#unless|#each|\/if|\/unless|\/each|else)?\s*([.\w]*)\s*\}\}/g;

class TemplateError extends Error {}

function lineAt(src: string, i: number): number {
  let n = 1;
  for (let k = 0; k < i; k++) if (src.charCodeAt(k) === 10 || src.charCodeAt(k) === 1) n++;
  return n;
}

function parse(src: string, name: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { body: Node[] }>; inAlt: boolean }[] = [];
  const out = (): Node[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inAlt ? top.node.alt : top.node.body) : root;
  };
  let last = 0;
  for (const m of src.matchAll(TAG)) {
    const at = m.index ?? 0;
    if (at > last) out().push({ t: 'text', s: src.slice(last, at) });
    last = at + m[0].length;
    const line = lineAt(src, at);
    const [, op, id] = m;
    if (!op) {
      if (!id) throw new TemplateError(`${name}:${line}: empty {{}}`);
      out().push({ t: 'var', name: id, line });
    } else if (op.startsWith('#')) {
      if (!id) throw new TemplateError(`${name}:${line}: ${op} needs a name`);
      const node = { t: op.slice(1) as 'if' | 'unless' | 'each', name: id, line, body: [], alt: [] };
      out().push(node);
      stack.push({ node, inAlt: false });
    } else if (op === 'else') {
      const top = stack[stack.length - 1];
      if (!top || top.node.t === 'each' || top.inAlt) throw new TemplateError(`${name}:${line}: {{else}} outside {{#if}}/{{#unless}}`);
      top.inAlt = true;
    } else {
      const top = stack.pop();
      if (!top || `/${top.node.t}` !== op) throw new TemplateError(`${name}:${line}: {{${op}}} does not close an open section`);
    }
  }
  if (last < src.length) out().push({ t: 'text', s: src.slice(last) });
  const open = stack.pop();
  if (open) throw new TemplateError(`${name}:${open.node.line}: {{#${open.node.t} ${open.node.name}}} is never closed`);
  return root;
}

/** Looks a name up: `.x` in the current loop item first, then the context chain. */
function lookup(scopes: readonly Value[], name: string): Value {
  if (name === '.') return scopes[scopes.length - 1];
  const path = name.startsWith('.') ? name.slice(1).split('.') : name.split('.');
  const from = name.startsWith('.') ? [scopes[scopes.length - 1]] : [...scopes].reverse();
  for (const s of from) {
    let v: Value = s;
    let found = true;
    for (const p of path) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && p in v) v = (v as Record<string, Value>)[p];
      else {
        found = false;
        break;
      }
    }
    if (found) return v;
  }
  return undefined;
}

export function truthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== false && v !== '' && v !== 0;
}

function emit(nodes: readonly Node[], scopes: readonly Value[], name: string, strict: boolean): string {
  let s = '';
  for (const n of nodes) {
    if (n.t === 'text') s += n.s.replaceAll(DROPPED, '');
    else if (n.t === 'var') {
      const v = lookup(scopes, n.name);
      if (v === undefined || v === null || typeof v === 'object') {
        if (strict || typeof v === 'object') throw new TemplateError(`${name}:${n.line}: {{${n.name}}} has no printable value`);
        continue;
      }
      s += String(v);
    } else if (n.t === 'each') {
      const v = lookup(scopes, n.name);
      const items = Array.isArray(v) ? v : truthy(v) ? [v] : [];
      for (const item of items) s += emit(n.body, [...scopes, item], name, strict);
    } else {
      const on = truthy(lookup(scopes, n.name)) === (n.t === 'if');
      s += emit(on ? n.body : n.alt, scopes, name, strict);
    }
  }
  return s;
}

/** Marks a newline swallowed by a tag line, so error line numbers still count it. */
const DROPPED = '\u0001';

/** Section tags alone on a line swallow that line (indent and newline included). */
function dropTagLines(src: string): string {
  return src.replace(/^[ \t]*(\{\{\s*(?:#if|#unless|#each|\/if|\/unless|\/each|else)[^}]*\}\})[ \t]*\r?\n/gm, `$1${DROPPED}`);
}

/** Runs of blank lines (left by dropped optional sections) become one; the file ends with one newline. */
function tidy(text: string): string {
  return `${text.replace(/\n[ \t]*(\n[ \t]*)+\n/g, '\n\n').replace(/^\s*\n/, '').trimEnd()}\n`;
}

/**
 * Renders `template` with `ctx`. `name` appears in errors. Every {{name}} must have a value
 * (a missing one is a bug in the template or its answers, reported instead of printing nothing).
 */
export function render(template: string, ctx: Context, name = 'template'): RenderResult {
  try {
    const nodes = parse(dropTagLines(template), name);
    return { ok: true, text: tidy(emit(nodes, [ctx], name, true)) };
  } catch (e) {
    if (e instanceof TemplateError) return { ok: false, error: e.message };
    return { ok: false, error: `${name}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
