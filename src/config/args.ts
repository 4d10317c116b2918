// Checks a line's words against its keyword's argument shape from the table.
import type { Word } from './lexer.js';
import type { ArgSpec, OptionsSpec } from './schema.js';
import { didYouMean } from './suggest.js';
import { checkValue } from './values.js';
import type { WordList } from './words.js';

export interface ArgProblem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** Index into the words checked; -1 means the keyword itself (e.g. a missing argument). */
  word: number;
  suggestion?: string;
}

export interface Shape {
  args: readonly ArgSpec[];
  forms?: readonly (readonly ArgSpec[])[];
  options?: OptionsSpec;
}

const NONE: ArgProblem[] = [];

/**
 * Problems of `words[from..]` (the arguments after the keyword) against `shape`; empty when they fit.
 * Word indexes in the problems count from `from`. Allocates nothing for arguments that fit.
 */
export function checkArgs(what: string, shape: Shape, allWords: WordList, from = 0): ArgProblem[] {
  if (!shape.forms || shape.forms.length === 0) {
    const problems = checkForm(what, shape.args, shape.options, allWords, from);
    return problems ?? NONE;
  }
  const forms = shape.forms;
  let best: ArgProblem[] | undefined;
  for (const form of forms) {
    const problems = checkForm(what, form, shape.options, allWords, from);
    if (!problems) return NONE;
    if (!best || score(problems) < score(best)) best = problems;
  }
  if (forms.length > 1 && best && best.some((p) => p.severity === 'error')) {
    const alts = forms.map((f) => f.map((a) => (a.type === 'enum' && a.values?.length === 1 ? a.values[0] : `<${a.name}>`)).join(' '));
    best = best.map((p) => (p.severity === 'error' ? { ...p, message: `${p.message} (expected ${what} ${alts.join(' | ')})` } : p));
  }
  return best ?? [];
}

function score(ps: ArgProblem[]): number {
  return ps.reduce((n, p) => n + (p.severity === 'error' ? 10 : 1), 0);
}

/** A view of the words after `from`, made only when a line has problems (rare). */
const tail = (words: readonly Word[], from: number): readonly Word[] => (from === 0 ? words : words.slice(from));

/**
 * True when word i certainly passes checkValue(spec, word) (the common shapes: digits in range, a
 * dotted quad, an exact enum value, a non-empty word), read from the span without making a string.
 * False means "not sure": checkValue decides.
 */
export function surelyValid(spec: ArgSpec, w: WordList, i: number): boolean {
  switch (spec.type) {
    case 'int':
    case 'float': {
      const v = w.digits(i);
      return v >= 0 && (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
    }
    case 'port': {
      const v = w.digits(i);
      return v >= (spec.min ?? 0) && v <= (spec.max ?? 65535);
    }
    case 'ipaddr':
    case 'ipv4':
      return w.ipv4(i);
    case 'enum': {
      if (spec.ci) return false;
      const values = spec.values;
      if (values) for (let k = 0; k < values.length; k++) if (w.is(i, values[k])) return true;
      return false;
    }
    case 'word':
    case 'path':
    case 'script':
    case 'interface':
    case 'name':
      // checkValue's default case; an interface name has its own rules.
      return spec.type !== 'interface' && (w.size(i) > 0 || !!spec.optional);
    default:
      return false;
  }
}

const valid = (spec: ArgSpec, w: WordList, i: number): boolean => surelyValid(spec, w, i) || checkValue(spec, w.text(i)) === undefined;

/** The problems of one form, or undefined when the words fit it (the common case: no array made). */
/** True when `text` is one of the keyword's option names standing where an optional positional could be. */
export function optionWord(spec: ArgSpec, options: OptionsSpec | undefined, text: string): boolean {
  return !!spec.optional && options !== undefined && Object.hasOwn(options, text);
}

function checkForm(what: string, form: readonly ArgSpec[], options: OptionsSpec | undefined, allWords: WordList, from: number): ArgProblem[] | undefined {
  const n = allWords.length - from;
  // Fast pass: every positional present and valid, nothing left over (no options to read).
  let i = 0;
  let ok = true;
  for (let f = 0; f < form.length && ok; f++) {
    const spec = form[f];
    if (i >= n) {
      ok = !!spec.optional;
      break;
    }
    if (spec.rest) {
      for (; i < n && ok; i++) ok = valid(spec, allWords, from + i);
      break;
    }
    ok = valid(spec, allWords, from + i);
    i++;
  }
  if (ok && i >= n) return undefined;
  const problems = slowForm(what, form, options, tail(allWords.words(), from));
  return problems.length === 0 ? undefined : problems;
}

function slowForm(what: string, form: readonly ArgSpec[], options: OptionsSpec | undefined, words: readonly Word[]): ArgProblem[] {
  const problems: ArgProblem[] = [];
  let i = 0;
  for (const spec of form) {
    if (i >= words.length) {
      if (!spec.optional) {
        problems.push({ severity: 'error', code: 'missing-argument', message: `${what} needs <${spec.name}>`, word: -1 });
      }
      break;
    }
    if (spec.rest) {
      for (; i < words.length; i++) {
        const p = checkValue(spec, words[i].text);
        if (p) problems.push({ severity: 'error', ...p, word: i });
      }
      break;
    }
    const w = words[i];
    // An optional positional is absent when an option name stands in its place (keepalived reads
    // `lvs_sync_daemon eth0 id 5` as the option id, not an instance named "id").
    if (optionWord(spec, options, w.text)) continue;
    const p = checkValue(spec, w.text);
    if (p) problems.push({ severity: 'error', ...p, word: i });
    i++;
  }
  if (problems.some((p) => p.code === 'missing-argument')) return problems;
  // Trailing `name value` options.
  while (i < words.length) {
    const w = words[i];
    const opt = options?.[w.text];
    if (!options || !opt) {
      if (!options || Object.keys(options).length === 0) {
        problems.push({
          severity: 'warning',
          code: 'extra-argument',
          message: `${what}: extra argument '${w.text}' is ignored`,
          word: i,
        });
        return problems;
      }
      problems.push({
        severity: 'error',
        code: 'unknown-option',
        message: `${what}: unknown option '${w.text}'`,
        word: i,
        suggestion: didYouMean(w.text, Object.keys(options)),
      });
      i++;
      continue;
    }
    const optName = w.text;
    i++;
    for (const spec of opt) {
      if (i >= words.length) {
        if (!spec.optional) {
          problems.push({
            severity: 'error',
            code: 'missing-argument',
            message: `${what}: option '${optName}' needs <${spec.name}>`,
            word: i - 1,
          });
        }
        break;
      }
      if (spec.optional && options[words[i].text]) break;
      const p = checkValue(spec, words[i].text);
      if (p) {
        if (spec.optional) break;
        problems.push({ severity: 'error', ...p, word: i });
      }
      i++;
    }
  }
  return problems;
}
