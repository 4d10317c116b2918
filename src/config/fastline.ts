// The preprocessor's fast path: most lines of a real config are plain (no quotes, escapes, `$`, `@`,
// `~SEQ` or include). Those are split into words straight from the file's text by offsets, with no
// intermediate strings or position maps; the result is exactly what the general path produces.
import type { Located, Word } from './lexer.js';
import type { LineConsumer } from './preprocess.js';
import { SpanWords } from './words.js';

/**
 * A line of the fast path: its text stays offsets into the file's text, src[start, end), `base` the
 * column of start. The parser reads its words as spans (words.ts); `words` makes them as objects
 * only for whoever asks (collectors, tests).
 */
export class PlainLine {
  private made: Word[] | undefined = undefined;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly src: string,
    readonly start: number,
    readonly end: number,
    readonly base: number,
  ) {}
  get words(): Word[] {
    return (this.made ??= new SpanWords().reset(this.src, this.start, this.end, this.base).words());
  }
  get text(): Located {
    return { text: this.src.slice(this.start, this.end), base: this.base };
  }
}

/** Where plain lines go as offsets (the parser takes them so; no object per line). */
export interface PlainSink {
  plain(file: string, line: number, src: string, start: number, end: number, base: number): void;
}

/** A PlainSink for a consumer of line objects (collectors, tests). */
export const plainSinkOf = (out: LineConsumer): PlainSink => ({
  plain: (file, line, src, start, end, base) => out(new PlainLine(file, line, src, start, end, base)),
});

const SPACE = 32;
const TAB = 9;
const isBlank = (c: number): boolean => c === SPACE || c === TAB;
/** tokenize()'s white space: ' \t\f\n\r\v'. */
const isWhite = (c: number): boolean => c === SPACE || (c >= 9 && c <= 13);

/**
 * Passes the logical lines of the physical line text[ls, le) to `out` when it is plain, and returns
 * how many it emitted; returns -1 (emitting nothing) when the line needs the general path.
 */
export function plainLine(text: string, ls: number, le: number, file: string, line: number, out: PlainSink): number {
  let i = ls;
  while (i < le && isBlank(text.charCodeAt(i))) i++;
  if (i === le) return 0;
  const c0 = text.charCodeAt(i);
  if (c0 === 64 /* @ */ || c0 === 126 /* ~ */ || c0 === 36 /* $ */) return -1;
  if (c0 === 105 /* i */ && text.startsWith('include', i)) return -1;
  // One pass: a character that needs the general path, the comment, and whether any brace comes first.
  let stop = le;
  let brace = false;
  for (let j = i; j < le; j++) {
    const c = text.charCodeAt(j);
    if (c <= 36) {
      if (c === 34 /* " */ || c === 36 /* $ */) return -1;
      if (c === 35 /* # */ || c === 33 /* ! */) {
        stop = j;
        break;
      }
    } else if (c === 92 /* \ */) return -1;
    else if (c === 123 /* { */ || c === 125 /* } */) brace = true;
  }
  let b = stop;
  while (b > i && isBlank(text.charCodeAt(b - 1))) b--;
  if (!brace) return emit(text, i, b, ls, file, line, out);
  // Every `{` and `}` on a line of its own, as keepalived reads them (emitSplit in the general path).
  let emitted = 0;
  let p = i;
  while (p < b) {
    let q = p;
    while (q < b) {
      const c = text.charCodeAt(q);
      if (c === 123 /* { */ || c === 125 /* } */) break;
      q++;
    }
    if (q === b) return emitted + emit(text, p, b, ls, file, line, out);
    if (q > p) {
      let t = q;
      while (t > p && isBlank(text.charCodeAt(t - 1))) t--;
      emitted += emit(text, p, t, ls, file, line, out);
    }
    emitted += emit(text, q, q + 1, ls, file, line, out);
    p = q + 1;
    while (p < b && isBlank(text.charCodeAt(p))) p++;
  }
  return emitted;
}

/** One logical line text[s, e) (no quotes in it); columns are 1-based from the line start `ls`. */
function emit(text: string, s: number, e: number, ls: number, file: string, line: number, out: PlainSink): number {
  // A line of white space alone (\f, \v, \r between blanks) has no word: no line.
  let i = s;
  while (i < e && isWhite(text.charCodeAt(i))) i++;
  if (i >= e) return 0;
  out.plain(file, line, text, s, e, s - ls + 1);
  return 1;
}
