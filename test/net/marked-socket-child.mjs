// Runs connectMarked cases inside a test namespace (started by test/net/marked-socket.test.ts under
// `ip netns exec`), one JSON line per case, then {fdsBefore, fdsAfter}. A case:
// {address, port, mark, localAddress?, localPort?, bindIf?, timeoutMs, abortAfterMs?, exchange?, ss?, gc?}.
// exchange: write "ping\n" and expect the server's echo; ss: report `ss -tnie` while connected.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connectMarked } from '../../dist/src/net/marked-socket.js';
import { loadNative } from '../../dist/src/net/native.js';

const fds = () => readdirSync('/proc/self/fd').length;
const cases = JSON.parse(process.argv[2] ?? '[]');
const repeat = Number(process.argv[3] ?? 1);

function exchange(socket) {
  return new Promise((resolve) => {
    let got = '';
    const t = setTimeout(() => resolve({ echo: got, error: 'no echo within 3 s' }), 3000);
    socket.on('data', (d) => {
      got += d.toString();
      if (got.endsWith('\n')) {
        clearTimeout(t);
        resolve({ echo: got });
      }
    });
    socket.on('error', (e) => resolve({ echo: got, error: e.message }));
    socket.write('ping\n');
  });
}

async function runCase(c) {
  const stop = new AbortController();
  const timer = c.abortAfterMs !== undefined ? setTimeout(() => stop.abort(), c.abortAfterMs) : undefined;
  const t0 = Date.now();
  // gc: collect garbage while the connect is under way (run with --expose-gc); it must still settle.
  const collector = c.gc && globalThis.gc ? setInterval(() => globalThis.gc(), 5) : undefined;
  const r = await connectMarked({ ...c, signal: c.gc ? undefined : stop.signal });
  clearInterval(collector);
  clearTimeout(timer);
  const out = { ms: Date.now() - t0 };
  if (!r.ok) return { ...out, ok: false, stage: r.stage, code: r.code, message: r.message };
  out.ok = true;
  out.local = `${r.socket.localAddress}:${r.socket.localPort}`;
  out.remote = `${r.socket.remoteAddress}:${r.socket.remotePort}`;
  if (c.ss) out.ss = execFileSync('ss', ['-tnie', 'state', 'established', 'dport', `= :${c.port}`], { encoding: 'utf8' });
  if (c.exchange) Object.assign(out, await exchange(r.socket));
  await new Promise((resolve) => {
    r.socket.once('close', resolve);
    r.socket.destroy();
  });
  return out;
}

// The first round reports; the fd count is taken after it (Node opens a few fds lazily) and again
// after the other rounds and the garbage calls below: every path must give its fd back.
for (const c of cases) process.stdout.write(JSON.stringify(await runCase(c)) + '\n');
const fdsBefore = fds();
for (let i = 1; i < repeat; i++) for (const c of cases) await runCase(c);
// Garbage handed straight to the addon must come back as values, never as a throw.
const addon = loadNative();
const garbage = [];
if (addon.ok) {
  const a = addon.addon;
  const noop = () => undefined;
  for (const args of [
    [],
    ['127.0.0.1', 80, 1, null, 0, null, 100],
    [42, 80, 1, null, 0, null, 100, noop],
    ['127.0.0.1', 0, 1, null, 0, null, 100, noop],
    ['127.0.0.1', 80, -1, null, 0, null, 100, noop],
    ['127.0.0.1', 80, 2 ** 32, null, 0, null, 100, noop],
    ['127.0.0.1', 80, 1.5, null, 0, null, 100, noop],
    ['not an address', 80, 1, null, 0, null, 100, noop],
    ['127.0.0.1', 80, 1, 'nope', 0, null, 100, noop],
    ['127.0.0.1', 80, 1, '::1', 0, null, 100, noop],
    ['127.0.0.1', 80, 1, null, 70000, null, 100, noop],
    ['127.0.0.1', 80, 1, null, 0, 'x'.repeat(40), 100, noop],
    ['127.0.0.1', 80, 1, null, 0, 'nosuchif0', 100, noop],
    ['127.0.0.1', 80, 1, null, 0, null, 0, noop],
  ]) {
    try {
      const r = a.markConnect(...args);
      garbage.push(r.ok ? 'accepted' : `${r.stage}: ${r.error}`);
      if (r.ok) a.close(r.handle);
    } catch (e) {
      garbage.push(`THREW ${e.message}`);
    }
  }
}
process.stdout.write(JSON.stringify({ fdsBefore, fdsAfter: fds(), garbage }) + '\n');
