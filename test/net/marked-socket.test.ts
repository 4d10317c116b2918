// connectMarked (native markConnect + net.Socket({fd})): the mark is on the socket (ss -e) and on its
// packets (only policy routing for the mark reaches the server), bind/timeout/refusal/unreachable/
// abort/EPERM give the right values, and no path leaks an fd. Root only: namespaces made here.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { buildDist, makeFwmarkLab, MARK, ROOT, SERVER4, SERVER6, type FwmarkLab } from '../genhash/fwmark-lab.js';
import { connectMarked } from '../../src/net/marked-socket.js';

const CHILD = join(ROOT, 'test/net/marked-socket-child.mjs');

interface Line {
  ok: boolean;
  stage?: string;
  code?: string;
  message?: string;
  ms: number;
  local?: string;
  remote?: string;
  echo?: string;
  error?: string;
  ss?: string;
}

/** Runs the cases in the client namespace (optionally under a prefix such as setpriv); lines + fd counts. */
function runChild(ns: string, cases: object[], repeat = 1, prefix: string[] = []): { lines: Line[]; fdsBefore: number; fdsAfter: number; garbage: string[] } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...prefix, 'node', '--expose-gc', CHILD, JSON.stringify(cases), String(repeat)], { encoding: 'utf8', timeout: 120_000 });
  const out = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (r.status !== 0 || out.length !== cases.length + 1) throw new Error(`child failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  const last = out.pop();
  return { lines: out as Line[], ...last };
}

describe.skipIf(!isRoot())('SO_MARK connections through the addon', () => {
  let lab: FwmarkLab;
  beforeAll(async () => {
    buildDist();
    lab = await makeFwmarkLab();
  }, 360_000);
  afterAll(() => lab?.close());

  it('the mark is on the socket and on the wire, IPv4 and IPv6; the fd becomes a working net.Socket', () => {
    const echo = lab.ports.echo;
    const { lines } = runChild(lab.client, [
      { address: SERVER4, port: echo, mark: MARK, timeoutMs: 3000, exchange: true, ss: true },
      { address: SERVER6, port: echo, mark: MARK, timeoutMs: 3000, exchange: true, ss: true },
      // Without the mark (or with another one) no route reaches the server: the kernel says so at once.
      { address: SERVER4, port: echo, mark: 0, timeoutMs: 3000 },
      { address: SERVER6, port: echo, mark: MARK + 1, timeoutMs: 3000 },
    ]);
    for (const l of lines.slice(0, 2)) {
      expect(l).toMatchObject({ ok: true, echo: 'ping\n' });
      expect(l.ss).toContain(`fwmark:0x${MARK.toString(16)}`);
    }
    expect(lines[0]!.remote).toBe(`${SERVER4}:${echo}`);
    expect(lines[1]!.remote).toBe(`${SERVER6}:${echo}`);
    expect(lines[2]).toMatchObject({ ok: false, stage: 'connect', code: 'ENETUNREACH' });
    expect(lines[2]!.message).toBe(`TCP connection to ${SERVER4}:${echo} with fwmark 0: connect: Network is unreachable`);
    expect(lines[3]).toMatchObject({ ok: false, stage: 'connect', code: 'ENETUNREACH' });
  }, 60_000);

  it('bind address and port, refused, timeout, abort; no fd left behind after 20 rounds of every path', () => {
    const { echo } = lab.ports;
    // Port 1 on the server: nothing listens, the server's kernel answers RST.
    const { lines, fdsBefore, fdsAfter, garbage } = runChild(
      lab.client,
      [
        { address: SERVER4, port: echo, mark: MARK, localAddress: '198.51.100.2', localPort: 40123, timeoutMs: 3000, exchange: true },
        { address: SERVER4, port: 1, mark: MARK, timeoutMs: 3000 },
        // The server drops nothing, but 198.51.100.77 does not exist: ARP never resolves, the connect hangs.
        { address: '198.51.100.77', port: echo, mark: MARK, timeoutMs: 200 },
        { address: '198.51.100.77', port: echo, mark: MARK, timeoutMs: 5000, abortAfterMs: 50 },
        { address: SERVER4, port: echo, mark: MARK, bindIf: 'fmc0', timeoutMs: 3000, exchange: true },
        { address: SERVER4, port: echo, mark: MARK, bindIf: 'lo', timeoutMs: 300 },
        // No signal, nothing in JS holding the pending connect's handle, garbage collected meanwhile.
        { address: '198.51.100.77', port: echo, mark: MARK, timeoutMs: 300, gc: true },
      ],
      20,
    );
    expect(lines[0]).toMatchObject({ ok: true, local: '198.51.100.2:40123', echo: 'ping\n' });
    expect(lines[1]).toMatchObject({ ok: false, stage: 'connect', code: 'ECONNREFUSED' });
    expect(lines[2]).toMatchObject({ ok: false, stage: 'timeout', code: 'ETIMEDOUT' });
    expect(lines[2]!.ms).toBeGreaterThanOrEqual(190);
    expect(lines[2]!.ms).toBeLessThan(2000);
    expect(lines[3]).toMatchObject({ ok: false, stage: 'aborted', code: 'ABORT_ERR' });
    expect(lines[3]!.ms).toBeLessThan(2000);
    expect(lines[4]).toMatchObject({ ok: true, echo: 'ping\n' });
    // Bound to lo, the route through fmc0 is not usable.
    expect(lines[5]!.ok).toBe(false);
    expect(lines[6]).toMatchObject({ ok: false, stage: 'timeout', code: 'ETIMEDOUT' });
    expect(fdsAfter).toBe(fdsBefore);
    expect(garbage.some((g) => g.startsWith('THREW'))).toBe(false);
    expect(garbage.filter((g) => g === 'accepted')).toEqual([]);
    expect(garbage).toContain('bindtodevice: binding to device nosuchif0: No such device');
  }, 120_000);

  it('without CAP_NET_ADMIN / CAP_NET_RAW, SO_MARK is refused clearly (EPERM, stage mark); mark 0 needs no privilege', () => {
    const { echo } = lab.ports;
    const { lines, fdsBefore, fdsAfter } = runChild(
      lab.client,
      [
        { address: SERVER4, port: echo, mark: MARK, timeoutMs: 3000 },
        { address: '198.51.100.2', port: 9, mark: 0, timeoutMs: 3000 },
      ],
      5,
      ['setpriv', '--bounding-set', '-net_admin,-net_raw'],
    );
    expect(lines[0]).toMatchObject({ ok: false, stage: 'mark', code: 'EPERM' });
    expect(lines[0]!.message).toBe(
      `TCP connection to ${SERVER4}:${echo} with fwmark ${MARK}: setting fwmark ${MARK} on the socket (needs CAP_NET_ADMIN or CAP_NET_RAW): Operation not permitted`,
    );
    // Unmarked, the socket is made and connects (refused: nothing on port 9 of our own address).
    expect(lines[1]).toMatchObject({ ok: false, stage: 'connect', code: 'ECONNREFUSED' });
    expect(fdsAfter).toBe(fdsBefore);
  }, 60_000);
});

describe('connectMarked refuses bad input as values', () => {
  it('bad marks and addresses never throw and never reach the kernel', async () => {
    for (const mark of [-1, 2 ** 32, 1.5, Number.NaN]) {
      const r = await connectMarked({ address: '192.0.2.1', port: 80, mark, timeoutMs: 100 });
      expect(r).toMatchObject({ ok: false, stage: 'args', code: 'EINVAL' });
    }
    const r = await connectMarked({ address: 'www.example', port: 80, mark: 1, timeoutMs: 100 });
    expect(r).toMatchObject({ ok: false, stage: 'args', message: "TCP connection to www.example:80 with fwmark 1: 'www.example' is not an IP address" });
    const stop = new AbortController();
    stop.abort();
    expect(await connectMarked({ address: '192.0.2.1', port: 80, mark: 1, timeoutMs: 100, signal: stop.signal })).toMatchObject({ ok: false, stage: 'aborted' });
  });
});
