// VRRP codec throughput: decode + validate packets/s for each kind of captured keepalived
// advert (test/fixtures/vrrp), plus encode. Run directly to print, or import run().
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printRows, timeMs, type BenchRow } from './harness.js';
import { readPcap, type CapturedPacket } from '../src/vrrp/codec-pcap.js';
import { decodeIpv4, decodeIpv6, encode, type EncodeSpec } from '../src/vrrp/packet.js';
import { validate, type InstanceConfig, type ValidateContext } from '../src/vrrp/validate.js';

// Works from bench/ (vite-node) and from dist/bench/ (compiled).
function fixturesDir(): string {
  for (const rel of ['../test/fixtures/vrrp/', '../../test/fixtures/vrrp/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    try {
      readFileSync(`${dir}v3-ipv4.pcap`);
      return dir;
    } catch {
      // try the next layout
    }
  }
  throw new Error('test/fixtures/vrrp not found');
}

const peer = [{ addr: '192.0.2.1' }];
const KINDS: [string, InstanceConfig][] = [
  ['v2-pass', { family: 4, version: 2, vrid: 51, authType: 'pass', authPass: 's3cret', advertIntervalCs: 100, vips: ['192.0.2.100', '192.0.2.101'] }],
  ['v2-ah', { family: 4, version: 2, vrid: 52, authType: 'ah', authPass: 'ahkey123', advertIntervalCs: 100, vips: ['192.0.2.110'] }],
  ['v2-unicast', { family: 4, version: 2, vrid: 56, authType: 'none', advertIntervalCs: 200, vips: ['192.0.2.140'], unicastPeers: peer }],
  ['v3-ipv4', { family: 4, version: 3, vrid: 53, authType: 'none', advertIntervalCs: 50, vips: ['192.0.2.120', '192.0.2.121', '192.0.2.122'] }],
  ['v3-unicast', { family: 4, version: 3, vrid: 55, authType: 'none', advertIntervalCs: 100, vips: ['192.0.2.130'], unicastPeers: peer }],
  ['v3-ipv6', { family: 6, version: 3, vrid: 54, authType: 'none', advertIntervalCs: 100, vips: ['2001:db8::100', '2001:db8::101'] }],
];

function firstPacket(dir: string, name: string): CapturedPacket {
  const r = readPcap(new Uint8Array(readFileSync(`${dir}${name}.pcap`)));
  if (!r.ok || r.packets.length === 0) throw new Error(`${name}: ${r.ok ? 'no packets' : r.error}`);
  return r.packets[0]!;
}

export async function run(iterations = 50_000): Promise<BenchRow[]> {
  const dir = fixturesDir();
  const rows: BenchRow[] = [];
  for (const [name, cfg] of KINDS) {
    const pkt = firstPacket(dir, name);
    const ctx: ValidateContext = { state: 'backup', ipv6: pkt.family === 6 ? pkt.ipv6 : undefined };
    const check = validate(pkt.bytes, cfg, ctx);
    if (!check.ok) throw new Error(`${name}: capture rejected (${check.reason}): ${check.detail}`);
    const ms = await timeMs(() => {
      for (let i = 0; i < iterations; i++) {
        const d = pkt.family === 4 ? decodeIpv4(pkt.bytes) : decodeIpv6(pkt.bytes, pkt.ipv6);
        const v = validate(pkt.bytes, cfg, ctx);
        if (!d.ok || !v.ok) throw new Error(`${name}: rejected during the run`);
      }
    });
    rows.push({ name: `decode+validate ${name}`, ours: (iterations / ms) * 1000, unit: 'packets/s' });
  }
  const spec: EncodeSpec = {
    version: 3, family: 4, vrid: 53, priority: 120, advertIntervalCs: 50, srcAddr: '192.0.2.1', dstAddr: '224.0.0.18',
    addrs: ['192.0.2.120', '192.0.2.121', '192.0.2.122'], authType: 'none',
  };
  const ms = await timeMs(() => {
    for (let i = 0; i < iterations; i++) if (!encode(spec).ok) throw new Error('encode failed');
  });
  rows.push({ name: 'encode v3-ipv4', ours: (iterations / ms) * 1000, unit: 'packets/s' });
  return rows;
}

// Run directly: node dist/bench/vrrp-codec.js (after npm run build).
const self = fileURLToPath(import.meta.url).replace(/\.(ts|js)$/, '');
if (process.argv.slice(1).some((a) => a.replace(/\.(ts|js)$/, '').endsWith(self.slice(self.lastIndexOf('/'))))) {
  printRows('VRRP codec', await run());
}
