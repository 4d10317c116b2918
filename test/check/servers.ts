// Loopback test servers for the checker tests: HTTP(S) with switchable behaviour, a TCP listener
// that never accepts (connect hangs), a DNS responder, a UDP echo. Every server listens on
// 127.0.0.1 with a kernel-chosen port and is closed by the caller.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Mode = { status: number; body: string; delayMs?: number };

export interface WebServer {
  port: number;
  mode: Mode;
  hosts: string[];
  close(): Promise<void>;
}

function serve(server: http.Server | https.Server, mode: Mode): Promise<WebServer> {
  const ws = { port: 0, mode, hosts: [] as string[], close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    ws.hosts.push(req.headers.host ?? '');
    const m = ws.mode;
    const reply = (): void => {
      res.writeHead(m.status, { 'Content-Length': Buffer.byteLength(m.body) });
      res.end(m.body);
    };
    if (m.delayMs) setTimeout(reply, m.delayMs).unref();
    else reply();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    ws.port = (server.address() as net.AddressInfo).port;
    resolve(ws);
  }));
}

export const httpServer = (mode: Mode) => serve(http.createServer(), mode);

/** A self-signed certificate made with openssl in a temp dir. */
export function selfSigned(): { key: Buffer; cert: Buffer; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kachk-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=www.example.test'], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), dir };
}

export function httpsServer(mode: Mode, tls: { key: Buffer; cert: Buffer }, onSni?: (name: string) => void): Promise<WebServer> {
  const s = https.createServer({
    key: tls.key,
    cert: tls.cert,
    SNICallback: (name, cb) => {
      onSni?.(name);
      cb(null, undefined);
    },
  });
  return serve(s, mode);
}

/** A listener with a full accept queue: connects to it hang until the client gives up. */
export async function hangingListener(): Promise<{ port: number; close(): void }> {
  const py = spawn('python3', ['-c', [
    'import socket,sys,time',
    's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)',
    'fill=[socket.socket() for _ in range(3)]',
    '[(f.setblocking(False), f.connect_ex(("127.0.0.1",s.getsockname()[1]))) for f in fill]',
    'time.sleep(0.3)',
    'print(s.getsockname()[1], flush=True)',
    'time.sleep(60)',
  ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    py.once('exit', () => reject(new Error('python listener died')));
  });
  return { port, close: () => killChild(py) };
}

export function killChild(c: ChildProcess): void {
  if (c.exitCode === null && c.pid) c.kill('SIGKILL');
}

/** A DNS responder: answers every query with the given rcode (same id, QR set), or stays silent. */
export async function dnsServer(): Promise<{ port: number; rcode: number | 'silent'; queries: Buffer[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const st = { port: 0, rcode: 0 as number | 'silent', queries: [] as Buffer[], close: () => sock.close() };
  sock.on('message', (msg, rinfo) => {
    st.queries.push(msg);
    if (st.rcode === 'silent') return;
    const reply = Buffer.from(msg);
    reply[2] = 0x81; // QR + RD
    reply[3] = 0x80 | st.rcode; // RA + rcode
    // A stray datagram with another id first: the checker must ignore it.
    const stray = Buffer.from(reply);
    stray[0] ^= 0xff;
    sock.send(stray, rinfo.port, rinfo.address);
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  st.port = sock.address().port;
  return st;
}

export async function udpEcho(transform: (b: Buffer) => Buffer | undefined): Promise<{ port: number; close(): void }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const out = transform(msg);
    if (out) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, close: () => sock.close() };
}

/** A UDP port nobody listens on (bound then closed): the kernel answers port unreachable. */
export async function closedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
