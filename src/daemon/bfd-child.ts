// The BFD child process (keepalived's third child, spawned when the config has a bfd_instance):
// forked by the supervisor with an IPC channel, it reads the configuration itself, runs every
// session (bfd-service.ts) over the sockets of bfd-socket.ts, reports each session's Up/Down to
// the supervisor ('bfd-state', relayed to the VRRP and checker children), answers status, reloads
// in place (unchanged sessions stay Up), writes keepalived_bfd.data on SIGUSR1, and stops cleanly
// on shutdown or when the parent goes away.
import { loadConfig } from '../config/index.js';
import { readBfdInstances, type BfdIssue } from '../bfd/config.js';
import { formatBfdData } from './bfd-dump.js';
import { BfdService } from './bfd-service.js';
import { ProcessPriority } from './process-priority.js';
import { openReceiver, openSender, type BfdReceiver } from './bfd-socket.js';
import { realClock } from './clock.js';
import { dumpGlobals } from './dump-input.js';
import { dumpDir, writeDumpFile } from './dump-writer.js';
import { isParentMessage, sendIpc, type ChildMessage, type ParentMessage } from './ipc.js';
import { consoleLogger, type Logger, makeLogger } from './log.js';
import type { KeepalivedConfig } from '../config/model.js';

let log: Logger = consoleLogger('Keepalived_bfd', { detail: false });
let configFile = '';
let configId = '';
let receiver: BfdReceiver | null = null;
let model: KeepalivedConfig | null = null;
const priorities = new ProcessPriority('bfd', (level, message) => log.log(level, message));
let stopping = false;

const send = (m: ChildMessage) => sendIpc(process, m);

const service = new BfdService({
  clock: realClock(),
  get log() {
    return log;
  },
  openSender: (cfg) => openSender(cfg),
  onState: (name, up, to) => send({ type: 'bfd-state', name, up, vrrp: to.vrrp, checker: to.checker }),
});

/** Reads the sessions from the configuration; a message naming the problem when it cannot. */
function load(): string | undefined {
  const r = loadConfig(configFile, { configId });
  if (r.unreadable) return `cannot read configuration ${configFile}`;
  const issues: BfdIssue[] = [];
  const configs = readBfdInstances(r.model, issues);
  for (const i of issues) log.log('err', i.message);
  model = r.model;
  service.apply(configs);
  return undefined;
}

function dumpData(): void {
  if (!model) return;
  log.log('info', `Printing BFD data for process(${process.pid}) on signal`);
  const w = writeDumpFile(dumpDir(), 'keepalived_bfd.data', formatBfdData(dumpGlobals(model), service.sessions(), receiver !== null));
  if (!w.ok) log.log('err', w.error);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  service.stop();
  receiver?.close();
  receiver = null;
  log.log('info', 'Stopped');
  const exit = (): never => process.exit(code);
  if (!process.send || !process.connected) exit();
  try {
    process.send!({ type: 'stopped' } satisfies ChildMessage, () => exit());
  } catch {
    exit();
  }
  setTimeout(exit, 1000).unref();
}

function onMessage(m: ParentMessage): void {
  switch (m.type) {
    case 'start': {
      configFile = m.configFile;
      configId = m.configId;
      log = makeLogger('Keepalived_bfd', m.log);
      const rx = openReceiver(
        (d) => service.receive(d),
        (e) => log.log('err', e),
      );
      if (!rx.ok) {
        // keepalived: "There is no point to stay alive w/o listening socket".
        log.log('err', `Unable to open listening socket: ${rx.error}`);
        send({ type: 'fatal', message: `Unable to open listening socket: ${rx.error}` });
        process.exit(1);
      }
      receiver = rx.receiver;
      const problem = load();
      if (problem) {
        send({ type: 'fatal', message: problem });
        process.exit(1);
      }
      send({ type: 'ready', pid: process.pid });
      priorities.apply(model); // global_defs' bfd_* priorities
      return;
    }
    case 'reload': {
      let problem: string | undefined;
      priorities.reset(); // keepalived reloads under standard scheduling
      try {
        problem = load();
      } catch (e) {
        problem = `reload failed: ${String(e)}`;
      }
      priorities.apply(problem ? null : model);
      send({ type: 'reload-result', ok: !problem, ...(problem ? { detail: problem } : {}) });
      return;
    }
    case 'status':
      send({ type: 'status-reply', id: m.id, status: { role: 'bfd', sessions: service.status() } });
      return;
    case 'rpc':
      if (m.method === 'status') send({ type: 'rpc-reply', id: m.id, ok: true, result: { sessions: service.status(), drops: service.dropCounts() } });
      else send({ type: 'rpc-reply', id: m.id, ok: false, error: { code: -32601, message: `the BFD process has no method '${m.method}'` } });
      return;
    case 'signal':
      if (m.signal === 'SIGUSR1') dumpData();
      return;
    case 'shutdown':
      void shutdown(0);
      return;
    default:
      return;
  }
}

process.on('message', (m: unknown) => {
  if (!isParentMessage(m) || stopping) return;
  try {
    onMessage(m);
  } catch (e) {
    log.log('err', `BFD child: ${(e as Error).stack ?? String(e)}`);
  }
});
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGUSR1', dumpData);
process.on('uncaughtException', (e) => {
  log.log('err', `uncaught exception: ${e.stack ?? e.message}`);
  void shutdown(1);
});
send({ type: 'hello', pid: process.pid });
