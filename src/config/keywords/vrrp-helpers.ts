// Small builders shared by the global_defs, vrrp and bfd parts of the keyword table.
// They only shorten the table; every keyword still carries its own doc and facts.
import { arg, int, opt } from '../schema.js';
import type { ArgSpec, BlockSpec, KeywordSpec, OptionsSpec, RefKind } from '../schema.js';

type Extra = Partial<Omit<KeywordSpec, 'name' | 'doc'>>;

/** A keyword with positional args. */
export const kw = (name: string, args: readonly ArgSpec[], doc: string, extra: Extra = {}): KeywordSpec => ({
  name,
  args,
  doc,
  ...extra,
});

/** A bare flag: the keyword alone switches something on. */
export const flag = (name: string, doc: string, extra: Extra = {}): KeywordSpec => kw(name, [], doc, extra);

/** keepalived's check_true_false keywords: alone means on, or an explicit true/false (on/off, yes/no). */
export const onOff = (name: string, doc: string, extra: Extra = {}): KeywordSpec =>
  kw(name, [opt(arg('enabled', 'bool'))], doc, extra);

/** A notify-style script keyword (program plus arguments, usually quoted). */
export const scriptKw = (name: string, doc: string, extra: Extra = {}): KeywordSpec =>
  kw(name, [arg('script', 'script', { rest: true })], doc, extra);

/** A keyword that opens a block of one-per-line items. */
export const listKw = (name: string, block: string, doc: string, extra: Extra = {}): KeywordSpec =>
  kw(name, [], doc, { block, multiple: true, ...extra });

export const listBlock = (id: string, item: NonNullable<BlockSpec['item']>, doc: string): BlockSpec => ({
  id,
  kind: 'list',
  item,
  doc,
});

export const keywordBlock = (id: string, keywords: readonly KeywordSpec[], doc: string): BlockSpec => ({
  id,
  kind: 'keywords',
  keywords,
  doc,
});

/** `weight N [reverse|noreverse]` after a tracked object's name. */
export function weightOptions(min: number, max: number, noreverse = true): OptionsSpec {
  const o: Record<string, readonly ArgSpec[]> = { weight: [int('weight', min, max)], reverse: [] };
  if (noreverse) o.noreverse = [];
  return o;
}

/** Item shape of a track_* list: the tracked object's name, then an optional weight. */
export const trackItem = (ref: RefKind, min: number, max: number): NonNullable<BlockSpec['item']> => ({
  args: [arg('name', 'name', { ref })],
  options: weightOptions(min, max),
});
