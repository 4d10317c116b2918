// VRRP sockets on a real wire (root): two namespaces joined by a veth pair. Adverts encoded by
// the codec go from our socket in one namespace to our socket in the other and decode + validate
// there; the hop limit is really read from the packet (a hop limit 1 advert is reported as such
// and dropped by the codec); real keepalived 2.2.7 is a sender too. Bad input gives error values.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { encode, type EncodeSpec } from '../../src/vrrp/packet.js';
import { validate, type InstanceConfig } from '../../src/vrrp/validate.js';
import { parseIpv6 } from '../../src/vrrp/codec-addr.js';
import { facilityCode, levelCode } from '../../src/net/syslog.js';
import { ensureBuilt, FIXTURES, makePair, runFixture, startFixture, type Line, type Pair } from './fixtures/pair.js';

const KEEPALIVED = '/usr/sbin/keepalived';
const root = isRoot();
let pair: Pair;

beforeAll(() => {
  if (!root) return;
  ensureBuilt();
  pair = makePair('vs');
});
afterAll(() => pair?.dispose());

function hexOf(spec: EncodeSpec): string {
  const r = encode(spec);
  if (!r.ok) throw new Error(r.error);
  return Buffer.from(r.bytes).toString('hex');
}

/** Starts our receiver in b, runs `send` once it is ready, returns the packets it got. */
async function receiveIn(ns: string, opts: Line, send: () => Promise<unknown>): Promise<{ packets: Line[]; done: Line }> {
  const rx = startFixture(ns, 'vrrp-recv.mjs', opts);
  await rx.waitFor((l) => l.ready === true || l.openError !== undefined, 10_000);
  await send();
  const out = await rx.done((opts.timeoutMs as number) + 10_000);
  const done = out.lines.find((l) => l.done) ?? { openError: out.lines.find((l) => l.openError)?.openError, stderr: out.stderr };
  return { packets: out.lines.filter((l) => l.packet).map((l) => l.packet as Line), done };
}

function check(p: Line, cfg: InstanceConfig) {
  return validate(Buffer.from(p.hex as string, 'hex'), cfg, { state: 'backup', ipv6: p.ipv6 });
}

const v4pass: EncodeSpec = {
  version: 2, family: 4, vrid: 51, priority: 150, advertIntervalCs: 100, srcAddr: '192.0.2.1',
  addrs: ['192.0.2.100', '192.0.2.101'], authType: 'pass', authData: 's3cret', dstAddr: '224.0.0.18', ipId: 7,
};
const v4passCfg: InstanceConfig = { family: 4, version: 2, vrid: 51, authType: 'pass', authPass: 's3cret', advertIntervalCs: 100, vips: ['192.0.2.100', '192.0.2.101'] };
const v3v4: EncodeSpec = {
  version: 3, family: 4, vrid: 53, priority: 120, advertIntervalCs: 50, srcAddr: '192.0.2.1',
  addrs: ['192.0.2.120'], authType: 'none', dstAddr: '224.0.0.18', ipId: 8,
};
const v3v4Cfg: InstanceConfig = { family: 4, version: 3, vrid: 53, authType: 'none', advertIntervalCs: 50, vips: ['192.0.2.120'] };
const v6Cfg: InstanceConfig = { family: 6, version: 3, vrid: 54, authType: 'none', advertIntervalCs: 100, vips: ['2001:db8::100', '2001:db8::101'] };
const v6spec = (src: string): EncodeSpec => ({
  version: 3, family: 6, vrid: 54, priority: 130, advertIntervalCs: 100, srcAddr: src,
  addrs: ['2001:db8::100', '2001:db8::101'], authType: 'none', dstAddr: 'ff02::12',
});

describe.runIf(root)('our socket to our socket', () => {
  it('IPv4: v2 PASS and v3 adverts arrive whole (IP header, TTL 255, TOS 0xc0) and validate', async () => {
    const { packets, done } = await receiveIn(pair.b, { family: 4, ifname: pair.ifB, joinMulticast: true, max: 4, timeoutMs: 6000 }, async () => {
      const tx = await runFixture(pair.a, 'vrrp-send.mjs', {
        family: 4, ifname: pair.ifA, repeat: 2, gapMs: 100,
        sends: [{ hex: hexOf(v4pass), dst: '224.0.0.18' }, { hex: hexOf(v3v4), dst: '224.0.0.18' }],
      });
      expect(tx.lines.find((l) => l.results)?.results).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
    });
    expect(done.errors).toEqual([]);
    expect(packets).toHaveLength(4);
    for (const p of packets) {
      const b = Buffer.from(p.hex, 'hex');
      expect(p).toMatchObject({ family: 4, ifname: pair.ifB });
      expect([b[1], b[8], b[9]]).toEqual([0xc0, 255, 112]);
      const r = check(p, b[20]! >> 4 === 2 ? v4passCfg : v3v4Cfg);
      expect(r.ok ? r.advert.srcAddr : r).toBe('192.0.2.1');
    }
  });

  it('IPv6: the VRRP payload arrives with source, destination and hop limit 255, and validates', async () => {
    const { packets, done } = await receiveIn(pair.b, { family: 6, ifname: pair.ifB, joinMulticast: true, max: 4, timeoutMs: 6000 }, async () => {
      const tx = await runFixture(pair.a, 'vrrp-send.mjs', {
        family: 6, ifname: pair.ifA, repeat: 2, gapMs: 100,
        // One with an explicit source, one without: the socket then uses the link-local address, as keepalived.
        sends: [{ hex: hexOf(v6spec(pair.llA)), dst: 'ff02::12', src: pair.llA }, { hex: hexOf(v6spec(pair.llA)), dst: 'ff02::12' }],
      });
      expect(tx.lines.find((l) => l.linkLocal)?.linkLocal).toEqual({ ok: true, value: pair.llA });
      const results = tx.lines.find((l) => l.results)?.results as Line[];
      expect(results.map((r) => [r.ok, r.lastSource])).toEqual(Array(4).fill([true, pair.llA]));
    });
    expect(done.errors).toEqual([]);
    expect(packets).toHaveLength(4);
    for (const p of packets) {
      expect(p.ipv6).toEqual({ src: pair.llA, dst: 'ff02::12', hopLimit: 255 });
      const r = check(p, v6Cfg);
      expect(r.ok ? r.advert : r).toMatchObject({ version: 3, vrid: 54, priority: 130, srcAddr: pair.llA });
    }
  });

  it('IPv6: an advert with hop limit 1 is reported with hopLimit 1, so the codec drops it', async () => {
    // Built by hand and sent on a bare packet socket: Ethernet to 33:33:00:00:00:12, IPv6 with hop limit 1.
    const payload = Buffer.from(hexOf(v6spec(pair.llA)), 'hex');
    const ip6 = Buffer.alloc(40);
    ip6[0] = 0x60;
    ip6.writeUInt16BE(payload.length, 4);
    ip6[6] = 112;
    ip6[7] = 1;
    Buffer.from(parseIpv6(pair.llA)!).copy(ip6, 8);
    Buffer.from(parseIpv6('ff02::12')!).copy(ip6, 24);
    const eth = Buffer.concat([Buffer.from('333300000012', 'hex'), Buffer.from(pair.macA.replace(/:/g, ''), 'hex'), Buffer.from('86dd', 'hex')]);
    const frame = Buffer.concat([eth, ip6, payload]).toString('hex');
    const { packets } = await receiveIn(pair.b, { family: 6, ifname: pair.ifB, joinMulticast: true, max: 2, timeoutMs: 5000 }, async () => {
      const tx = await runFixture(pair.a, 'vrrp-send.mjs', { ifname: pair.ifA, frames: [frame], repeat: 2, gapMs: 100 });
      expect(tx.lines.find((l) => l.results)?.results).toEqual([{ ok: true }, { ok: true }]);
    });
    expect(packets).toHaveLength(2);
    for (const p of packets) {
      expect(p.ipv6).toEqual({ src: pair.llA, dst: 'ff02::12', hopLimit: 1 });
      expect(check(p, v6Cfg)).toMatchObject({ ok: false, reason: 'ttl_invalid' });
    }
  });

  it('a unicast socket (no group joined) receives adverts sent to its address only', async () => {
    // The receive window covers the sender's start-up (a Node process: seconds on a loaded machine) and ARP.
    const uni: EncodeSpec = { ...v3v4, dstAddr: '192.0.2.2' };
    const { packets } = await receiveIn(pair.b, { family: 4, ifname: pair.ifB, joinMulticast: false, max: 3, timeoutMs: 10_000 }, async () => {
      await runFixture(pair.a, 'vrrp-send.mjs', {
        family: 4, ifname: pair.ifA, gapMs: 100,
        sends: [{ hex: hexOf(uni), dst: '192.0.2.2' }, { hex: hexOf(v3v4), dst: '224.0.0.18' }],
      });
    });
    expect(packets.map((p) => Buffer.from(p.hex, 'hex').subarray(16, 20).join('.'))).toEqual(['192.0.2.2']);
  });
});

describe.runIf(root)('bad input', () => {
  it('gives error values, never a throw or a crash, and leaks no file descriptors', async () => {
    const out = await runFixture(pair.a, 'bad-input.mjs', pair.ifA, 30_000, ['--expose-gc']);
    expect(out.code, out.stderr).toBe(0);
    const r = out.lines[0]!;
    for (const k of ['unknownIf4', 'unknownIf6', 'badFamily', 'longName', 'noOptions', 'ah6', 'garbageDst4', 'garbageDst6', 'wrongFamilyDst4',
      'wrongFamilyDst6', 'notBytes4', 'notBytes6', 'badSrc6', 'closed4', 'closed6', 'announceUnknownIf', 'announceBadAddr', 'announceBadMac',
      'announceBadName', 'announceNotList', 'announceClosed', 'nativeSendForeign', 'nativePacketForeign', 'nativeWrongKind', 'nativeShortFrame',
      'nativeNotBytes', 'nativeClosedFrame', 'nativeOpenNoArgs', 'nativeOpenNoCb', 'nativeIfNul']) {
      expect(r[k], k).toMatchObject({ ok: false, error: expect.any(String) });
    }
    expect(r.unknownIf4.error).toBe('VRRP socket: interface nosuch0: No such device');
    expect(r.garbageDst6.error).toBe(`send on ${pair.ifA}: destination not-an-address is not an IPv6 address`);
    expect(r.closed4.error).toBe(`send on ${pair.ifA}: socket is closed`);
    expect(r.announceUnknownIf.error).toContain('nosuch0');
    expect(r.nativeSyslogBad.map((x: Line) => x.ok)).toEqual([false, false, false, false]);
    expect([r.open4, r.open6, r.announcer, r.announceEmpty]).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
    expect(r.fdsAfterOpenClose).toBe(0);
    expect(r.finalize).toEqual({ opened: 50, left: 0 });
  });
});

// ---- real keepalived 2.2.7 as the sender ----

const haveKeepalived = existsSync(KEEPALIVED);

function keepalivedConf(name: string, body: string): string {
  return `global_defs {\n  router_id wire_${name}\n  script_user root\n  enable_script_security\n}\nvrrp_instance VI_${name} {\n  interface vA\n  state MASTER\n${body}\n}\n`;
}

/** Runs keepalived in `ns` while `during` runs; always stops it (and its VRRP child) by pid. */
async function withKeepalived(ns: string, name: string, conf: string, during: () => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kanet-'));
  const file = join(dir, `${name}.conf`);
  const pidMain = join(dir, 'main.pid');
  const pidVrrp = join(dir, 'vrrp.pid');
  writeFileSync(file, conf);
  const ka = spawn('ip', ['netns', 'exec', ns, KEEPALIVED, '-n', '-l', '-D', '-P', '-f', file, '-p', pidMain, '-r', pidVrrp], { stdio: 'ignore' });
  try {
    await during();
  } finally {
    ka.kill('SIGTERM');
    await new Promise<void>((res) => {
      const t = setTimeout(() => (ka.kill('SIGKILL'), res()), 5000);
      ka.once('close', () => (clearTimeout(t), res()));
    });
    // The VRRP child, if it outlived its parent, and only if that pid is still a keepalived.
    try {
      const pid = Number(readFileSync(pidVrrp, 'utf8').trim());
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('keepalived')) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(root && haveKeepalived)('keepalived 2.2.7 as the sender', () => {
  const cases: { name: string; family: 4 | 6; body: string; cfg: InstanceConfig }[] = [
    {
      name: 'v2pass', family: 4, cfg: v4passCfg,
      body: '  virtual_router_id 51\n  priority 150\n  advert_int 1\n  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n  virtual_ipaddress {\n    192.0.2.100\n    192.0.2.101\n  }',
    },
    {
      name: 'v3ipv4', family: 4, cfg: { ...v3v4Cfg, vips: ['192.0.2.120', '192.0.2.121'] },
      body: '  version 3\n  virtual_router_id 53\n  priority 120\n  advert_int 0.5\n  virtual_ipaddress {\n    192.0.2.120\n    192.0.2.121\n  }',
    },
    {
      name: 'v3ipv6', family: 6, cfg: v6Cfg,
      body: '  version 3\n  virtual_router_id 54\n  priority 130\n  advert_int 1\n  virtual_ipaddress {\n    2001:db8::100\n    2001:db8::101\n  }',
    },
  ];
  for (const c of cases) {
    it(`receives and validates keepalived's ${c.name} adverts`, async () => {
      let got: { packets: Line[]; done: Line } | undefined;
      await withKeepalived(pair.a, c.name, keepalivedConf(c.name, c.body), async () => {
        got = await receiveIn(pair.b, { family: c.family, ifname: pair.ifB, joinMulticast: true, max: 2, timeoutMs: 10_000 }, async () => {});
      });
      expect(got!.done.errors).toEqual([]);
      expect(got!.packets.length, JSON.stringify(got!.done)).toBe(2);
      for (const p of got!.packets) {
        const r = check(p, c.cfg);
        expect(r.ok ? r.advert.vrid : r).toBe(c.cfg.vrid);
        if (c.family === 6) expect(p.ipv6).toEqual({ src: pair.llA, dst: 'ff02::12', hopLimit: 255 });
        else expect(Buffer.from(p.hex, 'hex')[8]).toBe(255);
      }
    });
  }
});

// ---- syslog(3) through the addon ----

describe('syslog facility and level names', () => {
  it('maps names as syslog.h and keepalived -S N to LOG_LOCALN; bad values are errors', () => {
    expect([facilityCode(undefined), facilityCode('daemon'), facilityCode('LOG_LOCAL3'), facilityCode(0), facilityCode(7)]).toEqual([24, 24, 152, 128, 184]);
    expect(facilityCode(8)).toBe('facility 8 is not 0-7 (LOG_LOCAL0-7)');
    expect(facilityCode('nope')).toBe('unknown syslog facility "nope"');
    expect([levelCode('err'), levelCode('warn'), levelCode('debug'), levelCode(2), levelCode(9), levelCode('x' as 'info')]).toEqual([3, 4, 7, 2, 6, 6]);
  });
});

/** Runs the syslog fixture in a private mount namespace whose /dev/log is our own datagram socket (python3 listens). */
async function syslogCapture(arg: Line): Promise<{ received: string[]; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kanet-'));
  const sock = join(dir, 'log.sock');
  const listen = 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\ns.settimeout(5)\n' +
    'for i in range(3): print(s.recv(4096).decode(), flush=True)\n';
  const py = spawn('python3', ['-c', listen, sock], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    let got = '';
    py.stdout!.on('data', (d: Buffer) => (got += d.toString()));
    const closed = new Promise<void>((res) => py.once('close', () => res()));
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    // A tmpfs on /dev inside the private mount namespace: the host's /dev is untouched.
    const script = 'mount -t tmpfs kanet /dev && ln -s "$1" /dev/log && exec "$2" "$3" "$4"';
    const fixture = join(FIXTURES, 'syslog.mjs');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', sock, process.execPath, fixture, JSON.stringify(arg)], { encoding: 'utf8', timeout: 20_000 });
    await Promise.race([closed, new Promise((res) => setTimeout(res, 8000))]);
    return { received: got.split('\n').filter(Boolean), out: `${r.stdout}${r.stderr}` };
  } finally {
    py.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(root)('syslog through the addon', () => {
  it('reaches /dev/log with ident, pid, facility and level as syslog(3) formats them', async () => {
    const { received, out } = await syslogCapture({ ident: 'katest', facility: 'local3' });
    const pid = (JSON.parse(out.trim().split('\n').pop()!) as { pid: number; backend: string }).pid;
    expect(out).toContain('"backend":"syslog"');
    // local3 = 19: <19*8+4> warning, <19*8+6> info, <19*8+7> debug.
    expect(received.map((l) => l.replace(/^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d /, '<$1>'))).toEqual([
      `<156>katest[${pid}]: advert from 192.0.2.1 dropped`,
      `<158>katest[${pid}]: (VI_1) Entering MASTER STATE`,
      `<159>katest[${pid}]: debug line`,
    ]);
  });
});
