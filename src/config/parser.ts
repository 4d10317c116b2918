// Builds the syntax tree from preprocessed lines, driven by the keyword table, as keepalived reads blocks.
import { checkArgs } from './args.js';
import { type ChildRef, type ConfNode, posOf, SyntaxNode } from './ast.js';
import type { Pos } from './diagnostics.js';
import { type EagerLine, LeafNode, LeafStore } from './leaf-store.js';
import { PlainLine } from './fastline.js';
import { DiagnosticSink } from './diagnostics.js';
import { findKeyword, keywordTable } from './keywords/index.js';
import type { ConfigLine } from './preprocess.js';
import type { BlockSpec, KeywordSpec } from './schema.js';
import { didYouMean } from './suggest.js';
import { ArrayWords, SpanWords, type WordList } from './words.js';

/** Where each keyword name is valid, for "belongs in <block>" hints. */
let homes: Map<string, string[]> | undefined;
function blocksOf(word: string): string[] {
  if (!homes) {
    homes = new Map();
    for (const b of Object.values(keywordTable)) {
      for (const k of b.keywords ?? []) {
        for (const n of [k.name, ...(k.aliases ?? [])]) {
          const l = homes.get(n) ?? [];
          if (!l.includes(b.id)) l.push(b.id);
          homes.set(n, l);
        }
      }
    }
  }
  return homes.get(word) ?? [];
}

const NO_KEYWORDS: ReadonlyMap<string, KeywordSpec> = new Map();
const keywordMaps = new Map<string, ReadonlyMap<string, KeywordSpec>>();
/** The keywords of a block by name and alias (findKeyword's answers), one map per block. */
function keywordsOf(blockId: string): ReadonlyMap<string, KeywordSpec> {
  let m = keywordMaps.get(blockId);
  if (!m) {
    const block = keywordTable[blockId];
    if (!block?.keywords) m = NO_KEYWORDS;
    else {
      const built = new Map<string, KeywordSpec>();
      for (const k of block.keywords) for (const n of [k.name, ...(k.aliases ?? [])]) {
        const spec = findKeyword(blockId, n);
        if (spec && !built.has(n)) built.set(n, spec);
      }
      m = built;
    }
    keywordMaps.set(blockId, m);
  }
  return m;
}

const inners = new Map<KeywordSpec, { block: BlockSpec; keywords: ReadonlyMap<string, KeywordSpec> } | null>();
/** The block a keyword opens and its keywords, looked up once per keyword. */
function innerOf(spec: KeywordSpec): { block: BlockSpec; keywords: ReadonlyMap<string, KeywordSpec> } | null {
  let v = inners.get(spec);
  if (v === undefined) {
    const block = keywordTable[spec.block!];
    v = block ? { block, keywords: keywordsOf(block.id) } : null;
    inners.set(spec, v);
  }
  return v;
}

const blockId = (n: ConfNode): number => (n as SyntaxNode).id;

/** Children scanned for an earlier keyword before a block gets a Map of them. */
const SEEN_SCAN = 32;

const blockName = (id: string): string => (id === 'root' ? 'the top level' : id.replace(/\./g, ' > '));

export function parse(lines: readonly ConfigLine[], sink: DiagnosticSink): ConfNode[] {
  const p = new Parser(sink);
  for (let i = 0; i < lines.length; i++) p.line(lines[i]);
  return p.end();
}

interface Frame {
  block: BlockSpec;
  /**
   * The block's children so far, out[0, n): a scratch array of this depth, reused block after
   * block; they go into the store as one run when the block closes (no array per block: a big
   * config has tens of thousands of two-child blocks).
   */
  out: ChildRef[];
  n: number;
  /**
   * Keywords set in this block so far, for duplicate warnings: found by scanning `out` back to
   * `seenFrom` while the block is small (no Map and no position object per block and keyword, the
   * bulk of a big config's blocks hold two or three leaves), in a Map once it has grown.
   */
  seen: Map<string, ChildRef> | undefined;
  seenFrom: number;
  /** The block's keywords by name and alias. */
  keywords: ReadonlyMap<string, KeywordSpec>;
  /** The keyword whose block this is (absent for the top level). */
  owner: SyntaxNode | undefined;
}

const OPEN = 123; // {
const CLOSE = 125; // }
const isLone = (w: WordList, brace: number): boolean => w.length === 1 && w.isChar(0, brace);

/**
 * Builds the tree from lines pushed one at a time (`line()`, then `end()`), so the preprocessor's
 * per-line data dies as soon as the line is read. A block keyword waits for the next line to see
 * whether it opens its `{`, as keepalived reads it.
 */
export class Parser {
  private readonly store = new LeafStore();
  private readonly stack: Frame[] = [{ block: keywordTable.root, out: [], n: 0, seen: undefined, seenFrom: 0, keywords: keywordsOf('root'), owner: undefined }];
  /** Scratch arrays for the children of open blocks, by depth. */
  private readonly scratch: ChildRef[][] = [];
  /** Depth of a `{ ... }` being skipped (after an unknown keyword or a stray `{`). */
  private skipDepth = 0;
  /** A block keyword read on the previous line, waiting for its `{`. */
  private pending: SyntaxNode | undefined;
  /** An unknown keyword read on the previous line: a `{` next opens a block skipped whole. */
  private pendingUnknown = false;
  private lastFile = '';
  private lastLine = 0;
  private lastColumn = 1;
  /** The words of the line being read (valid during line() only): spans for a plain line. */
  private w: WordList;
  private readonly spans = new SpanWords();
  private readonly arrayWords = new ArrayWords();
  /** The line being read: a general-path line, or (eager undefined) the plain span src[spanStart, spanEnd) at column spanBase. */
  private eager: ConfigLine | undefined = undefined;
  private src = '';
  private spanStart = 0;
  private spanEnd = 0;
  private spanBase = 0;

  constructor(private readonly sink: DiagnosticSink) {
    this.w = this.arrayWords;
  }

  line(l: ConfigLine): void {
    if (l instanceof PlainLine) {
      this.plain(l.file, l.line, l.src, l.start, l.end, l.base);
      return;
    }
    this.eager = l;
    this.w = this.arrayWords.reset(l.words);
    this.step(l.file, l.line);
  }

  /**
   * A plain line given as offsets into its file's text, src[start, end) at column `base`: the
   * preprocessor's fast path calls this directly, so no line object is made.
   */
  plain(file: string, line: number, src: string, start: number, end: number, base: number): void {
    this.eager = undefined;
    this.src = src;
    this.spanStart = start;
    this.spanEnd = end;
    this.spanBase = base;
    this.w = this.spans.reset(src, start, end, base);
    this.step(file, line);
  }

  private step(file: string, line: number): void {
    const w = this.w;
    this.lastFile = file;
    this.lastLine = line;
    this.lastColumn = w.column(0);
    if (this.skipDepth > 0) {
      if (isLone(w, OPEN)) this.skipDepth++;
      else if (isLone(w, CLOSE)) this.skipDepth--;
      return;
    }
    const node = this.pending;
    if (node) {
      this.pending = undefined;
      if (isLone(w, OPEN)) {
        this.open(node);
        return;
      }
      if (!node.spec!.blockOptional) this.sink.error('missing-brace', posOf(node), `'${node.spec!.name}' must be followed by a '{ ... }' block`);
    } else if (this.pendingUnknown) {
      this.pendingUnknown = false;
      if (isLone(w, OPEN)) {
        this.skipDepth = 1;
        return;
      }
    }
    this.bodyLine();
  }

  /** The end of input: what is still open is reported. Returns the top-level nodes. */
  end(): ConfNode[] {
    const node = this.pending;
    this.pending = undefined;
    if (node && !node.spec!.blockOptional) this.sink.error('missing-brace', posOf(node), `'${node.spec!.name}' must be followed by a '{ ... }' block`);
    this.pendingUnknown = false;
    const last = { file: this.lastFile, line: this.lastLine, column: this.lastColumn };
    if (this.skipDepth > 0) {
      this.skipDepth = 0;
      this.sink.error('unclosed-block', last, "a '{' block is not closed before the end of the configuration");
    }
    while (this.stack.length > 1) {
      const frame = this.stack.pop()!;
      const owner = frame.owner!;
      this.close(frame);
      owner.endLine = this.lastLine;
      this.sink.error('unclosed-block', posOf(owner), `block '${owner.spec!.name}' is not closed: '}' missing before the end of the configuration`);
    }
    const root = this.stack[0];
    const top: ConfNode[] = [];
    for (let k = 0; k < root.n; k++) {
      const r = root.out[k];
      top.push(typeof r === 'number' ? new LeafNode(this.store, r) : r);
    }
    return top;
  }

  private open(node: SyntaxNode): void {
    const spec = node.spec!;
    node.blockId = spec.block;
    node.setChildren(0, 0);
    const inner = innerOf(spec);
    if (!inner) {
      this.skipDepth = 1;
      return;
    }
    const depth = this.stack.length;
    const out = (this.scratch[depth] ??= []);
    this.stack.push({ block: inner.block, out, n: 0, seen: undefined, seenFrom: 0, keywords: inner.keywords, owner: node });
  }

  /** A block's children go from its scratch array into the store, as one run. */
  private close(frame: Frame): void {
    frame.owner!.setChildren(this.store.addChildren(frame.out, frame.n, blockId), frame.n);
  }

  private bodyLine(): void {
    const frame = this.stack[this.stack.length - 1];
    const { block } = frame;
    const w = this.w;
    if (isLone(w, CLOSE)) {
      if (this.stack.length === 1) {
        this.sink.error('extra-close-brace', this.at(0), "extra '}' with no block to close");
        // The top level starts afresh after a stray '}'.
        frame.seen = undefined;
        frame.seenFrom = frame.n;
        return;
      }
      this.stack.pop();
      this.close(frame);
      frame.owner!.endLine = this.lastLine;
      return;
    }
    if (isLone(w, OPEN)) {
      this.sink.error('unexpected-brace', this.at(0), `unexpected '{' in ${blockName(block.id)}; its block is skipped`);
      this.skipDepth = 1;
      return;
    }
    if (block.kind === 'list') {
      frame.out[frame.n++] = this.listItem(block);
      return;
    }
    const spec = frame.keywords.get(w.text(0));
    if (!spec) {
      this.unknown(block);
      this.pendingUnknown = true;
      return;
    }
    const node = this.keyword(spec);
    const prev = spec.multiple ? undefined : this.previous(frame, spec.name);
    if (prev !== undefined) {
      const p = this.posOfRef(prev);
      this.sink.warn('duplicate-keyword', this.at(0), `'${spec.name}' is set again; this value replaces the one on line ${p.line}`, {
        related: [{ file: p.file, line: p.line, column: p.column, message: 'first set here' }],
      });
    }
    frame.out[frame.n++] = node;
    if (frame.seen) {
      if (!spec.multiple) frame.seen.set(spec.name, node);
    } else if (frame.n - frame.seenFrom > SEEN_SCAN) {
      frame.seen = new Map();
      for (let k = frame.seenFrom; k < frame.n; k++) {
        const s = this.specOfRef(frame.out[k]);
        if (s && !s.multiple) frame.seen.set(s.name, frame.out[k]);
      }
    }
    if (typeof node !== 'number') this.pending = node;
  }

  /** The latest child of the block set by the (non-multiple) keyword `name`. */
  private previous(frame: Frame, name: string): ChildRef | undefined {
    if (frame.seen) return frame.seen.get(name);
    for (let k = frame.n - 1; k >= frame.seenFrom; k--) {
      const s = this.specOfRef(frame.out[k]);
      if (s && !s.multiple && s.name === name) return frame.out[k];
    }
    return undefined;
  }

  private specOfRef(r: ChildRef): KeywordSpec | undefined {
    return typeof r === 'number' ? this.store.spec(r) : r.spec;
  }

  /** A child's keyword position, as at(l, 0) gave it when its line was read. */
  private posOfRef(r: ChildRef): Pos {
    return typeof r === 'number' ? { file: this.store.file(r), line: this.store.lineOf(r), column: this.store.columnOf(r) } : { file: r.file, line: r.line, column: r.column };
  }

  /** Where word `word` of the current line is (its last word when there are fewer). */
  private at(word: number): Pos {
    return { file: this.lastFile, line: this.lastLine, column: this.w.column(Math.min(word, this.w.length - 1)) };
  }

  private keyword(spec: KeywordSpec): ChildRef & (number | SyntaxNode) {
    const node = spec.block ? this.nodeOf(spec) : this.leafOf(spec);
    if (spec.deprecated) {
      this.sink.warn('deprecated-keyword', this.at(0), `'${this.w.text(0)}' is deprecated: ${spec.deprecated}`, {
        suggestion: spec.replacement,
      });
    }
    for (const p of checkArgs(spec.name, spec, this.w, 1)) {
      const pos = p.word < 0 ? this.at(0) : this.at(p.word + 1);
      this.sink.add(p.severity, p.code, pos, p.message, p.suggestion ? { suggestion: p.suggestion } : {});
    }
    return node;
  }

  private listItem(block: BlockSpec): number {
    const node = this.leafOf(undefined);
    if (block.item) {
      for (const p of checkArgs(blockName(block.id), block.item, this.w)) {
        this.sink.add(p.severity, p.code, this.at(Math.max(p.word, 0)), p.message, p.suggestion ? { suggestion: p.suggestion } : {});
      }
    }
    return node;
  }

  /** The tree's node for the current line: a plain line as offsets into its file's text, others with their words. */
  private nodeOf(spec: KeywordSpec): SyntaxNode {
    const column = this.w.column(0);
    const l = this.eager;
    return new SyntaxNode(this.store, this.leafOf(spec));
  }

  /** The current line as a leaf (keyword without a block, or list item) in the store: numbers, no object. */
  private leafOf(spec: KeywordSpec | undefined): number {
    const column = this.w.column(0);
    const l = this.eager;
    if (!l) return this.store.add(spec, this.lastFile, this.lastLine, column, this.src, this.spanStart, this.spanEnd, this.spanBase);
    return this.store.add(spec, l.file, l.line, column, eagerOf(l), 0, 0, 0);
  }

  private unknown(block: BlockSpec): void {
    const word = this.w.text(0);
    const names = (block.keywords ?? []).flatMap((k) => [k.name, ...(k.aliases ?? [])]);
    const suggestion = didYouMean(word, names);
    const elsewhere = blocksOf(word).filter((b) => b !== block.id);
    let message = `unknown keyword '${word}' in ${blockName(block.id)}`;
    if (suggestion) message += `; did you mean '${suggestion}'?`;
    else if (elsewhere.length) message += `; '${word}' belongs in ${elsewhere.map(blockName).join(' or ')}`;
    // An unknown keyword's own block (a `{` on the next line) is skipped whole, not reported line by line.
    this.sink.error('unknown-keyword', this.at(0), message, suggestion ? { suggestion } : {});
  }
}

const eagerOf = (l: ConfigLine): EagerLine => ({ first: l.words[0].text, args: l.words.slice(1), text: l.text });
