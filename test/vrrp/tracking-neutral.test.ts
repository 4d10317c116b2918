// neutralStatus: the status under which a track counts for nothing (used to take a track out of a
// running instance through track events), for every kind, weight and reverse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateTracks, neutralStatus, type TrackKind, type TrackSpec } from '../../src/vrrp/tracking.js';

const kinds: TrackKind[] = ['interface', 'script', 'file', 'process', 'bfd'];

describe('neutralStatus', () => {
  it('contributes no weight, no FAULT and is not pending, whatever the spec', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.integer({ min: -253, max: 253 }), fc.boolean(), (kind, weight, reverse) => {
        const spec: TrackSpec = { name: 't', kind, weight, reverse };
        expect(evaluateTracks([spec], { t: neutralStatus(spec) })).toEqual({ delta: 0, faults: [], pending: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('examples: a positive script weight is neutral when down, a negative or zero one when up; reverse flips', () => {
    expect(neutralStatus({ name: 's', kind: 'script', weight: 20 })).toBe(false);
    expect(neutralStatus({ name: 's', kind: 'script', weight: -20 })).toBe(true);
    expect(neutralStatus({ name: 's', kind: 'script', weight: 0 })).toBe(true);
    expect(neutralStatus({ name: 's', kind: 'script', weight: 0, reverse: true })).toBe(false);
    expect(neutralStatus({ name: 'f', kind: 'file', weight: 5 })).toBe(0);
    expect(neutralStatus({ name: 'f', kind: 'file', weight: 0, reverse: true })).toBe(1);
  });
});
