// Checks that depend on the machine (only with --host): interfaces exist, scripts can run and are
// allowed by keepalived's script security. The host is injected so the checks stay testable.
import { child, childrenNamed, type ConfNode, posOf } from '../ast.js';
import type { DiagnosticSink, Pos } from '../diagnostics.js';
import { splitCommandLine } from '../lexer.js';
import type { KeepalivedConfig } from '../model.js';

export interface HostInfo {
  interfaces(): Set<string>;
  /** Absolute path of the program a command line runs, or undefined if not found/executable. */
  findExecutable(program: string): string | undefined;
  userExists(name: string): boolean;
}

interface ScriptUse {
  pos: Pos;
  command: string;
  kind: 'vrrp_script' | 'notify' | 'misc_check';
  owner: string;
}

function commandOf(n: ConfNode): string {
  return n.args.map((a) => a.text).join(' ');
}

function scriptUses(cfg: KeepalivedConfig): ScriptUse[] {
  const out: ScriptUse[] = [];
  const used = new Set(cfg.instances.flatMap((i) => i.trackScripts.map((t) => t.name)));
  for (const s of cfg.vrrpScripts) {
    const n = child(s.node, 'script');
    if (n && used.has(s.name)) out.push({ pos: posOf(n), command: commandOf(n), kind: 'vrrp_script', owner: s.name });
  }
  const notifyKws = ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_master_rx_lower_pri', 'notify_deleted'];
  for (const holder of [...cfg.instances.map((i) => i.node), ...cfg.syncGroups.map((g) => g.node)]) {
    for (const kw of notifyKws) for (const n of childrenNamed(holder, kw)) out.push({ pos: posOf(n), command: commandOf(n), kind: 'notify', owner: kw });
  }
  for (const vs of cfg.virtualServers) for (const rs of vs.realServers) {
    for (const c of rs.checkers.filter((c) => c.type === 'MISC_CHECK')) {
      const n = child(c.node, 'misc_path');
      if (n) out.push({ pos: posOf(n), command: commandOf(n), kind: 'misc_check', owner: 'MISC_CHECK' });
    }
  }
  return out;
}

export function checkHost(cfg: KeepalivedConfig, host: HostInfo, sink: DiagnosticSink): void {
  // With net_namespace keepalived runs in another namespace, whose interfaces this host cannot see.
  if (cfg.nodes.some((n) => n.keyword === 'net_namespace')) return;
  const ifaces = host.interfaces();
  const needIface = (name: string | undefined, pos: Pos, what: string) => {
    if (name && !ifaces.has(name)) sink.error('interface-missing', pos, `${what}: interface '${name}' does not exist on this host`);
  };
  for (const vi of cfg.instances) {
    const ifNode = child(vi.node, 'interface');
    needIface(vi.interface, ifNode ? posOf(ifNode) : vi.pos, `(${vi.name})`);
    for (const t of vi.trackInterfaces) needIface(t.name, t.pos, `(${vi.name}) track_interface`);
    for (const v of [...vi.vips, ...vi.excludedVips]) needIface(v.dev, v.pos, `(${vi.name}) VIP ${v.addr}`);
    for (const r of vi.virtualRoutes) needIface(r.dev, r.pos, `(${vi.name}) route ${r.dest}`);
  }
  for (const a of cfg.staticAddresses) needIface(a.dev, a.pos, `static address ${a.addr}`);

  const security = cfg.globals?.enableScriptSecurity ?? false;
  let violation: ScriptUse | undefined;
  for (const use of scriptUses(cfg)) {
    const split = splitCommandLine(use.command);
    const program = 'argv' in split ? split.argv[0] : undefined;
    if (!program || program.startsWith('<')) continue; // shell redirections are not programs keepalived can find
    const found = host.findExecutable(program);
    if (!found) {
      if (use.kind === 'vrrp_script') sink.warn('script-not-found', use.pos, `vrrp_script ${use.owner}: '${program}' is not found or not executable; the track script is disabled`);
      continue;
    }
    if (!security && !violation) violation = use;
  }
  if (violation) {
    sink.error('script-security', violation.pos, 'scripts are configured but enable_script_security is not set in global_defs (keepalived reports a SECURITY VIOLATION)', {
      suggestion: 'enable_script_security',
    });
  }
  if (security && !cfg.globals?.scriptUser && !host.userExists('keepalived_script') && scriptUses(cfg).length > 0) {
    sink.error('script-user-missing', cfg.globals!.pos, "enable_script_security without script_user needs the user 'keepalived_script', which does not exist here");
  }
}
