// The LVS and checker part of the keyword table: structural checks, then the real keepalived
// 2.2.7 as oracle for which keywords it knows (and which it must not know yet: `since`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgSpec, BlockSpec, KeywordSpec } from '../../src/config/schema.js';
import * as lvs from '../../src/config/keywords/lvs.js';
import * as checkers from '../../src/config/keywords/checkers.js';
import { findKeyword, keywordTable } from '../../src/config/keywords/index.js';
import { isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest, makeOracleNetns } from '../helpers/oracle.js';

const myBlocks: BlockSpec[] = [...lvs.blocks, ...checkers.blocks];
const myRoot: KeywordSpec[] = [...lvs.rootKeywords, ...checkers.rootKeywords];
const byId = new Map(myBlocks.map((b) => [b.id, b]));
const ORACLE_VERSION = '2.2.7';

/** Every ArgSpec a keyword or list item can take: args, forms and options. */
function argsOf(x: Pick<KeywordSpec, 'args' | 'forms' | 'options'>): ArgSpec[] {
  return [...x.args, ...(x.forms ?? []).flat(), ...Object.values(x.options ?? {}).flat()];
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

const knownIn = (k: KeywordSpec, v: string): boolean =>
  (!k.since || cmpVersion(k.since, v) <= 0) && (!k.until || cmpVersion(k.until, v) >= 0);

/** For each block: the chain of keywords from the top level that opens it. */
function parentChains(): Map<string, KeywordSpec[]> {
  const chains = new Map<string, KeywordSpec[]>();
  const queue: [KeywordSpec[], readonly KeywordSpec[]][] = [[[], myRoot]];
  for (let guard = 0; queue.length > 0 && guard < 1000; guard++) {
    const [chain, kws] = queue.shift()!;
    for (const k of kws) {
      if (!k.block || chains.has(k.block)) continue;
      const next = [...chain, k];
      chains.set(k.block, next);
      queue.push([next, byId.get(k.block)?.keywords ?? []]);
    }
  }
  return chains;
}

describe('LVS/checker keyword table: structure', () => {
  const allKeywords = [...myRoot, ...myBlocks.flatMap((b) => b.keywords ?? [])];

  it('has every block a keyword opens, and no block that nothing opens', () => {
    const opened = new Set(allKeywords.flatMap((k) => (k.block ? [k.block] : [])));
    for (const id of opened) expect(byId.has(id), `block ${id} is opened but not defined`).toBe(true);
    for (const b of myBlocks) expect(opened.has(b.id), `block ${b.id} is never opened`).toBe(true);
    expect(new Set(parentChains().keys())).toEqual(new Set(myBlocks.map((b) => b.id)));
  });

  it('has no duplicate keyword names or aliases within a block', () => {
    for (const [id, kws] of [['root', myRoot], ...myBlocks.map((b) => [b.id, b.keywords ?? []])] as const) {
      const seen = new Set<string>();
      for (const k of kws as KeywordSpec[]) {
        for (const n of [k.name, ...(k.aliases ?? [])]) {
          expect(seen.has(n), `${id}: ${n} appears twice`).toBe(false);
          seen.add(n);
        }
      }
    }
  });

  it('gives every enum values and every range min <= max', () => {
    const shapes = [...allKeywords, ...myBlocks.flatMap((b) => (b.item ? [b.item] : []))];
    for (const s of shapes) {
      for (const a of argsOf({ args: s.args, forms: s.forms, options: s.options })) {
        if (a.type === 'enum') {
          expect(a.values?.length, `${a.name}: enum without values`).toBeGreaterThan(0);
          expect(new Set(a.values).size).toBe(a.values!.length);
        } else expect(a.values, `${a.name}: values on a non-enum`).toBeUndefined();
        if (a.min !== undefined && a.max !== undefined) expect(a.min, a.name).toBeLessThanOrEqual(a.max);
        for (const n of [a.min, a.max]) if (n !== undefined) expect(Number.isFinite(n), a.name).toBe(true);
        if (a.type === 'int') {
          for (const n of [a.min, a.max]) if (n !== undefined) expect(Number.isInteger(n), a.name).toBe(true);
        }
      }
    }
  });

  it('documents every keyword and block in one line', () => {
    for (const x of [...allKeywords, ...myBlocks]) {
      const what = 'name' in x ? x.name : x.id;
      expect(x.doc.trim().length, `${what} has no doc`).toBeGreaterThan(10);
      expect(x.doc.includes('\n'), `${what}: doc spans lines`).toBe(false);
    }
  });

  it('shapes list blocks by item and keyword blocks by keywords', () => {
    for (const b of myBlocks) {
      if (b.kind === 'list') {
        expect(b.item, b.id).toBeDefined();
        expect(b.keywords, b.id).toBeUndefined();
      } else {
        expect(b.keywords?.length, b.id).toBeGreaterThan(0);
        expect(b.item, b.id).toBeUndefined();
      }
    }
  });

  it('keeps since/until/deprecation data coherent', () => {
    const names = new Set(allKeywords.map((k) => k.name));
    for (const k of allKeywords) {
      if (k.since) {
        expect(k.since).toMatch(/^2\.\d+\.\d+$/);
        expect(cmpVersion(k.since, '2.2.0'), k.name).toBeGreaterThan(0);
        expect(cmpVersion(k.since, '2.4.3'), k.name).toBeLessThanOrEqual(0);
      }
      if (k.until) expect(k.until).toMatch(/^2\.\d+\.\d+$/);
      if (k.replacement) {
        expect(k.deprecated, `${k.name} has a replacement but is not deprecated`).toBeTruthy();
        expect(names.has(k.replacement), `${k.name}: replacement ${k.replacement} unknown`).toBe(true);
      }
    }
  });

  it('links virtual_server group names to virtual_server_group definitions', () => {
    const defines = myRoot.flatMap((k) => argsOf(k)).filter((a) => a.defines === 'virtual_server_group');
    const refs = myRoot.flatMap((k) => argsOf(k)).filter((a) => a.ref === 'virtual_server_group');
    expect(defines).toHaveLength(1);
    expect(refs).toHaveLength(1);
    const bfdRef = byId.get('BFD_CHECK')!.keywords!.find((k) => k.name === 'name')!.args[0];
    expect(bfdRef?.ref).toBe('bfd_instance');
  });

  it('is part of the assembled table, with aliases resolved', () => {
    for (const b of myBlocks) expect(keywordTable[b.id]).toBe(b);
    for (const k of myRoot) expect(findKeyword('root', k.name)).toBe(k);
    expect(findKeyword('virtual_server', 'lb_algo')?.name).toBe('lvs_sched');
    expect(findKeyword('virtual_server', 'lb_kind')?.name).toBe('lvs_method');
    expect(findKeyword('SSL_GET.url', 'tls_compliant')?.since).toBe('2.2.8');
    expect(findKeyword('HTTP_GET.url', 'tls_compliant')).toBeUndefined();
  });
});

// ---- oracle ----

/** A value keepalived's parser reads without tripping over it (range minimum, first enum value...). */
function sampleValue(a: ArgSpec, n: number): string {
  switch (a.type) {
    case 'int':
      return String(a.min ?? 1);
    case 'float':
      return (a.min ?? 1).toFixed(6).replace(/\.?0+$/, '') || '0';
    case 'enum':
      return a.values?.[0] ?? 'x';
    case 'bool':
      return 'true';
    case 'ipaddr':
    case 'ipv4':
      return `192.0.2.${10 + n}`;
    case 'ipprefix':
      return `192.0.2.${10 + n}/32`;
    case 'ipv6':
      return `2001:db8::${10 + n}`;
    case 'port':
      return '80';
    case 'path':
      return '/tmp/kalvs-sample';
    case 'script':
      return '/bin/true';
    case 'interface':
      return 'eth0';
    case 'mac':
      return '02:00:00:00:00:01';
    case 'hex':
      return '00';
    case 'email':
      return 'ops@example.org';
    default:
      return 'sample';
  }
}

/** `args` of the first form (or the positional args), required ones only. */
function sampleArgs(k: Pick<KeywordSpec, 'args' | 'forms'>): string {
  const shape = k.forms?.[0] ?? k.args;
  return shape
    .filter((a) => !a.optional)
    .map((a, i) => sampleValue(a, i))
    .join(' ');
}

/** Definitions that values with `ref` point at, so handlers find what they refer to. */
const REF_PREAMBLE: Record<string, string> = {
  bfd_instance: 'bfd_instance sample {\n  neighbor_ip 192.0.2.99\n}',
  vrrp_track_file: 'track_file sample {\n  file /tmp/kalvs-sample\n}',
  virtual_server_group: 'virtual_server_group sample {\n  192.0.2.98 80\n}',
};

/**
 * Minimal bodies for blocks opened inside the block under test: keepalived 2.2.7 drops (and for
 * HTTP_GET/SSL_GET without a url even segfaults on) checkers that lack their required keyword.
 */
const MINIMAL_BODY: Record<string, string[]> = {
  HTTP_GET: ['url {', 'path /', '}'],
  SSL_GET: ['url {', 'path /', '}'],
  'HTTP_GET.url': ['path /'],
  'SSL_GET.url': ['path /'],
  MISC_CHECK: ['misc_path /bin/true'],
  FILE_CHECK: ['track_file sample'],
  BFD_CHECK: ['name sample'],
};

/** What keepalived must say about a line: nothing 'unknown' / exactly 'Unknown keyword' / anything. */
interface Expect {
  line: number;
  word: string;
  known: boolean;
}
const SENTINEL = 'zz_kalvs_sentinel';

/** One config exercising every keyword (and alias) of `block`, nested in its parents. */
function configFor(
  block: BlockSpec,
  chain: KeywordSpec[],
): { text: string; expects: Expect[]; quiet: number[]; complaint: number[] } {
  const lines: string[] = [...Object.values(REF_PREAMBLE).flatMap((p) => p.split('\n'))];
  const expects: Expect[] = [];
  const quiet: number[] = [];
  for (const p of chain) lines.push(`${p.name} ${sampleArgs(p)} {`.replace('  {', ' {'));
  const complaint: number[] = [];
  if (block.kind === 'list') {
    // A free `word` has no sample keepalived would accept; the other forms must pass silently.
    for (const form of block.item?.forms ?? [block.item!.args]) {
      if (form.some((a) => a.type === 'word')) continue;
      lines.push(form.filter((a) => !a.optional).map((a, i) => sampleValue(a, i)).join(' '));
      quiet.push(lines.length);
    }
    // Not an item: keepalived must complain, which proves the list was parsed.
    lines.push(SENTINEL);
    complaint.push(lines.length);
  } else {
    for (const k of block.keywords ?? []) {
      for (const name of [k.name, ...(k.aliases ?? [])]) {
        const argText = sampleArgs(k);
        lines.push(`${name}${argText ? ` ${argText}` : ''}${k.block ? ' {' : ''}`);
        expects.push({ line: lines.length, word: name, known: knownIn(k, ORACLE_VERSION) });
        if (k.block) lines.push(...(MINIMAL_BODY[k.block] ?? []), '}');
      }
    }
    // A word no keepalived knows: proves the block was really parsed, not skipped.
    lines.push(SENTINEL);
    expects.push({ line: lines.length, word: SENTINEL, known: false });
  }
  for (let i = 0; i < chain.length; i++) lines.push('}');
  return { text: `${lines.join('\n')}\n`, expects, quiet, complaint };
}

const canRunOracle = isRoot() && haveKeepalived();

describe.skipIf(!canRunOracle)('LVS/checker keywords against keepalived 2.2.7 -t', () => {
  let ns: { ns: string; dispose: () => void } | undefined;
  let dir = '';
  beforeAll(() => {
    ns = makeOracleNetns();
    dir = mkdtempSync(join(tmpdir(), 'kalvs-'));
  });
  afterAll(() => {
    ns?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const chains = parentChains();
  const cases = myBlocks.map((b) => ({ block: b, chain: chains.get(b.id) ?? [] }));
  // The top level too: only our own root keywords, with empty blocks.
  const rootBlock: BlockSpec = { id: 'root', kind: 'keywords', keywords: myRoot, doc: 'top level' };

  it.each([{ block: rootBlock, chain: [] as KeywordSpec[] }, ...cases].map((c) => [c.block.id, c] as const))(
    'block %s: known keywords accepted, newer ones unknown',
    (_id, { block, chain }) => {
      const { text, expects, quiet, complaint } = configFor(block, chain);
      const file = join(dir, `${block.id}.conf`);
      writeFileSync(file, text);
      const res = keepalivedTest(ns!.ns, file);
      const unknownAt = new Map<number, string>();
      for (const l of res.lines) {
        const m = /^Unknown keyword '(.*)'$/.exec(l.message);
        if (m && l.line !== undefined) unknownAt.set(l.line, m[1]!);
      }
      const wrong: string[] = [];
      for (const e of expects) {
        const got = unknownAt.get(e.line);
        if (e.known && got !== undefined) wrong.push(`line ${e.line}: keepalived does not know '${e.word}'`);
        if (!e.known && got !== e.word) wrong.push(`line ${e.line}: keepalived accepted '${e.word}'`);
      }
      for (const q of quiet) {
        const said = res.lines.filter((l) => l.line === q);
        if (said.length) wrong.push(`list item at line ${q}: ${said.map((l) => l.message).join('; ')}`);
      }
      // `deprecated` data: keepalived -t warns for those keywords and no others.
      for (const k of block.keywords ?? []) {
        const warned = new RegExp(`\\b${k.name}\\b.*deprecated`, 'i').test(res.raw);
        if (k.deprecated && !warned) wrong.push(`'${k.name}' is deprecated here but keepalived did not warn`);
        if (!k.deprecated && warned) wrong.push(`keepalived warns that '${k.name}' is deprecated`);
      }
      for (const c of complaint) {
        if (!res.lines.some((l) => l.line === c)) wrong.push(`line ${c}: no complaint about '${SENTINEL}'`);
      }
      expect(wrong, `${wrong.join('\n')}\n--- config ---\n${text}--- keepalived ---\n${res.raw}`).toEqual([]);
    },
  );
});
