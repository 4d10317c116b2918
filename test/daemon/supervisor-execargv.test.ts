// The children's Node flags: the supervisor's own, plus a small young generation (RSS) and
// single-threaded GC (no helper threads to wait for on a busy host) unless set.
import { describe, expect, it } from 'vitest';
import { childExecArgv } from '../../src/daemon/supervisor.js';

describe('childExecArgv', () => {
  it('adds --max-semi-space-size=1 and --single-threaded-gc to the supervisor flags', () => {
    expect(childExecArgv([])).toEqual(['--max-semi-space-size=1', '--single-threaded-gc']);
    expect(childExecArgv(['--enable-source-maps'])).toEqual(['--enable-source-maps', '--max-semi-space-size=1', '--single-threaded-gc']);
  });
  it('keeps a semi-space size and GC threading the operator gave', () => {
    expect(childExecArgv(['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8', '--single-threaded-gc']);
    for (const f of ['--no-single-threaded-gc', '--single-threaded', '--single-threaded-gc']) {
      expect(childExecArgv([f])).toEqual([f, '--max-semi-space-size=1']);
    }
  });
  it('does not change the array it was given', () => {
    const base = ['--inspect=0'];
    childExecArgv(base);
    expect(base).toEqual(['--inspect=0']);
  });
});
