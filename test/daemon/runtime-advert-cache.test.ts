// sendAdvert reuses the last encoded advert while it does not change, patching the IPv4 ID and header
// checksum: what goes on the wire must be, byte for byte, what a full encode gives.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { type InstanceIo, sendAdvert, withIpId } from '../../src/daemon/runtime-io.js';
import type { VrrpSocket } from '../../src/net/types.js';
import { Counters } from '../../src/vrrp/counters.js';
import { encode, type EncodeSpec } from '../../src/vrrp/packet.js';
import type { Advert } from '../../src/vrrp/types.js';
import { memLogger } from './fakes.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomSpec(r: () => number): EncodeSpec {
  const family = r() < 0.5 ? 4 : 6;
  const version = family === 6 || r() < 0.5 ? 3 : 2;
  const auth = version === 2 && r() < 0.5 ? 'pass' : 'none';
  const n = 1 + Math.floor(r() * 5);
  const addrs = Array.from({ length: n }, (_, k) => (family === 4 ? `198.51.100.${1 + Math.floor(r() * 250)}` : `2001:db8::${(k + 1).toString(16)}`));
  const spec: EncodeSpec = {
    version, family, vrid: 1 + Math.floor(r() * 255), priority: Math.floor(r() * 256),
    advertIntervalCs: version === 2 ? 100 * (1 + Math.floor(r() * 10)) : 1 + Math.floor(r() * 4095),
    srcAddr: family === 4 ? '192.0.2.1' : 'fe80::1', addrs, authType: auth,
    dstAddr: family === 4 ? (r() < 0.5 ? '224.0.0.18' : '192.0.2.2') : 'ff02::12', ttl: 255, tos: 0xc0, ipId: 1 + Math.floor(r() * 0xffff),
  };
  if (auth === 'pass') spec.authData = 'secret';
  return spec;
}

describe('withIpId', () => {
  it('gives the bytes a full encode gives for another IPv4 ID (500 random adverts)', () => {
    const r = rng(7);
    for (let k = 0; k < 500; k++) {
      const s = randomSpec(r);
      const a = encode(s);
      const id = k === 0 ? 0xffff : Math.floor(r() * 0x10000);
      const b = encode({ ...s, ipId: id });
      expect(a.ok && b.ok).toBe(true);
      if (!a.ok || !b.ok) return;
      expect(withIpId(a.bytes, s.family, id)).toEqual(b.bytes);
    }
  });

  it('copies: the cached bytes stay as they were', () => {
    const s = randomSpec(rng(1));
    const a = encode({ ...s, family: 4, version: 2, srcAddr: '192.0.2.1', dstAddr: '224.0.0.18', addrs: ['198.51.100.1'], advertIntervalCs: 100, authType: 'none' });
    if (!a.ok) throw new Error(a.error);
    const before = a.bytes.slice();
    withIpId(a.bytes, 4, 4242);
    expect(a.bytes).toEqual(before);
  });
});

describe('sendAdvert', () => {
  const conf = (extra: string) => `vrrp_instance VI_1 {\n interface veth0\n virtual_router_id 7\n priority 100\n advert_int 1\n${extra}\n virtual_ipaddress {\n  198.51.100.7/32\n }\n}\n`;

  function ioFor(text: string): InstanceIo {
    const plan = buildVrrpPlan(loadConfigText(text, 'k.conf').model).instances[0]!;
    return { plan, primaryAddr: '192.0.2.1', counters: new Counters(), ipId: 0, ahSeq: 0, peerAhSeq: 0, advertsSent: 0, priorityZeroSent: 0, becameMaster: 0, releasedMaster: 0 };
  }

  function socket(): VrrpSocket & { sent: { bytes: Uint8Array; dst: string }[] } {
    const sent: { bytes: Uint8Array; dst: string }[] = [];
    return { sent, send: async (bytes, dst) => (sent.push({ bytes, dst }), { ok: true, value: undefined }), close() {} };
  }

  async function check(text: string, adverts: Advert[]): Promise<void> {
    const io = ioFor(text);
    const sock = socket();
    const log = memLogger();
    for (const a of adverts) await sendAdvert(io, sock, a, log);
    let id = 0;
    let ahSeq = 0;
    const unicast = io.plan.unicastPeers.length > 0;
    const expected: Uint8Array[] = [];
    for (const a of adverts) {
      for (const dst of unicast ? io.plan.unicastPeers.map((u) => u.addr) : ['224.0.0.18']) {
        const spec: EncodeSpec = { ...a, dstAddr: dst, ttl: 255, tos: 0xc0, ipId: ++id, unicast };
        if (a.authType === 'ah') spec.ahSeq = ++ahSeq;
        const e = encode(spec);
        if (!e.ok) throw new Error(e.error);
        expected.push(e.bytes);
      }
    }
    expect(sock.sent.map((s) => s.bytes)).toEqual(expected);
  }

  const base: Advert = { version: 2, family: 4, vrid: 7, priority: 100, advertIntervalCs: 100, srcAddr: '192.0.2.1', addrs: ['198.51.100.7'], authType: 'none' };

  it('sends what a full encode gives, advert after advert, through priority, address and VIP changes', async () => {
    await check(conf(''), [
      base, base, { ...base }, { ...base, priority: 0 }, { ...base, priority: 0 }, base,
      { ...base, srcAddr: '192.0.2.9' }, { ...base, srcAddr: '192.0.2.9' }, { ...base, addrs: ['198.51.100.7', '198.51.100.8'] }, base,
    ]);
  });

  it('each unicast peer keeps its own bytes', async () => {
    await check(conf(' unicast_peer {\n  192.0.2.2\n  192.0.2.3\n }'), [base, base, { ...base, priority: 50 }, { ...base, priority: 50 }]);
  });

  it('auth_pass and AH (whose sequence number changes every advert)', async () => {
    const pass: Advert = { ...base, authType: 'pass', authData: 'secret' };
    await check(conf(' authentication {\n  auth_type PASS\n  auth_pass secret\n }'), [pass, pass, { ...pass, authData: 'other' }, pass]);
    const ah: Advert = { ...base, authType: 'ah', authData: 'secret' };
    await check(conf(' authentication {\n  auth_type AH\n  auth_pass secret\n }'), [ah, ah, ah]);
  });

  it('the ID wraps from 65535 to 1 as before', async () => {
    const io = ioFor(conf(''));
    io.ipId = 0xfffe;
    const sock = socket();
    for (let k = 0; k < 3; k++) await sendAdvert(io, sock, base, memLogger());
    expect(sock.sent.map((s) => (s.bytes[4]! << 8) | s.bytes[5]!)).toEqual([0xffff, 1, 2]);
    const e = encode({ ...base, dstAddr: '224.0.0.18', ttl: 255, tos: 0xc0, ipId: 1, unicast: false });
    expect(e.ok && sock.sent[1]!.bytes).toEqual(e.ok && e.bytes);
  });
});
