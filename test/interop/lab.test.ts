// The pure helpers the interop tests judge by: configs and the dual-master measure over a capture.
import { describe, expect, it } from 'vitest';
import type { Frame } from '../helpers/cluster.js';
import { conf, longestDualMaster } from './lab.js';

const adv = (node: number, t: number, prio = 100): Frame => ({ t, srcMac: String(node), kind: 'vrrp', vrid: 51, prio, line: '' });
const nodeOf = (f: Frame): number => Number(f.srcMac);

describe('longestDualMaster', () => {
  it('is 0 for a clean handover: the old master stops before the new one starts', () => {
    const f = [adv(1, 0), adv(1, 0.2), adv(1, 0.4), adv(0, 0.7), adv(0, 0.9), adv(0, 1.1)];
    expect(longestDualMaster(f, nodeOf, 0.2)).toBe(0);
  });
  it('measures from the second master’s first advert to the yielding one’s last', () => {
    const f = [adv(1, 0), adv(1, 0.2), adv(0, 0.25), adv(1, 0.4), adv(0, 0.45), adv(0, 0.65), adv(0, 0.85)];
    expect(longestDualMaster(f, nodeOf, 0.2)).toBeCloseTo(0.15, 6);
  });
  it('catches a long split brain and ignores priority-0 goodbyes and other senders', () => {
    const f: Frame[] = [];
    for (let k = 0; k < 10; k++) f.push(adv(0, k * 0.2), adv(1, k * 0.2 + 0.05));
    f.push(adv(1, 1.9, 0), adv(2, 2.0));
    expect(longestDualMaster(f, nodeOf, 0.2)).toBeCloseTo(1.75, 6);
  });
});

describe('conf', () => {
  it('writes one config both implementations read, per variant', () => {
    expect(conf({ variant: 'v2-pass', node: 0, priority: 150, state: 'MASTER' })).toMatch(/auth_type PASS[\s\S]*192\.0\.2\.100\/24/);
    const u = conf({ variant: 'unicast', node: 1, priority: 100 });
    expect(u).toMatch(/version 3/);
    expect(u).toMatch(/unicast_src_ip 192\.0\.2\.2\n  unicast_peer \{\n    192\.0\.2\.1\n/);
    expect(conf({ variant: 'v3-ipv6', node: 0, priority: 100 })).toMatch(/2001:db8::100\/64/);
  });
});
