// keepalivedctl events against running daemons (ours, bin/keepalived) in network namespaces: node 0 is
// MASTER, node 1 starts with a higher priority and preempts; the stream (NDJSON and human, and colours
// on a pseudo-terminal) shows node 0 going MASTER -> BACKUP; Ctrl-C ends with 0; the daemon stopping
// ends the stream with one line and exit 1.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callDaemon } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { Cluster, ROOT, until, type Daemon } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

const bin = join(ROOT, 'bin', 'keepalivedctl');

/** dist/ and the oclif manifest are built once by vitest's global setup; a stale manifest would hide events/reload. */
async function ensureCliBuilt(): Promise<void> {
  requireDist('dist/commands/events.js', 'oclif.manifest.json');
  const m = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
  if (!('events' in m.commands && 'reload' in m.commands)) throw new Error('oclif.manifest.json lacks events/reload: run `npm run build`');
}

const conf = (prio: number) => `
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

interface Stream {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function stream(argv: string[], viaPty = false): Stream {
  const env = { ...process.env, TERM: 'xterm-256color' };
  for (const k of ['CI', 'NO_COLOR', 'FORCE_COLOR']) delete env[k];
  // script(1) gives the CLI a pseudo-terminal, as an operator's shell would.
  const proc = viaPty
    ? spawn('script', ['-qec', [process.execPath, bin, ...argv].join(' '), '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [bin, ...argv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return { proc, out: () => out, err: () => err, exited };
}

/** Established connections on the daemon's side of a Unix socket path. */
function connectionsTo(path: string): number {
  const out = execFileSync('ss', ['-x', '-H', 'state', 'established'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.split(/\s+/).includes(path)).length;
}

async function stateOf(d: Daemon): Promise<string | undefined> {
  const r = await callDaemon<StatusResult>('status', {}, { socket: d.sock, timeoutMs: 2000 });
  return r.ok ? r.result.instances[0]?.state : undefined;
}

describe.runIf(isRoot())('keepalivedctl events against running daemons (root, namespaces)', () => {
  let cl: Cluster | null = null;
  const streams: Stream[] = [];
  beforeAll(async () => {
    await ensureCliBuilt();
    cl = new Cluster(2, 'ev');
  }, 300_000);
  afterAll(async () => {
    for (const s of streams) if (s.proc.exitCode === null && s.proc.pid) process.kill(s.proc.pid, 'SIGKILL');
    await cl?.dispose();
  }, 60_000);

  it('shows a failover as the peer preempts, ends on Ctrl-C, and says when the daemon goes away', async () => {
    const c = cl!;
    const a = c.start('ours', 0, conf(100));
    await until('node 0 MASTER', async () => (await stateOf(a)) === 'MASTER', 30_000, 200);
    const json = stream(['events', '--json', '--socket', a.sock, '--timeout', '5m']);
    const human = stream(['events', '--socket', a.sock, '--timeout', '5m']);
    const tty = stream(['events', '--socket', a.sock, '--count', '1', '--timeout', '5m'], true);
    streams.push(json, human, tty);
    // Subscribed: the daemon's end of three connections shows on its socket path (ss), and the
    // events request follows the connect at once; then a moment more.
    await until('three streams connected', () => connectionsTo(a.sock) >= 3, 30_000, 100);
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of [json, human, tty]) expect(s.proc.exitCode, s.err()).toBeNull();

    const b = c.start('ours', 1, conf(200));
    await until('node 1 MASTER', async () => (await stateOf(b)) === 'MASTER', 30_000, 200);
    await until('node 0 BACKUP', async () => (await stateOf(a)) === 'BACKUP', 30_000, 200);
    await until('the NDJSON stream shows MASTER -> BACKUP', () => /"to":"BACKUP"/.test(json.out()), 15_000, 50);
    const events = json.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const t = events.find((e) => e.type === 'transition' && (e.transition as { to: string }).to === 'BACKUP') as { instance: string; time: string; transition: { from: string; reason: string } };
    expect(t.instance).toBe('VI_1');
    expect(t.transition.from).toBe('MASTER');
    expect(t.transition.reason).toMatch(/192\.0\.2\.2|priority/);
    expect(Number.isNaN(Date.parse(t.time))).toBe(false);
    // What status says afterwards matches the stream.
    const st = await callDaemon<StatusResult>('status', {}, { socket: a.sock });
    expect(st.ok && st.result.instances[0]!.lastTransition?.to).toBe('BACKUP');

    await until('the human stream shows it', () => /VI_1 MASTER -> BACKUP \(/.test(human.out()), 15_000, 50);
    expect(human.out()).not.toMatch(/\x1b\[/);
    expect(human.out().split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    // On a terminal: coloured, and --count 1 ended it after one event.
    expect(await tty.exited).toBe(0);
    expect(tty.out()).toMatch(/\x1b\[/);

    process.kill(human.proc.pid!, 'SIGINT');
    expect(await human.exited).toBe(0);
    expect(human.err()).toBe('');

    await c.stop(a);
    expect(await json.exited).toBe(1);
    expect(json.err().trim().split('\n')).toHaveLength(1);
    expect(json.err()).toMatch(/^keepalivedctl events: the daemon went away/);
    // Every stdout line stayed one JSON object (NDJSON).
    for (const l of json.out().trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();

    const none = stream(['events', '--socket', a.sock]);
    streams.push(none);
    expect(await none.exited).toBe(1);
    expect(none.err().trim()).toBe(`keepalived is not running (no control socket at ${a.sock})`);
  }, 180_000);
});
