// rtnetlink (src/net/rtnl*.ts): the pure helpers here, then (as root) the real thing in a network
// namespace made for the test, checked against iproute2's own view (`ip -j`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { addressInfo, addressRequest, errnoCode, failureText, parseScope, scopeName } from '../../src/net/rtnl-codec.js';
import { diffViews, openWatch, RTNLGRP } from '../../src/net/rtnl-watch.js';
import { loadNative } from '../../src/net/native.js';
import type { AddressInfo, AddressSpec, LinkInfo } from '../../src/net/types.js';
import { addrMsg, linkMsg, routeMsg, RTM } from './fixtures/rtnl-msgs.mjs';
import { fakeWatch } from './fixtures/rtnl-fake.mjs';
import { spawnJsonLines } from './fixtures/rtnl-lines.mjs';
import { requireDist } from '../helpers/dist.js';

type Line = Record<string, unknown>;
type JsonLines = {
  c: ChildProcess;
  lines: Line[];
  waitFor(pred: (l: Line) => boolean, from?: number, ms?: number): Promise<number>;
  send(line: string): void;
  quit(): Promise<number | null>;
};

const repo = fileURLToPath(new URL('../..', import.meta.url));
const OPS = join(repo, 'test/net/fixtures/rtnl-ops.mjs');
const RACE = join(repo, 'test/net/fixtures/rtnl-dump-race.mjs');
const WATCH = join(repo, 'test/net/fixtures/rtnl-watch.mjs');
const NATIVE = join(repo, 'test/net/fixtures/rtnl-native.mjs');

describe('rtnl helpers', () => {
  it('reads scopes as ip does and prints them back', () => {
    expect(['global', 'universe', 'site', 'link', 'host', 'nowhere', 'LINK'].map(parseScope)).toEqual([0, 0, 200, 253, 254, 255, 253]);
    expect(['100', '0x10', '0', '255'].map(parseScope)).toEqual([100, 16, 0, 255]);
    expect(['lnk', '256', '-1', '', '0x100', '1.5'].map(parseScope)).toEqual([null, null, null, null, null, null]);
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), (n) => parseScope(scopeName(n)) === n));
  });

  it('builds a full IPv4 request and computes brd + / -', () => {
    const r = addressRequest('add', { ifname: 'eth0', family: 4, addr: '192.0.2.10', prefix: 24, scope: 'link', label: 'eth0:vip', brd: '+' });
    expect(r.ok && { ...r.value, local: [...r.value.local], brd: [...(r.value.brd ?? [])] }).toEqual({
      family: 4, local: [192, 0, 2, 10], prefix: 24, scope: 253, label: 'eth0:vip', brd: [192, 0, 2, 255], nodad: false,
    });
    const minus = addressRequest('add', { ifname: 'eth0', family: 4, addr: '192.0.2.10', prefix: 25, brd: '-' });
    expect(minus.ok && [...(minus.value.brd ?? [])]).toEqual([192, 0, 2, 0]);
    const host = addressRequest('add', { ifname: 'eth0', family: 4, addr: '192.0.2.10', prefix: 32, brd: '+' });
    expect(host.ok && host.value.brd).toBeUndefined();
    const v6 = addressRequest('add', { ifname: 'eth0', family: 6, addr: '2001:db8::1', prefix: 64, nodad: true });
    expect(v6.ok && v6.value.nodad).toBe(true);
  });

  it('refuses bad specs with the operation, address and interface in the message', () => {
    const bad: [Partial<AddressSpec>, string][] = [
      [{ label: 'foo:1' }, "add 192.0.2.10/24 dev eth0: label 'foo:1' must start with the interface name 'eth0'"],
      [{ label: 'eth0:abcdefghijk' }, "add 192.0.2.10/24 dev eth0: label 'eth0:abcdefghijk' is longer than 15 characters"],
      [{ brd: '192.0.2' }, "add 192.0.2.10/24 dev eth0: broadcast '192.0.2' is not an IPv4 address, '+' or '-'"],
      [{ prefix: 33 }, 'add 192.0.2.10/33 dev eth0: prefix must be 0-32'],
      [{ addr: '192.0.2.300' }, "add 192.0.2.300/24 dev eth0: '192.0.2.300' is not an IPv4 address"],
      [{ scope: 'lnk' }, "add 192.0.2.10/24 dev eth0: unknown scope 'lnk' (global, site, link, host, nowhere or 0-255)"],
      [{ nodad: true }, 'add 192.0.2.10/24 dev eth0: nodad applies to IPv6 addresses only'],
      [{ ifname: '' }, 'add 192.0.2.10/24 dev : no interface name'],
      [{ ifname: 'averyveryverylongname' }, "add 192.0.2.10/24 dev averyveryverylongname: invalid interface name 'averyveryverylongname'"],
      [{ family: 5 as 4 }, 'add 192.0.2.10/24 dev eth0: family must be 4 or 6, not 5'],
      [{ family: 6, addr: '2001:db8::1', prefix: 64, label: 'eth0:1' }, 'add 2001:db8::1/64 dev eth0: a label applies to IPv4 addresses only'],
      [{ family: 6, addr: '2001:db8::1', prefix: 64, brd: '+' }, 'add 2001:db8::1/64 dev eth0: a broadcast address applies to IPv4 addresses only'],
    ];
    for (const [over, msg] of bad) {
      const r = addressRequest('add', { ifname: 'eth0', family: 4, addr: '192.0.2.10', prefix: 24, ...over } as AddressSpec);
      expect(r).toEqual({ ok: false, error: msg });
    }
  });

  it('never throws on arbitrary specs', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), fc.anything(), (ifname, family, addr, prefix, label) => {
        const r = addressRequest('delete', { ifname, family, addr, prefix, label } as unknown as AddressSpec);
        return r.ok || r.error.startsWith('delete');
      }),
    );
    fc.assert(fc.property(fc.anything(), (spec) => {
      const r = addressRequest('add', spec as AddressSpec);
      return r.ok || r.error.startsWith('add');
    }));
  });

  it('turns kernel messages into AddressInfo and errors into words', () => {
    const v4 = addressInfo(
      {
        data: { family: 2, prefixlen: 24, scope: 0, index: 3, flags: { permanent: true } },
        attrs: { local: Buffer.from([192, 0, 2, 1]), label: 'eth0:a', broadcast: Buffer.from([192, 0, 2, 255]), flags: { secondary: true, permanent: true } },
      },
      (i) => (i === 3 ? 'eth0' : undefined),
    );
    expect(v4).toEqual({ ifindex: 3, ifname: 'eth0', family: 4, addr: '192.0.2.1', prefix: 24, scope: 'global', label: 'eth0:a', brd: '192.0.2.255', flags: ['secondary', 'permanent'] });
    const v6 = addressInfo(
      { data: { family: 10, prefixlen: 128, scope: 253, index: 9, flags: { nodad: true, homeaddress: true } }, attrs: { address: Buffer.from('20010db8000000000000000000000001', 'hex') } },
      () => undefined,
    );
    expect(v6).toEqual({ ifindex: 9, ifname: 'if9', family: 6, addr: '2001:db8::1', prefix: 128, scope: 'link', flags: ['nodad', 'home'], nodad: true });
    expect(addressInfo({ data: { family: 7, index: 1 }, attrs: { local: Buffer.alloc(4) } }, () => 'x')).toBeNull();
    expect(errnoCode(new Error('Request rejected: EADDRNOTAVAIL'))).toBe('EADDRNOTAVAIL');
    expect(failureText(new Error('Request rejected: ENODEV'))).toBe('no such interface');
    expect(failureText(Object.assign(new Error('x'), { code: 'EPERM' }))).toBe('operation not permitted (needs CAP_NET_ADMIN)');
    expect(failureText(new Error('Request rejected: EWHATEVER'))).toBe('EWHATEVER');
  });

  it('diffs what the subscriber was told against a fresh dump', () => {
    const link = (ifindex: number, up: boolean): LinkInfo => ({ ifindex, ifname: `eth${ifindex}`, mac: '', up, running: up, mtu: 1500 });
    const addr = (a: string): AddressInfo => ({ ifindex: 1, ifname: 'eth1', family: 4, addr: a, prefix: 32, scope: 'global', flags: ['permanent'] });
    const view = (ls: LinkInfo[], as: AddressInfo[]) => ({
      links: new Map(ls.map((l) => [l.ifindex, l])),
      addrs: new Map(as.map((a) => [`${a.family}|${a.ifindex}|${a.addr}/${a.prefix}`, a])),
    });
    const told = view([link(1, true), link(2, true)], [addr('192.0.2.1'), addr('192.0.2.2')]);
    const truth = view([link(1, false)], [addr('192.0.2.2'), addr('192.0.2.3')]);
    expect(diffViews(told, truth)).toEqual([
      { type: 'address', address: addr('192.0.2.1'), removed: true },
      { type: 'link', link: link(2, true), removed: true },
      { type: 'link', link: link(1, false), removed: false },
      { type: 'address', address: addr('192.0.2.3'), removed: false },
    ]);
    expect(diffViews(truth, truth)).toEqual([]);
  });
});

// ---- the watch's logic on an injected socket (no root): hand-built notifications, overflows, failures ----

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('rtnl watch logic (injected socket)', () => {
  it('subscribes to link and address groups, is ready at once, holds early notifications until the first dump names them', async () => {
    let open: () => void = () => undefined;
    const f = fakeWatch(norm, { gate: new Promise<void>((r) => (open = r)) });
    expect(f.sockets.map((s) => s.groups)).toEqual([[RTNLGRP.LINK, RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR]]);
    let ready = false;
    void f.watch.ready.then(() => (ready = true));
    await tick();
    expect(ready).toBe(true);
    // An IPv6 address carries no interface name: it must wait for the dump to know ifindex 2 is eth0.
    f.sockets[0]!.cb(null, [addrMsg(RTM.NEWADDR, { ifindex: 2, family: 6, addr: '2001:db8::5', prefix: 64, scope: 0, nodad: true })], false);
    await tick();
    expect(f.events).toEqual([]);
    open();
    await tick();
    expect(f.events).toEqual([
      { type: 'address', removed: false, address: { ifindex: 2, ifname: 'eth0', family: 6, addr: '2001:db8::5', prefix: 64, scope: 'global', flags: ['nodad', 'permanent'], nodad: true } },
    ]);
    // Several messages in one datagram, and several datagrams in one callback: kernel order kept;
    // an unchanged link (stats) and a route message give no event.
    const down = { ...f.eth0, up: false, running: false };
    f.sockets[0]!.cb(
      null,
      [
        Buffer.concat([linkMsg(RTM.NEWLINK, f.eth0), routeMsg(), linkMsg(RTM.NEWLINK, down)]),
        addrMsg(RTM.DELADDR, { ifindex: 2, family: 4, addr: '192.0.2.1', prefix: 24, scope: 0, label: 'eth0' }),
      ],
      false,
    );
    expect(f.events.slice(1).map((e) => (e.type === 'link' ? `link ${e.link.ifname} up=${e.link.up}` : `${e.removed ? '-' : '+'}${e.address.addr} ${e.address.label}`))).toEqual([
      'link eth0 up=false',
      '-192.0.2.1 eth0',
    ]);
    expect(f.counts.overflow).toBe(0);
    f.watch.close();
  });

  it('on overflow (and on a malformed datagram) resyncs: the subscriber ends up with the kernel view', async () => {
    const f = fakeWatch(norm);
    const start = f.truth();
    await tick();
    const extra: AddressInfo = { ifindex: 2, ifname: 'eth0', family: 4, addr: '198.51.100.1', prefix: 32, scope: 'global', flags: ['permanent'] };
    // The kernel changes a lot; only the first notification made it before the overflow.
    f.k.addrs = [extra, { ...extra, addr: '203.0.113.9', prefix: 24 }];
    f.k.links = [...f.k.links, { ifindex: 3, ifname: 'eth1', mac: '02:00:00:00:00:03', up: false, running: false, mtu: 9000 }];
    f.sockets[0]!.cb(null, [addrMsg(RTM.NEWADDR, { ...extra, scope: 0 })], true);
    expect(f.counts.overflow).toBe(1);
    expect(f.events.map((e) => e.type === 'address' && e.address.addr)).toEqual(['198.51.100.1']);
    await tick();
    expect(f.mirror()).toEqual(f.truth());
    expect(f.mirror()).not.toEqual(start);
    // A datagram too short for a netlink header counts as lost notifications too.
    f.k.links = f.k.links.filter((l) => l.ifindex !== 3);
    f.sockets[0]!.cb(null, [Uint8Array.of(1, 2, 3)], false);
    expect(f.counts.overflow).toBe(2);
    await tick();
    expect(f.mirror()).toEqual(f.truth());
    expect(f.sockets.length).toBe(1);
    f.watch.close();
  });

  it('a failed socket is replaced and the watch resyncs; the old socket is ignored; close is final and idempotent', async () => {
    const f = fakeWatch(norm);
    await tick();
    f.k.addrs = [];
    f.sockets[0]!.cb('rtnetlink watch: recvmsg: Bad file descriptor', [], false);
    expect(f.sockets[0]!.closed).toBe(true);
    expect(f.counts.overflow).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(f.sockets.length).toBe(2);
    expect(f.mirror()).toEqual(f.truth());
    const n = f.events.length;
    f.sockets[0]!.cb(null, [linkMsg(RTM.DELLINK, f.eth0)], false);
    expect(f.events.length).toBe(n);
    f.sockets[1]!.cb(null, [linkMsg(RTM.DELLINK, f.eth0)], false);
    expect(f.events.slice(n)).toEqual([{ type: 'link', link: f.eth0, removed: true }]);
    f.watch.close();
    f.watch.close();
    expect([f.sockets[1]!.closed, f.counts.close]).toEqual([true, 1]);
    f.sockets[1]!.cb(null, [linkMsg(RTM.NEWLINK, f.eth0)], true);
    expect([f.events.length, f.counts.overflow]).toEqual([n + 1, 1]);
    const failed = openWatch(() => undefined, {
      recvBuffer: 0, dumpLinks: async () => ({ ok: true, value: [] }), dumpAddresses: async () => ({ ok: true, value: [] }), onClose: () => undefined,
      openSocket: () => ({ ok: false, error: 'rtnetlink watch: socket: Address family not supported by protocol' }),
    });
    expect(failed).toEqual({ ok: false, error: 'rtnetlink watch: socket: Address family not supported by protocol' });
  });

  it('the addon refuses bad arguments with a message, never a throw', () => {
    const n = loadNative();
    expect(n.ok, n.ok ? '' : n.error).toBe(true);
    if (!n.ok) return;
    const cb = () => undefined;
    const bad: [unknown[], string][] = [
      [[], 'rtnlOpen: expects (groups, recvBuffer, callback)'],
      [['1', 0, cb], 'rtnlOpen: groups must be an array of RTNLGRP_* numbers'],
      [[[], 0, cb], 'rtnlOpen: 1-32 groups, not 0'],
      [[[1, 64], 0, cb], 'rtnlOpen: group 1 is not an RTNLGRP_* number (1-63)'],
      [[[1.5], 0, cb], 'rtnlOpen: group 0 is not an RTNLGRP_* number (1-63)'],
      [[[1], -1, cb], 'rtnlOpen: recvBuffer must be a byte count >= 0'],
      [[[1], 0, 'cb'], 'rtnlOpen: callback must be a function'],
    ];
    const open = n.addon.rtnlOpen as unknown as (...a: unknown[]) => unknown;
    for (const [args, error] of bad) expect(open(...args)).toEqual({ ok: false, error });
  });
});

// ---- as root, in a namespace of our own ----

function ensureBuilt(): void {
  requireDist('dist/src/net/rtnl-watch.js');
}

interface IpAddr {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  label?: string;
  broadcast?: string;
  dynamic?: boolean;
  [flag: string]: unknown;
}
const IP_FLAGS = ['secondary', 'nodad', 'optimistic', 'dadfailed', 'home', 'deprecated', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'stable-privacy'];

/** One comparable line per address; 'tentative' left out (DAD may end between two listings). */
function norm(a: AddressInfo): string {
  const flags = a.flags.filter((f) => f !== 'tentative').sort();
  return JSON.stringify([a.ifname, a.ifindex, a.family, a.addr, a.prefix, a.scope, a.label ?? '', a.brd ?? '', flags]);
}

describe.skipIf(!isRoot())('rtnl in a network namespace (root)', () => {
  let ns = '';
  const children: ChildProcess[] = [];
  let tmp = '';

  beforeAll(() => {
    ensureBuilt();
    ns = createNetns('rt');
    addVethPairs(ns, ['veth0']);
    tmp = mkdtempSync(join(tmpdir(), 'ka-rtnl-'));
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    if (ns) deleteNetns(ns);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const ops = (list: object[]): { ok: boolean; error?: string; value?: unknown }[] => {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'node', OPS, JSON.stringify(list)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { ok: boolean; error?: string; value?: unknown }[];
  };

  const ipAddrs = (): AddressInfo[] => {
    const links = JSON.parse(ip('-j', '-n', ns, 'addr', 'show')) as { ifindex: number; ifname: string; addr_info: IpAddr[] }[];
    return links.flatMap((l) =>
      l.addr_info.map((a) => {
        const flags = IP_FLAGS.filter((f) => a[f] === true);
        if (!a.dynamic) flags.push('permanent');
        const info: AddressInfo = { ifindex: l.ifindex, ifname: l.ifname, family: a.family === 'inet' ? 4 : 6, addr: a.local, prefix: a.prefixlen, scope: a.scope, flags };
        if (a.label) info.label = a.label;
        if (a.broadcast) info.brd = a.broadcast;
        return info;
      }),
    );
  };

  const oursAll = (): AddressInfo[] => {
    const [r] = ops([{ op: 'listAddresses' }]);
    expect(r!.ok, r!.error).toBe(true);
    return r!.value as AddressInfo[];
  };

  it('lists links as ip shows them', () => {
    const [r] = ops([{ op: 'listLinks' }]);
    expect(r!.ok, r!.error).toBe(true);
    const ours = (r!.value as LinkInfo[]).sort((a, b) => a.ifindex - b.ifindex);
    // IFF_RUNNING (which ip does not print) is set while the device is up and its oper state is up or unknown.
    const theirs = (JSON.parse(ip('-j', '-n', ns, 'link', 'show')) as { ifindex: number; ifname: string; address: string; mtu: number; flags: string[]; operstate: string }[])
      .sort((a, b) => a.ifindex - b.ifindex)
      .map((l) => {
        const up = l.flags.includes('UP');
        return { ifindex: l.ifindex, ifname: l.ifname, mac: l.address, up, running: up && ['UP', 'UNKNOWN'].includes(l.operstate), mtu: l.mtu };
      });
    expect(ours).toEqual(theirs);
    expect(ours.map((l) => l.ifname)).toEqual(expect.arrayContaining(['lo', 'veth0', 'kap0']));
    // Carrier loss: the peer down leaves veth0 up but not running.
    ip('-n', ns, 'link', 'set', 'kap0', 'down');
    try {
      const [down] = ops([{ op: 'listLinks' }]);
      expect((down!.value as LinkInfo[]).find((l) => l.ifname === 'veth0')).toMatchObject({ up: true, running: false });
    } finally {
      ip('-n', ns, 'link', 'set', 'kap0', 'up');
    }
  });

  it('adds addresses with every option exactly as ip shows them', () => {
    const specs: AddressSpec[] = [
      { ifname: 'veth0', family: 4, addr: '192.0.2.10', prefix: 24, label: 'veth0:vip', brd: '192.0.2.255', scope: 'global' },
      { ifname: 'veth0', family: 4, addr: '192.0.2.20', prefix: 24, label: 'veth0:2' },
      { ifname: 'veth0', family: 4, addr: '198.51.100.10', prefix: 24, brd: '+', scope: 'site' },
      { ifname: 'veth0', family: 4, addr: '203.0.113.10', prefix: 32, scope: '254' },
      { ifname: 'veth0', family: 6, addr: '2001:db8:a::10', prefix: 64, nodad: true },
      { ifname: 'veth0', family: 6, addr: '2001:db8:b::10', prefix: 128, nodad: true },
    ];
    const r = ops(specs.map((spec) => ({ op: 'add', spec })));
    expect(r).toEqual(specs.map(() => ({ ok: true })));
    const theirs = ipAddrs();
    expect(oursAll().map(norm).sort()).toEqual(theirs.map(norm).sort());
    const find = (addr: string) => theirs.find((a) => a.addr === addr);
    expect(find('192.0.2.10')).toMatchObject({ label: 'veth0:vip', brd: '192.0.2.255', scope: 'global', prefix: 24 });
    expect(find('192.0.2.20')?.flags).toContain('secondary');
    expect(find('198.51.100.10')).toMatchObject({ brd: '198.51.100.255', scope: 'site' });
    expect(find('203.0.113.10')).toMatchObject({ scope: 'host', prefix: 32 });
    expect(find('2001:db8:a::10')?.flags).toEqual(expect.arrayContaining(['nodad', 'permanent']));
    expect(find('2001:db8:a::10')?.flags).not.toContain('tentative');
    const [only] = ops([{ op: 'listAddresses', ifname: 'veth0' }]);
    expect((only!.value as AddressInfo[]).map((a) => a.ifname)).toEqual(expect.arrayContaining(['veth0']));
    expect(new Set((only!.value as AddressInfo[]).map((a) => a.ifname))).toEqual(new Set(['veth0']));
  });

  it('adds and deletes idempotently', () => {
    const v4 = { ifname: 'veth0', family: 4, addr: '192.0.2.40', prefix: 32 };
    const v6 = { ifname: 'veth0', family: 6, addr: '2001:db8:c::40', prefix: 128, nodad: true };
    const count = (addr: string) => ipAddrs().filter((a) => a.addr === addr).length;
    expect(ops([{ op: 'add', spec: v4 }, { op: 'add', spec: v4 }, { op: 'add', spec: v6 }, { op: 'add', spec: v6 }])).toEqual(Array(4).fill({ ok: true }));
    expect([count('192.0.2.40'), count('2001:db8:c::40')]).toEqual([1, 1]);
    expect(ops([{ op: 'delete', spec: v4 }, { op: 'delete', spec: v4 }, { op: 'delete', spec: v6 }, { op: 'delete', spec: v6 }])).toEqual(Array(4).fill({ ok: true }));
    expect([count('192.0.2.40'), count('2001:db8:c::40')]).toEqual([0, 0]);
  });

  it('names the operation, address and interface in every failure', () => {
    const r = ops([
      { op: 'add', spec: { ifname: 'eth9', family: 4, addr: '192.0.2.50', prefix: 24 } },
      { op: 'add', spec: { ifname: 'veth0', family: 4, addr: '192.0.2.51', prefix: 24, label: 'foo:1' } },
      { op: 'listAddresses', ifname: 'eth9' },
      // An address cannot be on an interface that does not exist: the delete's goal holds.
      { op: 'delete', spec: { ifname: 'eth9', family: 4, addr: '192.0.2.50', prefix: 24 } },
      { op: 'close' },
      { op: 'add', spec: { ifname: 'veth0', family: 4, addr: '192.0.2.52', prefix: 24 } },
      { op: 'listLinks' },
    ]);
    expect(r).toEqual([
      { ok: false, error: 'add 192.0.2.50/24 dev eth9: no such interface' },
      { ok: false, error: "add 192.0.2.51/24 dev veth0: label 'foo:1' must start with the interface name 'veth0'" },
      { ok: false, error: 'list addresses dev eth9: no such interface' },
      { ok: true },
      { ok: true },
      { ok: false, error: 'add 192.0.2.52/24 dev veth0: rtnetlink socket is closed' },
      { ok: false, error: 'list links: rtnetlink socket is closed' },
    ]);
    expect(ipAddrs().filter((a) => a.addr.startsWith('192.0.2.5'))).toEqual([]);
  });

  it('reports what the kernel refuses as ip does', () => {
    // A secondary whose scope differs from its primary's: newer kernels refuse it. Whatever this kernel
    // does, we must agree with ip.
    const theirs = spawnSync('ip', ['-n', ns, 'addr', 'add', '192.0.2.60/24', 'dev', 'veth0', 'scope', 'link'], { encoding: 'utf8' });
    spawnSync('ip', ['-n', ns, 'addr', 'del', '192.0.2.60/24', 'dev', 'veth0'], { encoding: 'utf8' });
    const [ours] = ops([{ op: 'add', spec: { ifname: 'veth0', family: 4, addr: '192.0.2.60', prefix: 24, scope: 'link' } }]);
    expect(ours!.ok).toBe(theirs.status === 0);
    if (!ours!.ok) expect(ours!.error).toMatch(/^add 192\.0\.2\.60\/24 dev veth0: invalid argument/);
    ops([{ op: 'delete', spec: { ifname: 'veth0', family: 4, addr: '192.0.2.60', prefix: 24 } }]);
  });

  /** A running watch fixture: its JSON lines, and waiting for one. */
  function startWatch(recvBuffer?: number) {
    const { c, lines, waitFor, send, quit } = spawnJsonLines(ns, WATCH, recvBuffer ? [String(recvBuffer)] : [], children) as JsonLines;
    const state = async () => {
      const from = lines.length;
      send('state');
      const i = await waitFor((l) => 'state' in l, from);
      return lines[i]!.state as { links: LinkInfo[]; addrs: AddressInfo[] };
    };
    /** Polls the watch's view until it matches ip's (addresses may still be settling, e.g. IPv6 link-local). */
    const matchesIp = async (ms = 20_000) => {
      const end = Date.now() + ms;
      let view: string[] = [];
      let truth: string[] = [];
      while (Date.now() < end) {
        truth = ipAddrs().map(norm).sort();
        view = (await state()).addrs.map(norm).sort();
        if (JSON.stringify(view) === JSON.stringify(truth)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(view).toEqual(truth);
      return view;
    };
    return { c, lines, waitFor, state, quit, matchesIp };
  }

  const linkEv = (name: string, up: boolean, running: boolean) => (l: Record<string, unknown>) => {
    const link = l.link as LinkInfo | undefined;
    return l.type === 'link' && link?.ifname === name && link.up === up && link.running === running && l.removed === false;
  };
  const addrEv = (addr: string, removed: boolean) => (l: Record<string, unknown>) =>
    l.type === 'address' && (l.address as AddressInfo).addr === addr && l.removed === removed;

  it('a dump runs alone on the socket: VIPs added during address listings neither cut them short nor fail', () => {
    // ~1,000 addresses make each listing several multipart messages; the netlink package gathers a
    // multipart reply per socket, so an ACK arriving inside it cut the listing short before.
    const batch = join(tmp, 'many.batch');
    const lines: string[] = [];
    for (let j = 1; j <= 250; j++) {
      lines.push(`addr add 192.0.2.${j}/32 dev rc0`, `addr add 203.0.113.${j}/32 dev rc0`);
      lines.push(`addr add 2001:db8:7::${j.toString(16)}/128 dev rc0 nodad`, `addr add 2001:db8:8::${j.toString(16)}/128 dev rc0 nodad`);
    }
    writeFileSync(batch, `${lines.join('\n')}\n`);
    ip('-n', ns, 'link', 'add', 'rc0', 'type', 'veth', 'peer', 'name', 'rc1');
    try {
      ip('-n', ns, 'link', 'set', 'rc0', 'up');
      ip('-n', ns, '-batch', batch);
      const before = oursAll().length;
      expect(before).toBeGreaterThanOrEqual(1000);
      const r = spawnSync('ip', ['netns', 'exec', ns, 'node', RACE, 'rc0'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { lists: (number | string)[]; adds: number; addErrors: string[] };
      expect(out.addErrors).toEqual([]);
      expect(out.adds).toBe(200);
      expect(out.lists).toHaveLength(6);
      for (const n of out.lists) {
        expect(typeof n, String(n)).toBe('number');
        expect(n as number).toBeGreaterThanOrEqual(before);
        expect(n as number).toBeLessThanOrEqual(before + 200);
      }
      expect(oursAll().length).toBe(before + 200);
    } finally {
      ip('-n', ns, 'link', 'del', 'rc0');
    }
  });

  it('watch: address and link changes, carrier loss, in bounded time', async () => {
    const w = startWatch();
    let at = await w.waitFor((l) => l.ready === true, 0, 60_000);
    ip('-n', ns, 'addr', 'add', '192.0.2.77/24', 'dev', 'veth0', 'label', 'veth0:w');
    at = await w.waitFor(addrEv('192.0.2.77', false), at);
    expect(w.lines[at]!.address).toMatchObject({ ifname: 'veth0', family: 4, prefix: 24, label: 'veth0:w' });
    ip('-n', ns, 'addr', 'add', '2001:db8:d::77/64', 'dev', 'veth0', 'nodad');
    at = await w.waitFor(addrEv('2001:db8:d::77', false), at);
    expect(w.lines[at]!.address).toMatchObject({ ifname: 'veth0', family: 6, nodad: true });
    ip('-n', ns, 'addr', 'del', '192.0.2.77/24', 'dev', 'veth0');
    at = await w.waitFor(addrEv('192.0.2.77', true), at);
    ip('-n', ns, 'link', 'set', 'veth0', 'down');
    at = await w.waitFor(linkEv('veth0', false, false), at);
    ip('-n', ns, 'link', 'set', 'veth0', 'up');
    at = await w.waitFor(linkEv('veth0', true, true), at);
    // Carrier loss: the peer goes down, veth0 stays administratively up but stops running.
    ip('-n', ns, 'link', 'set', 'kap0', 'down');
    at = await w.waitFor(linkEv('veth0', true, false), at);
    ip('-n', ns, 'link', 'set', 'kap0', 'up');
    at = await w.waitFor(linkEv('veth0', true, true), at);
    await w.matchesIp();
    expect(await w.quit()).toBe(0);
  });

  it('watch: 1,000 adds then 1,000 deletes arrive complete and in order', async () => {
    const w = startWatch();
    const at = await w.waitFor((l) => l.ready === true, 0, 60_000);
    const addrs = Array.from({ length: 1000 }, (_, i) => `2001:db8:1::${(i + 1).toString(16)}`);
    const batch = (verb: string, extra: string) => {
      const f = join(tmp, `${verb}.batch`);
      writeFileSync(f, addrs.map((a) => `addr ${verb} ${a}/128 dev veth0${extra}\n`).join(''));
      ip('-n', ns, '-batch', f);
    };
    batch('add', ' nodad');
    batch('del', '');
    const last = await w.waitFor(addrEv(addrs[999]!, true), at, 30_000);
    const seen = w.lines
      .slice(at, last + 1)
      .filter((l) => l.type === 'address' && (l.address as AddressInfo).addr.startsWith('2001:db8:1::'))
      .map((l) => `${l.removed ? '-' : '+'}${(l.address as AddressInfo).addr}`);
    expect(seen).toEqual([...addrs.map((a) => `+${a}`), ...addrs.map((a) => `-${a}`)]);
    expect(w.lines.some((l) => l.overflow)).toBe(false);
    expect(await w.quit()).toBe(0);
  });

  it('native socket: forced receive buffer, only the groups joined (routes for the next issue), closes cleanly', async () => {
    const groups = `${RTNLGRP.LINK},${RTNLGRP.IPV4_ROUTE},${RTNLGRP.IPV6_ROUTE}`;
    const { lines, waitFor, quit } = spawnJsonLines(ns, NATIVE, [groups, String(8 << 20)], children) as JsonLines;
    await waitFor((l) => 'opened' in l || 'error' in l, 0, 60_000);
    // SO_RCVBUFFORCE as root: the kernel grants twice the request whatever net.core.rmem_max says.
    expect(lines[0]).toEqual({ opened: true, recvBuffer: 16 << 20 });
    ip('-n', ns, 'route', 'add', '203.0.113.128/25', 'dev', 'veth0');
    await waitFor((l) => l.type === 24 && l.family === 2);
    ip('-n', ns, '-6', 'route', 'add', '2001:db8:9::/64', 'dev', 'veth0');
    await waitFor((l) => l.type === 24 && l.family === 10);
    ip('-n', ns, 'addr', 'add', '192.0.2.99/32', 'dev', 'veth0');
    ip('-n', ns, 'route', 'del', '203.0.113.128/25', 'dev', 'veth0');
    ip('-n', ns, '-6', 'route', 'del', '2001:db8:9::/64', 'dev', 'veth0');
    ip('-n', ns, 'addr', 'del', '192.0.2.99/32', 'dev', 'veth0');
    await waitFor((l) => l.type === 25 && l.family === 10);
    ip('-n', ns, 'link', 'set', 'kap0', 'down');
    ip('-n', ns, 'link', 'set', 'kap0', 'up');
    await waitFor((l) => l.type === 16);
    // Not subscribed to the address groups: the address came only as its local route.
    expect(lines.filter((l) => l.type === 20 || l.type === 21 || l.overflow || l.error)).toEqual([]);
    expect(await quit()).toBe(0);
    expect(lines.at(-1)).toEqual({ close: [{ ok: true }, { ok: true }] });
  });

  it('watch: after a kernel overflow it resyncs and its view matches ip again, all in one process', async () => {
    // A tiny socket buffer and a stopped watching process: the kernel must drop notifications.
    const w = startWatch(4096);
    await w.waitFor((l) => l.ready === true, 0, 60_000);
    // The watch runs in the fixture's own process (ip netns exec execs node): no helper process.
    const pid = w.c.pid!;
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('node');
    const kids = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' }).stdout.trim();
    expect(kids).toBe('');
    const f = join(tmp, 'overflow.batch');
    writeFileSync(f, Array.from({ length: 1000 }, (_, i) => `addr add 2001:db8:2::${(i + 1).toString(16)}/128 dev veth0 nodad\n`).join(''));
    process.kill(pid, 'SIGSTOP');
    try {
      ip('-n', ns, '-batch', f);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await w.waitFor((l) => l.overflow === true, 0, 30_000);
    const view = await w.matchesIp();
    expect(view.filter((v) => v.includes('2001:db8:2::')).length).toBe(1000);
    // Still watching after the resync.
    const at = w.lines.length;
    ip('-n', ns, 'addr', 'del', '2001:db8:2::1/128', 'dev', 'veth0');
    await w.waitFor(addrEv('2001:db8:2::1', true), at);
    await w.matchesIp();
    expect(await w.quit()).toBe(0);
  });
});
