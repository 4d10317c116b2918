import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOps, describeOp, plan, shutdownPlan } from '../../src/ipvs/reconcile.js';
import { destKey, serviceKey, type Table, type TableDest, type TableService } from '../../src/ipvs/table.js';

const d = (addr: string, port: number, weight = 1, fwd = 0): TableDest => ({
  af: addr.includes(':') ? 10 : 2, addr, port, fwd, weight, uThresh: 0, lThresh: 0, tunType: 0, tunPort: 0, tunFlags: 0,
});
const s = (addr: string, port: number, dests: TableDest[], over: Partial<TableService> = {}): TableService => ({
  af: 2, protocol: 6, addr, port, fwmark: 0, sched: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff, peName: '', dests, ...over,
});
const lines = (ops: ReturnType<typeof plan>) => ops.map(describeOp);

/** Tables compared as sets: order in the kernel is a hash order. */
function canon(t: Table) {
  return t.services
    .map((x) => ({ ...x, dests: [...x.dests].sort((a, b) => destKey(a).localeCompare(destKey(b))) }))
    .sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
}

describe('reconciler plan', () => {
  it('builds an empty table: services first, then their destinations', () => {
    const want: Table = { services: [s('192.0.2.10', 80, [d('198.51.100.1', 8080, 3), d('198.51.100.2', 8080)])] };
    expect(lines(plan({ services: [] }, want))).toEqual([
      'add-service TCP 192.0.2.10:80 wrr',
      'add-dest TCP 192.0.2.10:80 -> 198.51.100.1:8080 masq weight 3',
      'add-dest TCP 192.0.2.10:80 -> 198.51.100.2:8080 masq weight 1',
    ]);
  });

  it('plans nothing when the table is already right (adoption at start-up)', () => {
    const t: Table = { services: [s('192.0.2.10', 80, [d('198.51.100.1', 8080)]), s('', 0, [], { fwmark: 7, protocol: 0 })] };
    expect(plan(t, structuredClone(t))).toEqual([]);
  });

  it('edits in place what the kernel can edit: scheduler, flags, timeout, weight, thresholds, method', () => {
    const have: Table = { services: [s('192.0.2.10', 80, [d('198.51.100.1', 80, 1), d('198.51.100.2', 80, 1)], { sched: 'rr' })] };
    const want: Table = {
      services: [s('192.0.2.10', 80, [d('198.51.100.1', 80, 5), { ...d('198.51.100.2', 80, 1, 3), uThresh: 9 }], { timeout: 300, flags: 1 })],
    };
    expect(lines(plan(have, want))).toEqual([
      'edit-service TCP 192.0.2.10:80 wrr persistent 300 flags 0x1',
      'edit-dest TCP 192.0.2.10:80 -> 198.51.100.1:80 masq weight 5',
      'edit-dest TCP 192.0.2.10:80 -> 198.51.100.2:80 route weight 1',
    ]);
  });

  it('leaves foreign services and foreign destinations alone, removes the configured ones it no longer wants', () => {
    const have: Table = {
      services: [
        s('203.0.113.50', 80, [d('198.51.100.200', 80)]),
        s('192.0.2.10', 80, [d('198.51.100.1', 80), d('198.51.100.250', 80)]),
      ],
    };
    const want: Table = { services: [s('192.0.2.10', 80, [])] };
    const managed = new Map([['TCP 192.0.2.10:80', new Set(['198.51.100.1:80'])]]);
    expect(lines(plan(have, want, { managed }))).toEqual(['delete-dest TCP 192.0.2.10:80 -> 198.51.100.1:80']);
    // With lvs_flush (exclusive) everything not desired goes, destinations before services.
    expect(lines(plan(have, want, { managed, exclusive: true }))).toEqual([
      'delete-dest TCP 192.0.2.10:80 -> 198.51.100.1:80',
      'delete-dest TCP 192.0.2.10:80 -> 198.51.100.250:80',
      'delete-service TCP 203.0.113.50:80',
    ]);
  });

  it('deletes stale services (removed by a reload) with one operation each', () => {
    const have: Table = { services: [s('192.0.2.10', 80, [d('198.51.100.1', 80)]), s('192.0.2.11', 80, [])] };
    expect(lines(plan(have, { services: [s('192.0.2.11', 80, [])] }, { stale: new Set(['TCP 192.0.2.10:80']) }))).toEqual([
      'delete-service TCP 192.0.2.10:80',
    ]);
  });

  it('does not touch a held service (ha_suspend while not MASTER), but creates it when missing', () => {
    const want: Table = { services: [s('192.0.2.10', 80, [d('198.51.100.1', 80, 4)])] };
    const held = new Set(['TCP 192.0.2.10:80']);
    expect(plan({ services: [s('192.0.2.10', 80, [], { sched: 'rr' })] }, want, { held })).toEqual([]);
    expect(lines(plan({ services: [] }, want, { held }))).toHaveLength(2);
  });

  it('orders every kind of change deterministically', () => {
    const have: Table = { services: [s('192.0.2.1', 80, [d('198.51.100.1', 80), d('198.51.100.2', 80)], { sched: 'rr' }), s('192.0.2.9', 80, [])] };
    const want: Table = { services: [s('192.0.2.1', 80, [d('198.51.100.2', 80, 2), d('198.51.100.3', 80)]), s('192.0.2.5', 80, [d('198.51.100.1', 80)])] };
    expect(plan(have, want, { exclusive: true }).map((o) => o.op)).toEqual([
      'delete-dest', 'delete-service', 'edit-service', 'add-service', 'edit-dest', 'add-dest', 'add-dest',
    ]);
  });

  it('shutdown removes only the services it owns, or flushes', () => {
    const have: Table = { services: [s('192.0.2.10', 80, [d('198.51.100.1', 80)]), s('203.0.113.50', 80, [])] };
    expect(lines(shutdownPlan(have, new Set(['TCP 192.0.2.10:80'])))).toEqual(['delete-service TCP 192.0.2.10:80']);
    expect(shutdownPlan(have, new Set(), 'full')).toEqual([{ op: 'flush' }]);
  });

  it('applyOps reports what the kernel would refuse', () => {
    const r = applyOps({ services: [] }, [
      { op: 'add-dest', service: s('192.0.2.1', 80, []), dest: d('198.51.100.1', 80) },
      { op: 'add-service', service: s('192.0.2.1', 80, []) },
      { op: 'add-service', service: s('192.0.2.1', 80, []) },
    ]);
    expect(r.errors).toEqual(['add-dest TCP 192.0.2.1:80 -> 198.51.100.1:80: no such service', 'add-service TCP 192.0.2.1:80: exists']);
  });

  // Property: for any two tables A and B, applying plan(A, B) to A gives B, without a refused
  // operation, touching each entry at most once; a second plan is empty.
  const addr = fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::1', '2001:db8::2');
  const dest = fc.record({ addr: fc.constantFrom('198.51.100.1', '198.51.100.2', '198.51.100.3', '2001:db8:1::1'), port: fc.constantFrom(0, 80, 8080), weight: fc.nat(5), fwd: fc.constantFrom(0, 2, 3), uThresh: fc.nat(2) })
    .map((x) => ({ ...d(x.addr, x.port, x.weight, x.fwd), uThresh: x.uThresh }));
  const service = fc.record({
    addr, port: fc.constantFrom(80, 443), fwmark: fc.constantFrom(0, 0, 7), sched: fc.constantFrom('rr', 'wrr', 'mh'), timeout: fc.constantFrom(0, 300),
    dests: fc.uniqueArray(dest, { selector: destKey, maxLength: 4 }),
  }).map((x) => s(x.fwmark ? '' : x.addr, x.fwmark ? 0 : x.port, x.dests, {
    af: x.addr.includes(':') ? 10 : 2, protocol: x.fwmark ? 0 : 6, fwmark: x.fwmark, sched: x.sched, timeout: x.timeout, flags: x.timeout ? 1 : 0,
  }));
  const table = fc.uniqueArray(service, { selector: serviceKey, maxLength: 6 }).map((services) => ({ services }));

  it('applying plan(A, B) to A yields B (property)', () => {
    fc.assert(
      fc.property(table, table, (a, b) => {
        const ops = plan(a, b, { exclusive: true });
        const r = applyOps(a, ops);
        expect(r.errors).toEqual([]);
        expect(canon(r.table)).toEqual(canon(b));
        expect(plan(r.table, b, { exclusive: true })).toEqual([]);
        // Each service and each destination is touched at most once.
        const touched = ops.map((o) => (o.op === 'flush' ? 'flush' : `${serviceKey(o.service)}${'dest' in o ? ` -> ${destKey(o.dest)}` : ''}`));
        expect(new Set(touched).size).toBe(touched.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('without ownership, services and destinations outside B survive (property)', () => {
    fc.assert(
      fc.property(table, table, (a, b) => {
        const r = applyOps(a, plan(a, b));
        expect(r.errors).toEqual([]);
        const after = new Map(r.table.services.map((x) => [serviceKey(x), x]));
        for (const x of b.services) {
          const got = after.get(serviceKey(x))!;
          for (const dd of x.dests) expect(got.dests.find((y) => destKey(y) === destKey(dd))).toEqual(dd);
        }
        for (const x of a.services) if (!b.services.some((y) => serviceKey(y) === serviceKey(x))) expect(after.get(serviceKey(x))).toEqual(x);
      }),
      { numRuns: 500 },
    );
  });
});
