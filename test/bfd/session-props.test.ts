// Properties of the session state machine under arbitrary (valid) peer behaviour, fast-check:
// every packet it sends passes the receive checks (so a peer never drops ours), Poll and Final
// never together, only RFC 5880's transitions, the detection time is always the peer's multiplier
// times the negotiated remote interval, and timers are never set in the past.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BfdState, decodeBfd, encodeBfd, type BfdPacket } from '../../src/bfd/codec.js';
import { BfdSession, type SessionConfig } from '../../src/bfd/session.js';

const MS = 1000;
// RFC 5880 6.8.6 (and AdminDown, which only the local side enters here).
const ALLOWED = new Set(['1>2', '1>3', '2>3', '2>1', '3>1']);

type Step =
  | { kind: 'rx'; state: BfdState; poll: boolean; final: boolean; demand: boolean; mult: number; tx: number; rx: number; yours: boolean; diag: number }
  | { kind: 'wait'; us: number }
  | { kind: 'reconf'; tx: number; rx: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('rx' as const),
    state: fc.constantFrom(BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up),
    poll: fc.boolean(),
    final: fc.boolean(),
    demand: fc.boolean(),
    mult: fc.integer({ min: 1, max: 10 }),
    tx: fc.integer({ min: 1, max: 2000 }).map((x) => x * MS),
    rx: fc.integer({ min: 1, max: 2000 }).map((x) => x * MS),
    yours: fc.boolean(),
    diag: fc.integer({ min: 0, max: 8 }),
  }),
  fc.record({ kind: fc.constant('wait' as const), us: fc.integer({ min: 0, max: 3000 * MS }) }),
  fc.record({ kind: fc.constant('reconf' as const), tx: fc.integer({ min: 1, max: 500 }).map((x) => x * MS), rx: fc.integer({ min: 1, max: 500 }).map((x) => x * MS) }),
);

describe('BFD session properties', () => {
  it('hold under any sequence of peer packets, waits and reconfigurations', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 60 }), fc.integer(), (passive, mult, steps, seed) => {
        let r = seed >>> 0 || 1;
        const random = () => ((r = (r * 48271) % 2147483647) / 2147483647);
        let d = 100;
        const cfg: SessionConfig = { name: 'p', minRxUs: 50 * MS, minTxUs: 50 * MS, idleTxUs: 1000 * MS, mult, passive };
        const s = new BfdSession(cfg, { random, newDiscr: () => ++d });
        let now = 0;
        s.start(now);
        const check = (pkts: BfdPacket[], changes: { from: BfdState; to: BfdState }[]) => {
          for (const p of pkts) {
            const dec = decodeBfd(encodeBfd(p));
            expect(dec.ok, dec.ok ? '' : dec.detail).toBe(true);
            expect(p.poll && p.final).toBe(false);
          }
          for (const c of changes) if (c.to !== BfdState.AdminDown) expect(ALLOWED.has(`${c.from}>${c.to}`), `${c.from}>${c.to}`).toBe(true);
          for (const t of [s.txAt, s.expireAt, s.resetAt]) if (t !== null) expect(t).toBeGreaterThanOrEqual(now - 1);
          if (s.remoteMult > 0) expect(s.localDetectUs).toBe(s.remoteMult * s.remoteTxUs);
        };
        for (const st of steps) {
          if (st.kind === 'wait') {
            const end = now + st.us;
            for (let i = 0; i < 10_000; i++) {
              const next = s.nextDeadline();
              if (next === null || next > end) break;
              now = Math.max(now, next);
              const o = s.due(now);
              check(o.packets, o.changes);
            }
            now = end;
          } else if (st.kind === 'reconf') {
            s.reconfigure({ ...cfg, minTxUs: st.tx, minRxUs: st.rx }, now);
          } else {
            // Only packets that pass the receive checks reach a session.
            const yourDiscr = st.yours || (st.state !== BfdState.Down && st.state !== BfdState.AdminDown) ? s.localDiscr : 0;
            const p: BfdPacket = {
              version: 1, diag: st.diag, state: st.state, poll: st.poll && !st.final, final: st.final, cplane: false, auth: false, demand: st.demand,
              multipoint: false, detectMult: st.mult, length: 24, myDiscr: 7, yourDiscr, desiredMinTx: st.tx, requiredMinRx: st.rx, requiredMinEchoRx: 0,
            };
            const o = s.receive(p, now);
            check(o.packets, o.changes);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
