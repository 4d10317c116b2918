// The syntax tree the parser builds: every node keeps its file, line and column.
import type { Located, Word } from './lexer.js';
import type { KeywordSpec } from './schema.js';

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

/** tokenize()'s white space: ' \t\f\n\r\v'. */
const isWhite = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/**
 * The parser's ConfNode, one object shape. A plain line (no quotes, escapes or substitutions) keeps
 * only offsets into its file's text: its arguments and text are made when asked for and not kept, so
 * the tree of a big config holds one small object per line and the young-generation collector has
 * little to copy. Other lines keep the words the preprocessor made (`eager`).
 */
export class SyntaxNode implements ConfNode {
  blockId: string | undefined = undefined;
  children: ConfNode[] | undefined = undefined;
  endLine: number | undefined = undefined;
  constructor(
    public keyword: string,
    public file: string,
    public line: number,
    public column: number,
    public spec: KeywordSpec | undefined,
    /** File text and [start, end) of the logical line, `base` the column of `start`; unused when eager. */
    private readonly src: string,
    private readonly start: number,
    private readonly end: number,
    private readonly base: number,
    private readonly eager: { args: Word[]; text: Located } | undefined,
  ) {}

  /** Words after the first, made afresh on each call for a plain line (the tree does not keep them). */
  get args(): Word[] {
    if (this.eager) return this.eager.args;
    const { src, end } = this;
    const out: Word[] = [];
    let i = this.skipFirst();
    while (i < end) {
      while (i < end && isWhite(src.charCodeAt(i))) i++;
      if (i >= end) break;
      const s = i;
      while (i < end && !isWhite(src.charCodeAt(i))) i++;
      out.push({ text: src.slice(s, i), column: this.base + (s - this.start), quoted: false });
    }
    return out;
  }

  /** The text of argument `i` alone (no Word objects), or undefined. */
  arg(i: number): string | undefined {
    if (this.eager) return this.eager.args[i]?.text;
    const { src, end } = this;
    let p = this.skipFirst();
    for (let k = 0; p < end; k++) {
      while (p < end && isWhite(src.charCodeAt(p))) p++;
      if (p >= end) break;
      const s = p;
      while (p < end && !isWhite(src.charCodeAt(p))) p++;
      if (k === i) return src.slice(s, p);
    }
    return undefined;
  }

  get text(): Located {
    return this.eager ? this.eager.text : { text: this.src.slice(this.start, this.end), base: this.base };
  }

  /** Offset just past the first word (the keyword or list item's first word). */
  private skipFirst(): number {
    const { src, end } = this;
    let i = this.start;
    while (i < end && isWhite(src.charCodeAt(i))) i++;
    while (i < end && !isWhite(src.charCodeAt(i))) i++;
    return i;
  }
}

/** Text of argument `i` of a node, without making the other arguments' words when it can. */
export const argText = (n: ConfNode | undefined, i = 0): string | undefined =>
  n instanceof SyntaxNode ? n.arg(i) : n?.args[i]?.text;

export const posOf = (n: { file: string; line: number; column: number }) => ({
  file: n.file,
  line: n.line,
  column: n.column,
});

export const argPos = (n: ConfNode, i: number) =>
  n.args[i] ? { file: n.file, line: n.line, column: n.args[i].column } : posOf(n);

const named = (c: ConfNode, keyword: string): boolean => c.keyword === keyword || c.spec?.name === keyword;

/** Children with this keyword. */
export function childrenNamed(n: ConfNode | undefined, keyword: string): ConfNode[] {
  const out: ConfNode[] = [];
  const children = n?.children;
  if (children) for (let i = 0; i < children.length; i++) if (named(children[i], keyword)) out.push(children[i]);
  return out;
}

/** The last child with this keyword (keepalived: a repeated keyword's last value wins). Allocates nothing. */
export function child(n: ConfNode | undefined, keyword: string): ConfNode | undefined {
  const children = n?.children;
  if (children) for (let i = children.length - 1; i >= 0; i--) if (named(children[i], keyword)) return children[i];
  return undefined;
}
