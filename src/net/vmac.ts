// VRRP virtual MAC interfaces (use_vmac), through rtnetlink as keepalived's vrrp_vmac.c: a macvlan in
// private mode on the instance's interface, MAC 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID
// (IPv6), no IPv6 link-local generated, the IPv4 settings keepalived sets (vmac: arp_ignore 1,
// accept_local 1, rp_filter 0, promote_secondaries 1; base: arp_ignore 1, arp_filter 1, put back when
// the last vmac on it goes), and up. One left by an earlier run is reused, fixed or replaced.
import { FlagsNew } from 'netlink';
import type { NetResult, VmacSpec } from './types.js';
import { AF_INET, AF_INET6, errnoCode, failureText, macText, show } from './rtnl-codec.js';
import type { RtnlPlumbing } from './rtnl-route-io.js';
import { attr } from './nlattr.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const MACVLAN_MODE_PRIVATE = 1;
const IFLA_INET_CONF = 1;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;
/** IPV4_DEVCONF_* (linux/ip.h). */
export const DEVCONF = { RP_FILTER: 8, ARPFILTER: 13, ARP_IGNORE: 19, PROMOTE_SECONDARIES: 20, ACCEPT_LOCAL: 23 } as const;

/** The vmac's MAC for a VRID and family, as keepalived makes it. */
export function vmacAddress(vrid: number, family: 4 | 6): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${(vrid & 255).toString(16).padStart(2, '0')}`;
}

/** Default vmac name, as keepalived's: PREFIX.VRID for both families (prefix: global vmac_prefix, else vrrp). */
export function vmacName(vrid: number, prefix = 'vrrp'): string {
  const suffix = `.${vrid}`;
  return `${prefix.slice(0, 15 - suffix.length)}${suffix}`;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** IFLA_LINKINFO payload for a private-mode macvlan. */
export function macvlanLinkinfo(): Buffer {
  return Buffer.concat([attr(IFLA_INFO_KIND, Buffer.from('macvlan')), attr(IFLA_INFO_DATA, attr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODE_PRIVATE)))]);
}

function* attrs(buf: Buffer): Generator<[number, Buffer]> {
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) return;
    yield [buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len)];
    off += (len + 3) & ~3;
  }
}

/** Kind and macvlan mode from an IFLA_LINKINFO payload. */
export function parseLinkinfo(buf: Buffer | undefined): { kind?: string; macvlanMode?: number } {
  const out: { kind?: string; macvlanMode?: number } = {};
  if (!buf) return out;
  for (const [t, p] of attrs(buf)) {
    if (t === IFLA_INFO_KIND) out.kind = p.toString('latin1').replace(/\0+$/, '');
    else if (t === IFLA_INFO_DATA) for (const [dt, dp] of attrs(p)) if (dt === IFLA_MACVLAN_MODE && dp.length === 4) out.macvlanMode = dp.readUInt32LE(0);
  }
  return out;
}

/** IPv4 devconf values from a link's IFLA_AF_SPEC[AF_INET] (IFLA_INET_CONF: u32 array, index = param - 1). */
export function parseInetConf(afInet: Buffer | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (!afInet) return out;
  for (const [t, p] of attrs(afInet)) {
    if (t !== IFLA_INET_CONF) continue;
    for (let i = 0; i + 4 <= p.length; i += 4) out.set(i / 4 + 1, p.readUInt32LE(i));
  }
  return out;
}

/** IFLA_AF_SPEC[AF_INET] that sets devconf values. */
export function inetConfSpec(values: [number, number][]): Buffer {
  return attr(IFLA_INET_CONF, Buffer.concat(values.map(([k, v]) => attr(k, u32(v)))));
}

export function vmacOps(p: RtnlPlumbing) {
  const { sock, timeout } = p;
  /** Base interfaces whose arp_ignore/arp_filter we changed: the values to put back, and how many vmacs use it. */
  const baseSaved = new Map<string, { ifindex: number; values: [number, number][]; users: Set<string> }>();

  async function getLink(ifname: string) {
    const r = await p.call(() => sock.getLink({}, { ifname }, { timeout }));
    if (!r.ok) return errnoCode(r.e) === 'ENODEV' ? { ok: true as const, value: null } : r;
    return { ok: true as const, value: r.value[0] ?? null };
  }

  async function setInetConf(ifindex: number, values: [number, number][]): Promise<Awaited<ReturnType<typeof p.call>>> {
    return p.call(() => sock.setLink({ family: 0, index: ifindex }, { afSpec: new Map([[AF_INET, inetConfSpec(values)]]) }, { timeout }));
  }

  async function ensureVmac(v: VmacSpec): Promise<NetResult<{ created: boolean }>> {
    const where = `vmac ${show(v?.ifname)} on ${show(v?.base)}`;
    const fail = (why: string): NetResult<{ created: boolean }> => ({ ok: false, error: `${where}: ${why}` });
    if (typeof v !== 'object' || v === null || typeof v.ifname !== 'string' || typeof v.base !== 'string') return fail('no vmac given');
    if (v.ifname.length > 15 || v.ifname === '' || /[\s/:]/.test(v.ifname)) return fail(`invalid interface name '${v.ifname}'`);
    const mac = typeof v.mac === 'string' && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(v.mac) ? Buffer.from(v.mac.split(':').map((h) => parseInt(h, 16))) : null;
    if (!mac) return fail(`invalid MAC '${show(v.mac)}'`);
    const base = await p.linkIndex(v.base);
    if (!base.ok) return fail(failureText(base.e));
    const found = await getLink(v.ifname);
    if (!found.ok) return fail(failureText(found.e));
    let update: number | null = null;
    if (found.value) {
      const l = found.value;
      const info = parseLinkinfo(l.attrs.linkinfo);
      const idx = l.data.index as number;
      if (info.kind !== 'macvlan') return fail('conflicts with an existing interface that is not a macvlan');
      const parent = l.attrs.link ? l.attrs.link.readUInt32LE(0) : undefined;
      if (parent !== base.value) {
        // A vmac of ours on another interface (an earlier configuration): replace it.
        const d = await p.call(() => sock.delLink({ index: idx }, {}, { timeout }));
        if (!d.ok) return fail(`cannot remove the old vmac on another interface: ${failureText(d.e)}`);
      } else if (macText(l.attrs.address) !== macText(mac) || info.macvlanMode !== MACVLAN_MODE_PRIVATE) {
        update = idx;
      } else {
        const up = await setUp(idx, v, false);
        return up.ok ? { ok: true, value: { created: false } } : fail(up.error);
      }
    }
    const linkinfo = macvlanLinkinfo();
    const r = update === null
      ? await p.call(() => sock.newLink({ family: 0 }, { ifname: v.ifname, link: u32(base.value), address: mac, linkinfo }, { flags: FlagsNew.CREATE | FlagsNew.EXCL, timeout }))
      : await p.call(() => sock.newLink({ family: 0, index: update as number }, { address: mac, linkinfo }, { timeout }));
    if (!r.ok) return fail(`cannot ${update === null ? 'create' : 'update'} the macvlan: ${failureText(r.e)}`);
    const made = await getLink(v.ifname);
    if (!made.ok || !made.value) return fail('created, but not found afterwards');
    const idx = made.value.data.index as number;
    const up = await setUp(idx, v, true);
    if (!up.ok) return fail(up.error);
    return { ok: true, value: { created: update === null } };
  }

  /** Address generation off (RFC 5798 7.4: no link-local from the virtual MAC), IPv4 settings, then up. */
  async function setUp(idx: number, v: VmacSpec, configure: boolean): Promise<NetResult> {
    // keepalived (vrrp_vmac.c) sets the ARP/rp_filter/promote_secondaries settings, here and on the
    // base interface, for IPv4 instances only; an IPv6 vmac has the IPv6 VRRP MAC 00:00:5e:00:02:xx.
    const ipv4 = !v.mac.toLowerCase().startsWith('00:00:5e:00:02:');
    if (configure) {
      const gen = await p.call(() => sock.setLink({ family: 0, index: idx }, { afSpec: new Map([[AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, Buffer.of(IN6_ADDR_GEN_MODE_NONE))]]) }, { timeout }));
      // IPv6 disabled in the namespace refuses this: nothing to generate then.
      if (!gen.ok && errnoCode(gen.e) !== 'EAFNOSUPPORT') return { ok: false, error: `cannot turn off IPv6 address generation: ${failureText(gen.e)}` };
      const conf = ipv4 ? await setInetConf(idx, [[DEVCONF.ARP_IGNORE, 1], [DEVCONF.ACCEPT_LOCAL, 1], [DEVCONF.RP_FILTER, 0], [DEVCONF.PROMOTE_SECONDARIES, 1]]) : { ok: true as const };
      if (!conf.ok) return { ok: false, error: `cannot set arp_ignore/accept_local/rp_filter: ${failureText(conf.e)}` };
    }
    const b = ipv4 ? await baseSettings(v) : { ok: true as const, value: undefined };
    if (!b.ok) return b;
    const up = await p.call(() => sock.setLink({ family: 0, index: idx, flags: { up: true }, change: { up: true } }, {}, { timeout }));
    return up.ok ? { ok: true, value: undefined } : { ok: false, error: `cannot set it up: ${failureText(up.e)}` };
  }

  /** arp_ignore 1 and arp_filter 1 on the base interface, remembering what it had. */
  async function baseSettings(v: VmacSpec): Promise<NetResult> {
    const saved = baseSaved.get(v.base);
    if (saved) {
      saved.users.add(v.ifname);
      return { ok: true, value: undefined };
    }
    const l = await getLink(v.base);
    if (!l.ok || !l.value) return { ok: false, error: `cannot read ${v.base}'s settings` };
    const conf = parseInetConf(l.value.attrs.afSpec?.get(AF_INET));
    const ignore = conf.get(DEVCONF.ARP_IGNORE);
    const filter = conf.get(DEVCONF.ARPFILTER);
    if (ignore === 1 && filter === 1) return { ok: true, value: undefined };
    const idx = l.value.data.index as number;
    const r = await setInetConf(idx, [[DEVCONF.ARP_IGNORE, 1], [DEVCONF.ARPFILTER, 1]]);
    if (!r.ok) return { ok: false, error: `cannot set arp_ignore/arp_filter on ${v.base}: ${failureText(r.e)}` };
    baseSaved.set(v.base, { ifindex: idx, values: [[DEVCONF.ARP_IGNORE, ignore ?? 0], [DEVCONF.ARPFILTER, filter ?? 0]], users: new Set([v.ifname]) });
    return { ok: true, value: undefined };
  }

  async function deleteLink(ifname: string): Promise<NetResult> {
    const l = await getLink(ifname);
    if (!l.ok) return { ok: false, error: `delete link ${show(ifname)}: ${failureText(l.e)}` };
    if (l.value) {
      const idx = l.value.data.index as number;
      const r = await p.call(() => sock.delLink({ index: idx }, {}, { timeout }));
      if (!r.ok && errnoCode(r.e) !== 'ENODEV') return { ok: false, error: `delete link ${ifname}: ${failureText(r.e)}` };
    }
    // The last vmac on a base interface gives it back its ARP settings.
    for (const [base, s] of baseSaved) {
      if (!s.users.delete(ifname) || s.users.size > 0) continue;
      baseSaved.delete(base);
      const r = await setInetConf(s.ifindex, s.values);
      if (!r.ok && errnoCode(r.e) !== 'ENODEV') return { ok: false, error: `restore arp_ignore/arp_filter on ${base}: ${failureText(r.e)}` };
    }
    return { ok: true, value: undefined };
  }

  return { ensureVmac, deleteLink };
}
