// Assembles the ONE keyword table from its parts (one file per area of keepalived.conf).
import type { BlockSpec, KeywordSpec, KeywordTable } from '../schema.js';
import * as global from './global.js';
import * as vrrp from './vrrp.js';
import * as bfd from './bfd.js';
import * as lvs from './lvs.js';
import * as checkers from './checkers.js';

const parts = [global, vrrp, bfd, lvs, checkers];

function assemble(): KeywordTable {
  const table: Record<string, BlockSpec> = {};
  const root: KeywordSpec[] = [];
  for (const part of parts) {
    root.push(...part.rootKeywords);
    for (const block of part.blocks) {
      if (table[block.id]) throw new Error(`keyword table: block ${block.id} defined twice`);
      table[block.id] = block;
    }
  }
  table.root = { id: 'root', kind: 'keywords', keywords: root, doc: 'Top level of keepalived.conf.' };
  return table;
}

export const keywordTable: KeywordTable = assemble();

/** The spec of `word` in `blockId`, by name or alias. */
export function findKeyword(blockId: string, word: string): KeywordSpec | undefined {
  const block = keywordTable[blockId];
  if (!block?.keywords) return undefined;
  return lookup(blockId).get(word);
}

const lookups = new Map<string, Map<string, KeywordSpec>>();
function lookup(blockId: string): Map<string, KeywordSpec> {
  let m = lookups.get(blockId);
  if (!m) {
    m = new Map();
    for (const k of keywordTable[blockId]?.keywords ?? []) {
      m.set(k.name, k);
      for (const a of k.aliases ?? []) if (!m.has(a)) m.set(a, k);
    }
    lookups.set(blockId, m);
  }
  return m;
}
