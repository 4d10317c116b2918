// Leaf lines of the syntax tree (keywords without a block, list items) as a struct of arrays: a big
// config's tree is mostly leaves, and one object per leaf is what made the young-generation collector
// copy nearly everything it saw. A leaf becomes a ConfNode object only when someone asks for it.
import type { Located, Word } from './lexer.js';
import type { ConfNode } from './ast.js';
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

// A leaf's fields, at i * STRIDE in one array (one allocation per growth, and a leaf's fields together).
const LINE = 0;
const COLUMN = 1;
const START = 2;
const END = 3;
const BASE = 4;
/** Index into files. */
const FILE = 5;
/** Index into srcs (plain lines), or into eagers (other lines) as -1 - index. */
const SRC = 6;
/** Index into specs, -1 for a list item. */
const SPEC = 7;
const STRIDE = 8;

export class LeafStore {
  private n = 0;
  private a = new Int32Array(1024 * STRIDE);
  private readonly files = new Interned<string>();
  private readonly srcs = new Interned<string>();
  private readonly specs = new Interned<KeywordSpec>();
  private readonly eagers: EagerLine[] = [];
  private lastFile: string | undefined = undefined;
  private lastFileId = -1;
  private lastSrc: string | undefined = undefined;
  private lastSrcId = -1;
  /**
   * The children of closed blocks, each block's a run of entries: a leaf's index, or -1 - the number
   * of a block node in `blocks` (an Int32Array outside the heap instead of one array per block).
   */
  private kids = new Int32Array(4096);
  private kidCount = 0;
  private readonly blocks: ConfNode[] = [];

  /** Numbers a block node, for its parent's run of children. */
  addBlock(node: ConfNode): number {
    return this.blocks.push(node) - 1;
  }

  /** Stores refs[0, n) (leaf indexes, or block nodes numbered by addBlock as `ids` gives them); returns where the run starts. */
  addChildren(refs: readonly (number | ConfNode)[], n: number, id: (node: ConfNode) => number): number {
    const from = this.kidCount;
    if (from + n > this.kids.length) {
      const b = new Int32Array(Math.max(from + n, this.kids.length * 2));
      b.set(this.kids);
      this.kids = b;
    }
    const kids = this.kids;
    for (let k = 0; k < n; k++) {
      const r = refs[k];
      kids[from + k] = typeof r === 'number' ? r : -1 - id(r);
    }
    this.kidCount = from + n;
    return from;
  }

  /** Entry `at` of the children runs: a leaf index (>= 0), or -1 - a block node's number. */
  kid(at: number): number {
    return this.kids[at];
  }

  block(id: number): ConfNode {
    return this.blocks[id];
  }

  /** Adds a leaf; `src` is a plain line's file text, or its words and text when not plain. */
  add(spec: KeywordSpec | undefined, file: string, line: number, column: number, src: string | EagerLine, start: number, end: number, base: number): number {
    const i = this.n++;
    const o = i * STRIDE;
    let a = this.a;
    if (o >= a.length) {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      this.a = a = b;
    }
    a[o + LINE] = line;
    a[o + COLUMN] = column;
    a[o + START] = start;
    a[o + END] = end;
    a[o + BASE] = base;
    // Runs of leaves share their file and text: the last ids are reused without a Map lookup.
    if (file !== this.lastFile) {
      this.lastFile = file;
      this.lastFileId = this.files.id(file);
    }
    a[o + FILE] = this.lastFileId;
    if (typeof src === 'string') {
      if (src !== this.lastSrc) {
        this.lastSrc = src;
        this.lastSrcId = this.srcs.id(src);
      }
      a[o + SRC] = this.lastSrcId;
    } else a[o + SRC] = -1 - (this.eagers.push(src) - 1);
    a[o + SPEC] = spec ? this.specs.id(spec) : -1;
    return i;
  }

  /** The keyword (the spec's name), or a list item's first word. */
  keyword(i: number): string {
    const o = i * STRIDE;
    const spec = this.a[o + SPEC];
    if (spec >= 0) return this.specs.list[spec].name;
    const s = this.a[o + SRC];
    if (s < 0) return this.eagers[-1 - s].first;
    const src = this.srcs.list[s];
    return src.slice(this.a[o + START], skipFirst(src, this.a[o + START], this.a[o + END]));
  }
  spec(i: number): KeywordSpec | undefined {
    const s = this.a[i * STRIDE + SPEC];
    return s < 0 ? undefined : this.specs.list[s];
  }
  file(i: number): string {
    return this.files.list[this.a[i * STRIDE + FILE]];
  }
  lineOf(i: number): number {
    return this.a[i * STRIDE + LINE];
  }
  columnOf(i: number): number {
    return this.a[i * STRIDE + COLUMN];
  }
  args(i: number): Word[] {
    const o = i * STRIDE;
    const s = this.a[o + SRC];
    if (s < 0) return this.eagers[-1 - s].args;
    return plainArgs(this.srcs.list[s], this.a[o + START], this.a[o + END], this.a[o + BASE]);
  }
  arg(i: number, k: number): string | undefined {
    const o = i * STRIDE;
    const s = this.a[o + SRC];
    if (s < 0) return this.eagers[-1 - s].args[k]?.text;
    return plainArg(this.srcs.list[s], this.a[o + START], this.a[o + END], k);
  }
  text(i: number): Located {
    const o = i * STRIDE;
    const s = this.a[o + SRC];
    if (s < 0) return this.eagers[-1 - s].text;
    return { text: this.srcs.list[s].slice(this.a[o + START], this.a[o + END]), base: this.a[o + BASE] };
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
