// Sync groups and weight-0 tracks (keepalived 2.2.7: vrrp_track.c process_script_update_priority /
// down_instance, vrrp_scheduler.c try_up_instance, vrrp_sync.c): the group leaves FAULT and elects
// as one, whichever member's track event comes first. Driven on a fake clock: the driver fires the
// earliest timer the node asked for.

import { describe, expect, it } from 'vitest';
import { createNode, stepNode, type FsmAction, type FsmEvent, type NodeState } from '../../src/vrrp/fsm.js';
import type { InstanceConfig, TimerId } from '../../src/vrrp/fsm-types.js';
import type { TrackSpec, TrackStatus } from '../../src/vrrp/tracking.js';

const S = 1_000_000;

interface Sim {
  node: NodeState;
  now: number;
  log: FsmAction[];
}

function build(specs: Array<{ name: string; tracks?: TrackSpec[] }>, initial: Record<string, TrackStatus> = {}): Sim {
  const instances: InstanceConfig[] = specs.map((s, k) => ({
    name: s.name, vrid: k + 1, priority: 100, primaryAddr: '192.0.2.10', vips: [`203.0.113.${k + 1}`],
    tracks: s.tracks ?? [],
    initialTrackStatus: Object.fromEntries(Object.entries(initial).filter(([t]) => (s.tracks ?? []).some((x) => x.name === t))),
  }));
  const r = createNode({ instances, syncGroups: [{ name: 'G', members: specs.map((s) => s.name) }] });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return { node: r.node, now: 0, log: [] };
}

function send(sim: Sim, ev: FsmEvent, at: number): FsmAction[] {
  sim.now = at;
  const r = stepNode(sim.node, ev, at);
  sim.node = r.state;
  sim.log.push(...r.actions);
  expect(r.actions.filter((a) => a.type === 'error')).toEqual([]);
  return r.actions;
}

/** Fire due protocol timers in deadline order up to `until` (bounded), returning each step's actions. */
function runUntil(sim: Sim, until: number): FsmAction[][] {
  const steps: FsmAction[][] = [];
  for (let n = 0; n < 500; n++) {
    let best: { inst: string; timer: TimerId; at: number } | null = null;
    for (const i of sim.node.instances) {
      for (const [t, at] of Object.entries(i.timers) as Array<[TimerId, number]>) {
        if (at <= until && (best === null || at < best.at)) best = { inst: i.cfg.name, timer: t, at };
      }
    }
    if (!best) return steps;
    steps.push(send(sim, { type: 'timer', instance: best.inst, timer: best.timer }, Math.max(best.at, sim.now)));
  }
  throw new Error('timer loop did not settle');
}

const states = (sim: Sim) => sim.node.instances.map((i) => i.state);
const groupState = (sim: Sim) => sim.node.groups[0].state;
const notifies = (acts: FsmAction[]) =>
  acts.filter((a) => a.type === 'notify' || a.type === 'notify-group').map((a) => (a.type === 'notify' ? `${a.instance}:${a.state}` : `G:${a.state}`));

/** Both members become MASTER in one step (the group elects as one), with no peer on the wire. */
function expectMasterTogether(sim: Sim, until: number): void {
  const steps = runUntil(sim, until);
  expect(states(sim)).toEqual(['MASTER', 'MASTER']);
  expect(groupState(sim)).toBe('MASTER');
  const promoting = steps.filter((acts) => acts.some((a) => a.type === 'add-vips'));
  expect(promoting.length).toBe(1);
  expect(promoting[0].filter((a) => a.type === 'add-vips').map((a) => (a as { instance: string }).instance).sort()).toEqual(['A', 'B']);
  expect(promoting[0]).toContainEqual({ type: 'notify-group', group: 'G', state: 'MASTER' });
}

const script = (name: string): TrackSpec => ({ name, kind: 'script', weight: 0 });

describe('sync group: weight-0 script in its initial state', () => {
  it('shared script: both held in FAULT silently (group INIT), the first result brings both up, then MASTER together', () => {
    const sim = build([{ name: 'A', tracks: [script('chk')] }, { name: 'B', tracks: [script('chk')] }], { chk: 'init' });
    expect(groupState(sim)).toBe('INIT');
    const start = send(sim, { type: 'start' }, 0);
    expect(states(sim)).toEqual(['FAULT', 'FAULT']);
    expect(notifies(start)).toEqual([]);
    const up = send(sim, { type: 'track', track: 'chk', status: true }, 1 * S);
    expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
    expect(groupState(sim)).toBe('BACKUP');
    expect(notifies(up).sort()).toEqual(['A:BACKUP', 'B:BACKUP', 'G:BACKUP']);
    expect(sim.node.instances.every((i) => i.timers['master-down'] !== undefined)).toBe(true);
    expectMasterTogether(sim, 20 * S);
  });

  it('script on one member only: the healthy member is held too and comes up with it', () => {
    const sim = build([{ name: 'A', tracks: [script('chk')] }, { name: 'B' }], { chk: 'init' });
    send(sim, { type: 'start' }, 0);
    expect(states(sim)).toEqual(['FAULT', 'FAULT']);
    send(sim, { type: 'track', track: 'chk', status: true }, 1 * S);
    expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
    expectMasterTogether(sim, 20 * S);
  });

  it('each member its own script: up only when the last one reports', () => {
    const sim = build([{ name: 'A', tracks: [script('ca')] }, { name: 'B', tracks: [script('cb')] }], { ca: 'init', cb: 'init' });
    send(sim, { type: 'start' }, 0);
    send(sim, { type: 'track', track: 'cb', status: true }, 1 * S);
    expect(states(sim)).toEqual(['FAULT', 'FAULT']);
    expect(groupState(sim)).toBe('INIT');
    send(sim, { type: 'track', track: 'ca', status: true }, 2 * S);
    expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
    expectMasterTogether(sim, 20 * S);
  });

  it('a first result that fails: the group goes FAULT and says so (members and group), then comes up as one', () => {
    const sim = build([{ name: 'A', tracks: [script('chk')] }, { name: 'B', tracks: [script('chk')] }], { chk: 'init' });
    send(sim, { type: 'start' }, 0);
    const down = send(sim, { type: 'track', track: 'chk', status: false }, 1 * S);
    expect(states(sim)).toEqual(['FAULT', 'FAULT']);
    expect(groupState(sim)).toBe('FAULT');
    expect(notifies(down)).toContain('G:FAULT');
    expect(notifies(down)).toContain('A:FAULT');
    send(sim, { type: 'track', track: 'chk', status: true }, 2 * S);
    expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
    expectMasterTogether(sim, 30 * S);
  });

  it('an interface fault cleared while a script is still pending leaves the group INIT, not BACKUP', () => {
    const eth: TrackSpec = { name: 'eth1', kind: 'interface', weight: 0 };
    const sim = build([{ name: 'A', tracks: [script('chk'), eth] }, { name: 'B', tracks: [script('chk')] }], { chk: 'init', eth1: false });
    expect(groupState(sim)).toBe('FAULT');
    send(sim, { type: 'start' }, 0);
    expect(states(sim)).toEqual(['FAULT', 'FAULT']);
    send(sim, { type: 'track', track: 'eth1', status: true }, 1 * S);
    expect(states(sim)).toEqual(['FAULT', 'FAULT']);
    expect(groupState(sim)).toBe('INIT');
    send(sim, { type: 'track', track: 'chk', status: true }, 2 * S);
    expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
    expectMasterTogether(sim, 20 * S);
  });
});

describe('sync group: a weight-0 track going down and up again', () => {
  const cases: Array<{ what: string; tracks: (m: 'A' | 'B') => TrackSpec[]; name: string; bad: TrackStatus; good: TrackStatus }> = [
    { what: 'shared vrrp_script', tracks: () => [script('chk')], name: 'chk', bad: false, good: true },
    { what: 'shared track_file', tracks: () => [{ name: 'f', kind: 'file', weight: 0 }], name: 'f', bad: 3, good: 0 },
    { what: 'shared track_interface', tracks: () => [{ name: 'eth1', kind: 'interface', weight: 0 }], name: 'eth1', bad: false, good: true },
    { what: 'track_interface on one member', tracks: (m) => (m === 'A' ? [{ name: 'eth1', kind: 'interface', weight: 0 }] : []), name: 'eth1', bad: false, good: true },
    { what: 'track_file on one member', tracks: (m) => (m === 'B' ? [{ name: 'f', kind: 'file', weight: 0 }] : []), name: 'f', bad: 7, good: 0 },
  ];
  for (const c of cases) {
    it(`${c.what}: down -> whole group FAULT, up -> whole group BACKUP then MASTER together`, () => {
      const sim = build([{ name: 'A', tracks: c.tracks('A') }, { name: 'B', tracks: c.tracks('B') }]);
      send(sim, { type: 'start' }, 0);
      expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
      expectMasterTogether(sim, 20 * S);
      const down = send(sim, { type: 'track', track: c.name, status: c.bad }, 30 * S);
      expect(states(sim)).toEqual(['FAULT', 'FAULT']);
      expect(groupState(sim)).toBe('FAULT');
      expect(down.filter((a) => a.type === 'remove-vips').length).toBe(2);
      expect(notifies(down)).toContain('G:FAULT');
      const up = send(sim, { type: 'track', track: c.name, status: c.good }, 40 * S);
      expect(states(sim)).toEqual(['BACKUP', 'BACKUP']);
      expect(groupState(sim)).toBe('BACKUP');
      expect(notifies(up)).toContain('G:BACKUP');
      expectMasterTogether(sim, 60 * S);
    });
  }
});
