// One small config per diagnostic code, each asserting code, severity, line and column; the
// did-you-mean hints; and that CODES lists exactly the codes the engine source emits.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostInfo } from '../../src/config/checks/host.js';
import { CODES } from '../../src/config/codes.js';
import { loadConfigText, MAX_DIAGNOSTICS } from '../../src/config/index.js';
import { findKeyword, keywordTable } from '../../src/config/keywords/index.js';
import { LIMITS } from '../../src/config/preprocess.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/** Text with one `§` marking where the diagnostic must point; returns the text without it and that position. */
function marked(src: string): { text: string; line: number; column: number } {
  const at = src.indexOf('§');
  if (at < 0 || src.indexOf('§', at + 1) >= 0) throw new Error('test config needs exactly one § marker');
  const before = src.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return { text: before + src.slice(at + 1), line, column };
}

/** A VRRP instance that is clean on its own; `body` goes after virtual_router_id. */
const VI = (body: string, name = 'VI_1', vrid = 51) =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n${body}\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
const STRICT = 'global_defs {\n  vrrp_strict\n}\n';
const AUTH = (type: string, pass = 'secret') => `  §authentication {\n    auth_type ${type}\n    auth_pass ${pass}\n  }`;
/** A virtual server keepalived -t accepts (it wants protocol, lb_algo and lb_kind); `body` goes after them. */
const VS = (body: string, head = '192.0.2.1 80', kind = 'NAT') =>
  `virtual_server ${head} {\n${head.startsWith('fwmark') ? '' : '  protocol TCP\n'}  lb_algo rr\n  lb_kind ${kind}\n${body}\n}\n`;

type Case = [code: string, severity: 'error' | 'warning', config: string];

const cases: Case[] = [
  ['advert-int-range', 'warning', VI('  version 3\n  §advert_int 50')],
  ['advert-int-v2', 'warning', VI('  §advert_int 1.5')],
  ['advert-int-v3', 'warning', VI('  version 3\n  §advert_int 0.015')],
  ['ah-initial-master', 'warning', VI('  §state MASTER\n  priority 100\n' + AUTH('AH').replace('§', ''))],
  // An IPv6 instance is VRRPv3 unless version 2 is explicit (then keepalived says AH cannot do IPv6).
  ['auth-ah-ipv6', 'warning', `vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 9\n  version 2\n${AUTH('AH')}\n  virtual_ipaddress {\n    2001:db8::10/64\n  }\n}\n`],
  ['auth-no-pass', 'warning', VI('  §authentication {\n    auth_type PASS\n  }')],
  ['auth-pass-truncated', 'warning', VI('  authentication {\n    auth_type PASS\n    §auth_pass 123456789\n  }')],
  ['auth-strict', 'warning', STRICT + VI(AUTH('PASS'))],
  ['auth-v3', 'warning', VI('  version 3\n' + AUTH('PASS'))],
  ['dr-port-mismatch', 'warning', VS('  §real_server 192.0.2.2 8080 {\n  }', '192.0.2.1 80', 'DR')],
  ['duplicate-keyword', 'warning', VI('  priority 100\n  §priority 101')],
  ['duplicate-name', 'error', 'vrrp_script chk {\n  script "/bin/true"\n}\nvrrp_script §chk {\n  script "/bin/true"\n}\n'],
  ['duplicate-real-server', 'error', VS('  real_server 192.0.2.2 80 {\n  }\n  §real_server 192.0.2.2 80 {\n  }')],
  ['duplicate-virtual-server', 'error', VS('  real_server 192.0.2.2 80 {\n  }') + '§' + VS('  real_server 192.0.2.3 80 {\n  }')],
  ['extra-argument', 'warning', VI('  priority 100 §extra')],
  ['extra-close-brace', 'error', 'global_defs {\n  router_id A\n}\n  §}\n'],
  ['fwmark-protocol', 'warning', VS('  §protocol TCP\n  real_server 192.0.2.2 80 {\n  }', 'fwmark 1')],
  ['invalid-address', 'error', VI('  unicast_src_ip §192.0.2.999')],
  ['invalid-interface', 'error', 'vrrp_instance VI_1 {\n  interface §eth0/1\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n'],
  ['invalid-number', 'error', VI('  priority §abc')],
  ['invalid-seq', 'error', 'global_defs {\n}\n  §~SEQ(i) x\n'],
  ['invalid-value', 'error', VI('  state §MASTR')],
  ['ipv6-needs-v3', 'warning', `${STRICT}vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 9\n  §version 2\n  virtual_ipaddress {\n    2001:db8::10/64\n  }\n}\n`],
  ['line-too-long', 'error', `global_defs {\n§  router_id ${'x'.repeat(LIMITS.lineLength)}\n}\n`],
  ['missing-argument', 'error', VI('  §priority')],
  ['missing-brace', 'error', 'global_defs {\n}\n§vrrp_instance VI_1\n'],
  ['missing-interface', 'error', '§vrrp_instance VI_1 {\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n'],
  ['missing-vrid', 'error', '§vrrp_instance VI_1 {\n  interface eth0\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n'],
  ['no-vip', 'warning', '§vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n}\n'],
  ['nopreempt-master', 'warning', VI('  state MASTER\n  priority 100\n  §nopreempt')],
  ['nopreempt-owner', 'warning', VI('  priority 255\n  §nopreempt')],
  ['preempt-delay-master', 'warning', VI('  state MASTER\n  priority 100\n  §preempt_delay 5')],
  ['preempt-delay-nopreempt', 'warning', VI('  nopreempt\n  §preempt_delay 5')],
  ['preempt-delay-strict', 'warning', STRICT + VI('  §preempt_delay 5')],
  ['bfd-no-neighbor', 'error', '§bfd_instance b1 {\n  source_ip 192.0.2.1\n}\n'],
  ['bfd-family', 'error', 'bfd_instance b1 {\n  neighbor_ip 192.0.2.2\n  §source_ip 2001:db8::1\n}\n'],
  ['bfd-max-hops', 'error', 'bfd_instance b1 {\n  neighbor_ip 192.0.2.2\n  ttl 10\n  §max_hops 20\n}\n'],
  ['bfd-name-too-long', 'error', `§bfd_instance b${'1'.repeat(31)} {\n  neighbor_ip 192.0.2.2\n}\n`],
  ['bfd-duplicate-neighbor', 'error', 'bfd_instance b1 {\n  neighbor_ip 192.0.2.2\n}\n§bfd_instance b2 {\n  neighbor_ip 192.0.2.2\n}\n'],
  ['quorum-unreachable', 'warning', VS('  §quorum 5\n  real_server 192.0.2.2 80 {\n    weight 1\n  }')],
  ['real-server-family', 'error', VS('  §real_server 2001:db8::2 80 {\n  }')],
  ['route-untracked', 'warning', VI('  virtual_routes {\n    §198.51.100.0/24 via 192.0.2.1\n  }')],
  ['rule-no-preference', 'warning', VI('  virtual_rules {\n    §from 192.0.2.1 table 100\n  }')],
  // keepalived notices a missing script at the block's closing brace and reports that line.
  ['script-missing', 'warning', 'vrrp_script chk {\n  interval 2\n§}\n'],
  ['script-unused', 'warning', '§vrrp_script chk {\n  script "/bin/true"\n}\n'],
  ['strict-state-owner', 'warning', STRICT + VI('  §state MASTER\n  priority 100')],
  ['strict-unicast', 'warning', STRICT + VI('  unicast_src_ip 192.0.2.1\n  §unicast_peer {\n    192.0.2.2\n  }')],
  ['substitution-loop', 'error', '$A=$B\n$B=$A\n§k $A\n'],
  ['sync-group-empty', 'warning', '§vrrp_sync_group G {\n  group {\n    NOPE\n  }\n}\n'],
  ['sync-group-member-twice', 'error', `${VI('', 'VI_1', 1)}${VI('', 'VI_2', 2)}${VI('', 'VI_3', 3)}vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n}\nvrrp_sync_group G2 {\n  group {\n    §VI_1\n    VI_3\n  }\n}\n`],
  ['sync-group-single', 'warning', `${VI('')}§vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n`],
  ['track-script-removed', 'warning', 'vrrp_script chk {\n  interval 2\n}\n' + VI('  track_script {\n    §chk\n  }')],
  ['unclosed-block', 'error', 'global_defs {\n}\n§vrrp_instance VI_1 {\n  interface eth0\n'],
  ['undefined-reference', 'error', VI('  track_script {\n    §nope\n  }')],
  ['unexpected-brace', 'error', 'global_defs {\n}\n  §{\n}\n'],
  ['unicast-peer-family', 'error', VI('  unicast_src_ip 192.0.2.1\n  unicast_peer {\n    §2001:db8::2\n  }')],
  ['unknown-keyword', 'error', VI('  §priorty 100')],
  ['unknown-option', 'error', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1/24 dev eth0 §no_trak\n  }\n}\n'],
  ['unterminated-quote', 'error', 'vrrp_script chk {\n  script §"/bin/true\n}\n'],
  ['value-out-of-range', 'error', VI('  priority §300')],
  ['vip-family-mix', 'warning', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1/24\n    §2001:db8::1/64\n  }\n}\n'],
  ['vrid-collision', 'error', VI('', 'VI_1', 7) + VI('', 'VI_2', 7).replace('  virtual_router_id', '  §virtual_router_id')],
  // keepalived -t: "no protocol set - defaulting to UDP", "no scheduler set", "no forwarding method set".
  ['vs-no-protocol', 'error', '§' + VS('  real_server 192.0.2.2 80 {\n  }').replace('  protocol TCP\n', '')],
  ['vs-no-real-servers', 'error', '§' + VS('  delay_loop 6')],
  ['vs-no-scheduler', 'error', '§' + VS('  real_server 192.0.2.2 80 {\n  }').replace('  lb_algo rr\n', '')],
  ['vs-no-forwarding-method', 'error', '§' + VS('  real_server 192.0.2.2 80 {\n  }').replace('  lb_kind NAT\n', '')],
];

function diagsOf(text: string, host?: HostInfo) {
  return loadConfigText(text, 'case.conf', host ? { host } : {}).diagnostics;
}

describe('one config per diagnostic code', () => {
  it('the building blocks are clean on their own', () => {
    expect(diagsOf(VI('  priority 100'))).toEqual([]);
    expect(diagsOf(VS('  real_server 192.0.2.2 80 {\n  }'))).toEqual([]);
  });

  it.each(cases)('%s (%s)', (code, severity, config) => {
    const { text, line, column } = marked(config);
    const found = diagsOf(text).filter((d) => d.code === code);
    expect(found.map((d) => ({ severity: d.severity, file: d.file, line: d.line, column: d.column }))).toEqual([
      { severity, file: 'case.conf', line, column },
    ]);
    expect(found[0].message.length).toBeGreaterThan(10);
  });

  it('no-vip is an error for VRRPv3', () => {
    const { text, line, column } = marked('§vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  version 3\n}\n');
    expect(diagsOf(text).filter((d) => d.code === 'no-vip')).toEqual([expect.objectContaining({ severity: 'error', line, column })]);
  });

  it('deprecated-keyword: a deprecated keyword of vrrp_instance warns and suggests its replacement', () => {
    const dep = keywordTable.vrrp_instance.keywords!.find((k) => k.deprecated && k.args.every((a) => a.optional) && !k.block && !k.forms);
    expect(dep, 'the table has a deprecated argument-less vrrp_instance keyword').toBeDefined();
    const { text, line, column } = marked(VI(`  §${dep!.name}`));
    const found = diagsOf(text).filter((d) => d.code === 'deprecated-keyword');
    expect(found).toEqual([expect.objectContaining({ severity: 'warning', line, column })]);
    if (dep!.replacement) expect(found[0].suggestion).toBe(dep!.replacement);
  });

  it('config-too-large: stops reading past the generated-lines limit', () => {
    const saved = LIMITS.generatedLines;
    LIMITS.generatedLines = 50;
    try {
      const { text, line } = marked('global_defs {\n§~SEQ(i,1,100) router_id r$i\n}\n');
      const found = diagsOf(text).filter((d) => d.code === 'config-too-large');
      expect(found).toEqual([expect.objectContaining({ severity: 'error', line })]);
    } finally {
      LIMITS.generatedLines = saved;
    }
  });

  it('too-many-diagnostics: caps the list and says how many more there were', () => {
    const text = Array.from({ length: MAX_DIAGNOSTICS + 50 }, (_, i) => `bogus_keyword_${i}`).join('\n');
    const r = loadConfigText(text, 'many.conf');
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    const last = r.diagnostics[r.diagnostics.length - 1];
    expect(last).toMatchObject({ code: 'too-many-diagnostics', severity: 'error', file: 'many.conf', line: MAX_DIAGNOSTICS, column: 1 });
    expect(last.message).toContain('50');
  });
});

describe('--host checks with an injected HostInfo', () => {
  const host = (over: Partial<HostInfo> = {}): HostInfo => ({
    interfaces: () => new Set(['lo', 'eth0']),
    findExecutable: (p) => (p === '/usr/local/bin/check' ? p : undefined),
    userExists: () => true,
    ...over,
  });
  const tracked = (script: string, globals = '') =>
    `global_defs {\n${globals}}\nvrrp_script chk {\n  ${script}\n}\n` + VI('  track_script {\n    chk\n  }');
  const check = (code: string, severity: string, config: string, h: HostInfo) => {
    const { text, line, column } = marked(config);
    const found = diagsOf(text, h).filter((d) => d.code === code);
    expect(found).toEqual([expect.objectContaining({ severity, line, column })]);
    // Without --host none of these checks run.
    expect(diagsOf(text).some((d) => d.code === code)).toBe(false);
  };
  it('interface-missing', () => {
    check('interface-missing', 'error', VI('  track_interface {\n    §eth7\n  }'), host());
    check('interface-missing', 'error', 'vrrp_instance VI_1 {\n  §interface eth9\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n', host());
  });
  it('script-not-found', () => {
    check('script-not-found', 'warning', tracked('§script "/nonexistent/check arg"', '  enable_script_security\n'), host());
  });
  it('script-security', () => {
    const r = diagsOf(marked(tracked('§script "/usr/local/bin/check"')).text, host()).filter((d) => d.code === 'script-security');
    expect(r[0]?.suggestion).toBe('enable_script_security');
    check('script-security', 'error', tracked('§script "/usr/local/bin/check"'), host());
  });
  it('script-user-missing', () => {
    const text = tracked('script "/usr/local/bin/check"', '  enable_script_security\n').replace('global_defs', '§global_defs');
    check('script-user-missing', 'error', text, host({ userExists: () => false }));
    // With script_user set the default user is not needed.
    const withUser = tracked('script "/usr/local/bin/check"', '  enable_script_security\n  script_user nobody\n');
    expect(diagsOf(withUser, host({ userExists: () => false })).some((d) => d.code === 'script-user-missing')).toBe(false);
  });
});

describe('did you mean', () => {
  it('suggests priority for priorty in vrrp_instance', () => {
    const d = diagsOf(VI('  priorty 100')).find((x) => x.code === 'unknown-keyword')!;
    expect(d.suggestion).toBe('priority');
    expect(d.message).toContain("did you mean 'priority'");
  });
  it('says where priority belongs when it is written in global_defs', () => {
    const d = diagsOf('global_defs {\n  priority 100\n}\n').find((x) => x.code === 'unknown-keyword')!;
    expect(d).toMatchObject({ line: 2, column: 3 });
    expect(d.message).toMatch(/'priority' belongs in .*vrrp_instance/);
  });
  it('suggests a defined vrrp_script name for a misspelt track_script', () => {
    const text = 'vrrp_script chk_haproxy {\n  script "/bin/true"\n}\n' + VI('  track_script {\n    chk_hapoxy\n  }');
    const d = diagsOf(text).find((x) => x.code === 'undefined-reference')!;
    expect(d.suggestion).toBe('chk_haproxy');
  });
  it('suggests an option name and the right case of an enum value', () => {
    const opt = diagsOf('vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1/24 dve eth0\n  }\n}\n').find((x) => x.code === 'unknown-option');
    expect(opt?.suggestion).toBe('dev');
    const en = diagsOf(VI('  state master')).find((x) => x.code === 'invalid-value');
    expect(en?.suggestion).toBe('MASTER');
  });
  it('gives no suggestion for a word unlike any keyword', () => {
    const d = diagsOf(VI('  zzzzqqqq 1')).find((x) => x.code === 'unknown-keyword')!;
    expect(d.suggestion).toBeUndefined();
    expect(d.message).not.toContain('did you mean');
  });
  it('the table knows every keyword the cases rely on', () => {
    for (const k of ['priority', 'advert_int', 'nopreempt', 'preempt_delay', 'unicast_src_ip', 'track_script', 'authentication']) {
      expect(findKeyword('vrrp_instance', k), k).toBeDefined();
    }
  });
});

/** Every .ts file under dir, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The code strings in the code position of sink.error/warn/add calls and `code:` fields. */
function emittedCodes(text: string): Set<string> {
  const out = new Set<string>();
  const quoted = (expr: string) => {
    for (const m of expr.matchAll(/'([^']+)'/g)) out.add(m[1]);
  };
  for (const m of text.matchAll(/\bsink\.(?:error|warn)\(\s*((?:'[^'\n]*'|[^,'\n;])+),/g)) quoted(m[1]);
  for (const m of text.matchAll(/\bsink\.add\(\s*[^,\n]+,\s*((?:'[^'\n]*'|[^,'\n;])+),/g)) quoted(m[1]);
  for (const m of text.matchAll(/\bcode:\s*'([^']+)'/g)) out.add(m[1]);
  return out;
}

describe('CODES', () => {
  const all = new Set<string>();
  // src/bfd/config.ts is the one bfd_instance reader: its issues carry their codes (checks/bfd.ts).
  for (const f of [...sources(join(repoRoot, 'src', 'config')), join(repoRoot, 'src', 'bfd', 'config.ts')]) for (const c of emittedCodes(readFileSync(f, 'utf8'))) all.add(c);

  it('lists every code emitted in src/config', () => {
    expect(all.size).toBeGreaterThan(60);
    expect([...all].filter((c) => !(c in CODES))).toEqual([]);
  });
  it('lists no code that nothing emits', () => {
    expect(Object.keys(CODES).filter((c) => !all.has(c))).toEqual([]);
  });
  it('has a description for each code, and codes are kebab-case', () => {
    for (const [code, doc] of Object.entries(CODES)) {
      expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(doc.length).toBeGreaterThan(5);
    }
  });
  it('every code the cases produce is listed', () => {
    for (const [, , config] of cases) for (const d of diagsOf(marked(config).text)) expect(CODES, d.code).toHaveProperty([d.code]);
  });
  it('covers every non-cluster code in a case here or in the preprocess/host tests', () => {
    const here = new Set([...cases.map((c) => c[0]), 'no-vip', 'deprecated-keyword', 'config-too-large', 'too-many-diagnostics']);
    const elsewhere = ['include-cycle', 'include-depth', 'include-missing', 'include-no-match', 'include-skipped', 'include-unreadable', 'file-unreadable'];
    const host = ['interface-missing', 'script-not-found', 'script-security', 'script-user-missing'];
    const missing = Object.keys(CODES).filter((c) => !c.startsWith('cluster-') && !here.has(c) && !elsewhere.includes(c) && !host.includes(c));
    expect(missing).toEqual([]);
  });
});
