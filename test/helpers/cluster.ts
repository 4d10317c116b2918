// A LAN of network namespaces for cluster tests and benchmarks: a bridge namespace, N node namespaces
// (veth0 each, leg `l<i>` in the bridge) and an observer namespace (`lobs` leg) that captures with
// tcpdump. Daemons (ours: bin/keepalived, or Debian's keepalived 2.2.7) run only inside node
// namespaces. Every wait is bounded; dispose() kills what it started (by pid) and deletes the
// namespaces, and an exit hook does the same if a test dies first. No vitest import: bench/ uses it too.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, ip } from './netns.js';

export const KEEPALIVED_BIN = '/usr/sbin/keepalived';

/** The repository root, from test/helpers (vitest) or dist/test/helpers (bench). */
export const ROOT = ((): string => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bin', 'keepalived'))) return d;
    d = dirname(d);
  }
  throw new Error('cluster.ts: repository root not found');
})();

export type Impl = 'ours' | 'keepalived';

export interface Proc {
  proc: ChildProcess;
  pid: number;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface Daemon extends Proc {
  impl: Impl;
  node: number;
  ns: string;
  conf: string;
  pidFile: string;
  vrrpPidFile: string;
  /** Ours only: the control socket. */
  sock: string;
  stateDir: string;
}

export interface Node {
  ns: string;
  /** veth0's MAC, to tell who sent a captured frame. */
  mac: string;
  v4: string;
  v6: string;
  /** The bridge-side leg: set it down to cut this node off. */
  leg: string;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls cond every `stepMs` until true; throws naming `what` after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000, stepMs = 50): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; ; i++) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

const live = new Set<Cluster>();
process.once('exit', () => {
  for (const c of live) c.disposeSync();
});

export class Cluster {
  readonly br: string;
  readonly nodes: Node[] = [];
  readonly obs: Node;
  readonly dir: string;
  private readonly procs: Proc[] = [];
  private seq = 0;
  private disposed = false;

  /** `n` node namespaces 192.0.2.(i+1) / 2001:db8::(i+1), observer 192.0.2.250 / 2001:db8::250. */
  constructor(n = 2, tag = 'c') {
    this.dir = mkdtempSync(join(tmpdir(), 'kacl-'));
    live.add(this);
    const made: string[] = [];
    try {
      this.br = createNetns(`${tag}b`);
      made.push(this.br);
      ip('-n', this.br, 'link', 'add', 'br0', 'type', 'bridge');
      // No STP, no forwarding delay: legs forward at once, and a cut leg comes back at once.
      ip('-n', this.br, 'link', 'set', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
      ip('-n', this.br, 'link', 'set', 'br0', 'up');
      for (let i = 0; i < n; i++) {
        const ns = createNetns(`${tag}${i}`);
        made.push(ns);
        this.nodes.push(this.attach(ns, `l${i}`, i + 1));
      }
      const o = createNetns(`${tag}o`);
      made.push(o);
      this.obs = this.attach(o, 'lobs', 250);
    } catch (e) {
      for (const ns of made) deleteNetns(ns);
      live.delete(this);
      throw e;
    }
  }

  private attach(ns: string, leg: string, host: number): Node {
    // No DAD: addresses usable at once (nothing leaves these namespaces anyway).
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    ip('link', 'add', 'veth0', 'netns', ns, 'type', 'veth', 'peer', 'name', leg, 'netns', this.br);
    ip('-n', this.br, 'link', 'set', leg, 'master', 'br0');
    ip('-n', this.br, 'link', 'set', leg, 'up');
    ip('-n', ns, 'link', 'set', 'veth0', 'up');
    const v4 = `192.0.2.${host}`;
    const v6 = `2001:db8::${host.toString(16)}`;
    ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', 'veth0');
    ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', 'veth0', 'nodad');
    const j = JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'veth0')) as { address: string }[];
    return { ns, mac: j[0]!.address, v4, v6, leg };
  }

  /** Addresses on a node's veth0 (`ip -j -n NS addr`). */
  addrs(i: number): string[] {
    const j = JSON.parse(ip('-n', this.nodes[i]!.ns, '-j', 'addr', 'show', 'dev', 'veth0')) as { addr_info: { local: string }[] }[];
    return j.flatMap((l) => l.addr_info.map((x) => x.local));
  }

  /** Which nodes hold `vip` right now. */
  holders(vip: string): number[] {
    return this.nodes.map((_, i) => i).filter((i) => this.addrs(i).includes(vip));
  }

  /** Cut (false) or restore (true) node i's leg in the bridge namespace. */
  setLink(i: number, up: boolean): void {
    ip('-n', this.br, 'link', 'set', this.nodes[i]!.leg, up ? 'up' : 'down');
  }

  /** The node whose veth0 has this MAC, or -1. */
  nodeOfMac(mac: string): number {
    return this.nodes.findIndex((n) => n.mac === mac.toLowerCase());
  }

  /** Runs argv inside ns (`ip netns exec` execs it, so the pid is the program's). */
  run(ns: string, argv: string[], env: NodeJS.ProcessEnv = {}): Proc {
    const proc = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const cap = 4 * 1024 * 1024;
    const add = (d: Buffer): void => {
      out += d.toString();
      // Keep memory bounded on chatty daemons: drop the oldest half.
      if (out.length > cap) out = out.slice(out.length - cap / 2);
    };
    proc.stdout!.on('data', add);
    proc.stderr!.on('data', add);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      proc.on('exit', (code, signal) => res({ code, signal })),
    );
    const p: Proc = { proc, pid: proc.pid ?? -1, out: () => out, exited };
    this.procs.push(p);
    return p;
  }

  private files(tag: string, conf: string): { d: string; conf: string; pidFile: string; vrrpPidFile: string } {
    const d = join(this.dir, `${tag}${this.seq++}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'k.conf'), conf);
    return { d, conf: join(d, 'k.conf'), pidFile: join(d, 'k.pid'), vrrpPidFile: join(d, 'v.pid') };
  }

  /**
   * Starts a daemon on node i. `stateDir` (ours) may be reused to test persisted overrides; pid
   * files are fresh per start (keepalived refuses to start over a stale one). `detail: false` drops -D
   * (per-packet debug logging) for load tests.
   */
  start(impl: Impl, i: number, conf: string, opts: { stateDir?: string; detail?: boolean } = {}): Daemon {
    const ns = this.nodes[i]!.ns;
    const f = this.files(impl === 'ours' ? 'o' : 'k', conf);
    const sock = join(f.d, 'k.sock');
    const stateDir = opts.stateDir ?? join(f.d, 'state');
    const argv =
      impl === 'ours'
        ? [process.execPath, join(ROOT, 'bin', 'keepalived'), '-n', '-l', ...(opts.detail === false ? [] : ['-D']), '-f', f.conf, '-p', f.pidFile, '-r', f.vrrpPidFile,
           '-c', join(f.d, 'c.pid'), '--socket', sock, '--state-dir', stateDir]
        : [KEEPALIVED_BIN, '-n', '-l', ...(opts.detail === false ? [] : ['-D']), '-P', '-f', f.conf, '-p', f.pidFile, '-r', f.vrrpPidFile];
    const p = this.run(ns, argv);
    return { ...p, impl, node: i, ns, conf: f.conf, pidFile: f.pidFile, vrrpPidFile: f.vrrpPidFile, sock, stateDir };
  }

  /** The VRRP child's pid from the -r pid file (waits for it), or null. */
  async vrrpPid(d: Daemon, ms = 10_000): Promise<number | null> {
    try {
      await until(`${d.impl} VRRP pid file`, () => existsSync(d.vrrpPidFile) && Number(readFileSync(d.vrrpPidFile, 'utf8')) > 0, ms);
      return Number(readFileSync(d.vrrpPidFile, 'utf8'));
    } catch {
      return null;
    }
  }

  /**
   * A crash with no goodbye: freeze the parent (so it cannot respawn or signal its child), SIGKILL the
   * VRRP child, then the parent. VIPs stay on the node, as after a real crash.
   */
  async crash(d: Daemon): Promise<void> {
    const child = await this.vrrpPid(d, 2000);
    tryKill(d.pid, 'SIGSTOP');
    if (child) tryKill(child, 'SIGKILL');
    tryKill(d.pid, 'SIGKILL');
    await bounded(d.exited, 5000);
    if (child) await until('VRRP child gone', () => !alive(child), 5000).catch(() => undefined);
  }

  /** SIGTERM and wait (SIGKILL after `graceMs`); the exit status. */
  async stop(p: Proc, graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) return { code: p.proc.exitCode, signal: p.proc.signalCode };
    tryKill(p.pid, 'SIGTERM');
    const t = setTimeout(() => tryKill(p.pid, 'SIGKILL'), graceMs);
    const r = await p.exited;
    clearTimeout(t);
    return r;
  }

  /** Starts tcpdump on the observer's veth0; resolves once it listens. */
  async capture(filter = 'arp or icmp6 or ip proto 112'): Promise<Capture> {
    const p = this.run(this.obs.ns, ['tcpdump', '-i', 'veth0', '-n', '-e', '-tt', '-l', '-U', '-vv', filter]);
    await until('tcpdump listening', () => /listening on/.test(p.out()), 10_000, 20);
    return new Capture(p, this);
  }

  /** Kills every process this cluster started (their pids only), deletes its namespaces and files. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    for (const p of this.procs) if (p.proc.exitCode === null && p.proc.signalCode === null) tryKill(p.pid, 'SIGKILL');
    await Promise.all(this.procs.map((p) => bounded(p.exited, 5000)));
    this.disposeSync();
  }

  disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.procs) if (p.proc.exitCode === null && p.proc.signalCode === null) tryKill(p.pid, 'SIGKILL');
    for (const n of [...this.nodes, this.obs]) if (n) deleteNetns(n.ns);
    if (this.br) deleteNetns(this.br);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

export interface Frame {
  /** Capture time, seconds (tcpdump -tt). */
  t: number;
  srcMac: string;
  kind: 'vrrp' | 'garp' | 'na' | 'other';
  /** vrrp: vrid and priority; garp/na: the announced address. */
  vrid?: number;
  prio?: number;
  addr?: string;
  line: string;
}

/** tcpdump's text output, parsed into frames (a VRRP line may span two lines with -vv). */
export class Capture {
  constructor(
    readonly p: Proc,
    private readonly c: Cluster,
  ) {}

  frames(): Frame[] {
    const out: Frame[] = [];
    const lines = this.p.out().split('\n');
    for (let k = 0; k < lines.length; k++) {
      const head = /^(\d+\.\d+) ([0-9a-f:]{17}) > /.exec(lines[k]!);
      if (!head) continue;
      // -vv continues a packet on indented lines: join them.
      let line = lines[k]!;
      while (k + 1 < lines.length && /^\s/.test(lines[k + 1]!)) line += ' ' + lines[++k]!.trim();
      const f: Frame = { t: Number(head[1]), srcMac: head[2]!, kind: 'other', line };
      const vr = /VRRPv\d, Advertisement, vrid (\d+), prio (\d+)/.exec(line);
      const garp = /who-has (\S+)(?: \([0-9a-f:]+\))? tell (\S+),/.exec(line);
      const rep = /Reply (\S+) is-at/.exec(line);
      const na = /neighbor advertisement, length \d+, tgt is (\S+?),?\s/.exec(line) ?? /neighbor advertisement.*tgt is (\S+?),?\s/.exec(line);
      if (vr) Object.assign(f, { kind: 'vrrp', vrid: Number(vr[1]), prio: Number(vr[2]) });
      else if (garp && garp[1] === garp[2]) Object.assign(f, { kind: 'garp', addr: garp[1] });
      else if (rep) Object.assign(f, { kind: 'garp', addr: rep[1] });
      else if (na) Object.assign(f, { kind: 'na', addr: na[1] });
      out.push(f);
    }
    return out;
  }

  /** Frames from node i (by source MAC). */
  from(i: number, kind?: Frame['kind'], after = 0): Frame[] {
    return this.frames().filter((f) => this.c.nodeOfMac(f.srcMac) === i && (!kind || f.kind === kind) && f.t >= after);
  }

  /** The capture clock now (same clock as tcpdump's -tt stamps). */
  static now(): number {
    return Date.now() / 1000;
  }

  async stop(): Promise<void> {
    await this.c.stop(this.p, 3000);
  }
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    if (pid > 0) process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<undefined>((res) => (t = setTimeout(() => res(undefined), ms)))]);
  clearTimeout(t);
  return r;
}
