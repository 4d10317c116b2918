// The checker child's notifies, as keepalived's checker process does them: quorum_up/quorum_down
// scripts through the project's script runner (script_user, enable_script_security, checked at
// config load; an unsafe one is disabled), and the global notify_fifo (plus lvs_notify_fifo) with
// keepalived's `RS <FMT_RS> <FMT_VS> UP|DOWN` and `VS <FMT_VS> UP|DOWN` lines. When the config has
// virtual servers the checker process, not the VRRP one, runs notify_fifo_script (notify.ts skips
// it then); lvs_notify_fifo_script is always ours.
import * as os from 'node:os';
import { child, type ConfNode } from '../config/ast.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from './log.js';
import { readNotifyPlan, type FifoSpec, type NotifyScript } from './notify-config.js';
import { closeFifo, fifoOwner, openFifo, writeFifo, type OpenFifo } from './notify-fifo.js';
import { cmdStr, NotifyScripts, type ScriptSecurity } from './notify-scripts.js';
import { buildCheckers } from '../check/spec.js';
import { vsScripts } from '../ipvs/daemon-config.js';
import { checkScriptSecure, defaultScriptUser, lookupUser, ourUser, scriptFromLine, type UserDb } from './script-exec.js';
import { runScript, type ScriptRun } from './script-run.js';

/** keepalived's FMT_RS: the real server's address as a trio with its virtual server's protocol. */
export function fmtRs(addr: string, port: number, protocol: string): string {
  return `[${addr}]:${protocol.toLowerCase()}:${port}`;
}

/** FMT_RS from the checkers' keys (rsKey "<FMT_VS>|addr:port", keys.ts): the address with the VS's protocol. */
export function rsNameOf(vsKey: string, rsKey: string): string {
  const ap = rsKey.slice(vsKey.length + 1);
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(ap);
  const proto = /^\[.*\]:([a-z]+):\d+$/.exec(vsKey)?.[1] ?? 'tcp';
  return m ? fmtRs(m[1]!, Number(m[2]), proto) : ap;
}

export const rsFifoLine = (rs: string, vs: string, up: boolean): string => `RS ${rs} ${vs} ${up ? 'UP' : 'DOWN'}\n`;
export const vsFifoLine = (vs: string, up: boolean): string => `VS ${vs} ${up ? 'UP' : 'DOWN'}\n`;

/** global_defs lvs_notify_fifo PATH [USER [GROUP]] and lvs_notify_fifo_script (the checker's own FIFO). */
function lvsFifo(cfg: KeepalivedConfig, log: Logger): FifoSpec | undefined {
  const g = cfg.nodes.find((n: ConfNode) => n.keyword === 'global_defs');
  const n = child(g, 'lvs_notify_fifo');
  if (!n) return undefined;
  const w = n.args.map((a) => a.text);
  if (!w[0]) {
    log.log('warning', '(global_defs.lvs_notify_fifo) No lvs_notify_fifo name specified');
    return undefined;
  }
  const f: FifoSpec = { kind: 'lvs_notify_fifo', path: w[0] };
  if (w.length > 1) f.user = w.slice(1, 3);
  const sn = child(g, 'lvs_notify_fifo_script');
  if (sn) {
    const r = scriptFromLine(sn.text.text);
    if (r.ok) f.script = { kind: 'lvs_notify_fifo_script', argv: r.value.argv, ...(r.value.rest.length ? { user: r.value.rest.slice(0, 2) } : {}) };
    else log.log('warning', `(global_defs.lvs_notify_fifo_script) ${r.error} - ignoring`);
  }
  return f;
}

/**
 * keepalived's check_check_script_security: checker-side scripts (MISC_CHECK, quorum_up/down, real
 * server notify_up/down, the FIFO scripts) without enable_script_security are a "SECURITY VIOLATION"
 * warning, naming insecure ones. Undefined when there is nothing to say.
 */
export function checkScriptsViolation(cfg: KeepalivedConfig, fifos: readonly FifoSpec[], sec: ScriptSecurity): string | undefined {
  if (sec.scriptSecurity) return undefined;
  const list: { argv: string[]; user?: string[] }[] = [];
  for (const s of vsScripts(cfg).values()) for (const x of [s.quorumUp, s.quorumDown]) if (x) list.push(x);
  for (const vs of cfg.virtualServers) {
    for (const rs of vs.realServers) {
      for (const kw of ['notify_up', 'notify_down']) {
        const n = child(rs.node, kw);
        const r = n ? scriptFromLine(n.text.text) : undefined;
        if (r?.ok) list.push({ argv: r.value.argv, ...(r.value.rest.length ? { user: r.value.rest.slice(0, 2) } : {}) });
      }
    }
  }
  for (const rs of buildCheckers(cfg).servers) {
    for (const c of rs.checkers) if (c.spec.type === 'MISC_CHECK') list.push({ argv: c.spec.argv, ...(c.spec.user ? { user: [c.spec.user, ...(c.spec.group ? [c.spec.group] : [])] } : {}) });
  }
  for (const f of fifos) if (f.script) list.push(f.script);
  if (!list.length) return undefined;
  const def = defaultScriptUser(sec.scriptUser, false, sec.userDb);
  const insecure = list.some((x) => {
    const u = x.user ? lookupUser(x.user[0]!, x.user[1], sec.userDb) : def;
    return u.ok && checkScriptSecure(x.argv, u.value, false).insecure;
  });
  return `SECURITY VIOLATION - check scripts are being executed but script_security not enabled.${insecure ? ' There are insecure scripts.' : ''}`;
}

export interface CheckNotifyDeps {
  log: Logger;
  userDb?: UserDb;
}

export class CheckNotify {
  readonly scripts: NotifyScripts;
  private fifos: OpenFifo[] = [];
  private readers: ScriptRun[] = [];
  private fifoKey = '';
  private stopped = false;

  constructor(private readonly deps: CheckNotifyDeps) {
    this.scripts = new NotifyScripts(deps.log, { scriptSecurity: false });
  }

  /** A (new) configuration: script security settings; FIFOs reopened only when they changed. */
  configure(cfg: KeepalivedConfig): void {
    if (this.stopped) return;
    const plan = readNotifyPlan(cfg, { hostname: os.hostname(), userName: os.userInfo().username });
    const sec: ScriptSecurity = { scriptUser: plan.scriptUser, scriptSecurity: plan.scriptSecurity, userDb: this.deps.userDb };
    this.scripts.configure(sec);
    const specs: FifoSpec[] = [];
    const global = plan.fifos.find((f) => f.kind === 'notify_fifo');
    if (global) specs.push(global);
    const lvs = lvsFifo(cfg, this.deps.log);
    if (lvs && lvs.path === global?.path) this.deps.log.log('warning', `notify FIFO ${lvs.path} has been specified for global and LVS FIFO - ignoring LVS FIFO`);
    else if (lvs) specs.push(lvs);
    const violation = checkScriptsViolation(cfg, specs.filter((f) => f.kind === 'lvs_notify_fifo' || cfg.virtualServers.length > 0), sec);
    if (violation) this.deps.log.log('warning', violation);
    const key = JSON.stringify([specs, cfg.virtualServers.length > 0, plan.scriptUser, plan.scriptSecurity]);
    if (key === this.fifoKey) return;
    this.closeFifos();
    this.fifoKey = key;
    const def = defaultScriptUser(sec.scriptUser, sec.scriptSecurity, this.deps.userDb);
    for (const spec of specs) {
      const owner = fifoOwner(spec, def.ok ? def.value : ourUser(), this.deps.userDb);
      if (!owner) {
        this.deps.log.log('info', `Invalid user/group for ${spec.kind} ${spec.path} - ignoring`);
        continue;
      }
      // The global FIFO's script is the checker's only when there are virtual servers (as keepalived).
      const runs = spec.kind === 'lvs_notify_fifo' || cfg.virtualServers.length > 0;
      if (spec.script && runs) this.startReader(spec.kind, spec.script, spec.path);
      const f = openFifo(spec, this.deps.log, owner);
      if (f) this.fifos.push(f);
    }
  }

  private startReader(kind: string, script: NotifyScript, path: string): void {
    const prep = this.scripts.prepare(script, kind);
    if (!prep) return;
    const argv = [...prep.argv, path];
    this.deps.log.log('info', `Running ${kind}_script ${cmdStr(argv)}`);
    const r = runScript(argv, prep.user, { killGraceMs: 0 });
    this.readers.push(r);
    void r.done.then((e) => {
      this.readers = this.readers.filter((x) => x !== r);
      const how = e.kind === 'exit' ? `status ${e.code}` : e.kind === 'signal' ? e.signal : e.error;
      this.deps.log.log(this.stopped ? 'debug' : 'warning', `${kind.replace(/_/g, ' ')} script terminated (${how})`);
    });
  }

  /** keepalived's notify_fifo_rs. */
  realServer(rs: string, vs: string, up: boolean): void {
    this.write(rsFifoLine(rs, vs, up));
  }

  /** keepalived's notify_fifo_vs (a quorum change). */
  virtualServer(vs: string, up: boolean): void {
    this.write(vsFifoLine(vs, up));
  }

  private write(line: string): void {
    if (this.stopped) return;
    for (const f of this.fifos) writeFifo(f, line, this.deps.log);
  }

  private closeFifos(): ScriptRun[] {
    const readers = this.readers;
    for (const r of readers) r.kill();
    for (const f of this.fifos) closeFifo(f);
    this.fifos = [];
    this.readers = [];
    return readers;
  }

  /** Stop: scripts get their second, FIFO readers are killed, FIFOs closed (removed if ours). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.scripts.stop();
    const readers = this.closeFifos();
    await Promise.race([Promise.all(readers.map((r) => r.done)), new Promise((res) => setTimeout(res, 1500).unref())]);
  }
}
