// The configuration side of keepalived's VRRP data dump that the running state machine does not
// carry: per instance and sync group the track lists (each as keepalived keeps it after its sync
// group / address owner rules), notify scripts, smtp_alert and notify_priority_changes; who tracks
// each tracked object, in keepalived's order (every instance's own references in config order,
// then each sync group's for each member); the notify FIFOs and default script user of
// global_defs. Pure: the command resolution (path search, uid:gid) is injected.
import { child } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import { buildTrackerPlan, groupTrackRefs, ownTrackRefs, type TrackerKind, type TrackerPlan, type TrackRef } from './instance-tracks.js';
import { readNotifyPlan, type GroupScriptKind, type InstanceScriptKind, type NotifyScript } from './notify-config.js';
import type { DumpNotifyScript, DumpTrackRef, DumpTracking, DumpTracksAndNotify } from './dump-types.js';

/** A command resolved as keepalived runs it: argv[0] found, the user's uid:gid. */
export interface ResolvedCommand {
  cmd: string;
  uid: number;
  gid: number;
  insecure: boolean;
}
/** How commands and users are resolved (I/O: the dumper's). words: `USER [GROUP]` given with
 * the script (undefined: the default script user); null: not runnable / no such user. */
export interface Resolver {
  command: (argv: readonly string[], words: string[] | undefined) => ResolvedCommand | null;
  user: (words: string[] | undefined) => { uid: number; gid: number } | null;
}

export interface DumpConfig {
  instances: Map<string, DumpTracksAndNotify & { notifyDeleted: boolean }>;
  groups: Map<string, DumpTracksAndNotify & { trackingWeight: boolean }>;
  /** Who tracks each object, by trackKey-like "kind:name". */
  tracking: Map<string, DumpTracking[]>;
  /** vrrp_script timeouts as configured (keepalived prints 0 when unset). */
  scriptTimeoutS: Map<string, number>;
  trackers: TrackerPlan;
  fifos: { label: string; path: string; uid: number; gid: number; script?: { cmd: string; uid: number; gid: number } }[];
}

/** keepalived's labels, in dump_vrrp's order. */
const INSTANCE_ORDER: [InstanceScriptKind, string][] = [
  ['backup', 'Backup'], ['master', 'Master'], ['fault', 'Fault'], ['stop', 'Stop'], ['deleted', 'Deleted'], ['notify', 'Generic'],
  ['masterRxLowerPri', 'Master rx lower pri'],
];
const GROUP_ORDER: [GroupScriptKind, string][] = [['backup', 'Backup'], ['master', 'Master'], ['fault', 'Fault'], ['stop', 'Stop'], ['notify', 'Generic']];

const refOf = (r: TrackRef): DumpTrackRef => ({ name: r.name, weight: r.weight, reverse: r.reverse });
const ofKind = (refs: readonly TrackRef[], k: TrackerKind) => refs.filter((r) => r.kind === k).map(refOf);

function scriptsOf<K extends string>(scripts: Partial<Record<K, NotifyScript>>, order: [K, string][], resolve: Resolver): DumpNotifyScript[] {
  const out: DumpNotifyScript[] = [];
  for (const [k, label] of order) {
    const s = scripts[k];
    if (!s) continue;
    const r = resolve.command(s.argv, s.user);
    if (r) out.push({ label, cmd: r.cmd, uid: r.uid, gid: r.gid });
  }
  return out;
}

export function dumpConfig(model: KeepalivedConfig, resolve: Resolver, host: { hostname: string; userName: string }): DumpConfig {
  const issues: { where: string; message: string }[] = []; // the daemon logs these elsewhere
  const trackers = buildTrackerPlan(model, issues);
  const notify = readNotifyPlan(model, host);
  const tracking = new Map<string, DumpTracking[]>();
  const track = (r: TrackRef, instance: string) => {
    const key = `${r.kind}:${r.name}`;
    const list = tracking.get(key) ?? [];
    // keepalived's add_vrrp_to_track_*: an instance already tracking it keeps one entry, the
    // group's weight unless the instance's was unweighted.
    const have = list.find((t) => t.instance === instance);
    if (have) {
      if (have.weight !== 0) Object.assign(have, { weight: r.weight, reverse: r.reverse });
    } else list.push({ instance, weight: r.weight, reverse: r.reverse });
    tracking.set(key, list);
  };

  const instances: DumpConfig['instances'] = new Map();
  for (const vi of model.instances) {
    if (instances.has(vi.name)) continue;
    const own = ownTrackRefs(vi, model, trackers, issues);
    for (const r of own) track(r, vi.name);
    const n = notify.instances.get(vi.name);
    instances.set(vi.name, {
      scripts: ofKind(own, 'script'), files: ofKind(own, 'file'), processes: ofKind(own, 'process'), bfds: ofKind(own, 'bfd'),
      notify: n ? scriptsOf(n.scripts, INSTANCE_ORDER, resolve) : [],
      smtpAlert: n?.smtpAlert ?? false,
      priorityChanges: n?.priorityChanges ?? false,
      notifyDeleted: n?.notifyDeleted ?? false,
    });
  }
  const groups: DumpConfig['groups'] = new Map();
  for (const sg of model.syncGroups) {
    if (groups.has(sg.name)) continue;
    const refs = groupTrackRefs(sg, model, trackers, issues);
    const members = model.instances.filter((m) => m.syncGroup === sg.name).map((m) => m.name);
    for (const r of refs) for (const m of members) track(r, m);
    const n = notify.groups.get(sg.name);
    const prio = child(sg.node, 'notify_priority_changes');
    groups.set(sg.name, {
      scripts: ofKind(refs, 'script'), files: ofKind(refs, 'file'), processes: ofKind(refs, 'process'), bfds: ofKind(refs, 'bfd'),
      notify: n ? scriptsOf(n.scripts, GROUP_ORDER, resolve) : [],
      smtpAlert: n?.smtpAlert ?? false,
      priorityChanges: prio ? !/^(off|no|false|0)$/i.test(prio.args[0]?.text ?? '') : null,
      trackingWeight: !!child(sg.node, 'sync_group_tracking_weight'),
    });
  }
  const scriptTimeoutS = new Map<string, number>();
  for (const n of model.nodes) {
    if (n.keyword !== 'vrrp_script' || !n.children) continue;
    const t = Number(child(n, 'timeout')?.args[0]?.text);
    scriptTimeoutS.set(n.args[0]?.text ?? '', Number.isFinite(t) && t > 0 ? Math.floor(t) : 0);
  }
  const fifos: DumpConfig['fifos'] = [];
  const FIFO_LABEL: Record<string, string> = { notify_fifo: 'Global notify fifo', vrrp_notify_fifo: 'VRRP notify fifo' };
  for (const f of notify.fifos) {
    const owner = resolve.user(f.user);
    const entry: DumpConfig['fifos'][number] = { label: FIFO_LABEL[f.kind] ?? f.kind, path: f.path, uid: owner?.uid ?? 0, gid: owner?.gid ?? 0 };
    // keepalived keeps the FIFO's path as the reader script's last argument.
    const s = f.script ? resolve.command([...f.script.argv, f.path], f.script.user) : null;
    if (s) entry.script = { cmd: s.cmd, uid: s.uid, gid: s.gid };
    fifos.push(entry);
  }
  return { instances, groups, tracking, scriptTimeoutS, trackers, fifos };
}
