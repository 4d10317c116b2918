// Checker scheduler at scale: 10,000 real servers with TCP_CHECK at delay_loop 1 against a few
// loopback listeners (in a separate process, so only the scheduler's CPU is measured). Figures: CPU
// of this process over 20 s as % of one core, checks per second, and the detection latency (p50,
// p99) of the real servers whose listener is stopped. Loopback only; nothing leaves the host.
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCheckers } from '../src/check/spec.js';
import { runCheck } from '../src/check/run.js';
import { CheckScheduler } from '../src/check/scheduler.js';
import { loadConfigText } from '../src/config/index.js';
import { printRows, type BenchRow } from './harness.js';

const SERVERS = 10_000;
const PORTS = 4;
const MEASURE_MS = 20_000;

const LISTENERS = `
const net = require('node:net');
const servers = [];
let n = Number(process.argv[1]);
for (let i = 0; i < n; i++) {
  const s = net.createServer((c) => { c.on('error', () => {}); c.destroy(); });
  s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => { servers[i] = s; if (servers.filter(Boolean).length === n) process.send(servers.map((x) => x.address().port)); });
}
process.on('message', (m) => { if (m.close !== undefined) servers[m.close].close(() => process.send({ closed: m.close })); });
process.on('disconnect', () => process.exit(0));
`;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

export async function run(): Promise<BenchRow[]> {
  const child = fork('-e', [LISTENERS, String(PORTS)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const ports = await new Promise<number[]>((r) => child.once('message', (m) => r(m as number[])));
    const rs = ports.map((p) => ` real_server 127.0.0.1 ${p} {\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }`).join('\n');
    // Many real-server entries on few listeners: each virtual server has one entry per listener.
    const vss: string[] = [];
    for (let v = 0; v < SERVERS / PORTS; v++) {
      vss.push(`virtual_server 192.0.2.${1 + (v % 250)} ${1000 + v} {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n delay_loop 1\n${rs}\n}`);
    }
    const { servers } = buildCheckers(loadConfigText(vss.join('\n'), 'bench.conf').model);
    const downAt = new Map<string, number>();
    let closedAt = 0;
    let checks = 0;
    const now = () => performance.now();
    const sched = new CheckScheduler(servers, {
      run: (e, signal) => {
        checks++;
        return runCheck(e.spec, { now, signal });
      },
      onChange: (c) => {
        if (c.kind === 'real-server' && !c.up && closedAt) downAt.set(c.rsKey, now() - closedAt);
      },
    });
    sched.start();
    await new Promise((r) => setTimeout(r, 3000)); // past the warmup spread
    const cpu0 = process.cpuUsage();
    const t0 = now();
    const c0 = checks;
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const cpu = process.cpuUsage(cpu0);
    const wall = now() - t0;
    const rate = ((checks - c0) / wall) * 1000;
    const cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    const upBefore = [...sched.results().values()].filter((r) => r.up).length;
    // Stop listener 0: every real server on it must go down.
    closedAt = now();
    child.send({ close: 0 });
    const expected = servers.filter((s) => s.port === ports[0]).length;
    const deadline = now() + 10_000;
    while (downAt.size < expected && now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await sched.stop();
    const lat = [...downAt.values()];
    return [
      { name: `scheduler CPU, ${SERVERS} TCP_CHECK @ delay_loop 1`, ours: cpuPct, unit: '% of one core', target: '< 30%' },
      { name: 'checks completed per second', ours: rate, unit: 'checks/s', target: `~${SERVERS}` },
      { name: 'real servers up before the stop', ours: upBefore, unit: `of ${SERVERS}` },
      { name: 'peak checks in flight', ours: sched.peakInFlight, unit: 'checks' },
      { name: `detected down after a listener stop (of ${expected})`, ours: lat.length, unit: 'servers' },
      { name: 'detection latency p50', ours: percentile(lat, 50), unit: 'ms', target: '<= delay_loop + connect_timeout' },
      { name: 'detection latency p99', ours: percentile(lat, 99), unit: 'ms', target: '<= 2000 ms' },
    ];
  } finally {
    child.kill('SIGKILL');
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  printRows('health checker scheduler (TCP_CHECK on loopback)', await run());
}
