// genhash benchmark: wall time per call of our bin/genhash (a Node process) against keepalived's
// genhash, same loopback server, same run; then a 1 GB body hashed while streamed, with peak RSS
// for both (the body must never be buffered: memory stays flat).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printRows, timeMs, type BenchRow } from './harness.js';

const REAL = '/usr/bin/genhash';
const TIME = '/usr/bin/time';
const ROOT = fileURLToPath(new URL('../..', import.meta.url)); // dist/bench -> project root
const OURS = resolve(ROOT, 'bin/genhash');
const GIB = 1024 * 1024 * 1024;
const SMALL_BODY = Buffer.from('<html><body>health: ok</body></html>\n');

/** Serves /small (one write) and /gig (1 GiB streamed in 1 MiB writes, honouring back-pressure). */
function startServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const block = Buffer.alloc(1024 * 1024, 0x61);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    let req = '';
    c.on('data', (d) => {
      if (req.includes('\r\n\r\n')) return;
      req += d.toString('latin1');
      if (!req.includes('\r\n\r\n')) return;
      if (req.startsWith('GET /gig ')) {
        c.write(`HTTP/1.1 200 OK\r\nContent-Length: ${GIB}\r\n\r\n`);
        let left = GIB / block.length;
        const pump = (): void => {
          while (left > 0) {
            left--;
            if (!c.write(block)) return void c.once('drain', pump);
          }
          c.end();
        };
        pump();
      } else {
        c.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${SMALL_BODY.length}\r\n\r\n`), SMALL_BODY]));
      }
    });
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () =>
      ok({
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      }),
    ),
  );
}

function run1(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((ok, fail) =>
    execFile(file, args, { timeout: 600_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => (err ? fail(err) : ok({ stdout, stderr }))),
  );
}

/** Runs under /usr/bin/time to read the child's peak RSS (KiB) and elapsed wall time. */
async function measured(file: string, args: string[]): Promise<{ ms: number; rssKiB: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await run1(TIME, ['-f', 'maxrss=%M', file, ...args]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /maxrss=(\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no peak RSS from ${TIME} for ${file}`);
  return { ms, rssKiB: Number(m[1]), stdout: r.stdout };
}

export async function run(): Promise<BenchRow[]> {
  if (!existsSync(resolve(ROOT, 'dist/src/check/genhash.js'))) throw new Error('build first (npm run build)');
  const haveReal = existsSync(REAL);
  const server = await startServer();
  const rows: BenchRow[] = [];
  try {
    const small = ['-s', '127.0.0.1', '-p', String(server.port), '-u', '/small'];
    const ours = await timeMs(() => run1(OURS, small), 10);
    const ref = haveReal ? await timeMs(() => run1(REAL, small), 10) : undefined;
    rows.push({ name: 'genhash one small page (process wall time)', ours, reference: ref, unit: 'ms', target: 'Node start-up dominates' });

    if (existsSync(TIME)) {
      const gig = ['-s', '127.0.0.1', '-p', String(server.port), '-u', '/gig', '-t', '60'];
      const o = await measured(OURS, gig);
      const r = haveReal ? await measured(REAL, gig) : undefined;
      if (r && o.stdout !== r.stdout) throw new Error(`1 GiB digests differ: ours ${o.stdout.trim()} reference ${r.stdout.trim()}`);
      rows.push({ name: 'genhash 1 GiB streamed body (wall time)', ours: o.ms, reference: r?.ms, unit: 'ms' });
      rows.push({ name: 'genhash 1 GiB throughput', ours: GIB / 1048576 / (o.ms / 1000), reference: r ? GIB / 1048576 / (r.ms / 1000) : undefined, unit: 'MiB/s' });
      rows.push({ name: 'genhash 1 GiB peak RSS', ours: o.rssKiB / 1024, reference: r ? r.rssKiB / 1024 : undefined, unit: 'MiB', target: 'flat: far below the body size' });
    }
  } finally {
    await server.close();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  printRows('genhash vs keepalived genhash', await run());
}
