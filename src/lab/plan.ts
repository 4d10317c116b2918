// The lab's plan, pure: namespace and interface names from a per-lab prefix, node addresses, the
// wizard answers each supported template gets, and the template stretched to N nodes. Nothing here
// touches the system, so `lab up` can render and check everything before it creates anything.
import { join } from 'node:path';
import { renderNodes, resolveAnswers } from '../wizard/answers.js';
import type { LoadedTemplate, NodeSpec } from '../wizard/template.js';
import type { LabNode, LabState } from './state.js';

/** Templates the lab can run: VRRP only (the lvs-* ones need IPVS in the kernel and real servers). */
export const LAB_TEMPLATES = ['active-backup', 'active-active', 'ipv6'] as const;
export type LabTemplate = (typeof LAB_TEMPLATES)[number];
export const MIN_NODES = 2;
export const MAX_NODES = 3;
export const BRIDGE = 'br0';
export const NODE_IF = 'eth0';

export const DEFAULT_LAB_DIR = '/run/keepalivedctl-lab';
export const LAB_DIR_ENV = 'KEEPALIVEDCTL_LAB_DIR';

/** ` --dir DIR` when DIR is not the default, for printed commands. */
export function dirFlag(dir: string): string {
  return dir === DEFAULT_LAB_DIR ? '' : ` --dir ${dir}`;
}

export function isLabTemplate(name: string): name is LabTemplate {
  return (LAB_TEMPLATES as readonly string[]).includes(name);
}

/** `lab-<6 hex>`: short enough for namespace names, unique per lab (random hex is injected). */
export function labPrefix(hex6: string): string {
  return `lab-${hex6.toLowerCase().replace(/[^0-9a-f]/g, '').padEnd(6, '0').slice(0, 6)}`;
}

export function nodeName(index: number): string {
  return `n${index + 1}`;
}

/** Each node's own addresses on the lab LAN (TEST-NET-1 and the documentation IPv6 prefix). */
export function nodeAddrs(index: number): { addr4: string; addr6: string } {
  return { addr4: `192.0.2.${index + 1}/24`, addr6: `2001:db8::${index + 1}/64` };
}

/** The wizard answers the lab gives each template: multicast, fixed VRIDs and a fixed password (a lab has no secrets). */
export function labAnswers(template: LabTemplate): Record<string, string> {
  const common = { interface: NODE_IF, instance: 'VI_1', priority: '150', backup_priority: '100' };
  switch (template) {
    case 'active-backup':
      return { ...common, vip: '192.0.2.100/24', vrid: '51', auth_pass: 'labpass' };
    case 'active-active':
      return { ...common, vip: '192.0.2.100/24', vrid: '51', vip2: '192.0.2.101/24', vrid2: '52', instance2: 'VI_2', auth_pass: 'labpass' };
    case 'ipv6':
      return { ...common, vip: '2001:db8::100/64', vrid: '61', advert_int: '1' };
  }
}

/**
 * The template with exactly `count` nodes named n1..nN. Extra nodes copy the last node of the
 * template (a BACKUP) with a priority 10 lower per extra node, so the election order is clear.
 */
export function stretchTemplate(t: LoadedTemplate, count: number, answers: Record<string, string>): LoadedTemplate {
  const base = t.nodes;
  const backup = Number(answers.backup_priority ?? '100');
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < count; i++) {
    const from = base[Math.min(i, base.length - 1)];
    const vars: Record<string, string> = { ...(from.vars ?? {}) };
    if (i >= base.length) {
      const lower = String(Math.max(1, backup - 10 * (i - base.length + 1)));
      for (const [k, v] of Object.entries(vars)) if (v.includes('{{backup_priority}}')) vars[k] = lower;
    }
    nodes.push({ ...from, name: nodeName(i), file: `${nodeName(i)}.conf`, vars });
  }
  return { ...t, nodes };
}

export type LabConfigs = { ok: true; configs: { node: string; text: string }[] } | { ok: false; error: string };

/** keepalived.conf text for each of `count` nodes, through the wizard's answers and renderer. */
export function renderLabConfigs(t: LoadedTemplate, template: LabTemplate, count: number): LabConfigs {
  const answers = labAnswers(template);
  const env = { usedVrids: new Set<number>(), randomPassword: () => 'labpass', hostIfs: [] };
  const r = resolveAnswers(t, answers, env);
  if (r.problems.length) return { ok: false, error: `template ${t.name}: ${r.problems.join('; ')}` };
  const rendered = renderNodes(stretchTemplate(t, count, answers), r.answers);
  if (!rendered.ok) return { ok: false, error: `template ${t.name} did not render: ${rendered.error}` };
  return { ok: true, configs: rendered.nodes.map((n) => ({ node: n.node, text: n.text })) };
}

/** The lab's whole layout under `dir`, before anything exists (phase 'starting', no pids yet). */
export function planLab(o: { dir: string; prefix: string; template: LabTemplate; count: number; upPid: number; now: Date; keepalived: string; node: string }): LabState {
  const nodes: LabNode[] = [];
  for (let i = 0; i < o.count; i++) {
    const name = nodeName(i);
    const sub = join(o.dir, name);
    nodes.push({
      name,
      ns: `${o.prefix}-${name}`,
      leg: `leg-${name}`,
      ...nodeAddrs(i),
      conf: join(o.dir, `${name}.conf`),
      sock: join(o.dir, `${name}.sock`),
      log: join(o.dir, `${name}.log`),
      stateDir: sub,
      pidFile: join(sub, 'keepalived.pid'),
      vrrpPidFile: join(sub, 'vrrp.pid'),
      checkersPidFile: join(sub, 'checkers.pid'),
      pid: null,
    });
  }
  return {
    version: 1,
    dir: o.dir,
    prefix: o.prefix,
    template: o.template,
    bridgeNs: `${o.prefix}-br`,
    phase: 'starting',
    upPid: o.upPid,
    createdAt: o.now.toISOString(),
    keepalived: o.keepalived,
    node: o.node,
    nodes,
    instances: [],
  };
}

/** The daemon's command line for a node, run under `ip netns exec`. */
export function daemonArgv(s: LabState, n: LabNode): string[] {
  return [
    'netns', 'exec', n.ns,
    s.node, s.keepalived, '-n', '-l', '-D',
    '-f', n.conf,
    '--socket', n.sock,
    '--state-dir', n.stateDir,
    '-p', n.pidFile,
    '-r', n.vrrpPidFile,
    '-c', n.checkersPidFile,
  ];
}
