// PING_CHECK sends ICMP, so it runs only inside namespaces made here: ns A pings ns B over a veth
// pair (TEST-NET addresses), in a child process started with `ip netns exec`. Needs root.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mod = join(root, 'dist', 'src', 'check', 'ping.js');
const made: string[] = [];

beforeAll(() => requireDist('dist/src/check/ping.js'));
afterAll(() => made.forEach(deleteNetns));

it.runIf(isRoot())('answers up for a neighbour (IPv4 and IPv6), down for a silent address', { timeout: 60_000 }, () => {
  const a = createNetns('pa');
  const b = createNetns('pb');
  made.push(a, b);
  ip('-n', a, 'link', 'add', 'vpa', 'type', 'veth', 'peer', 'name', 'vpb', 'netns', b);
  ip('-n', a, 'addr', 'add', '192.0.2.1/24', 'dev', 'vpa');
  ip('-n', b, 'addr', 'add', '192.0.2.2/24', 'dev', 'vpb');
  ip('-n', a, '-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'vpa', 'nodad');
  ip('-n', b, '-6', 'addr', 'add', '2001:db8::2/64', 'dev', 'vpb', 'nodad');
  ip('-n', a, 'link', 'set', 'vpa', 'up');
  ip('-n', b, 'link', 'set', 'vpb', 'up');
  const script = `
    import { runPingCheck } from ${JSON.stringify(mod)};
    const now = () => performance.now();
    // 3 s: the first echo waits for neighbour resolution, slow on a loaded machine.
    const t = (ip) => ({ type: 'PING_CHECK', target: { ip, port: 0, timeoutMs: 3000 } });
    const out = await Promise.all(['192.0.2.2', '192.0.2.3', '2001:db8::2', '2001:db8::3'].map((ip) => runPingCheck(t(ip), { now })));
    console.log(JSON.stringify(out));
    process.exit(0);`;
  const out = execFileSync('timeout', ['30', 'ip', 'netns', 'exec', a, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
  const [v4up, v4down, v6up, v6down] = JSON.parse(out.trim().split('\n').at(-1)!) as Array<{ ok: boolean; detail: string; latencyMs: number }>;
  expect(v4up).toMatchObject({ ok: true });
  expect(v6up).toMatchObject({ ok: true });
  expect(v4down.ok).toBe(false);
  expect(v6down.ok).toBe(false);
  expect(v4down.detail).toMatch(/no echo reply/);
  expect(v4down.latencyMs).toBeGreaterThanOrEqual(2900);
});
