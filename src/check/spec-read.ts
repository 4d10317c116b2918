// Small readers over the config's syntax nodes: keepalived's "last one wins", optional booleans,
// timers in seconds. They never throw; a missing or bad value reads as undefined.
import { child, type ConfNode } from '../config/ast.js';
import { parseDecimal, parseIntStrict } from '../config/values.js';

export function word(n: ConfNode | undefined, kw: string, i = 0): string | undefined {
  return child(n, kw)?.args[i]?.text;
}

export function words(n: ConfNode | undefined, kw: string): string[] | undefined {
  return child(n, kw)?.args.map((a) => a.text);
}

export function int(n: ConfNode | undefined, kw: string, i = 0): number | undefined {
  const w = word(n, kw, i);
  return w === undefined ? undefined : parseIntStrict(w);
}

/** A timer keyword in seconds (decimals allowed) as milliseconds. */
export function ms(n: ConfNode | undefined, kw: string): number | undefined {
  const w = word(n, kw);
  const v = w === undefined ? undefined : parseDecimal(w);
  return v === undefined ? undefined : v * 1000;
}

/** check_true_false: present without a value is true. Absent is undefined. */
export function bool(n: ConfNode | undefined, kw: string): boolean | undefined {
  const c = child(n, kw);
  if (!c) return undefined;
  const v = c.args[0]?.text.toLowerCase();
  return v === undefined ? true : ['true', 'on', 'yes'].includes(v);
}

export function present(n: ConfNode | undefined, kw: string): boolean {
  return child(n, kw) !== undefined;
}

export function at(n: ConfNode): string {
  return `${n.file}:${n.line}`;
}
