// keepalived's own sample configurations (../shared/keepalived-samples) under our daemon. Every
// VRRP-only sample (decided by content: no virtual_server) runs in a namespace of its own that has
// the interfaces it names (veth pairs, each with a TEST-NET-1 address and 2001:db8::/64, joined to
// nothing else). Many samples use addresses outside TEST-NET (192.168.200.x VIPs, routes, rules):
// that is fine here because the namespace is isolated (no route out, nothing bridged to the host),
// so nothing these daemons send or add leaves it. Our daemon must start and keep running, and every
// error it reports must be one keepalived 2.2.7 also reports for the same config in the same
// namespace (keepalived -t, then keepalived itself run briefly).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveKeepalived, KEEPALIVED } from '../helpers/oracle.js';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { alive, distBuilt, readPid, ROOT, startKeepalived, startOurs, status, stopProc, until } from './dump-harness.js';

const SAMPLES = join(ROOT, '..', 'shared', 'keepalived-samples');
const RUN_MS = 4000;

/** VRRP-only: no virtual_server (nor virtual_server_group) anywhere outside comments. */
export function vrrpOnly(text: string): boolean {
  const live = text.split('\n').map((l) => l.replace(/[#!].*$/, ''));
  return !live.some((l) => /\bvirtual_server(_group)?\b/.test(l));
}

/** Interfaces a config names: interface/dev arguments, track_interface entries, and eth0 (keepalived's
 * default_interface) for an instance without `interface`. */
export function interfacesOf(text: string): string[] {
  const live = text.split('\n').map((l) => l.replace(/[#!].*$/, '').replace(/^@\^?\S+\s+/, '').trim());
  const names = new Set<string>();
  let inTrack = false;
  let instanceHasIf = true;
  for (const l of live) {
    for (const m of l.matchAll(/\b(?:interface|dev)\s+([A-Za-z0-9_.:-]+)/g)) names.add(m[1]);
    if (/^track_interface\s*\{/.test(l)) inTrack = true;
    else if (inTrack && l.startsWith('}')) inTrack = false;
    else if (inTrack && l !== '') names.add(l.split(/\s+/)[0]);
    if (/^vrrp_instance\b/.test(l)) {
      if (!instanceHasIf) names.add('eth0');
      instanceHasIf = false;
    }
    if (/^interface\s/.test(l)) instanceHasIf = true;
  }
  if (!instanceHasIf) names.add('eth0');
  return [...names].filter((n) => n.length > 0 && n.length < 16).sort();
}

/** A line that reports a problem (either implementation's wording). */
const ERRORISH = /\b(error|errors|fail(ed|ure)?|cannot|can't|invalid|unable|uncaught|unhandled|exception|died|not found|doesn't exist|does not exist)\b/i;
/** Lines that only say the daemon runs, or say a check script/notify command itself failed (that
 * depends on the host's programs, not on the config: both implementations report them alike). */
const ROUTINE = /Script user|script security|Reload failed: 0|check .* failed|exited with status|returned \d+|timed out/i;
const lineRef = (l: string) => /Line (\d+)\)/.exec(l)?.[1];
/** The words of a log line after its prefixes (time, ident[pid], "(file: Line N)", "(VI_1.x)", "Warning -"). */
function words(l: string): Set<string> {
  const msg = l.replace(/^.*?\]: /, '').replace(/^\w{3} \w{3} [ \d]\d [\d:]+ \d{4}: /, '').replace(/^\([^)]*\) /, '').replace(/^warning\s*-\s*/i, '');
  return new Set(msg.toLowerCase().split(/[^a-z0-9./:_-]+/).filter((w) => w.length > 0));
}
/** Two reports of the same problem in different wording: most of their words are shared. */
export function sameProblem(a: string, b: string, threshold = 0.6): boolean {
  const x = words(a);
  const y = words(b);
  const shared = [...x].filter((w) => y.has(w)).length;
  return shared / Math.max(1, Math.min(x.size, y.size)) >= threshold;
}

const root = isRoot();
const samples = existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((f) => vrrpOnly(readFileSync(join(SAMPLES, f), 'utf8'))).sort() : [];

describe('sample selection', () => {
  it('finds the VRRP-only samples and the interfaces they name', () => {
    expect(vrrpOnly('vrrp_instance VI_1 {\n}\n# virtual_server 1.2.3.4 80 {\n')).toBe(true);
    expect(vrrpOnly('virtual_server 192.0.2.1 80 {\n}\n')).toBe(false);
    expect(interfacesOf('vrrp_instance A {\n interface eth0.1\n track_interface {\n  eth1\n  eth2 weight 5\n }\n virtual_ipaddress {\n  1.2.3.4 dev eth3\n }\n}\nvrrp_instance B {\n}\n'))
      .toEqual(['eth0', 'eth0.1', 'eth1', 'eth2', 'eth3']);
    if (existsSync(SAMPLES)) expect(samples.length).toBeGreaterThan(0);
    expect(sameProblem('Keepalived_vrrp[1]: (VI_1.virtual_routes) cannot track route 192.0.2.0/24 with no interface specified, not tracking',
      '(/x.conf: Line 25) Warning - cannot track route 192.0.2.0/24 with no interface specified, not tracking')).toBe(true);
    expect(sameProblem('Keepalived_vrrp[1]: SMTP alert to 192.0.2.1:25 failed: connect ENETUNREACH', 'Wed Nov 25 07:01:36 2026: VRRP_Script(chk) failed (exited with status 1)')).toBe(false);
  });
});

describe.runIf(root && haveKeepalived() && distBuilt() && samples.length > 0)('keepalived samples under our daemon (root, namespaces)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kasmp-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const [n, sample] of samples.entries()) {
    it(`${sample}: runs, and reports no error keepalived does not`, async () => {
      const file = join(SAMPLES, sample);
      const text = readFileSync(file, 'utf8');
      const ns = createNetns(`smp${n}`);
      const dir = join(tmp, sample);
      try {
        const ifs = interfacesOf(text);
        addVethPairs(ns, ifs);
        ifs.forEach((ifn, i) => {
          ip('-n', ns, 'addr', 'add', `192.0.2.${10 + i}/24`, 'dev', ifn);
          ip('-n', ns, 'addr', 'add', `2001:db8::${(10 + i).toString(16)}/64`, 'dev', ifn, 'nodad');
        });
        // keepalived: the config test, then the daemon itself for a few seconds.
        const t = spawnSync('ip', ['netns', 'exec', ns, KEEPALIVED, '-t', '-f', file], { encoding: 'utf8', timeout: 30_000 });
        const ka = startKeepalived(ns, join(dir, 'ka'), text, KEEPALIVED);
        await new Promise((r) => setTimeout(r, RUN_MS));
        await stopProc(ka);
        const kaLines = [...`${t.stdout}${t.stderr}`.split('\n'), ...ka.out().split('\n')].filter((l) => ERRORISH.test(l) && !ROUTINE.test(l));
        const kaLineRefs = new Set(kaLines.map(lineRef).filter((x) => x !== undefined));
        const kaRuntime = kaLines.some((l) => lineRef(l) === undefined);

        // Ours, in the same namespace (keepalived has left it as it found it).
        const d = startOurs(ns, join(dir, 'ours'), text, ['-P']);
        await until(`${sample}: VRRP child up`, () => readPid(d.files.vrrpPid) !== null || d.proc.exitCode !== null, 30_000);
        const startedAt = Date.now();
        await new Promise((r) => setTimeout(r, RUN_MS));
        const st = await status(d);
        const pid = readPid(d.files.pid);
        const vrrpPid = readPid(d.files.vrrpPid);
        const running = alive(pid) && alive(vrrpPid) && st !== null;
        const code = await stopProc(d);
        const out = d.out();
        const ours = out.split('\n').filter((l) => ERRORISH.test(l) && !ROUTINE.test(l));
        // Each of our problems: about a config line keepalived also complains about, or a run-time
        // problem when keepalived had run-time problems too.
        const unmatched = ours.filter((l) => {
          const ref = lineRef(l);
          if (ref !== undefined) return !kaLineRefs.has(ref);
          return !kaRuntime && !kaLines.some((k) => sameProblem(l, k));
        });
        const ctx = `${sample}\n--- ours:\n${out.slice(-4000)}\n--- keepalived:\n${kaLines.join('\n')}`;
        expect(running, `${ctx}\nnot running ${Date.now() - startedAt} ms after start`).toBe(true);
        expect(out, ctx).not.toMatch(/uncaught exception|unhandled rejection|child process\(\d+\) died/);
        expect(unmatched, ctx).toEqual([]);
        expect(code, ctx).toBe(0);
        // It runs what the sample configures (names from its vrrp_instance lines, @-conditional ones aside).
        const named = [...text.matchAll(/^\s*vrrp_instance\s+(\S+)/gm)].map((m) => m[1]);
        for (const i of st!.instances) expect(named, ctx).toContain(i.name);
      } finally {
        deleteNetns(ns);
      }
    }, 90_000);
  }
});
