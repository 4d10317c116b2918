import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { RPC_ERRORS } from '../../src/control/protocol.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import type { ChildStart } from '../../src/daemon/ipc.js';
import { planDiff, ServiceError, VrrpService } from '../../src/daemon/vrrp-service.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'kasvc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inst = (name: string, vrid: number, prio = 100) =>
  `vrrp_instance ${name} {\n interface veth0\n virtual_router_id ${vrid}\n priority ${prio}\n virtual_ipaddress {\n 192.0.2.${vrid}\n }\n}\n`;

function service(text: { t: string }) {
  const clock = new FakeClock();
  const start: ChildStart = {
    type: 'start', role: 'vrrp', configFile: 'k.conf', configId: 'x', log: { console: true, detail: false },
    stateDir: join(dir, `st${Math.random().toString(36).slice(2)}`), daemonPid: 42, daemonVersion: '1.2.3', startedAt: '2026-01-01T00:00:00.000Z',
  };
  const svc = new VrrpService(start, {
    openVrrpSocket: new FakeLan().opener('a'), announcer: new FakeAnnouncer(clock), rtnl: new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr: '192.0.2.1' }]),
    clock, log: memLogger(), onEvent: () => undefined,
    load: () => {
      const r = loadConfigText(text.t, 'k.conf');
      return { plan: buildVrrpPlan(r.model), errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message) };
    },
  });
  return { svc, start };
}

async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string; data?: unknown }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    return (e as ServiceError).rpc;
  }
  throw new Error('expected a failure');
}

describe('VRRP service RPCs', () => {
  it('status (all, one, unknown), overrides with validation, persisted to the state dir', async () => {
    const text = { t: inst('VI_1', 51) + inst('VI_2', 52) };
    const { svc, start } = service(text);
    expect(await svc.run()).toEqual({ ok: true });
    const all = (await svc.rpc('status', {})) as { daemon: unknown; instances: { name: string }[] };
    expect(all.daemon).toEqual({ pid: 42, version: '1.2.3', configFile: 'k.conf', configId: 'x', startedAt: '2026-01-01T00:00:00.000Z' });
    expect(all.instances.map((i) => i.name)).toEqual(['VI_1', 'VI_2']);
    const one = (await svc.rpc('status', { instance: 'VI_2' })) as { instances: { name: string; advertIntMs: number }[] };
    expect(one.instances).toMatchObject([{ name: 'VI_2', advertIntMs: 1000 }]);
    expect((await rpcError(svc.rpc('status', { instance: 'NOPE' }))).code).toBe(RPC_ERRORS.noSuchInstance);
    expect((await rpcError(svc.rpc('promote', {}))).code).toBe(RPC_ERRORS.invalidParams);
    expect((await rpcError(svc.rpc('promote', { instance: 'VI_1', forMs: -5 }))).code).toBe(RPC_ERRORS.invalidParams);
    expect((await rpcError(svc.rpc('promote', { instance: 'VI_1', forMs: 1.5 }))).code).toBe(RPC_ERRORS.invalidParams);
    expect((await rpcError(svc.rpc('demote', { instance: 'VI_1', fault: 'yes' }))).code).toBe(RPC_ERRORS.invalidParams);
    expect((await rpcError(svc.rpc('clear', { instance: 'VI_1', forMs: 5 }))).code).toBe(RPC_ERRORS.invalidParams);
    expect((await rpcError(svc.rpc('promote', { instance: 'GONE' }))).code).toBe(RPC_ERRORS.noSuchInstance);
    expect((await rpcError(svc.rpc('frobnicate', {}))).code).toBe(RPC_ERRORS.methodNotFound);
    const d = (await svc.rpc('demote', { instance: 'VI_1', fault: true, forMs: 60_000 })) as { instances: string[]; current: Record<string, { kind: string }> };
    expect(d.instances).toEqual(['VI_1']);
    expect(d.current.VI_1.kind).toBe('demote-fault');
    const saved = JSON.parse(readFileSync(join(start.stateDir, 'overrides.json'), 'utf8'));
    expect(saved.overrides.VI_1).toMatchObject({ kind: 'demote-fault', expiresAt: expect.any(String) });
    await svc.rpc('clear', { instance: 'VI_1' });
    expect(JSON.parse(readFileSync(join(start.stateDir, 'overrides.json'), 'utf8')).overrides).toEqual({});
    await svc.stop();
  });

  it('reload: dry run gives the plan, an invalid config is refused with its diagnostics, a change is applied in place', async () => {
    const text = { t: inst('VI_1', 51) + inst('VI_2', 52) };
    const { svc } = service(text);
    await svc.run();
    expect(await svc.rpc('reload', { dryRun: true })).toEqual({ applied: false, plan: { added: [], removed: [], changed: [], unchanged: ['VI_1', 'VI_2'] } });
    text.t = inst('VI_1', 51, 120) + inst('VI_3', 53);
    expect(await svc.rpc('reload', { dryRun: true })).toEqual({ applied: false, plan: { added: ['VI_3'], removed: ['VI_2'], changed: ['VI_1'], unchanged: [] } });
    const before = svc.runtime;
    expect(await svc.reload()).toMatchObject({ applied: true });
    expect(svc.runtime).toBe(before); // applied in place
    expect(svc.runtime!.status({ daemonPid: 1, daemonVersion: '', configFile: '', configId: '', startedAt: '' }).instances.map((i) => i.name)).toEqual(['VI_1', 'VI_3']);
    text.t = inst('VI_1', 300);
    const e = await rpcError(svc.reload());
    expect(e.code).toBe(RPC_ERRORS.invalidConfig);
    expect(Array.isArray(e.data)).toBe(true);
    await svc.stop();
  });

  it('planDiff treats a sync group change as a change of its members', () => {
    const p = (t: string) => buildVrrpPlan(loadConfigText(t, 'x').model);
    const a = p(inst('A', 1) + inst('B', 2));
    const b = p(`vrrp_sync_group G {\n group {\n A\n B\n }\n}\n${inst('A', 1)}${inst('B', 2)}`);
    expect(planDiff(a, b)).toEqual({ added: [], removed: [], changed: ['A', 'B'], unchanged: [] });
  });
});
