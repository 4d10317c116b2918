// Checker scheduler at scale: 10,000 real servers with TCP_CHECK at delay_loop 1 against loopback
// listeners in separate processes (one port each, so accepting never throttles the checker and only
// the scheduler's CPU is measured). This process plays the checker child. Figures, per way of
// connecting (the addon's batch prober, and the bare TCP handle it replaces, in the same run):
// checks per second against the target, CPU of this process over the window (% of one core,
// user/system, per check), listen-queue overflows on the host during the window (non-zero means the
// listeners, not the checker, lost connections), and the detection latency (p50, p99) of the real
// servers whose listener is stopped. Loopback only. As root it then runs checkers-daemon.ts (the
// same load in the daemon, with the VRRP child's advert jitter; BENCH_CHECKERS_DAEMON=0 skips it).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CheckerService } from '../src/check/service.js';
import type { SchedulerLag } from '../src/check/scheduler.js';
import { defaultTcpProbeMode, type TcpProbeMode } from '../src/check/tcp.js';
import { loadConfigText } from '../src/config/index.js';
import { runDaemon } from './checkers-daemon.js';
import { printRows, type BenchRow } from './harness.js';

const SERVERS = 10_000;
const DELAY_LOOP_S = 1;
const PORTS = 4;
const MEASURE_MS = Number(process.env.BENCH_CHECKERS_MS ?? 15_000);

// One listener per process: accept (paused, nothing read) and close at once. The checker resets
// its side first, so the accepted socket is already dead; accepting only empties the queue.
const LISTENER = `
const net = require('node:net');
const s = net.createServer({ pauseOnConnect: true }, (c) => { c.on('error', () => {}); c.destroy(); });
s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.send({ port: s.address().port }));
process.on('message', (m) => {
  if (m === 'close') s.close();
  if (m === 'cpu') { const u = process.cpuUsage(); process.send({ cpu: u.user + u.system }); }
});
process.on('disconnect', () => process.exit(0));
`;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

/** TcpExt ListenOverflows + ListenDrops of this network namespace (/proc/net/netstat). */
function listenDrops(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const vals = lines[1].split(/\s+/).map(Number);
    return vals[names.indexOf('ListenOverflows')] + vals[names.indexOf('ListenDrops')];
  } catch {
    return NaN;
  }
}

function ask<T>(c: ChildProcess, msg: unknown, pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((r, rej) => {
    const t = setTimeout(() => rej(new Error('listener did not answer')), 10_000);
    const on = (m: unknown): void => {
      const v = pick(m as Record<string, unknown>);
      if (v === undefined) return;
      clearTimeout(t);
      c.off('message', on);
      r(v);
    };
    c.on('message', on);
    if (msg !== undefined) c.send(msg as string);
  });
}

const listenerCpuUs = async (cs: ChildProcess[]): Promise<number> =>
  (await Promise.all(cs.map((c) => ask(c, 'cpu', (m) => m.cpu as number | undefined)))).reduce((a, b) => a + b, 0);

/**
 * `npm run bench checkers`: in this process the batch prober, then the old path (bare handle); then,
 * as root, the same in the daemon with the VRRP child's advert jitter beside it (checkers-daemon.ts).
 */
export async function run(): Promise<BenchRow[]> {
  const modes: TcpProbeMode[] = defaultTcpProbeMode() === 'batch' ? ['batch', 'handle'] : ['handle'];
  const rows: BenchRow[] = [];
  for (const m of modes) rows.push(...(await runMode(m)).map((r) => ({ ...r, name: `[${m}] ${r.name}` })));
  if (process.env.BENCH_CHECKERS_DAEMON !== '0') rows.push(...(await runDaemon()));
  return rows;
}

export async function runMode(tcpMode?: TcpProbeMode, maxInFlight?: number): Promise<BenchRow[]> {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < PORTS; i++) children.push(fork('-e', [LISTENER], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ports = await Promise.all(children.map((c) => ask(c, undefined, (m) => m.port as number | undefined)));
    const rs = ports.map((p) => ` real_server 127.0.0.1 ${p} {\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }`).join('\n');
    // Many real-server entries on few listeners: each virtual server has one entry per listener.
    const vss: string[] = [];
    for (let v = 0; v < SERVERS / PORTS; v++) {
      vss.push(`virtual_server 192.0.2.${1 + (v % 250)} ${1000 + v} {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n delay_loop ${DELAY_LOOP_S}\n${rs}\n}`);
    }
    const downAt = new Map<string, number>();
    let closedAt = 0;
    const now = () => performance.now();
    // The daemon's own checker service: config in, TCP_CHECK probes out.
    const service = new CheckerService({ tcpMode, maxInFlight });
    service.subscribe((c) => {
      if (c.kind === 'real-server' && !c.up && closedAt) downAt.set(c.rsKey, now() - closedAt);
    });
    const lags: SchedulerLag[] = [];
    service.subscribeLag((l) => lags.push(l));
    await service.start(loadConfigText(vss.join('\n'), 'bench.conf').model);
    const checks = (): number => service.stats()?.runs ?? 0;
    await new Promise((r) => setTimeout(r, 3000)); // past the warmup spread
    const cpu0 = process.cpuUsage();
    const lcpu0 = await listenerCpuUs(children);
    const drops0 = listenDrops();
    const t0 = now();
    const c0 = checks();
    const lags0 = lags.length;
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const cpu = process.cpuUsage(cpu0);
    const wall = now() - t0;
    const n = checks() - c0;
    const late = lags.slice(lags0).reduce((a, l) => a + l.lateRuns, 0);
    const drops = listenDrops() - drops0;
    const lcpu = (await listenerCpuUs(children)) - lcpu0;
    const pct = (us: number): number => (us / 1000 / wall) * 100;
    const upBefore = [...service.results().values()].filter((r) => r.up).length;
    // Stop listener 0: every real server on it must go down.
    closedAt = now();
    children[0].send('close');
    const expected = SERVERS / PORTS;
    const deadline = now() + 10_000;
    while (downAt.size < expected && now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const peak = service.stats()?.peakInFlight ?? NaN;
    await service.stop();
    const lat = [...downAt.values()];
    return [
      { name: 'checks completed per second', ours: (n / wall) * 1000, unit: 'checks/s', target: `${SERVERS / DELAY_LOOP_S}` },
      { name: `scheduler CPU, ${SERVERS} TCP_CHECK @ delay_loop ${DELAY_LOOP_S}`, ours: pct(cpu.user + cpu.system), unit: '% of one core', target: '< 30%' },
      { name: '  of which user', ours: pct(cpu.user), unit: '% of one core' },
      { name: '  of which system', ours: pct(cpu.system), unit: '% of one core' },
      { name: 'scheduler CPU per check', ours: (cpu.user + cpu.system) / Math.max(1, n), unit: 'us' },
      { name: `listener CPU (${PORTS} processes, not ours)`, ours: pct(lcpu), unit: '% of one core' },
      { name: 'listen queue overflows/drops in the window', ours: drops, unit: 'SYNs', target: '0' },
      { name: 'real servers up before the stop', ours: upBefore, unit: `of ${SERVERS}` },
      { name: 'peak checks in flight', ours: peak, unit: 'checks' },
      { name: 'runs started > 1 s late in the window', ours: late, unit: 'runs', target: '0' },
      { name: `detected down after a listener stop (of ${expected})`, ours: lat.length, unit: 'servers' },
      { name: 'detection latency p50', ours: percentile(lat, 50), unit: 'ms', target: '<= delay_loop + connect_timeout' },
      { name: 'detection latency p99', ours: percentile(lat, 99), unit: 'ms', target: '<= 2000 ms' },
    ];
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // --mode batch|handle|socket (default: batch and handle in turn); --in-flight N: maxInFlight.
  const m = process.argv.indexOf('--mode');
  const mode = m > 0 ? (process.argv[m + 1] as TcpProbeMode) : undefined;
  const i = process.argv.indexOf('--in-flight');
  const cap = i > 0 ? Number(process.argv[i + 1]) : undefined;
  if (mode) printRows(`health checker scheduler (TCP_CHECK on loopback, ${mode}, maxInFlight ${cap ?? 'default'})`, await runMode(mode, cap));
  else printRows('health checker scheduler (TCP_CHECK on loopback, batch prober vs bare handle)', await run());
}
