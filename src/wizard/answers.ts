// Non-interactive answering and rendering: given answers (flags, --answers file), fill defaults,
// check every value, list what is missing, and render each node's file. Pure.
import { baseContext, nodeContext } from './context.js';
import { type Answers, type AnswerValue, checkAnswer, defaultFor, flagName, isAsked, splitList, type WizardEnv } from './params.js';
import { render } from './render.js';
import type { LoadedTemplate, ParamSpec } from './template.js';
import { checkVipOnHost } from './vipcheck.js';

export interface Resolved {
  answers: Answers;
  /** One line per problem: a missing required answer or a bad value. */
  problems: string[];
  warnings: string[];
}

/** Normalises a raw value from flags or JSON: numbers to text, lists split, trimmed. */
export function normalizeValue(p: ParamSpec, raw: unknown): AnswerValue | undefined {
  if (raw === undefined || raw === null) return undefined;
  const items = Array.isArray(raw) ? raw : [raw];
  const texts = items.map((x) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x).trim() : JSON.stringify(x)));
  if (!p.list) return texts.length === 1 ? texts[0] : texts;
  // A list flag given once may hold several values separated by commas (scripts: by ;).
  return texts.flatMap((t) => splitList(p, t));
}

/** The question a missing answer stands for, as one line. */
export function missingLine(p: ParamSpec): string {
  return `missing answer: --${flagName(p)} (${p.question})`;
}

/** Host checks of a VIP answer: prefix filled from the interface, error outside its subnets. */
export function vipOnHost(t: LoadedTemplate, p: ParamSpec, answers: Answers, env: WizardEnv) {
  const v = answers[p.name];
  const ifParam = p.on ?? t.params.find((q) => q.type === 'interface')?.name;
  const ifname = ifParam ? answers[ifParam] : undefined;
  return typeof v === 'string' ? checkVipOnHost(v, typeof ifname === 'string' ? ifname : undefined, env.hostIfs) : undefined;
}

/**
 * Fills in every question in order from `given`, or its default. A required question without
 * either is a problem. Host facts (VIP subnet, VIP in use) are warnings here: a config is often
 * written for another machine.
 */
export function resolveAnswers(t: LoadedTemplate, given: Record<string, unknown>, env: WizardEnv): Resolved {
  const answers: Answers = {};
  const problems: string[] = [];
  const warnings: string[] = [];
  const known = new Set(t.params.flatMap((p) => [p.name, flagName(p)]));
  for (const k of Object.keys(given)) if (!known.has(k) && k !== 'template') warnings.push(`answer '${k}' is not a question of template ${t.name}; ignored`);
  for (const p of t.params) {
    if (!isAsked(p, answers)) continue;
    const v = normalizeValue(p, given[p.name] ?? given[flagName(p)]);
    const value = v !== undefined && !(Array.isArray(v) && v.length === 0 && p.required) ? v : defaultFor(p, answers, env, t.params);
    if (value === undefined || (Array.isArray(value) && value.length === 0 && p.required)) {
      // A default computed from an answer that is itself missing or bad is not a separate problem.
      const derived = typeof p.default === 'string' && p.default.includes('{{') && problems.length > 0;
      if (p.required && !derived) problems.push(missingLine(p));
      continue;
    }
    const bad = checkAnswer(p, value, answers);
    if (bad.length) {
      problems.push(...bad);
      continue;
    }
    answers[p.name] = value;
    if (p.type === 'vip') {
      const c = vipOnHost(t, p, answers, env);
      if (c) {
        answers[p.name] = c.vip;
        warnings.push(...c.warnings, ...(c.error ? [`${c.error}; fine if this config is for another machine`] : []));
      }
    }
  }
  return { answers, problems, warnings };
}

export interface RenderedNode {
  node: string;
  file: string;
  text: string;
}

export type RenderNodesResult = { ok: true; nodes: RenderedNode[] } | { ok: false; error: string };

/** Renders every node's file of `t` with `answers`. */
export function renderNodes(t: LoadedTemplate, answers: Answers): RenderNodesResult {
  const nodes: RenderedNode[] = [];
  for (let i = 0; i < t.nodes.length; i++) {
    const n = t.nodes[i];
    const ctx = nodeContext(t, answers, i);
    if ('error' in ctx) return { ok: false, error: String(ctx.error) };
    const r = render(t.sources[n.source], ctx, `${t.name}/${n.source}`);
    if (!r.ok) return { ok: false, error: r.error };
    nodes.push({ node: n.name, file: n.file, text: r.text });
  }
  return { ok: true, nodes };
}

/** Template notes rendered with the answers (they may mention the VIPs). */
export function renderNotes(t: LoadedTemplate, answers: Answers): string[] {
  const ctx = baseContext(t, answers);
  return (t.notes ?? []).map((n) => {
    const r = render(n, ctx, `${t.name} note`);
    return r.ok ? r.text.trim() : n;
  });
}
