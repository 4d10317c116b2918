// The daemon runs past the config errors keepalived 2.2.7 runs past (src/config/runtime-fate.ts),
// with keepalived's fallback, and refuses the ones keepalived exits on. The config engine keeps
// reporting every one of them as an error (validate, -t).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CODES } from '../../src/config/codes.js';
import { loadConfig } from '../../src/config/index.js';
import { RUNTIME_FATE, runtimeFates, type Fate } from '../../src/config/runtime-fate.js';
import type { ChildStart } from '../../src/daemon/ipc.js';
import { buildVrrpPlan, type VrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpService } from '../../src/daemon/vrrp-service.js';
import { FWD } from '../../src/ipvs/genl-codec.js';
import { specsFromConfig, type VsSpec } from '../../src/ipvs/spec.js';
import { PROTO } from '../../src/ipvs/table.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'karpe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
function confFile(text: string): string {
  const f = join(dir, `k${seq++}.conf`);
  writeFileSync(f, text);
  return f;
}

const inst = (name: string, vrid: string, extra: string) =>
  `vrrp_instance ${name} {\n interface veth0\n virtual_router_id ${vrid}\n${extra} virtual_ipaddress {\n 192.0.2.${Number(vrid) || 9}\n }\n}\n`;
const vs = (body: string) => `virtual_server 192.0.2.80 80 {\n${body}}\n`;
const rs = ' real_server 198.51.100.1 80 {\n weight 1\n }\n';
const full = ' lb_algo rr\n lb_kind DR\n protocol TCP\n';

/** The VRRP service on fake net deps, loading the file through the daemon's own loader. */
function service(file: string) {
  const clock = new FakeClock();
  const start: ChildStart = {
    type: 'start', role: 'vrrp', configFile: file, configId: 'x', log: { console: true, detail: false },
    stateDir: join(dir, `st${seq++}`), daemonPid: 42, daemonVersion: '1.2.3', startedAt: '2026-01-01T00:00:00.000Z',
  };
  return new VrrpService(start, {
    openVrrpSocket: new FakeLan().opener('a'), announcer: new FakeAnnouncer(clock), rtnl: new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr: '192.0.2.1' }]),
    clock, log: memLogger(), onEvent: () => undefined,
  });
}

type InstStatus = { name: string; family?: number; advertIntMs?: number; syncGroup?: string | null; priority: { configured: number } };
async function runVrrp(file: string): Promise<{ ok: boolean; instances: InstStatus[] }> {
  const svc = service(file);
  const r = await svc.run();
  if (!r.ok) return { ok: false, instances: [] };
  const st = (await svc.rpc('status', {})) as { instances: InstStatus[] };
  await svc.stop();
  return { ok: true, instances: st.instances };
}

interface Row {
  code: string;
  /** the table's keyword (the line's, or its block's), for codes whose fate the handler decides */
  keyword?: string;
  fate: Fate;
  conf: string;
  /** keepalived's log line for it (null: the child that skips it logs it) */
  log: string | null;
  check: (r: { vrrp: InstStatus[]; specs: VsSpec[]; plan: VrrpPlan }) => void;
}

// One row per ran-past entry of RUNTIME_FATE (a test below keeps the two in step).
const ROWS: Row[] = [
  {
    code: 'value-out-of-range', keyword: 'priority', fate: 'fallback', conf: inst('VI_1', '51', ' priority 300\n'),
    log: '(VI_1) Priority not valid! must be between 1 & 255. Using default 100',
    check: ({ vrrp }) => expect(vrrp[0].priority.configured).toBe(100),
  },
  {
    code: 'invalid-number', keyword: 'priority', fate: 'fallback', conf: inst('VI_1', '51', ' priority high\n'),
    log: '(VI_1) Priority not valid! must be between 1 & 255. Using default 100',
    check: ({ vrrp }) => expect(vrrp[0].priority.configured).toBe(100),
  },
  {
    code: 'value-out-of-range', keyword: 'advert_int', fate: 'fallback', conf: inst('VI_1', '51', ' priority 150\n advert_int 300\n'),
    log: '(VI_1) Advert interval (300) not valid! Must be > 0 - ignoring',
    check: ({ vrrp }) => expect(vrrp[0]).toMatchObject({ advertIntMs: 1000, priority: { configured: 150 } }),
  },
  {
    code: 'invalid-number', keyword: 'advert_int', fate: 'fallback', conf: inst('VI_1', '51', ' advert_int often\n'),
    log: '(VI_1) Advert interval (often) not valid! Must be > 0 - ignoring',
    check: ({ vrrp }) => expect(vrrp[0].advertIntMs).toBe(1000),
  },
  {
    code: 'unknown-keyword', fate: 'skip', conf: inst('VI_1', '51', ' priorty 120\n'),
    log: "Unknown keyword 'priorty'",
    check: ({ vrrp }) => expect(vrrp[0].priority.configured).toBe(100),
  },
  {
    code: 'vs-no-scheduler', fate: 'fallback', conf: vs(' lb_kind DR\n protocol TCP\n' + rs),
    log: "Virtual server 192.0.2.80:80: no scheduler set, setting default 'wlc'",
    check: ({ specs }) => expect(specs.map((s) => s.sched)).toEqual(['wlc']),
  },
  {
    code: 'vs-no-forwarding-method', fate: 'fallback', conf: vs(' lb_algo rr\n protocol TCP\n' + rs),
    log: 'Virtual server 192.0.2.80:80: no forwarding method set, setting default NAT',
    check: ({ specs }) => expect(specs[0].realServers.map((r) => r.fwd)).toEqual([FWD.MASQ]),
  },
  {
    code: 'vs-no-protocol', fate: 'fallback', conf: vs(' lb_algo rr\n lb_kind DR\n' + rs),
    log: 'Virtual server 192.0.2.80:80: no protocol set - defaulting to UDP',
    check: ({ specs }) => expect(specs[0].services.map((s) => s.protocol)).toEqual([PROTO.UDP]),
  },
  {
    code: 'vs-no-real-servers', fate: 'skip', conf: vs(full) + `virtual_server 192.0.2.81 80 {\n${full}${rs}}\n`,
    log: 'Virtual server 192.0.2.80:80 has no real servers - ignoring',
    check: ({ specs }) => expect(specs.map((s) => s.services[0].addr)).toEqual(['192.0.2.81']),
  },
  {
    code: 'duplicate-real-server', fate: 'skip', conf: vs(full + rs + ' real_server 198.51.100.1 80 {\n weight 7\n }\n'),
    log: null,
    check: ({ specs }) => expect(specs[0].realServers.map((r) => r.weight)).toEqual([1]),
  },
  {
    code: 'real-server-family', fate: 'skip', conf: vs(full + rs + ' real_server 2001:db8::5 80 {\n weight 1\n }\n'),
    log: null,
    check: ({ specs }) => expect(specs[0].realServers.map((r) => r.addr)).toEqual(['198.51.100.1']),
  },
  // bfd_parser.c: a bad value is ignored (the default stays); the BFD child logs it in keepalived's words.
  ...([['value-out-of-range', '0.1'], ['invalid-number', 'often']] as const).map(([code, v]): Row => ({
    code, keyword: 'bfd_instance', fate: 'skip',
    conf: `bfd_instance b1 {\n neighbor_ip 192.0.2.9\n min_rx ${v}\n}\n` + inst('VI_1', '51', ' priority 110\n track_bfd {\n b1\n }\n'),
    log: null,
    check: ({ vrrp, plan }) => {
      expect(vrrp[0]).toMatchObject({ name: 'VI_1', priority: { configured: 110 } });
      expect(plan.instances[0].trackRefs).toEqual([{ kind: 'bfd', name: 'b1', weight: 0, reverse: false }]);
    },
  })),
  // global_parser.c: a bad process priority value is corrected or ignored; each child logs it
  // (process-priority.ts, its own test compares the words with keepalived -t's).
  ...(['vrrp', 'checker', 'bfd'] as const)
    .flatMap((p) => [[`${p}_priority`, '25'], [`${p}_rt_priority`, '0'], [`${p}_rlimit_rttime`, '0'], [`${p}_rlimit_rtime`, '0'], [`${p}_cpu_affinity`, '-1']])
    .concat([['max_auto_priority', '200'], ['min_auto_priority_delay', '0']])
    .flatMap(([kw, bad]) => ([['value-out-of-range', bad], ['invalid-number', 'often']] as const).map(([code, v]): Row => ({
      code, keyword: kw, fate: 'skip', conf: `global_defs {\n ${kw} ${v}\n}\n` + inst('VI_1', '51', ' priority 110\n'), log: null,
      check: ({ vrrp }) => expect(vrrp[0]).toMatchObject({ name: 'VI_1', priority: { configured: 110 } }),
    }))),
  // bfd_data.c / bfd_parser.c: the instance is disabled, ignored or adjusted; VRRP runs on.
  ...([
    ['bfd-no-neighbor', undefined, 'bfd_instance b1 {\n source_ip 192.0.2.1\n}\n'],
    ['bfd-family', undefined, 'bfd_instance b1 {\n neighbor_ip 192.0.2.9\n source_ip 2001:db8::1\n}\n'],
    ['bfd-max-hops', undefined, 'bfd_instance b1 {\n neighbor_ip 192.0.2.9\n ttl 10\n max_hops 20\n}\n'],
    ['bfd-name-too-long', undefined, 'bfd_instance b1 {\n neighbor_ip 192.0.2.9\n}\nbfd_instance b123456789012345678901234567890123 {\n neighbor_ip 192.0.2.8\n}\n'],
    ['bfd-duplicate-neighbor', undefined, 'bfd_instance b1 {\n neighbor_ip 192.0.2.9\n}\nbfd_instance b2 {\n neighbor_ip 192.0.2.9\n}\n'],
    ['duplicate-name', 'bfd_instance', 'bfd_instance b1 {\n neighbor_ip 192.0.2.9\n}\nbfd_instance b1 {\n neighbor_ip 192.0.2.8\n}\n'],
  ] as const).map(([code, keyword, bfd]): Row => ({
    code, ...(keyword ? { keyword } : {}), fate: 'skip',
    conf: bfd + inst('VI_1', '51', ' priority 110\n track_bfd {\n b1\n }\n'),
    log: null,
    check: ({ vrrp, plan }) => {
      expect(vrrp[0]).toMatchObject({ name: 'VI_1', priority: { configured: 110 } });
      expect(plan.instances[0].trackRefs).toEqual([{ kind: 'bfd', name: 'b1', weight: 0, reverse: false }]);
    },
  })),
  ...(['track_script', 'track_process', 'track_file', 'track_bfd'] as const).map((kw): Row => ({
    code: 'undefined-reference', keyword: kw, fate: 'skip', conf: inst('VI_1', '51', ` priority 110\n ${kw} {\n nosuch\n }\n`),
    log: null,
    check: ({ vrrp }) => expect(vrrp[0]).toMatchObject({ name: 'VI_1', priority: { configured: 110 } }),
  })),
  {
    code: 'undefined-reference', keyword: 'group', fate: 'skip',
    conf: inst('VI_1', '51', ' priority 120\n') + 'vrrp_sync_group G {\n group {\n VI_1\n VI_NONE\n VI_OK\n }\n}\n',
    log: "Virtual router VI_NONE specified in sync group G doesn't exist - ignoring",
    check: ({ vrrp }) => expect(vrrp[0]).toMatchObject({ name: 'VI_1', priority: { configured: 120 }, syncGroup: 'G' }),
  },
  {
    // VI_1 stays in G (named there first); H goes on with VI_2 alone.
    code: 'sync-group-member-twice', fate: 'skip',
    conf: inst('VI_1', '51', ' priority 120\n') + inst('VI_2', '52', ' priority 110\n') +
      'vrrp_sync_group G {\n group {\n VI_1\n }\n}\nvrrp_sync_group H {\n group {\n VI_1\n VI_2\n }\n}\n',
    log: 'Virtual router VI_1 cannot exist in more than one sync group; ignoring H',
    check: ({ vrrp }) => expect(vrrp.map((i) => [i.name, i.syncGroup])).toEqual([['VI_1', 'G'], ['VI_2', 'H']]),
  },
  {
    code: 'unicast-peer-family', fate: 'skip',
    conf: inst('VI_1', '51', ' priority 120\n unicast_src_ip 192.0.2.1\n unicast_peer {\n 192.0.2.2\n 2001:db8::2\n 192.0.2.3\n }\n'),
    log: 'Configuration error: VRRP instance[VI_1] and unicast peer address[2001:db8::2] MUST be of the same family !!! Skipping...',
    check: ({ vrrp, plan }) => {
      expect(vrrp[0]).toMatchObject({ name: 'VI_1', priority: { configured: 120 } });
      expect(plan.instances[0].unicastPeers.map((u) => u.addr)).toEqual(['192.0.2.2', '192.0.2.3']);
    },
  },
  {
    // The source falls back to the interface's address.
    code: 'unicast-peer-family', fate: 'skip',
    conf: inst('VI_1', '51', ' priority 120\n unicast_peer {\n 192.0.2.2\n }\n unicast_src_ip 2001:db8::1\n'),
    log: 'Configuration error: VRRP instance[VI_1] and src address[2001:db8::1] MUST be of the same family !!! Skipping...',
    check: ({ vrrp, plan }) => {
      expect(vrrp[0]).toMatchObject({ name: 'VI_1', family: 4 });
      expect(plan.instances[0].srcAddr).toBeUndefined();
    },
  },
];

describe('run past config errors as keepalived 2.2.7', () => {
  it.each(ROWS.map((r) => [`${r.code}${r.keyword ? ` (${r.keyword})` : ''}`, r] as const))('%s: reported, run past with keepalived\'s fallback', async (_n, row) => {
    // Every row also has a clean instance beside it: the rest of the config runs.
    const file = confFile(row.conf + inst('VI_OK', '60', ' priority 90\n'));
    const r = loadConfig(file, { configId: 'x' });
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errs.map((d) => d.code)).toEqual([row.code]); // validate / -t still report it
    const sorted = runtimeFates(errs, r.model.nodes);
    expect(sorted.fatal).toEqual([]);
    expect(sorted.ranPast.map((p) => [p.fate, p.log])).toEqual([[row.fate, row.log]]);
    const vrrp = await runVrrp(file);
    expect(vrrp.ok).toBe(true);
    expect(vrrp.instances.find((i) => i.name === 'VI_OK')?.priority.configured).toBe(90);
    const { specs } = specsFromConfig(r.model);
    row.check({ vrrp: vrrp.instances.filter((i) => i.name !== 'VI_OK'), specs, plan: buildVrrpPlan(r.model) });
  });

  it.each([
    ['value-out-of-range (virtual_router_id): keepalived\'s VRRP process exits', inst('VI_1', '300', '')],
    ['invalid-number (virtual_router_id)', inst('VI_1', 'x', '')],
    ['vrid-collision (check_vrid_conflicts)', inst('VI_1', '51', '') + inst('VI_2', '51', '')],
    ['missing-vrid', 'vrrp_instance VI_1 {\n interface veth0\n virtual_ipaddress {\n 192.0.2.7\n }\n}\n'],
    ['value-out-of-range of a keyword with no fallback in the table (version)', inst('VI_1', '51', ' version 4\n')],
    ['a code not in the table (invalid-address)', inst('VI_1', '51', ' mcast_src_ip nowhere\n')],
  ])('%s: refused, as now', async (_n, text) => {
    const file = confFile(text);
    const r = loadConfig(file, { configId: 'x' });
    expect(runtimeFates(r.diagnostics, r.model.nodes).fatal.length).toBeGreaterThan(0);
    expect((await runVrrp(file)).ok).toBe(false);
  });

  it('the table names real codes, and every entry keepalived runs past has a row above', () => {
    const covered = new Set(ROWS.map((r) => `${r.code}/${r.keyword ?? ''}`));
    for (const [code, rule] of Object.entries(RUNTIME_FATE)) {
      expect(CODES[code], code).toBeDefined();
      if ('fate' in rule) expect(rule.fate === 'exit' || covered.has(`${code}/`), code).toBe(true);
      else for (const kw of Object.keys(rule.byKeyword)) expect(covered.has(`${code}/${kw}`), `${code}/${kw}`).toBe(true);
    }
  });
});
