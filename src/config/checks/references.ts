// Names defined in one place and used in another (track_script -> vrrp_script, sync group members ...),
// driven by the table's `defines` / `ref` marks.
import { optionWord } from '../args.js';
import { type ConfNode, posOf, SyntaxNode } from '../ast.js';
import type { DiagnosticSink, Pos } from '../diagnostics.js';
import { keywordTable } from '../keywords/index.js';
import type { ArgSpec, BlockSpec, KeywordSpec, RefKind } from '../schema.js';
import { didYouMean } from '../suggest.js';

interface Use {
  kind: RefKind;
  name: string;
  pos: Pos;
}

const KIND_WORDS: Record<RefKind, string> = {
  vrrp_script: 'vrrp_script',
  vrrp_track_file: 'track file',
  vrrp_track_process: 'track process',
  vrrp_instance: 'vrrp_instance',
  vrrp_sync_group: 'vrrp_sync_group',
  virtual_server_group: 'virtual_server_group',
  bfd_instance: 'bfd_instance',
  net_namespace: 'net_namespace',
};

export function checkReferences(nodes: ConfNode[], sink: DiagnosticSink): void {
  const defs = new Map<RefKind, Map<string, Pos>>();
  const uses: Use[] = [];
  const one = (n: ConfNode, block: BlockSpec | undefined) => {
    if (n.spec) {
      if (namesAnything(n.spec)) {
        const args = n.args;
        const form = pickForm(n, args);
        for (let i = 0; i < form.length && i < args.length; i++) {
          const a = form[i];
          if (!a.defines && !a.ref) continue; // most arguments name nothing: no position object for them
          const w = args[i];
          if (optionWord(a, n.spec.options, w.text)) break; // options from here on, as args.ts reads them
          const pos = { file: n.file, line: n.line, column: w.column };
          if (a.defines) define(defs, a.defines, w.text, pos, sink);
          if (a.ref) uses.push({ kind: a.ref, name: w.text, pos });
        }
      }
    } else if (block?.item) {
      const a = block.item.args[0];
      if (a?.ref) uses.push({ kind: a.ref, name: n.keyword, pos: posOf(n) });
      if (a?.defines) define(defs, a.defines, n.keyword, posOf(n), sink);
    }
    if (n instanceof SyntaxNode) {
      if (n.count >= 0 && n.blockId) visitBlock(n, n.blockId);
    } else if (n.children && n.blockId) visit(n.children, n.blockId);
  };
  const visit = (list: ConfNode[], blockId: string) => {
    const block = keywordTable[blockId];
    for (const n of list) one(n, block);
  };
  // The parser's blocks: leaves that name nothing are passed over without becoming objects.
  const visitBlock = (parent: SyntaxNode, blockId: string) => {
    const facts = blockFacts(blockId);
    const block = facts.block;
    const count = parent.count;
    if (!facts.leavesName) {
      // No leaf of this block can name anything: only its blocks are visited (most of a big config).
      for (let k = 0; k < count; k++) if (parent.leafAt(k) < 0) one(parent.childAt(k), block);
      return;
    }
    const store = parent.leaves;
    for (let k = 0; k < count; k++) {
      const leaf = parent.leafAt(k);
      if (leaf >= 0) {
        const spec = store.spec(leaf);
        if (spec ? !namesAnything(spec) : !facts.itemNames) continue;
      }
      one(parent.childAt(k), block);
    }
  };
  visit(nodes, 'root');
  for (const u of uses) {
    const known = defs.get(u.kind);
    if (known?.has(u.name)) continue;
    const suggestion = known ? didYouMean(u.name, known.keys()) : undefined;
    sink.error('undefined-reference', u.pos, `${KIND_WORDS[u.kind]} '${u.name}' is not defined${suggestion ? `; did you mean '${suggestion}'?` : ''}`, suggestion ? { suggestion } : {});
  }
}

interface BlockFacts {
  block: BlockSpec | undefined;
  /** A list item names something (its first argument defines or refers). */
  itemNames: boolean;
  /** Some leaf of the block may name something: a list item, or a keyword without a block. */
  leavesName: boolean;
}

const facts = new Map<string, BlockFacts>();
/** What a block's leaves can name, worked out once per block id. */
function blockFacts(blockId: string): BlockFacts {
  let f = facts.get(blockId);
  if (!f) {
    const block = keywordTable[blockId];
    const item = block?.item?.args[0];
    const itemNames = !!(item?.ref || item?.defines);
    // A leaf is an item (spec-less) or a keyword of the block read without a block of its own.
    const leavesName = itemNames || block?.kind === 'list' || (block?.keywords ?? []).some((k) => namesAnything(k));
    f = { block, itemNames, leavesName };
    facts.set(blockId, f);
  }
  return f;
}

const naming = new WeakMap<KeywordSpec, boolean>();
/** Whether any argument of any form of the keyword defines or refers to a name (cached per keyword). */
function namesAnything(spec: KeywordSpec): boolean {
  let v = naming.get(spec);
  if (v === undefined) {
    const forms = spec.forms?.length ? spec.forms : [spec.args];
    v = forms.some((f) => f.some((a) => !!(a.defines || a.ref)));
    naming.set(spec, v);
  }
  return v;
}

function pickForm(n: ConfNode, args: ConfNode['args']): readonly ArgSpec[] {
  const spec = n.spec!;
  if (!spec.forms?.length) return spec.args;
  // The form whose leading fixed words (single-value enums) match, else the first.
  for (const f of spec.forms) {
    const ok = f.every((a, i) => !(a.type === 'enum' && a.values?.length === 1) || args[i]?.text === a.values[0]);
    if (ok) return f;
  }
  return spec.forms[0];
}

function define(defs: Map<RefKind, Map<string, Pos>>, kind: RefKind, name: string, pos: Pos, sink: DiagnosticSink): void {
  let m = defs.get(kind);
  if (!m) defs.set(kind, (m = new Map()));
  const prev = m.get(name);
  if (prev) {
    sink.error('duplicate-name', pos, `${KIND_WORDS[kind]} '${name}' is already defined at ${prev.file}:${prev.line}`, {
      related: [{ ...prev, message: 'first defined here' }],
    });
    return;
  }
  m.set(name, pos);
}
