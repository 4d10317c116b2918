// The children's Node flags: the supervisor's own, plus a small young generation (RSS) unless set.
import { describe, expect, it } from 'vitest';
import { childExecArgv } from '../../src/daemon/supervisor.js';

describe('childExecArgv', () => {
  it('adds --max-semi-space-size=1 to the supervisor flags', () => {
    expect(childExecArgv([])).toEqual(['--max-semi-space-size=1']);
    expect(childExecArgv(['--enable-source-maps'])).toEqual(['--enable-source-maps', '--max-semi-space-size=1']);
  });
  it('keeps a semi-space size the operator gave', () => {
    expect(childExecArgv(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
  });
  it('does not change the array it was given', () => {
    const base = ['--inspect=0'];
    childExecArgv(base);
    expect(base).toEqual(['--inspect=0']);
  });
});
