// The HTTP side of the metrics endpoint, served by the supervisor: GET (or HEAD) /metrics only,
// anything else 404/405; bounded (few connections, short timeouts, no request bodies read, one
// scrape at a time shared by concurrent requests) so a scraper gone wrong cannot hurt the daemon.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DaemonEvent } from '../control/protocol.js';
import type { Logger } from './log.js';
import type { MetricsListen } from './metrics-addr.js';
import { DaemonMetrics, type MetricsSources } from './metrics.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const MAX_CONNECTIONS = 16;
const REQUEST_TIMEOUT_MS = 10_000;

export interface MetricsServer {
  /** The address really bound (port 0 picks one). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startMetricsServer(
  listen: MetricsListen,
  scrape: () => Promise<string>,
  log: (m: string) => void,
): Promise<{ ok: true; server: MetricsServer } | { ok: false; error: string }> {
  let inFlight: Promise<string> | null = null;
  const once = (): Promise<string> => {
    inFlight ??= scrape().finally(() => (inFlight = null));
    return inFlight;
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: only /metrics is served\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    once().then(
      (text) => {
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        log(`metrics scrape failed: ${String(e)}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  };
  const server: Server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, handle);
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5000;
  server.on('clientError', (_e, socket) => socket.destroy());
  const bound = await new Promise<string | null>((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e.message));
    const host = listen.host === '' ? undefined : listen.host;
    server.listen({ host, port: listen.port }, () => resolve(null));
  });
  if (bound !== null) {
    server.close();
    return { ok: false, error: `cannot listen on ${listen.host || '*'}:${listen.port} for metrics: ${bound}` };
  }
  server.on('error', (e) => log(`metrics server: ${e.message}`));
  const a = server.address();
  const address = typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: listen.host, port: listen.port };
  return {
    ok: true,
    server: {
      address,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    },
  };
}

export interface MetricsEndpoint {
  onEvent(e: DaemonEvent): void;
  close(): Promise<void>;
}

/** The supervisor's one call: metrics plus their HTTP server; null (logged) when it cannot listen. */
export async function startDaemonMetrics(listen: MetricsListen, version: string, sources: MetricsSources, log: Logger): Promise<MetricsEndpoint | null> {
  const metrics = new DaemonMetrics(sources, version);
  const s = await startMetricsServer(listen, () => metrics.scrape(), (m) => log.log('warning', m));
  if (!s.ok) {
    log.log('err', s.error);
    return null;
  }
  const a = s.server.address;
  log.log('info', `Prometheus metrics on http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/metrics`);
  return { onEvent: (e) => metrics.onEvent(e), close: () => s.server.close() };
}
