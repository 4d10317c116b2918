// Where the Prometheus endpoint listens: `--metrics ADDR:PORT` or KEEPALIVED_METRICS (the unit's
// /etc/default file). Pure: text in, host/port or one error line out.
import { isIP } from 'node:net';

export const METRICS_ENV = 'KEEPALIVED_METRICS';

export interface MetricsListen {
  host: string;
  port: number;
}

/** `192.0.2.1:9650`, `[2001:db8::1]:9650`, `:9650` / `9650` (every address), `localhost:9650`. */
export function parseMetricsListen(text: string): { ok: true; listen: MetricsListen } | { ok: false; error: string } {
  const t = text.trim();
  const bad = (why: string) => ({ ok: false as const, error: `--metrics '${text}': ${why} (use ADDR:PORT, e.g. 127.0.0.1:9650 or [::1]:9650)` });
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (isIP(host) !== 6) return bad(`'${host}' is not an IPv6 address`);
  } else if (/^\d+$/.test(t)) {
    host = '';
    portText = t;
  } else {
    const i = t.lastIndexOf(':');
    if (i < 0) return bad('no port');
    host = t.slice(0, i);
    portText = t.slice(i + 1);
    if (host.includes(':')) return bad('an IPv6 address goes in brackets');
    if (host !== '' && isIP(host) !== 4 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host)) return bad(`'${host}' is not an address or host name`);
  }
  if (!/^\d{1,5}$/.test(portText)) return bad('the port is not a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) return bad('the port is out of range (1-65535)');
  return { ok: true, listen: { host, port } };
}
