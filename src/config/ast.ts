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

export const posOf = (n: { file: string; line: number; column: number }) => ({
  file: n.file,
  line: n.line,
  column: n.column,
});

export const argPos = (n: ConfNode, i: number) =>
  n.args[i] ? { file: n.file, line: n.line, column: n.args[i].column } : posOf(n);

/** Children with this keyword. */
export function childrenNamed(n: ConfNode | undefined, keyword: string): ConfNode[] {
  return n?.children?.filter((c) => c.keyword === keyword || c.spec?.name === keyword) ?? [];
}

/** The last child with this keyword (keepalived: a repeated keyword's last value wins). */
export function child(n: ConfNode | undefined, keyword: string): ConfNode | undefined {
  const all = childrenNamed(n, keyword);
  return all[all.length - 1];
}
