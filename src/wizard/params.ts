// Answers to the wizard's questions: parsing and checking one value against the keyword table,
// and the defaults (template value, computed suggestion, or the table's default). Pure: the host's
// interfaces, VRIDs in use and randomness come in through WizardEnv.
import { isIP } from 'node:net';
import { checkValue, isIpPrefix } from '../config/values.js';
import { findKeyword } from '../config/keywords/index.js';
import { render } from './render.js';
import type { ParamSpec } from './template.js';
import { resolveFeeds } from './template.js';

export type AnswerValue = string | string[];
export type Answers = Record<string, AnswerValue>;

export interface HostAddr {
  addr: string;
  prefix: number;
  family: 4 | 6;
}
export interface HostIf {
  name: string;
  addrs: HostAddr[];
}

export interface WizardEnv {
  /** VRIDs seen in configs on this machine and in --out. */
  usedVrids: ReadonlySet<number>;
  randomPassword: () => string;
  /** The host's interfaces; empty when unknown. */
  hostIfs: readonly HostIf[];
}

/** `ADDR:PORT` or `[V6ADDR]:PORT`; port optional when `needPort` is false. */
export function splitHostPort(text: string): { host: string; port?: string } {
  const b = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (b) return { host: b[1], port: b[2] };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const i = text.indexOf(':');
    return { host: text.slice(0, i), port: text.slice(i + 1) };
  }
  return { host: text }; // a bare IPv6 address or a host without port
}

export function familyOf(text: string): 4 | 6 | undefined {
  const f = isIP(text.split('/')[0]);
  return f === 4 || f === 6 ? f : undefined;
}

/** The address family a value of `p` must have, given the answers so far. */
function wantFamily(p: ParamSpec, answers: Answers): 4 | 6 | undefined {
  if (p.family === 4 || p.family === 6) return p.family;
  if (typeof p.family === 'string') {
    const v = answers[p.family];
    return typeof v === 'string' ? familyOf(v) : undefined;
  }
  return undefined;
}

const UNSAFE_WORD = /[\s"'{}#!$~\\]/;

/** Why `text` is not an acceptable value for `p` (one item of a list), or undefined. */
export function checkItem(p: ParamSpec, text: string, answers: Answers = {}): string | undefined {
  const fed = resolveFeeds(p.feeds);
  if (!fed) return `${p.name}: template feeds unknown keyword '${p.feeds}'`;
  const table = (t: string) => checkValue(fed.arg, t)?.message;
  const fam = wantFamily(p, answers);
  const famProblem = (addr: string) =>
    fam && familyOf(addr) !== fam ? `'${addr}' is not an IPv${fam} address (the VIP is IPv${fam})` : undefined;
  if (text === '') return 'an empty value';
  switch (p.type) {
    case 'vip':
      if (!isIpPrefix(text)) return `'${text}' is not an address or address/prefix`;
      return table(text) ?? famProblem(text);
    case 'address':
      if (!isIP(text)) return `'${text}' is not an IP address`;
      return table(text) ?? famProblem(text);
    case 'endpoint': {
      const { host, port } = splitHostPort(text);
      if (!isIP(host)) return `'${text}' is not ADDR:PORT (IPv6 as [ADDR]:PORT)`;
      if (port === undefined || port === '') return `'${text}' has no port (ADDR:PORT)`;
      const portArg = findKeyword('root', 'virtual_server')?.forms?.[0]?.[1];
      return famProblem(host) ?? (portArg ? checkValue(portArg, port)?.message : undefined);
    }
    case 'realserver': {
      const [hp, weight, extra] = text.split(',');
      if (extra !== undefined) return `'${text}' is not ADDR[:PORT][,WEIGHT]`;
      const { host, port } = splitHostPort(hp);
      if (!isIP(host)) return `'${text}' is not ADDR[:PORT][,WEIGHT] (IPv6 as [ADDR]:PORT)`;
      const rs = findKeyword('virtual_server', 'real_server');
      const w = findKeyword('real_server', 'weight')?.args[0];
      if (port !== undefined && rs?.args[1]) {
        const bad = checkValue(rs.args[1], port)?.message;
        if (bad) return bad;
      }
      if (weight !== undefined && w) {
        const bad = checkValue(w, weight)?.message;
        if (bad) return bad;
      }
      return famProblem(host);
    }
    case 'server': {
      const { host, port } = splitHostPort(text);
      if (!isIP(host) && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host)) return `'${host}' is not an address or host name`;
      const portArg = findKeyword('global_defs', 'smtp_server')?.args[1];
      return port !== undefined && portArg ? checkValue(portArg, port)?.message : undefined;
    }
    case 'script': {
      if (!text.startsWith('/')) return `'${text}' must start with an absolute path (keepalived runs scripts without a shell)`;
      if (/["\n]/.test(text)) return `'${text}' may not contain a double quote or a newline`;
      return undefined;
    }
    case 'password':
    case 'word':
      if (UNSAFE_WORD.test(text)) return `'${text}' may not contain blanks, quotes, braces or # ! $ ~ \\`;
      if (p.maxLength !== undefined && text.length > p.maxLength) return `'${text}' is longer than ${p.maxLength} characters`;
      return table(text);
    case 'enum':
      // A template's choices are a subset of the table's values (checkTemplate makes sure).
      if (p.choices) return p.choices.includes(text) ? undefined : `'${text}' is not one of ${p.choices.join(', ')}`;
      return table(text);
    case 'email':
      if (!/^[^@\s]+@[^@\s]+$/.test(text)) return `'${text}' is not an email address`;
      return table(text);
    default:
      return table(text);
  }
}

/** Splits typed or flag text into list items: commas or blanks; scripts (which have blanks) and real servers (ADDR,WEIGHT) use ;. */
export function splitList(p: ParamSpec, text: string): string[] {
  const sep = p.type === 'script' ? /\s*;\s*/ : p.type === 'realserver' ? /[\s;]+/ : /[\s,]+/;
  return text
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Checks a whole answer; returns the problems, each naming the question. */
export function checkAnswer(p: ParamSpec, v: AnswerValue, answers: Answers = {}): string[] {
  const items = Array.isArray(v) ? v : [v];
  if (!p.list && items.length !== 1) return [`--${flagName(p)}: expected one value, got ${items.length}`];
  if (p.list && p.count !== undefined && items.length > 0 && items.length !== p.count) {
    return [`--${flagName(p)}: expected ${p.count} values (one per node, in node order), got ${items.length}`];
  }
  const out: string[] = [];
  for (const it of items) {
    const bad = checkItem(p, it, answers);
    if (bad) out.push(`--${flagName(p)}: ${bad}`);
  }
  return out;
}

export const flagName = (p: ParamSpec): string => p.name.replaceAll('_', '-');

/** Whether `p` is asked at all, given the answers so far (its `when`). */
export function isAsked(p: ParamSpec, answers: Answers): boolean {
  if (!p.when) return true;
  const fam = /^(\w+)@([46])$/.exec(p.when);
  if (fam) {
    const v = answers[fam[1]];
    return typeof v === 'string' && familyOf(v) === Number(fam[2]);
  }
  const [name, want] = p.when.split('=');
  const v = answers[name];
  if (want === undefined) return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== '';
  return v === want;
}

/** The lowest VRID neither in use on this machine nor already taken by another answer. */
export function freeVrid(used: ReadonlySet<number>, answers: Answers): string | undefined {
  const taken = new Set(used);
  for (const v of Object.values(answers)) if (typeof v === 'string' && /^\d+$/.test(v)) taken.add(Number(v));
  for (let id = 1; id <= 255; id++) if (!taken.has(id)) return String(id);
  return undefined;
}

/** VRIDs of a template's other answers only (not priorities): keeps two suggested VRIDs apart. */
function vridAnswers(params: readonly ParamSpec[], answers: Answers): Answers {
  const out: Answers = {};
  for (const q of params) if (q.suggest === 'free-vrid' && answers[q.name] !== undefined) out[q.name] = answers[q.name];
  return out;
}

/** The default offered for `p`: the template's (rendered with earlier answers), a suggestion, or the table's. */
export function defaultFor(p: ParamSpec, answers: Answers, env: WizardEnv, params: readonly ParamSpec[] = []): AnswerValue | undefined {
  if (p.suggest === 'free-vrid') return freeVrid(env.usedVrids, vridAnswers(params, answers));
  if (p.suggest === 'random-password') return env.randomPassword();
  if (p.default !== undefined) {
    if (Array.isArray(p.default)) return [...p.default];
    const r = render(String(p.default), derivedForDefaults(answers), `default of ${p.name}`);
    return r.ok ? r.text.trim() : undefined;
  }
  const d = resolveFeeds(p.feeds)?.keyword?.default;
  // 'hostname' and the like are descriptions, not values; only take defaults the question accepts.
  if (d === undefined || typeof d === 'boolean') return undefined;
  return checkItem(p, String(d), answers) === undefined ? String(d) : undefined;
}

/** Answers plus `<vip>_addr` and `<vip>_host` ([ADDR] for IPv6) fields, for defaults like `{{vip_host}}:80`. */
function derivedForDefaults(answers: Answers): Record<string, AnswerValue> {
  const out: Record<string, AnswerValue> = { ...answers };
  for (const [k, v] of Object.entries(answers)) {
    if (typeof v !== 'string' || !isIpPrefix(v)) continue;
    const addr = v.split('/')[0];
    out[`${k}_addr`] = addr;
    out[`${k}_host`] = familyOf(addr) === 6 ? `[${addr}]` : addr;
  }
  return out;
}

/** Crypto-quality random auth_pass of 8 letters and digits (keepalived uses the first 8 characters). */
export function makeRandomPassword(randomBytes: (n: number) => Uint8Array): () => string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return () => {
    let s = '';
    // Rejection sampling keeps every character equally likely; bounded, bytes above 228 are rare.
    for (let round = 0; s.length < 8 && round < 64; round++) {
      for (const b of randomBytes(16)) {
        if (b < alphabet.length * Math.floor(256 / alphabet.length) && s.length < 8) s += alphabet[b % alphabet.length];
      }
    }
    return s;
  };
}
