// validateFiles: the verdict (JSON shape, exit codes, --strict, stdin) and the cluster cross-checks
// between nodes that share a VRID, each finding naming both files and lines.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/config/diagnostics.js';
import { clusterFiles, validateFiles } from '../../src/config/validate.js';

const root = mkdtempSync(join(tmpdir(), 'kaeng-cluster-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;

function write(name: string, text: string): string {
  const dir = join(root, `t${seq++}`);
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

interface NodeOpts {
  name?: string;
  vrid?: number;
  prio?: number;
  state?: 'MASTER' | 'BACKUP';
  version?: 2 | 3;
  advert?: string;
  auth?: [type: string, pass: string];
  vips?: string[];
  routes?: string[];
  src?: string;
  peers?: string[];
  nopreempt?: boolean;
}

/** One node's keepalived.conf for one VRRP instance. */
function nodeConf(o: NodeOpts): string {
  const l: string[] = ['global_defs {', '  router_id node', '}', `vrrp_instance ${o.name ?? 'VI_1'} {`, '  interface eth0'];
  if (o.state) l.push(`  state ${o.state}`);
  l.push(`  virtual_router_id ${o.vrid ?? 51}`, `  priority ${o.prio ?? 100}`);
  if (o.version) l.push(`  version ${o.version}`);
  l.push(`  advert_int ${o.advert ?? '1'}`);
  if (o.nopreempt) l.push('  nopreempt');
  if (o.auth) l.push('  authentication {', `    auth_type ${o.auth[0]}`, `    auth_pass ${o.auth[1]}`, '  }');
  if (o.src) l.push(`  unicast_src_ip ${o.src}`);
  if (o.peers) l.push('  unicast_peer {', ...o.peers.map((p) => `    ${p}`), '  }');
  l.push('  virtual_ipaddress {', ...(o.vips ?? ['192.0.2.10/24']).map((v) => `    ${v}`), '  }');
  if (o.routes) l.push('  virtual_routes {', ...o.routes.map((r) => `    ${r}`), '  }');
  l.push('}', '');
  return l.join('\n');
}

/** 1-based line and column of the first line starting (after blanks) with `start`. */
function where(text: string, start: string): { line: number; column: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trimStart().startsWith(start));
  if (i < 0) throw new Error(`fixture has no line starting with ${start}`);
  return { line: i + 1, column: lines[i].length - lines[i].trimStart().length + 1 };
}

function pair(a: NodeOpts, b: NodeOpts) {
  const ta = nodeConf(a);
  const tb = nodeConf(b);
  const fa = write('lb1.conf', ta);
  const fb = write('lb2.conf', tb);
  const r = validateFiles([fa, fb]);
  return { r, fa, fb, ta, tb, cluster: r.diagnostics.filter((d) => d.code.startsWith('cluster-')) };
}

const base: NodeOpts = { prio: 150, auth: ['PASS', 'secret'], src: undefined };

/** The single finding of `code`, checked to point at `b` and to name `a`'s file and line (in `related`, which every output prints). */
function finding(p: ReturnType<typeof pair>, code: string, atB: string, atA: string): Diagnostic {
  const found = p.cluster.filter((d) => d.code === code);
  expect(found, JSON.stringify(p.cluster)).toHaveLength(1);
  const d = found[0];
  expect(d).toMatchObject({ file: p.fb, ...where(p.tb, atB) });
  expect(d.related).toEqual([expect.objectContaining({ file: p.fa, ...where(p.ta, atA) })]);
  return d;
}

describe('cluster checks', () => {
  it('a matching master/backup pair has no cluster findings', () => {
    const p = pair(base, { ...base, prio: 100 });
    expect(p.cluster).toEqual([]);
    expect(p.r.exitCode).toBe(0);
    expect(p.r.valid).toBe(true);
  });

  it('version mismatch', () => {
    const p = pair({ ...base, auth: undefined, version: 2 }, { ...base, auth: undefined, prio: 100, version: 3 });
    const d = finding(p, 'cluster-mismatch', 'version', 'version');
    expect(d.severity).toBe('error');
    expect(d.message).toContain(p.fa);
    expect(d.message).toContain('version');
    expect(p.r.exitCode).toBe(1);
  });

  it('advert_int mismatch', () => {
    const p = pair(base, { ...base, prio: 100, advert: '2' });
    expect(finding(p, 'cluster-mismatch', 'advert_int', 'advert_int').message).toContain('advert_int');
  });

  it('auth_type and auth_pass mismatches (auth_pass compared on its first 8 bytes)', () => {
    const t = pair(base, { ...base, prio: 100, auth: ['AH', 'secret'] });
    expect(finding(t, 'cluster-mismatch', 'auth_type', 'auth_type').message).toContain('auth_type');
    const pw = pair(base, { ...base, prio: 100, auth: ['PASS', 'other'] });
    expect(finding(pw, 'cluster-mismatch', 'auth_pass', 'auth_pass').message).toContain('auth_pass');
    // Only the first 8 characters go on the wire, so these two passwords are equal in effect.
    const long = pair({ ...base, auth: ['PASS', '12345678a'] }, { ...base, prio: 100, auth: ['PASS', '12345678b'] });
    expect(long.cluster).toEqual([]);
  });

  it('virtual_ipaddress set mismatch, but not a mere reordering', () => {
    const p = pair({ ...base, vips: ['192.0.2.10/24', '192.0.2.11/24'] }, { ...base, prio: 100, vips: ['192.0.2.10/24', '192.0.2.12/24'] });
    expect(finding(p, 'cluster-mismatch', 'virtual_ipaddress', 'virtual_ipaddress').message).toContain('192.0.2.12');
    const same = pair({ ...base, vips: ['192.0.2.10/24', '192.0.2.11/24'] }, { ...base, prio: 100, vips: ['192.0.2.11/24', '192.0.2.10/24'] });
    expect(same.cluster).toEqual([]);
  });

  it('virtual_routes mismatch', () => {
    const route = (via: string) => [`198.51.100.0/24 via ${via} dev eth0`];
    const p = pair({ ...base, routes: route('192.0.2.1') }, { ...base, prio: 100, routes: route('192.0.2.254') });
    expect(finding(p, 'cluster-mismatch', 'virtual_routes', 'virtual_routes').message).toContain('virtual_routes');
  });

  it('unicast peers that do not point at each other', () => {
    const ok = pair({ ...base, src: '192.0.2.1', peers: ['192.0.2.2'] }, { ...base, prio: 100, src: '192.0.2.2', peers: ['192.0.2.1'] });
    expect(ok.cluster).toEqual([]);
    const p = pair({ ...base, src: '192.0.2.1', peers: ['192.0.2.2'] }, { ...base, prio: 100, src: '192.0.2.2', peers: ['192.0.2.9'] });
    const d = finding(p, 'cluster-unicast', 'unicast_peer', 'unicast_src_ip');
    expect(d.severity).toBe('error');
    expect(d.message).toContain('192.0.2.1');
  });

  it('a node on multicast while its peer uses unicast', () => {
    const p = pair({ ...base, src: '192.0.2.1', peers: ['192.0.2.2'] }, { ...base, prio: 100 });
    const found = p.cluster.filter((d) => d.code === 'cluster-unicast');
    expect(found).toEqual([expect.objectContaining({ severity: 'error', file: p.fb, ...where(p.tb, 'vrrp_instance') })]);
    expect(found[0].message).toContain('multicast');
  });

  it('equal priorities', () => {
    const p = pair(base, base);
    const d = finding(p, 'cluster-equal-priority', 'priority', 'priority');
    expect(d.severity).toBe('warning');
    expect(d.message).toContain(p.fa);
    expect(p.r.exitCode).toBe(0);
    expect(validateFiles([p.fa, p.fb], { strict: true }).exitCode).toBe(1);
  });

  it('two nodes both MASTER with nopreempt', () => {
    const p = pair({ ...base, state: 'MASTER', nopreempt: true }, { ...base, prio: 100, state: 'MASTER', nopreempt: true });
    const d = finding(p, 'cluster-nopreempt-masters', 'vrrp_instance', 'vrrp_instance');
    expect(d.severity).toBe('error');
  });

  it('nopreempt on one node only names both files', () => {
    const p = pair({ ...base, nopreempt: true }, { ...base, prio: 100 });
    const found = p.cluster.filter((d) => d.code === 'cluster-nopreempt-partial');
    expect(found).toEqual([expect.objectContaining({ severity: 'warning', file: p.fb, ...where(p.tb, 'vrrp_instance') })]);
    expect(found[0].message).toContain(p.fa);
    expect(found[0].message).toContain(p.fb);
  });

  it('a VRID only one node has', () => {
    const p = pair({ ...base, vrid: 51 }, { ...base, prio: 100, vrid: 52 });
    const found = p.cluster.filter((d) => d.code === 'cluster-single-node');
    expect(found.map((d) => [d.file, d.line, d.severity])).toEqual([
      [p.fa, where(p.ta, 'vrrp_instance').line, 'warning'],
      [p.fb, where(p.tb, 'vrrp_instance').line, 'warning'],
    ]);
  });

  it('does not cross-check a single file, and an unreadable node fails with exit 2', () => {
    const one = validateFiles([write('solo.conf', nodeConf(base))]);
    expect(one.diagnostics.filter((d) => d.code.startsWith('cluster-'))).toEqual([]);
    const r = validateFiles([write('a.conf', nodeConf(base)), join(root, 'no-such.conf')]);
    expect(r.exitCode).toBe(2);
    expect(r.diagnostics.filter((d) => d.code === 'file-unreadable')).toEqual([expect.objectContaining({ file: join(root, 'no-such.conf') })]);
  });

  it('clusterFiles lists the regular, non-hidden files of a directory, sorted', () => {
    const dir = join(root, 'clusterdir');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (const f of ['lb2.conf', 'lb1.conf', '.hidden']) writeFileSync(join(dir, f), nodeConf(base));
    expect(clusterFiles(dir)).toEqual([join(dir, 'lb1.conf'), join(dir, 'lb2.conf')]);
  });
});

describe('validateFiles verdict', () => {
  const clean = nodeConf(base);
  const warnOnly = nodeConf(base).replace('  priority 150', '  priority 150\n  priority 150'); // duplicate-keyword warning
  const broken = nodeConf(base).replace('  priority 150', '  priority 999');

  it('has the documented shape', () => {
    const r = validateFiles([write('k.conf', broken)]);
    expect(Object.keys(r).sort()).toEqual(['diagnostics', 'errors', 'exitCode', 'files', 'sources', 'valid', 'warnings']);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(typeof d.file).toBe('string');
      expect(['error', 'warning']).toContain(d.severity);
      expect(Number.isInteger(d.line) && Number.isInteger(d.column)).toBe(true);
      expect(typeof d.code === 'string' && typeof d.message === 'string').toBe(true);
      expect(Object.keys(d).every((k) => ['severity', 'code', 'file', 'line', 'column', 'message', 'suggestion', 'related'].includes(k))).toBe(true);
    }
    expect(JSON.parse(JSON.stringify({ ...r, sources: undefined })).errors).toBe(r.errors);
  });

  it('exit 0 when clean, and also with warnings only', () => {
    const c = validateFiles([write('c.conf', clean)]);
    expect([c.exitCode, c.valid, c.errors, c.warnings]).toEqual([0, true, 0, 0]);
    const w = validateFiles([write('w.conf', warnOnly)]);
    expect([w.exitCode, w.valid, w.errors, w.warnings]).toEqual([0, true, 0, 1]);
  });

  it('--strict makes warnings fail with exit 1', () => {
    const w = validateFiles([write('w.conf', warnOnly)], { strict: true });
    expect([w.exitCode, w.valid]).toEqual([1, false]);
    expect(validateFiles([write('c.conf', clean)], { strict: true }).exitCode).toBe(0);
  });

  it('exit 1 on errors', () => {
    const r = validateFiles([write('b.conf', broken)]);
    expect([r.exitCode, r.valid]).toEqual([1, false]);
    expect(r.diagnostics.find((d) => d.code === 'value-out-of-range')).toMatchObject({ line: where(broken, 'priority').line, column: 12 });
  });

  it('exit 2 when a file cannot be read at all', () => {
    const r = validateFiles([join(root, 'missing.conf')]);
    expect([r.exitCode, r.valid]).toEqual([2, false]);
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: 'file-unreadable', severity: 'error' })]);
  });

  it('reads - from the injected stdin as <stdin>', () => {
    const r = validateFiles(['-'], { stdin: () => broken });
    expect(r.exitCode).toBe(1);
    expect(r.diagnostics.every((d) => d.file === '<stdin>')).toBe(true);
    expect(r.sources.get('<stdin>')).toBe(broken);
    const bad = validateFiles(['-'], {
      stdin: () => {
        throw new Error('EIO');
      },
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.diagnostics).toEqual([expect.objectContaining({ code: 'file-unreadable', file: '<stdin>' })]);
  });

  it('applies the config id to @ lines', () => {
    const text = '@lb1 $P=150\n@lb2 $P=100\n' + nodeConf(base).replace('priority 150', 'priority $P');
    const f = write('id.conf', text);
    const a = validateFiles([f], { configId: 'lb1' });
    expect(a.exitCode).toBe(0);
    const none = validateFiles([f], { configId: 'other' });
    expect(none.diagnostics.map((d) => d.code)).toContain('invalid-number');
  });
});
