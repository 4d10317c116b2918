// bfd_instance problems against keepalived -t (2.2.7): every one keepalived fails the check on, our
// `keepalived -t` fails too, with one error per keepalived "BFD instance" line, and validate names
// each with its code; the daemon runs past them (test/daemon/run-past-errors).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest, makeOracleNetns } from '../helpers/oracle.js';
import { requireDist } from '../helpers/dist.js';
import { loadConfigText } from '../../src/config/index.js';

const repo = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kabfd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: [string, string, string[]][] = [
  ['no neighbor', 'bfd_instance B1 {\n source_ip 192.0.2.1\n}\n', ['bfd-no-neighbor']],
  ['mixed families', 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n source_ip 2001:db8::1\n}\n', ['bfd-family']],
  ['duplicate neighbor', 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n}\nbfd_instance B2 {\n neighbor_ip 192.0.2.2\n}\n', ['bfd-duplicate-neighbor']],
  ['same neighbor, other sources', 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n source_ip 192.0.2.5\n}\nbfd_instance B2 {\n neighbor_ip 192.0.2.2\n source_ip 192.0.2.6\n}\n', []],
  ['name too long', 'bfd_instance B123456789012345678901234567890123 {\n neighbor_ip 192.0.2.2\n}\n', ['bfd-name-too-long']],
  ['max_hops above ttl', 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n ttl 10\n max_hops 20\n}\n', ['bfd-max-hops']],
  ['duplicate name', 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n}\nbfd_instance B1 {\n neighbor_ip 192.0.2.3\n}\n', ['duplicate-name']],
  ['a good one', 'bfd_instance B1 {\n neighbor_ip 192.0.2.2\n source_ip 192.0.2.1\n min_rx 50\n ttl 255\n max_hops 1\n}\n', []],
];

describe('bfd_instance checks (pure)', () => {
  it.each(CASES)('%s: validate reports %j', (_n, text, codes) => {
    const r = loadConfigText(text, 'keepalived.conf');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(codes);
    for (const d of r.diagnostics) expect(d.line).toBeGreaterThan(0);
  });
});

describe.runIf(isRoot() && haveKeepalived())('bfd_instance checks against keepalived -t (2.2.7)', () => {
  let ns = '';
  let dispose = () => {};
  beforeAll(() => {
    requireDist('dist/src/config/checks/bfd.js');
    ({ ns, dispose } = makeOracleNetns());
  });
  afterAll(() => dispose());

  it.each(CASES)('%s: the same verdict, one error per keepalived BFD line', (name, text) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.conf`);
    writeFileSync(file, text);
    const ka = keepalivedTest(ns, file);
    const us = spawnSync(process.execPath, [join(repo, 'bin', 'keepalived'), '-t', '-f', file], { encoding: 'utf8', timeout: 60_000 });
    expect(us.status, `keepalived -t said:\n${ka.raw}\nours:\n${us.stdout}${us.stderr}`).toBe(ka.rc === 0 ? 0 : 5);
    // keepalived's "Configuration error: BFD instance ..." / "BFD instance X: ..." lines, one of ours each.
    const kaBfd = ka.lines.filter((l) => /BFD instance /.test(l.message)).length;
    const ourLines = `${us.stdout}${us.stderr}`.split('\n').filter((l) => l.trim() !== '');
    expect(ourLines.length, `keepalived -t said:\n${ka.raw}\nours:\n${us.stdout}${us.stderr}`).toBe(kaBfd);
  });
});
