// The checker child process (keepalived's "healthcheckers" child): forked by the supervisor with an
// IPC channel. It reads the configuration itself, runs every health checker, reports each checker
// flip as a control-socket event and each real server change as a log line, answers status probes,
// re-reads the config on reload, and stops cleanly on shutdown or when the parent goes away.
// The IPVS table follows the real servers through IpvsService (ipvs-service.ts).
import { loadConfig } from '../config/index.js';
import { bfdSessionStates } from '../check/bfd.js';
import { CheckerService, checkerEventFields } from '../check/service.js';
import { IpvsClient } from '../ipvs/client.js';
import { IpvsService } from './ipvs-service.js';
import type { KeepalivedConfig } from '../config/model.js';
import { formatCheckData } from './dump-check.js';
import { dumpGlobals } from './dump-input.js';
import { DUMP_FILES, dumpDir, writeDumpFile } from './dump-writer.js';
import { CheckNotify, rsNameOf } from './notify-check.js';
import { ProcessPriority } from './process-priority.js';
import { isParentMessage, sendIpc, type ChildMessage, type LogLevel, type ParentMessage } from './ipc.js';

const service = new CheckerService();
const notify = new CheckNotify({ log: { log: (level, message) => log(level, message), detail: false } });
const ipvs = new IpvsService({
  open: () => IpvsClient.open(),
  results: () => service.results(),
  checked: () => new Set(service.snapshot().filter((r) => r.checkers.some((c) => c.runs > 0)).map((r) => r.rsKey)),
  log: (level, message) => log(level, message),
  // quorum_up/quorum_down as keepalived runs them: its line splitting, script user and security.
  runScript: (s, why, stopping) => notify.scripts.run(s, why, [], stopping ?? false),
  checkScript: (s, why) => void notify.scripts.prepare(s, why),
  suspendCheckers: (vsKey, on) => service.suspendVs(vsKey, on),
  quorumChanged: (vsKey, up) => notify.virtualServer(vsKey, up),
});
let started = false;
let vrrpStates: Record<string, string> = {};
let configFile = '';
let configId = '';
let stopping = false;
let model: KeepalivedConfig | null = null;

function send(m: ChildMessage): void {
  sendIpc(process, m);
}

const priorities = new ProcessPriority('checker', (level, message) => log(level, message));

function log(level: LogLevel, message: string): void {
  send({ type: 'log', level, message });
}

service.subscribe((c) => {
  if (c.kind === 'checker') {
    send({ type: 'event', event: { type: 'checker', ...checkerEventFields(c) } });
    log('info', `${c.checker.spec.type} on ${c.checker.rsKey} ${c.up ? 'succeeded' : 'failed'}: ${c.detail}`);
  } else {
    log('info', `real server ${c.rsKey} is now ${c.up ? 'UP' : 'DOWN'} (weight ${c.weight})`);
    notify.realServer(rsNameOf(c.vsKey, c.rsKey), c.vsKey, c.up);
    ipvs.changed();
  }
});

// Checks that start late mean the delay_loop is not being kept: say so rather than fall behind silently.
service.subscribeLag((l) =>
  log(
    l.behind ? 'warning' : 'info',
    l.behind
      ? `checkers behind: ${l.lateRuns} of ${l.runs} runs started over 1 s late (worst ${Math.round(l.maxLagMs)} ms, ${l.waiting} waiting)`
      : 'checkers caught up',
  ),
);

/** Loads the config and (re)starts the checks; a message naming the problem when it cannot. */
async function load(): Promise<string | undefined> {
  const r = loadConfig(configFile, { configId });
  if (r.unreadable) return `cannot read configuration ${configFile}`;
  model = r.model;
  notify.configure(r.model);
  await service.start(r.model);
  for (const p of service.problems) log(p.severity === 'error' ? 'err' : 'warning', `${p.where}: ${p.message}`);
  if (started) await ipvs.reload(r.model);
  else await ipvs.start(r.model, vrrpStates);
  started = true;
  return undefined;
}

/** SIGUSR1 (relayed, or sent to this process): keepalived_check.data, written whole (dump-writer.ts). */
function dumpData(): void {
  if (!model) return;
  try {
    const snapshot = service.snapshot();
    const text = formatCheckData(model, dumpGlobals(model), {
      snapshot, virtualServers: ipvs.status(snapshot), suspended: ipvs.suspendedCheckers, ipvs: ipvs.available.available,
    });
    const w = writeDumpFile(dumpDir(), DUMP_FILES.checkData, text);
    if (!w.ok) log('err', w.error);
  } catch (e) {
    log('err', `checker data dump: ${String(e)}`);
  }
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await service.stop();
  await ipvs.stop().catch((e: unknown) => log('err', `IPVS at stop: ${String(e)}`));
  await notify.stop().catch((e: unknown) => log('err', `notify at stop: ${String(e)}`));
  // Exit once 'stopped' is handed to the channel (or at once when there is no parent any more).
  const exit = (): never => process.exit(code);
  if (!process.send || !process.connected) exit();
  try {
    process.send!({ type: 'stopped' } satisfies ChildMessage, () => exit());
  } catch {
    exit();
  }
  setTimeout(exit, 1000).unref();
}

async function onMessage(m: ParentMessage): Promise<void> {
  switch (m.type) {
    case 'start': {
      configFile = m.configFile;
      configId = m.configId;
      vrrpStates = m.vrrpStates ?? {};
      for (const [name, up] of Object.entries(m.bfdStates ?? {})) bfdSessionStates.set(name, up === true);
      const problem = await load().catch((e: unknown) => `cannot start the checkers: ${String(e)}`);
      if (problem) {
        send({ type: 'fatal', message: problem });
        process.exit(1);
      }
      send({ type: 'ready', pid: process.pid });
      priorities.apply(model); // global_defs' checker_* priorities
      return;
    }
    case 'reload': {
      priorities.reset(); // keepalived reloads under standard scheduling
      const problem = await load().catch((e: unknown) => `reload failed: ${String(e)}`);
      priorities.apply(problem ? null : model);
      send({ type: 'reload-result', ok: !problem, ...(problem ? { detail: problem } : {}) });
      return;
    }
    case 'status':
      send({ type: 'status-reply', id: m.id, status: { role: 'checker', realServers: service.snapshot() } });
      return;
    case 'bfd-state':
      // BFD_CHECK reads it (check/bfd.ts); keepalived logs each change it acts on.
      if (typeof m.name === 'string' && typeof m.up === 'boolean') bfdSessionStates.set(m.name, m.up);
      return;
    case 'vrrp-state':
      vrrpStates[m.instance] = m.state;
      ipvs.vrrpState(m.instance, m.state);
      return;
    case 'rpc':
      if (m.method === 'checkers' || m.method === 'status') {
        // The kernel's counters first (one bounded dump, reused within a second), then the snapshot.
        const stats = await ipvs.kernelStats().catch(() => undefined);
        const snap = service.snapshot();
        send({ type: 'rpc-reply', id: m.id, ok: true, result: { realServers: snap, virtualServers: ipvs.status(snap, stats), ipvs: ipvs.available } });
      } else {
        send({ type: 'rpc-reply', id: m.id, ok: false, error: { code: -32601, message: `the checker process has no method '${m.method}'` } });
      }
      return;
    case 'signal':
      if (m.signal === 'SIGUSR1') dumpData();
      return;
    case 'shutdown':
      await shutdown(0);
      return;
  }
}

process.on('message', (m: unknown) => {
  if (!isParentMessage(m)) return;
  onMessage(m).catch((e: unknown) => log('err', `checker child: ${String(e)}`));
});
// The parent died (or closed the channel): stop the same way.
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGUSR1', dumpData);
send({ type: 'hello', pid: process.pid });
