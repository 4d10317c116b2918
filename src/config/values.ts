// Value checks for one argument, driven by its ArgSpec: ranges, enums, addresses, names.
import { isIP } from 'node:net';
import type { ArgSpec } from './schema.js';

export interface ValueProblem {
  code: string;
  message: string;
  suggestion?: string;
}

const TRUE = ['true', 'on', 'yes'];
const FALSE = ['false', 'off', 'no'];

/** Only ASCII digits, at least one (nearly every number of a config): no regular expression needed. */
function allDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** keepalived's number syntax: decimal, or 0x hex where it reads with base 0. */
export function parseIntStrict(s: string): number | undefined {
  if (allDigits(s)) return Number(s);
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  return undefined;
}

export function parseDecimal(s: string): number | undefined {
  if (allDigits(s)) return Number(s);
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : undefined;
}

export function isIpPrefix(s: string, family?: 4 | 6): boolean {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const fam = isIP(addr);
  if (!fam || (family && fam !== family)) return false;
  if (slash < 0) return true;
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (fam === 4 ? 32 : 128);
}

/** Interface names: what the kernel accepts (IFNAMSIZ-1 bytes, no '/', ':' allowed only as an alias). */
export function isInterfaceName(s: string): boolean {
  return s.length > 0 && s.length <= 15 && !/[\s/]/.test(s) && s !== '.' && s !== '..';
}

function range(spec: ArgSpec, v: number, text: string, lo = spec.min, hi = spec.max): ValueProblem | undefined {
  if ((lo !== undefined && v < lo) || (hi !== undefined && v > hi)) {
    const span = lo !== undefined && hi !== undefined ? `${lo}-${hi}` : lo !== undefined ? `>= ${lo}` : `<= ${hi}`;
    return { code: 'value-out-of-range', message: `${spec.name} '${text}' is out of range (${span})` };
  }
  return undefined;
}

/** Why `text` is not a valid value for `spec`, or undefined when it is. */
export function checkValue(spec: ArgSpec, text: string): ValueProblem | undefined {
  switch (spec.type) {
    case 'int': {
      const v = parseIntStrict(text);
      if (v === undefined) return { code: 'invalid-number', message: `${spec.name} '${text}' is not a whole number` };
      return range(spec, v, text);
    }
    case 'float': {
      const v = parseDecimal(text);
      if (v === undefined) return { code: 'invalid-number', message: `${spec.name} '${text}' is not a number` };
      return range(spec, v, text);
    }
    case 'enum': {
      const values = spec.values ?? [];
      const ok = spec.ci ? values.some((v) => v.toLowerCase() === text.toLowerCase()) : values.includes(text);
      if (ok) return undefined;
      const close = values.find((v) => v.toLowerCase() === text.toLowerCase());
      return {
        code: 'invalid-value',
        message: `${spec.name} '${text}' is not one of ${values.join(', ')}`,
        suggestion: close,
      };
    }
    case 'bool':
      if (TRUE.includes(text.toLowerCase()) || FALSE.includes(text.toLowerCase())) return undefined;
      return { code: 'invalid-value', message: `${spec.name} '${text}' is not true/false (on/off, yes/no)` };
    case 'ipaddr':
    case 'ipv4':
    case 'ipv6': {
      const fam = isIP(text);
      const want = spec.type === 'ipv4' ? 4 : spec.type === 'ipv6' ? 6 : 0;
      if (!fam) return { code: 'invalid-address', message: `${spec.name} '${text}' is not an IP address` };
      if (want && fam !== want) return { code: 'invalid-address', message: `${spec.name} '${text}' is not an IPv${want} address` };
      return undefined;
    }
    case 'ipprefix':
      return isIpPrefix(text)
        ? undefined
        : { code: 'invalid-address', message: `${spec.name} '${text}' is not an IP address or prefix` };
    case 'port': {
      const v = parseIntStrict(text);
      if (v === undefined) {
        return /^[a-z][a-z0-9-]*$/i.test(text)
          ? undefined // a service name, resolved by getservbyname on the host
          : { code: 'invalid-number', message: `${spec.name} '${text}' is not a port number` };
      }
      return range(spec, v, text, spec.min ?? 0, spec.max ?? 65535);
    }
    case 'interface':
      return isInterfaceName(text)
        ? undefined
        : { code: 'invalid-interface', message: `${spec.name} '${text}' is not a valid interface name` };
    case 'mac':
      return /^([0-9a-f]{1,2}[:-]){5}[0-9a-f]{1,2}$/i.test(text)
        ? undefined
        : { code: 'invalid-value', message: `${spec.name} '${text}' is not a MAC address` };
    case 'hex':
      return /^(0x)?[0-9a-f]+$/i.test(text)
        ? undefined
        : { code: 'invalid-value', message: `${spec.name} '${text}' is not a hexadecimal value` };
    case 'email':
      return /^[^@\s]+@[^@\s]+$/.test(text) || /^[^@\s]+$/.test(text)
        ? undefined
        : { code: 'invalid-value', message: `${spec.name} '${text}' is not an email address` };
    default:
      return text.length === 0 && !spec.optional
        ? { code: 'missing-argument', message: `${spec.name} is empty` }
        : undefined;
  }
}

export function boolValue(text: string | undefined): boolean | undefined {
  if (text === undefined) return true;
  const t = text.toLowerCase();
  if (TRUE.includes(t)) return true;
  if (FALSE.includes(t)) return false;
  return undefined;
}
