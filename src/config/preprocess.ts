// keepalived's preprocessor: include globs, `@id` conditionals, `$NAME` parameters, `~SEQ`/`~LST`,
// and the splitting of `{`/`}` onto lines of their own. Produces logical lines with their positions.
import { dirname, isAbsolute, join } from 'node:path';
import { DiagnosticSink } from './diagnostics.js';
import { colAt, decomment, findBrace, type Located, located, slice, tokenize, type Word } from './lexer.js';
import { plainLine, type PlainSink, plainSinkOf } from './fastline.js';
import { parseLst, parseSeq } from './seq.js';
import { type ConfigSource, describeFsError } from './source.js';

export interface ConfigLine {
  file: string;
  line: number;
  words: Word[];
  /** The line's text after preprocessing (scripts re-read it with quote/escape rules). */
  text: Located;
}

/** Where the preprocessor hands each logical line as soon as it is read (the parser, or a collector). */
export type LineConsumer = (line: ConfigLine) => void;

export interface PreprocessOptions {
  /** keepalived's `-i`: lines `@ID ...` are kept only for this id, `@^ID ...` for every other. */
  configId?: string;
  /** Random source for `$_RANDOM` (injected so results are reproducible in tests). */
  random?: () => number;
  /** keepalived's instance name for `$_INSTANCE`. */
  instance?: string;
}

export interface PreprocessResult {
  lines: ConfigLine[];
  /** Every file read, in order (for --json output and reload checks). */
  files: string[];
}

// Bounds so that hostile input ends in bounded time and memory.
export const LIMITS = {
  includeDepth: 32,
  lineLength: 64 * 1024,
  substitutionRounds: 64,
  generatedLines: 2_000_000,
  seqValues: 100_000,
};

interface Definition {
  /** Lines of the value; more than one for a multi-line definition. */
  lines: string[];
  multiline: boolean;
  fn?: (params: number[]) => string;
}

/** All lines of `mainFile` in a list (tests, tools); the engine itself streams with preprocessInto. */
export function preprocess(mainFile: string, source: ConfigSource, sink: DiagnosticSink, opts: PreprocessOptions = {}): PreprocessResult {
  const lines: ConfigLine[] = [];
  return { lines, files: preprocessInto(mainFile, source, sink, opts, (l) => lines.push(l)) };
}

/**
 * Streams the lines of `mainFile` into `onLine` (nothing kept here); returns every file read. Plain
 * lines go to `onPlain` as offsets when given (the parser), else to `onLine` as PlainLine objects.
 */
export function preprocessInto(mainFile: string, source: ConfigSource, sink: DiagnosticSink, opts: PreprocessOptions, onLine: LineConsumer, onPlain?: PlainSink): string[] {
  return new Preprocessor(source, sink, opts, onLine, onPlain).run(mainFile);
}

/** Preprocesses text given directly (stdin, tests); includes resolve against `cwd`. */
export function preprocessText(text: string, name: string, source: ConfigSource, sink: DiagnosticSink, opts: PreprocessOptions = {}, cwd = process.cwd()): PreprocessResult {
  const lines: ConfigLine[] = [];
  return { lines, files: preprocessTextInto(text, name, source, sink, opts, (l) => lines.push(l), cwd) };
}

/** preprocessText() streaming into `onLine`; returns every file read. */
export function preprocessTextInto(
  text: string,
  name: string,
  source: ConfigSource,
  sink: DiagnosticSink,
  opts: PreprocessOptions,
  onLine: LineConsumer,
  cwd = process.cwd(),
  onPlain?: PlainSink,
): string[] {
  return new Preprocessor(source, sink, opts, onLine, onPlain).runText(text, name, cwd);
}

interface Frame {
  file: string;
  dir: string;
  line: number;
}

class Preprocessor {
  private readonly defs = new Map<string, Definition>();
  private readonly files: string[] = [];
  private readonly stack: string[] = []; // identities of files being read, for cycle detection
  private pendingDef: Definition | undefined;
  private generated = 0;
  /** ~SEQ/~LST repetitions, counted too: nested sequences of an empty line emit nothing but still cost. */
  private expansions = 0;
  private limitReported = false;
  private frame: Frame = { file: '', dir: '', line: 0 };
  private readonly plainOut: PlainSink;

  constructor(
    private readonly source: ConfigSource,
    private readonly sink: DiagnosticSink,
    private readonly opts: PreprocessOptions,
    private readonly out: LineConsumer,
    plainOut?: PlainSink,
  ) {
    this.plainOut = plainOut ?? plainSinkOf(out);
    const std = (value: string): Definition => ({ lines: [value], multiline: false });
    this.defs.set('_HASH', std('#'));
    this.defs.set('_BANG', std('!'));
    this.defs.set('_PWD', { lines: [''], multiline: false, fn: () => this.frame.dir });
    this.defs.set('_INSTANCE', { lines: [''], multiline: false, fn: () => opts.instance ?? '' });
    const rnd = opts.random ?? Math.random;
    this.defs.set('_RANDOM', {
      lines: [''],
      multiline: false,
      // keepalived's get_random: 0..32767 unless MIN MAX are given.
      fn: ([min = 0, max = 32767]) => String(min + Math.floor(rnd() * (max - min + 1))),
    });
  }

  run(mainFile: string): string[] {
    this.readFile(mainFile, { file: mainFile, line: 0, column: 0 }, true);
    return this.files;
  }

  runText(text: string, name: string, cwd: string): string[] {
    this.files.push(name);
    this.readText(text, { file: name, dir: cwd, line: 0 });
    return this.files;
  }

  private readFile(path: string, from: { file: string; line: number; column: number }, main = false): void {
    const id = this.source.identity(path);
    if (this.stack.includes(id)) {
      const chain = [...this.stack.slice(this.stack.indexOf(id)), id].join(' -> ');
      this.sink.error('include-cycle', from, `include cycle: ${chain}`);
      return;
    }
    if (this.stack.length >= LIMITS.includeDepth) {
      this.sink.error('include-depth', from, `includes nested deeper than ${LIMITS.includeDepth} levels at '${path}'`);
      return;
    }
    let text: string;
    try {
      text = this.source.read(path);
    } catch (e) {
      const why = describeFsError(e);
      this.sink.error(main ? 'file-unreadable' : 'include-unreadable', from, `cannot read '${path}': ${why}`);
      return;
    }
    this.files.push(path);
    this.stack.push(id);
    const saved = this.frame;
    this.readText(text, { file: path, dir: dirname(path), line: 0 });
    this.frame = saved;
    this.stack.pop();
  }

  private readText(text: string, frame: Frame): void {
    this.frame = frame;
    let start = 0;
    const n = text.length;
    while (start <= n && !this.overLimit()) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = n;
      frame.line++;
      let le = end;
      while (le > start && text.charCodeAt(le - 1) === 13 /* \r */) le--;
      const plain = this.pendingDef || le - start > LIMITS.lineLength ? -1 : plainLine(text, start, le, frame.file, frame.line, this.plainOut);
      if (plain >= 0) this.generated += plain;
      else this.physicalLine(text.slice(start, le));
      this.frame = frame;
      if (end >= n) break;
      start = end + 1;
    }
    if (this.pendingDef) this.pendingDef = undefined;
  }

  private pos(column = 1): { file: string; line: number; column: number } {
    return { file: this.frame.file, line: this.frame.line, column };
  }

  private overLimit(): boolean {
    if (this.generated <= LIMITS.generatedLines && this.expansions <= LIMITS.generatedLines) return false;
    if (!this.limitReported) {
      this.limitReported = true;
      this.sink.error('config-too-large', this.pos(), `configuration expands to more than ${LIMITS.generatedLines} lines; stopped reading`);
    }
    return true;
  }

  private physicalLine(raw: string): void {
    if (raw.length > LIMITS.lineLength) {
      this.sink.error('line-too-long', this.pos(), `line is longer than ${LIMITS.lineLength} characters; ignored`);
      return;
    }
    const d = decomment(located(raw));
    if (this.pendingDef) {
      // Continuation lines of a multi-line `$NAME=` definition.
      if (d.text) this.pendingDef.lines.push(d.text);
      if (!d.cont) this.pendingDef = undefined;
      return;
    }
    if (!d.text && !d.cont) return;
    const text: Located = d.cont ? { ...d, text: d.text + '\\' } : d;
    this.logicalLine(text, 0, d.cont);
  }

  private logicalLine(l: Located, depth: number, cont = false): void {
    if (depth > LIMITS.substitutionRounds) {
      this.sink.error('substitution-loop', this.pos(colAt(l, 0)), 'parameter substitution does not terminate; line ignored');
      return;
    }
    let text = l;
    for (let round = 0; round <= LIMITS.substitutionRounds; round++) {
      if (text.text.startsWith('@')) {
        const kept = this.conditional(text);
        if (!kept) return;
        text = kept;
      }
      if (text.text.startsWith('$') && this.definition(text, cont)) return;
      if (text.text.startsWith('~SEQ') || text.text.startsWith('~LST')) {
        this.sequence(text, depth);
        return;
      }
      if (!text.text.includes('$')) break;
      const multi = this.multilineUse(text.text);
      if (multi) {
        for (const v of multi.lines) this.logicalLine({ text: v, base: colAt(text, 0), cols: undefined }, depth + 1);
        return;
      }
      const replaced = this.substitute(text);
      if (!replaced) break;
      text = decomment(replaced);
      if (!text.text) return;
      if (!text.text.startsWith('@') && !text.text.includes('$')) break;
      if (round === LIMITS.substitutionRounds) {
        this.sink.error('substitution-loop', this.pos(colAt(l, 0)), 'parameter substitution does not terminate; line ignored');
        return;
      }
    }
    if (this.include(text)) return;
    this.emitSplit(text);
  }

  /** `@id rest` / `@^id rest`: returns the rest when kept. */
  private conditional(l: Located): Located | undefined {
    const neg = l.text[1] === '^';
    const idStart = neg ? 2 : 1;
    const m = /[ \t]/.exec(l.text.slice(idStart));
    if (!m) return undefined; // nothing after the id: keepalived drops the line
    const id = l.text.slice(idStart, idStart + m.index);
    const matches = this.opts.configId !== undefined && id === this.opts.configId;
    if (matches === neg) return undefined;
    let i = idStart + m.index;
    while (i < l.text.length && (l.text[i] === ' ' || l.text[i] === '\t')) i++;
    return slice(l, i);
  }

  /** `$NAME=value` (value ending in `\` continues on the next lines). */
  private definition(l: Located, cont: boolean): boolean {
    // keepalived's check_definition: the name runs up to '='; a blank before it makes no definition.
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)=/.exec(l.text);
    if (!m) return false;
    let value = l.text.slice(m[0].length).replace(/^[ \t]+/, '');
    const multiline = cont;
    if (multiline) value = value.replace(/[ \t]*\\$/, '');
    const def: Definition = { lines: value || !multiline ? [value] : [], multiline };
    this.defs.set(m[1], def);
    if (multiline) this.pendingDef = def;
    return true;
  }

  /** A line that is only `$NAME`/`${NAME}` of a multi-line definition expands to its lines. */
  private multilineUse(text: string): Definition | undefined {
    const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(text);
    if (!m) return undefined;
    const def = this.defs.get(m[1] ?? m[2]);
    return def?.multiline ? def : undefined;
  }

  /** Replaces `$NAME` and `${NAME}` (`${_RANDOM 1 10}`) with single-line definitions; undefined names stay. */
  private substitute(l: Located): Located | undefined {
    const re = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)((?: +[0-9]+)*)\}|([A-Za-z_][A-Za-z0-9_]*)(?=[ \t,)]|$))/g;
    let out = '';
    const cols: number[] = [];
    let last = 0;
    let changed = false;
    for (let m = re.exec(l.text); m; m = re.exec(l.text)) {
      const def = this.defs.get(m[1] ?? m[3]);
      if (!def || def.multiline) continue;
      const params = (m[2] ?? '').trim() ? m[2].trim().split(/ +/).map(Number) : [];
      const value = def.fn ? def.fn(params) : def.lines[0] ?? '';
      for (let i = last; i < m.index; i++) {
        out += l.text[i];
        cols.push(colAt(l, i));
      }
      const at = colAt(l, m.index);
      out += value;
      for (let i = 0; i < value.length; i++) cols.push(at);
      last = m.index + m[0].length;
      changed = true;
      if (out.length > LIMITS.lineLength) {
        this.sink.error('line-too-long', this.pos(at), `line is longer than ${LIMITS.lineLength} characters after substitution; ignored`);
        return { text: '', base: at };
      }
    }
    if (!changed) return undefined;
    for (let i = last; i < l.text.length; i++) {
      out += l.text[i];
      cols.push(colAt(l, i));
    }
    cols.push(colAt(l, l.text.length));
    return { text: out, base: cols[0], cols };
  }

  /** `~SEQ(var, [start,] [step,] end) text` and `~LST(var, v1, v2...) text` repeat `text` per value. */
  private sequence(l: Located, depth: number): void {
    const at = this.pos(colAt(l, 0));
    const close = l.text.indexOf(')');
    const m = /^~(SEQx?|LST)[ \t]*\(/.exec(l.text);
    if (!m || close < 0) {
      this.sink.error('invalid-seq', at, `invalid ${l.text.slice(0, 4)} specification '${l.text}'`);
      return;
    }
    const inner = this.substitute(slice(l, m[0].length, close))?.text ?? l.text.slice(m[0].length, close);
    let rest = close + 1;
    while (rest < l.text.length && (l.text[rest] === ' ' || l.text[rest] === '\t')) rest++;
    const template = slice(l, rest);
    const parsed = m[1] === 'LST' ? parseLst(inner) : parseSeq(m[1] === 'SEQx', inner, LIMITS.seqValues);
    if ('error' in parsed) {
      this.sink.error('invalid-seq', at, `invalid ~${m[1]} specification '${l.text}': ${parsed.error}`);
      return;
    }
    const { vars, sets } = parsed;
    for (const set of sets) {
      this.expansions++;
      if (this.overLimit()) return;
      vars.forEach((name, i) => this.defs.set(name, { lines: [set[i]], multiline: false }));
      this.logicalLine(template, depth + 1);
    }
  }

  /** `include GLOB` (and keepalived's includer/includem/includew/includeb/includea variants). */
  private include(l: Located): boolean {
    const m = /^include([rmwba])?[ \t]+/.exec(l.text);
    if (!m) return false;
    const at = this.pos(colAt(l, 0));
    const pattern = l.text.slice(m[0].length).trim();
    const abs = isAbsolute(pattern) ? pattern : join(this.frame.dir, pattern);
    let matches: string[];
    try {
      matches = this.source.glob(abs);
    } catch (e) {
      this.sink.error('include-unreadable', at, `cannot expand include '${pattern}': ${e instanceof Error ? e.message : e}`);
      return true;
    }
    if (matches.length === 0) {
      const wild = /[*?[{]/.test(pattern);
      if (wild) this.sink.warn('include-no-match', at, `no config files matched '${pattern}'`);
      else this.sink.error('include-missing', at, `config file '${pattern}' is missing`);
      return true;
    }
    const frame = this.frame;
    for (const path of matches) {
      const why = this.source.unusable(path);
      if (why) {
        this.sink.warn('include-skipped', at, `config file '${path}' ${why}; skipped`);
        continue;
      }
      this.readFile(path, at);
      this.frame = frame;
    }
    return true;
  }

  /** Emits the line, with every `{` and `}` outside quotes on a line of its own, as keepalived reads it. */
  private emitSplit(l: Located): void {
    let rest = l;
    for (let guard = 0; guard < 100_000 && rest.text; guard++) {
      const b = findBrace(rest.text);
      if (b < 0) {
        this.emit(rest);
        return;
      }
      if (b > 0) this.emit(trimEnd(slice(rest, 0, b)));
      this.emit(slice(rest, b, b + 1));
      let next = b + 1;
      while (next < rest.text.length && (rest.text[next] === ' ' || rest.text[next] === '\t')) next++;
      rest = slice(rest, next);
    }
  }

  private emit(l: Located): void {
    if (!l.text) return;
    const t = tokenize(l);
    if (t.unmatchedQuote !== undefined) {
      this.sink.error('unterminated-quote', this.pos(t.unmatchedQuote), 'unmatched quote: the rest of the line is ignored');
    }
    if (t.words.length === 0) return;
    this.generated++;
    this.out({ file: this.frame.file, line: this.frame.line, words: t.words, text: l });
  }
}

function trimEnd(l: Located): Located {
  let end = l.text.length;
  while (end > 0 && (l.text[end - 1] === ' ' || l.text[end - 1] === '\t')) end--;
  return slice(l, 0, end);
}
