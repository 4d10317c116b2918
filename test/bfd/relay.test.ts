// The supervisor's BFD relay: session states go to the children the bfd_instance names, malformed
// messages are ignored, and a (re)started child gets the last known states for its role.
import { describe, expect, it } from 'vitest';
import { BfdRelay } from '../../src/daemon/bfd-relay.js';
import type { ParentMessage } from '../../src/daemon/ipc.js';

describe('BFD relay (supervisor)', () => {
  it('relays per vrrp/checker, keeps the last state per role, ignores malformed messages', () => {
    const sent: [string, ParentMessage][] = [];
    const r = new BfdRelay((role, m) => void sent.push([role, m]));
    expect(r.startStates('vrrp')).toBeUndefined();
    r.onState({ name: 'b1', up: true, vrrp: true, checker: true });
    r.onState({ name: 'b2', up: false, vrrp: true, checker: false });
    r.onState({ name: 'b3', up: true, vrrp: false, checker: true });
    r.onState({ name: 42, up: true, vrrp: true, checker: true });
    r.onState({ name: 'b4', up: 'yes', vrrp: true, checker: true });
    expect(sent).toEqual([
      ['vrrp', { type: 'bfd-state', name: 'b1', up: true }],
      ['checker', { type: 'bfd-state', name: 'b1', up: true }],
      ['vrrp', { type: 'bfd-state', name: 'b2', up: false }],
      ['checker', { type: 'bfd-state', name: 'b3', up: true }],
    ]);
    r.onState({ name: 'b1', up: false, vrrp: true, checker: true });
    expect(r.startStates('vrrp')).toEqual({ b1: false, b2: false });
    expect(r.startStates('checker')).toEqual({ b1: false, b3: true });
    r.clear();
    expect(r.startStates('checker')).toBeUndefined();
  });
});
