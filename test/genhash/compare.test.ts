// Our genhash against keepalived's real /usr/bin/genhash (Debian 2.2.7), same servers, same flags:
// same digest, same output bytes (response time normalised), same exit status.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGenhashArgs, runGenhash } from '../../src/check/genhash.js';
import { httpGet } from '../../src/check/http/engine.js';

const REAL = '/usr/bin/genhash';
const haveReal = existsSync(REAL);
const ROOT = new URL('../..', import.meta.url).pathname;

// 10 MB of deterministic bytes (xorshift), so digests are reproducible.
const BIG = (() => {
  const buf = Buffer.alloc(10 * 1024 * 1024);
  let x = 0x9e3779b9;
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  return buf;
})();

function respond(path: string, host: string, sni: string | false): Buffer | 'keep' | 'silent' | 'junk' {
  const ok = (body: Buffer | string, extra = ''): Buffer =>
    Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]);
  switch (path) {
    case '/empty':
      return ok('');
    case '/text':
      return ok('hello from a test server\n');
    case '/big':
      return ok(BIG);
    case '/chunked':
      return Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n');
    case '/close':
      return Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nno length: the body ends when the connection closes\n');
    case '/404':
      return Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 14\r\n\r\nnot found here');
    case '/vhost':
      return ok(`page for host ${host}\n`);
    case '/sni':
      return ok(`sni=${sni || 'none'}\n`);
    case '/redirect':
      return Buffer.from('HTTP/1.1 301 Moved Permanently\r\nLocation: /text\r\nContent-Length: 5\r\n\r\nmoved');
    case '/keep':
      return 'keep';
    case '/silent':
      return 'silent';
    default:
      return 'junk';
  }
}

const sockets = new Set<net.Socket>();
function handler(c: net.Socket): void {
  sockets.add(c);
  c.on('close', () => sockets.delete(c));
  c.on('error', () => undefined);
  let req = '';
  c.on('data', (d) => {
    req += d.toString('latin1');
    if (!req.includes('\r\n\r\n')) return;
    const path = req.split(' ')[1] ?? '';
    const host = /\r\nHost: ([^\r]*)/.exec(req)?.[1] ?? '';
    const r = respond(path, host, c instanceof tls.TLSSocket ? c.servername : false);
    req = '\0'; // one request per connection
    if (r === 'silent') return;
    if (r === 'keep') c.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkeep');
    else if (r === 'junk') c.end('this is not HTTP at all\n');
    else c.end(r); // one write: keeps genhash's reads (and so -v dumps) deterministic
  });
}

const servers: Array<net.Server | http.Server> = [];
async function listen<T extends net.Server>(server: T, host: string): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

let port4 = 0;
let port6 = 0;
let portTls = 0;
let portNodeHttp = 0;
let portTlsJunk = 0;
let portRefused = 0;
let certDir = '';

beforeAll(async () => {
  port4 = await listen(net.createServer(handler), '127.0.0.1');
  port6 = await listen(net.createServer(handler), '::1');
  certDir = mkdtempSync(join(tmpdir(), 'genhash-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test.example',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  const tlsOpts = { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) };
  const tlsServer = tls.createServer(tlsOpts, handler);
  tlsServer.on('tlsClientError', () => undefined);
  portTls = await listen(tlsServer, '127.0.0.1');
  // A real Node HTTP server: headers and body in separate writes; chunked for 1.1, close-delimited for 1.0.
  portNodeHttp = await listen(
    http.createServer((req, res) => {
      if (req.url === '/parts') {
        res.write('first part, ');
        res.write('second part, ');
        res.end('last part\n');
      } else {
        res.setHeader('Content-Length', 6);
        res.end('node!\n');
      }
    }),
    '127.0.0.1',
  );
  portTlsJunk = await listen(
    net.createServer((c) => {
      sockets.add(c);
      c.on('error', () => undefined);
      c.once('data', () => c.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    }),
    '127.0.0.1',
  );
  const gone = net.createServer();
  portRefused = await listen(gone, '127.0.0.1');
  await new Promise<void>((r) => gone.close(() => r()));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

const normalise = (s: string): string => s.replace(/= \d+ usecs/g, '= N usecs');

/** Runs a genhash executable without blocking this process (it serves the test pages). */
function runProcess(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'latin1', timeout: 30_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ stdout: normalise(stdout), stderr, code });
    });
  });
}

// genhash names itself by argv[0] in its usage text.
const runReal = (args: string[]): Promise<Run> => runProcess(REAL, args);

async function runOurs(args: string[]): Promise<Run> {
  const parsed = parseGenhashArgs(args, REAL);
  if (!parsed.ok) return { stdout: '', stderr: parsed.stderr, code: parsed.exitCode };
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await runGenhash(parsed.options, {
    stdout: (c) => out.push(Buffer.from(c)),
    stderr: (c) => err.push(Buffer.from(c)),
  });
  return { stdout: normalise(Buffer.concat(out).toString('latin1')), stderr: Buffer.concat(err).toString('latin1'), code };
}

async function expectSame(args: string[]): Promise<Run> {
  const [real, ours] = await Promise.all([runReal(args), runOurs(args)]);
  expect(ours, args.join(' ')).toEqual(real);
  return ours;
}

let built = false;
function ensureBuilt(): void {
  if (built) return;
  expect(existsSync(join(ROOT, 'dist/src/check/genhash.js'))).toBe(true);
  expect(existsSync(join(ROOT, 'dist/commands/genhash.js'))).toBe(true);
  built = true;
}

const http4 = (path: string, ...more: string[]): string[] => ['-s', '127.0.0.1', '-p', String(port4), '-u', path, ...more];

describe.skipIf(!haveReal)('same output as keepalived genhash', () => {
  const pages = ['/empty', '/text', '/big', '/chunked', '/close', '/404', '/vhost', '/redirect'];

  it('plain HTTP over IPv4 and IPv6, every page, default protocol', async () => {
    for (const page of pages) {
      const r = await expectSame(http4(page));
      expect(r.stdout).toMatch(/^[0-9a-f]{32}\n$/);
      await expectSame(['-s', '::1', '-p', String(port6), '-u', page]);
    }
  });

  it('the digest is the MD5 of the body bytes (chunk framing included)', async () => {
    expect((await runOurs(http4('/big'))).stdout).toBe(createHash('md5').update(BIG).digest('hex') + '\n');
    const framed = '5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n';
    expect((await runOurs(http4('/chunked'))).stdout).toBe(createHash('md5').update(framed).digest('hex') + '\n');
  });

  it('protocols 1.0c and 1.1, and virtual hosts', async () => {
    for (const page of ['/text', '/chunked', '/vhost']) {
      await expectSame(http4(page, '-P', '1.0c'));
      await expectSame(http4(page, '-P', '1.1'));
    }
    const a = await expectSame(http4('/vhost', '-V', 'a.example'));
    const b = await expectSame(http4('/vhost', '--use-virtualhost=b.example'));
    expect(a.stdout).not.toBe(b.stdout);
  });

  it('verbose output: header and body dumps, digest block, response time line', async () => {
    for (const page of ['/empty', '/text', '/chunked', '/close', '/404', '/junk']) {
      const r = await expectSame(http4(page, '-v'));
      expect(r.stdout).toContain('Global response time for [' + page + '] = N usecs');
    }
    await expectSame(['-v', '-s', '::1', '-p', String(port6), '-u', '/text', '-P', '1.1']);
  });

  it('a real Node HTTP server (separate header/body writes, chunked under 1.1)', async () => {
    const base = ['-s', '127.0.0.1', '-p', String(portNodeHttp)];
    for (const extra of [[], ['-P', '1.1'], ['-P', '1.0c']]) {
      await expectSame([...base, '-u', '/parts', ...extra]);
      await expectSame([...base, '-u', '/len', ...extra]);
    }
  });

  it('HTTPS with a self-signed certificate, with and without SNI', async () => {
    const base = ['-S', '-s', '127.0.0.1', '-p', String(portTls)];
    for (const page of ['/text', '/big', '/chunked', '/404']) await expectSame([...base, '-u', page]);
    const none = await expectSame([...base, '-u', '/sni', '-V', 'a.example']);
    const sni = await expectSame([...base, '-I', '-u', '/sni', '-V', 'a.example']);
    expect(sni.stdout).not.toBe(none.stdout);
    await expectSame([...base, '-v', '-u', '/text']);
  });

  it('errors: refused, timeouts, non-HTTP replies, TLS failure (genhash exits 0 for all of them)', async () => {
    const refused = await expectSame(['-s', '127.0.0.1', '-p', String(portRefused), '-u', '/']);
    expect(refused.stdout).toBe('Connection failed\n');
    const silent = await expectSame(http4('/silent', '-t', '1'));
    expect(silent.stdout).toBe('Timeout WEB read\n');
    const junk = await expectSame(http4('/junk'));
    expect(junk.stderr).toBe('no data received from remote webserver\n');
    const tlsFail = await expectSame(['-S', '-s', '127.0.0.1', '-p', String(portTlsJunk), '-u', '/', '-t', '2']);
    expect(tlsFail.stdout).toBe('SSL handshake/communication error connecting to\n');
    // Plain HTTP spoken to a TLS server: no HTTP header comes back.
    await expectSame(['-s', '127.0.0.1', '-p', String(portTls), '-u', '/text', '-t', '2']);
    // genhash keeps the timeout in 32-bit microseconds: -t 4295 is 32.704 ms.
    const wrapped = await expectSame(http4('/silent', '-t', '4295'));
    expect(wrapped.stdout).toBe('Timeout WEB read\n');
  });

  it('bad command lines: same messages, usage and exit status 1', async () => {
    const cases = [
      [],
      ['-h'],
      ['-s', '127.0.0.1'],
      http4('/', '-x', '-y'),
      http4('/', '--bogus=3'),
      http4('/', '--verbose=1'),
      http4('/', 'extra', 'more'),
      ['-s', '127.0.0.1', '-p', '80', '-u'],
      ['-s', '127.1', '-p', '80', '-u', '/'],
      ['-s', '127.0.0.1', '-p', '0', '-u', '/'],
      ['-s', '127.0.0.1', '-p', '99999', '-u', '/'],
      http4('/', '-P', '2'),
      http4('/', '-t', '-1'),
      http4('/', '-t', ''),
      http4('/', '-m', 'x'),
      ['-s', '127.0.0.1', '-p', String(port4), '--', '-u', '/'],
    ];
    for (const args of cases) {
      const r = await expectSame(args);
      expect(r.code).toBe(1);
    }
  });

  it('bin/genhash (compiled) is byte-identical to the real one as a process', async () => {
    ensureBuilt();
    const cases = [http4('/text'), http4('/chunked', '-v'), ['-h'], http4('/', '-x'), ['-s', '127.0.0.1', '-p', String(portRefused), '-u', '/']];
    for (const args of cases) {
      const [ours, real] = await Promise.all([runProcess(join(ROOT, 'bin/genhash'), args), runReal(args)]);
      // Each names itself by the basename / path it was started with.
      expect({ ...ours, stderr: ours.stderr.replace('Usage: genhash', `Usage: ${REAL}`) }, args.join(' ')).toEqual(real);
    }
  }, 300_000);
});

describe('our engine where genhash stops short', () => {
  it('keep-alive: the body ends at Content-Length, no need to wait for the close', async () => {
    const t0 = Date.now();
    const r = await httpGet({ address: '127.0.0.1', port: port4, path: '/keep', protocol: '1.1', timeoutMs: 5000 });
    expect(r.ok && r.end).toBe('complete');
    expect(r.ok && r.digest.toString('hex')).toBe(createHash('md5').update('keep').digest('hex'));
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('failures are values with a one-line message naming where', async () => {
    const refused = await httpGet({ address: '127.0.0.1', port: portRefused, path: '/', timeoutMs: 2000 });
    expect(refused).toMatchObject({ ok: false, kind: 'connect-refused', message: `connection refused by 127.0.0.1:${portRefused}` });
    const slow = await httpGet({ address: '::1', port: port6, path: '/silent', timeoutMs: 300 });
    expect(slow).toMatchObject({ ok: false, kind: 'response-timeout', target: `[::1]:${port6}` });
    const tlsBad = await httpGet({ address: '127.0.0.1', port: portTlsJunk, path: '/', timeoutMs: 2000, tls: true });
    expect(tlsBad.ok || tlsBad.kind).toBe('tls-handshake');
    expect(tlsBad.ok || tlsBad.message.includes('\n')).toBe(false);
    const badUrl = await httpGet({ address: '127.0.0.1', port: port4, path: '/a\r\nX: 1', timeoutMs: 2000 });
    expect(badUrl).toMatchObject({ ok: false, kind: 'bad-request' });
  });

  it('other digests on request, same bytes hashed', async () => {
    const r = await httpGet({ address: '127.0.0.1', port: portTls, path: '/big', timeoutMs: 10_000, tls: true, algorithm: 'sha256' });
    expect(r.ok && r.digest.toString('hex')).toBe(createHash('sha256').update(BIG).digest('hex'));
    expect(r.ok && r.digestedBytes).toBe(BIG.length);
  });
});

describe('keepalivedctl genhash', () => {
  const ctl = (args: string[]): Promise<Run> => runProcess(join(ROOT, 'bin/keepalivedctl'), ['genhash', ...args]);

  it('prints the digest line, --json gives {url, status, headers, bytes, digest, algorithm, elapsedMs}', async () => {
    ensureBuilt();
    const plain = await ctl(http4('/404'));
    expect(plain).toEqual({ stdout: createHash('md5').update('not found here').digest('hex') + '\n', stderr: '', code: 0 });
    const json = await ctl([...http4('/text'), '--json', '--digest', 'sha256', '-P', '1.1']);
    expect(json.code).toBe(0);
    const body = 'hello from a test server\n';
    expect(JSON.parse(json.stdout)).toMatchObject({
      url: `http://127.0.0.1:${port4}/text`,
      status: 200,
      headers: { 'content-length': String(body.length), 'content-type': 'text/plain' },
      bytes: body.length,
      digest: createHash('sha256').update(body).digest('hex'),
      algorithm: 'sha256',
    });
    expect(typeof JSON.parse(json.stdout).elapsedMs).toBe('number');
  }, 300_000);

  it('failures: one clear line on stderr, exit 1; bad options exit 2; never a stack trace', async () => {
    ensureBuilt();
    const refused = await ctl(['-s', '127.0.0.1', '-p', String(portRefused), '-u', '/']);
    expect(refused).toEqual({ stdout: '', stderr: `keepalivedctl genhash: connection refused by 127.0.0.1:${portRefused}\n`, code: 1 });
    const timeout = await ctl(http4('/silent', '-t', '1'));
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toMatch(/^keepalivedctl genhash: timed out waiting for a response from 127\.0\.0\.1:\d+ \(1s\)\n$/);
    const junk = await ctl(http4('/junk'));
    expect(junk.stderr).toMatch(/no HTTP response header received/);
    expect(junk.code).toBe(1);
    // -m sets SO_MARK through the native addon (root here); with no mark rules on loopback the page is the same.
    const fwmark = await ctl(http4('/text', '-m', '1'));
    expect(fwmark).toMatchObject({ code: 0, stdout: `${createHash('md5').update('hello from a test server\n').digest('hex')}\n` });
    const badMark = await ctl(http4('/text', '-m', 'x1'));
    expect(badMark).toMatchObject({ code: 2, stderr: "keepalivedctl genhash: invalid fwmark 'x1'\n" });
    const bad = await ctl(['-s', 'www.example', '-p', '80', '-u', '/']);
    expect(bad).toMatchObject({ code: 2, stderr: 'keepalivedctl genhash: server should be an IP, not www.example\n' });
    const json = await ctl(['-s', '127.0.0.1', '-p', String(portRefused), '-u', '/', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { kind: 'connect-refused' } });
    for (const r of [refused, timeout, junk, fwmark, badMark, bad, json]) expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /);
  }, 300_000);
});
