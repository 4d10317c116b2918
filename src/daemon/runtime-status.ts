// InstanceStatus / StatusResult (src/control/protocol.ts) from the runtime's state.
import type { InstanceStatus, StatusResult, TrackState, UnattributedDrop, VrrpStateName } from '../control/protocol.js';
import type { InstanceIo } from './runtime-io.js';
import type { RuntimeInfo, VrrpRuntime } from './runtime.js';
import { PROTOCOL_VERSION } from '../control/protocol.js';
import { IF_TRACK_PREFIX } from './instance-config.js';
import { trackerStates } from './track-runtime.js';

export function buildStatus(rt: VrrpRuntime, info: RuntimeInfo | null): StatusResult {
  const instances: InstanceStatus[] = [];
  for (const i of rt.node?.instances ?? []) {
    const io = rt.ios.get(i.cfg.name) as InstanceIo;
    const p = io.plan;
    const tracks: TrackState[] = p.tracks.map((t) => ({
      name: t.ifname,
      kind: 'interface',
      weight: t.weight,
      status: i.trackStatus[IF_TRACK_PREFIX + t.ifname] !== false,
    }));
    tracks.push(...trackerStates(rt.trackers, p, i.trackStatus));
    const drops: Record<string, number> = {};
    for (const [reason, n] of io.counters.entries()) drops[reason] = n;
    const s: InstanceStatus = {
      name: p.name,
      state: i.state as VrrpStateName,
      vrid: p.vrid,
      version: p.version,
      family: p.family,
      interface: p.ifname,
      advertIntMs: Math.round(i.cfg.advertIntUs / 1000),
      priority: { configured: i.cfg.priority, effective: i.effectivePriority, override: i.overridePriority },
      masterAddr: i.state === 'MASTER' ? io.primaryAddr : i.state === 'BACKUP' ? i.masterAddr : null,
      vips: p.vips.map((v) => v.addr),
      tracks,
      counters: {
        advertsSent: io.advertsSent,
        advertsReceived: io.counters.accepted,
        becameMaster: io.becameMaster,
        releasedMaster: io.releasedMaster,
        priorityZeroSent: io.priorityZeroSent,
        priorityZeroReceived: io.counters.priorityZero,
        drops,
      },
    };
    if (p.syncGroup) s.syncGroup = p.syncGroup;
    const o = rt.store.overrides[p.name];
    if (o) s.override = o;
    const t = rt.transitions.get(p.name);
    if (t) s.lastTransition = t;
    instances.push(s);
  }
  return {
    protocolVersion: PROTOCOL_VERSION,
    daemon: info
      ? { pid: info.daemonPid, version: info.daemonVersion, configFile: info.configFile, configId: info.configId, startedAt: info.startedAt }
      : { pid: process.pid, version: '', configFile: '', configId: '', startedAt: '' },
    instances,
    syncGroups: (rt.node?.groups ?? []).map((g) => ({ name: g.name, state: g.state as VrrpStateName, members: [...g.members] })),
    unattributedDrops: unattributed(rt),
  };
}

/** Drops that belong to no instance, per socket (interface/family) and reason, in a stable order. */
function unattributed(rt: VrrpRuntime): UnattributedDrop[] {
  const out: UnattributedDrop[] = [];
  for (const [key, c] of rt.socketDrops) {
    const slash = key.lastIndexOf('/');
    const family = key.slice(slash + 1) === '6' ? 6 : 4;
    for (const [reason, count] of c.entries()) out.push({ interface: key.slice(0, slash), family, reason, count });
  }
  return out.sort((a, b) => a.interface.localeCompare(b.interface) || a.family - b.family || a.reason.localeCompare(b.reason));
}
