// The argument grammar of keepalived's `~SEQ(...)` and `~LST(...)` lines, as pure functions: the
// preprocessor gives the text between the parentheses and gets variables and value sets back.

/** Variables and, per repetition, one value for each of them (in the variables' order). */
export interface SeqExpansion {
  vars: string[];
  sets: string[][];
}

export type SeqResult = SeqExpansion | { error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `~LST(var, v1, v2 ...)` or `~LST({A, B}, {a1, b1}, {a2, b2} ...)`, as keepalived 2.2.7's add_lst reads
 * it: a set in braces gives one value per variable (missing ones are blank, extra ones are an error).
 * `inner` is the text between `(` and `)`.
 */
export function parseLst(inner: string): SeqResult {
  const s = `${inner})`;
  let p = 0;
  const blanks = () => {
    while (s[p] === ' ' || s[p] === '\t') p++;
  };
  const token = (stops: string): string => {
    const start = p;
    while (p < s.length && !stops.includes(s[p])) p++;
    return s.slice(start, p);
  };
  const bad = { error: 'malformed variable or value list' };
  blanks();
  const vars: string[] = [];
  let end = ',';
  if (s[p] === '{') {
    end = '}';
    p++;
    blanks();
  }
  for (;;) {
    vars.push(token(' \t,})'));
    blanks();
    if (s[p] === end) break;
    if (s[p] !== ',') return bad;
    p++;
    blanks();
  }
  if (s[p] === '}') {
    p++;
    blanks();
  }
  if (s[p++] !== ',') return bad;
  blanks();
  const sets: string[][] = [];
  for (;;) {
    end = ',';
    if (s[p] === '{') {
      end = '}';
      p++;
      blanks();
    }
    const values: string[] = [];
    for (;;) {
      values.push(token(' \t,})'));
      blanks();
      if (s[p] === end || (s[p] === ')' && end === ',')) break;
      if (s[p] !== ',') return bad;
      p++;
      blanks();
      if (values.length >= vars.length) return { error: `a value set has more values than the ${vars.length} variable(s)` };
    }
    while (values.length < vars.length) values.push('');
    sets.push(values);
    if (s[p] === '}' && end === '}') {
      p++;
      blanks();
    }
    if (s[p] === ')') break;
    if (s[p] !== ',') return bad;
    p++;
    blanks();
  }
  const badName = vars.find((v) => !NAME.test(v));
  if (badName !== undefined) return { error: `'${badName}' is not a variable name` };
  return { vars, sets };
}

/** `~SEQ(var, [start,] [step,] end)` (`~SEQx` prints hex): one value set per number, at most `limit`. */
export function parseSeq(hex: boolean, inner: string, limit: number): SeqResult {
  const parts = inner.split(',').map((s) => s.trim());
  const name = parts[0];
  if (!NAME.test(name) || parts.length < 2) return { error: 'a variable and at least an end value are needed' };
  const nums = parts.slice(1).map((p) => Number(p.startsWith('0x') ? parseInt(p, 16) : p));
  if (nums.some((x) => !Number.isInteger(x)) || nums.length > 3) return { error: 'the values must be 1 to 3 whole numbers' };
  let start: number, step: number, end: number;
  if (nums.length === 1) [start, step, end] = [nums[0] < 0 ? -1 : 1, nums[0] < 1 ? -1 : 1, nums[0]];
  else if (nums.length === 2) [start, step, end] = [nums[0], nums[0] <= nums[1] ? 1 : -1, nums[1]];
  else [start, step, end] = nums;
  if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) return { error: 'the step never reaches the end' };
  if (hex && (start < 0 || end < 0)) return { error: '~SEQx takes only positive numbers' };
  const count = Math.floor((end - start) / step) + 1;
  if (count > limit) return { error: `it would generate ${count} lines (more than ${limit})` };
  const sets: string[][] = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step) sets.push([hex ? v.toString(16) : String(v)]);
  return { vars: [name], sets };
}
