// The checker child as the supervisor runs it: forked with IPC, hello -> start -> ready, checker
// events when a loopback listener goes away and comes back, status, shutdown -> stopped + exit 0.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildMessage } from '../../src/daemon/ipc.js';
import { requireDist } from '../helpers/dist.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(root, 'dist', 'src', 'daemon', 'checker-child.js');
const dir = mkdtempSync(join(tmpdir(), 'kachk-child-'));

beforeAll(() => requireDist('dist/src/daemon/checker-child.js'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function waitFor(msgs: ChildMessage[], pred: (m: ChildMessage) => boolean, ms: number): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const m = msgs.find(pred);
      if (m) return resolve(m);
      if (Date.now() - t0 > ms) return reject(new Error(`no matching message in ${ms} ms; got ${JSON.stringify(msgs.map((x) => x.type))}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

it('runs the configured checks and reports changes over IPC; stops cleanly', { timeout: 60_000 }, async () => {
  const srv = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, `virtual_server 192.0.2.10 80 {\n protocol TCP\n delay_loop 0.2\n real_server 127.0.0.1 ${port} {\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }\n}\n`);
  const msgs: ChildMessage[] = [];
  const child: ChildProcess = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m) => msgs.push(m as ChildMessage));
  try {
    await waitFor(msgs, (m) => m.type === 'hello', 10_000);
    child.send({ type: 'start', role: 'checker', configFile: conf, configId: 'lb1', log: { console: true, detail: false }, stateDir: dir, daemonPid: process.pid, daemonVersion: 'test', startedAt: new Date().toISOString() });
    await waitFor(msgs, (m) => m.type === 'ready', 10_000);
    const rsKey = `[192.0.2.10]:tcp:80|127.0.0.1:${port}`;
    // The listener goes away: a 'checker' event with up=false, within delay_loop + connect_timeout (+ slack).
    const t0 = Date.now();
    await new Promise<void>((r) => srv.close(() => r()));
    const down = await waitFor(msgs, (m) => m.type === 'event' && m.event.type === 'checker' && !m.event.up, 10_000);
    const detectMs = Date.now() - t0;
    expect(down).toMatchObject({ event: { type: 'checker', virtualServer: '[192.0.2.10]:tcp:80', realServer: `127.0.0.1:${port}`, checker: 'TCP_CHECK', up: false } });
    expect(detectMs).toBeLessThan(5000);
    // Back up.
    const again = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => again.listen(port, '127.0.0.1', r));
    await waitFor(msgs, (m) => m.type === 'event' && m.event.type === 'checker' && m.event.up, 10_000);
    child.send({ type: 'status', id: 7 });
    const st = await waitFor(msgs, (m) => m.type === 'status-reply' && m.id === 7, 5000);
    expect((st as { status: { realServers: Array<{ rsKey: string; up: boolean }> } }).status.realServers).toEqual([expect.objectContaining({ rsKey, up: true })]);
    expect(msgs.some((m) => m.type === 'log' && m.message.includes(`real server ${rsKey} is now DOWN`))).toBe(true);
    again.close();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.send({ type: 'shutdown' });
    expect(await exited).toBe(0);
    expect(msgs.some((m) => m.type === 'stopped')).toBe(true);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    srv.close();
  }
});

it('a config it cannot read is a fatal message and exit status 1', { timeout: 30_000 }, async () => {
  const msgs: ChildMessage[] = [];
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m) => msgs.push(m as ChildMessage));
  try {
    await waitFor(msgs, (m) => m.type === 'hello', 10_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.send({ type: 'start', role: 'checker', configFile: join(dir, 'missing.conf'), configId: 'x', log: { console: true, detail: false }, stateDir: dir, daemonPid: process.pid, daemonVersion: 'test', startedAt: '' });
    expect(await exited).toBe(1);
    expect(msgs.find((m) => m.type === 'fatal')).toMatchObject({ message: expect.stringContaining('missing.conf') });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
