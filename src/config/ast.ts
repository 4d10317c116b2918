// The syntax tree the parser builds: every node keeps its file, line and column.
import type { Located, Word } from './lexer.js';
import type { KeywordSpec } from './schema.js';
import { LeafNode, type LeafStore } from './leaf-store.js';

export interface ConfNode {
  /** The keyword (or, in a list block, the item's first word). */
  keyword: string;
  /** Words after the keyword; in a list block, all the item's words after the first. */
  args: Word[];
  file: string;
  line: number;
  column: number;
  /** The table entry; absent for list items and unknown keywords. */
  spec?: KeywordSpec;
  /** Id of the block this node opened, and what was inside it. */
  blockId?: string;
  children?: ConfNode[];
  /** Line of the block's closing `}` (keepalived reports some block-level problems there). */
  endLine?: number;
  /** The line's preprocessed text, for keywords whose value is a command line. */
  text: Located;
}

/** A child of a block as the parser keeps it: a leaf's index in the LeafStore, or a block node. */
export type ChildRef = number | ConfNode;

/**
 * The parser's node for a keyword that may open a block, one small object shape: its own line (keyword,
 * position, words) is an entry of the LeafStore like any leaf's, and the leaves inside its block stay
 * there until someone asks for `children` (or child()/childrenNamed() finds them).
 */
export class SyntaxNode implements ConfNode {
  blockId: string | undefined = undefined;
  endLine: number | undefined = undefined;
  /** How many children the block has (-1: it never opened); they are the store's run from `from`. */
  count = -1;
  private from = 0;
  /** This node's number among the store's block nodes. */
  readonly id: number;
  private kids: ConfNode[] | undefined = undefined;
  constructor(
    private readonly store: LeafStore,
    /** The node's own line in the store. */
    private readonly i: number,
  ) {
    this.id = store.addBlock(this);
  }

  /** The block's children, `count` of them in the store's run from `from` (the parser sets them). */
  setChildren(from: number, count: number): void {
    this.from = from;
    this.count = count;
  }

  /** Child `k` as the parser keeps it: a leaf's index in the store, or a block node. */
  ref(k: number): ChildRef {
    const v = this.store.kid(this.from + k);
    return v >= 0 ? v : this.store.block(-1 - v);
  }

  get keyword(): string {
    return this.store.keyword(this.i);
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
  get spec(): KeywordSpec | undefined {
    return this.store.spec(this.i);
  }

  /** Words after the first, made afresh on each call for a plain line (the tree does not keep them). */
  get args(): Word[] {
    return this.store.args(this.i);
  }

  /** The text of argument `i` alone (no Word objects), or undefined. */
  arg(i: number): string | undefined {
    return this.store.arg(this.i, i);
  }

  get text(): Located {
    return this.store.text(this.i);
  }

  get children(): ConfNode[] | undefined {
    const count = this.count;
    if (count < 0) return undefined;
    const kids = (this.kids ??= new Array<ConfNode>(count));
    for (let k = 0; k < count; k++) kids[k] ??= this.childAt(k);
    return kids;
  }

  /** Child `k` as a ConfNode, made once (the same object every time). */
  childAt(k: number): ConfNode {
    const v = this.store.kid(this.from + k);
    // A block child is its own object already: no array of made children for it.
    if (v < 0) return this.store.block(-1 - v);
    const kids = (this.kids ??= new Array<ConfNode>(this.count));
    return (kids[k] ??= new LeafNode(this.store, v));
  }

  /** Whether child `k` is `keyword` (by keyword or spec name), without making it. */
  childIs(k: number, keyword: string): boolean {
    const v = this.store.kid(this.from + k);
    if (v < 0) return named(this.store.block(-1 - v), keyword);
    const spec = this.store.spec(v);
    return spec ? spec.name === keyword : this.store.keyword(v) === keyword;
  }

  /** Leaf index of child `k`, or -1 for a block child. */
  leafAt(k: number): number {
    const v = this.store.kid(this.from + k);
    return v >= 0 ? v : -1;
  }

  get leaves(): LeafStore {
    return this.store;
  }
}

/** The children that are blocks (keywords with a `{ }` of their own): leaves are not made into objects. */
export function blockChildren(n: ConfNode): ConfNode[] {
  if (!(n instanceof SyntaxNode)) return (n.children ?? []).filter((c) => !!c.spec?.block);
  const out: ConfNode[] = [];
  const count = n.count;
  for (let k = 0; k < count; k++) if (n.leafAt(k) < 0) out.push(n.childAt(k));
  return out;
}

/** Index of the last child `keyword` of a parser node, or -1. */
function lastIndex(n: SyntaxNode, keyword: string): number {
  for (let k = n.count - 1; k >= 0; k--) if (n.childIs(k, keyword)) return k;
  return -1;
}

/** Argument `i` of the last child `keyword` (a repeated keyword's last value wins), without making the child. */
export function childText(n: ConfNode | undefined, keyword: string, i = 0): string | undefined {
  if (!(n instanceof SyntaxNode)) return argText(child(n, keyword), i);
  const k = lastIndex(n, keyword);
  if (k < 0) return undefined;
  const leaf = n.leafAt(k);
  return leaf >= 0 ? n.leaves.arg(leaf, i) : argText(n.childAt(k), i);
}

/** Whether a child `keyword` exists, without making it. */
export function hasChild(n: ConfNode | undefined, keyword: string): boolean {
  return n instanceof SyntaxNode ? lastIndex(n, keyword) >= 0 : child(n, keyword) !== undefined;
}

/** Text of argument `i` of a node, without making the other arguments' words when it can. */
export const argText = (n: ConfNode | undefined, i = 0): string | undefined =>
  n instanceof SyntaxNode || n instanceof LeafNode ? n.arg(i) : n?.args[i]?.text;

export const posOf = (n: { file: string; line: number; column: number }) => ({
  file: n.file,
  line: n.line,
  column: n.column,
});

export const argPos = (n: ConfNode, i: number) =>
  n.args[i] ? { file: n.file, line: n.line, column: n.args[i].column } : posOf(n);

function named(c: ConfNode, keyword: string): boolean {
  return c.keyword === keyword || c.spec?.name === keyword;
}

/** Children with this keyword. */
export function childrenNamed(n: ConfNode | undefined, keyword: string): ConfNode[] {
  const out: ConfNode[] = [];
  if (n instanceof SyntaxNode) {
    // Only the matching children are made into objects.
    const count = n.count;
    for (let i = 0; i < count; i++) if (n.childIs(i, keyword)) out.push(n.childAt(i));
    return out;
  }
  const children = n?.children;
  if (children) for (let i = 0; i < children.length; i++) if (named(children[i], keyword)) out.push(children[i]);
  return out;
}

/** The last child with this keyword (keepalived: a repeated keyword's last value wins). Allocates nothing. */
export function child(n: ConfNode | undefined, keyword: string): ConfNode | undefined {
  if (n instanceof SyntaxNode) {
    for (let i = n.count - 1; i >= 0; i--) if (n.childIs(i, keyword)) return n.childAt(i);
    return undefined;
  }
  const children = n?.children;
  if (children) for (let i = children.length - 1; i >= 0; i--) if (named(children[i], keyword)) return children[i];
  return undefined;
}
