// The master's advert schedule keeps to its deadlines: a late timer callback does not push every
// later advert back (lateness would otherwise accumulate, one interval + lateness per advert).
import { describe, expect, it } from 'vitest';
import { nextAdvertAt } from '../../src/vrrp/fsm-core.js';
import { createNode, stepNode, type NodeState } from '../../src/vrrp/fsm-node.js';
import type { FsmAction } from '../../src/vrrp/fsm-types.js';

const INT = 1_000_000;

function master(): NodeState {
  const r = createNode({
    instances: [{ name: 'VI_1', interface: 'eth0', vrid: 51, priority: 200, family: 4, version: 3, advertIntUs: INT,
      primaryAddr: '192.0.2.1', vips: ['192.0.2.100'] }],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.node;
}

/** Started, then the master-down timer fired at its deadline: a master whose first advert went out. */
function toMaster(): { n: NodeState; due: number; t0: number } {
  const s = stepNode(master(), { type: 'start' }, 0);
  const down = s.actions.find((x) => x.type === 'arm-timer' && x.timer === 'master-down');
  if (!down || down.type !== 'arm-timer') throw new Error('no master-down timer armed at start');
  const r = stepNode(s.state, { type: 'timer', timer: 'master-down', instance: 'VI_1' }, down.at);
  return { n: r.state, due: armedAdvert(r.actions) as number, t0: down.at };
}

function armedAdvert(actions: FsmAction[]): number | undefined {
  const a = actions.find((x) => x.type === 'arm-timer' && x.timer === 'advert');
  return a && a.type === 'arm-timer' ? a.at : undefined;
}

describe('advert schedule', () => {
  it('a master re-arms from the deadline, not from the late wake-up', () => {
    let { n, due, t0 } = toMaster();
    expect(n.instances[0].state).toBe('MASTER');
    expect(due).toBe(t0 + INT);
    // 50 adverts, each callback 30 ms late: the deadlines stay on the 1 s grid.
    for (let k = 1; k <= 50; k++) {
      const r = stepNode(n, { type: 'timer', timer: 'advert', instance: 'VI_1' }, due + 30_000);
      expect(r.actions.some((a) => a.type === 'send-advert')).toBe(true);
      const next = armedAdvert(r.actions) as number;
      expect(next).toBe(t0 + (k + 1) * INT);
      n = r.state;
      due = next;
    }
  });
  it('more than an interval late: one advert, then a fresh interval from now (no catch-up burst)', () => {
    const { n, due } = toMaster();
    const r = stepNode(n, { type: 'timer', timer: 'advert', instance: 'VI_1' }, due + 2_500_000);
    expect(r.actions.filter((a) => a.type === 'send-advert')).toHaveLength(1);
    expect(armedAdvert(r.actions)).toBe(due + 3_500_000);
  });
  it('nextAdvertAt: on the grid while less than an interval late', () => {
    expect(nextAdvertAt(1_000, 1_000, 1_000)).toBe(2_000);
    expect(nextAdvertAt(1_000, 1_000, 1_999)).toBe(2_000);
    expect(nextAdvertAt(1_000, 1_000, 2_000)).toBe(3_000);
    expect(nextAdvertAt(1_000, 1_000, 5_000)).toBe(6_000);
  });
});
