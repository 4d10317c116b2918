// Runs batch-prober checks in a process of its own (so /proc/self/fd counts only what it opens),
// optionally inside a test namespace under `ip netns exec` (test/check/tcp-batch*.test.ts).
// stdin: {listen?: string[] (hosts: a listener each), targets: Target[], repeat?: number}, where a
// Target is a ConnectTarget whose port may be {listener: i} (that listener's port) or
// {closed: host} (a port with nothing listening). All targets are checked in one batch, `repeat`
// times over. Prints one JSON line: {outcomes, ports, fdsBefore, fdsIdle, fdsClosed, pooledBusy}.
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { checkOnce, TcpBatch } from '../../dist/src/check/tcp-batch.js';

const fds = () => readdirSync('/proc/self/fd').length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const input = JSON.parse(readFileSync(0, 'utf8'));

function listen(host, port = 0) {
  const s = net.createServer({ pauseOnConnect: true }, (c) => {
    c.on('error', () => undefined);
    c.destroy();
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host, port, backlog: 4096 }, () => resolve(s));
  });
}

const servers = [];
for (const h of input.listen ?? []) servers.push(await listen(h));
const closed = new Map();
for (const t of input.targets) {
  if (typeof t.port === 'object' && 'closed' in t.port && !closed.has(t.port.closed)) {
    const s = await listen(t.port.closed);
    closed.set(t.port.closed, s.address().port);
    await new Promise((r) => s.close(r));
  }
}
const resolvePort = (p) => (typeof p !== 'object' ? p : 'listener' in p ? servers[p.listener].address().port : closed.get(p.closed));
const targets = input.targets.map((t) => ({ ...t, port: resolvePort(t.port) }));

const batch = TcpBatch.open();
if (typeof batch === 'string') {
  process.stdout.write(JSON.stringify({ error: batch }) + '\n', () => process.exit(1));
  await new Promise(() => undefined);
}
const fdsBefore = fds();
let outcomes = [];
for (let r = 0; r < (input.repeat ?? 1); r++) outcomes = await checkOnce(batch, targets);
const pooledBusy = fds() - fdsBefore;
// Idle 2 s: the pooled sockets are closed; the listeners' accepted sockets are gone by then too.
for (let i = 0; i < 50 && fds() > fdsBefore; i++) await sleep(100);
const fdsIdle = fds();
batch.close();
const fdsClosed = fds();
for (const s of servers) s.close();
// A pipe is written asynchronously: exit once the line is out.
process.stdout.write(JSON.stringify({ outcomes, ports: targets.map((t) => t.port), fdsBefore, fdsIdle, fdsClosed, pooledBusy, stats: batch.stats() }) + '\n', () => process.exit(0));
