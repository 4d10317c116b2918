// `lab up`: a cluster of our daemons on a LAN made of network namespaces. A bridge namespace holds
// br0 and one veth leg per node; each node namespace has eth0 with a TEST-NET address and nothing
// else (no route out, the host's interfaces untouched). Everything is recorded in the state file
// before it is made, and anything that goes wrong (or Ctrl-C) takes the lab down again.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTemplate } from '../wizard/template.js';
import { instancesFrom, placeText } from './cluster.js';
import { logTail, startDaemon, until } from './daemon.js';
import { type DownReport, labAlive, labDown } from './down.js';
import { observe, type SettleResult, waitSettled } from './observe.js';
import { BRIDGE, dirFlag, isLabTemplate, LAB_TEMPLATES, labPrefix, MAX_NODES, MIN_NODES, NODE_IF, planLab, renderLabConfigs } from './plan.js';
import { createState, type LabState, readState, saveState } from './state.js';
import { ip, run } from './sys.js';

export interface UpOptions {
  dir: string;
  nodes: number;
  template: string;
  /** How long to wait for one MASTER and the VIPs in place. */
  waitMs: number;
  signal: AbortSignal;
  say: (line: string) => void;
}

export type UpResult =
  | { ok: true; state: LabState; settle: SettleResult; elapsedMs: number }
  | { ok: false; error: string[]; exit: number; cleanup?: DownReport };

class Step extends Error {}

/** bin/keepalived of this package (from dist/src/lab or src/lab). */
export function keepalivedBin(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../bin/keepalived', '../../../bin/keepalived']) {
    const p = resolve(here, up);
    if (existsSync(p) && existsSync(join(dirname(p), '..', 'dist', 'src', 'daemon', 'main.js'))) return p;
  }
  return '';
}

async function must(what: string, p: Promise<{ ok: boolean; error: string }>, signal: AbortSignal): Promise<void> {
  const r = await p;
  if (!r.ok) throw new Step(`${what}: ${r.error}`);
  if (signal.aborted) throw new Step('interrupted');
}

/** The LAN: bridge namespace, node namespaces, veth legs, addresses. */
async function buildNetwork(s: LabState, signal: AbortSignal, say: (l: string) => void): Promise<void> {
  const br = s.bridgeNs;
  await must(`namespace ${br}`, ip('netns', 'add', br), signal);
  await must(`${br} lo`, ip('-n', br, 'link', 'set', 'lo', 'up'), signal);
  // No multicast snooping: VRRP's 224.0.0.18 / ff02::12 must reach every leg without a querier.
  await must(`${br} ${BRIDGE}`, ip('-n', br, 'link', 'add', BRIDGE, 'type', 'bridge', 'mcast_snooping', '0'), signal);
  await must(`${br} ${BRIDGE} up`, ip('-n', br, 'link', 'set', BRIDGE, 'up'), signal);
  for (const n of s.nodes) {
    await must(`namespace ${n.ns}`, ip('netns', 'add', n.ns), signal);
    await must(`${n.ns} lo`, ip('-n', n.ns, 'link', 'set', 'lo', 'up'), signal);
    // No duplicate address detection: addresses usable at once; nothing leaves the lab anyway.
    await must(
      `${n.ns} sysctl`,
      run('ip', ['netns', 'exec', n.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']),
      signal,
    );
    // Both ends are created straight inside their namespaces: the host never sees them.
    await must(`${n.name} veth`, ip('link', 'add', NODE_IF, 'netns', n.ns, 'type', 'veth', 'peer', 'name', n.leg, 'netns', br), signal);
    await must(`${n.leg} into ${BRIDGE}`, ip('-n', br, 'link', 'set', n.leg, 'master', BRIDGE), signal);
    await must(`${n.leg} up`, ip('-n', br, 'link', 'set', n.leg, 'up'), signal);
    await must(`${n.name} ${NODE_IF} up`, ip('-n', n.ns, 'link', 'set', NODE_IF, 'up'), signal);
    await must(`${n.name} ${n.addr4}`, ip('-n', n.ns, 'addr', 'add', n.addr4, 'dev', NODE_IF), signal);
    await must(`${n.name} ${n.addr6}`, ip('-n', n.ns, 'addr', 'add', n.addr6, 'dev', NODE_IF, 'nodad'), signal);
    say(`  ${n.name}: namespace ${n.ns}, ${NODE_IF} ${n.addr4} ${n.addr6}, leg ${n.leg} in ${br}`);
  }
}

/** Claims `dir` for a new lab; an existing lab there is refused unless nothing of it is left. */
async function claim(s: LabState, say: (l: string) => void): Promise<string[] | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const c = createState(s);
    if (c.ok) return null;
    if (!c.exists) return [c.error];
    const old = readState(s.dir);
    if (old.ok && (await labAlive(old.state))) {
      const o = old.state;
      const how = o.phase === 'starting' ? `being started by pid ${o.upPid}` : `up since ${o.createdAt}`;
      return [
        `a lab is already running in ${s.dir}: ${o.prefix}, ${o.nodes.length} nodes, template ${o.template}, ${how}`,
        `see it with: keepalivedctl lab status${dirFlag(s.dir)}; remove it with: keepalivedctl lab down${dirFlag(s.dir)}`,
      ];
    }
    // Nothing of the old lab is left (the machine rebooted, say): clear its state and take the place.
    say(`removing the state of a lab that no longer runs in ${s.dir}`);
    const d = await labDown(s.dir, { self: true });
    if (!d.ok) return d.errors;
  }
  return [`cannot claim ${s.dir} for a lab`];
}

export async function labUp(o: UpOptions): Promise<UpResult> {
  const t0 = Date.now();
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, error: ['the lab needs root (it creates network namespaces); run it with sudo'], exit: 1 };
  }
  if (!isLabTemplate(o.template)) {
    return { ok: false, error: [`template '${o.template}' cannot run in the lab (lab templates: ${LAB_TEMPLATES.join(', ')}; lvs-* need IPVS and real servers)`], exit: 2 };
  }
  if (!Number.isInteger(o.nodes) || o.nodes < MIN_NODES || o.nodes > MAX_NODES) {
    return { ok: false, error: [`--nodes must be ${MIN_NODES}..${MAX_NODES}, not ${o.nodes}`], exit: 2 };
  }
  const bin = keepalivedBin();
  if (!bin) return { ok: false, error: ['bin/keepalived or its build (dist/) is missing; run npm run build'], exit: 1 };
  const loaded = loadTemplate(o.template);
  if (!loaded.ok) return { ok: false, error: loaded.error.split('\n'), exit: 1 };
  const configs = renderLabConfigs(loaded.template, o.template, o.nodes);
  if (!configs.ok) return { ok: false, error: [configs.error], exit: 1 };

  const dir = resolve(o.dir);
  const s = planLab({ dir, prefix: labPrefix(randomBytes(3).toString('hex')), template: o.template, count: o.nodes, upPid: process.pid, now: new Date(), keepalived: bin, node: process.execPath });
  const refused = await claim(s, o.say);
  if (refused) return { ok: false, error: refused, exit: 1 };

  try {
    o.say(`lab ${s.prefix}: ${o.nodes} nodes, template ${o.template}, state in ${dir}`);
    await buildNetwork(s, o.signal, o.say);
    for (let i = 0; i < s.nodes.length; i++) {
      const n = s.nodes[i];
      writeFileSync(n.conf, configs.configs[i].text, { mode: 0o644 });
      const r = startDaemon(s, n);
      if (!r.ok) throw new Step(r.error);
      n.pid = r.pid;
      saveState(s);
      o.say(`  ${n.name}: keepalived pid ${r.pid}, config ${n.conf}, log ${n.log}`);
      if (o.signal.aborted) throw new Step('interrupted');
    }
    // Every daemon answers on its socket (they learn the config in well under a second).
    let obs = await observe(s);
    const answered = await until(async () => {
      obs = await observe(s);
      const dead = s.nodes.find((n, i) => !obs[i].running);
      if (dead) throw new Step([`the daemon of ${dead.name} exited during start-up; the end of ${dead.log}:`, ...logTail(dead)].join('\n'));
      return o.signal.aborted || obs.every((x) => x.status !== null);
    }, Math.min(o.waitMs, 15_000), 100);
    if (o.signal.aborted) throw new Step('interrupted');
    if (!answered) throw new Step(`no answer on the control socket of ${s.nodes.filter((_, i) => obs[i].status === null).map((n) => n.name).join(', ')}`);
    s.instances = instancesFrom(obs);
    saveState(s);
    o.say(`waiting for one MASTER per instance (at most ${(o.waitMs / 1000).toFixed(0)}s)...`);
    const settle = await waitSettled(s, { timeoutMs: o.waitMs, holdMs: 500, signal: o.signal });
    if (o.signal.aborted) throw new Step('interrupted');
    if (!settle.settled) {
      throw new Step(
        settle.stopped ?? `the cluster did not settle within ${(o.waitMs / 1000).toFixed(0)}s: ${settle.view.places.map(placeText).join('; ')}`,
      );
    }
    s.phase = 'up';
    delete s.upPid;
    saveState(s);
    return { ok: true, state: s, settle, elapsedMs: Date.now() - t0 };
  } catch (e) {
    const why = e instanceof Step ? e.message : `unexpected: ${(e as Error).message}`;
    const interrupted = why === 'interrupted';
    o.say(interrupted ? 'interrupted; taking the lab down' : 'lab up failed; taking the lab down');
    const cleanup = await labDown(dir, { self: true });
    for (const l of cleanup.lines) o.say(`  ${l}`);
    const lines = interrupted ? ['interrupted; the lab was taken down'] : why.split('\n');
    if (!cleanup.ok) lines.push(...cleanup.errors);
    return { ok: false, error: lines, exit: interrupted ? 130 : 1, cleanup };
  }
}
