// The GET request keepalived's HTTP_GET/SSL_GET checkers and genhash send, byte for byte:
//   GET <path> HTTP/1.<0|1>\r\nUser-Agent: KeepAliveClient\r\n[Connection: close\r\n]Host: <host>\r\n\r\n
// Host is the virtual host when one is set (no port), else the server address and ":port"
// (an IPv6 literal in brackets, RFC 2732).
import { SocketAddress } from 'node:net';

/** '1.0c' is HTTP/1.0 with "Connection: close"; 1.1 always sends it too, as keepalived does. */
export type HttpProtocol = '1.0' | '1.0c' | '1.1';

export interface GetRequestSpec {
  path: string;
  protocol: HttpProtocol;
  /** Server address as given (canonicalised here the way inet_ntop prints it). */
  address: string;
  port: number;
  virtualhost?: string;
}

export function buildGetRequest(spec: GetRequestSpec): string {
  const version = spec.protocol === '1.1' ? 1 : 0;
  const close = spec.protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${spec.path} HTTP/1.${version}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${hostHeader(spec)}\r\n\r\n`;
}

export function hostHeader(spec: Pick<GetRequestSpec, 'address' | 'port' | 'virtualhost'>): string {
  if (spec.virtualhost) return spec.virtualhost;
  const canonical = canonicalAddress(spec.address);
  return canonical.includes(':') ? `[${canonical}]:${spec.port}` : `${canonical}:${spec.port}`;
}

/** The address in inet_ntop's text form (e.g. "0:0::1" -> "::1"); unchanged if it is not an IP. */
export function canonicalAddress(address: string): string {
  const family = address.includes(':') ? 'ipv6' : 'ipv4';
  try {
    return new SocketAddress({ address, family }).address;
  } catch {
    return address;
  }
}
