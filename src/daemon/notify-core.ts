// The decisions of keepalived's vrrp_notify.c without the I/O: for each state change of an instance
// or sync group, which scripts run with which argv, which FIFO line is written and which mail goes
// out, in keepalived's order (notify_<state> script, generic `notify`, FIFO, then mail). Pure.
import type { GroupNotify, InstanceNotify, NotifyPlan, NotifyScript } from './notify-config.js';

export type NotifyStateWord = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export type Delivery =
  /** `who`: "(VI_1)" or "VRRP_Group(G)", for log lines. `stop`: keepalived gives it 1 s, then kills it. */
  | { kind: 'script'; who: string; script: NotifyScript; args: string[]; stop: boolean }
  | { kind: 'fifo'; line: string }
  | { kind: 'mail'; subject: string; body: string };

/** A FIFO line as keepalived writes it: `INSTANCE "VI_1" MASTER 100` (groups always say 0). */
export function fifoLine(type: 'INSTANCE' | 'GROUP', name: string, state: string, priority: number): string {
  return `${type} "${name}" ${state} ${priority}\n`;
}

/** The arguments keepalived appends to a generic `notify` script. */
export function notifyArgs(type: 'INSTANCE' | 'GROUP', name: string, state: NotifyStateWord, priority: number): string[] {
  return [type, name, state, String(priority)];
}

const INSTANCE_MAIL: Partial<Record<NotifyStateWord, [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  STOP: ['Stopping', '=> VRRP Instance stopping <='],
  DELETED: ['Deleted', '=> VRRP Deleted at reload <='],
};
const GROUP_MAIL: Partial<Record<NotifyStateWord, [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

const STATE_SCRIPT = { MASTER: 'master', BACKUP: 'backup', FAULT: 'fault', STOP: 'stop', DELETED: 'deleted' } as const;

export class NotifyCore {
  private readonly inst = new Map<string, NotifyStateWord>();
  private readonly grp = new Map<string, NotifyStateWord>();
  private readonly sent = new Set<string>();
  private readonly mailedInst = new Map<string, NotifyStateWord>();
  private readonly mailedGrp = new Map<string, NotifyStateWord>();

  constructor(private plan: NotifyPlan) {}

  /** A new configuration (reload): instances and groups that remain keep what they know. */
  setPlan(plan: NotifyPlan): void {
    this.plan = plan;
  }

  stateOf(name: string): NotifyStateWord | undefined {
    return this.inst.get(name);
  }

  groupStateOf(name: string): NotifyStateWord | undefined {
    return this.grp.get(name);
  }

  /** send_instance_notifies: an instance entered `state` with effective priority `priority`. */
  instance(name: string, state: NotifyStateWord, priority: number): Delivery[] {
    const cfg = this.plan.instances.get(name);
    if (!cfg) return [];
    // Moved into its sync group's state after its first notifies: the group's notifies say it.
    if (this.sent.has(name) && cfg.group !== undefined && this.grp.get(cfg.group) === state) {
      this.inst.set(name, state);
      return [];
    }
    // keepalived's old way, kept as its default: a deleted instance is reported as FAULT.
    const s: NotifyStateWord = state === 'DELETED' && !cfg.notifyDeleted ? 'FAULT' : state;
    this.inst.set(name, s);
    this.sent.add(name);
    const who = `(${name})`;
    const out: Delivery[] = [];
    const own = cfg.scripts[STATE_SCRIPT[s]];
    if (own) out.push({ kind: 'script', who, script: own, args: [], stop: s === 'STOP' });
    if (cfg.scripts.notify) out.push({ kind: 'script', who, script: cfg.scripts.notify, args: notifyArgs('INSTANCE', name, s, priority), stop: s === 'STOP' });
    out.push({ kind: 'fifo', line: fifoLine('INSTANCE', name, s, priority) });
    out.push(...this.mail(cfg, s));
    return out;
  }

  /** send_group_notifies: a sync group entered `state`. */
  group(name: string, state: NotifyStateWord): Delivery[] {
    const cfg = this.plan.groups.get(name);
    if (!cfg || this.grp.get(name) === state) return [];
    this.grp.set(name, state);
    const who = `VRRP_Group(${name})`;
    const out: Delivery[] = [];
    const own = state === 'DELETED' ? undefined : cfg.scripts[STATE_SCRIPT[state] as keyof GroupNotify['scripts']];
    if (own) out.push({ kind: 'script', who, script: own, args: [], stop: false });
    if (cfg.scripts.notify) out.push({ kind: 'script', who, script: cfg.scripts.notify, args: notifyArgs('GROUP', name, state, 0), stop: state === 'STOP' });
    out.push({ kind: 'fifo', line: fifoLine('GROUP', name, state, 0) });
    out.push(...this.groupMail(cfg, state));
    return out;
  }

  /** send_instance_priority_notifies (only with notify_priority_changes): FIFO only. */
  priority(name: string, priority: number): Delivery[] {
    const cfg = this.plan.instances.get(name);
    if (!cfg?.priorityChanges) return [];
    const word = this.inst.get(name) === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY';
    return [{ kind: 'fifo', line: fifoLine('INSTANCE', name, word, priority) }];
  }

  /** send_event_notify: a MASTER heard a lower priority advert. */
  rxLowerPri(name: string, priority: number): Delivery[] {
    const cfg = this.plan.instances.get(name);
    if (!cfg) return [];
    const out: Delivery[] = [];
    if (cfg.scripts.masterRxLowerPri) out.push({ kind: 'script', who: `(${name})`, script: cfg.scripts.masterRxLowerPri, args: [], stop: false });
    out.push({ kind: 'fifo', line: fifoLine('INSTANCE', name, 'MASTER_RX_LOWER_PRI', priority) });
    return out;
  }

  /** notify_shutdown: every instance not yet stopped, then every sync group, to STOP. */
  shutdown(priorityOf: (name: string) => number): Delivery[] {
    const out: Delivery[] = [];
    for (const name of this.plan.instances.keys()) if (this.inst.get(name) !== 'STOP') out.push(...this.instance(name, 'STOP', priorityOf(name)));
    for (const name of this.plan.groups.keys()) out.push(...this.group(name, 'STOP'));
    return out;
  }

  /** Forget an instance or group that left the configuration. */
  forget(name: string): void {
    this.inst.delete(name);
    this.sent.delete(name);
    this.mailedInst.delete(name);
  }

  private mail(cfg: InstanceNotify, s: NotifyStateWord): Delivery[] {
    if (!cfg.smtpAlert || (this.plan.noEmailFaults && s === 'FAULT') || this.mailedInst.get(cfg.name) === s) return [];
    const m = INSTANCE_MAIL[s];
    if (!m) return [];
    this.mailedInst.set(cfg.name, s);
    if (!this.plan.smtp) return [];
    return [{ kind: 'mail', subject: `[${this.plan.routerId}] VRRP Instance ${cfg.name} - ${m[0]}`, body: m[1] }];
  }

  private groupMail(cfg: GroupNotify, s: NotifyStateWord): Delivery[] {
    if (!cfg.smtpAlert || (this.plan.noEmailFaults && s === 'FAULT') || this.mailedGrp.get(cfg.name) === s) return [];
    const m = GROUP_MAIL[s];
    if (!m) return [];
    this.mailedGrp.set(cfg.name, s);
    if (!this.plan.smtp) return [];
    return [{ kind: 'mail', subject: `[${this.plan.routerId}] VRRP Group ${cfg.name} - ${m[0]}`, body: m[1] }];
  }
}
