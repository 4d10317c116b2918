// TCP_CHECK / HTTP_GET / SSL_GET `fwmark`: from the config keyword to the connection. In the fwmark
// lab only packets marked MARK reach the server, so a checker is up exactly when its mark was set.
// Root only.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { buildDist, makeFwmarkLab, MARK, ROOT, SERVER4, SERVER6, type FwmarkLab } from './fwmark-lab.js';

const CHILD = join(ROOT, 'test/genhash/fwmark-check-child.mjs');
const md5 = createHash('md5').update('a page behind a firewall mark\n').digest('hex');

interface Line {
  where: string;
  type: string;
  fwmark: number | null;
  ok: boolean;
  detail: string;
}

describe.skipIf(!isRoot())('checkers honour fwmark', () => {
  let lab: FwmarkLab;
  beforeAll(async () => {
    buildDist();
    lab = await makeFwmarkLab();
  }, 360_000);
  afterAll(() => lab?.close());

  function check(conf: string, prefix: string[] = []): { lines: Line[]; problems: Array<{ where: string; message: string }> } {
    const r = spawnSync('ip', ['netns', 'exec', lab.client, ...prefix, 'node', CHILD, conf], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`checker child failed (${r.status}): ${r.stderr}`);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const last = out.pop();
    return { lines: out as Line[], problems: last.problems };
  }

  const conf = (server: string, body: string): string =>
    `virtual_server ${server} 80 {\n protocol TCP\n real_server ${server} 80 {\n${body} }\n}\n`;
  it('TCP_CHECK, HTTP_GET, SSL_GET with fwmark are up; without it (or fwmark 0) they are down', () => {
    const p = lab.ports;
    const body = [
      `  TCP_CHECK {\n   connect_port ${p.echo}\n   fwmark ${MARK}\n   connect_timeout 3\n  }\n`,
      `  HTTP_GET {\n   url {\n    path /text\n    digest ${md5}\n   }\n   connect_port ${p.http}\n   fwmark ${MARK}\n   connect_timeout 3\n  }\n`,
      `  SSL_GET {\n   url {\n    path /text\n    digest ${md5}\n   }\n   connect_port ${p.https}\n   fwmark ${MARK}\n   connect_timeout 3\n  }\n`,
      `  TCP_CHECK {\n   connect_port ${p.echo}\n   connect_timeout 3\n  }\n`,
      `  HTTP_GET {\n   url {\n    path /text\n   }\n   connect_port ${p.http}\n   fwmark 0\n   connect_timeout 3\n  }\n`,
      `  TCP_CHECK {\n   connect_port ${p.echo}\n   fwmark ${MARK + 1}\n   connect_timeout 3\n  }\n`,
    ].join('');
    for (const server of [SERVER4, SERVER6]) {
      const { lines, problems } = check(conf(server, body));
      expect(problems).toEqual([]);
      expect(lines.map((l) => [l.type, l.fwmark, l.ok])).toEqual([
        ['TCP_CHECK', MARK, true],
        ['HTTP_GET', MARK, true],
        ['SSL_GET', MARK, true],
        ['TCP_CHECK', null, false],
        ['HTTP_GET', null, false],
        ['TCP_CHECK', MARK + 1, false],
      ]);
      expect(lines[3]!.detail).toMatch(/ENETUNREACH|unreachable/);
      expect(lines[4]!.detail).toMatch(/network unreachable/);
      expect(lines[5]!.detail).toBe(`TCP connection to ${server.includes(':') ? `[${server}]` : server}:${p.echo} failed: unreachable`);
    }
  }, 120_000);

  it('a bad fwmark value is a warning naming the line; SO_MARK refused (no CAP_NET_ADMIN) is a down checker saying why', () => {
    const p = lab.ports;
    const bad = check(conf(SERVER4, `  TCP_CHECK {\n   connect_port ${p.echo}\n   fwmark 0x10\n  }\n`));
    expect(bad.problems).toEqual([{ where: 'fwmark.conf:4', severity: 'warning', message: "TCP_CHECK: invalid fwmark connection value '0x10'; ignored" }]);
    const body = `  TCP_CHECK {\n   connect_port ${p.echo}\n   fwmark ${MARK}\n  }\n  HTTP_GET {\n   url {\n    path /text\n   }\n   connect_port ${p.http}\n   fwmark ${MARK}\n  }\n`;
    const { lines } = check(conf(SERVER4, body), ['setpriv', '--bounding-set', '-net_admin,-net_raw']);
    expect(lines.map((l) => l.ok)).toEqual([false, false]);
    for (const l of lines) expect(l.detail).toMatch(/setting fwmark 43981 on the socket \(needs CAP_NET_ADMIN or CAP_NET_RAW\): Operation not permitted/);
  }, 60_000);
});
