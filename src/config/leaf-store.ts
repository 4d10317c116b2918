// Leaf lines of the syntax tree (keywords without a block, list items) as a struct of arrays: a big
// config's tree is mostly leaves, and one object per leaf is what made the young-generation collector
// copy nearly everything it saw. A leaf becomes a ConfNode object only when someone asks for it.
import type { Located, Word } from './lexer.js';
import type { KeywordSpec } from './schema.js';

/** tokenize()'s white space: ' \t\f\n\r\v'. */
const isWhite = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Offset just past the first word of src[start, end). */
function skipFirst(src: string, start: number, end: number): number {
  let i = start;
  while (i < end && isWhite(src.charCodeAt(i))) i++;
  while (i < end && !isWhite(src.charCodeAt(i))) i++;
  return i;
}

/** Words after the first of a plain line src[start, end) whose `start` is at column `base`. */
export function plainArgs(src: string, start: number, end: number, base: number): Word[] {
  const out: Word[] = [];
  let i = skipFirst(src, start, end);
  while (i < end) {
    while (i < end && isWhite(src.charCodeAt(i))) i++;
    if (i >= end) break;
    const s = i;
    while (i < end && !isWhite(src.charCodeAt(i))) i++;
    out.push({ text: src.slice(s, i), column: base + (s - start), quoted: false });
  }
  return out;
}

/** Argument `k` alone of a plain line, without making the others. */
export function plainArg(src: string, start: number, end: number, k: number): string | undefined {
  let p = skipFirst(src, start, end);
  for (let j = 0; p < end; j++) {
    while (p < end && isWhite(src.charCodeAt(p))) p++;
    if (p >= end) break;
    const s = p;
    while (p < end && !isWhite(src.charCodeAt(p))) p++;
    if (j === k) return src.slice(s, p);
  }
  return undefined;
}

/** A non-plain line's words and text, kept as made (quotes, substitutions). */
export interface EagerLine {
  first: string;
  args: Word[];
  text: Located;
}

const grow = (a: Int32Array, n: number): Int32Array<ArrayBuffer> => {
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
};

/** Interns values into a list, so a leaf stores a small index. */
class Interned<T> {
  readonly list: T[] = [];
  private readonly index = new Map<T, number>();
  id(v: T): number {
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(v);
      this.index.set(v, i);
    }
    return i;
  }
}

export class LeafStore {
  private n = 0;
  private line = new Int32Array(1024);
  private column = new Int32Array(1024);
  private start = new Int32Array(1024);
  private end = new Int32Array(1024);
  private base = new Int32Array(1024);
  /** Index into files; into srcs (plain) or eagers (other lines, negative: -1 - index). */
  private fileId = new Int32Array(1024);
  private srcId = new Int32Array(1024);
  /** Index into specs, -1 for a list item. */
  private specId = new Int32Array(1024);
  private readonly files = new Interned<string>();
  private readonly srcs = new Interned<string>();
  private readonly specs = new Interned<KeywordSpec>();
  private readonly eagers: EagerLine[] = [];

  /** Adds a leaf; `src` is a plain line's file text, or its words and text when not plain. */
  add(spec: KeywordSpec | undefined, file: string, line: number, column: number, src: string | EagerLine, start: number, end: number, base: number): number {
    const i = this.n++;
    if (i >= this.line.length) {
      const size = i + 1;
      this.line = grow(this.line, size);
      this.column = grow(this.column, size);
      this.start = grow(this.start, size);
      this.end = grow(this.end, size);
      this.base = grow(this.base, size);
      this.fileId = grow(this.fileId, size);
      this.srcId = grow(this.srcId, size);
      this.specId = grow(this.specId, size);
    }
    this.line[i] = line;
    this.column[i] = column;
    this.start[i] = start;
    this.end[i] = end;
    this.base[i] = base;
    this.fileId[i] = this.files.id(file);
    if (typeof src === 'string') this.srcId[i] = this.srcs.id(src);
    else this.srcId[i] = -1 - (this.eagers.push(src) - 1);
    this.specId[i] = spec ? this.specs.id(spec) : -1;
    return i;
  }

  /** The keyword (the spec's name), or a list item's first word. */
  keyword(i: number): string {
    const spec = this.specId[i];
    if (spec >= 0) return this.specs.list[spec].name;
    const s = this.srcId[i];
    if (s < 0) return this.eagers[-1 - s].first;
    const src = this.srcs.list[s];
    return src.slice(this.start[i], skipFirst(src, this.start[i], this.end[i]));
  }
  spec(i: number): KeywordSpec | undefined {
    const s = this.specId[i];
    return s < 0 ? undefined : this.specs.list[s];
  }
  file(i: number): string {
    return this.files.list[this.fileId[i]];
  }
  lineOf(i: number): number {
    return this.line[i];
  }
  columnOf(i: number): number {
    return this.column[i];
  }
  args(i: number): Word[] {
    const s = this.srcId[i];
    if (s < 0) return this.eagers[-1 - s].args;
    return plainArgs(this.srcs.list[s], this.start[i], this.end[i], this.base[i]);
  }
  arg(i: number, k: number): string | undefined {
    const s = this.srcId[i];
    if (s < 0) return this.eagers[-1 - s].args[k]?.text;
    return plainArg(this.srcs.list[s], this.start[i], this.end[i], k);
  }
  text(i: number): Located {
    const s = this.srcId[i];
    if (s < 0) return this.eagers[-1 - s].text;
    return { text: this.srcs.list[s].slice(this.start[i], this.end[i]), base: this.base[i] };
  }
}

/** A leaf as a ConfNode, made on demand (and then kept by its parent, so it stays the same object). */
export class LeafNode {
  readonly blockId: undefined = undefined;
  readonly children: undefined = undefined;
  readonly endLine: undefined = undefined;
  constructor(
    private readonly store: LeafStore,
    private readonly i: number,
  ) {}
  get keyword(): string {
    return this.store.keyword(this.i);
  }
  get spec(): KeywordSpec | undefined {
    return this.store.spec(this.i);
  }
  get file(): string {
    return this.store.file(this.i);
  }
  get line(): number {
    return this.store.lineOf(this.i);
  }
  get column(): number {
    return this.store.columnOf(this.i);
  }
  get args(): Word[] {
    return this.store.args(this.i);
  }
  arg(k: number): string | undefined {
    return this.store.arg(this.i, k);
  }
  get text(): Located {
    return this.store.text(this.i);
  }
}
