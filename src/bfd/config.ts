// bfd_instance blocks read from the syntax tree with keepalived 2.2.7's rules (bfd_parser.c,
// bfd_data.c): milliseconds with up to 3 decimals kept in microseconds, a bad value ignored with a
// message (the default stays), no neighbor or mixed families disable the instance, a duplicate
// name or neighbor/source pair is ignored, ttl defaults to 255 (IPv4) or 64 (IPv6 hop limit),
// max_hops above the ttl is lowered to it and -1 turns the received TTL check off. Pure: no I/O.
import { isIP } from 'node:net';
import { child, posOf, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import { parseDecimal, parseIntStrict } from '../config/values.js';

export interface BfdInstanceConfig {
  name: string;
  neighbor: string;
  family: 4 | 6;
  source?: string;
  minRxUs: number;
  minTxUs: number;
  idleTxUs: number;
  mult: number;
  passive: boolean;
  /** TTL / hop limit we send with. */
  ttl: number;
  /** Hops a received packet may have crossed; null: no check (max_hops -1). */
  maxHops: number | null;
  /** Whose events: the VRRP process, the checker process (both when neither is named). */
  vrrp: boolean;
  checker: boolean;
}

export interface BfdIssue {
  where: string;
  message: string;
  /** Where keepalived reports it, and the config engine's code for it (validate / -t). */
  at?: { file: string; line: number; column: number };
  code?: string;
}

/** keepalived's BFD_INAME_MAX is 32 with the NUL. */
export const BFD_NAME_MAX = 31;
const MS_MAX = Math.floor(0xffffffff / 1000);

const word = (n: ConfNode | undefined, i = 0): string | undefined => n?.args[i]?.text;

/** `ms` with up to 3 decimals, in [lo, hi] ms, as microseconds. */
function msValue(text: string | undefined, lo: number, hi: number): number | undefined {
  if (text === undefined || !/^\d+(\.\d{1,3})?$/.test(text)) return undefined;
  const v = parseDecimal(text);
  if (v === undefined || v < lo || v > hi) return undefined;
  return Math.round(v * 1000);
}

const topLevel = (model: KeepalivedConfig) => model.nodes.filter((n) => n.keyword === 'bfd_instance' && n.children !== undefined);

function readOne(n: ConfNode, issues: BfdIssue[]): BfdInstanceConfig | null {
  const name = word(n) ?? '';
  const where = `bfd_instance ${name}`;
  const nbrNode = child(n, 'neighbor_ip') ?? child(n, 'neighbour_ip');
  const nbrWord = nbrNode?.keyword === 'neighbour_ip' ? 'neighbour' : 'neighbor';
  const neighbor = word(nbrNode);
  if (neighbor !== undefined && isIP(neighbor) === 0) {
    issues.push({ where, message: `Configuration error: BFD instance ${name} has malformed ${nbrWord} address ${neighbor}, ignoring instance` });
    return null;
  }
  if (neighbor === undefined) {
    issues.push({ where, message: `Configuration error: BFD instance ${name} has no ${nbrWord} address set, disabling instance`, at: posOf(n), code: 'bfd-no-neighbor' });
    return null;
  }
  const family = isIP(neighbor) as 4 | 6;
  let source = word(child(n, 'source_ip'));
  if (source !== undefined && isIP(source) === 0) {
    issues.push({ where, message: `Configuration error: BFD instance ${name} has malformed source address ${source}, ignoring` });
    source = undefined;
  }
  if (source !== undefined && isIP(source) !== family) {
    issues.push({
      where,
      message: `Configuration error: BFD instance ${name} source address ${source} and ${nbrWord} address ${neighbor} are not of the same family, disabling instance`,
      at: posOf(child(n, 'source_ip') ?? n),
      code: 'bfd-family',
    });
    return null;
  }
  const interval = (kw: string, lo: number, def: number): number => {
    const t = word(child(n, kw));
    if (t === undefined) return def * 1000;
    const v = msValue(t, lo, MS_MAX);
    if (v !== undefined) return v;
    issues.push({ where, message: `Configuration error: BFD instance ${name} ${kw} value ${t} is not valid (must be in range [${lo}-${MS_MAX}]), ignoring` });
    return def * 1000;
  };
  const int = (kw: string, lo: number, hi: number, label = kw): number | undefined => {
    const t = word(child(n, kw) ?? (kw === 'ttl' ? child(n, 'hoplimit') : undefined));
    if (t === undefined) return undefined;
    const v = parseIntStrict(t);
    if (v !== undefined && v >= lo && v <= hi) return v;
    issues.push({ where, message: `Configuration error: BFD instance ${name} ${label} value ${t} not valid (must be in range [${lo}-${hi}]), ignoring` });
    return undefined;
  };
  const ttl = int('ttl', 1, 255, 'ttl/hoplimit') ?? (family === 4 ? 255 : 64);
  const maxHopsRaw = int('max_hops', -1, 255) ?? 0;
  let maxHops: number | null = maxHopsRaw === -1 || maxHopsRaw === 255 ? null : maxHopsRaw;
  if (maxHops !== null && maxHops > ttl) {
    issues.push({ where, message: `BFD instance ${name}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit`, at: posOf(child(n, 'max_hops') ?? n), code: 'bfd-max-hops' });
    maxHops = ttl;
  }
  const vrrpKw = !!child(n, 'vrrp');
  const checkerKw = !!child(n, 'checker');
  return {
    name,
    neighbor,
    family,
    ...(source !== undefined ? { source } : {}),
    minRxUs: interval('min_rx', 1, 10),
    minTxUs: interval('min_tx', 1, 10),
    idleTxUs: interval('idle_tx', 1000, 1000),
    mult: int('multiplier', 1, 255) ?? 5,
    passive: !!child(n, 'passive'),
    ttl,
    maxHops,
    vrrp: vrrpKw || !checkerKw,
    checker: checkerKw || !vrrpKw,
  };
}

/** The BFD process's sessions. */
export function readBfdInstances(model: KeepalivedConfig, issues: BfdIssue[] = []): BfdInstanceConfig[] {
  const out: BfdInstanceConfig[] = [];
  for (const n of topLevel(model)) {
    const name = word(n) ?? '';
    if (name.length > BFD_NAME_MAX) {
      issues.push({
        where: `bfd_instance ${name}`,
        message: `Configuration error: BFD instance ${name} name too long (maximum length is ${BFD_NAME_MAX} characters) - ignoring`,
        at: posOf(n),
        code: 'bfd-name-too-long',
      });
      continue;
    }
    if (out.some((b) => b.name === name)) {
      issues.push({ where: `bfd_instance ${name}`, message: `Configuration error: BFD instance ${name} already configured - ignoring` });
      continue;
    }
    const b = readOne(n, issues);
    if (!b) continue;
    // Same neighbor: a clash when either has no source, or both have the same one.
    const dup = out.find((o) => o.neighbor === b.neighbor && (o.source === undefined || b.source === undefined || o.source === b.source));
    if (dup) {
      const what = b.source !== undefined ? `source/neighbor address ${b.source}/${b.neighbor}` : `neighbor address ${b.neighbor}`;
      issues.push({ where: `bfd_instance ${name}`, message: `Configuration error: BFD instance ${name} has duplicate ${what}, ignoring instance`, at: posOf(n), code: 'bfd-duplicate-neighbor' });
      continue;
    }
    out.push(b);
  }
  return out;
}

/** True when any bfd_instance is configured (keepalived then runs its BFD process). */
export function hasBfdConfig(model: KeepalivedConfig): boolean {
  return topLevel(model).length > 0;
}

export interface VrrpBfd {
  name: string;
  /** bfd_instance's `weight N [reverse]`: the default for track_bfd references. */
  weight: number;
  reverse: boolean;
}

/**
 * The bfd_instances the VRRP process knows (keepalived's VRRP process reads only names, weight and
 * the vrrp/checker keywords: one that names only `checker` is not trackable by VRRP).
 */
export function vrrpBfds(model: KeepalivedConfig, issues: BfdIssue[] = []): VrrpBfd[] {
  const out: VrrpBfd[] = [];
  for (const n of topLevel(model)) {
    const name = word(n) ?? '';
    if (name.length > BFD_NAME_MAX || out.some((b) => b.name === name)) continue;
    if (child(n, 'checker') && !child(n, 'vrrp')) continue;
    const w = child(n, 'weight');
    let weight = 0;
    let reverse = false;
    if (w) {
      const v = parseIntStrict(word(w) ?? '');
      if (v !== undefined && v >= -253 && v <= 253) weight = v;
      else issues.push({ where: `bfd_instance ${name}`, message: `Configuration error: BFD instance ${name} weight value ${word(w) ?? ''} not valid (must be in range [-253-253]), ignoring` });
      reverse = word(w, 1) === 'reverse';
    }
    out.push({ name, weight, reverse });
  }
  return out;
}
