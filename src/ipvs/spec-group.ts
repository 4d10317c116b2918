// virtual_server_group entries -> kernel services, as keepalived expands them (check_data.c
// alloc_vsg_entry, ipvswrapper.c ipvs_group_range_cmd): 'A-N' ends the last IPv4 octet (decimal) or
// the last IPv6 group (hex), 'A-B' names the end address, 'A/len' a whole block, 'fwmark N [inet|inet6]'.
// IPv6 ranges step through the last 16 bits only, as keepalived's loop does. Pure.
import type { VirtualServerGroup } from '../config/model.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../vrrp/codec-addr.js';
import { AF_INET, AF_INET6 } from './genl-codec.js';
import type { ServiceId } from './table.js';

/** A group bigger than this is refused rather than flooding the kernel (keepalived has no limit). */
export const MAX_GROUP_SERVICES = 65536;

function v4Range(spec: string): [number, number] | string {
  const slash = spec.indexOf('/');
  const dash = spec.indexOf('-');
  const head = spec.slice(0, slash >= 0 ? slash : dash >= 0 ? dash : undefined);
  const a = parseIpv4(head);
  if (!a) return `'${head}' is not an IPv4 address`;
  const start = Buffer.from(a).readUInt32BE(0);
  if (slash >= 0) {
    const len = Number(spec.slice(slash + 1));
    if (!/^\d+$/.test(spec.slice(slash + 1)) || len < 1 || len > 32) return `bad prefix length in '${spec}'`;
    const host = len === 32 ? 0 : 2 ** (32 - len) - 1;
    if ((start & host) !== 0) return `address mask bits not empty in '${spec}'`;
    return [start, start + host];
  }
  if (dash < 0) return [start, start];
  const tail = spec.slice(dash + 1);
  if (tail.includes('.')) {
    const b = parseIpv4(tail);
    if (!b) return `'${tail}' is not an IPv4 address`;
    const end = Buffer.from(b).readUInt32BE(0);
    return end < start ? `range end is less than range start in '${spec}'` : [start, end];
  }
  if (!/^\d+$/.test(tail) || Number(tail) > 255) return `range end '${tail}' is not 0-255 in '${spec}'`;
  const end = ((start & ~0xff) | Number(tail)) >>> 0;
  return end <= start ? `range end is not greater than range start in '${spec}'` : [start, end];
}

function v6Range(spec: string): [Uint8Array, number, number] | string {
  const slash = spec.indexOf('/');
  const dash = spec.indexOf('-');
  const head = spec.slice(0, slash >= 0 ? slash : dash >= 0 ? dash : undefined);
  const a = parseIpv6(head);
  if (!a) return `'${head}' is not an IPv6 address`;
  const last = (a[14]! << 8) | a[15]!;
  if (slash >= 0) {
    const len = Number(spec.slice(slash + 1));
    if (!/^\d+$/.test(spec.slice(slash + 1)) || len < 1 || len > 128) return `bad prefix length in '${spec}'`;
    for (let bit = len; bit < 128; bit++) if (a[bit >> 3]! & (0x80 >> (bit & 7))) return `address mask bits not empty in '${spec}'`;
    return [a, last, len >= 112 ? last | (2 ** (128 - len) - 1) : 0xffff];
  }
  if (dash < 0) return [a, last, last];
  const tail = spec.slice(dash + 1);
  if (tail.includes(':')) {
    const b = parseIpv6(tail);
    if (!b) return `'${tail}' is not an IPv6 address`;
    if (Buffer.compare(Buffer.from(b), Buffer.from(a)) < 0) return `range end is less than range start in '${spec}'`;
    return [a, last, (b[14]! << 8) | b[15]!];
  }
  if (!/^[0-9a-fA-F]{1,4}$/.test(tail)) return `range end '${tail}' is not hex 0-ffff in '${spec}'`;
  const end = parseInt(tail, 16);
  return end <= last ? `range end is not greater than range start in '${spec}'` : [a, last, end];
}

export function expandGroup(
  g: VirtualServerGroup, protocol: number, vsAf: number, problems: string[],
): { services: ServiceId[]; hasZeroPort: boolean } {
  const services: ServiceId[] = [];
  let hasZeroPort = false;
  for (const e of g.entries) {
    const where = `${e.pos.file}:${e.pos.line} virtual_server_group ${g.name}`;
    const words = e.text.split(/\s+/).filter(Boolean);
    if (words[0] === 'fwmark') {
      const mark = words[1] && /^\d+$/.test(words[1]) ? Number(words[1]) : NaN;
      if (!(mark >= 0 && mark <= 0xffffffff)) { problems.push(`${where}: fwmark '${words[1] ?? ''}' invalid - ignored`); continue; }
      const af = words[2] === 'inet6' ? AF_INET6 : words[2] === 'inet' ? AF_INET : vsAf || AF_INET;
      services.push({ af, protocol: 0, addr: '', port: 0, fwmark: mark });
      continue;
    }
    const spec = words[0] ?? '';
    const port = words[1] !== undefined && /^\d+$/.test(words[1]) ? Number(words[1]) : 0;
    if (port === 0) hasZeroPort = true;
    const budget = MAX_GROUP_SERVICES - services.length;
    if (spec.includes(':')) {
      const r = v6Range(spec);
      if (typeof r === 'string') { problems.push(`${where}: ${r} - ignored`); continue; }
      const [a, from, to] = r;
      if (to - from + 1 > budget) { problems.push(`${where}: '${spec}' makes more than ${MAX_GROUP_SERVICES} services - ignored`); continue; }
      const b = Uint8Array.from(a);
      for (let x = from; x <= to; x++) {
        b[14] = x >> 8; b[15] = x & 0xff;
        services.push({ af: AF_INET6, protocol, addr: formatIpv6(b), port, fwmark: 0 });
      }
    } else {
      const r = v4Range(spec);
      if (typeof r === 'string') { problems.push(`${where}: ${r} - ignored`); continue; }
      const [from, to] = r;
      if (to - from + 1 > budget) { problems.push(`${where}: '${spec}' makes more than ${MAX_GROUP_SERVICES} services - ignored`); continue; }
      const b = Buffer.alloc(4);
      for (let x = from; x <= to; x++) {
        b.writeUInt32BE(x >>> 0);
        services.push({ af: AF_INET, protocol, addr: formatIpv4(b), port, fwmark: 0 });
      }
    }
  }
  return { services, hasZeroPort };
}
