// keepalivedctl reload against a running daemon (ours, bin/keepalived) in a network namespace: --plan
// shows the diff (instances, VIPs) and changes nothing; reload applies it; an invalid config is
// refused with validate's diagnostics and exit 1 without touching the daemon; -f must be the daemon's
// file. Plus the plan view on its own (virtual servers and real servers).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planView, renderPlan } from '../../commands/reload.js';
import { loadConfigText } from '../../src/config/index.js';
import { callDaemon } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { Cluster, ROOT, until, type Daemon } from '../helpers/cluster.js';
import { isRoot } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

const bin = join(ROOT, 'bin', 'keepalivedctl');

/** dist/ and the oclif manifest are built once by vitest's global setup; a stale manifest would hide events/reload. */
async function ensureCliBuilt(): Promise<void> {
  requireDist('dist/commands/events.js', 'oclif.manifest.json');
  const m = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
  if (!('events' in m.commands && 'reload' in m.commands)) throw new Error('oclif.manifest.json lacks events/reload: run `npm run build`');
}

type Run = { code: number | null; stdout: string; stderr: string };
function ctl(args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  return new Promise((res) =>
    execFile(process.execPath, [bin, ...args], { cwd: ROOT, env, timeout: 90_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}

const inst = (name: string, vrid: number, vips: string[], prio = 100) => `
vrrp_instance ${name} {
  interface veth0
  state BACKUP
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
${vips.map((v) => `    ${v}`).join('\n')}
  }
}
`;
const confA = inst('VI_1', 51, ['192.0.2.100/24']) + inst('VI_3', 53, ['192.0.2.130/24']);
const confB = inst('VI_1', 51, ['192.0.2.100/24', '192.0.2.101/24']) + inst('VI_2', 52, ['192.0.2.110/24']) + inst('VI_3', 53, ['192.0.2.130/24']);
const confBad = confB.replace('priority 100', 'priorty 100').replace('virtual_router_id 52', 'virtual_router_id 300');

async function status(d: Daemon): Promise<StatusResult> {
  const r = await callDaemon<StatusResult>('status', {}, { socket: d.sock, timeoutMs: 5000 });
  if (!r.ok) throw new Error(r.message);
  return r.result;
}

describe.runIf(isRoot())('keepalivedctl reload against a running daemon (root, namespaces)', () => {
  let cl: Cluster | null = null;
  beforeAll(async () => {
    await ensureCliBuilt();
    cl = new Cluster(1, 'rl');
  }, 300_000);
  afterAll(async () => {
    await cl?.dispose();
  }, 60_000);

  it('--plan shows the diff and changes nothing; reload applies it; an invalid config is refused', async () => {
    const c = cl!;
    const d = c.start('ours', 0, confA);
    await until('both MASTER', async () => (await status(d).catch(() => null))?.instances.every((i) => i.state === 'MASTER') ?? false, 30_000, 200);
    const before = await status(d);
    const reloadsLogged = () => (d.out().match(/Reloading/g) ?? []).length;

    writeFileSync(d.conf, confB);
    const plan = await ctl(['reload', '--plan', '--socket', d.sock]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`Reload plan for ${d.conf}:`);
    expect(plan.stdout).toContain('  + vrrp_instance VI_2 (added)');
    expect(plan.stdout).toContain('  ~ vrrp_instance VI_1 (changed');
    expect(plan.stdout).toContain('  = unchanged: VI_3');
    expect(plan.stdout).toContain('  + VIP 192.0.2.101 on VI_1');
    expect(plan.stdout).toContain('  + VIP 192.0.2.110 on VI_2');
    expect(plan.stdout).toContain('the daemon was not reloaded');
    const pj = await ctl(['reload', '--plan', '--json', '--socket', d.sock]);
    expect(pj.code, pj.stderr).toBe(0);
    const pv = JSON.parse(pj.stdout) as { applied: boolean; valid: boolean; plan: { instances: Record<string, string[]>; vips: unknown[] } };
    expect(pv.valid).toBe(true);
    expect(pv.applied).toBe(false);
    expect(pv.plan.instances).toEqual({ added: ['VI_2'], removed: [], changed: ['VI_1'], unchanged: ['VI_3'] });
    expect(pv.plan.vips).toEqual([{ instance: 'VI_1', added: ['192.0.2.101'], removed: [] }, { instance: 'VI_2', added: ['192.0.2.110'], removed: [] }]);
    // Nothing changed: same instances, same VIPs on the interface, no reload logged.
    await new Promise((r) => setTimeout(r, 1500));
    const still = await status(d);
    expect(still.instances.map((i) => [i.name, i.state, i.vips])).toEqual(before.instances.map((i) => [i.name, i.state, i.vips]));
    expect(c.addrs(0)).not.toContain('192.0.2.101');
    expect(reloadsLogged()).toBe(0);

    const applied = await ctl(['reload', '--socket', d.sock]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Reloaded: 1 added, 0 removed, 1 changed, 1 unchanged.');
    await until('new VIPs on veth0', () => ['192.0.2.101', '192.0.2.110'].every((v) => c.addrs(0).includes(v)), 30_000, 200);
    expect((await status(d)).instances.map((i) => i.name).sort()).toEqual(['VI_1', 'VI_2', 'VI_3']);
    const logged = reloadsLogged();
    expect(logged).toBeGreaterThan(0);

    // Nothing left to do: the plan says so.
    const again = await ctl(['reload', '--plan', '--socket', d.sock]);
    expect(again.stdout).toContain('  nothing to change');

    writeFileSync(d.conf, confBad);
    const bad = await ctl(['reload', '--socket', d.sock]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`${d.conf.replace(/[.]/g, '\\.')}:\\d+:\\d+ error unknown-keyword unknown keyword 'priorty'`));
    expect(bad.stderr).toMatch(/error value-out-of-range/);
    expect(bad.stderr).toContain('the daemon was not touched');
    const badJson = await ctl(['reload', '--plan', '--json', '--socket', d.sock]);
    expect(badJson.code).toBe(1);
    const bj = JSON.parse(badJson.stdout) as { valid: boolean; errors: number; diagnostics: { code: string }[] };
    expect(bj.valid).toBe(false);
    expect(bj.diagnostics.map((x) => x.code)).toEqual(expect.arrayContaining(['unknown-keyword', 'value-out-of-range']));
    // -f names the file too; an invalid one is refused before the daemon is asked anything.
    const badF = await ctl(['reload', '-f', d.conf, '--socket', join(c.dir, 'nobody.sock')]);
    expect(badF.code).toBe(1);
    expect(badF.stderr).toContain('unknown-keyword');
    await new Promise((r) => setTimeout(r, 1000));
    expect(reloadsLogged()).toBe(logged);
    expect((await status(d)).instances.map((i) => i.name).sort()).toEqual(['VI_1', 'VI_2', 'VI_3']);

    // -f must be the file the daemon runs.
    const other = join(c.dir, 'other.conf');
    writeFileSync(other, confA);
    const wrong = await ctl(['reload', '--plan', '-f', other, '--socket', d.sock]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe(`keepalivedctl reload: the daemon runs ${d.conf}; a reload reads that file, not ${other}`);
    // No daemon: one line, exit 1.
    writeFileSync(d.conf, confB);
    const none = await ctl(['reload', '--socket', join(c.dir, 'nobody.sock')]);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(`keepalived is not running (no control socket at ${join(c.dir, 'nobody.sock')})`);
  }, 240_000);
  it('on a checkers-only daemon (-C): --plan shows the virtual servers that change, reload applies them', async () => {
    const c = cl!;
    const vs = (rs: number[]) => `
virtual_server 192.0.2.10 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${rs.map((n) => `  real_server 192.0.2.${n} 80 {\n    weight 1\n  }`).join('\n')}
}
`;
    const dir = join(c.dir, 'lvs');
    mkdirSync(dir, { recursive: true });
    const f = (n: string) => join(dir, n);
    writeFileSync(f('k.conf'), vs([21, 22]));
    const p = c.run(c.nodes[0]!.ns, [process.execPath, join(ROOT, 'bin', 'keepalived'), '-n', '-l', '-C', '-f', f('k.conf'), '-p', f('k.pid'), '-r', f('v.pid'), '-c', f('c.pid'), '--socket', f('k.sock'), '--state-dir', f('st')]);
    const sock = f('k.sock');
    const vsOf = async () => {
      const r = await callDaemon<StatusResult>('status', {}, { socket: sock, timeoutMs: 5000 });
      return r.ok ? r.result.virtualServers : undefined;
    };
    await until('the checker reports its virtual server', async () => ((await vsOf())?.[0]?.realServers.length ?? 0) === 2, 30_000, 200);
    writeFileSync(f('k.conf'), vs([21, 23]) + vs([31]).replace('192.0.2.10 80', '192.0.2.11 443').replace(/192\.0\.2\.31 80/, '192.0.2.31 443'));
    const plan = await ctl(['reload', '--plan', '--socket', sock]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('  + virtual_server TCP 192.0.2.11:443');
    expect(plan.stdout).toContain('  ~ virtual_server TCP 192.0.2.10:80: real servers +192.0.2.23:80 -192.0.2.22:80');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await vsOf())?.map((v) => v.name)).toEqual(['TCP 192.0.2.10:80']);
    const applied = await ctl(['reload', '--socket', sock]);
    expect(applied.code, applied.stderr).toBe(0);
    await until('the new virtual servers running', async () => {
      const v = await vsOf();
      return v?.length === 2 && v[0]!.realServers.map((r) => r.address).join() === '192.0.2.21:80,192.0.2.23:80';
    }, 30_000, 200);
    await c.stop(p);
  }, 180_000);
});

describe('the plan view (virtual servers)', () => {
  it('names virtual servers as status does and lists real servers that come and go', async () => {
    const text = `
virtual_server 192.0.2.10 80 {
  protocol TCP
  real_server 192.0.2.21 80 { weight 1 }
  real_server 192.0.2.23 80 { weight 1 }
}
virtual_server 192.0.2.11 443 {
  protocol TCP
  real_server 192.0.2.31 443 { weight 1 }
}
`;
    const model = loadConfigText(text, 'k.conf').model;
    const status = {
      protocolVersion: 1, instances: [], syncGroups: [],
      daemon: { pid: 1, version: 't', configFile: 'k.conf', configId: 'h', startedAt: '' },
      virtualServers: [
        { name: 'TCP 192.0.2.10:80', services: [], quorumUp: true, realServers: [
          { address: '192.0.2.21:80', up: true, weight: 1, tableWeight: null, checkers: [] },
          { address: '192.0.2.22:80', up: true, weight: 1, tableWeight: null, checkers: [] },
        ] },
        { name: 'TCP 192.0.2.12:80', services: [], quorumUp: true, realServers: [] },
      ],
    } satisfies StatusResult;
    const v = await planView({ added: [], removed: [], changed: [], unchanged: [] }, status, model);
    expect(v.virtualServers).toEqual({
      added: ['TCP 192.0.2.11:443'],
      removed: ['TCP 192.0.2.12:80'],
      changed: [{ name: 'TCP 192.0.2.10:80', added: ['192.0.2.23:80'], removed: ['192.0.2.22:80'] }],
    });
    const lines = renderPlan(v, 'k.conf');
    expect(lines).toContain('  + virtual_server TCP 192.0.2.11:443');
    expect(lines).toContain('  - virtual_server TCP 192.0.2.12:80');
    expect(lines).toContain('  ~ virtual_server TCP 192.0.2.10:80: real servers +192.0.2.23:80 -192.0.2.22:80');
    // A daemon without the checker process reports no virtual servers: nothing is called removed.
    const { virtualServers: _vs, ...vrrpOnly } = status;
    const w = await planView({ added: [], removed: [], changed: [], unchanged: [] }, vrrpOnly, model);
    expect(w.virtualServers.removed).toEqual([]);
    expect(w.virtualServersKnown).toBe(false);
  });
});
