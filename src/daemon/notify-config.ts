// What the VRRP child notifies, read from the config's syntax tree as keepalived reads it
// (vrrp_parser.c / global_parser.c): per instance and sync group the notify_* scripts and `notify`,
// smtp_alert and notify_priority_changes (resolved against global_defs as vrrp.c does), and the
// global FIFOs and SMTP settings. Pure: no I/O (the host name and the daemon's user name are given).
import { child, childrenNamed, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import { scriptFromLine } from './script-exec.js';

/** A command as keepalived keeps it: argv split from the line, and its own `USER [GROUP]` if given. */
export interface NotifyScript {
  /** The keyword it came from (for log lines). */
  kind: string;
  argv: string[];
  user?: string[];
}

export type InstanceScriptKind = 'master' | 'backup' | 'fault' | 'stop' | 'deleted' | 'masterRxLowerPri' | 'notify';
export type GroupScriptKind = 'master' | 'backup' | 'fault' | 'stop' | 'notify';

export interface InstanceNotify {
  name: string;
  group?: string;
  scripts: Partial<Record<InstanceScriptKind, NotifyScript>>;
  /** notify_deleted given (with or without a script): a deleted instance reports DELETED, else FAULT. */
  notifyDeleted: boolean;
  smtpAlert: boolean;
  priorityChanges: boolean;
}

export interface GroupNotify {
  name: string;
  members: string[];
  scripts: Partial<Record<GroupScriptKind, NotifyScript>>;
  smtpAlert: boolean;
}

export interface FifoSpec {
  /** `notify_fifo` or `vrrp_notify_fifo` (log lines). */
  kind: string;
  path: string;
  user?: string[];
  /** Its reader, started with the FIFO's path as last argument. */
  script?: NotifyScript;
}

export interface SmtpSpec {
  host: string;
  port: number;
  connectTimeoutMs: number;
  from: string;
  helo: string;
  to: string[];
}

export interface NotifyPlan {
  instances: Map<string, InstanceNotify>;
  groups: Map<string, GroupNotify>;
  fifos: FifoSpec[];
  /** Set when smtp_server and at least one notification_email are given (keepalived sends nothing otherwise). */
  smtp: SmtpSpec | null;
  routerId: string;
  noEmailFaults: boolean;
  scriptUser?: string[];
  scriptSecurity: boolean;
  /** Problems keepalived would log, with where. */
  issues: { where: string; message: string }[];
}

export interface HostInfo {
  hostname: string;
  userName: string;
}

const words = (n: ConfNode | undefined): string[] => (n ? n.args.map((a) => a.text) : []);

/** keepalived's check_true_false: absent means true; null for an invalid word. */
function onOff(n: ConfNode | undefined): boolean | undefined | null {
  if (!n) return undefined;
  const w = n.args[0]?.text;
  if (w === undefined) return true;
  const v = w.toLowerCase();
  if (['true', 'on', 'yes'].includes(v)) return true;
  if (['false', 'off', 'no'].includes(v)) return false;
  return null;
}

function flag(n: ConfNode | undefined, where: string, issues: NotifyPlan['issues']): boolean | undefined {
  const v = onOff(n);
  if (v === null) {
    issues.push({ where, message: `Invalid value '${n?.args[0]?.text}' for ${n?.keyword} - ignoring` });
    return undefined;
  }
  return v;
}

function script(n: ConfNode | undefined, where: string, issues: NotifyPlan['issues']): NotifyScript | undefined {
  if (!n) return undefined;
  const r = scriptFromLine(n.text.text);
  if (!r.ok) {
    issues.push({ where: `${where}.${n.keyword}`, message: `${r.error} - ignoring` });
    return undefined;
  }
  const s: NotifyScript = { kind: n.keyword, argv: r.value.argv };
  if (r.value.rest.length > 0) s.user = r.value.rest.slice(0, 2);
  return s;
}

const INSTANCE_KEYWORDS: [InstanceScriptKind, string][] = [
  ['master', 'notify_master'], ['backup', 'notify_backup'], ['fault', 'notify_fault'], ['stop', 'notify_stop'],
  ['masterRxLowerPri', 'notify_master_rx_lower_pri'], ['notify', 'notify'],
];
const GROUP_KEYWORDS: [GroupScriptKind, string][] = [
  ['master', 'notify_master'], ['backup', 'notify_backup'], ['fault', 'notify_fault'], ['stop', 'notify_stop'], ['notify', 'notify'],
];

function fifo(g: ConfNode | undefined, kw: string, issues: NotifyPlan['issues']): FifoSpec | null {
  const n = child(g, kw);
  if (!n) return null;
  const w = words(n);
  if (!w[0]) {
    issues.push({ where: `global_defs.${kw}`, message: `No ${kw.replace('notify_fifo', '')}notify_fifo name specified` });
    return null;
  }
  const f: FifoSpec = { kind: kw, path: w[0] };
  if (w.length > 1) f.user = w.slice(1, 3);
  const s = script(child(g, `${kw}_script`), 'global_defs', issues);
  if (s) f.script = s;
  return f;
}

export function readNotifyPlan(model: KeepalivedConfig, host: HostInfo): NotifyPlan {
  const issues: NotifyPlan['issues'] = [];
  const g = model.globals?.node;
  const gflag = (kw: string) => flag(child(g, kw), `global_defs.${kw}`, issues);
  const smtpAlert = gflag('smtp_alert');
  const smtpAlertVrrp = gflag('smtp_alert_vrrp');
  const defaultAlert = smtpAlertVrrp ?? smtpAlert ?? false;
  const priorityChanges = gflag('vrrp_notify_priority_changes') ?? false;

  const groups = new Map<string, GroupNotify>();
  for (const sg of model.syncGroups) {
    const where = `vrrp_sync_group ${sg.name}`;
    const scripts: GroupNotify['scripts'] = {};
    for (const [k, kw] of GROUP_KEYWORDS) {
      const s = script(child(sg.node, kw), where, issues);
      if (s) scripts[k] = s;
    }
    groups.set(sg.name, {
      name: sg.name,
      members: sg.members.map((m) => m.name),
      scripts,
      smtpAlert: flag(child(sg.node, 'smtp_alert'), `${where}.smtp_alert`, issues) ?? defaultAlert,
    });
  }
  const groupPrio = new Map<string, boolean | undefined>();
  for (const sg of model.syncGroups) groupPrio.set(sg.name, flag(child(sg.node, 'notify_priority_changes'), `vrrp_sync_group ${sg.name}.notify_priority_changes`, issues));

  const instances = new Map<string, InstanceNotify>();
  for (const vi of model.instances) {
    const where = `vrrp_instance ${vi.name}`;
    const scripts: InstanceNotify['scripts'] = {};
    for (const [k, kw] of INSTANCE_KEYWORDS) {
      const s = script(child(vi.node, kw), where, issues);
      if (s) scripts[k] = s;
    }
    const del = child(vi.node, 'notify_deleted');
    if (del && del.args.length > 0) {
      const s = script(del, where, issues);
      if (s) scripts.deleted = s;
    }
    const group = vi.syncGroup ?? model.syncGroups.find((s) => s.members.some((m) => m.name === vi.name))?.name;
    const inst: InstanceNotify = {
      name: vi.name,
      scripts,
      notifyDeleted: !!del,
      smtpAlert: flag(child(vi.node, 'smtp_alert'), `${where}.smtp_alert`, issues) ?? defaultAlert,
      priorityChanges: flag(child(vi.node, 'notify_priority_changes'), `${where}.notify_priority_changes`, issues) ??
        (group !== undefined ? groupPrio.get(group) : undefined) ?? priorityChanges,
    };
    if (group !== undefined) inst.group = group;
    instances.set(vi.name, inst);
  }

  const fifos: FifoSpec[] = [];
  const global = fifo(g, 'notify_fifo', issues);
  const vrrp = fifo(g, 'vrrp_notify_fifo', issues);
  if (global) fifos.push(global);
  if (vrrp) {
    if (global && global.path === vrrp.path) {
      issues.push({ where: 'global_defs.vrrp_notify_fifo', message: `notify FIFO ${vrrp.path} has been specified for global and vrrp FIFO - ignoring vrrp FIFO` });
    } else fifos.push(vrrp);
  }

  const routerId = words(child(g, 'router_id'))[0] || host.hostname;
  let smtp: SmtpSpec | null = null;
  const server = words(child(g, 'smtp_server'));
  const emails = childrenNamed(g, 'notification_email').flatMap((b) => (b.children ?? []).map((c) => [c.keyword, ...words(c)].join(' ').trim())).filter((e) => e !== '');
  if (server[0]) {
    const port = server[1] === undefined ? 25 : Number(server[1]);
    const t = Number(words(child(g, 'smtp_connect_timeout'))[0] ?? 30);
    if (!Number.isInteger(port) || port < 1 || port > 65535) issues.push({ where: 'global_defs.smtp_server', message: `Invalid smtp server ${server[0]} ${server[1]}` });
    else if (emails.length > 0) {
      smtp = {
        host: server[0],
        port,
        connectTimeoutMs: (Number.isFinite(t) && t >= 1 ? Math.floor(t) : 1) * 1000,
        from: words(child(g, 'notification_email_from'))[0] || `${host.userName}@${host.hostname}`,
        helo: words(child(g, 'smtp_helo_name'))[0] || host.hostname,
        to: emails,
      };
    }
  }
  const su = words(child(g, 'script_user'));
  const plan: NotifyPlan = {
    instances, groups, fifos, smtp, routerId,
    noEmailFaults: !!child(g, 'no_email_faults'),
    scriptSecurity: !!child(g, 'enable_script_security'),
    issues,
  };
  if (su.length > 0) plan.scriptUser = su.slice(0, 2);
  return plan;
}
