// Warm-up of the VRRP child's takeover path (pure, no I/O). V8 compiles code on first use; a backup
// has never run what becoming master runs, so its first takeover paid for that compilation.
import { garpFrame, unsolicitedNaFrame } from '../net/frames.js';
import { createNode, stepNode } from '../vrrp/fsm-node.js';
import { encode } from '../vrrp/packet.js';

/**
 * Runs, once and without I/O, what a first takeover runs: a backup never executed it, and its first
 * GARP paid for that compilation between the master down timer and the wire. Returns how many adverts
 * it encoded (2 when all went well).
 */
export function warmTakeoverPath(): number {
  const mac = new Uint8Array([2, 0, 0, 0, 0, 1]);
  garpFrame(mac, '192.0.2.1');
  unsolicitedNaFrame(mac, '2001:db8::1', { router: false });
  // A throwaway one-instance node through start, master down and its first adverts (pure).
  const c = createNode({ instances: [{ name: 'warm', vrid: 1, version: 3, priority: 100, primaryAddr: '192.0.2.1', vips: ['192.0.2.2'] }] });
  if (!c.ok) return 0;
  let n = stepNode(c.node, { type: 'start' }, 0);
  for (const a of n.actions) {
    if (a.type === 'arm-timer') n = stepNode(n.state, { type: 'timer', timer: a.timer, instance: a.instance }, a.at);
  }
  let encoded = 0;
  for (const a of n.actions) {
    if (a.type !== 'send-advert') continue;
    if (encode({ ...a.advert, dstAddr: '224.0.0.18', ttl: 255, tos: 0xc0, ipId: 1 }).ok) encoded++;
    if (encode({ ...a.advert, family: 6, srcAddr: 'fe80::1', addrs: ['2001:db8::2'], dstAddr: 'ff02::12' }).ok) encoded++;
  }
  return encoded;
}
