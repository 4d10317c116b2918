// Announcer: frame choices from sysfs/procfs (unit, with injected reads), then on a real wire
// (root): gratuitous ARP and unsolicited NA sent in one namespace are captured by tcpdump in
// the peer and decoded as such (addresses, MACs, hop limit, flags, checksum), and the peer's
// neighbour table takes the new MAC, as a takeover needs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnnouncements, interfaceMac, ipv6Forwarding, type ReadText } from '../../src/net/announcer.js';
import { ip, isRoot } from '../helpers/netns.js';
import { ensureBuilt, makePair, runFixture, type Pair } from './fixtures/pair.js';

const fakeSys = (files: Record<string, string>): ReadText => (p) => files[p] ?? null;

describe('announcer choices (unit)', () => {
  it('reads the MAC from /sys/class/net/IF/address and refuses odd names or contents', () => {
    const read = fakeSys({ '/sys/class/net/eth0/address': '52:54:00:aa:bb:cc\n', '/sys/class/net/ib0/address': '80:00:00:48:fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:01\n' });
    const m = interfaceMac('eth0', read);
    expect(m.ok && Buffer.from(m.value).toString('hex')).toBe('525400aabbcc');
    expect(interfaceMac('eth9', read)).toEqual({ ok: false, error: 'interface eth9: no such device (no /sys/class/net/eth9/address)' });
    expect(interfaceMac('ib0', read)).toMatchObject({ ok: false, error: expect.stringContaining('not an Ethernet MAC') });
    expect(interfaceMac('../x', read).ok).toBe(false);
    expect(interfaceMac('a'.repeat(16), read).ok).toBe(false);
  });

  it('sets the NA Router flag exactly when IPv6 forwarding is on for the interface (as keepalived)', () => {
    const read = fakeSys({ '/proc/sys/net/ipv6/conf/r0/forwarding': '1\n', '/proc/sys/net/ipv6/conf/h0/forwarding': '0\n' });
    expect([ipv6Forwarding('r0', read), ipv6Forwarding('h0', read), ipv6Forwarding('x0', read)]).toEqual([true, false, false]);
    const mac = new Uint8Array([2, 0, 0, 0, 0, 1]);
    const on = buildAnnouncements('r0', ['2001:db8::1'], mac, true);
    const off = buildAnnouncements('h0', ['2001:db8::1'], mac, false);
    expect(on.ok && on.value[0]![58]).toBe(0xa0);
    expect(off.ok && off.value[0]![58]).toBe(0x20);
  });

  it('builds one frame per address, GARP for IPv4 and NA for IPv6, in order; a bad address names its index', () => {
    const r = buildAnnouncements('eth0', ['192.0.2.1', '2001:db8::1', '198.51.100.7'], new Uint8Array(6), false);
    expect(r.ok && r.value.map((f) => f.length)).toEqual([42, 86, 42]);
    expect(buildAnnouncements('eth0', ['192.0.2.1', 'nope'], new Uint8Array(6), false)).toEqual({
      ok: false,
      error: 'announce on eth0: addrs[1] "nope" is not an IP address',
    });
  });
});

const root = isRoot();
let pair: Pair;
beforeAll(() => {
  if (!root) return;
  ensureBuilt();
  pair = makePair('an');
});
afterAll(() => pair?.dispose());

/** Captures on the peer's leg while `during` runs; tcpdump is stopped by its pid. Immediate mode: without it libpcap
 * hands packets over per ring block (up to 1 s late) and a SIGINT can lose the last ones. Returns tcpdump's decoding. */
async function capture(ns: string, ifname: string, during: () => Promise<void>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kanet-'));
  const file = join(dir, 'cap.pcap');
  const td = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', ifname, '-n', '-U', '--immediate-mode', '-w', file, 'arp or (icmp6 and ip6[40] == 136)'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error('tcpdump did not start within 10 s')), 10_000);
      td.stderr!.on('data', (d: Buffer) => d.toString().includes('listening on') && (clearTimeout(t), res()));
    });
    await during();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    td.kill('SIGINT');
    await new Promise<void>((res) => {
      const t = setTimeout(() => (td.kill('SIGKILL'), res()), 5000);
      td.once('close', () => (clearTimeout(t), res()));
    });
  }
  const r = spawnSync('tcpdump', ['-r', file, '-n', '-e', '-vv'], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tcpdump -r failed: ${r.stderr}`);
  return r.stdout;
}

function neigh(ns: string, addr: string): string {
  return ip('-n', ns, 'neigh', 'show', addr, 'dev', 'vB').trim();
}

describe.runIf(root)('announcer on the wire', () => {
  it('sends gratuitous ARP and unsolicited NA that tcpdump decodes as such, and the peer learns the MAC', async () => {
    const VMAC = '00:00:5e:00:01:33';
    // The peer knows the VIPs at an old MAC (as before a takeover); an announcement must replace it.
    for (const a of ['192.0.2.100', '192.0.2.101', '2001:db8::100', '2001:db8::101']) {
      ip('-n', pair.b, 'neigh', 'replace', a, 'lladdr', '02:00:00:00:00:99', 'dev', 'vB', 'nud', 'stale');
    }
    await new Promise((r) => setTimeout(r, 1100)); // past the neighbour locktime
    let results: unknown;
    const text = await capture(pair.b, 'vB', async () => {
      const out = await runFixture(pair.a, 'announce.mjs', {
        calls: [
          { ifname: 'vA', addrs: ['192.0.2.100', '2001:db8::100'] },
          { ifname: 'vA', addrs: ['192.0.2.101', '2001:db8::101'], srcMac: VMAC },
        ],
      });
      results = out.lines.find((l) => l.results)?.results ?? out;
    });
    expect(results).toEqual([{ ok: true, value: undefined }, { ok: true, value: undefined }].map(({ ok }) => ({ ok })));
    const frames = text.split(/\n(?=\d\d:)/);
    const garp = (vip: string, mac: string) =>
      frames.filter((f) => f.includes(`${mac} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42:`) && f.includes(`Request who-has ${vip} (ff:ff:ff:ff:ff:ff) tell ${vip}, length 28`));
    const na = (vip: string, mac: string) =>
      frames.filter(
        (f) =>
          f.includes(`${mac} > 33:33:00:00:00:01, ethertype IPv6 (0x86dd), length 86:`) &&
          f.includes('hlim 255') &&
          f.includes(`${vip} > ff02::1: [icmp6 sum ok] ICMP6, neighbor advertisement, length 32, tgt is ${vip}, Flags [override]`) &&
          f.includes(`destination link-address option (2), length 8 (1): ${mac}`),
      );
    expect(garp('192.0.2.100', pair.macA), text).toHaveLength(1);
    expect(garp('192.0.2.101', VMAC), text).toHaveLength(1);
    expect(na('2001:db8::100', pair.macA), text).toHaveLength(1);
    expect(na('2001:db8::101', VMAC), text).toHaveLength(1);
    expect(frames.filter((f) => f.trim()).length, text).toBe(4);

    expect(neigh(pair.b, '192.0.2.100')).toContain(`lladdr ${pair.macA}`);
    expect(neigh(pair.b, '192.0.2.101')).toContain(`lladdr ${VMAC}`);
    expect(neigh(pair.b, '2001:db8::100')).toContain(`lladdr ${pair.macA}`);
    expect(neigh(pair.b, '2001:db8::101')).toContain(`lladdr ${VMAC}`);
  });

  it('a peer without an entry learns the VIP when it arps for it after the takeover', async () => {
    // The VIP now lives on a; arping from b gets a's MAC (what clients see after a GARP).
    ip('-n', pair.a, 'addr', 'add', '192.0.2.150/32', 'dev', 'vA');
    try {
      const out = await runFixture(pair.a, 'announce.mjs', { calls: [{ ifname: 'vA', addrs: ['192.0.2.150'] }] });
      expect(out.lines[0]?.results).toEqual([{ ok: true }]);
      const r = spawnSync('ip', ['netns', 'exec', pair.b, 'arping', '-c', '1', '-w', '3', '-I', 'vB', '192.0.2.150'], { encoding: 'utf8', timeout: 10_000 });
      expect(r.stdout.toLowerCase()).toContain(pair.macA.toLowerCase());
      // arping uses its own packet socket; a TCP connect (refused) makes the kernel's neighbour table resolve it too.
      const probe = "require('net').connect(9, '192.0.2.150').on('error', () => process.exit(0)).on('connect', () => process.exit(0))";
      spawnSync('ip', ['netns', 'exec', pair.b, process.execPath, '-e', probe], { timeout: 10_000 });
      expect(neigh(pair.b, '192.0.2.150')).toContain(`lladdr ${pair.macA}`);
    } finally {
      ip('-n', pair.a, 'addr', 'del', '192.0.2.150/32', 'dev', 'vA');
    }
  });
});
