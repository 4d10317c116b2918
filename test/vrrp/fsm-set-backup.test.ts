// keepalived 2.2.7's set_vrrp_backup (core/keepalived_netlink.c): a master whose tracked virtual
// route/rule is deleted goes straight to BACKUP (vrrp_state_leave_master with advF: priority 0, VIPs
// released), never through FAULT; its sync group's other masters follow and the group is BACKUP
// without a group notify; each may come back after Skew_Time (ms_down_timer = VRRP_TIMER_SKEW).

import { describe, expect, it } from 'vitest';
import { createNode, stepNode, type FsmAction, type FsmEvent, type NodeState } from '../../src/vrrp/fsm.js';
import type { InstanceConfig, TimerId } from '../../src/vrrp/fsm-types.js';
import { skewTime } from '../../src/vrrp/timers.js';

const S = 1_000_000;

interface Sim { node: NodeState; now: number }

function build(names: string[], group: boolean, priority = 100): Sim {
  const instances: InstanceConfig[] = names.map((name, k) => ({
    name, vrid: k + 1, priority, primaryAddr: '192.0.2.10', vips: [`203.0.113.${k + 1}`],
  }));
  const r = createNode({ instances, syncGroups: group ? [{ name: 'G', members: names }] : [] });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return { node: r.node, now: 0 };
}

function send(sim: Sim, ev: FsmEvent, at: number): FsmAction[] {
  sim.now = at;
  const r = stepNode(sim.node, ev, at);
  sim.node = r.state;
  expect(r.actions.filter((a) => a.type === 'error')).toEqual([]);
  return r.actions;
}

/** Fires due timers in deadline order up to `until` (bounded); returns every action. */
function runUntil(sim: Sim, until: number): FsmAction[] {
  const out: FsmAction[] = [];
  for (let n = 0; n < 500; n++) {
    let best: { inst: string; timer: TimerId; at: number } | null = null;
    for (const i of sim.node.instances) {
      for (const [t, at] of Object.entries(i.timers) as Array<[TimerId, number]>) {
        if (at <= until && (best === null || at < best.at)) best = { inst: i.cfg.name, timer: t, at };
      }
    }
    if (!best) return out;
    out.push(...send(sim, { type: 'timer', instance: best.inst, timer: best.timer }, Math.max(best.at, sim.now)));
  }
  throw new Error('timer loop did not settle');
}

const notifies = (acts: FsmAction[]) =>
  acts.filter((a) => a.type === 'notify' || a.type === 'notify-group').map((a) => (a.type === 'notify' ? `${a.instance}:${a.state}` : `G:${a.state}`));
const states = (sim: Sim) => sim.node.instances.map((i) => i.state);

function mastered(names: string[], group: boolean): Sim {
  const sim = build(names, group);
  send(sim, { type: 'start' }, 0);
  runUntil(sim, 10 * S);
  expect(states(sim)).toEqual(names.map(() => 'MASTER'));
  return sim;
}

describe('set-backup (keepalived set_vrrp_backup)', () => {
  it('takes a lone master straight to BACKUP: priority 0, VIPs removed, BACKUP notified, no FAULT', () => {
    const sim = mastered(['VI_1'], false);
    const acts = send(sim, { type: 'set-backup', instance: 'VI_1' }, 11 * S);
    expect(states(sim)).toEqual(['BACKUP']);
    expect(notifies(acts)).toEqual(['VI_1:BACKUP']);
    expect(acts.filter((a) => a.type === 'send-advert').map((a) => a.type === 'send-advert' && a.advert.priority)).toEqual([0]);
    expect(acts.some((a) => a.type === 'remove-vips' && a.instance === 'VI_1')).toBe(true);
    const i = sim.node.instances[0];
    expect(i.wantstate).toBe('BACKUP');
    expect(i.vipSet).toBe(false);
    expect(i.timers.advert).toBeUndefined();
    // Quick return: the down timer is only Skew_Time, not Master_Down_Interval.
    expect(i.timers['master-down']).toBe(11 * S + skewTime(2, 100, S));
  });

  it('comes back as MASTER after Skew_Time when no master is heard, taking the VIPs again', () => {
    const sim = mastered(['VI_1'], false);
    send(sim, { type: 'set-backup', instance: 'VI_1' }, 11 * S);
    const back = runUntil(sim, 11 * S + skewTime(2, 100, S));
    expect(states(sim)).toEqual(['MASTER']);
    expect(notifies(back)).toEqual(['VI_1:MASTER']);
    expect(back.some((a) => a.type === 'add-vips')).toBe(true);
  });

  it('stays BACKUP when a higher-priority master advertises within Skew_Time', () => {
    const sim = mastered(['VI_1'], false);
    send(sim, { type: 'set-backup', instance: 'VI_1' }, 11 * S);
    const adv = { version: 2 as const, family: 4 as const, vrid: 1, priority: 150, advertIntervalCs: 100, srcAddr: '192.0.2.20', addrs: ['203.0.113.1'], authType: 'none' as const };
    send(sim, { type: 'advert', instance: 'VI_1', advert: adv }, 11 * S + 100_000);
    runUntil(sim, 11 * S + 2 * S);
    expect(states(sim)).toEqual(['BACKUP']);
  });

  it('takes every master of the sync group to BACKUP, group BACKUP without a group notify, never FAULT', () => {
    const sim = mastered(['VI_1', 'VI_2'], true);
    expect(sim.node.groups[0].state).toBe('MASTER');
    const acts = send(sim, { type: 'set-backup', instance: 'VI_2' }, 11 * S);
    expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
    expect(sim.node.groups[0].state).toBe('BACKUP');
    expect(notifies(acts).sort()).toEqual(['VI_1:BACKUP', 'VI_2:BACKUP']);
    const prio0 = acts.filter((a) => a.type === 'send-advert' && a.advert.priority === 0).map((a) => a.type === 'send-advert' && a.instance);
    expect(prio0.sort()).toEqual(['VI_1', 'VI_2']);
    // Both return together (the group elects as one) and no FAULT is ever seen.
    const back = runUntil(sim, 14 * S);
    expect(states(sim)).toEqual(['MASTER', 'MASTER']);
    expect(sim.node.groups[0].state).toBe('MASTER');
    expect([...notifies(acts), ...notifies(back)].some((n) => n.endsWith('FAULT'))).toBe(false);
  });

  it('is discarded (no transition) for an instance that is not MASTER, and names a bad instance', () => {
    const sim = build(['VI_1', 'VI_2'], false);
    send(sim, { type: 'start' }, 0);
    const acts = send(sim, { type: 'set-backup', instance: 'VI_1' }, 1000);
    expect(acts.filter((a) => a.type === 'discard').length).toBe(1);
    expect(acts.some((a) => a.type === 'notify')).toBe(false);
    const r = stepNode(sim.node, { type: 'set-backup', instance: 'nope' }, 2000);
    expect(r.actions).toEqual([{ type: 'error', where: 'event.instance', message: 'no instance named nope' }]);
    expect(r.state).toBe(sim.node);
  });
});
