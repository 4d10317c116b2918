// The fast path's argv reader: accepts only command lines whose meaning is beyond doubt (known flags,
// each at most once, values that do not look like flags) and answers null for everything else, which
// then goes to oclif. So oclif stays the judge of every error, --help and odd spelling.

export interface FastFlag {
  name: string;
  char?: string;
  type: 'string' | 'boolean';
  /** Allowed values of a string flag (oclif's `options`). */
  options?: readonly string[];
}

export interface FastArgv {
  flags: Map<string, string | true>;
  positionals: string[];
}

/** Reads argv (after the command id) against `flags`; null when oclif should decide. */
export function readFastArgv(argv: readonly string[], flags: readonly FastFlag[], maxPositionals: number): FastArgv | null {
  const out: FastArgv = { flags: new Map(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    let spec: FastFlag | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      spec = flags.find((f) => f.name === name);
      if (eq >= 0) inline = tok.slice(eq + 1);
    } else if (tok.length > 1 && tok.startsWith('-')) {
      // Only `-c` alone: oclif also reads `-cVALUE` and `-c=VALUE`, rare enough to leave to it.
      if (tok.length !== 2) return null;
      spec = flags.find((f) => f.char === tok[1]);
    } else {
      if (out.positionals.length >= maxPositionals) return null;
      out.positionals.push(tok);
      continue;
    }
    // `--` itself, an unknown flag or one given twice.
    if (!spec || out.flags.has(spec.name)) return null;
    if (spec.type === 'boolean') {
      if (inline !== undefined) return null;
      out.flags.set(spec.name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    if (spec.options && !spec.options.includes(value)) return null;
    out.flags.set(spec.name, value);
  }
  return out;
}
