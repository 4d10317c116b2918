// Each checker against real servers on loopback: up, down, slow (timeout), wrong status/digest.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/run.js';
import type { CheckDeps, ConnectTarget, HttpSpec, MiscSpec } from '../../src/check/types.js';
import { closedUdpPort, dnsServer, hangingListener, httpServer, httpsServer, selfSigned, udpEcho, type WebServer } from './servers.js';

const deps: CheckDeps = { now: () => performance.now() };
const tgt = (port: number, timeoutMs = 1000): ConnectTarget => ({ ip: '127.0.0.1', port, timeoutMs });
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

describe('TCP_CHECK', () => {
  it('up when the port accepts, down when refused, down on timeout when the connect hangs', { timeout: 30_000 }, async () => {
    const srv = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const up = await runCheck({ type: 'TCP_CHECK', target: tgt(port) }, deps);
    expect(up).toMatchObject({ ok: true });
    await new Promise<void>((r) => srv.close(() => r()));
    const refused = await runCheck({ type: 'TCP_CHECK', target: tgt(port) }, deps);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/refused/);
    const hang = await hangingListener();
    try {
      const slow = await runCheck({ type: 'TCP_CHECK', target: tgt(hang.port, 300) }, deps);
      expect(slow.ok).toBe(false);
      expect(slow.detail).toMatch(/timed out/);
      expect(slow.latencyMs).toBeGreaterThanOrEqual(250);
      expect(slow.latencyMs).toBeLessThan(5000);
    } finally {
      hang.close();
    }
  });

  it('honours bindto and bind_port', async () => {
    let seen = '';
    const srv = net.createServer((c) => {
      seen = `${c.remoteAddress}:${c.remotePort}`;
      c.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const bindPort = await freePort();
    const r = await runCheck({ type: 'TCP_CHECK', target: { ...tgt(port), bindto: '127.0.0.2', bindPort } }, deps);
    await new Promise<void>((res) => srv.close(() => res()));
    expect(r.ok).toBe(true);
    expect(seen).toBe(`127.0.0.2:${bindPort}`);
  });
});

describe('HTTP_GET / SSL_GET', () => {
  let web: WebServer;
  const body = '<html>healthy: yes</html>';
  beforeAll(async () => {
    web = await httpServer({ status: 200, body });
  });
  afterAll(() => web.close());
  const spec = (o: Partial<HttpSpec> = {}, url: Partial<HttpSpec['urls'][0]> = {}): HttpSpec => ({
    type: 'HTTP_GET',
    target: tgt(web.port),
    urls: [{ path: '/health', status: [{ min: 200, max: 299 }], ...url }],
    protocol: '1.0',
    sni: false,
    fastRecovery: false,
    ...o,
  });

  it('up on a 2xx with the right digest; virtualhost becomes the Host header', async () => {
    web.mode = { status: 200, body };
    const r = await runCheck(spec({ virtualhost: 'www.example.test' }, { digest: md5(body) }), deps);
    expect(r).toMatchObject({ ok: true });
    expect(web.hosts.at(-1)).toBe('www.example.test');
  });

  it('down on a wrong digest, naming both digests', async () => {
    const r = await runCheck(spec({}, { digest: md5('something else') }), deps);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain(md5(body));
    expect(r.detail).toMatch(/digest mismatch/);
  });

  it('status_code lists and ranges: 503 fails the default, passes "200 500-599"', async () => {
    web.mode = { status: 503, body: 'busy' };
    const bad = await runCheck(spec(), deps);
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/status 503/);
    const ok = await runCheck(spec({}, { status: [{ min: 200, max: 200 }, { min: 500, max: 599 }] }), deps);
    expect(ok.ok).toBe(true);
    web.mode = { status: 200, body };
  });

  it('regex, regex_no_match and offsets', async () => {
    const rx = (source: string, o: Partial<{ noMatch: boolean; minOffset: number; maxOffset: number }> = {}) => ({ source, flags: '', noMatch: false, minOffset: 0, ...o });
    expect((await runCheck(spec({}, { regex: rx('healthy: yes') }), deps)).ok).toBe(true);
    expect((await runCheck(spec({}, { regex: rx('healthy: no') }), deps)).ok).toBe(false);
    expect((await runCheck(spec({}, { regex: rx('healthy: yes', { noMatch: true }) }), deps)).ok).toBe(false);
    // "healthy" starts at byte 6: a match must start within min..max offset.
    expect((await runCheck(spec({}, { regex: rx('healthy', { minOffset: 7 }) }), deps)).ok).toBe(false);
    expect((await runCheck(spec({}, { regex: rx('healthy', { maxOffset: 5 }) }), deps)).ok).toBe(false);
    expect((await runCheck(spec({}, { regex: rx('healthy', { minOffset: 6, maxOffset: 6 }) }), deps)).ok).toBe(true);
  });

  it('a slow server times out within connect_timeout', async () => {
    web.mode = { status: 200, body, delayMs: 2000 };
    const r = await runCheck(spec({ target: tgt(web.port, 300) }), deps);
    web.mode = { status: 200, body };
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/timed out/);
    expect(r.latencyMs).toBeLessThan(1900);
  });

  it('every url must pass; the failing one is named', async () => {
    const s = spec();
    s.urls.push({ path: '/second', status: [{ min: 404, max: 404 }] });
    const r = await runCheck(s, deps);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('/second');
  });

  it('SSL_GET over a self-signed certificate (never verified, as keepalived) with SNI', async () => {
    const cert = selfSigned();
    const names: string[] = [];
    const tls = await httpsServer({ status: 200, body: 'secure' }, cert, (n) => names.push(n));
    try {
      const r = await runCheck(spec({ type: 'SSL_GET', target: tgt(tls.port), virtualhost: 'www.example.test', sni: true }, { digest: md5('secure') }), deps);
      expect(r).toMatchObject({ ok: true });
      expect(names).toContain('www.example.test');
      const plain = await runCheck(spec({ type: 'HTTP_GET', target: tgt(tls.port) }), deps);
      expect(plain.ok).toBe(false);
    } finally {
      await tls.close();
      rmSync(cert.dir, { recursive: true, force: true });
    }
  });
});

describe('MISC_CHECK', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kachk-misc-'));
  const script = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${text}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const misc = (argv: string[], o: Partial<MiscSpec> = {}): MiscSpec => ({ type: 'MISC_CHECK', argv, timeoutMs: 3000, dynamic: false, ...o });

  it('exit 0 up, exit 1 down; arguments are passed without a shell', async () => {
    const p = script('exit.sh', 'exit "$1"');
    expect((await runCheck(misc([p, '0']), deps)).ok).toBe(true);
    const down = await runCheck(misc([p, '1']), deps);
    expect(down).toMatchObject({ ok: false });
    expect(down.detail).toMatch(/status 1/);
    const args = script('args.sh', '[ "$1" = "a b" ] && [ "$2" = \'$HOME\' ]');
    expect((await runCheck(misc([args, 'a b', '$HOME']), deps)).ok).toBe(true);
  });

  it('misc_dynamic: 2-255 is up with weight exit-2; without it, 5 is down', async () => {
    const p = script('dyn.sh', 'exit "$1"');
    expect(await runCheck(misc([p, '7'], { dynamic: true }), deps)).toMatchObject({ ok: true, weight: 5 });
    expect(await runCheck(misc([p, '2'], { dynamic: true }), deps)).toMatchObject({ ok: true, weight: 0 });
    expect((await runCheck(misc([p, '1'], { dynamic: true }), deps)).ok).toBe(false);
    expect((await runCheck(misc([p, '7']), deps)).ok).toBe(false);
  });

  it('misc_timeout kills a hanging script and its children', async () => {
    const marker = join(dir, 'child.pid');
    const p = script('hang.sh', `sleep 30 & echo $! > ${marker}; wait`);
    const r = await runCheck(misc([p], { timeoutMs: 300 }), deps);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/timed out/);
    expect(r.latencyMs).toBeLessThan(2900);
    const { readFileSync } = await import('node:fs');
    const pid = Number(readFileSync(marker, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    // Gone, or a zombie waiting for a reaper (a container's pid 1 may not reap): not running.
    let state = 'gone';
    try {
      state = /State:\s+(\w)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'gone';
    } catch {
      /* gone */
    }
    expect(['gone', 'Z']).toContain(state);
  });

  it('a missing program is a clear failure, not a throw', async () => {
    const r = await runCheck(misc([join(dir, 'nope')]), deps);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/cannot run/);
  });
});

describe('SMTP_CHECK', () => {
  it('up with a 220 banner and 250 to HELO; down when the server refuses HELO or is gone', async () => {
    const helos: string[] = [];
    let refuse = false;
    const srv = new SMTPServer({ disabledCommands: ['AUTH', 'STARTTLS'], logger: false });
    srv.on('error', () => undefined);
    // smtp-server has no HELO hook: a small proxy in front records HELO lines and can refuse them.
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.server.address() as net.AddressInfo).port;
    const proxy = net.createServer((c) => {
      const up = net.connect(port, '127.0.0.1');
      c.on('data', (d) => {
        const line = d.toString();
        if (line.startsWith('HELO')) helos.push(line.trim());
        if (refuse && line.startsWith('HELO')) return void c.write('550 go away\r\n');
        up.write(d);
      });
      up.on('data', (d) => c.write(d));
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
      c.on('close', () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const pport = (proxy.address() as net.AddressInfo).port;
    try {
      const ok = await runCheck({ type: 'SMTP_CHECK', targets: [tgt(pport)], helo: 'checker.example.test' }, deps);
      expect(ok).toMatchObject({ ok: true });
      expect(helos).toContain('HELO checker.example.test');
      refuse = true;
      const bad = await runCheck({ type: 'SMTP_CHECK', targets: [tgt(pport)], helo: 'x' }, deps);
      expect(bad.ok).toBe(false);
      expect(bad.detail).toMatch(/HELO response.*550/);
    } finally {
      proxy.close();
      await new Promise<void>((r) => srv.close(() => r()));
    }
    const gone = await runCheck({ type: 'SMTP_CHECK', targets: [tgt(pport)], helo: 'x' }, deps);
    expect(gone.ok).toBe(false);
  });
});

describe('DNS_CHECK', () => {
  it('NOERROR is up (stray ids ignored), another rcode or silence is down', async () => {
    const dns = await dnsServer();
    try {
      const spec = { type: 'DNS_CHECK' as const, target: tgt(dns.port, 500), qtype: 'A', name: 'www.example.test' };
      expect(await runCheck(spec, deps)).toMatchObject({ ok: true });
      const q = dns.queries.at(-1)!;
      expect(q.readUInt16BE(4)).toBe(1); // one question, type A (1) class IN (1) at the end
      expect(q.subarray(-4).toString('hex')).toBe('00010001');
      dns.rcode = 2;
      const sf = await runCheck(spec, deps);
      expect(sf.ok).toBe(false);
      expect(sf.detail).toMatch(/SERVFAIL/);
      dns.rcode = 'silent';
      const silent = await runCheck(spec, deps);
      expect(silent.ok).toBe(false);
      expect(silent.detail).toMatch(/timeout/);
    } finally {
      dns.close();
    }
  });
});

describe('UDP_CHECK', () => {
  const base = { type: 'UDP_CHECK' as const, requireReply: false, minReplyLength: 0, maxReplyLength: 255 };
  it('without require_reply: silence is up, port unreachable is down', async () => {
    const quiet = await udpEcho(() => undefined);
    try {
      expect((await runCheck({ ...base, target: tgt(quiet.port, 300) }, deps)).ok).toBe(true);
    } finally {
      quiet.close();
    }
    const closed = await closedUdpPort();
    const r = await runCheck({ ...base, target: tgt(closed, 1000) }, deps);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/unreachable/);
  });

  it('require_reply with data, wildcards and length bounds', async () => {
    const echo = await udpEcho((b) => Buffer.concat([Buffer.from([0xab, 0x01]), b]));
    try {
      const payload = Buffer.from('ping');
      const spec = { ...base, target: tgt(echo.port, 500), payload, requireReply: true };
      expect((await runCheck({ ...spec, replyData: Buffer.from([0xab, 0x00]), replyMask: Buffer.from([0x00, 0x0f]) }, deps)).ok).toBe(true);
      expect((await runCheck({ ...spec, replyData: Buffer.from([0xac]) }, deps)).ok).toBe(false);
      expect((await runCheck({ ...spec, replyData: Buffer.from([0xab]), maxReplyLength: 3 }, deps)).ok).toBe(false);
      expect((await runCheck({ ...spec, payload: undefined }, deps)).ok).toBe(true);
    } finally {
      echo.close();
    }
    const quiet = await udpEcho(() => undefined);
    try {
      const r = await runCheck({ ...base, target: tgt(quiet.port, 300), requireReply: true }, deps);
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/no reply/);
    } finally {
      quiet.close();
    }
  });
});

describe('FILE_CHECK', () => {
  it('follows the value in the file: weight 0 up/down, weight N moves the weight, reverse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kachk-file-'));
    const path = join(dir, 'state');
    try {
      const spec = { type: 'FILE_CHECK' as const, trackName: 'tf', path, weight: 0, reverse: false, baseWeight: 10 };
      expect((await runCheck(spec, deps)).ok).toBe(true); // missing file reads as 0
      writeFileSync(path, '1\n');
      expect((await runCheck(spec, deps)).ok).toBe(false);
      expect((await runCheck({ ...spec, reverse: true }, deps)).ok).toBe(true);
      writeFileSync(path, '0x3');
      expect(await runCheck({ ...spec, weight: 2 }, deps)).toMatchObject({ ok: true, weight: 16 });
      expect(await runCheck({ ...spec, weight: 2, reverse: true }, deps)).toMatchObject({ ok: true, weight: 4 });
      writeFileSync(path, '-2147483648');
      expect((await runCheck({ ...spec, weight: 1 }, deps)).ok).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
