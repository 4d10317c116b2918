// GNU getopt_long() as genhash calls it (optstring starting with ':' so getopt itself stays
// silent): argument permutation, clustered short options, "--name=value", unique prefixes of long
// names, and "--" ending the options. Pure: argv in, the sequence getopt would return out.

export interface LongOption {
  name: string;
  hasArg: boolean;
  /** The short option it stands for. */
  val: string;
}

export type GetoptEvent =
  /** A recognised option (`opt` is its short letter) with its argument when it takes one. */
  | { kind: 'option'; opt: string; arg?: string }
  /** getopt's '?': an unknown or ambiguous option, or a long flag given "=value". */
  | { kind: 'unknown'; short?: string; text: string }
  /** getopt's ':': the option needs an argument and none is left. */
  | { kind: 'missing'; opt: string; long?: string };

export interface GetoptResult {
  events: GetoptEvent[];
  /** Non-option arguments, in order, plus everything after "--". */
  operands: string[];
}

/** `shortSpec` as getopt's optstring without the leading ':', e.g. "hvSs:V:". */
export function getoptLong(args: readonly string[], shortSpec: string, longs: readonly LongOption[]): GetoptResult {
  const takesArg = new Map<string, boolean>();
  for (let i = 0; i < shortSpec.length; i++) {
    const c = shortSpec[i]!;
    if (c === ':') continue;
    takesArg.set(c, shortSpec[i + 1] === ':');
  }
  const events: GetoptEvent[] = [];
  const operands: string[] = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    i++;
    if (a === '--') {
      operands.push(...args.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      i = longOption(a, args, i, longs, events);
    } else if (a.startsWith('-') && a.length > 1) {
      i = shortCluster(a, args, i, takesArg, events);
    } else {
      operands.push(a); // permuted to the end, as GNU getopt does
    }
  }
  return { events, operands };
}

function longOption(a: string, args: readonly string[], next: number, longs: readonly LongOption[], events: GetoptEvent[]): number {
  const eq = a.indexOf('=');
  const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
  const exact = longs.find((l) => l.name === name);
  const candidates = exact ? [exact] : longs.filter((l) => l.name.startsWith(name));
  const same = (x: LongOption, y: LongOption): boolean => x.hasArg === y.hasArg && x.val === y.val;
  const opt = candidates[0];
  if (!opt || name === '' || candidates.some((c) => !same(c, opt))) {
    events.push({ kind: 'unknown', text: a });
    return next;
  }
  if (!opt.hasArg) {
    events.push(eq < 0 ? { kind: 'option', opt: opt.val } : { kind: 'unknown', short: opt.val, text: a });
    return next;
  }
  if (eq >= 0) {
    events.push({ kind: 'option', opt: opt.val, arg: a.slice(eq + 1) });
    return next;
  }
  if (next < args.length) {
    events.push({ kind: 'option', opt: opt.val, arg: args[next]! });
    return next + 1;
  }
  events.push({ kind: 'missing', opt: opt.val, long: opt.name });
  return next;
}

function shortCluster(a: string, args: readonly string[], next: number, takesArg: Map<string, boolean>, events: GetoptEvent[]): number {
  for (let k = 1; k < a.length; k++) {
    const c = a[k]!;
    const needsArg = takesArg.get(c);
    if (needsArg === undefined) {
      events.push({ kind: 'unknown', short: c, text: a });
      continue;
    }
    if (!needsArg) {
      events.push({ kind: 'option', opt: c });
      continue;
    }
    // The rest of the cluster is the argument, else the next word, whatever it looks like.
    if (k + 1 < a.length) {
      events.push({ kind: 'option', opt: c, arg: a.slice(k + 1) });
    } else if (next < args.length) {
      events.push({ kind: 'option', opt: c, arg: args[next]! });
      return next + 1;
    } else {
      events.push({ kind: 'missing', opt: c });
    }
    return next;
  }
  return next;
}
