// Checks on a GET's parameters before any socket is opened: each problem is one message naming
// the field and the bad value.
import net from 'node:net';

export interface GetTargetFields {
  address: string;
  port: number;
  path: string;
  virtualhost?: string;
  timeoutMs: number;
}

/** First problem found, or undefined when the request can be sent. */
export function validateGetOptions(o: GetTargetFields): string | undefined {
  if (typeof o.address !== 'string' || net.isIP(o.address) === 0 || o.address.includes('%')) {
    return `server address must be an IPv4 or IPv6 address, not '${String(o.address)}'`;
  }
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return `port must be 1-65535, not '${String(o.port)}'`;
  const pathProblem = checkRequestText('url', o.path);
  if (pathProblem) return pathProblem;
  if (o.virtualhost !== undefined) {
    const vhostProblem = checkRequestText('virtualhost', o.virtualhost);
    if (vhostProblem) return vhostProblem;
  }
  if (typeof o.timeoutMs !== 'number' || !(o.timeoutMs >= 0)) return `timeout must be a number of seconds >= 0, not '${String(o.timeoutMs)}'`;
  return undefined;
}

/**
 * Text copied into the request line or a header: a line break would end it early and let the rest
 * pass as another header (or request), a NUL would cut keepalived's C string.
 */
export function checkRequestText(field: string, value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${field} must not be empty`;
  if (/[\r\n\0]/.test(value)) return `${field} must not contain CR, LF or NUL: ${JSON.stringify(value)}`;
  return undefined;
}
