// The wire fuzzer's sender, run under `ip netns exec <observer>`: blasts pre-built Ethernet frames
// (file of [u16 length][frame]...) out of veth0 through the project's AF_PACKET addon, at full speed.
// A send the kernel refuses for lack of buffer (EAGAIN/ENOBUFS) is retried after yielding, a bounded
// number of times. Prints one JSON line: {sent, refused, ms}.
import { readFileSync } from 'node:fs';
import { loadNative } from '../../dist/src/net/native.js';

const [file, ifname = 'veth0'] = process.argv.slice(2);
const n = loadNative();
if (!n.ok) {
  console.log(JSON.stringify({ error: n.error }));
  process.exit(1);
}
const s = n.addon.packetOpen(ifname);
if (!s.ok) {
  console.log(JSON.stringify({ error: s.error }));
  process.exit(1);
}
const buf = readFileSync(file);
let sent = 0;
let refused = 0;
const t0 = process.hrtime.bigint();
const deadline = Date.now() + 60_000;
for (let off = 0; off < buf.length && Date.now() < deadline; ) {
  const len = buf.readUInt16BE(off);
  const frame = buf.subarray(off + 2, off + 2 + len);
  const r = n.addon.packetSend(s.handle, frame);
  if (r.ok) {
    sent++;
    off += 2 + len;
  } else {
    refused++;
    if (refused > 1_000_000) break;
    await new Promise((res) => setImmediate(res));
  }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
n.addon.close(s.handle);
console.log(JSON.stringify({ sent, refused, ms }));
