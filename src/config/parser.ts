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
  out: ChildRef[];
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
  private readonly top: ChildRef[] = [];
  private readonly stack: Frame[] = [{ block: keywordTable.root, out: this.top, seen: undefined, seenFrom: 0, keywords: keywordsOf('root'), owner: undefined }];
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

  constructor(private readonly sink: DiagnosticSink) {
    this.w = this.arrayWords;
  }

  line(l: ConfigLine): void {
    const w = (this.w = l instanceof PlainLine ? this.spans.reset(l.src, l.start, l.end, l.base) : this.arrayWords.reset(l.words));
    this.lastFile = l.file;
    this.lastLine = l.line;
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
    this.bodyLine(l);
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
      const owner = this.stack.pop()!.owner!;
      owner.endLine = this.lastLine;
      this.sink.error('unclosed-block', posOf(owner), `block '${owner.spec!.name}' is not closed: '}' missing before the end of the configuration`);
    }
    return this.top.map((r) => (typeof r === 'number' ? new LeafNode(this.store, r) : r));
  }

  private open(node: SyntaxNode): void {
    const spec = node.spec!;
    node.blockId = spec.block;
    node.refs = [];
    const inner = keywordTable[spec.block!];
    if (!inner) {
      this.skipDepth = 1;
      return;
    }
    this.stack.push({ block: inner, out: node.refs, seen: undefined, seenFrom: 0, keywords: keywordsOf(inner.id), owner: node });
  }

  private bodyLine(l: ConfigLine): void {
    const frame = this.stack[this.stack.length - 1];
    const { block } = frame;
    const w = this.w;
    if (isLone(w, CLOSE)) {
      if (this.stack.length === 1) {
        this.sink.error('extra-close-brace', this.at(l, 0), "extra '}' with no block to close");
        // The top level starts afresh after a stray '}'.
        frame.seen = undefined;
        frame.seenFrom = frame.out.length;
        return;
      }
      this.stack.pop();
      frame.owner!.endLine = l.line;
      return;
    }
    if (isLone(w, OPEN)) {
      this.sink.error('unexpected-brace', this.at(l, 0), `unexpected '{' in ${blockName(block.id)}; its block is skipped`);
      this.skipDepth = 1;
      return;
    }
    if (block.kind === 'list') {
      frame.out.push(this.listItem(block, l));
      return;
    }
    const spec = frame.keywords.get(w.text(0));
    if (!spec) {
      this.unknown(block, l);
      this.pendingUnknown = true;
      return;
    }
    const node = this.keyword(spec, l);
    const prev = spec.multiple ? undefined : this.previous(frame, spec.name);
    if (prev !== undefined) {
      const p = this.posOfRef(prev);
      this.sink.warn('duplicate-keyword', this.at(l, 0), `'${spec.name}' is set again; this value replaces the one on line ${p.line}`, {
        related: [{ file: p.file, line: p.line, column: p.column, message: 'first set here' }],
      });
    }
    frame.out.push(node);
    if (frame.seen) {
      if (!spec.multiple) frame.seen.set(spec.name, node);
    } else if (frame.out.length - frame.seenFrom > SEEN_SCAN) {
      frame.seen = new Map();
      for (let k = frame.seenFrom; k < frame.out.length; k++) {
        const s = this.specOfRef(frame.out[k]);
        if (s && !s.multiple) frame.seen.set(s.name, frame.out[k]);
      }
    }
    if (typeof node !== 'number') this.pending = node;
  }

  /** The latest child of the block set by the (non-multiple) keyword `name`. */
  private previous(frame: Frame, name: string): ChildRef | undefined {
    if (frame.seen) return frame.seen.get(name);
    for (let k = frame.out.length - 1; k >= frame.seenFrom; k--) {
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
  private at(l: ConfigLine, word: number): Pos {
    return { file: l.file, line: l.line, column: this.w.column(Math.min(word, this.w.length - 1)) };
  }

  private keyword(spec: KeywordSpec, l: ConfigLine): ChildRef & (number | SyntaxNode) {
    const column = this.w.column(0);
    const node = spec.block ? nodeOf(spec.name, spec, l, column, this.store) : leafOf(spec, l, column, this.store);
    if (spec.deprecated) {
      this.sink.warn('deprecated-keyword', this.at(l, 0), `'${this.w.text(0)}' is deprecated: ${spec.deprecated}`, {
        suggestion: spec.replacement,
      });
    }
    for (const p of checkArgs(spec.name, spec, this.w, 1)) {
      const pos = p.word < 0 ? this.at(l, 0) : this.at(l, p.word + 1);
      this.sink.add(p.severity, p.code, pos, p.message, p.suggestion ? { suggestion: p.suggestion } : {});
    }
    return node;
  }

  private listItem(block: BlockSpec, l: ConfigLine): number {
    const node = leafOf(undefined, l, this.w.column(0), this.store);
    if (block.item) {
      for (const p of checkArgs(blockName(block.id), block.item, this.w)) {
        this.sink.add(p.severity, p.code, this.at(l, Math.max(p.word, 0)), p.message, p.suggestion ? { suggestion: p.suggestion } : {});
      }
    }
    return node;
  }

  private unknown(block: BlockSpec, l: ConfigLine): void {
    const word = this.w.text(0);
    const names = (block.keywords ?? []).flatMap((k) => [k.name, ...(k.aliases ?? [])]);
    const suggestion = didYouMean(word, names);
    const elsewhere = blocksOf(word).filter((b) => b !== block.id);
    let message = `unknown keyword '${word}' in ${blockName(block.id)}`;
    if (suggestion) message += `; did you mean '${suggestion}'?`;
    else if (elsewhere.length) message += `; '${word}' belongs in ${elsewhere.map(blockName).join(' or ')}`;
    // An unknown keyword's own block (a `{` on the next line) is skipped whole, not reported line by line.
    this.sink.error('unknown-keyword', this.at(l, 0), message, suggestion ? { suggestion } : {});
  }
}

/** The tree's node for a line: a plain line as offsets into its file's text, others with their words. */
function nodeOf(keyword: string, spec: KeywordSpec | undefined, l: ConfigLine, column: number, store: LeafStore): SyntaxNode {
  if (l instanceof PlainLine) return new SyntaxNode(keyword, l.file, l.line, column, spec, l.src, l.start, l.end, l.base, undefined, store);
  return new SyntaxNode(keyword, l.file, l.line, column, spec, '', 0, 0, 0, eagerOf(l), store);
}

/** A leaf (keyword without a block, or list item) into the store: numbers, no object. */
function leafOf(spec: KeywordSpec | undefined, l: ConfigLine, column: number, store: LeafStore): number {
  if (l instanceof PlainLine) return store.add(spec, l.file, l.line, column, l.src, l.start, l.end, l.base);
  return store.add(spec, l.file, l.line, column, eagerOf(l), 0, 0, 0);
}

const eagerOf = (l: ConfigLine): EagerLine => ({ first: l.words[0].text, args: l.words.slice(1), text: l.text });
