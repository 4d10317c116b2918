// The VRRP child process (forked by the supervisor with an IPC channel): runs VrrpService with the
// real network layer, answers the supervisor's messages, and always leaves cleanly (priority-0
// adverts, VIPs removed) on shutdown, SIGTERM or when the supervisor goes away.
import { type DaemonEvent, RPC_ERRORS, type ReloadResult, type StatusResult } from '../control/protocol.js';
import { realClock } from './clock.js';
import { type ChildMessage, type ChildStart, isParentMessage, sendIpc } from './ipc.js';
import { SIGNAL_DUMPS, VrrpDumper } from './dump-child.js';
import { withKeepalivedView } from './dump-input.js';
import { consoleLogger, type Logger, makeLogger } from './log.js';
import { realNetDeps } from './net-deps.js';
import { loadNotify, Notifier } from './notify.js';
import { ProcessPriority } from './process-priority.js';
import { warmTakeoverPath } from './runtime-warm.js';
import { ServiceError, VrrpService } from './vrrp-service.js';

let service: VrrpService | null = null;
let dumper: VrrpDumper | null = null;
let notifier: Notifier | null = null;
let log: Logger = consoleLogger('Keepalived_vrrp', { detail: false });
let exiting = false;
const priorities = new ProcessPriority('vrrp', (level, message) => log.log(level, message));
/** BFD sessions' Up/Down from the BFD child (via the supervisor); the trackers read it. */
const bfdStates = new Map<string, boolean>();
/** Sessions reported while the runtime was starting: logged once it runs (tracks start from bfdStates). */
const earlyBfd = new Set<string>();

// Events reach the supervisor once the step that made them has started its I/O: written at once, the
// IPC message (and the supervisor it wakes) sat between the master down timer and the first advert.
// Any other message flushes them first, so the supervisor sees everything in the order it happened.
let pendingEvents: DaemonEvent[] = [];
let flushScheduled = false;

function flushEvents(): void {
  flushScheduled = false;
  const events = pendingEvents;
  pendingEvents = [];
  for (const event of events) sendIpc(process, { type: 'event', event });
}

function sendEvent(event: DaemonEvent): void {
  pendingEvents.push(event);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushEvents); // after the microtasks that send the step's adverts
}

const send = (m: ChildMessage) => {
  if (pendingEvents.length > 0) flushEvents();
  sendIpc(process, m);
};

async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  // Bounded: whatever happens in stop(), the process ends.
  setTimeout(() => process.exit(code), 5000).unref();
  try {
    await service?.stop();
  } catch (e) {
    log.log('err', `shutdown: ${(e as Error).message}`);
  }
  await notifier?.stop(); // after the runtime's STOP transitions: STOP notifies, then nothing left running
  log.log('info', 'Stopped');
  send({ type: 'stopped' });
  process.exit(code);
}

async function start(m: ChildStart): Promise<void> {
  if (service) return;
  log = makeLogger('Keepalived_vrrp', m.log);
  for (const [name, up] of Object.entries(m.bfdStates ?? {})) bfdStates.set(name, up === true);
  const net = realNetDeps(log);
  if (!net.ok) {
    send({ type: 'fatal', message: net.error });
    log.log('err', net.error);
    return exit(1);
  }
  dumper = new VrrpDumper(() => service?.runtime ?? null, log, m.configFile, m.configId);
  for (const p of dumper.watchSignals()) log.log('warning', p);
  const notify = loadNotify(m.configFile, m.configId, log);
  if (notify) {
    notifier = new Notifier(notify, {
      log,
      priorityOf: (n) => service?.runtime?.node?.instances.find((i) => i.cfg.name === n)?.effectivePriority,
      groupStateOf: (g) => service?.runtime?.node?.groups.find((x) => x.name === g)?.state,
      ioDone: () => service?.runtime?.idle() ?? Promise.resolve(),
    });
    notifier.start();
  }
  const reloadHooks = {
    before: () => {
      priorities.reset(); // keepalived reloads under standard scheduling
      const next = loadNotify(m.configFile, m.configId, log);
      if (next) notifier?.beginReload(next);
    },
    after: (applied: boolean) => {
      notifier?.endReload(applied);
      if (applied) priorities.applyFile(m.configFile, m.configId);
      else priorities.apply(null);
    },
  };
  service = new VrrpService(m, {
    ...net.value, clock: realClock(), log, reloadHooks, tracking: { bfdStates },
    onEvent: (event) => {
      sendEvent(event);
      notifier?.onEvent(event);
    },
  });
  const r = await service.run();
  if (!r.ok) {
    send({ type: 'fatal', message: r.error });
    for (const line of r.error.split('\n')) log.log('err', line);
    return exit(1);
  }
  dumper.refreshGlobals();
  // keepalived's VRRP process logs the first events once it runs; ours already started with them.
  for (const name of earlyBfd) if (bfdStates.get(name)) logTrackedBfd(name, true);
  earlyBfd.clear();
  send({ type: 'ready', pid: process.pid });
  priorities.applyFile(m.configFile, m.configId); // global_defs' vrrp_* priorities (after ready: off the start path)
  warmTakeoverPath();
}


process.on('message', (m: unknown) => {
  if (!isParentMessage(m) || exiting) return;
  switch (m.type) {
    case 'start':
      void start(m);
      return;
    case 'shutdown':
      void exit(0);
      return;
    case 'reload':
      if (!service) return;
      service.reload().then(
        (r) => {
          dumper?.refreshGlobals();
          send({ type: 'reload-result', ok: true, detail: JSON.stringify(r.plan) });
        },
        (e: Error) => {
          log.log('err', `Reload failed: ${e.message}`);
          send({ type: 'reload-result', ok: false, detail: e.message });
        },
      );
      return;
    case 'rpc': {
      const id = m.id;
      if (!service) {
        send({ type: 'rpc-reply', id, ok: false, error: { code: RPC_ERRORS.busy, message: 'the VRRP child is starting' } });
        return;
      }
      service.rpc(m.method, m.params ?? {}).then(
        (result) => {
          // status carries keepalived's view (stats, wantstate) too; a reload may change global_defs.
          if (m.method === 'status' && result && service?.runtime) withKeepalivedView(result as StatusResult, service.runtime);
          if (m.method === 'reload' && (result as ReloadResult | undefined)?.applied) dumper?.refreshGlobals();
          send({ type: 'rpc-reply', id, ok: true, result });
        },
        (e: unknown) => {
          const error = e instanceof ServiceError ? e.rpc : { code: RPC_ERRORS.internalError, message: (e as Error)?.message ?? String(e) };
          send({ type: 'rpc-reply', id, ok: false, error });
        },
      );
      return;
    }
    case 'status':
      send({ type: 'status-reply', id: m.id, status: service?.status() ?? null });
      return;
    case 'bfd-state':
      onBfdState(m.name, m.up);
      return;
    case 'signal': {
      const kind = SIGNAL_DUMPS[m.signal];
      if (kind) dumper?.dump(kind);
      return;
    }
  }
});

/** keepalived's vrrp_handle_bfd_event: a line per instance tracking the session, then the tracks move. */
function onBfdState(name: string, up: boolean): void {
  if (typeof name !== 'string' || typeof up !== 'boolean') return;
  const rt = service?.runtime;
  if (!rt || !rt.node) earlyBfd.add(name);
  else if ((bfdStates.get(name) ?? false) !== up) logTrackedBfd(name, up);
  if (rt) rt.trackers.setBfd(name, up);
  else bfdStates.set(name, up);
}

function logTrackedBfd(name: string, up: boolean): void {
  for (const p of service?.runtime?.plan.instances ?? []) {
    if (p.trackRefs?.some((r) => r.kind === 'bfd' && r.name === name)) log.log('info', `VRRP_Instance(${p.name}) Tracked BFD instance ${name} is ${up ? 'UP' : 'DOWN'}`);
  }
}

// The supervisor relays signals; a terminal's Ctrl-C reaches the whole group, so leave INT/HUP to it.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', () => void exit(0));
process.on('disconnect', () => void exit(0)); // the supervisor died: leave nothing behind
process.on('uncaughtException', (e) => {
  log.log('err', `uncaught exception: ${e.stack ?? e.message}`);
  void exit(1);
});
process.on('unhandledRejection', (e) => log.log('err', `unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));

send({ type: 'hello', pid: process.pid });
