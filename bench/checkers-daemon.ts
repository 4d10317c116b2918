// Issue 7 in the daemon itself: one node namespace, our daemon with 50 VRRP instances (MASTER,
// advert_int 1) and 10,000 real servers with TCP_CHECK at delay_loop 1 against 4 listeners on the
// namespace's loopback. Per run: the checker child's CPU (utime+stime from /proc over the window),
// checks per second (the namespace's TCP ActiveOpens: one per check), and the VRRP child's advert jitter
// (|gap - 1 s| per VRID, from the observer's capture). Three runs: no virtual servers (the jitter
// baseline), TCP_CHECK through the batch prober, and through the bare TCP handle it replaces
// (KEEPALIVED_TCP_CHECK=handle). Root only; everything inside the namespaces the cluster makes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Cluster, type Proc, sleep, until } from '../test/helpers/cluster.js';
import { isRoot } from '../test/helpers/netns.js';
import { status } from '../test/interop/lab.js';
import type { BenchRow } from './harness.js';

const INSTANCES = 50;
const SERVERS = 10_000;
const PORTS = 4;
const CLK_TCK = 100;

// Accepts (paused, nothing read) and closes; prints its port.
const LISTENER = `
const net = require('node:net');
const s = net.createServer({ pauseOnConnect: true }, (c) => { c.on('error', () => {}); c.destroy(); });
s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => console.log('port ' + s.address().port));
`;

function conf(ports: number[], globals: string[] = []): string {
  const out = ['global_defs {', '  vrrp_garp_master_delay 0', ...globals.map((g) => `  ${g}`), '}'];
  for (let i = 1; i <= INSTANCES; i++) {
    out.push(`vrrp_instance VI_${i} {`, '  interface veth0', '  state MASTER', `  virtual_router_id ${i}`, '  priority 100', '  advert_int 1',
      '  virtual_ipaddress {', `    198.51.100.${i}/32`, '  }', '}');
  }
  const rs = ports.map((p) => `  real_server 127.0.0.1 ${p} {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }`).join('\n');
  for (let v = 0; v < SERVERS / ports.length && ports.length; v++) {
    out.push(`virtual_server 203.0.113.${1 + (v % 250)} ${1000 + v} {`, '  protocol TCP', '  lb_algo rr', '  lb_kind NAT', '  delay_loop 1', rs, '}');
  }
  return out.join('\n') + '\n';
}

function ticks(pid: number): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

/** TCP ActiveOpens of the namespace (/proc/net/snmp): every check is one connect(). */
function activeOpens(ns: string): number {
  const snmp = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = snmp[0]?.split(/\s+/) ?? [];
  return Number(snmp[1]?.split(/\s+/)[names.indexOf('ActiveOpens')] ?? NaN);
}

interface Figures {
  checkerCpuPct: number;
  checksPerS: number;
  jitterP99Ms: number;
  jitterP50Ms: number;
  adverts: number;
}

/** `globals`: extra global_defs lines (bench/process-priority.ts: vrrp_rt_priority, checker_priority). */
export async function measure(mode: 'none' | 'batch' | 'handle', seconds: number, globals: string[] = []): Promise<Figures> {
  const c = new Cluster(1, 'tk');
  const prev = process.env.KEEPALIVED_TCP_CHECK;
  try {
    const ns = c.nodes[0]!.ns;
    const listeners: Proc[] = [];
    if (mode !== 'none') for (let i = 0; i < PORTS; i++) listeners.push(c.run(ns, [process.execPath, '-e', LISTENER]));
    for (const l of listeners) await until('listener port', () => /port \d+/.test(l.out()), 10_000, 20);
    const ports = listeners.map((l) => Number(/port (\d+)/.exec(l.out())![1]));
    if (mode === 'handle') process.env.KEEPALIVED_TCP_CHECK = 'handle';
    else delete process.env.KEEPALIVED_TCP_CHECK;
    const d = c.start('ours', 0, conf(ports, globals), { detail: false });
    await until('all instances MASTER', async () => {
      const s = await status(d, 5000);
      return !!s && s.instances.length === INSTANCES && s.instances.every((i) => i.state === 'MASTER');
    }, 60_000, 500);
    const checkerPidFile = d.pidFile.replace(/k\.pid$/, 'c.pid');
    let checker = NaN;
    if (mode !== 'none') {
      await until('checker pid file', () => existsSync(checkerPidFile) && Number(readFileSync(checkerPidFile, 'utf8')) > 0, 20_000);
      checker = Number(readFileSync(checkerPidFile, 'utf8'));
    }
    await sleep(4000); // past the GARP bursts and the checkers' warmup spread
    const cap = await c.capture('ip proto 112');
    const t0 = Date.now();
    const cpu0 = ticks(checker);
    const n0 = activeOpens(ns);
    await sleep(seconds * 1000);
    const cpu1 = ticks(checker);
    const n1 = activeOpens(ns);
    const wall = (Date.now() - t0) / 1000;
    await cap.stop();
    const byVrid = new Map<number, number[]>();
    for (const f of cap.from(0, 'vrrp')) byVrid.set(f.vrid!, [...(byVrid.get(f.vrid!) ?? []), f.t]);
    const jitter: number[] = [];
    for (const ts of byVrid.values()) for (let i = 1; i < ts.length; i++) jitter.push(Math.abs((ts[i]! - ts[i - 1]!) * 1000 - 1000));
    return {
      checkerCpuPct: ((cpu1 - cpu0) / CLK_TCK / wall) * 100,
      checksPerS: (n1 - n0) / wall,
      jitterP99Ms: pct(jitter, 0.99),
      jitterP50Ms: pct(jitter, 0.5),
      adverts: jitter.length,
    };
  } finally {
    if (prev === undefined) delete process.env.KEEPALIVED_TCP_CHECK;
    else process.env.KEEPALIVED_TCP_CHECK = prev;
    await c.dispose();
  }
}

/** The daemon rows, or none (with a note) where namespaces cannot be made. */
export async function runDaemon(): Promise<BenchRow[]> {
  if (!isRoot()) return [];
  const seconds = Math.max(5, Number(process.env.BENCH_CHECKERS_DAEMON_SECONDS ?? 15));
  const base = await measure('none', seconds);
  const batch = await measure('batch', seconds);
  const handle = await measure('handle', seconds);
  return [
    { name: `[daemon] checker child CPU, ${SERVERS} TCP_CHECK, batch`, ours: batch.checkerCpuPct, reference: handle.checkerCpuPct, unit: '% of one core', target: '< 30% (reference: bare handle)' },
    { name: '[daemon]   checks per second, batch', ours: batch.checksPerS, reference: handle.checksPerS, unit: 'checks/s', target: `${SERVERS}` },
    { name: '[daemon]   checker CPU per check, batch', ours: (batch.checkerCpuPct * 1e4) / batch.checksPerS, reference: (handle.checkerCpuPct * 1e4) / handle.checksPerS, unit: 'us' },
    { name: `[daemon] VRRP advert jitter p99 (${INSTANCES} instances), batch`, ours: batch.jitterP99Ms, reference: base.jitterP99Ms, unit: 'ms', target: 'unchanged (reference: no checkers)' },
    { name: '[daemon]   VRRP advert jitter p99, bare handle', ours: handle.jitterP99Ms, reference: base.jitterP99Ms, unit: 'ms' },
    { name: '[daemon]   VRRP advert jitter p50, batch', ours: batch.jitterP50Ms, reference: base.jitterP50Ms, unit: 'ms' },
    { name: `[daemon]   adverts captured over ${seconds} s, batch`, ours: batch.adverts, reference: base.adverts, unit: 'gaps' },
  ];
}

if (process.argv[1]?.endsWith('checkers-daemon.js')) {
  const { printRows } = await import('./harness.js');
  printRows('checker child and VRRP child in the daemon (TCP_CHECK, batch prober vs bare handle)', await runDaemon());
}
