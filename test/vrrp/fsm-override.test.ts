// Operator overrides in the pure state machine: promote (takeover) makes a BACKUP MASTER at once even
// with nopreempt or preempt_delay; clearing changes the priority only (no transition by itself).
import { describe, expect, it } from 'vitest';
import { createNode, stepNode, type FsmAction, type FsmEvent, type InstanceConfig, type NodeState } from '../../src/vrrp/fsm.js';
import type { Advert } from '../../src/vrrp/types.js';

const S = 1_000_000;
const cfg = (name: string, vrid: number, extra: Partial<InstanceConfig> = {}): InstanceConfig => ({
  name, vrid, priority: 150, primaryAddr: '192.0.2.10', vips: [`203.0.113.${vrid}`], ...extra,
});
const adv = (vrid: number, priority: number): Advert => ({
  version: 2, family: 4, vrid, priority, advertIntervalCs: 100, srcAddr: '192.0.2.20', addrs: [`203.0.113.${vrid}`], authType: 'none',
});

/** Started, then a live master (priority 200 then 100, so a preempting instance would want to take over). */
function backupUnderLiveMaster(instances: InstanceConfig[], groups = false): NodeState {
  const r = createNode({ instances, syncGroups: groups ? [{ name: 'G', members: instances.map((i) => i.name) }] : [] });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  let n = stepNode(r.node, { type: 'start' }, 0).state;
  for (const i of instances) n = stepNode(n, { type: 'advert', advert: adv(i.vrid, 100) }, 10).state;
  return n;
}

function go(n: NodeState, evs: Array<[FsmEvent, number]>): { node: NodeState; actions: FsmAction[] } {
  let acts: FsmAction[] = [];
  for (const [e, t] of evs) {
    const r = stepNode(n, e, t);
    n = r.state;
    acts = [...acts, ...r.actions];
  }
  return { node: n, actions: acts };
}
const states = (n: NodeState) => n.instances.map((i) => i.state);
const notifies = (acts: FsmAction[]) => acts.filter((a) => a.type === 'notify').map((a) => `${(a as { instance: string }).instance}:${(a as { state: string }).state}`);

describe('promote takes over now', () => {
  for (const [what, extra] of [['nopreempt', { nopreempt: true }], ['preempt_delay 60 s', { preemptDelayUs: 60 * S }]] as const) {
    it(`${what}: a BACKUP under a live lower-priority master becomes MASTER in the promote step`, () => {
      const n = backupUnderLiveMaster([cfg('VI_1', 51, extra)]);
      // Configured behaviour first: adverts keep it BACKUP past the down interval.
      const held = go(n, [[{ type: 'advert', advert: adv(51, 100) }, 2 * S], [{ type: 'advert', advert: adv(51, 100) }, 3 * S]]);
      expect(states(held.node)).toEqual(['BACKUP']);
      const r = go(held.node, [[{ type: 'override', instance: 'VI_1', priority: 254, takeover: true }, 3 * S + 1]]);
      expect(states(r.node)).toEqual(['MASTER']);
      expect(notifies(r.actions)).toEqual(['VI_1:MASTER']);
      expect(r.actions).toContainEqual({ type: 'add-vips', instance: 'VI_1', addrs: ['203.0.113.51'] });
      expect(r.actions.find((a) => a.type === 'send-advert')).toMatchObject({ advert: { priority: 254 } });
      // The old master's next advert (lower priority) does not move it back.
      const after = go(r.node, [[{ type: 'advert', advert: adv(51, 100) }, 3 * S + 5]]);
      expect(states(after.node)).toEqual(['MASTER']);
    });
  }

  it('a priority override without takeover (the old rule) leaves a nopreempt BACKUP where it is', () => {
    const n = backupUnderLiveMaster([cfg('VI_1', 51, { nopreempt: true })]);
    const r = go(n, [[{ type: 'override', instance: 'VI_1', priority: 254 }, S], [{ type: 'advert', advert: adv(51, 100) }, 2 * S], [{ type: 'advert', advert: adv(51, 100) }, 3 * S]]);
    expect(states(r.node)).toEqual(['BACKUP']);
  });

  it('a restored promote (given in INIT) preempts a live master once the down timer runs out, nopreempt notwithstanding', () => {
    const r = createNode({ instances: [cfg('VI_1', 51, { nopreempt: true })] });
    if (!r.ok) throw new Error('bad');
    let n = stepNode(r.node, { type: 'override', instance: 'VI_1', priority: 254, takeover: true }, 0).state;
    n = stepNode(n, { type: 'start' }, 0).state;
    n = stepNode(n, { type: 'advert', advert: adv(51, 100) }, 10).state;
    const at = n.instances[0].timers['master-down'] as number;
    expect(at).toBeLessThan(4 * S);
    // The live master's next advert does not push the deadline back (it would for a nopreempt backup).
    n = stepNode(n, { type: 'advert', advert: adv(51, 100) }, at - 1).state;
    expect(n.instances[0].timers['master-down']).toBe(at);
    expect(states(stepNode(n, { type: 'timer', instance: 'VI_1', timer: 'master-down' }, at).state)).toEqual(['MASTER']);
  });

  it('a sync group of nopreempt members goes MASTER together when every member is promoted', () => {
    const n = backupUnderLiveMaster([cfg('A', 51, { nopreempt: true }), cfg('B', 52, { nopreempt: true })], true);
    const one = go(n, [[{ type: 'override', instance: 'A', priority: 254, takeover: true }, S]]);
    expect(states(one.node)).toEqual(['BACKUP', 'BACKUP']);
    const both = go(one.node, [[{ type: 'override', instance: 'B', priority: 254, takeover: true }, S]]);
    expect(states(both.node)).toEqual(['MASTER', 'MASTER']);
    expect(both.node.groups[0].state).toBe('MASTER');
  });

  it('clear: a nopreempt master stays MASTER with no transition; a FAULT is not overridden by promote', () => {
    const n = backupUnderLiveMaster([cfg('VI_1', 51, { nopreempt: true, priority: 100 })]);
    const m = go(n, [[{ type: 'override', instance: 'VI_1', priority: 254, takeover: true }, S]]).node;
    const c = go(m, [[{ type: 'override', instance: 'VI_1', priority: null }, 2 * S]]);
    expect(states(c.node)).toEqual(['MASTER']);
    expect(notifies(c.actions)).toEqual([]);
    expect(c.node.instances[0]).toMatchObject({ effectivePriority: 100, overridePriority: null, overrideTakeover: false });
    // Cleared, it is a nopreempt BACKUP again once a higher priority master shows up.
    const back = go(c.node, [[{ type: 'advert', advert: adv(51, 200) }, 2 * S + 5]]);
    expect(states(back.node)).toEqual(['BACKUP']);
    const again = go(back.node, [[{ type: 'advert', advert: adv(51, 50) }, 3 * S], [{ type: 'advert', advert: adv(51, 50) }, 4 * S], [{ type: 'advert', advert: adv(51, 50) }, 5 * S]]);
    expect(states(again.node)).toEqual(['BACKUP']);

    const f = createNode({ instances: [cfg('VI_1', 51, { tracks: [{ name: 'chk', kind: 'script', weight: 0 }], initialTrackStatus: { chk: false } })] });
    if (!f.ok) throw new Error('bad');
    const fault = stepNode(f.node, { type: 'start' }, 0).state;
    const p = stepNode(fault, { type: 'override', instance: 'VI_1', priority: 254, takeover: true }, S);
    expect(states(p.state)).toEqual(['FAULT']);
    expect(stepNode(fault, { type: 'override', instance: 'VI_1', priority: 254, takeover: 'yes' as unknown as boolean }, S).actions[0]).toMatchObject({ type: 'error', where: 'event.takeover' });
  });
});
