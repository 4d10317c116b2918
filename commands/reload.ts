import { hostname } from 'node:os';
import { Command, Flags } from '@oclif/core';
import { daemonFlags, secondsFlag } from '../src/control/cli.js';
import type { Diagnostic, KeepalivedConfig } from '../src/config/index.js';
import type { ReloadResult, StatusResult } from '../src/control/protocol.js';

export default class Reload extends Command {
  static override description = `Check a configuration, show what reloading it would change, then reload the daemon.

First the config engine checks the daemon's configuration file (the same diagnostics as validate): a
config with errors is refused with its diagnostics and exit status 1, and the daemon is not touched.
Then the daemon computes the reload plan without applying it (instances added, removed, changed and
unchanged), and the VIPs and virtual servers that would come and go are shown beside it. With --plan
that is all; otherwise the daemon reloads (as SIGHUP does: unchanged instances keep their state and
VIPs) and the result is shown. Exit status: 0 planned or applied, 1 refused or failed, 2 usage.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --plan',
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --plan --json',
    '<%= config.bin %> <%= command.id %> -f /etc/keepalived/keepalived.conf',
  ];

  static override flags = {
    ...daemonFlags,
    plan: Flags.boolean({ description: 'only show what a reload would change; change nothing' }),
    json: Flags.boolean({ description: 'machine-readable output' }),
    file: Flags.string({ char: 'f', description: "the configuration to check: must be the daemon's own file (default: the file the daemon runs)", helpValue: 'CONF' }),
    'config-id': Flags.string({ char: 'i', description: "config id for @ID lines (default: the daemon's)" }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Reload);
    const out = await reloadMain({ ...flags, json: Boolean(flags.json), plan: Boolean(flags.plan) });
    if (out.stdout.length) process.stdout.write(out.stdout.join('\n') + '\n');
    if (out.stderr.length) process.stderr.write(out.stderr.join('\n') + '\n');
    process.exitCode = out.exit;
  }
}

export interface ReloadOptions {
  plan: boolean;
  json: boolean;
  file?: string;
  'config-id'?: string;
  socket?: string;
  timeout: string;
}

export interface PlanView {
  instances: ReloadResult['plan'];
  vips: { instance: string; added: string[]; removed: string[] }[];
  virtualServers: { added: string[]; removed: string[]; changed: { name: string; added: string[]; removed: string[] }[] };
  /** False when the daemon does not report its virtual servers (-P, or an older daemon). */
  virtualServersKnown: boolean;
}

const diff = (before: readonly string[], after: readonly string[]) => ({
  added: after.filter((x) => !before.includes(x)),
  removed: before.filter((x) => !after.includes(x)),
});

/** VIPs and virtual servers: what runs now (status) against the new model. Pure. */
export async function planView(plan: ReloadResult['plan'], status: StatusResult, model: KeepalivedConfig): Promise<PlanView> {
  const { vsId } = await import('../src/ipvs/spec.js');
  const { rsAddrPort, rsPortOf } = await import('../src/check/keys.js');
  const vips: PlanView['vips'] = [];
  const running = new Map(status.instances.map((i) => [i.name, i.vips]));
  for (const vi of model.instances) {
    const now = running.get(vi.name) ?? [];
    const next = [...vi.vips, ...vi.excludedVips].map((a) => a.addr);
    const d = diff(now, next);
    if (d.added.length || d.removed.length) vips.push({ instance: vi.name, ...d });
  }
  for (const name of plan.removed) {
    const now = running.get(name) ?? [];
    if (now.length) vips.push({ instance: name, added: [], removed: now });
  }
  const known = status.virtualServers !== undefined;
  const vsNow = new Map((status.virtualServers ?? []).map((v) => [v.name, v.realServers.map((r) => r.address)]));
  const vsNext = new Map(model.virtualServers.map((vs) => [vsId(vs), vs.realServers.map((rs) => rsAddrPort(rs.addr, rsPortOf(vs, rs)))]));
  const virtualServers: PlanView['virtualServers'] = { ...diff([...vsNow.keys()], [...vsNext.keys()]), changed: [] };
  if (!known) virtualServers.removed = [];
  for (const [name, rs] of vsNext) {
    const before = vsNow.get(name);
    if (!before) continue;
    const d = diff(before, rs);
    if (d.added.length || d.removed.length) virtualServers.changed.push({ name, ...d });
  }
  return { instances: plan, vips, virtualServers, virtualServersKnown: known };
}

/** The plan as text, one line per change. */
export function renderPlan(v: PlanView, file: string): string[] {
  const out = [`Reload plan for ${file}:`];
  const i = v.instances;
  for (const n of i.added) out.push(`  + vrrp_instance ${n} (added)`);
  for (const n of i.removed) out.push(`  - vrrp_instance ${n} (removed)`);
  for (const n of i.changed) out.push(`  ~ vrrp_instance ${n} (changed: restarts with the new settings)`);
  if (i.unchanged.length) out.push(`  = unchanged: ${i.unchanged.join(', ')}`);
  for (const x of v.vips) {
    for (const a of x.added) out.push(`  + VIP ${a} on ${x.instance}`);
    for (const a of x.removed) out.push(`  - VIP ${a} from ${x.instance}`);
  }
  const vs = v.virtualServers;
  for (const n of vs.added) out.push(`  + virtual_server ${n}`);
  for (const n of vs.removed) out.push(`  - virtual_server ${n}`);
  for (const c of vs.changed) {
    out.push(`  ~ virtual_server ${c.name}: real servers${c.added.map((a) => ` +${a}`).join('')}${c.removed.map((a) => ` -${a}`).join('')}`);
  }
  if (!v.virtualServersKnown && vs.added.length) out.push('  (the daemon reports no virtual servers: it runs without the checker process)');
  const changes = i.added.length + i.removed.length + i.changed.length + v.vips.length + vs.added.length + vs.removed.length + vs.changed.length;
  if (changes === 0) out.push('  nothing to change');
  return out;
}

/** Diagnostics the way validate prints them (file:line:col, the source line, a caret). */
async function renderDiagnostics(diags: Diagnostic[], errors: number, warnings: number): Promise<string[]> {
  const { readFileSync } = await import('node:fs');
  const { formatHuman, noPaint, summaryLine } = await import('../src/config/report.js');
  const files = new Map<string, string[]>();
  const lineOf = (d: Diagnostic): string | undefined => {
    if (!files.has(d.file)) {
      try {
        files.set(d.file, readFileSync(d.file, 'utf8').split('\n'));
      } catch {
        files.set(d.file, []);
      }
    }
    return files.get(d.file)![d.line - 1];
  };
  return [...diags.map((d) => formatHuman(d, lineOf(d), noPaint)), summaryLine(1, errors, warnings)];
}

type Out = { exit: number; stdout: string[]; stderr: string[] };

export async function reloadMain(o: ReloadOptions): Promise<Out> {
  const { loadConfig } = await import('../src/config/index.js');
  const { resolve } = await import('node:path');
  const { callDaemon } = await import('../src/control/client.js');
  const { failureLine } = await import('../src/control/cli.js');
  const out: Out = { exit: 0, stdout: [], stderr: [] };
  const fail = (exit: number, line: string, extra: Record<string, unknown> = {}): Out => {
    out.exit = exit;
    out.stderr.push(line);
    if (o.json) out.stdout.push(JSON.stringify({ error: { message: line, ...extra } }));
    return out;
  };
  const timeout = secondsFlag('timeout', o.timeout);
  if (!timeout.ok) return fail(2, `keepalivedctl reload: ${timeout.error}`);
  const check = async (file: string, configId: string): Promise<{ ok: true; model: KeepalivedConfig } | { ok: false }> => {
    const r = loadConfig(file, { configId });
    if (!r.unreadable && r.errors === 0) return { ok: true, model: r.model };
    out.exit = 1;
    if (o.json) out.stdout.push(JSON.stringify({ valid: false, applied: false, configFile: file, errors: r.errors, warnings: r.warnings, diagnostics: r.diagnostics.map(({ related: _r, ...d }) => d) }));
    else out.stderr.push(...(await renderDiagnostics(r.diagnostics, r.errors, r.warnings)), `keepalivedctl reload: ${file} is invalid; the daemon was not touched`);
    return { ok: false };
  };
  // A file named on the command line is checked before the daemon is asked anything.
  if (o.file !== undefined && !(await check(o.file, o['config-id'] ?? hostname())).ok) return out;
  const opts = { socket: o.socket, timeoutMs: timeout.value };
  const st = await callDaemon<StatusResult>('status', {}, opts);
  if (!st.ok) return fail(1, failureLine('reload', st), { kind: st.kind });
  const status = st.result;
  const file = status.daemon.configFile;
  if (o.file !== undefined && resolve(o.file) !== resolve(file)) {
    return fail(2, `keepalivedctl reload: the daemon runs ${file}; a reload reads that file, not ${o.file}`);
  }
  const checked = await check(file, o['config-id'] ?? status.daemon.configId);
  if (!checked.ok) return out;
  const dry = await callDaemon<ReloadResult>('reload', { dryRun: true }, opts);
  if (!dry.ok) {
    const data = Array.isArray(dry.data) ? (dry.data as unknown[]).map(String) : [];
    if (!o.json) out.stderr.push(...data);
    return fail(1, failureLine('reload', dry), { kind: dry.kind, ...(dry.data !== undefined ? { data: dry.data } : {}) });
  }
  const view = await planView(dry.result.plan, status, checked.model);
  if (o.plan) {
    if (o.json) out.stdout.push(JSON.stringify({ valid: true, applied: false, configFile: file, plan: view }));
    else out.stdout.push(...renderPlan(view, file), 'Plan only (--plan): the daemon was not reloaded.');
    return out;
  }
  // Applying can take a while (instances stop and start): give it more than one answer's time.
  const applied = await callDaemon<ReloadResult>('reload', {}, { ...opts, timeoutMs: Math.max(opts.timeoutMs, 30_000) });
  if (!applied.ok) {
    if (!o.json) out.stdout.push(...renderPlan(view, file));
    return fail(1, failureLine('reload', applied), { kind: applied.kind, ...(applied.data !== undefined ? { data: applied.data } : {}) });
  }
  const p = applied.result.plan;
  const final = { ...view, instances: p };
  if (o.json) out.stdout.push(JSON.stringify({ valid: true, applied: applied.result.applied, configFile: file, plan: final }));
  else {
    out.stdout.push(...renderPlan(final, file));
    out.stdout.push(
      applied.result.applied
        ? `Reloaded: ${p.added.length} added, ${p.removed.length} removed, ${p.changed.length} changed, ${p.unchanged.length} unchanged.`
        : 'The daemon did not apply the reload.',
    );
  }
  if (!applied.result.applied) out.exit = 1;
  return out;
}
