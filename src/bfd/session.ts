// One BFD session (RFC 5880 asynchronous mode) as a pure state machine: AdminDown/Down/Init/Up,
// timer negotiation (our desired min TX against the peer's required min RX, the idle interval
// while not Up), the detection time, the Poll/Final sequence when our timers change, jittered
// transmission, the passive role, and keepalived's reset of a Down session after a detection
// time. Time (microseconds) and randomness are injected; the shell (src/daemon/bfd-*.ts) sends
// the packets it returns and calls due() at nextDeadline(). Behaviour follows keepalived's
// bfd.c/bfd_scheduler.c where the RFC leaves a choice (facts only; no code taken).
import { BfdState, type BfdPacket, Diag } from './codec.js';

export interface SessionConfig {
  name: string;
  /** Required min RX interval we ask of the peer (us). */
  minRxUs: number;
  /** Desired min TX interval while Up (us). */
  minTxUs: number;
  /** Desired TX interval while not Up (us); RFC 5880 wants at least one second. */
  idleTxUs: number;
  /** Detection multiplier. */
  mult: number;
  /** Wait for the peer's first packet before sending. */
  passive: boolean;
}

export interface SessionDeps {
  /** Uniform in [0, 1). */
  random: () => number;
  /** A fresh non-zero local discriminator, unique among this process's sessions. */
  newDiscr: () => number;
}

export interface StateChange {
  from: BfdState;
  to: BfdState;
  /** Our diagnostic after the change. */
  diag: number;
  remoteDiag: number;
  /** keepalived tells VRRP/checkers of Up, and of leaving Up unless the peer said AdminDown. */
  notify: boolean;
  /** For a detection time expiry: how long since the last packet, and how late (us). */
  expired?: { deadUs: number; overdueUs: number };
}

export interface Output {
  packets: BfdPacket[];
  changes: StateChange[];
  /** The detection time changed: [now, was] (us). */
  detectTime?: [number, number];
}

const empty = (): Output => ({ packets: [], changes: [] });

export class BfdSession {
  cfg: SessionConfig;
  localState: BfdState = BfdState.Down;
  remoteState: BfdState = BfdState.Down;
  localDiscr: number;
  remoteDiscr = 0;
  localDiag = Diag.None as number;
  remoteDiag = 0;
  remoteMinTxUs = 0;
  remoteMinRxUs = 0;
  remoteDemand = false;
  remoteMult = 0;
  poll = false;
  final = false;
  /** Negotiated intervals and detection times (us). */
  localTxUs: number;
  remoteTxUs = 0;
  localDetectUs = 0;
  remoteDetectUs = 0;
  lastSeenUs: number | null = null;
  /** Timers, as absolute deadlines (us); null when not armed. */
  txAt: number | null = null;
  expireAt: number | null = null;
  resetAt: number | null = null;
  /** One packet to send now, outside the periodic schedule (answering a Poll, first packet). */
  private sendNow = false;
  /** Counters for status. */
  txPackets = 0;
  rxPackets = 0;

  constructor(cfg: SessionConfig, private readonly deps: SessionDeps) {
    this.cfg = { ...cfg };
    this.localDiscr = deps.newDiscr();
    this.localTxUs = cfg.idleTxUs;
  }

  /** Starts the session: an active one sends at once and then every (jittered) interval. */
  start(now: number): void {
    if (this.localState === BfdState.AdminDown || this.cfg.passive) return;
    this.schedule(now);
    this.sendNow = true;
  }

  /** The socket could not be opened: AdminDown, nothing sent or expected. */
  adminDown(): StateChange {
    const from = this.localState;
    this.localState = BfdState.AdminDown;
    this.localDiag = Diag.AdminDown;
    this.txAt = null;
    this.sendNow = false;
    this.fall();
    return { from, to: BfdState.AdminDown, diag: this.localDiag, remoteDiag: this.remoteDiag, notify: false };
  }

  /** Back from AdminDown (the socket opened): Down, sending again unless passive. */
  adminUp(now: number): void {
    if (this.localState !== BfdState.AdminDown) return;
    this.localState = BfdState.Down;
    this.start(now);
  }

  /**
   * A reload kept this session: take the new timers and flags. Changed required/desired
   * intervals start a Poll sequence so the peer learns them (keepalived does the same).
   */
  reconfigure(cfg: SessionConfig, now: number): void {
    const timersChanged = cfg.minRxUs !== this.cfg.minRxUs || cfg.minTxUs !== this.cfg.minTxUs;
    const wasPassive = this.cfg.passive;
    this.cfg = { ...cfg };
    if (timersChanged) this.setPoll();
    if (wasPassive && !cfg.passive && this.txAt === null && this.localState !== BfdState.AdminDown) this.schedule(now);
  }

  private setPoll(): void {
    // RFC 5880 6.5: values asked for by a Poll may ride on the Final instead.
    if (!this.final) this.poll = true;
  }

  private jitterUs(): number {
    // RFC 5880 6.8.7: 0-25 % shorter, and at least 10 % shorter when DetectMult is 1.
    const min = this.cfg.mult === 1 ? Math.floor(this.localTxUs / 10) : 0;
    const max = Math.floor(this.localTxUs / 4);
    return min + Math.floor(this.deps.random() * (max - min + 1));
  }

  private schedule(now: number): void {
    this.txAt = now + this.localTxUs - this.jitterUs();
  }

  private idleTx(): void {
    this.localTxUs = Math.max(this.cfg.idleTxUs, this.remoteMinRxUs);
  }

  /** Common to Down and AdminDown: the idle interval, no expiry. */
  private fall(): void {
    this.idleTx();
    this.expireAt = null;
  }

  private down(now: number, diag: number, out: Output, expired?: StateChange['expired']): void {
    const from = this.localState;
    // A new discriminator after Up, so late packets of the old session are not taken for the new one.
    if (from === BfdState.Up) this.localDiscr = this.deps.newDiscr();
    this.localState = BfdState.Down;
    this.localDiag = diag;
    this.resetAt = now + this.localDetectUs;
    if (this.cfg.passive) this.txAt = null;
    this.fall();
    out.changes.push({
      from, to: BfdState.Down, diag, remoteDiag: this.remoteDiag,
      notify: from === BfdState.Up && this.remoteState !== BfdState.AdminDown, ...(expired ? { expired } : {}),
    });
  }

  private rise(now: number): void {
    this.localDiag = Diag.None;
    this.resetAt = null;
    if (this.expireAt === null) this.expireAt = now + this.localDetectUs;
  }

  private init(now: number, out: Output): void {
    const from = this.localState;
    this.localState = BfdState.Init;
    this.rise(now);
    if (this.cfg.passive && this.txAt === null) this.schedule(now);
    out.changes.push({ from, to: BfdState.Init, diag: this.localDiag, remoteDiag: this.remoteDiag, notify: false });
  }

  private up(now: number, out: Output): void {
    const from = this.localState;
    this.localState = BfdState.Up;
    this.rise(now);
    // Our desired TX interval changes from idle to min_tx: tell the peer with a Poll.
    if (this.cfg.idleTxUs !== this.cfg.minTxUs) this.setPoll();
    out.changes.push({ from, to: BfdState.Up, diag: this.localDiag, remoteDiag: this.remoteDiag, notify: true });
  }

  /** A valid packet for this session (decoded, TTL and auth checked by the caller). */
  receive(p: BfdPacket, now: number): Output {
    const out = empty();
    if (this.localState === BfdState.AdminDown) return out;
    this.rxPackets++;
    const oldLocalTx = this.localTxUs;
    const oldDetect = this.localDetectUs;
    this.remoteDiscr = p.myDiscr;
    this.remoteState = p.state;
    this.remoteDiag = p.diag;
    this.remoteMinRxUs = p.requiredMinRx;
    this.remoteMinTxUs = p.desiredMinTx;
    this.remoteDemand = p.demand;
    this.remoteMult = p.detectMult;
    if (p.final) this.poll = false;
    // Intervals change only outside Up, or in Up on a Poll or Final (RFC 5880 6.8.3).
    if (this.localState !== BfdState.Up || p.poll || p.final) {
      const both = this.remoteState === BfdState.Up && (this.localState === BfdState.Init || this.localState === BfdState.Up);
      if (both) this.localTxUs = Math.max(this.cfg.minTxUs, this.remoteMinRxUs);
      else this.idleTx();
      this.remoteTxUs = Math.max(this.cfg.minRxUs, this.remoteMinTxUs);
    }
    this.localDetectUs = this.remoteMult * this.remoteTxUs;
    this.remoteDetectUs = this.cfg.mult * this.localTxUs;
    if (this.localTxUs < oldLocalTx && this.txAt !== null) this.schedule(now);
    if (this.localDetectUs !== oldDetect) out.detectTime = [this.localDetectUs, oldDetect];

    // RFC 5880 6.8.6 state table.
    if (this.remoteState === BfdState.AdminDown) {
      if (this.localState !== BfdState.Down) this.down(now, Diag.NeighborDown, out);
    } else if (this.localState === BfdState.Down) {
      if (this.remoteState === BfdState.Down) this.init(now, out);
      else if (this.remoteState === BfdState.Init) this.up(now, out);
    } else if (this.localState === BfdState.Init) {
      if (this.remoteState === BfdState.Init || this.remoteState === BfdState.Up) this.up(now, out);
    } else if (this.remoteState === BfdState.Down) {
      this.down(now, Diag.NeighborDown, out);
    }

    const quiet = this.remoteDemand && this.localState === BfdState.Up && this.remoteState === BfdState.Up;
    if (quiet) this.txAt = null;
    else if (this.txAt === null && !(this.cfg.passive && this.localState === BfdState.Down)) this.schedule(now);
    if (p.poll) {
      this.final = true;
      this.sendNow = true;
    }
    this.lastSeenUs = now;
    if (this.localState === BfdState.Up && this.expireAt !== null) this.expireAt = now + this.localDetectUs;
    out.packets.push(...this.flushNow());
    return out;
  }

  private flushNow(): BfdPacket[] {
    if (!this.sendNow) return [];
    this.sendNow = false;
    return this.localState === BfdState.AdminDown ? [] : [this.build()];
  }

  /** The next instant due() has work, or null. */
  nextDeadline(): number | null {
    if (this.sendNow) return 0;
    let d: number | null = null;
    for (const t of [this.txAt, this.expireAt, this.resetAt]) if (t !== null && (d === null || t < d)) d = t;
    return d;
  }

  /** Runs the timers due at `now`: reset, detection expiry, transmission. */
  due(now: number): Output {
    const out = empty();
    if (this.resetAt !== null && this.resetAt <= now) {
      this.resetAt = null;
      // keepalived: a Down session forgets its peer after a detection time (discriminators stay).
      this.localState = BfdState.Down;
      this.remoteState = BfdState.Down;
      this.remoteDiscr = 0;
      this.remoteDiag = 0;
      this.remoteDemand = false;
      this.poll = false;
      this.final = false;
      this.idleTx();
    }
    if (this.expireAt !== null && this.expireAt <= now) {
      this.expireAt = null;
      const dead = this.lastSeenUs === null ? 0 : now - this.lastSeenUs;
      // RFC 5880 6.8.1: no valid packet for a Detection Time: the peer's discriminator is forgotten.
      this.remoteDiscr = 0;
      this.down(now, Diag.Expired, out, { deadUs: dead, overdueUs: dead - this.localDetectUs });
    }
    out.packets.push(...this.flushNow());
    if (this.txAt !== null && this.txAt <= now && this.localState !== BfdState.AdminDown) {
      out.packets.push(this.build());
      this.schedule(now);
    }
    return out;
  }

  /** The next control packet; sending it consumes the Final bit. */
  build(): BfdPacket {
    // Answering a Poll while wanting to Poll: the new values ride on the Final.
    if (this.poll && this.final) this.poll = false;
    const p: BfdPacket = {
      version: 1,
      diag: this.localDiag,
      state: this.localState,
      poll: this.poll,
      final: this.final,
      cplane: false,
      auth: false,
      demand: false,
      multipoint: false,
      detectMult: this.cfg.mult,
      length: 24,
      myDiscr: this.localDiscr,
      yourDiscr: this.remoteDiscr,
      desiredMinTx: this.localState === BfdState.Up ? this.cfg.minTxUs : this.cfg.idleTxUs,
      requiredMinRx: this.cfg.minRxUs,
      requiredMinEchoRx: 0,
    };
    this.final = false;
    this.txPackets++;
    return p;
  }

  get isUp(): boolean {
    return this.localState === BfdState.Up;
  }
}
