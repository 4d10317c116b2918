// The interactive wizard for real: `keepalivedctl init` in a tmux pseudo-terminal, inside a network
// namespace whose interfaces and addresses the wizard offers, answered prompt by prompt through each
// template; the files it writes pass our validator and real keepalived -t in that namespace.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/config/validate.js';
import { loadTemplate } from '../../src/wizard/template.js';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest } from '../helpers/oracle.js';
import { buildIfStale, cliPath, repoRoot } from './build.js';
import { answeredCount, currentPrompt, Tty } from './tty.js';

const haveTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const runnable = isRoot() && haveKeepalived() && haveTmux;

/** Typed answers by question name; a list is several attempts (all but the last are refused). '' takes the default. */
type Script = Record<string, string | string[]>;

const dir = mkdtempSync(join(tmpdir(), 'kawiz-tty-'));
let ns = '';

beforeAll(async () => {
  await buildIfStale();
  if (!runnable) return;
  ns = createNetns('wz');
  addVethPairs(ns, ['eth0', 'eth1']);
  ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0');
  ip('-n', ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'eth0', 'nodad');
  ip('-n', ns, 'addr', 'add', '203.0.113.254/24', 'dev', 'eth1');
}, 200_000);
afterAll(() => {
  if (ns) deleteNetns(ns);
  rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  code: number;
  /** The last screen. */
  screen: string;
  asked: string[];
  /** The screen each prompt showed, by question name, and after each refused value. */
  seen: Record<string, string>;
  refusals: string[];
}

/** Runs the wizard into `out` and answers each prompt from `script` (template choice under 'template'). */
async function wizard(template: string, script: Script, out: string, overwrite?: 'y' | 'n'): Promise<Outcome> {
  const t = loadTemplate(template);
  if (!t.ok) throw new Error(t.error);
  const tty = new Tty(`cd ${repoRoot} && ip netns exec ${ns} ${process.execPath} ${cliPath} init --out ${out}`);
  const asked: string[] = [];
  const seen: Record<string, string> = {};
  const refusals: string[] = [];
  try {
    let answered = 0;
    for (let step = 0; step < 60; step++) {
      const screen = await tty.waitFor((s) => {
        if (s.includes('KAWIZ-EXIT:')) return true;
        const lines = s.split('\n');
        const lastDone = lines.findLastIndex((l) => l.startsWith('✔ '));
        const lastAsk = lines.findLastIndex((l) => l.startsWith('? '));
        return answeredCount(s) === answered && lastAsk > lastDone;
      }, `prompt ${answered + 1}`);
      const code = /KAWIZ-EXIT:(\d+)/.exec(screen);
      if (code) return { code: Number(code[1]), screen, asked, seen, refusals };
      const p = currentPrompt(screen)!;
      let name: string;
      let attempts: string[];
      if (p.question.startsWith('Which setup')) [name, attempts] = ['template', [template]];
      else if (/ exists\. Overwrite it\?/.test(p.question)) [name, attempts] = ['overwrite', [overwrite ?? 'n']];
      else {
        const q = t.template.params.find((x) => p.question.startsWith(x.question));
        if (!q) throw new Error(`unexpected prompt '${p.question}'`);
        name = q.name;
        const a = script[q.name] ?? '';
        attempts = Array.isArray(a) ? a : [a];
      }
      asked.push(name);
      seen[name] = screen;
      for (let k = 0; k < attempts.length; k++) {
        const value = attempts[k];
        if (p.choices && value !== '') {
          const target = p.choices.indexOf(value);
          if (target < 0) throw new Error(`'${value}' is not offered by '${p.question}': ${p.choices.join(', ')}`);
          const d = target - (p.cursor ?? 0);
          for (let i = 0; i < Math.abs(d); i++) tty.keys(d > 0 ? 'Down' : 'Up');
        } else tty.type(value);
        tty.keys('Enter');
        if (k < attempts.length - 1) {
          // A refused value leaves an error line under the prompt; clear the input and try the next.
          refusals.push(await tty.waitFor((s) => s.split('\n').some((l) => l.startsWith('> ')), `refusal of '${value}'`));
          tty.keys('C-u');
        }
      }
      answered++;
    }
    throw new Error(`more than 60 prompts:\n${tty.screen()}`);
  } finally {
    tty.kill();
  }
}

/** The files the run wrote pass our validator (as one cluster) and keepalived -t in the namespace. */
function checkWritten(o: Outcome, files: string[]): void {
  expect(o.code, o.screen).toBe(0);
  expect(o.screen).toContain('Wrote 2 files:');
  expect(o.screen).toContain('2 files checked: 0 errors, 0 warnings');
  expect(o.screen).toContain('systemctl restart keepalived');
  for (const f of files) expect(existsSync(f), f).toBe(true);
  const v = validateFiles(files);
  expect(v.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`)).toEqual([]);
  for (const f of files) {
    const r = keepalivedTest(ns, f);
    expect({ f, rc: r.rc, raw: r.raw }).toEqual({ f, rc: 0, raw: '' });
  }
}

describe.skipIf(!runnable)('keepalivedctl init on a terminal (tmux)', () => {
  it('active-backup: offers the namespace interfaces, refuses a VIP outside eth0, fills the prefix, takes typed answers', async () => {
    const out = join(dir, 'ab');
    const o = await wizard(
      'active-backup',
      {
        interface: 'eth0',
        vip: ['198.51.100.5', '192.0.2.100'],
        priority: '200',
        peer: '192.0.2.11, 192.0.2.12',
        auth_pass: 'abc123',
        notify_email: 'ops@example.com',
        notify_script: '/usr/bin/true',
        track_interface: 'eth1',
        track_script: '/usr/bin/true',
      },
      out,
    );
    // The cursor starts on the first interface with an address.
    expect(o.seen.interface).toMatch(/^❯ eth0 {2}192\.0\.2\.1\/24 2001:db8::1\/64 fe80::\S+\/64$/m);
    expect(o.seen.interface).toMatch(/^ {2}eth1 {2}203\.0\.113\.254\/24/m);
    expect(o.seen.interface).toContain('  another interface (type its name)');
    expect(o.refusals).toHaveLength(1);
    expect(o.refusals[0]).toContain('> 198.51.100.5 is not in a subnet of eth0 (192.0.2.1/24)');
    // smtp_server is asked only because an email was given.
    expect(o.asked).toContain('smtp_server');
    checkWritten(o, [join(out, 'lb1.conf'), join(out, 'lb2.conf')]);
    const lb1 = readFileSync(join(out, 'lb1.conf'), 'utf8');
    expect(lb1).toContain('        192.0.2.100/24 dev eth0\n');
    expect(lb1).toContain('    priority 200\n');
    expect(lb1).toContain('    unicast_src_ip 192.0.2.11\n');
    expect(lb1).toContain('        auth_pass abc123\n');
    expect(lb1).toContain('    smtp_server 127.0.0.1\n');
    expect(lb1).toContain('    notify "/usr/bin/true"\n');
    expect(readFileSync(join(out, 'lb2.conf'), 'utf8')).toContain('    priority 100\n');
  }, 240_000);

  it('active-active: two VIPs, two distinct suggested VRIDs, a random 8-character password', async () => {
    const out = join(dir, 'aa');
    const o = await wizard('active-active', { interface: 'eth0', vip: '192.0.2.100/24', vip2: '192.0.2.101/24' }, out);
    expect(o.asked).not.toContain('smtp_server');
    checkWritten(o, [join(out, 'lb1.conf'), join(out, 'lb2.conf')]);
    const lb2 = readFileSync(join(out, 'lb2.conf'), 'utf8');
    const vrids = [...lb2.matchAll(/virtual_router_id (\d+)/g)].map((m) => m[1]);
    expect(new Set(vrids).size).toBe(2);
    expect(lb2).toMatch(/auth_pass [A-Za-z0-9]{8}\n/);
    expect(o.screen).toContain('Note: Spread clients over both nodes');
  }, 240_000);

  it('ipv6: an IPv6 VIP gets the /64 of eth0, VRRPv3 with a sub-second advert, no password question', async () => {
    const out = join(dir, 'v6');
    const o = await wizard('ipv6', { interface: 'eth0', vip: '2001:db8::100', advert_int: '0.5', peer: '2001:db8::11,2001:db8::12' }, out);
    expect(o.asked).not.toContain('auth_pass');
    checkWritten(o, [join(out, 'lb1.conf'), join(out, 'lb2.conf')]);
    const lb1 = readFileSync(join(out, 'lb1.conf'), 'utf8');
    expect(lb1).toContain('        2001:db8::100/64 dev eth0\n');
    expect(lb1).toContain('    version 3\n    advert_int 0.5\n');
  }, 240_000);

  it('lvs-nat: scheduler and checker from lists, HTTP check path, a gateway VIP on eth1', async () => {
    const out = join(dir, 'nat');
    const o = await wizard(
      'lvs-nat',
      { interface: 'eth0', vip: '192.0.2.10', lb_algo: 'wrr', real_server: '192.0.2.21 192.0.2.22:8080,2', checker: 'HTTP_GET', check_path: '/health', internal_interface: 'eth1', gateway_vip: '203.0.113.1' },
      out,
    );
    checkWritten(o, [join(out, 'director1.conf'), join(out, 'director2.conf')]);
    const d1 = readFileSync(join(out, 'director1.conf'), 'utf8');
    expect(d1).toContain('virtual_server 192.0.2.10 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind NAT\n');
    expect(d1).toContain('    real_server 192.0.2.22 8080 {\n        weight 2\n        HTTP_GET {\n            url {\n                path /health\n');
    expect(d1).toContain('        203.0.113.1/24 dev eth1\n');
  }, 240_000);

  it('lvs-dr: defaults everywhere but the real server; TCP_CHECK; then a second run declines to overwrite', async () => {
    const out = join(dir, 'dr');
    const o = await wizard('lvs-dr', { interface: 'eth0', vip: '192.0.2.20/24', real_server: '192.0.2.31' }, out);
    checkWritten(o, [join(out, 'director1.conf'), join(out, 'director2.conf')]);
    const d1 = readFileSync(join(out, 'director1.conf'), 'utf8');
    expect(d1).toContain('    lb_kind DR\n');
    expect(d1).toContain('        TCP_CHECK {\n');
    const again = await wizard('lvs-dr', { interface: 'eth0', vip: '192.0.2.21/24', real_server: '192.0.2.32' }, out, 'n');
    expect(again.code).toBe(1);
    expect(again.screen).toContain(`refusing to overwrite ${join(out, 'director1.conf')}; nothing written`);
    expect(readFileSync(join(out, 'director1.conf'), 'utf8')).toBe(d1);
  }, 240_000);
});
