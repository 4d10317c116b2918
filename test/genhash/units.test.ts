import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dumpBuffer } from '../../src/check/http/hexdump.js';
import { ChunkedTracker } from '../../src/check/http/chunked.js';
import { readContentLength, readStatusCode, strtoul } from '../../src/check/http/head.js';
import { ResponseReader, READ_SIZE } from '../../src/check/http/response.js';
import { getoptLong } from '../../src/check/http/getopt.js';
import { buildGetRequest } from '../../src/check/http/request.js';
import { createBodyDigest } from '../../src/check/http/digest.js';
import { parseFwmarkArg, parsePortArg, parseServerArg, parseTimeoutArg } from '../../src/check/http/options.js';
import { validateGetOptions } from '../../src/check/http/validate.js';
import { parseGenhashArgs } from '../../src/check/genhash.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function digestOf(parts: Uint8Array[]): { hex: string; reader: ResponseReader } {
  const h = createHash('md5');
  const reader = new ResponseReader((x) => h.update(x));
  for (const p of parts) if (reader.push(p) !== 'more') break;
  return { hex: h.digest('hex'), reader };
}

describe('dumpBuffer (keepalived dump_buffer layout)', () => {
  it('matches genhash -v for a 38-byte header', () => {
    const text = dumpBuffer(b('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'));
    expect(text).toBe(
      '0000  48 54 54 50 2f 31 2e 31 - 20 32 30 30 20 4f 4b 0d   HTTP/1.1 200 OK.\n' +
        '0016  0a 43 6f 6e 74 65 6e 74 - 2d 4c 65 6e 67 74 68 3a   .Content-Length:\n' +
        '0032  20 33 0d 0a 0d 0a       -                            3....          \n',
    );
  });
  it('prints nothing for nothing and full lines for multiples of 16', () => {
    expect(dumpBuffer(new Uint8Array(0))).toBe('');
    const lines = dumpBuffer(new Uint8Array(32).fill(0x41)).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('0016  41 41 41 41 41 41 41 41 - 41 41 41 41 41 41 41 41   AAAAAAAAAAAAAAAA');
  });
});

describe('ChunkedTracker', () => {
  const framed = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n';
  it('finds the end after the trailer, whatever the splits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: framed.length }), { maxLength: 6 }), (cuts) => {
        const t = new ChunkedTracker();
        const points = [0, ...[...cuts].sort((x, y) => x - y), framed.length];
        let consumed = 0;
        for (let i = 0; i + 1 < points.length; i++) consumed += t.push(b(framed.slice(points[i], points[i + 1])));
        return t.done && consumed === framed.length;
      }),
      { numRuns: 200 },
    );
  });
  it('is not done before the last chunk, and flags broken framing', () => {
    const t = new ChunkedTracker();
    t.push(b('5\r\nhello\r\n'));
    expect(t.done).toBe(false);
    const bad = new ChunkedTracker();
    bad.push(b('zz\r\n'));
    expect(bad.invalid).toBe(true);
    expect(bad.done).toBe(false);
  });
});

describe('keepalived header reading', () => {
  it('strtoul skips blanks, takes a sign, reports no digits as end=start', () => {
    expect(strtoul(b('  42\r'), 0)).toEqual({ value: 42n, end: 4, negative: false });
    expect(strtoul(b('x'), 0).end).toBe(0);
    expect(strtoul(b('-1'), 0).value).toBe((1n << 64n) - 1n);
  });
  it('Content-Length: case-sensitive, value must end the line, bad values mean "to EOF"', () => {
    expect(readContentLength(b('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n'))).toBe(12);
    expect(readContentLength(b('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n'))).toBeNull();
    expect(readContentLength(b('HTTP/1.1 200 OK\r\nContent-Length: 12 \r\n\r\n'))).toBeNull();
    expect(readContentLength(b('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'))).toBeNull();
    // A substring match, as strstr(): X-Content-Length counts too.
    expect(readContentLength(b('HTTP/1.1 200 OK\r\nX-Content-Length: 7\r\n\r\n'))).toBe(7);
    // No digits: strtoul's end stays right after the colon; a blank there is rejected, a CR reads as 0.
    expect(readContentLength(b('HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n'))).toBeNull();
    expect(readContentLength(b('HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n'))).toBe(0);
  });
  it('status code: three digits between spaces, else 0', () => {
    expect(readStatusCode(b('HTTP/1.1 404 Not Found\r\n'))).toBe(404);
    expect(readStatusCode(b('HTTP/1.1 2000 OK\r\n'))).toBe(0);
    expect(readStatusCode(b('garbage\r\n'))).toBe(0);
  });
});

describe('ResponseReader', () => {
  const head = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n';
  it('hashes the body only, cut at Content-Length, and completes there', () => {
    const { hex, reader } = digestOf([b(head + 'helloEXTRA')]);
    expect(hex).toBe(createHash('md5').update('hello').digest('hex'));
    expect(reader.complete).toBe(true);
    expect(reader.head?.statusCode).toBe(200);
  });
  it('keeps chunk framing in the digest (keepalived does not de-chunk)', () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    const { hex, reader } = digestOf([b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + body)]);
    expect(hex).toBe(createHash('md5').update(body).digest('hex'));
    expect(reader.complete).toBe(true);
  });
  it('gives the same digest however the stream is split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (body, cuts, withLength) => {
        const header = withLength ? `HTTP/1.0 200 OK\r\nContent-Length: ${Math.floor(body.length / 2)}\r\n\r\n` : 'HTTP/1.0 200 OK\r\n\r\n';
        const all = Buffer.concat([b(header), body]);
        const points = [0, ...cuts.map((c) => c % (all.length + 1)).sort((x, y) => x - y), all.length];
        const parts = points.slice(1).map((p, i) => all.subarray(points[i], p));
        const expected = createHash('md5').update(withLength ? body.subarray(0, Math.floor(body.length / 2)) : body).digest('hex');
        return digestOf(parts).hex === expected && digestOf([all]).hex === expected;
      }),
      { numRuns: 150 },
    );
  });
  it('reports per-read events cut at 4095 bytes, as keepalived reads', () => {
    const reads: number[] = [];
    const headerReads: number[] = [];
    const reader = new ResponseReader(() => undefined, {
      headerRead: () => headerReads.push(1),
      header: (_h, d) => reads.push(d.length),
      body: (d) => reads.push(d.length),
    });
    const header = 'HTTP/1.0 200 OK\r\n\r\n';
    reader.push(Buffer.concat([b(header), Buffer.alloc(10000, 1)]));
    expect(headerReads).toHaveLength(1);
    expect(reads).toEqual([READ_SIZE - header.length, 4095, 10000 - (READ_SIZE - header.length) - 4095]);
  });
  it('gives up on a header that does not fit the 4095-byte buffer', () => {
    const reader = new ResponseReader(() => undefined);
    expect(reader.push(b('HTTP/1.0 200 OK\r\nX: ' + 'a'.repeat(5000)))).toBe('header-too-large');
  });
});

describe('request and digest', () => {
  it('builds keepalived request bytes for 1.0, 1.0c, 1.1, IPv6 and virtual hosts', () => {
    expect(buildGetRequest({ path: '/', protocol: '1.0', address: '127.0.0.1', port: 80 })).toBe(
      'GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:80\r\n\r\n',
    );
    expect(buildGetRequest({ path: '/', protocol: '1.1', address: '0:0::1', port: 8080 })).toBe(
      'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [::1]:8080\r\n\r\n',
    );
    expect(buildGetRequest({ path: '/x', protocol: '1.0c', address: '::1', port: 80, virtualhost: 'www.example' })).toBe(
      'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example\r\n\r\n',
    );
  });
  it('digest algorithm is a parameter; unknown names are an error value', () => {
    const d = createBodyDigest('SHA256');
    expect(d.ok && d.digest.algorithm).toBe('sha256');
    const bad = createBodyDigest('nope');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain("'nope'");
  });
  it('rejects request fields that would break the request', () => {
    const base = { address: '127.0.0.1', port: 80, path: '/', timeoutMs: 1000 };
    expect(validateGetOptions(base)).toBeUndefined();
    expect(validateGetOptions({ ...base, path: '/\r\nX: y' })).toMatch(/url must not contain/);
    expect(validateGetOptions({ ...base, address: 'example.com' })).toMatch(/server address/);
    expect(validateGetOptions({ ...base, port: 70000 })).toMatch(/port/);
  });
});

describe('genhash option values', () => {
  it('server: IP only, range or prefix suffix dropped', () => {
    expect(parseServerArg('127.0.0.1/8')).toEqual({ ok: true, value: '127.0.0.1' });
    expect(parseServerArg('::1/128')).toEqual({ ok: true, value: '::1' });
    expect(parseServerArg('127.1')).toEqual({ ok: false, error: 'server should be an IP, not 127.1' });
    expect(parseServerArg('fe80::1%lo').ok).toBe(false);
  });
  it('port: strtol rules', () => {
    expect(parsePortArg(' +80')).toEqual({ ok: true, value: 80 });
    for (const bad of ['0', '65536', '12a', '', '-5', '80 ']) expect(parsePortArg(bad).ok).toBe(false);
  });
  it('timeout wraps like genhash 32-bit microseconds, or not in seconds mode', () => {
    expect(parseTimeoutArg('2', 'genhash')).toEqual({ ok: true, value: 2000 });
    expect(parseTimeoutArg('4295', 'genhash')).toEqual({ ok: true, value: 32.704 });
    expect(parseTimeoutArg('4295', 'seconds')).toEqual({ ok: true, value: 4295000 });
    for (const bad of ['', '-1', 'x', '3x']) expect(parseTimeoutArg(bad, 'genhash').ok).toBe(false);
    expect(parseFwmarkArg('')).toEqual({ ok: true, value: 0 });
    expect(parseFwmarkArg('-1').ok).toBe(false);
  });
});

describe('genhash command line', () => {
  it('getopt: clusters, attached values, long prefixes, permutation and --', () => {
    const r = getoptLong(['x', '-vs1.2.3.4', '--serv=5', '--', '-u'], 'vs:u:', [{ name: 'server', hasArg: true, val: 's' }]);
    expect(r.events).toEqual([
      { kind: 'option', opt: 'v' },
      { kind: 'option', opt: 's', arg: '1.2.3.4' },
      { kind: 'option', opt: 's', arg: '5' },
    ]);
    expect(r.operands).toEqual(['x', '-u']);
  });
  it('parses a full command line', () => {
    const r = parseGenhashArgs(['-S', '-I', '-V', 'a.example', '-s', '::1', '-p', '443', '-u', '/', '-P', '1.1', '-t', '3', '-v']);
    expect(r).toEqual({
      ok: true,
      options: { ssl: true, sni: true, virtualhost: 'a.example', server: '::1', port: 443, url: '/', protocol: '1.1', timeoutMs: 3000, verbose: true, fwmark: 0 },
    });
  });
  it('-m takes the mark as genhash reads it (strtoul base 10, unsigned 32 bits; saturating; empty is 0)', () => {
    const mark = (m: string): number | string => {
      const r = parseGenhashArgs(['-s', '127.0.0.1', '-p', '80', '-u', '/', '-m', m]);
      return r.ok ? r.options.fwmark : r.stderr.split('\n')[0]!;
    };
    expect(mark('43981')).toBe(43981);
    expect(mark(' +5')).toBe(5);
    expect(mark('')).toBe(0);
    expect(mark('4294967295')).toBe(4294967295);
    expect(mark('4294967296')).toBe(0); // (unsigned) of a 64-bit unsigned long
    expect(mark('99999999999999999999999')).toBe(4294967295); // strtoul saturates at ULONG_MAX
    expect(mark('0x10')).toBe("invalid fwmark '0x10'");
    expect(mark('-1')).toBe("invalid fwmark '-1'");
    expect(mark('5 ')).toBe("invalid fwmark '5 '");
  });
  it("reports problems with genhash's messages then the usage, exit 1", () => {
    const cases: Array<[string[], string]> = [
      [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-x', '-y'], 'Unknown option -x\nUnknown option -y\nUsage: genhash'],
      [['-s', '127.0.0.1', '-p', '80', '-u', '/', '--bogus=3'], 'Unknown option --bogus=3\nUsage'],
      [['-s', '127.0.0.1', '-p', '80', '-u', '/', '--use'], 'Unknown option --use\nUsage'],
      [['-s', '127.0.0.1', '-p', '80', '-u'], 'Missing parameter for option -u\nUsage'],
      [['-s', '127.0.0.1', '-p', '80', '--url'], 'Missing parameter for option --url\nUsage'],
      [['-s', '127.0.0.1', '-p', '80', '-u', '/', 'extra', 'more'], 'Unexpected argument(s): extra more\nUsage'],
      [['-s', 'bad', '-p', '80', '-u', '/'], 'server should be an IP, not bad\nUsage'],
      [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-P', '2'], "invalid HTTP protocol version '2'\nUsage"],
      [['-s', '127.0.0.1', '-p', '80', '-u', '/', '-m', '3x'], "invalid fwmark '3x'\nUsage"],
      [['-s', '127.0.0.1', '-p', '80'], 'Usage: genhash COMMAND [OPTIONS]\n'],
      [['-h'], 'Usage: genhash COMMAND'],
    ];
    for (const [args, start] of cases) {
      const r = parseGenhashArgs(args);
      expect(r.ok, args.join(' ')).toBe(false);
      if (!r.ok) {
        expect(r.stderr.startsWith(start), `${args.join(' ')} -> ${r.stderr.slice(0, 80)}`).toBe(true);
        expect(r.exitCode).toBe(1);
      }
    }
  });
});
