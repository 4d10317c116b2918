// The BFD process's sessions at work: each bfd_instance's session (src/bfd/session.ts) driven by
// the clock, its packets sent through its own socket (bound to source_ip, a port in 49152-65535,
// TTL 255), received packets decoded, matched to a session (by Your Discriminator, else by
// neighbor/source address as keepalived), TTL-checked (RFC 5881 GTSM, keepalived's max_hops) and
// fed in. Up/Down changes are logged in keepalived's words and reported (VRRP and checker
// processes). A reload keeps the sessions whose name and addresses stay (state, discriminators,
// timers; changed intervals start a Poll). Sockets come from `deps`, so tests can fake them.
import type { BfdInstanceConfig } from '../bfd/config.js';
import { BfdState, decodeBfd, DIAG_NAMES, DROP_REASONS, encodeBfd, STATE_NAMES, type BfdPacket, type DropReason } from '../bfd/codec.js';
import { BfdSession, type Output, type SessionConfig } from '../bfd/session.js';
import type { BfdSessionState } from '../control/protocol.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './log.js';

/** One received datagram as the receive socket reports it. */
export interface BfdDatagram {
  payload: Uint8Array;
  src: string;
  srcPort: number;
  /** The address it was sent to (IP_PKTINFO); absent when the kernel gave none. */
  dst?: string;
  /** Received TTL / hop limit; -1 when unknown. */
  ttl: number;
}

/** A session's sending socket (bound, TTL set). */
export interface BfdSender {
  /** `done` gets the send's error, or null once it went out. */
  send(payload: Uint8Array, done: (e: Error | null) => void): void;
  close(): void;
  /** The local port it was bound to. */
  readonly port: number;
}

export interface BfdServiceDeps {
  clock: Clock;
  log: Logger;
  random?: () => number;
  /** Opens a sending socket for a session; rejects when it cannot (the session goes AdminDown). */
  openSender(cfg: BfdInstanceConfig): Promise<BfdSender>;
  /** A session's Up/Down as the VRRP and checker processes learn it. */
  onState(name: string, up: boolean, to: { vrrp: boolean; checker: boolean }): void;
  /** How long before retrying a socket that could not be opened (keepalived: 60 s). */
  retryMs?: number;
}

type Drop = DropReason | 'no-session' | 'ttl' | 'admin-down';

/** A session as status --json shows it (control/protocol.ts). */
export type BfdSessionStatus = BfdSessionState;

interface Entry {
  cfg: BfdInstanceConfig;
  session: BfdSession;
  sender: BfdSender | null;
  timer: TimerHandle | null;
  retry: TimerHandle | null;
  sendError: boolean;
  /** Bumped when the entry is replaced or removed, so late socket opens are discarded. */
  gen: number;
}

const sessionConfig = (c: BfdInstanceConfig): SessionConfig => ({
  name: c.name, minRxUs: c.minRxUs, minTxUs: c.minTxUs, idleTxUs: c.idleTxUs, mult: c.mult, passive: c.passive,
});

const sameAddresses = (a: BfdInstanceConfig, b: BfdInstanceConfig) => a.neighbor === b.neighbor && a.source === b.source && a.ttl === b.ttl;

export class BfdService {
  private readonly entries = new Map<string, Entry>();
  readonly drops = new Map<Drop, number>();
  private stopped = false;
  private gen = 0;

  constructor(private readonly deps: BfdServiceDeps) {}

  private get log(): Logger {
    return this.deps.log;
  }

  private newDiscr = (): number => {
    // Random, non-zero and unique among our sessions (keepalived's bfd_get_random_discr).
    for (;;) {
      const d = 1 + Math.floor((this.deps.random ?? Math.random)() * 0xfffffffe);
      if (![...this.entries.values()].some((e) => e.session.localDiscr === d)) return d;
    }
  };

  /** Starts or reloads with these sessions; every session's state is reported afterwards. */
  apply(configs: readonly BfdInstanceConfig[]): void {
    const now = this.deps.clock.nowUs();
    const wanted = new Map(configs.map((c) => [c.name, c]));
    for (const [name, e] of this.entries) {
      const c = wanted.get(name);
      if (c && sameAddresses(c, e.cfg)) continue;
      this.close(e);
      this.entries.delete(name);
    }
    for (const c of configs) {
      const kept = this.entries.get(c.name);
      if (kept) {
        kept.session.reconfigure(sessionConfig(c), now);
        kept.cfg = c;
        this.arm(kept);
        continue;
      }
      const session = new BfdSession(sessionConfig(c), { random: this.deps.random ?? Math.random, newDiscr: this.newDiscr });
      const e: Entry = { cfg: c, session, sender: null, timer: null, retry: null, sendError: false, gen: ++this.gen };
      this.entries.set(c.name, e);
      this.open(e);
    }
    // keepalived's BFD process tells VRRP/checkers every session's state after (re)loading.
    for (const e of this.entries.values()) this.deps.onState(e.cfg.name, e.session.isUp, e.cfg);
  }

  private open(e: Entry): void {
    const gen = e.gen;
    this.deps.openSender(e.cfg).then(
      (s) => {
        if (this.stopped || this.entries.get(e.cfg.name) !== e || e.gen !== gen) {
          s.close();
          return;
        }
        e.sender = s;
        if (e.session.localState === BfdState.AdminDown) e.session.adminUp(this.deps.clock.nowUs());
        else e.session.start(this.deps.clock.nowUs());
        this.arm(e);
      },
      (err: Error) => {
        if (this.stopped || this.entries.get(e.cfg.name) !== e) return;
        this.log.log('err', `(${e.cfg.name}) ${err.message}`);
        this.log.log('err', `(${e.cfg.name}) Unable to open output socket, disabling instance`);
        if (e.session.localState !== BfdState.AdminDown) this.report(e, { packets: [], changes: [e.session.adminDown()] });
        const { clock } = this.deps;
        e.retry = clock.at(clock.nowUs() + (this.deps.retryMs ?? 60_000) * 1000, () => {
          e.retry = null;
          this.open(e);
        });
      },
    );
  }

  private close(e: Entry): void {
    e.gen = -1;
    e.timer?.cancel();
    e.retry?.cancel();
    e.timer = e.retry = null;
    e.sender?.close();
    e.sender = null;
  }

  /** (Re)arms the session's one timer at its next deadline. */
  private arm(e: Entry): void {
    e.timer?.cancel();
    e.timer = null;
    if (this.stopped) return;
    const at = e.session.nextDeadline();
    if (at === null) return;
    e.timer = this.deps.clock.at(at, () => {
      e.timer = null;
      if (this.entries.get(e.cfg.name) !== e) return;
      this.report(e, e.session.due(this.deps.clock.nowUs()));
      this.arm(e);
    });
  }

  private drop(reason: Drop, detail: () => string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    if (this.log.detail) this.log.log('info', `Discarding packet: ${detail()}`);
  }

  /** One datagram from the receive socket. */
  receive(d: BfdDatagram): void {
    if (this.stopped) return;
    const from = `${d.src}:${d.srcPort}`;
    const r = decodeBfd(d.payload);
    if (!r.ok) return this.drop(r.reason, () => `bogus packet from ${from}: ${r.detail}`);
    const p = r.packet;
    const e = p.yourDiscr !== 0 ? this.byDiscr(p.yourDiscr) : this.byAddr(d.src, d.dst);
    if (!e) return this.drop('no-session', () => `from ${from} (session is not found - your discriminator field is 0x${p.yourDiscr.toString(16).padStart(8, '0')})`);
    // RFC 5881 5 (GTSM), widened by max_hops as keepalived: a packet that crossed a router is not one-hop.
    const mh = e.cfg.maxHops;
    if (mh !== null && d.ttl > 0 && mh + d.ttl < e.cfg.ttl) {
      return this.drop('ttl', () => `${e.cfg.family === 4 ? 'ttl' : 'hop_limit'}(${d.ttl}) < ${e.cfg.ttl - mh} from ${from}`);
    }
    if (e.session.localState === BfdState.AdminDown) return this.drop('admin-down', () => `from ${from} (session is in AdminDown state)`);
    this.report(e, e.session.receive(p, this.deps.clock.nowUs()));
    this.arm(e);
  }

  private byDiscr(d: number): Entry | undefined {
    for (const e of this.entries.values()) if (e.session.localDiscr === d) return e;
    return undefined;
  }

  private byAddr(src: string, dst: string | undefined): Entry | undefined {
    for (const e of this.entries.values()) {
      if (e.cfg.neighbor !== src) continue;
      if (e.cfg.source === undefined || dst === undefined || e.cfg.source === dst) return e;
    }
    return undefined;
  }

  /** Sends a step's packets, logs and reports its state changes. */
  private report(e: Entry, out: Output): void {
    const name = e.cfg.name;
    if (out.detectTime) {
      this.log.log('info', `${' '.repeat(name.length + 2)} Detection time is ${out.detectTime[0]} us (was ${out.detectTime[1]} us)`);
    }
    for (const c of out.changes) {
      if (c.expired && c.from === BfdState.Up) {
        this.log.log('warning', `(${name}) Expired after ${Math.floor(c.expired.deadUs / 1000)} ms (${c.expired.overdueUs} usec overdue)`);
      }
      if (c.to === BfdState.Up) this.log.log('info', `(${name}) Entering ${STATE_NAMES[c.to]} state`);
      else if (c.to === BfdState.AdminDown) this.log.log('warning', `(${name}) Entering AdminDown state`);
      else if (c.to === BfdState.Down && c.from === BfdState.Up) {
        this.log.log('warning', `(${name}) Entering Down state (Local diagnostic - ${DIAG_NAMES[c.diag] ?? 'Unknown'}, Remote diagnostic - ${DIAG_NAMES[c.remoteDiag] ?? 'Unknown'})`);
      } else if (this.log.detail) this.log.log('info', `(${name}) Entering ${STATE_NAMES[c.to]} state`);
      if (c.notify) this.deps.onState(name, c.to === BfdState.Up, e.cfg);
    }
    for (const p of out.packets) this.send(e, p);
  }

  private send(e: Entry, p: BfdPacket): void {
    if (!e.sender) return;
    e.sender.send(encodeBfd(p), (err) => {
      // One line per run of failures, as keepalived.
      if (!err) e.sendError = false;
      else if (!e.sendError) {
        e.sendError = true;
        this.log.log('err', `(${e.cfg.name}) Error sending packet: ${err.message}`);
      }
    });
  }

  status(): BfdSessionStatus[] {
    return [...this.entries.values()].map(({ cfg, session: s, sender }) => ({
      name: cfg.name,
      neighbor: cfg.neighbor,
      ...(cfg.source !== undefined ? { source: cfg.source } : {}),
      state: STATE_NAMES[s.localState],
      remoteState: STATE_NAMES[s.remoteState],
      localDiag: DIAG_NAMES[s.localDiag] ?? 'Unknown',
      remoteDiag: DIAG_NAMES[s.remoteDiag] ?? 'Unknown',
      localDiscriminator: s.localDiscr,
      remoteDiscriminator: s.remoteDiscr,
      txIntervalUs: s.localTxUs,
      detectionTimeUs: s.localDetectUs,
      minRxUs: cfg.minRxUs,
      minTxUs: cfg.minTxUs,
      idleTxUs: cfg.idleTxUs,
      multiplier: cfg.mult,
      passive: cfg.passive,
      packetsSent: s.txPackets,
      packetsReceived: s.rxPackets,
      ...(sender ? { localPort: sender.port } : {}),
    }));
  }

  /** Drop counts by reason (every reason listed, zero or not). */
  dropCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of [...DROP_REASONS, 'no-session', 'ttl', 'admin-down'] as Drop[]) out[r] = this.drops.get(r) ?? 0;
    return out;
  }

  /** The sessions, for the data dump. */
  sessions(): { cfg: BfdInstanceConfig; session: BfdSession; sendError: boolean }[] {
    return [...this.entries.values()].map((e) => ({ cfg: e.cfg, session: e.session, sendError: e.sendError }));
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) this.close(e);
  }
}
