// The takeover warm-up really runs the path: a throwaway node becomes master and both adverts encode.
import { describe, expect, it } from 'vitest';
import { warmTakeoverPath } from '../../src/daemon/runtime-warm.js';

describe('warmTakeoverPath', () => {
  it('takes a throwaway instance to master and encodes its IPv4 and IPv6 adverts', () => {
    expect(warmTakeoverPath()).toBe(2);
  });
});
