// Packaging: `npm pack` from the checkout, `npm install --prefix <fresh dir> <tarball>` from the
// registry (the native addon is compiled at install), then the installed commands run: keepalivedctl
// --help lists every command, validate and keepalived -t accept a sample, keepalived --version, the
// addons load. The systemd unit and /etc/default file: keepalived's settings, the hardening that
// still allows raw sockets and netlink, and `systemd-analyze verify` against the installed binary.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDaemonArgs } from '../../src/daemon/args.js';
import { requireDist } from '../helpers/dist.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const UNIT = join(ROOT, 'packaging', 'keepalived.service');
const DEFAULTS = join(ROOT, 'packaging', 'default', 'keepalived');

type Run = { code: number | null; stdout: string; stderr: string };
function run(argv: string[], opts: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((res) =>
    execFile(argv[0]!, argv.slice(1), { cwd: opts.cwd ?? ROOT, timeout: opts.timeout ?? 60_000, encoding: 'utf8', maxBuffer: 16 << 20, env: opts.env ?? process.env }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}

/** The unit as systemd reads it: section -> key -> values (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let sec = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      sec = s[1]!;
      out.set(sec, out.get(sec) ?? new Map());
      continue;
    }
    const i = line.indexOf('=');
    if (i < 0) throw new Error(`not key=value: ${line}`);
    const m = out.get(sec)!;
    const k = line.slice(0, i);
    m.set(k, [...(m.get(k) ?? []), line.slice(i + 1)]);
  }
  return out;
}

describe('packaging/keepalived.service and packaging/default/keepalived', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const svc = unit.get('Service')!;
  const one = (k: string) => {
    const v = svc.get(k);
    expect(v, k).toHaveLength(1);
    return v![0]!;
  };

  it("has keepalived's service settings", () => {
    expect(one('Type')).toBe('notify');
    expect(svc.get('EnvironmentFile')).toEqual(['-/etc/default/keepalived', '-/etc/sysconfig/keepalived']);
    expect(one('ExecStart')).toMatch(/^\/\S+\/keepalived --dont-fork \$KEEPALIVED_OPTIONS \$DAEMON_ARGS$/);
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    // As keepalived's own unit: the parent stops its children itself.
    expect(one('KillMode')).toBe('process');
    expect(unit.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
    expect(unit.get('Unit')!.get('After')).toEqual(['network-online.target']);
  });

  it('is hardened but still allows raw sockets, AF_PACKET and netlink', () => {
    const caps = one('CapabilityBoundingSet').split(/\s+/);
    for (const c of ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_OVERRIDE']) expect(caps).toContain(c);
    expect(caps).not.toContain('CAP_SYS_ADMIN');
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_PACKET', 'AF_UNIX']);
    expect(one('ProtectSystem')).toBe('full');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('no');
    // vmac sysctls must stay writable; V8 needs W+X pages.
    expect(one('ProtectKernelTunables')).toBe('no');
    expect(svc.has('MemoryDenyWriteExecute')).toBe(false);
    expect(one('RuntimeDirectory')).toBe('keepalived');
    expect(one('StateDirectory')).toBe('keepalivedctl');
  });

  it('the /etc/default file sets what the unit and the daemon read, and the daemon accepts it', async () => {
    const r = await run(['bash', '-c', `set -a; . ${DEFAULTS}; printf '%s\\n' "$KEEPALIVED_OPTIONS" "$DAEMON_ARGS" "\${KEEPALIVED_METRICS-unset}"`]);
    expect(r.code, r.stderr).toBe(0);
    const [opts, daemonArgs, metrics] = r.stdout.split('\n');
    expect(metrics).toBe('');
    const argv = ['--dont-fork', ...`${opts} ${daemonArgs}`.split(/\s+/).filter(Boolean)];
    const p = parseDaemonArgs(argv, { KEEPALIVED_METRICS: metrics });
    expect(p.ok).toBe(true);
    if (p.ok) expect(p.args.metrics).toBeUndefined();
    const on = parseDaemonArgs(argv, { KEEPALIVED_METRICS: '127.0.0.1:9650' });
    expect(on.ok && on.args.metrics).toEqual({ host: '127.0.0.1', port: 9650 });
  });
});

describe('npm pack, then npm install from the tarball', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapack-'));
  let prefix = '';
  let pkgDir = '';
  let files: string[] = [];
  let install: Run = { code: null, stdout: '', stderr: '' };

  beforeAll(async () => {
    // The tarball ships dist/ and the oclif manifest, built once by vitest's global setup.
    requireDist('dist/commands/reload.js', 'oclif.manifest.json');
    // --ignore-scripts: prepare (tsc) ran above; a user's `npm pack` runs it itself.
    const pack = await run(['npm', 'pack', '--ignore-scripts', '--pack-destination', dir], { timeout: 180_000 });
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack made no tarball');
    files = (await run(['tar', 'tzf', join(dir, tgz)])).stdout.split('\n').filter(Boolean);
    prefix = join(dir, 'prefix');
    // An empty package.json makes the prefix a project of its own (npm would otherwise look upward).
    await run(['mkdir', '-p', prefix]);
    writeFileSync(join(prefix, 'package.json'), '{"name":"kapack-install-test","private":true}\n');
    install = await run(['npm', 'install', '--prefix', prefix, '--no-audit', '--no-fund', join(dir, tgz)], { cwd: prefix, timeout: 900_000 });
    pkgDir = join(prefix, 'node_modules', 'keepalivedctl');
  }, 1_200_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the tarball holds what install needs, and nothing of the test or bench trees', () => {
    for (const f of ['bin/keepalived', 'bin/keepalivedctl', 'bin/genhash', 'binding.gyp', 'native/addon.c', 'native/sdnotify.c', 'oclif.manifest.json', 'dist/src/daemon/main.js', 'dist/commands/events.js', 'dist/commands/reload.js', 'templates/active-backup/template.json', 'packaging/keepalived.service', 'packaging/default/keepalived', 'package.json']) {
      expect(files, f).toContain(`package/${f}`);
    }
    expect(files.filter((f) => /^package\/(test|bench|dist\/bench|dist\/test|node_modules|build)\//.test(f))).toEqual([]);
  });

  it('installs, with the native addon compiled at install', () => {
    expect(install.code, install.stderr.slice(-3000)).toBe(0);
    for (const f of ['keepalived_net.node', 'keepalived_sys.node']) expect(existsSync(join(pkgDir, 'build', 'Release', f)), f).toBe(true);
  });

  it('the installed commands run', async () => {
    const bin = join(prefix, 'node_modules', '.bin');
    const env = { ...process.env };
    delete env.KEEPALIVEDCTL_SOCKET;
    const help = await run([join(bin, 'keepalivedctl'), '--help'], { cwd: dir, env });
    expect(help.code, help.stderr).toBe(0);
    for (const c of ['events', 'reload', 'status', 'validate', 'promote', 'demote', 'clear', 'genhash', 'init']) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n');
    const v = await run([join(bin, 'keepalivedctl'), 'validate', conf], { cwd: dir, env });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('1 file checked: 0 errors, 0 warnings');
    const badConf = join(dir, 'bad.conf');
    writeFileSync(badConf, 'vrrp_instance VI_1 {\n  priorty 100\n}\n');
    const bad = await run([join(bin, 'keepalivedctl'), 'validate', badConf], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toContain('unknown-keyword');
    const ver = await run([join(bin, 'keepalived'), '--version'], { cwd: dir, env });
    expect(ver.code, ver.stderr).toBe(0);
    expect(ver.stdout).toMatch(/^Keepalived v\d+\.\d+\.\d+ /);
    const t = await run([join(bin, 'keepalived'), '-t', '-f', conf], { cwd: dir, env });
    expect(t.code, t.stderr).toBe(0);
    const gh = await run([join(bin, 'genhash'), '--help'], { cwd: dir, env });
    expect(gh.stdout + gh.stderr).toMatch(/genhash/i);
    // The compiled addons load from the installed package.
    const probe = `const m = await import(${JSON.stringify(join(pkgDir, 'dist', 'src', 'net', 'native.js'))}); const a = m.loadNative(), b = m.loadSysNative(); console.log(JSON.stringify([a.ok, b.ok]));`;
    const p = await run([process.execPath, '--input-type=module', '-e', probe], { cwd: dir, env });
    expect(p.stdout.trim(), p.stderr).toBe('[true,true]');
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('systemd-analyze verify accepts the unit with the installed keepalived', async () => {
    const unitDir = join(dir, 'unit');
    await run(['mkdir', '-p', unitDir]);
    const text = readFileSync(UNIT, 'utf8').replace(/^ExecStart=\S+/m, `ExecStart=${join(prefix, 'node_modules', '.bin', 'keepalived')}`);
    writeFileSync(join(unitDir, 'keepalived.service'), text);
    const r = await run(['systemd-analyze', 'verify', join(unitDir, 'keepalived.service')], { cwd: unitDir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((r.stdout + r.stderr).trim()).toBe('');
  });
});
