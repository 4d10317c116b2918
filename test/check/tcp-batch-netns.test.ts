// The TCP_CHECK batch prober where the network decides (root only; namespaces made here, deleted
// after): the fwmark lab's client reaches the server only by policy routing, so a check that gets
// through proves its socket carried the mark, the source address (bindto) or the source port
// (bind_port) the rule matches. Also: a blackhole (nobody answers ARP: no SYN leaves) times out at
// connect_timeout, no route and an unreachable route read "unreachable", a missing device and a
// refused SO_MARK (no CAP_NET_ADMIN/CAP_NET_RAW) name the step that failed, and no fd is left open.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, makeFwmarkLab, MARK, SERVER4, SERVER6, type FwmarkLab } from '../genhash/fwmark-lab.js';
import { ip, isRoot } from '../helpers/netns.js';

const CHILD = join(import.meta.dirname, 'tcp-batch-child.mjs');
const BOUND_SRC = '198.51.100.3';
const SPORTS = [40100, 40109];

interface Outcome {
  ok: boolean;
  detail: string;
  code: number;
  errno: number;
  elapsedMs: number;
}

function runChild(ns: string, input: object, prefix: string[] = []): { outcomes: Outcome[]; fdsBefore: number; fdsIdle: number; fdsClosed: number } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...prefix, 'node', CHILD], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe.skipIf(!isRoot())('batch prober in namespaces', () => {
  let lab: FwmarkLab;
  beforeAll(async () => {
    buildDist();
    lab = await makeFwmarkLab();
    const c = lab.client;
    // bindto: only this source address is routed to the server; bind_port: only these source ports.
    ip('-n', c, 'addr', 'add', `${BOUND_SRC}/32`, 'dev', 'fmc0');
    ip('-n', c, 'rule', 'add', 'from', BOUND_SRC, 'table', '100');
    ip('-n', c, 'rule', 'add', 'ipproto', 'tcp', 'sport', `${SPORTS[0]}-${SPORTS[1]}`, 'table', '100');
    // A blackhole: 203.0.113.0/24 is on a veth whose peer (same namespace) has no address, so
    // nobody answers ARP for 203.0.113.9 and the SYN is never sent.
    ip('-n', c, 'link', 'add', 'tbv0', 'type', 'veth', 'peer', 'name', 'tbv1');
    ip('-n', c, 'addr', 'add', '203.0.113.1/24', 'dev', 'tbv0');
    ip('-n', c, 'link', 'set', 'tbv0', 'up');
    ip('-n', c, 'link', 'set', 'tbv1', 'up');
    ip('-n', c, 'route', 'add', 'unreachable', '192.0.2.0/24');
  }, 360_000);
  afterAll(() => lab?.close());

  it('the mark, the source address and the source port are on the wire; IPv4 and IPv6', () => {
    const echo = lab.ports.echo;
    const { outcomes: o, fdsIdle, fdsBefore } = runChild(lab.client, {
      targets: [
        { ip: SERVER4, port: echo, fwmark: MARK, timeoutMs: 3000 },
        { ip: SERVER6, port: echo, fwmark: MARK, timeoutMs: 3000 },
        { ip: SERVER4, port: echo, timeoutMs: 3000 }, // no mark: no route
        { ip: SERVER6, port: echo, fwmark: MARK + 1, timeoutMs: 3000 }, // another mark: no route
        { ip: SERVER4, port: echo, bindto: BOUND_SRC, timeoutMs: 3000 },
        { ip: SERVER4, port: echo, bindPort: SPORTS[0]! + 3, timeoutMs: 3000 },
        { ip: SERVER4, port: echo, bindto: '198.51.100.2', bindPort: SPORTS[1]! + 1, timeoutMs: 3000 }, // outside the range
        { ip: SERVER4, port: echo, fwmark: MARK, bindIf: 'fmc0', timeoutMs: 3000 },
      ],
    });
    const where4 = `${SERVER4}:${echo}`;
    expect(o[0]).toMatchObject({ ok: true, detail: `TCP connection to ${where4} succeeded` });
    expect(o[1]).toMatchObject({ ok: true, detail: `TCP connection to [${SERVER6}]:${echo} succeeded` });
    expect(o[2]).toMatchObject({ ok: false, detail: `TCP connection to ${where4} failed: unreachable` });
    expect(o[3]).toMatchObject({ ok: false, detail: `TCP connection to [${SERVER6}]:${echo} failed: unreachable` });
    expect(o[4]).toMatchObject({ ok: true });
    expect(o[5]).toMatchObject({ ok: true });
    expect(o[6]).toMatchObject({ ok: false, detail: `TCP connection to ${where4} failed: unreachable` });
    expect(o[7]).toMatchObject({ ok: true });
    expect(fdsIdle).toBe(fdsBefore);
  }, 60_000);

  it('blackhole: timed out at connect_timeout; unreachable routes and missing devices say so; nothing left open', () => {
    const echo = lab.ports.echo;
    const { outcomes: o, fdsBefore, fdsIdle, fdsClosed } = runChild(lab.client, {
      targets: [
        { ip: '203.0.113.9', port: 80, timeoutMs: 300 },
        { ip: '192.0.2.9', port: 80, timeoutMs: 3000 },
        { ip: '2001:db8:77::9', port: 80, timeoutMs: 3000 },
        { ip: SERVER4, port: echo, fwmark: MARK, bindIf: 'nosuchif0', timeoutMs: 3000 },
        { ip: SERVER4, port: 1, fwmark: MARK, timeoutMs: 3000 },
      ],
      repeat: 3,
    });
    expect(o[0]).toMatchObject({ ok: false, detail: 'TCP connection to 203.0.113.9:80 timed out after 0.3s' });
    expect(o[0]!.elapsedMs).toBeGreaterThanOrEqual(299);
    expect(o[0]!.elapsedMs).toBeLessThan(2000);
    expect(o[1]).toMatchObject({ ok: false, detail: 'TCP connection to 192.0.2.9:80 failed: unreachable' });
    expect(o[2]).toMatchObject({ ok: false, detail: 'TCP connection to [2001:db8:77::9]:80 failed: unreachable' });
    expect(o[3]).toMatchObject({ ok: false, detail: `TCP connection to ${SERVER4}:${echo} failed: binding to device nosuchif0: No such device` });
    expect(o[4]).toMatchObject({ ok: false, detail: `TCP connection to ${SERVER4}:1 failed: refused` });
    expect(fdsIdle).toBe(fdsBefore);
    expect(fdsClosed).toBe(fdsBefore - 1);
  }, 60_000);

  it('without CAP_NET_ADMIN / CAP_NET_RAW the mark is refused, clearly; unmarked checks still run', () => {
    const echo = lab.ports.echo;
    const { outcomes: o } = runChild(
      lab.client,
      { targets: [{ ip: SERVER4, port: echo, fwmark: MARK, timeoutMs: 3000 }, { ip: '198.51.100.2', port: 9, timeoutMs: 3000 }] },
      ['setpriv', '--bounding-set', '-net_admin,-net_raw'],
    );
    expect(o[0]).toMatchObject({
      ok: false,
      detail: `TCP connection to ${SERVER4}:${echo} failed: setting fwmark ${MARK} on the socket (needs CAP_NET_ADMIN or CAP_NET_RAW): Operation not permitted`,
    });
    expect(o[1]).toMatchObject({ ok: false, detail: 'TCP connection to 198.51.100.2:9 failed: refused' });
  }, 60_000);
});
