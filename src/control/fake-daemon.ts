// A stand-in daemon for tests, benchmarks and docs: the real control server with handlers over a
// small model of VRRP instances and their peers. promote/demote/clear move the whole sync group
// after `transitionMs`, as a real election would after an advert or two. Not used by the daemon.
import { RpcFailure, startControlServer, type ControlServer } from './server.js';
import { RPC_ERRORS, type InstanceStatus, type Override, type OverrideResult, type StatusResult, type VrrpStateName } from './protocol.js';

export interface FakeInstance {
  name: string;
  vrid: number;
  interface: string;
  configured: number;
  ourAddr: string;
  /** The other node; null: nobody to take over (a demoted master stays master). */
  peer: { addr: string; priority: number } | null;
  vips: string[];
  tracks: InstanceStatus['tracks'];
  syncGroup?: string;
  advertIntMs: number;
  state: VrrpStateName;
  override: Override | null;
  lastTransition?: InstanceStatus['lastTransition'];
  /** Never changes state (to test "did not settle"). */
  frozen?: boolean;
}

export interface FakeDaemon {
  server: ControlServer;
  instances: FakeInstance[];
  close(): Promise<void>;
}

export interface FakeDaemonOptions {
  path: string;
  /** Default: a small realistic pair of instances and a sync group; a number: that many generated instances. */
  instances?: FakeInstance[] | number;
  transitionMs?: number;
  now?: () => Date;
}

export function sampleInstances(n?: number): FakeInstance[] {
  const base = (name: string, vrid: number, configured: number, peer: FakeInstance['peer'], syncGroup?: string): FakeInstance => ({
    name,
    vrid,
    interface: 'eth0',
    configured,
    ourAddr: '192.0.2.1',
    peer,
    vips: [`192.0.2.${100 + (vrid % 100)}/24`],
    tracks: [
      { name: 'eth0', kind: 'interface', weight: 0, status: true },
      { name: 'chk_nginx', kind: 'script', weight: -20, status: true },
    ],
    syncGroup,
    advertIntMs: 200,
    state: 'INIT',
    override: null,
  });
  if (n !== undefined) return Array.from({ length: n }, (_, k) => base(`VI_${k + 1}`, (k % 255) + 1, 100 + (k % 2) * 100, { addr: '192.0.2.2', priority: 150 }));
  const list = [
    base('VI_WEB', 51, 100, { addr: '192.0.2.2', priority: 150 }),
    base('VI_DB', 52, 200, { addr: '192.0.2.2', priority: 100 }, 'VG_DATA'),
    base('VI_DB6', 53, 200, { addr: 'fe80::2', priority: 100 }, 'VG_DATA'),
    base('VI_SOLO', 54, 100, null),
  ];
  list[2].vips = ['2001:db8::53/64'];
  list[2].tracks = [];
  return list;
}

export async function startFakeDaemon(o: FakeDaemonOptions): Promise<FakeDaemon> {
  const now = o.now ?? (() => new Date());
  const transitionMs = o.transitionMs ?? 300;
  const list = typeof o.instances === 'number' ? sampleInstances(o.instances) : (o.instances ?? sampleInstances());
  const byName = new Map(list.map((i) => [i.name, i]));
  const timers = new Set<NodeJS.Timeout>();
  const startedAt = now().toISOString();
  let server: ControlServer | null = null;

  const effective = (i: FakeInstance) => i.override?.priority ?? i.configured;
  /** Where VRRP would put the instance now: the higher priority wins; nobody else means MASTER. */
  const elected = (i: FakeInstance): VrrpStateName => {
    if (i.override?.kind === 'demote-fault') return 'FAULT';
    if (!i.peer) return 'MASTER';
    return effective(i) > i.peer.priority ? 'MASTER' : 'BACKUP';
  };
  const move = (i: FakeInstance, reason: string) => {
    const to = elected(i);
    if (i.frozen || to === i.state) return;
    i.lastTransition = { from: i.state, to, at: now().toISOString(), reason };
    i.state = to;
    server?.broadcast({ type: 'transition', instance: i.name, transition: i.lastTransition });
  };
  const later = (fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, transitionMs);
    timers.add(t);
  };
  const group = (name: string) => {
    const i = byName.get(name)!;
    return i.syncGroup ? list.filter((x) => x.syncGroup === i.syncGroup) : [i];
  };
  const instanceParam = (p: Record<string, unknown>): FakeInstance => {
    if (typeof p.instance !== 'string' || p.instance === '') throw new RpcFailure(RPC_ERRORS.invalidParams, 'instance: a vrrp_instance name is required');
    const i = byName.get(p.instance);
    if (!i) throw new RpcFailure(RPC_ERRORS.noSuchInstance, `no vrrp_instance '${p.instance}'`, { instance: p.instance });
    return i;
  };
  const setOverride = (p: Record<string, unknown>, make: (() => Override) | null, reason: string): OverrideResult => {
    const members = group(instanceParam(p).name);
    if (p.forMs !== undefined && (typeof p.forMs !== 'number' || !(p.forMs > 0))) throw new RpcFailure(RPC_ERRORS.invalidParams, 'forMs: a positive number of milliseconds');
    const res: OverrideResult = { instances: members.map((m) => m.name), previous: {}, current: {} };
    for (const m of members) {
      res.previous[m.name] = m.override;
      m.override = make ? make() : null;
      res.current[m.name] = m.override;
      server?.broadcast({ type: 'override', instance: m.name, override: m.override });
      server?.broadcast({ type: 'priority', instance: m.name, effective: effective(m) });
    }
    later(() => members.forEach((m) => move(m, reason)));
    return res;
  };
  const override = (kind: Override['kind'], priority: number, p: Record<string, unknown>) => () => {
    const at = now(); // one reading: expiresAt - setAt is exactly forMs
    return {
      kind,
      priority,
      setAt: at.toISOString(),
      ...(typeof p.forMs === 'number' ? { expiresAt: new Date(at.getTime() + p.forMs).toISOString() } : {}),
    };
  };

  const status = (p: Record<string, unknown>): StatusResult => {
    const shown = p.instance === undefined ? list : [instanceParam(p)];
    const groups = new Map<string, FakeInstance[]>();
    for (const i of list) if (i.syncGroup) groups.set(i.syncGroup, [...(groups.get(i.syncGroup) ?? []), i]);
    return {
      protocolVersion: 1,
      daemon: { pid: process.pid, version: '0.1.0-fake', configFile: '/etc/keepalived/keepalived.conf', configId: 'lb1', startedAt },
      instances: shown.map((i) => ({
        name: i.name,
        state: i.state,
        vrid: i.vrid,
        version: 3,
        family: i.peer?.addr.includes(':') ? 6 : 4,
        interface: i.interface,
        advertIntMs: i.advertIntMs,
        ...(i.syncGroup ? { syncGroup: i.syncGroup } : {}),
        priority: { configured: i.configured, effective: effective(i), override: i.override?.priority ?? null },
        masterAddr: i.state === 'MASTER' ? i.ourAddr : i.state === 'BACKUP' ? (i.peer?.addr ?? null) : null,
        vips: i.vips,
        tracks: i.tracks,
        ...(i.override ? { override: i.override } : {}),
        ...(i.lastTransition ? { lastTransition: i.lastTransition } : {}),
        counters: { advertsSent: 10, advertsReceived: 20, becameMaster: 1, releasedMaster: 0, priorityZeroSent: 0, priorityZeroReceived: 0, drops: {} },
      })),
      syncGroups: [...groups].map(([name, m]) => ({ name, state: m.every((x) => x.state === m[0].state) ? m[0].state : 'INIT', members: m.map((x) => x.name) })),
    };
  };

  // Start from the elected state, as after the first adverts.
  for (const i of list) if (i.state === 'INIT') move(i, i.peer ? 'election at start-up' : 'no peer: master down timer expired');

  const r = await startControlServer({
    path: o.path,
    daemonVersion: '0.1.0-fake',
    handlers: {
      status,
      promote: (p) => setOverride(p, override('promote', 254, p), 'priority override 254 (keepalivedctl promote)'),
      demote: (p) => (p.fault === true ? setOverride(p, override('demote-fault', 1, p), 'keepalivedctl demote --fault') : setOverride(p, override('demote', 1, p), 'priority override 1 (keepalivedctl demote)')),
      clear: (p) => setOverride(p, null, 'override cleared (keepalivedctl clear)'),
    },
  });
  if (!r.ok) throw new Error(r.error);
  server = r.server;
  return {
    server,
    instances: list,
    async close() {
      for (const t of timers) clearTimeout(t);
      await r.server.close();
    },
  };
}
