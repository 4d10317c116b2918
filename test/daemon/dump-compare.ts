// Shared by the namespace tests that run our daemon and keepalived 2.2.7 on one config and compare
// their keepalived.data: each alone in its own namespace (veth0 192.0.2.1/24 with a peer end, no
// route out), both signalled DATA once every instance is MASTER; the files split into sections and
// the lines that legitimately differ masked (times, socket fds, random MACs and link-locals,
// keepalived's build lines).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { addVethPairs, createNetns, deleteNetns, ip } from '../helpers/netns.js';
import { type Daemon, readPid, startKeepalived, startOurs, status, stopProc, until } from './dump-harness.js';

/** One line with what differs between two runs of the same config masked. */
export function maskLine(l: string): string {
  return l
    .replace(/^( {3}(Last transition|Read timeout|Master down timer) = ).*$/, '$1X')
    .replace(/^( {3}fd_in) -?\d+, fd_out -?\d+$/, '$1 N, fd_out N')
    .replace(/^( fd_in) -?\d+ fd_out = -?\d+$/, '$1 N fd_out = N')
    // veth MACs and the link-locals made from them are random; the VRRP MACs are not.
    .replace(/^( {3}MAC = )(?!00:00:5e:00:0[12]:)[0-9a-f:]{17}$/, '$1M')
    .replace(/^( {3}(IPv6 address|Using src_ip) = )fe80::[0-9a-f:]+$/, '$1fe80::X')
    .replace(/^( {3}(Not )?IPv6 forwarding\. Last checked ).*$/, '$1X')
    .replace(/^( {5})fe80::[0-9a-f:]+$/, '$1fe80::X');
}

/** keepalived.data as { heading: masked lines }, in file order (the global part under its heading). */
export function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const l of text.split('\n')) {
    const h = /^------< (.+) >------$/.exec(l);
    if (h) {
      cur = [];
      out.set(h[1], cur);
    } else if (cur && l !== '' && !/^ (nftables|libnftnl)/.test(l)) cur.push(maskLine(l));
  }
  return out;
}

export interface BothRun {
  ours: Daemon;
  ka: ReturnType<typeof startKeepalived>;
  /** Writes DATA in both and returns [ours, keepalived's]. */
  data: () => Promise<[string, string]>;
  /** Writes JSON (keepalived --signum=JSON) in both and returns [ours, keepalived's]. */
  json: () => Promise<[string, string]>;
  stop: () => Promise<void>;
}

/** Starts both on `conf` (each in a namespace named after `tag`) and waits until `instances` are MASTER in both. */
export async function runBoth(
  tag: string, dir: string, conf: string, instances: string[], extraAddrs: string[] = [],
  /** The state to wait for, and what in keepalived's log says it is there (default: each "Entering MASTER STATE"). */
  until_: { state: string; kaLog?: string } = { state: 'MASTER' },
): Promise<BothRun> {
  const nsOurs = createNetns(`${tag}o`);
  const nsKa = createNetns(`${tag}k`);
  let ours: Daemon | null = null;
  let ka: ReturnType<typeof startKeepalived> | null = null;
  const stop = async () => {
    if (ours) await stopProc(ours);
    if (ka) await stopProc(ka);
    deleteNetns(nsOurs);
    deleteNetns(nsKa);
  };
  try {
    for (const ns of [nsOurs, nsKa]) {
      addVethPairs(ns, ['veth0']);
      ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
      for (const a of extraAddrs) ip('-n', ns, 'addr', 'add', a, 'dev', 'veth0', ...(a.includes(':') ? ['nodad'] : []));
    }
    ours = startOurs(nsOurs, join(dir, 'ours'), conf, ['-P'], { TZ: 'UTC' });
    ka = startKeepalived(nsKa, join(dir, 'ka'), conf);
    const o = ours;
    const k = ka;
    await until(`every instance ${until_.state} in our daemon`, async () => {
      const st = await status(o);
      return instances.every((n) => st?.instances.find((i) => i.name === n)?.state === until_.state);
    }, 30_000);
    const kaReady = () => (until_.kaLog !== undefined ? k.out().includes(until_.kaLog) : instances.every((n) => k.out().includes(`(${n}) Entering MASTER STATE`)));
    await until(`every instance ${until_.state} in keepalived`, kaReady, 30_000);
    const dump = async (signal: NodeJS.Signals | number, name: string): Promise<[string, string]> => {
      const files = [join(o.dir, name), join(k.dir, name)];
      const before = files.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0));
      process.kill(readPid(o.files.pid)!, signal);
      process.kill(readPid(k.pidFile)!, signal);
      // keepalived writes in place: wait for a newer, non-empty file, then let it finish.
      await until(`both ${name}`, () => files.every((f, n) => existsSync(f) && statSync(f).mtimeMs > before[n] && statSync(f).size > 0), 10_000);
      await new Promise((r) => setTimeout(r, 300));
      return [readFileSync(files[0], 'utf8'), readFileSync(files[1], 'utf8')];
    };
    const jsonSig = Number(execFileSync('/usr/sbin/keepalived', ['--signum=JSON'], { encoding: 'utf8' }).trim());
    const data = () => dump('SIGUSR1', 'keepalived.data');
    const json = () => dump(jsonSig, 'keepalived.json');
    return { ours: o, ka: k, data, json, stop };
  } catch (e) {
    const logs = `ours:\n${ours?.out() ?? ''}\nkeepalived:\n${ka?.out() ?? ''}`;
    await stop();
    throw new Error(`${String(e)}\n${logs}`);
  }
}
