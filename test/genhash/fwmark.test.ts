// genhash -m: our bin/genhash against keepalived's /usr/bin/genhash in the fwmark lab (the server is
// reachable only by packets carrying MARK), same bytes out and same exit status. Root only.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { buildDist, makeFwmarkLab, MARK, ROOT, SERVER4, SERVER6, type FwmarkLab } from './fwmark-lab.js';

const REAL = '/usr/bin/genhash';
const OURS = join(ROOT, 'bin/genhash');
const BODY = 'a page behind a firewall mark\n';

interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

function run(ns: string, argv: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, ...argv], { encoding: 'latin1', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ stdout: stdout.replace(/= \d+ usecs/g, '= N usecs'), stderr, code });
    });
  });
}

describe.skipIf(!isRoot() || !existsSync(REAL))('genhash -m against keepalived genhash', () => {
  let lab: FwmarkLab;
  beforeAll(async () => {
    buildDist();
    lab = await makeFwmarkLab();
  }, 360_000);
  afterAll(() => lab?.close());

  /** Both genhashes with the same arguments in the client namespace; ours must equal theirs. */
  async function same(args: string[]): Promise<Run> {
    const [real, ours] = await Promise.all([run(lab.client, [REAL, ...args]), run(lab.client, [OURS, ...args])]);
    // Each names itself by the path it was started with in the usage text.
    expect({ ...ours, stderr: ours.stderr.replace(`Usage: genhash`, `Usage: ${REAL}`) }, args.join(' ')).toEqual(real);
    return ours;
  }

  it('with the mark the page is fetched (HTTP v4/v6, HTTPS, verbose): same output', async () => {
    const m = String(MARK);
    const digest = createHash('md5').update(BODY).digest('hex') + '\n';
    expect((await same(['-s', SERVER4, '-p', String(lab.ports.http), '-u', '/text', '-m', m])).stdout).toBe(digest);
    expect((await same(['-s', SERVER6, '-p', String(lab.ports.http), '-u', '/text', '--fwmark', m])).stdout).toBe(digest);
    expect((await same(['-S', '-s', SERVER4, '-p', String(lab.ports.https), '-u', '/text', '-m', m])).stdout).toBe(digest);
    await same(['-v', '-s', SERVER4, '-p', String(lab.ports.http), '-u', '/text', '-m', m, '-P', '1.1']);
    await same(['-S', '-s', SERVER6, '-p', String(lab.ports.https), '-u', '/missing', `--fwmark=${m}`]);
  }, 60_000);

  it('without the mark, or with another, the server is unreachable: genhash\'s own line', async () => {
    const base = ['-s', SERVER4, '-p', String(lab.ports.http), '-u', '/text'];
    for (const extra of [[], ['-m', '0'], ['-m', String(MARK + 1)], ['-m', '']]) {
      expect((await same([...base, ...extra])).stdout).toBe('HTTP_CHECK - network unreachable\n');
    }
    const v6 = await same(['-s', SERVER6, '-p', String(lab.ports.http), '-u', '/text', '-m', '1']);
    expect(v6.stdout).toBe('HTTP_CHECK - network unreachable\n');
  }, 60_000);

  it('refused and timed-out marked connections, bad marks: same forms and statuses', async () => {
    const refused = await same(['-s', SERVER4, '-p', '1', '-u', '/', '-m', String(MARK)]);
    expect(refused).toEqual({ stdout: 'Connection failed\n', stderr: '', code: 0 });
    // 198.51.100.77 does not answer ARP: the connect hangs until -t.
    const slow = await same(['-s', '198.51.100.77', '-p', '80', '-u', '/', '-m', String(MARK), '-t', '1']);
    expect(slow.stdout).toBe('Timeout connecting\n');
    for (const bad of ['0x5', '-1', '5 ', 'five', '--3']) {
      const r = await same(['-s', SERVER4, '-p', '80', '-u', '/', '-m', bad]);
      expect(r.code).toBe(1);
      expect(r.stderr.startsWith(`invalid fwmark '${bad}'\n`)).toBe(true);
    }
  }, 60_000);

  it('without CAP_NET_ADMIN/CAP_NET_RAW ours says why and exits 1 (keepalived\'s genhash retries silently for ever)', async () => {
    const r = await run(lab.client, ['setpriv', '--bounding-set', '-net_admin,-net_raw', OURS, '-s', SERVER4, '-p', String(lab.ports.http), '-u', '/text', '-m', String(MARK)]);
    expect(r).toEqual({
      stdout: '',
      stderr: `TCP connection to ${SERVER4}:${lab.ports.http} with fwmark ${MARK}: setting fwmark ${MARK} on the socket (needs CAP_NET_ADMIN or CAP_NET_RAW): Operation not permitted\n`,
      code: 1,
    });
    // -m 0 sets no mark, so needs no privilege (and here reaches no route).
    const zero = await run(lab.client, ['setpriv', '--bounding-set', '-net_admin,-net_raw', OURS, '-s', SERVER4, '-p', String(lab.ports.http), '-u', '/text', '-m', '0']);
    expect(zero).toEqual({ stdout: 'HTTP_CHECK - network unreachable\n', stderr: '', code: 0 });
  }, 60_000);
});
