// smtp_alert for the VRRP child: keepalived's mail (core/smtp.c) sent with nodemailer: plain SMTP
// to smtp_server [port] (no STARTTLS, as keepalived), HELO smtp_helo_name, From
// notification_email_from, To every notification_email, the subject and one-line body given.
// Sends run in the background, a few at a time, with a bounded queue; a failure is logged, never
// thrown, and never delays VRRP.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from './log.js';
import type { SmtpSpec } from './notify-config.js';

export const MAX_SENDING = 4;
export const MAX_PENDING = 64;

interface Mail {
  subject: string;
  body: string;
}

export class SmtpAlerter {
  private readonly transport: Transporter;
  private readonly pending: Mail[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;
  private closed = false;

  constructor(
    private readonly spec: SmtpSpec,
    private readonly log: Logger,
  ) {
    const t = spec.connectTimeoutMs;
    this.transport = nodemailer.createTransport({
      host: spec.host,
      port: spec.port,
      secure: false,
      ignoreTLS: true,
      name: spec.helo,
      connectionTimeout: t,
      greetingTimeout: t,
      socketTimeout: t,
    });
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
    const p = this.transport
      .sendMail({
        from: this.spec.from,
        to: this.spec.to.join(', '),
        subject: m.subject,
        text: `${m.body}\r\n`,
        date: new Date(),
      })
      .then(
        () => {
          if (this.log.detail) this.log.log('info', 'SMTP alert successfully sent.');
        },
        (e: Error) => this.log.log('err', `SMTP alert '${m.subject}' to ${this.spec.host}:${this.spec.port} failed: ${e.message}`),
      )
      .finally(() => {
        this.inFlight.delete(p);
        const next = this.closed ? undefined : this.pending.shift();
        if (next) this.start(next);
      });
    this.inFlight.add(p);
  }

  /** Sends already under way get up to `graceMs`; queued ones are dropped. */
  async close(graceMs = 1500): Promise<void> {
    this.closed = true;
    if (this.pending.length > 0) this.log.log('warning', `${this.pending.length} SMTP alert(s) not sent (daemon stopping)`);
    this.pending.length = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.inFlight]), new Promise((res) => (timer = setTimeout(res, graceMs)))]);
    clearTimeout(timer);
    this.transport.close();
  }
}
