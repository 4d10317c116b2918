// The pure core of `keepalivedctl init`: the template language, answers and defaults from the keyword
// table, and every template rendered with several answer sets into configs our validator passes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/config/validate.js';
import { renderNodes, resolveAnswers } from '../../src/wizard/answers.js';
import { checkItem, defaultFor, freeVrid, makeRandomPassword, splitHostPort, type WizardEnv } from '../../src/wizard/params.js';
import { render } from '../../src/wizard/render.js';
import { questionFlags } from '../../src/wizard/flags.js';
import { checkTemplate, listTemplates, loadTemplate, type LoadedTemplate } from '../../src/wizard/template.js';
import { checkVipOnHost } from '../../src/wizard/vipcheck.js';
import { cases } from './cases.js';

const dir = mkdtempSync(join(tmpdir(), 'kawiz-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (over: Partial<WizardEnv> = {}): WizardEnv => ({ usedVrids: new Set([1, 2, 51]), randomPassword: () => 'Rnd8Pass', hostIfs: [], ...over });

function tpl(name: string): LoadedTemplate {
  const r = loadTemplate(name);
  if (!r.ok) throw new Error(r.error);
  return r.template;
}

describe('render', () => {
  it('fills placeholders, loops and conditionals, and drops lines that hold only a section tag', () => {
    const t = ['a {{x}}', '{{#if list}}', 'list {', '{{#each list}}', '  {{.}}', '{{/each}}', '}', '{{/if}}', '{{#unless list}}', 'none', '{{/unless}}', 'end', ''].join('\n');
    expect(render(t, { x: 'one', list: ['p', 'q'] })).toEqual({ ok: true, text: 'a one\nlist {\n  p\n  q\n}\nend\n' });
    expect(render(t, { x: 2, list: [] })).toEqual({ ok: true, text: 'a 2\nnone\nend\n' });
  });
  it('reads record fields in loops, falls back to the outer context, and supports else', () => {
    const t = '{{#each rs}}{{.addr}}:{{.port}} {{#if .w}}w{{.w}}{{else}}{{dflt}}{{/if}}\n{{/each}}';
    const r = render(t, { rs: [{ addr: '192.0.2.1', port: '80', w: '2' }, { addr: '192.0.2.2', port: '81' }], dflt: 'd' });
    expect(r).toEqual({ ok: true, text: '192.0.2.1:80 w2\n192.0.2.2:81 d\n' });
  });
  it('collapses blank lines left by dropped sections', () => {
    expect(render('a\n\n{{#if no}}\nx\n{{/if}}\n\nb\n', {})).toEqual({ ok: true, text: 'a\n\nb\n' });
  });
  it('reports template mistakes with the line, never throws', () => {
    expect(render('a\n{{#if x}}\nb\n', { x: true }, 't')).toEqual({ ok: false, error: 't:2: {{#if x}} is never closed' });
    expect(render('a\n{{/each}}\n', {}, 't')).toEqual({ ok: false, error: 't:2: {{/each}} does not close an open section' });
    expect(render('{{#if a}}\n\n{{missing}}\n{{/if}}', { a: 1 }, 't')).toEqual({ ok: false, error: 't:3: {{missing}} has no printable value' });
    expect(render('{{}}', {}, 't').ok).toBe(false);
  });
});

describe('templates', () => {
  it('every template loads, and every question feeds a keyword of the table', () => {
    for (const { name } of listTemplates()) expect(loadTemplate(name).ok, name).toBe(true);
  });
  it('a template with a keyword the table lacks, a choice the keyword refuses or a missing file is reported', () => {
    const spec = {
      name: 'bad',
      description: '',
      nodes: [{ name: 'n1', file: 'n1.conf', source: 'gone.tmpl' }],
      params: [
        { name: 'a', question: 'A', type: 'int' as const, feeds: 'vrrp_instance priorty' },
        { name: 'b', question: 'B', type: 'enum' as const, feeds: 'virtual_server lvs_sched', choices: ['fastest'] },
        { name: 'c', question: 'C', type: 'word' as const, feeds: 'root vrrp_instance', when: 'later' },
      ],
    };
    expect(checkTemplate(spec, {})).toEqual([
      "template bad: question a feeds 'vrrp_instance priorty', which is not in the keyword table",
      'template bad: question b offers fastest, which virtual_server lvs_sched does not accept',
      'template bad: question c depends on later, which is not asked before it',
      'template bad: node n1 has no file gone.tmpl',
    ]);
  });
  it('one flag per distinct question, lists repeatable', () => {
    const flags = questionFlags();
    const names = new Set(listTemplates().flatMap(({ name }) => tpl(name).params.map((p) => p.name.replaceAll('_', '-'))));
    expect(new Set(flags.map((f) => f.flag))).toEqual(names);
    expect(flags.find((f) => f.flag === 'real-server')?.multiple).toBe(true);
    expect(flags.find((f) => f.flag === 'vip')?.multiple).toBe(false);
  });
});

describe('questions and the keyword table', () => {
  const ab = tpl('active-backup');
  const q = (n: string) => ab.params.find((p) => p.name === n)!;
  it('checks values against the table: VRID and priority ranges, address shapes, password length', () => {
    expect(checkItem(q('vrid'), '256')).toMatch(/out of range \(1-255\)/);
    expect(checkItem(q('vrid'), '0x10')).toBeUndefined();
    expect(checkItem(q('priority'), '0')).toMatch(/out of range/);
    expect(checkItem(q('vip'), '192.0.2.300/24')).toMatch(/not an address/);
    expect(checkItem(q('vip'), '192.0.2.10/33')).toMatch(/not an address/);
    expect(checkItem(q('auth_pass'), 'abcdefghi')).toMatch(/longer than 8/);
    expect(checkItem(q('auth_pass'), 'ab cd')).toMatch(/blanks/);
    expect(checkItem(q('notify_script'), 'notify.sh')).toMatch(/absolute path/);
    expect(checkItem(q('peer'), '2001:db8::1', { vip: '192.0.2.10/24' })).toMatch(/not an IPv4 address/);
  });
  it('takes defaults from the table when the template gives none (backup priority 100), else the template', () => {
    expect(defaultFor(q('backup_priority'), {}, env())).toBe('100');
    expect(defaultFor(q('priority'), {}, env())).toBe('150');
    expect(defaultFor(q('instance'), {}, env())).toBe('VI_1');
    expect(defaultFor(q('auth_pass'), {}, env())).toBe('Rnd8Pass');
  });
  it('suggests the lowest VRID not in use, distinct for two routers', () => {
    expect(freeVrid(new Set([1, 2, 3]), {})).toBe('4');
    const aa = tpl('active-active');
    const r = resolveAnswers(aa, { interface: 'eth0', vip: '192.0.2.10/24', vip2: '192.0.2.11/24' }, env());
    expect(r.problems).toEqual([]);
    expect([r.answers.vrid, r.answers.vrid2]).toEqual(['3', '4']);
    const full = new Set(Array.from({ length: 255 }, (_, i) => i + 1));
    expect(freeVrid(full, {})).toBeUndefined();
  });
  it('random passwords are 8 letters/digits from the given bytes', () => {
    let seed = 7;
    const gen = makeRandomPassword((n) => Uint8Array.from({ length: n }, () => (seed = (seed * 131 + 17) % 256)));
    const a = gen();
    expect(a).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(gen()).not.toBe(a);
  });
  it('host:port parsing for IPv4, bracketed IPv6 and bare IPv6', () => {
    expect(splitHostPort('192.0.2.1:80')).toEqual({ host: '192.0.2.1', port: '80' });
    expect(splitHostPort('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: '443' });
    expect(splitHostPort('2001:db8::1')).toEqual({ host: '2001:db8::1' });
  });
  it('VIPs on the host: the subnet prefix is filled in, outside the subnets is an error, in use is a warning', () => {
    const hostIfs = [{ name: 'eth0', addrs: [{ addr: '192.0.2.2', prefix: 24, family: 4 as const }, { addr: 'fe80::1', prefix: 64, family: 6 as const }] }];
    expect(checkVipOnHost('192.0.2.100', 'eth0', hostIfs)).toEqual({ vip: '192.0.2.100/24', warnings: [] });
    expect(checkVipOnHost('198.51.100.1/24', 'eth0', hostIfs).error).toMatch(/not in a subnet of eth0 \(192.0.2.2\/24\)/);
    expect(checkVipOnHost('192.0.2.2/24', 'eth0', hostIfs).warnings[0]).toMatch(/already in use/);
    expect(checkVipOnHost('2001:db8::10/64', 'eth0', hostIfs)).toEqual({ vip: '2001:db8::10/64', warnings: [] });
    expect(checkVipOnHost('198.51.100.1', 'eth9', hostIfs)).toEqual({ vip: '198.51.100.1', warnings: [] });
  });
  it('lists one line per missing required answer, naming the flag and the question', () => {
    const r = resolveAnswers(tpl('lvs-dr'), {}, env());
    expect(r.problems).toEqual([
      'missing answer: --interface (Network interface the virtual IP lives on)',
      'missing answer: --vip (Virtual IP address (ADDR/PREFIX) the active node holds)',
      'missing answer: --real-server (Real servers, ADDR[:PORT][,WEIGHT] each)',
    ]);
  });
});

describe('every template renders into configs our validator passes (as one cluster)', () => {
  it('covers every template', () => {
    expect(Object.keys(cases).sort()).toEqual(listTemplates().map((t) => t.name));
  });
  for (const [name, sets] of Object.entries(cases)) {
    sets.forEach((given, k) => {
      it(`${name} #${k + 1}`, () => {
        const t = tpl(name);
        const r = resolveAnswers(t, given, env());
        expect(r.problems).toEqual([]);
        const out = renderNodes(t, r.answers);
        if (!out.ok) throw new Error(out.error);
        expect(out.nodes.map((n) => n.file)).toEqual(t.nodes.map((n) => n.file));
        const files = out.nodes.map((n) => {
          const p = join(dir, `${name}-${k}-${n.file}`);
          writeFileSync(p, n.text);
          return p;
        });
        const v = validateFiles(files);
        expect(v.diagnostics.map((d) => `${d.file}:${d.line} ${d.code} ${d.message}`)).toEqual([]);
        const [a, b] = out.nodes.map((n) => n.text);
        // Node 1 is MASTER of the first VIP with the higher priority; templates share VIP and VRID.
        expect(a).toMatch(new RegExp(`state MASTER\\n\\s+interface ${given.interface}\\n\\s+virtual_router_id ${r.answers.vrid}\\n\\s+priority ${r.answers.priority}\\n`));
        expect(b).toMatch(new RegExp(`state BACKUP\\n\\s+interface ${given.interface}\\n\\s+virtual_router_id ${r.answers.vrid}\\n\\s+priority ${r.answers.backup_priority}\\n`));
        for (const text of [a, b]) {
          expect(text).toContain(`${r.answers.vip} dev ${given.interface}`);
          expect(text).not.toMatch(/\{\{|\}\}|\n\n\n/);
        }
        const peers = r.answers.peer;
        if (Array.isArray(peers)) {
          expect(a).toContain(`unicast_src_ip ${peers[0]}\n    unicast_peer {\n        ${peers[1]}\n    }`);
          expect(b).toContain(`unicast_src_ip ${peers[1]}\n    unicast_peer {\n        ${peers[0]}\n    }`);
        } else expect(a).not.toContain('unicast');
      });
    });
  }
  it('active-active: each node is MASTER of one VIP', () => {
    const t = tpl('active-active');
    const r = resolveAnswers(t, cases['active-active'][0], env());
    const out = renderNodes(t, r.answers);
    if (!out.ok) throw new Error(out.error);
    const states = out.nodes.map((n) => [...n.text.matchAll(/state (\w+)/g)].map((m) => m[1]));
    expect(states).toEqual([['MASTER', 'BACKUP'], ['BACKUP', 'MASTER']]);
  });
  it('lvs: real servers get the virtual port, their weights, and the chosen checker', () => {
    const t = tpl('lvs-nat');
    const r = resolveAnswers(t, cases['lvs-nat'][1], env());
    const out = renderNodes(t, r.answers);
    if (!out.ok) throw new Error(out.error);
    const text = out.nodes[0].text;
    expect(text).toContain('virtual_server 198.51.100.10 443 {');
    expect(text).toContain('real_server 203.0.113.22 443 {');
    expect(text).toContain('digest 0123456789abcdef0123456789abcdef');
    expect(text).toContain('vrrp_sync_group VG_LVS');
    expect(text).not.toContain('TCP_CHECK');
    const r2 = resolveAnswers(t, cases['lvs-nat'][0], env());
    const out2 = renderNodes(t, r2.answers);
    if (!out2.ok) throw new Error(out2.error);
    expect(out2.nodes[0].text).toContain('real_server 203.0.113.22 8080 {\n        weight 3\n        TCP_CHECK {');
    expect(out2.nodes[0].text).not.toContain('VI_GW');
  });
  it('bad values are reported, one line each, and nothing is rendered from them', () => {
    const r = resolveAnswers(tpl('lvs-dr'), { interface: 'eth0', vip: '198.51.100.10/24', real_server: ['198.51.100.21:99999'], lb_algo: 'fastest', checker: 'PING' }, env());
    expect(r.problems).toEqual([
      "--lb-algo: scheduler 'fastest' is not one of rr, wrr, lc, wlc, lblc, sh, mh, dh, fo, ovf, lblcr, sed, nq, twos",
      "--real-server: port '99999' is out of range (0-65535)",
      "--checker: 'PING' is not one of TCP_CHECK, HTTP_GET",
    ]);
  });
});
