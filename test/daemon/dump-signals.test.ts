// The dump signals end to end (root, namespaces): our daemon and keepalived 2.2.7 run the same
// config, each alone in its own namespace (a veth pair, 192.0.2.1/24, no route out); DATA, STATS and
// JSON go to each by `kill -s $(keepalived --signum=X) $(cat pidfile)` and the files they write
// ($TMPDIR) are compared. The real-time signals must not kill our processes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveKeepalived } from '../helpers/oracle.js';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { sections } from './dump-compare.js';
import { KA_CONF } from './dump-reference.js';
import { alive, type Daemon, distBuilt, readPid, startKeepalived, startOurs, status, stopProc, until } from './dump-harness.js';

const root = isRoot();
const signum = (name: string) => Number(execFileSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'keepalived'), `--signum=${name}`], { encoding: 'utf8' }).trim());

/** A dump's lines with the values that differ between two runs (times, fds, counts of sent adverts) masked. */
function shape(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !/^ (nftables|libnftnl)/.test(l))
    .map((l) => l.replace(/^( fd_in) -?\d+ fd_out = -?\d+$/, '$1 N fd_out = N').replace(/^( {3}fd_in) -?\d+, fd_out -?\d+$/, '$1 N, fd_out N'))
    .map((l) => l.replace(/^( {3}(Last transition|Read timeout|Master down timer) = ).*$/, '$1X'))
    .map((l) => l.replace(/^( {4}Sent: )\d+$/, '$1N'));
}

function sectionsFrom(text: string, from: string, to?: string): string {
  const a = text.indexOf(from);
  const b = to ? text.indexOf(to) : -1;
  return text.slice(a, b >= 0 ? b : undefined);
}

describe.runIf(root && haveKeepalived())('dump signals against keepalived 2.2.7 (root)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kadump-'));
  let nsOurs = '';
  let nsKa = '';
  let d: Daemon | null = null;
  let ka: ReturnType<typeof startKeepalived> | null = null;

  beforeAll(() => {
    expect(distBuilt()).toBe(true);
    nsOurs = createNetns('dmo');
    nsKa = createNetns('dmk');
    for (const ns of [nsOurs, nsKa]) {
      addVethPairs(ns, ['veth0']);
      ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
    }
  });

  afterAll(async () => {
    if (d) await stopProc(d);
    if (ka) await stopProc(ka);
    deleteNetns(nsOurs);
    deleteNetns(nsKa);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('DATA, STATS and JSON files have keepalived\'s layout; JSON and STATS_CLEAR do not kill us', async () => {
    d = startOurs(nsOurs, join(tmp, 'ours'), KA_CONF, ['-P']);
    ka = startKeepalived(nsKa, join(tmp, 'ka'), KA_CONF);
    await until('both instances MASTER in our daemon', async () => (await status(d!))?.instances.every((i) => i.state === 'MASTER') ?? false, 30_000);
    await until('both instances MASTER in keepalived', () => /\(VI_1\) Entering MASTER STATE/.test(ka!.out()) && /\(VI_6\) Entering MASTER STATE/.test(ka!.out()), 30_000);
    const pid = readPid(d.files.pid)!;
    const vrrpPid = readPid(d.files.vrrpPid)!;
    const kaPid = readPid(ka.pidFile)!;
    const f = (dir: string, name: string) => join(dir, name);
    const dump = async (sig: string, name: string) => {
      for (const [p, dir] of [[pid, d!.dir], [kaPid, ka!.dir]] as const) {
        process.kill(p, signum(sig));
        await until(`${name} from pid ${p}`, () => existsSync(f(dir, name)), 10_000);
      }
      // Each is written whole; wait until keepalived's is non-empty too (it writes in place).
      await until(`${name} written`, () => statSync(f(ka!.dir, name)).size > 0 && statSync(f(d!.dir, name)).size > 0, 5000);
      return [readFileSync(f(d!.dir, name), 'utf8'), readFileSync(f(ka!.dir, name), 'utf8')];
    };

    const [data, kaData] = await dump('DATA', 'keepalived.data');
    await until('parent data', () => existsSync(f(d!.dir, 'keepalived_parent.data')), 5000);
    // Every section keepalived writes, the interfaces included (random MACs and link-locals masked).
    const [ourSecs, kaSecs] = [sections(data), sections(kaData)];
    expect([...ourSecs.keys()]).toEqual([...kaSecs.keys()]);
    for (const name of ['VRRP Topology', 'VRRP Sockpool', 'VRRP Sync groups', 'Interfaces']) expect(ourSecs.get(name), name).toEqual(kaSecs.get(name));
    expect(shape(sectionsFrom(data, '------< Global definitions >------', '------< VRRP Topology >------')).map((l) => l.replace(/Router ID = .*/, 'Router ID')))
      .toEqual(shape(sectionsFrom(kaData, '------< Global definitions >------', '------< VRRP Topology >------')).map((l) => l.replace(/Router ID = .*/, 'Router ID')));
    expect(statSync(f(d.dir, 'keepalived.data')).mode & 0o777).toBe(statSync(f(ka.dir, 'keepalived.data')).mode & 0o777);

    const [stats, kaStats] = await dump('STATS', 'keepalived.stats');
    expect(shape(stats)).toEqual(shape(kaStats));

    const [json, kaJson] = await dump('JSON', 'keepalived.json');
    type Item = { data: Record<string, unknown>; stats: Record<string, number> };
    const ours = JSON.parse(json) as Item[];
    const theirs = JSON.parse(kaJson) as Item[];
    expect(ours.map((i) => Object.keys(i.data))).toEqual(theirs.map((i) => Object.keys(i.data)));
    expect(ours.map((i) => Object.keys(i.stats))).toEqual(theirs.map((i) => Object.keys(i.stats)));
    const stable = (i: Item) => ({ ...i.data, last_transition: 0, stats: { ...i.stats, advert_sent: 0 } });
    expect(ours.map(stable)).toEqual(theirs.map(stable));

    // The real-time signals reach the daemon through the addon: still running, and STATS_CLEAR zeroed the counters.
    const before = (await status(d))!.instances[0].counters.advertsSent;
    expect(before).toBeGreaterThan(0);
    process.kill(pid, signum('STATS_CLEAR'));
    await until('counters cleared', async () => ((await status(d!))?.instances[0].counters.advertsSent ?? before) < before, 10_000);
    // Straight to the VRRP child, as to keepalived's VRRP process.
    const mtime = statSync(f(d.dir, 'keepalived.json')).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    process.kill(vrrpPid, signum('JSON'));
    await until('JSON rewritten by the VRRP child', () => statSync(f(d!.dir, 'keepalived.json')).mtimeMs > mtime, 10_000);
    process.kill(vrrpPid, signum('DATA')); // Node would start its inspector on an unhandled USR1
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(pid) && alive(vrrpPid)).toBe(true);
    expect(d.out()).toContain('Printing VRRP as json for process');
    expect(d.out()).toContain('Printing parent data for process');
    expect(d.out()).not.toMatch(/Debugger listening/);
  }, 90_000);
});
