// BFD_CHECK: a real server following a bfd_instance's session (the checker child keeps the states
// the BFD child reports). The spec is read with keepalived's rules (one name, a bfd_instance the
// checker process hears of), polled every 100 ms without warmup or retry, and the check is up
// exactly while the session is Up.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { BFD_POLL_MS, bfdSessionStates } from '../../src/check/bfd.js';
import { runCheck } from '../../src/check/run.js';
import { buildCheckers } from '../../src/check/spec.js';

const conf = (bfdExtra: string, check: string) => `bfd_instance b1 {
  neighbor_ip 192.0.2.2
${bfdExtra}
}
virtual_server 192.0.2.100 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.10 80 {
    BFD_CHECK {
${check}
    }
  }
}
`;

const deps = { now: () => Date.now() };

describe('BFD_CHECK', () => {
  afterEach(() => bfdSessionStates.clear());

  it('reads the name and polls the session without warmup or retry; alpha as given', () => {
    const r = buildCheckers(loadConfigText(conf('', '      name b1\n      alpha'), 'k.conf').model);
    expect(r.problems).toEqual([]);
    const c = r.servers[0]!.checkers[0]!;
    expect(c.spec).toEqual({ type: 'BFD_CHECK', name: 'b1' });
    expect(c.timing).toMatchObject({ delayLoopMs: BFD_POLL_MS, warmupMs: 0, retry: 0, alpha: true });
  });

  it('refuses a missing name, an unknown bfd_instance and one that only tells VRRP (named, with the line)', () => {
    for (const [extra, check, msg] of [
      ['', '', /No or too many names/],
      ['', '      name nope', /BFD nope not configured/],
      ['  vrrp', '      name b1', /BFD b1 not configured/],
    ] as const) {
      const r = buildCheckers(loadConfigText(conf(extra, check), 'k.conf').model);
      expect(r.servers[0]!.checkers).toEqual([]);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.where).toMatch(/^k\.conf:\d+$/);
      expect(r.problems[0]!.message).toMatch(msg);
    }
    // `checker` (with or without vrrp) is fine.
    expect(buildCheckers(loadConfigText(conf('  vrrp\n  checker', '      name b1'), 'k.conf').model).problems).toEqual([]);
  });

  it('is up exactly while the session is Up', async () => {
    const spec = { type: 'BFD_CHECK' as const, name: 'b1' };
    expect(await runCheck(spec, deps)).toMatchObject({ ok: false, detail: 'BFD_CHECK b1: session not reported yet' });
    bfdSessionStates.set('b1', true);
    expect(await runCheck(spec, deps)).toMatchObject({ ok: true, detail: 'BFD_CHECK b1: session Up' });
    bfdSessionStates.set('b1', false);
    expect(await runCheck(spec, deps)).toMatchObject({ ok: false, detail: 'BFD_CHECK b1: session Down' });
  });
});
