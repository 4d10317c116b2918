// `keepalivedctl init` non-interactively, as built: every template with flags and with --answers;
// what it writes passes our validator and real `keepalived -t` (Debian 2.2.7, in a namespace that
// has the interfaces the configs name); refusal to overwrite; one line per missing answer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest, makeOracleNetns } from '../helpers/oracle.js';
import { buildIfStale, init, toFlags } from './build.js';
import { cases } from './cases.js';

const dir = mkdtempSync(join(tmpdir(), 'kawiz-cli-'));
beforeAll(buildIfStale, 200_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface InitJson {
  template: string;
  files: string[];
  validation: { valid: boolean; errors: number; warnings: number; diagnostics: unknown[] };
  next: string[];
  notes: string[];
}

/** stderr without the host-dependent VIP warnings (this machine's interfaces are not the test's subject). */
const errs = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => !l.startsWith('warning: ')).join('\n');

/** Every file written by the runs below, for the keepalived -t pass. */
const written: string[] = [];

describe('keepalivedctl init, non-interactive (flags)', () => {
  for (const [name, sets] of Object.entries(cases)) {
    sets.forEach((answers, k) => {
      it(`${name} #${k + 1}: --json gives files, a clean cluster validation and the next commands`, async () => {
        const out = join(dir, `flags-${name}-${k}`);
        const r = await init(['--template', name, '--out', out, '--json', ...toFlags(answers)]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout) as InitJson;
        expect(j.template).toBe(name);
        expect(j.files.map((f) => f.slice(out.length + 1)).sort()).toEqual(name.startsWith('lvs') ? ['director1.conf', 'director2.conf'] : ['lb1.conf', 'lb2.conf']);
        expect(j.validation).toEqual({ valid: true, errors: 0, warnings: 0, diagnostics: [] });
        expect(j.next.some((c) => c.includes('/etc/keepalived/keepalived.conf'))).toBe(true);
        expect(j.next).toContain('systemctl restart keepalived   # on each node');
        expect(j.next.some((c) => c.startsWith('keepalivedctl validate --host'))).toBe(true);
        for (const f of j.files) expect(readFileSync(f, 'utf8')).toContain(`interface ${answers.interface}`);
        written.push(...j.files);
      });
    });
  }
});

describe('keepalivedctl init, non-interactive (--answers JSON, no --yes: stdin is not a terminal)', () => {
  for (const [name, sets] of Object.entries(cases)) {
    it(`${name}: human output shows the files, the validation and the next commands`, async () => {
      const out = join(dir, `answers-${name}`);
      const file = join(dir, `answers-${name}.json`);
      writeFileSync(file, JSON.stringify({ template: name, ...sets[sets.length - 1] }));
      const r = await init(['--answers', file, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Wrote 2 files:\n/);
      expect(r.stdout).toContain('keepalivedctl validate (as one cluster):\n2 files checked: 0 errors, 0 warnings\n');
      expect(r.stdout).toContain('\nNext:\n  scp ');
      expect(r.stdout).toContain('  systemctl restart keepalived   # on each node\n');
      if (name === 'active-active') expect(r.stdout).toContain('Note: Spread clients over both nodes: publish both VIPs under one DNS name');
      const files = r.stdout.split('\n').filter((l) => l.startsWith('  /')).map((l) => l.trim());
      expect(files).toHaveLength(2);
      written.push(...files);
    });
  }
  it('flags win over the answers file', async () => {
    const file = join(dir, 'mixed.json');
    writeFileSync(file, JSON.stringify({ template: 'active-backup', interface: 'eth0', vip: '192.0.2.50/24', vrid: 77 }));
    const out = join(dir, 'mixed');
    const r = await init(['--answers', file, '--out', out, '--vrid', '78', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'lb1.conf'), 'utf8')).toContain('virtual_router_id 78\n');
  });
});

describe.skipIf(!(isRoot() && haveKeepalived()))('every generated config passes real keepalived -t (2.2.7)', () => {
  let ns: ReturnType<typeof makeOracleNetns> | undefined;
  beforeAll(() => {
    ns = makeOracleNetns();
  });
  afterAll(() => ns?.dispose());
  it('keepalived -t exits 0 with nothing to say on every file written above', async () => {
    expect(written.length).toBe(2 * (Object.values(cases).flat().length + Object.keys(cases).length) + 0);
    for (const f of written) {
      const r = keepalivedTest(ns!.ns, f);
      expect({ f, rc: r.rc, raw: r.raw }).toEqual({ f, rc: 0, raw: '' });
    }
  });
});

describe('keepalivedctl init refuses what it should', () => {
  const base = ['--template', 'active-backup', '--interface', 'eth0', '--auth-pass', 'x1'];
  it('never overwrites without --force, and writes nothing then; --force replaces', async () => {
    const out = join(dir, 'again');
    expect((await init([...base, '--vip', '192.0.2.60/24', '--out', out, '--yes'])).code).toBe(0);
    const before = readFileSync(join(out, 'lb1.conf'), 'utf8');
    const r = await init([...base, '--vip', '192.0.2.61/24', '--out', out, '--yes']);
    expect(r.code).toBe(1);
    expect(errs(r)).toBe(
      `keepalivedctl init: refusing to overwrite ${join(out, 'lb1.conf')} (use --force); nothing written\n` +
        `keepalivedctl init: refusing to overwrite ${join(out, 'lb2.conf')} (use --force); nothing written\n`,
    );
    expect(readFileSync(join(out, 'lb1.conf'), 'utf8')).toBe(before);
    const f = await init([...base, '--vip', '192.0.2.61/24', '--out', out, '--yes', '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(readFileSync(join(out, 'lb1.conf'), 'utf8')).toContain('192.0.2.61/24 dev eth0');
  });
  it('lists each missing answer on its own line and exits 2', async () => {
    const r = await init(['--template', 'lvs-nat', '--out', join(dir, 'missing'), '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'keepalivedctl init: missing answer: --interface (Network interface the virtual IP lives on)',
      'keepalivedctl init: missing answer: --vip (Virtual IP address (ADDR/PREFIX) the active node holds)',
      'keepalivedctl init: missing answer: --real-server (Real servers, ADDR[:PORT][,WEIGHT] each)',
    ]);
    const t = await init(['--yes']);
    expect(t.code).toBe(2);
    expect(t.stderr).toBe('keepalivedctl init: missing answer: --template (one of active-active, active-backup, ipv6, lvs-dr, lvs-nat)\n');
  });
  it('bad values, an unknown template and an unreadable answers file: one clear line each, exit 2', async () => {
    const r = await init(['--template', 'active-backup', '--interface', 'eth0', '--vip', '192.0.2.1/24', '--vrid', '300', '--priority', 'high', '--yes']);
    expect(r.code).toBe(2);
    expect(errs(r)).toBe("keepalivedctl init: --vrid: vrid '300' is out of range (1-255)\nkeepalivedctl init: --priority: priority 'high' is not a whole number\n");
    const u = await init(['--template', 'nope', '--yes']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/^keepalivedctl init: template 'nope': no such template \(templates: active-active, active-backup, ipv6, lvs-dr, lvs-nat\)\n$/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'template: active-backup\n');
    const a = await init(['--answers', bad]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^keepalivedctl init: cannot read answers file .*bad\.json: .* \(it must be JSON\)\n$/);
  });
  it('suggests a VRID that configs in --out do not use', async () => {
    const out = join(dir, 'vrids');
    await init([...base, '--vip', '192.0.2.70/24', '--out', out, '--yes', '--vrid', '1']);
    // lb1.conf/lb2.conf now use VRID 1; a second pair written next to them gets another one.
    const r = await init(['--template', 'active-active', '--interface', 'eth0', '--vip', '192.0.2.71/24', '--vip2', '192.0.2.72/24', '--out', out, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(1); // same file names: refused
    const r2 = await init(['--template', 'lvs-dr', '--interface', 'eth0', '--vip', '192.0.2.73/24', '--real-server', '192.0.2.80', '--out', out, '--yes', '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    const vrid = /virtual_router_id (\d+)/.exec(readFileSync(join(out, 'director1.conf'), 'utf8'))?.[1];
    expect(vrid).toBeDefined();
    expect(vrid).not.toBe('1');
  });
});
