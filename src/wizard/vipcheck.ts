// Checks a VIP against the host's interface (pure: the interface list comes in): it should lie in a
// subnet of that interface, and should not be an address the host already has.
import type { HostIf } from './params.js';
import { familyOf } from './params.js';

function toBigInt(addr: string, family: 4 | 6): bigint {
  if (family === 4) return addr.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
  // Expand :: and an embedded IPv4 tail, then read eight 16-bit groups.
  let a = addr.split('%')[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const n = toBigInt(v4[1], 4);
    a = `${a.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export function sameSubnet(a: string, b: string, prefix: number, family: 4 | 6): boolean {
  const bits = family === 4 ? 32 : 128;
  const shift = BigInt(bits - prefix);
  return toBigInt(a, family) >> shift === toBigInt(b, family) >> shift;
}

export interface VipCheck {
  /** The VIP with a prefix: the interface subnet's when none was typed. */
  vip: string;
  /** The VIP is outside every subnet of the interface (the interface has addresses of its family). */
  error?: string;
  warnings: string[];
}

/** Checks `vip` (ADDR[/LEN]) for interface `ifname`; unknown interfaces pass unchanged. */
export function checkVipOnHost(vip: string, ifname: string | undefined, hostIfs: readonly HostIf[]): VipCheck {
  const [addr, len] = vip.split('/');
  const family = familyOf(addr);
  const warnings: string[] = [];
  if (!family) return { vip, warnings };
  for (const i of hostIfs) {
    if (i.addrs.some((a) => a.family === family && toBigInt(a.addr, family) === toBigInt(addr, family))) {
      warnings.push(`${addr} is already in use on this host (${i.name}); a VIP must be an address no host owns`);
    }
  }
  const ifc = hostIfs.find((i) => i.name === ifname);
  // Link-local addresses say nothing about the subnets a VIP may live in.
  const subnets = (ifc?.addrs ?? []).filter((a) => a.family === family && !(family === 6 && a.addr.toLowerCase().startsWith('fe80')));
  if (!ifc || subnets.length === 0) return { vip, warnings };
  const home = subnets.find((a) => sameSubnet(a.addr, addr, a.prefix, family));
  if (!home) {
    const list = subnets.map((a) => `${a.addr}/${a.prefix}`).join(', ');
    return { vip, warnings, error: `${addr} is not in a subnet of ${ifname} (${list})` };
  }
  return { vip: len === undefined ? `${addr}/${home.prefix}` : vip, warnings };
}
