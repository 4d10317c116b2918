// smtp_alert for the VRRP child: keepalived's mail (core/smtp.c) sent with nodemailer: plain SMTP
// to smtp_server [port] (no STARTTLS, as keepalived), HELO smtp_helo_name, From
// notification_email_from, To every notification_email, the subject and one-line body given.
// Sends run in the background, a few at a time, with a bounded queue; a failure is logged as
// keepalived logs it (smtpFailure), never thrown, and never delays VRRP.
import type { Transporter } from 'nodemailer';
import type { Logger } from './log.js';
import type { LogLevel } from './ipc.js';
import type { SmtpSpec } from './notify-config.js';

export const MAX_SENDING = 4;
export const MAX_PENDING = 64;

/** connect() errors Linux returns at once on a non-blocking socket (no route, no source address,
 * refused by policy): keepalived's smtp_connect closes such a socket without logging anything.
 * Refusals and unreachable hosts arrive later, through the in-progress connect. */
const IMMEDIATE_CONNECT_ERRNOS = new Set([-101 /* ENETUNREACH */, -99 /* EADDRNOTAVAIL */, -13 /* EACCES */, -1 /* EPERM */, -97 /* EAFNOSUPPORT */, -22 /* EINVAL */]);

/** keepalived's SMTP_FSM command names, by the SMTP command nodemailer was waiting on. */
function fsmCommand(command: string | undefined): string {
  const c = (command ?? '').toUpperCase();
  if (c === 'CONN' || c === 'GREETING') return '(E)SMTP';
  if (c === 'EHLO' || c === 'HELO' || c === 'LHLO') return 'HELO';
  if (c.startsWith('MAIL')) return 'MAIL';
  if (c.startsWith('RCPT')) return 'RCPT';
  if (c === 'DATA') return 'DATA';
  if (c === 'QUIT') return 'QUIT';
  return 'BODY';
}

export interface SmtpError {
  code?: string;
  errno?: number;
  command?: string;
  responseCode?: number;
  message: string;
}

/**
 * What keepalived 2.2.7 (core/smtp.c) logs for one failed alert to `server` ("[addr]:port", its
 * inet_sockaddrtopair): null when it logs nothing (a connect that fails at once).
 */
export function smtpFailure(e: SmtpError, server: string): { level: LogLevel; message: string } | null {
  const info = (message: string) => ({ level: 'info' as const, message });
  const connecting = (e.command ?? '').toUpperCase() === 'CONN';
  if (typeof e.responseCode === 'number' && e.responseCode > 0) {
    return info(`Error processing ${fsmCommand(e.command)} cmd on SMTP server ${server}. SMTP status code = ${e.responseCode}`);
  }
  if (e.code === 'ETIMEDOUT') {
    // nodemailer's connectionTimeout is keepalived's write timeout on the in-progress connect; a
    // missing greeting or a silent server is its read timeout.
    return info(e.message === 'Connection timeout' ? `Timeout opening connection to remote SMTP server ${server}.` : `Timeout reading data to remote SMTP server ${server}.`);
  }
  if (connecting && e.errno !== undefined && IMMEDIATE_CONNECT_ERRNOS.has(e.errno)) return null;
  if (connecting) return info(`SMTP connection ERROR to ${server}.`);
  if (/closed unexpectedly|connection closed/i.test(e.message)) return info(`Remote SMTP server ${server} has closed the connection.`);
  return info(`Error reading data from remote SMTP server ${server}.`);
}

interface Mail {
  subject: string;
  body: string;
}

export class SmtpAlerter {
  /** nodemailer is loaded at the first alert: it costs ~15 MB in a process that may never mail. */
  private transport: Promise<Transporter> | null = null;
  private readonly pending: Mail[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;
  private closed = false;

  constructor(
    private readonly spec: SmtpSpec,
    private readonly log: Logger,
  ) {}

  private transporter(): Promise<Transporter> {
    const t = this.spec.connectTimeoutMs;
    this.transport ??= import('nodemailer').then((m) =>
      m.default.createTransport({
        host: this.spec.host,
        port: this.spec.port,
        secure: false,
        ignoreTLS: true,
        name: this.spec.helo,
        connectionTimeout: t,
        greetingTimeout: t,
        socketTimeout: t,
      }),
    );
    return this.transport;
  }

  /** Queues one alert; returns at once. */
  send(subject: string, body: string): void {
    if (this.closed) return;
    if (this.inFlight.size >= MAX_SENDING) {
      if (this.pending.length >= MAX_PENDING) {
        if (this.dropped++ === 0) this.log.log('err', `SMTP alert dropped (${MAX_PENDING} waiting): ${subject}`);
        return;
      }
      this.pending.push({ subject, body });
      return;
    }
    this.start({ subject, body });
  }

  private start(m: Mail): void {
    const p = this.transporter()
      .then((t) => t.sendMail({
        from: this.spec.from,
        to: this.spec.to.join(', '),
        subject: m.subject,
        text: `${m.body}\r\n`,
        date: new Date(),
      }))
      .then(
        () => {
          if (this.log.detail) this.log.log('info', 'SMTP alert successfully sent.');
        },
        (e: Error & Partial<SmtpError>) => this.logFailure(m, e),
      )
      .finally(() => {
        this.inFlight.delete(p);
        const next = this.closed ? undefined : this.pending.shift();
        if (next) this.start(next);
      });
    this.inFlight.add(p);
  }

  /** keepalived's line for the failure; with -D also which alert and why (a connect failing at once
   * is only noted at debug level: keepalived says nothing about it, even with -D). */
  private logFailure(m: Mail, e: Error & Partial<SmtpError>): void {
    const k = smtpFailure(e, `[${this.spec.host}]:${this.spec.port}`);
    if (k) this.log.log(k.level, k.message);
    if (!this.log.detail) return;
    const what = `SMTP alert '${m.subject}' to ${this.spec.host}:${this.spec.port}`;
    if (k) this.log.log('err', `${what} failed: ${e.message}`);
    else this.log.log('debug', `${what} not sent (no connection: ${e.message})`);
  }

  /** Sends already under way get up to `graceMs`; queued ones are dropped. */
  async close(graceMs = 1500): Promise<void> {
    this.closed = true;
    if (this.pending.length > 0) this.log.log('warning', `${this.pending.length} SMTP alert(s) not sent (daemon stopping)`);
    this.pending.length = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.inFlight]), new Promise((res) => (timer = setTimeout(res, graceMs)))]);
    clearTimeout(timer);
    if (this.transport) (await this.transport).close();
  }
}
