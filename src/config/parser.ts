// Builds the syntax tree from preprocessed lines, driven by the keyword table, as keepalived reads blocks.
import { checkArgs } from './args.js';
import { type ConfNode, LineText, SyntaxNode } from './ast.js';
import { PlainLine } from './fastline.js';
import type { Located } from './lexer.js';
import { DiagnosticSink } from './diagnostics.js';
import { findKeyword, keywordTable } from './keywords/index.js';
import type { ConfigLine } from './preprocess.js';
import type { BlockSpec, KeywordSpec } from './schema.js';
import { didYouMean } from './suggest.js';

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

const blockName = (id: string): string => (id === 'root' ? 'the top level' : id.replace(/\./g, ' > '));

export function parse(lines: readonly ConfigLine[], sink: DiagnosticSink): ConfNode[] {
  return new Parser(lines, sink).parseTop();
}

class Parser {
  private i = 0;
  constructor(
    private readonly lines: readonly ConfigLine[],
    private readonly sink: DiagnosticSink,
  ) {}

  parseTop(): ConfNode[] {
    const out: ConfNode[] = [];
    while (this.i < this.lines.length) {
      const closed = this.parseBlockBody(keywordTable.root, out, true);
      if (!closed) break;
      const l = this.lines[this.i - 1];
      this.sink.error('extra-close-brace', at(l, 0), "extra '}' with no block to close");
    }
    return out;
  }

  /** Reads lines into `out` until a `}` (returns true) or the end of input (returns false). */
  private parseBlockBody(block: BlockSpec, out: ConfNode[], top: boolean): boolean {
    const seen = new Map<string, ConfNode>();
    while (this.i < this.lines.length) {
      const l = this.lines[this.i++];
      const first = l.words[0].text;
      if (first === '}' && l.words.length === 1) return true;
      if (first === '{' && l.words.length === 1) {
        this.sink.error('unexpected-brace', at(l, 0), `unexpected '{' in ${blockName(block.id)}; its block is skipped`);
        this.skipBlock();
        continue;
      }
      if (block.kind === 'list') {
        out.push(this.listItem(block, l));
        continue;
      }
      const spec = findKeyword(block.id, first);
      if (!spec) {
        this.unknown(block, l);
        continue;
      }
      const node = this.keyword(spec, l);
      const prev = seen.get(spec.name);
      if (prev && !spec.multiple) {
        this.sink.warn('duplicate-keyword', at(l, 0), `'${spec.name}' is set again; this value replaces the one on line ${prev.line}`, {
          related: [{ file: prev.file, line: prev.line, column: prev.column, message: 'first set here' }],
        });
      }
      seen.set(spec.name, node);
      out.push(node);
    }
    return false;
  }

  private keyword(spec: KeywordSpec, l: ConfigLine): ConfNode {
    const node = new SyntaxNode(spec.name, l.words.slice(1), l.file, l.line, l.words[0].column, spec, textOf(l));
    if (spec.deprecated) {
      this.sink.warn('deprecated-keyword', at(l, 0), `'${l.words[0].text}' is deprecated: ${spec.deprecated}`, {
        suggestion: spec.replacement,
      });
    }
    for (const p of checkArgs(spec.name, spec, node.args)) {
      const pos = p.word < 0 ? at(l, 0) : at(l, p.word + 1);
      this.sink.add(p.severity, p.code, pos, p.message, p.suggestion ? { suggestion: p.suggestion } : {});
    }
    if (spec.block) {
      const next = this.lines[this.i];
      const hasOpen = next && next.words.length === 1 && next.words[0].text === '{';
      if (hasOpen) {
        this.i++;
      } else if (spec.blockOptional) {
        return node;
      } else {
        this.sink.error('missing-brace', at(l, 0), `'${spec.name}' must be followed by a '{ ... }' block`);
        return node;
      }
      const inner = keywordTable[spec.block];
      node.blockId = spec.block;
      node.children = [];
      if (!inner) {
        this.skipBlockBody();
        return node;
      }
      const closed = this.parseBlockBody(inner, node.children, false);
      node.endLine = this.lines[this.i - 1]?.line;
      if (!closed) {
        this.sink.error('unclosed-block', at(l, 0), `block '${spec.name}' is not closed: '}' missing before the end of the configuration`);
      }
    }
    return node;
  }

  private listItem(block: BlockSpec, l: ConfigLine): ConfNode {
    const node = new SyntaxNode(l.words[0].text, l.words.slice(1), l.file, l.line, l.words[0].column, undefined, textOf(l));
    if (block.item) {
      for (const p of checkArgs(blockName(block.id), block.item, l.words)) {
        this.sink.add(p.severity, p.code, at(l, Math.max(p.word, 0)), p.message, p.suggestion ? { suggestion: p.suggestion } : {});
      }
    }
    return node;
  }

  private unknown(block: BlockSpec, l: ConfigLine): void {
    const word = l.words[0].text;
    const names = (block.keywords ?? []).flatMap((k) => [k.name, ...(k.aliases ?? [])]);
    const suggestion = didYouMean(word, names);
    const elsewhere = blocksOf(word).filter((b) => b !== block.id);
    let message = `unknown keyword '${word}' in ${blockName(block.id)}`;
    if (suggestion) message += `; did you mean '${suggestion}'?`;
    else if (elsewhere.length) message += `; '${word}' belongs in ${elsewhere.map(blockName).join(' or ')}`;
    this.sink.error('unknown-keyword', at(l, 0), message, suggestion ? { suggestion } : {});
    // An unknown keyword's own block is skipped whole, so its contents are not reported line by line.
    const next = this.lines[this.i];
    if (next && next.words.length === 1 && next.words[0].text === '{') {
      this.i++;
      this.skipBlockBody();
    }
  }

  /** Skips a `{ ... }` whose `{` was just read. Iterative, so deep nesting costs no stack. */
  private skipBlock(): void {
    this.skipBlockBody();
  }

  private skipBlockBody(): void {
    let depth = 1;
    while (this.i < this.lines.length && depth > 0) {
      const w = this.lines[this.i++].words;
      if (w.length === 1 && w[0].text === '{') depth++;
      else if (w.length === 1 && w[0].text === '}') depth--;
    }
    if (depth > 0) {
      const l = this.lines[this.lines.length - 1];
      this.sink.error('unclosed-block', at(l, 0), "a '{' block is not closed before the end of the configuration");
    }
  }
}

/** The line's text, still as offsets when the fast path read it. */
const textOf = (l: ConfigLine): LineText | Located => (l instanceof PlainLine ? l.lineText : l.text);

function at(l: ConfigLine, word: number): { file: string; line: number; column: number } {
  const w = l.words[Math.min(word, l.words.length - 1)];
  return { file: l.file, line: l.line, column: w?.column ?? 1 };
}
