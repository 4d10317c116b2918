// The interactive wizard on a terminal (@inquirer/prompts): every question the flags and --answers
// left open, with the same checks as the non-interactive path, defaults from the template or the
// keyword table, and the host's interfaces offered by name with their addresses.
import { confirm, input, select } from '@inquirer/prompts';
import { findKeyword } from '../config/keywords/index.js';
import { normalizeValue } from './answers.js';
import { type Answers, type AnswerValue, checkAnswer, defaultFor, isAsked, splitList, type WizardEnv } from './params.js';
import { type LoadedTemplate, type ParamSpec, resolveFeeds } from './template.js';
import { checkVipOnHost } from './vipcheck.js';

const OTHER = '\u0000other';
const NONE = '\u0000none';

export async function askTemplate(list: readonly { name: string; description: string }[], dflt?: string): Promise<string> {
  return select({
    message: 'Which setup do you want?',
    choices: list.map((t) => ({ value: t.name, name: t.name, description: t.description })),
    default: dflt,
  });
}

export async function askOverwrite(path: string): Promise<boolean> {
  return confirm({ message: `${path} exists. Overwrite it?`, default: false });
}

function hint(p: ParamSpec): string {
  const fed = resolveFeeds(p.feeds);
  const a = fed?.arg;
  const range = a && (a.type === 'int' || a.type === 'float') && a.min !== undefined && a.max !== undefined ? ` (${a.min}-${a.max})` : '';
  return `${p.question}${range}`;
}

/** A VIP must be in a subnet of its interface when the host knows that interface. */
function vipProblem(t: LoadedTemplate, p: ParamSpec, text: string, answers: Answers, env: WizardEnv): string | undefined {
  if (p.type !== 'vip') return undefined;
  const ifName = p.on ?? t.params.find((q) => q.type === 'interface')?.name;
  const ifv = ifName ? answers[ifName] : undefined;
  return checkVipOnHost(text, typeof ifv === 'string' ? ifv : undefined, env.hostIfs).error;
}

async function askInterface(p: ParamSpec, env: WizardEnv, dflt: string | undefined, check: (s: string) => true | string): Promise<string | undefined> {
  const choices: { value: string; name: string; short?: string }[] = env.hostIfs.map((i) => ({
    value: i.name,
    name: `${i.name}  ${i.addrs.map((a) => `${a.addr}/${a.prefix}`).join(' ') || '(no address)'}`,
    short: i.name,
  }));
  if (!p.required) choices.push({ value: NONE, name: '(none)' });
  choices.push({ value: OTHER, name: 'another interface (type its name)' });
  // The cursor starts on the first interface with a global address: the likely home of a VIP.
  const likely = env.hostIfs.find((i) => i.addrs.some((a) => !a.addr.toLowerCase().startsWith('fe80')))?.name;
  const picked = await select({ message: hint(p), choices, default: dflt ?? (p.required ? likely : NONE) });
  if (picked === NONE) return undefined;
  if (picked !== OTHER) return picked;
  return input({ message: 'Interface name', required: true, validate: check });
}

async function askOne(t: LoadedTemplate, p: ParamSpec, answers: Answers, env: WizardEnv, log: (s: string) => void): Promise<AnswerValue | undefined> {
  const d = defaultFor(p, answers, env, t.params);
  const toValue = (text: string): AnswerValue | undefined => {
    const s = text.trim();
    if (s === '') return undefined;
    return p.list ? splitList(p, s) : s;
  };
  const check = (text: string): true | string => {
    const v = toValue(text);
    if (v === undefined || (Array.isArray(v) && v.length === 0)) return p.required ? 'an answer is needed' : true;
    const bad = checkAnswer(p, v, answers);
    if (bad.length) return bad.map((b) => b.replace(/^--[\w-]+: /, '')).join('; ');
    return vipProblem(t, p, String(v), answers, env) ?? true;
  };
  if (p.type === 'interface' && !p.list && env.hostIfs.length > 0) {
    return askInterface(p, env, typeof d === 'string' ? d : undefined, check);
  }
  if (p.type === 'enum') {
    const values = p.choices ?? resolveFeeds(p.feeds)?.arg.values ?? [];
    // A checker-style question (feeds a whole block) describes each choice by its keyword's doc.
    const doc = (v: string) => findKeyword(p.feeds, v)?.doc;
    return select({
      message: hint(p),
      choices: values.map((v) => ({ value: v, name: v, description: p.feeds.includes(' ') ? undefined : doc(v) })),
      default: typeof d === 'string' ? d : undefined,
    });
  }
  const text = await input({
    message: hint(p),
    default: Array.isArray(d) ? d.join(', ') : d,
    validate: check,
  });
  const v = toValue(text);
  if (p.type === 'vip' && typeof v === 'string') {
    const ifName = p.on ?? t.params.find((q) => q.type === 'interface')?.name;
    const ifv = ifName ? answers[ifName] : undefined;
    const c = checkVipOnHost(v, typeof ifv === 'string' ? ifv : undefined, env.hostIfs);
    for (const w of c.warnings) log(`warning: ${w}`);
    return c.vip;
  }
  return v;
}

/** Asks every question of `t` that `given` does not answer well; given values are checked too. */
export async function askAnswers(t: LoadedTemplate, given: Record<string, unknown>, env: WizardEnv, log: (s: string) => void): Promise<Answers> {
  const answers: Answers = {};
  for (const p of t.params) {
    if (!isAsked(p, answers)) continue;
    const pre = normalizeValue(p, given[p.name] ?? given[p.name.replaceAll('_', '-')]);
    if (pre !== undefined) {
      const bad = checkAnswer(p, pre, answers);
      if (bad.length === 0) {
        answers[p.name] = pre;
        if (p.type === 'vip' && typeof pre === 'string') {
          const ifName = p.on ?? t.params.find((q) => q.type === 'interface')?.name;
          const ifv = ifName ? answers[ifName] : undefined;
          const c = checkVipOnHost(pre, typeof ifv === 'string' ? ifv : undefined, env.hostIfs);
          for (const w of [...c.warnings, ...(c.error ? [c.error] : [])]) log(`warning: ${w}`);
          answers[p.name] = c.vip;
        }
        continue;
      }
      for (const b of bad) log(`${b}; asking again`);
    }
    const v = await askOne(t, p, answers, env, log);
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) answers[p.name] = v;
  }
  return answers;
}
