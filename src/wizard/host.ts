// What the wizard learns from this machine: its interfaces with addresses, and VRIDs already used
// by configs here. The only I/O of the wizard besides writing files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../config/index.js';
import type { Rtnl, NetResult } from '../net/types.js';
import type { HostAddr, HostIf } from './params.js';

type CreateRtnl = () => NetResult<Rtnl>;

/** rtnetlink when src/net/rtnl.js is there and works (Linux, permitted); else undefined. */
async function viaRtnl(): Promise<HostIf[] | undefined> {
  let rtnl: Rtnl | undefined;
  try {
    // A variable specifier: the wizard must keep working on builds without the network layer.
    const spec = '../net/rtnl.js';
    const mod = (await import(spec)) as { createRtnl?: CreateRtnl };
    const r = mod.createRtnl?.();
    if (!r?.ok) return undefined;
    rtnl = r.value;
    const links = await rtnl.listLinks();
    const addrs = await rtnl.listAddresses();
    if (!links.ok || !addrs.ok) return undefined;
    return links.value
      .map((l) => ({
        name: l.ifname,
        addrs: addrs.value.filter((a) => a.ifname === l.ifname).map((a): HostAddr => ({ addr: a.addr, prefix: a.prefix, family: a.family })),
      }))
      .filter((i) => i.name !== 'lo');
  } catch {
    return undefined;
  } finally {
    try {
      rtnl?.close();
    } catch {
      // closing a failed handle is not worth reporting
    }
  }
}

/** Node's view: only interfaces that have an address. */
function viaOs(): HostIf[] {
  const out: HostIf[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (name === 'lo' || !list) continue;
    out.push({
      name,
      addrs: list.filter((a) => !a.internal).map((a) => ({ addr: a.address.split('%')[0], prefix: Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128)), family: a.family === 'IPv4' ? 4 : 6 })),
    });
  }
  return out;
}

/** This host's interfaces (loopback left out) with their addresses, never throws. */
export async function hostInterfaces(): Promise<HostIf[]> {
  return (await viaRtnl()) ?? viaOs();
}

/** Config-looking files in `dir` and one level below (conf.d style), bounded. */
function configFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.slice(0, 500)) {
      const p = join(d, n);
      try {
        const s = statSync(p);
        if (s.isDirectory() && depth < 1) walk(p, depth + 1);
        else if (s.isFile() && s.size < 4_000_000 && /\.conf$|keepalived/.test(n)) out.push(p);
      } catch {
        // vanished or unreadable: not ours to report
      }
    }
  };
  walk(dir, 0);
  return out;
}

/** VRIDs of every vrrp_instance in configs under `dirs` (e.g. /etc/keepalived and --out). */
export function usedVrids(dirs: readonly string[]): Set<number> {
  const used = new Set<number>();
  for (const dir of dirs) {
    for (const f of configFiles(dir)) {
      try {
        const r = loadConfigText(readFileSync(f, 'latin1'), f);
        for (const i of r.model.instances) if (i.vrid !== undefined) used.add(i.vrid);
      } catch {
        // a broken file simply adds no VRIDs
      }
    }
  }
  return used;
}
