// The control socket, server and client, over a real Unix socket in a temp dir with fake handlers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { callDaemon, connectFailure, openDaemon, subscribeEvents } from '../../src/control/client.js';
import { MAX_CONNECTIONS, RpcFailure, startControlServer, type ControlHandlers, type ControlServer } from '../../src/control/server.js';
import { MAX_REQUEST_BYTES, PROTOCOL_VERSION, RPC_ERRORS, type DaemonEvent } from '../../src/control/protocol.js';
import { cpuMs } from '../helpers/cpu.js';

const dir = mkdtempSync(join(tmpdir(), 'kactl-srv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(handlers: ControlHandlers = {}, extra: { path?: string; mode?: number; log?: (m: string) => void } = {}) {
  const path = extra.path ?? join(dir, `s${++n}`, 'ctl.sock');
  const r = await startControlServer({ path, handlers, daemonVersion: '9.9.9-test', mode: extra.mode, log: extra.log });
  if (!r.ok) throw new Error(r.error);
  servers.push(r.server);
  return r.server;
}

/** A raw client: send bytes, collect the reply lines until `count` or the connection ends. */
function raw(path: string, data: string | Buffer, count: number, timeoutMs = 10_000): Promise<{ lines: Record<string, any>[]; ended: boolean }> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    let buf = '';
    const lines: Record<string, any>[] = [];
    let ended = false;
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve({ lines, ended });
    };
    const t = setTimeout(done, timeoutMs);
    s.on('error', () => {});
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (lines.length >= count) done();
    });
    s.on('close', () => {
      ended = true;
      done();
    });
    s.write(data);
  });
}

/** A socket file nobody listens on, as a SIGKILLed daemon leaves it. */
function leaveDeadSocket(path: string): void {
  const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`], { timeout: 10_000 });
  expect(r.signal).toBe('SIGKILL');
  expect(statSync(path).isSocket()).toBe(true);
}

const req = (id: number | string, method: string, params?: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n';

describe('control server', () => {
  it('answers a handler call, passes params without protocolVersion, and has version built in', async () => {
    const seen: unknown[] = [];
    const s = await start({ echo: (p, conn) => (seen.push(p), { got: p, conn: conn.id }) });
    const r = await callDaemon('echo', { a: 1 }, { socket: s.path });
    expect(r).toEqual({ ok: true, result: { got: { a: 1 }, conn: expect.any(Number) } });
    expect(seen).toEqual([{ a: 1 }]);
    const v = await callDaemon('version', {}, { socket: s.path });
    expect(v).toEqual({ ok: true, result: { protocolVersion: PROTOCOL_VERSION, daemonVersion: '9.9.9-test' } });
  });

  it('socket mode is 0600 by default, the given mode otherwise; close() removes the file', async () => {
    const s = await start();
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    const g = await start({}, { mode: 0o660 });
    expect(statSync(g.path).mode & 0o777).toBe(0o660);
    await s.close();
    expect(existsSync(s.path)).toBe(false);
  });

  it('a group-owned socket: gid and 0660', async () => {
    if (process.getuid?.() !== 0) return void expect(process.getuid?.()).not.toBe(0);
    const r = await startControlServer({ path: join(dir, 'grp', 'ctl.sock'), handlers: {}, daemonVersion: 'x', gid: 65534, mode: 0o660 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    servers.push(r.server);
    const st = statSync(r.server.path);
    expect([st.gid, st.mode & 0o777]).toEqual([65534, 0o660]);
  });

  it('creates a missing parent directory 0755', async () => {
    const path = join(dir, 'deep', 'er', 'ctl.sock');
    await start({}, { path });
    expect(statSync(join(dir, 'deep', 'er')).mode & 0o777).toBe(0o755);
  });

  it('replaces a stale socket, refuses a live one and a non-socket file', async () => {
    const path = join(dir, 'stale.sock');
    // A socket file with nobody listening: what a killed daemon leaves behind.
    leaveDeadSocket(path);
    expect(statSync(path).isSocket()).toBe(true);
    const s = await start({ ping: () => 'pong' }, { path });
    expect(await callDaemon('ping', {}, { socket: path })).toEqual({ ok: true, result: 'pong' });

    const second = await startControlServer({ path, handlers: {}, daemonVersion: 'x' });
    expect(second).toEqual({ ok: false, error: `another daemon is listening on ${path}` });
    expect(await callDaemon('ping', {}, { socket: s.path })).toEqual({ ok: true, result: 'pong' });

    const plain = join(dir, 'plain-file');
    writeFileSync(plain, 'x');
    const third = await startControlServer({ path: plain, handlers: {}, daemonVersion: 'x' });
    expect(third.ok).toBe(false);
    expect(!third.ok && third.error).toContain('is not a socket');
  });

  it('malformed JSON -> parseError with id null, and the connection goes on', async () => {
    const s = await start({ ping: () => 'pong' });
    const r = await raw(s.path, '{not json\n' + req(7, 'ping'), 2);
    expect(r.lines[0]).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.parseError } });
    expect(r.lines[1]).toEqual({ jsonrpc: '2.0', id: 7, result: 'pong' });
  });

  it('invalid requests: not an object, bad jsonrpc, no method, bad id, array params', async () => {
    const s = await start({ ping: () => 'pong' });
    const r = await raw(
      s.path,
      [
        '[1,2]',
        '"text"',
        JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' }),
        JSON.stringify({ jsonrpc: '2.0', id: 2 }),
        JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: 'ping' }),
        JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping', params: [1] }),
        '',
      ].join('\n'),
      6,
    );
    expect(r.lines.map((l) => [l.id, l.error?.code])).toEqual([
      [null, RPC_ERRORS.invalidRequest],
      [null, RPC_ERRORS.invalidRequest],
      [1, RPC_ERRORS.invalidRequest],
      [2, RPC_ERRORS.invalidRequest],
      [null, RPC_ERRORS.invalidRequest],
      [3, RPC_ERRORS.invalidParams],
    ]);
  });

  it('frames partial lines, several requests in one chunk, CRLF and UTF-8 split across chunks', async () => {
    const s = await start({ echo: (p) => p });
    const sock: Socket = createConnection(s.path);
    const got: any[] = [];
    let buf = '';
    const all = new Promise<void>((resolve) => {
      sock.on('data', (d) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (got.length === 3) resolve();
      });
    });
    await new Promise((r) => sock.once('connect', r));
    const bytes = Buffer.from(req(1, 'echo', { s: 'héllo' }).replace('\n', '\r\n') + req(2, 'echo', { n: 2 }) + req(3, 'echo', { n: 3 }));
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two-byte é
    sock.write(bytes.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 30));
    sock.write(bytes.subarray(cut, cut + 5));
    await new Promise((r) => setTimeout(r, 30));
    sock.write(bytes.subarray(cut + 5));
    await all;
    sock.destroy();
    expect(got.sort((a, b) => a.id - b.id).map((g) => g.result)).toEqual([{ s: 'héllo' }, { n: 2 }, { n: 3 }]);
  });

  it('a line over MAX_REQUEST_BYTES: an error line, then the connection is closed; the server lives on', async () => {
    const s = await start({ ping: () => 'pong' });
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(MAX_REQUEST_BYTES) } }) + '\n';
    const r = await raw(s.path, big, 5);
    expect(r.ended).toBe(true);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ id: null, error: { code: RPC_ERRORS.invalidRequest } });
    expect(r.lines[0].error.message).toContain(String(MAX_REQUEST_BYTES));
    // Also with no newline at all (a client streaming garbage).
    const r2 = await raw(s.path, 'y'.repeat(MAX_REQUEST_BYTES + 10), 5);
    expect(r2.ended).toBe(true);
    expect(r2.lines[0]?.error?.code).toBe(RPC_ERRORS.invalidRequest);
    expect(await callDaemon('ping', {}, { socket: s.path })).toEqual({ ok: true, result: 'pong' });
  });

  it('unknown method, wrong protocol version, throwing and rejecting handlers, RpcFailure', async () => {
    const logs: string[] = [];
    const s = await start(
      {
        boom: () => {
          throw new Error('kaboom');
        },
        later: async () => Promise.reject(new Error('async kaboom')),
        missing: (p) => {
          throw new RpcFailure(RPC_ERRORS.noSuchInstance, `no vrrp_instance '${p.instance}'`, { instance: p.instance });
        },
        ping: () => 'pong',
      },
      { log: (m) => logs.push(m) },
    );
    const opts = { socket: s.path };
    expect(await callDaemon('nope', {}, opts)).toMatchObject({ ok: false, kind: 'rpc', code: RPC_ERRORS.methodNotFound, message: "unknown method 'nope'" });
    expect(await callDaemon('ping', { protocolVersion: 99 }, opts)).toMatchObject({ ok: true }); // the client sets its own version last
    const wrong = await raw(s.path, req(5, 'ping', { protocolVersion: 99 }), 1);
    expect(wrong.lines[0]).toMatchObject({ id: 5, error: { code: RPC_ERRORS.versionMismatch, data: { daemon: PROTOCOL_VERSION, client: 99 } } });
    expect(await callDaemon('boom', {}, opts)).toMatchObject({ ok: false, kind: 'rpc', code: RPC_ERRORS.internalError, message: 'boom failed: kaboom' });
    expect(await callDaemon('later', {}, opts)).toMatchObject({ ok: false, kind: 'rpc', code: RPC_ERRORS.internalError, message: 'later failed: async kaboom' });
    expect(await callDaemon('missing', { instance: 'VI_9' }, opts)).toEqual({
      ok: false,
      kind: 'rpc',
      code: RPC_ERRORS.noSuchInstance,
      message: "no vrrp_instance 'VI_9'",
      data: { instance: 'VI_9' },
    });
    expect(logs.some((l) => l.includes('kaboom'))).toBe(true);
    expect(await callDaemon('ping', {}, opts)).toEqual({ ok: true, result: 'pong' });
  });

  it('notifications get no reply; a result that cannot be serialised is an internalError', async () => {
    const calls: string[] = [];
    const s = await start({
      note: () => void calls.push('note'),
      big: () => ({ n: 10n }),
      ping: () => 'pong',
    });
    const r = await raw(s.path, JSON.stringify({ jsonrpc: '2.0', method: 'note' }) + '\n' + JSON.stringify({ jsonrpc: '2.0', method: 'nope' }) + '\n' + req(1, 'big') + req(2, 'ping'), 2);
    expect(calls).toEqual(['note']);
    expect(r.lines.map((l) => l.id).sort()).toEqual([1, 2]);
    expect(r.lines.find((l) => l.id === 1)?.error?.code).toBe(RPC_ERRORS.internalError);
  });

  it('100 concurrent clients all get their answers (over 64 at once are turned away cleanly)', async () => {
    const s = await start({ slow: async (p) => (await new Promise((r) => setTimeout(r, 20)), p.i) });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => callDaemon('slow', { i }, { socket: s.path })));
    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    // Everyone either got their own answer or a clear "too many connections".
    for (const [i, r] of results.entries()) if (r.ok) expect(r.result).toBe(i);
    for (const r of refused) expect(r).toMatchObject({ ok: false, message: expect.stringContaining('too many control connections') });
    expect(ok.length).toBeGreaterThanOrEqual(MAX_CONNECTIONS);
    // Held-open connections: the 65th is refused with an error line and closed.
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => openDaemon({ socket: s.path })));
    expect(held.every((h) => h.ok)).toBe(true);
    await expect.poll(() => s.connections()).toBe(MAX_CONNECTIONS);
    const over = await raw(s.path, '', 1);
    expect(over.lines[0]).toMatchObject({ id: null, error: { code: RPC_ERRORS.busy } });
    for (const h of held) if (h.ok) h.connection.close();
    await expect.poll(() => s.connections()).toBe(0);
    expect(await callDaemon('slow', { i: 'after' }, { socket: s.path })).toEqual({ ok: true, result: 'after' });
  });

  it('one answer larger than the 1 MB write bound is still delivered whole', async () => {
    const big = Array.from({ length: 5000 }, (_, k) => ({ name: `VI_${k}`, pad: 'x'.repeat(600) }));
    const s = await start({ status: () => ({ instances: big }) });
    const r = await callDaemon<{ instances: unknown[] }>('status', {}, { socket: s.path });
    expect(r.ok && r.result.instances.length).toBe(5000);
  });

  it('events: {subscribed:true} first, then every broadcast, in order', async () => {
    const s = await start();
    const got: DaemonEvent[] = [];
    const sub = await subscribeEvents({ socket: s.path }, (e) => got.push(e));
    expect(sub.ok).toBe(true);
    await expect.poll(() => s.connections()).toBe(1);
    for (let i = 0; i < 50; i++) s.broadcast({ type: 'priority', instance: 'VI_1', effective: i });
    await expect.poll(() => got.length).toBe(50);
    expect(got.map((e) => (e as { effective: number }).effective)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    if (sub.ok) sub.subscription.close();
  });

  it('a subscriber that never reads while 10,000 events are broadcast is dropped; the daemon stays responsive', async () => {
    const logs: string[] = [];
    let i = 0;
    let droppedAt = -1;
    const s = await start({ ping: () => 'pong' }, { log: (m) => (logs.push(m), m.includes('not reading') && droppedAt < 0 && (droppedAt = i)) });
    const stuck = createConnection(s.path);
    stuck.on('error', () => {});
    await new Promise((r) => stuck.once('connect', r));
    stuck.write(req(1, 'events'));
    await expect.poll(() => s.connections()).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    stuck.pause(); // never read again: the kernel buffers fill, then our pending bytes grow
    const reader = await subscribeEvents({ socket: s.path }, () => {});
    expect(reader.ok).toBe(true);
    const detail = 'x'.repeat(200);
    let broadcastCpuMs = 0;
    for (i = 0; i < 10_000; i++) {
      const c0 = process.cpuUsage();
      s.broadcast({ type: 'checker', virtualServer: '192.0.2.10:80', realServer: '198.51.100.1:80', checker: 'HTTP_GET', up: i % 2 === 0, detail });
      broadcastCpuMs += cpuMs(c0);
      if (i % 1000 === 0) {
        // Between bursts the daemon still answers (within the call's own 5 s bound).
        expect(await callDaemon('ping', {}, { socket: s.path, timeoutMs: 5000 })).toEqual({ ok: true, result: 'pong' });
      }
    }
    // The stuck reader's queue never grows past its bound, so a broadcast's cost does not grow with it:
    // 10,000 of them take well under a millisecond of CPU each on average.
    expect(broadcastCpuMs).toBeLessThan(5000);
    expect(logs.some((l) => l.includes('not reading'))).toBe(true);
    // The stuck client is gone, the reading one is still subscribed.
    await expect.poll(() => s.connections()).toBe(1);
    // Bounded: dropped once ~1 MB was queued for it (plus what the kernel buffers), not after all 3.3 MB.
    expect(droppedAt).toBeGreaterThan(0);
    expect(droppedAt).toBeLessThan(8000);
    stuck.destroy();
    if (reader.ok) reader.subscription.close();
  });
});

describe('control client', () => {
  it('no socket file -> not-running with the one-line message', async () => {
    const path = join(dir, 'nobody.sock');
    expect(await callDaemon('status', {}, { socket: path })).toEqual({
      ok: false,
      kind: 'not-running',
      message: `keepalived is not running (no control socket at ${path})`,
    });
  });

  it('a dead socket file (ECONNREFUSED) -> not-running too', async () => {
    const path = join(dir, 'dead.sock');
    leaveDeadSocket(path);
    expect(await callDaemon('status', {}, { socket: path })).toMatchObject({ ok: false, kind: 'not-running' });
  });

  it('socket path from the env when no option', async () => {
    const s = await start({ ping: () => 'env' });
    const old = process.env.KEEPALIVEDCTL_SOCKET;
    process.env.KEEPALIVEDCTL_SOCKET = s.path;
    try {
      expect(await callDaemon('ping')).toEqual({ ok: true, result: 'env' });
    } finally {
      if (old === undefined) delete process.env.KEEPALIVEDCTL_SOCKET;
      else process.env.KEEPALIVEDCTL_SOCKET = old;
    }
  });

  it('EACCES says so', () => {
    expect(connectFailure('/run/x.sock', Object.assign(new Error('connect EACCES /run/x.sock'), { code: 'EACCES' }))).toEqual({
      ok: false,
      kind: 'denied',
      message: 'permission denied on the control socket /run/x.sock (run as root, or as a member of its group)',
    });
    expect(connectFailure('/run/x.sock', Object.assign(new Error('connect EIO'), { code: 'EIO' }))).toMatchObject({ kind: 'io' });
  });

  it('a daemon that never answers -> timeout; one that hangs up -> protocol', async () => {
    const path = join(dir, 'mute.sock');
    const mute = createServer((c) => c.on('data', () => {}));
    await new Promise<void>((r) => mute.listen(path, r));
    const t0 = Date.now();
    expect(await callDaemon('status', {}, { socket: path, timeoutMs: 300 })).toMatchObject({ ok: false, kind: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise<void>((r) => mute.close(() => r()));
    const rude = createServer((c) => c.on('data', () => c.end('garbage\n')));
    await new Promise<void>((r) => rude.listen(path, r));
    expect(await callDaemon('status', {}, { socket: path })).toMatchObject({ ok: false, kind: 'protocol' });
    await new Promise<void>((r) => rude.close(() => r()));
  });
});
