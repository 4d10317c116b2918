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

/**
 * A line's text kept as offsets into its file's text until someone asks for it (few do): a config of a
 * million lines then holds no copy of each line.
 */
export class LineText {
  constructor(
    readonly src: string,
    readonly start: number,
    readonly end: number,
    readonly base: number,
  ) {}
  located(): Located {
    return { text: this.src.slice(this.start, this.end), base: this.base };
  }
}

/** The parser's ConfNode: every field set from the start (one object shape), `text` made on demand. */
export class SyntaxNode implements ConfNode {
  blockId: string | undefined = undefined;
  children: ConfNode[] | undefined = undefined;
  endLine: number | undefined = undefined;
  constructor(
    public keyword: string,
    public args: Word[],
    public file: string,
    public line: number,
    public column: number,
    public spec: KeywordSpec | undefined,
    private readonly source: LineText | Located,
  ) {}
  get text(): Located {
    return this.source instanceof LineText ? this.source.located() : this.source;
  }
}

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
