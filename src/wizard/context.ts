// From answers to what the templates see: every answer by name, plus fields derived by question
// type (vip -> vip_addr/vip_prefix, endpoint -> _addr/_port, real servers and scripts as records,
// per-node self/others of a list with one value per node). Pure.
import { familyOf, splitHostPort, type Answers } from './params.js';
import { render, type Context, type Value } from './render.js';
import type { LoadedTemplate, NodeSpec, ParamSpec } from './template.js';

/** `chk_<program name>`, unique within the list: the name of a generated vrrp_script. */
function scriptNames(scripts: readonly string[]): { name: string; script: string }[] {
  const seen = new Map<string, number>();
  return scripts.map((script) => {
    const prog = script.split(/\s+/)[0].split('/').pop() ?? 'script';
    const base = `chk_${prog.replace(/[^A-Za-z0-9_]/g, '_')}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n === 1 ? base : `${base}_${n}`, script };
  });
}

function derive(p: ParamSpec, v: string | string[], ctx: Record<string, Value>): void {
  const items = Array.isArray(v) ? v : [v];
  switch (p.type) {
    case 'vip': {
      const one = items[0] ?? '';
      const [addr, prefix] = one.split('/');
      ctx[`${p.name}_addr`] = addr;
      ctx[`${p.name}_prefix`] = prefix;
      ctx[`${p.name}_v6`] = familyOf(addr) === 6;
      break;
    }
    case 'endpoint':
    case 'server': {
      const { host, port } = splitHostPort(items[0] ?? '');
      ctx[`${p.name}_addr`] = host;
      ctx[`${p.name}_port`] = port;
      break;
    }
    case 'realserver':
      ctx[p.name] = items.map((it) => {
        const [hp, weight] = it.split(',');
        const { host, port } = splitHostPort(hp);
        return { addr: host, port: port ?? '', weight: weight ?? '1' };
      });
      break;
    case 'script':
      if (p.list) ctx[p.name] = scriptNames(items);
      break;
    case 'enum':
      ctx[`${p.name}_${String(items[0]).toLowerCase().replace(/[^a-z0-9]/g, '_')}`] = true;
      break;
    default:
      break;
  }
}

/** The context shared by every node (answers and derived fields). */
export function baseContext(t: LoadedTemplate, answers: Answers): Record<string, Value> {
  const ctx: Record<string, Value> = { template: t.name, nodes: t.nodes.map((n) => n.name) };
  for (const p of t.params) {
    const v = answers[p.name];
    if (v === undefined) continue;
    ctx[p.name] = v;
    derive(p, v, ctx);
  }
  // Scripts need keepalived's script security settings; keepalived warns without a script_user.
  ctx.any_script = t.params.some((p) => p.type === 'script' && ctx[p.name] !== undefined && (!Array.isArray(ctx[p.name]) || (ctx[p.name] as Value[]).length > 0));
  // Real servers without a port listen on the virtual server's.
  for (const p of t.params) {
    if (p.type !== 'realserver' || !Array.isArray(ctx[p.name])) continue;
    const vsPort = Object.entries(ctx).find(([k]) => k.endsWith('_port') && k.startsWith('virtual_server'))?.[1];
    ctx[p.name] = (ctx[p.name] as { addr: string; port: string; weight: string }[]).map((r) => ({ ...r, port: r.port || String(vsPort ?? '') }));
  }
  return ctx;
}

/** The context of node `index`: the base plus node name, node vars, and this node's share of per-node lists. */
export function nodeContext(t: LoadedTemplate, answers: Answers, index: number): Context | { error: string } {
  const node: NodeSpec = t.nodes[index];
  const ctx = baseContext(t, answers);
  ctx.node = node.name;
  ctx.node_index = index + 1;
  for (const p of t.params) {
    const v = answers[p.name];
    if (!p.list || p.count !== t.nodes.length || !Array.isArray(v) || v.length !== t.nodes.length) continue;
    ctx[`${p.name}_self`] = v[index];
    ctx[`${p.name}_others`] = v.filter((_, i) => i !== index);
  }
  for (const [k, tmpl] of Object.entries(node.vars ?? {})) {
    const r = render(tmpl, ctx, `${t.name}/template.json node ${node.name} var ${k}`);
    if (!r.ok) return { error: r.error };
    ctx[k] = r.text.trim();
  }
  return ctx;
}
