// The checker child's IPVS side against the in-memory kernel (reconcile.ts applyOps): start-up
// adoption, coalesced passes, inhibit/sorry/quorum scripts, MISC weights, reload, stop, ha_suspend,
// the sync daemon, no IPVS, and status.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { KeepalivedConfig } from '../../src/config/model.js';
import { CheckScheduler } from '../../src/check/scheduler.js';
import type { CheckerEntry, RealServerEntry } from '../../src/check/types.js';
import { FakeClock } from '../check/fake-clock.js';
import { IpvsService, type IpvsKernel } from '../../src/daemon/ipvs-service.js';
import type { CheckerState } from '../../src/ipvs/desired.js';
import type { IpvsDaemon } from '../../src/ipvs/genl-codec.js';
import { err, ok } from '../../src/net/nlattr.js';
import { applyOps, type Op } from '../../src/ipvs/reconcile.js';
import type { Table } from '../../src/ipvs/table.js';

const dir = mkdtempSync(join(tmpdir(), 'ipvs-service-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function cfg(text: string): KeepalivedConfig {
  const f = join(dir, `k${n++}.conf`);
  writeFileSync(f, text);
  const r = loadConfig(f, { configId: 'test' });
  expect(r.errors, JSON.stringify(r.diagnostics)).toBe(0);
  return r.model;
}

class MemKernel implements IpvsKernel {
  table: Table = { services: [] };
  daemons: IpvsDaemon[] = [];
  ops: Op[] = [];
  reads = 0;
  closed = false;
  async readTable() {
    this.reads++;
    return ok(structuredClone(this.table));
  }
  async apply(ops: readonly Op[]) {
    const r = applyOps(this.table, ops);
    this.table = r.table;
    this.ops.push(...ops);
    return { done: ops.length - r.errors.length, errors: r.errors };
  }
  async getDaemons() { return ok(structuredClone(this.daemons)); }
  async startDaemon(d: IpvsDaemon) {
    if (this.daemons.some((x) => x.state === d.state)) return err<void>('NEW_DAEMON: already exists (EEXIST)');
    this.daemons.push(d);
    return ok(undefined);
  }
  async stopDaemon(state: number) {
    const i = this.daemons.findIndex((x) => x.state === state);
    if (i < 0) return err<void>('DEL_DAEMON: no such process (ESRCH)');
    this.daemons.splice(i, 1);
    return ok(undefined);
  }
  close() { this.closed = true; }
  /** "service -> dest:weight" lines, sorted. */
  lines(): string[] {
    return this.table.services.flatMap((s) => {
      const k = s.fwmark ? `FWM ${s.fwmark}` : `${s.addr}:${s.port}`;
      return [`${k} ${s.sched}`, ...s.dests.map((d) => `${k} -> ${d.addr}:${d.port} w${d.weight}`)];
    }).sort();
  }
}

function harness(kernel: MemKernel | undefined, opts: { coalesceMs?: number } = {}) {
  const results = new Map<string, CheckerState>();
  const logs: string[] = [];
  const scripts: string[] = [];
  const suspends: string[] = [];
  const quorum: string[] = [];
  const svc = new IpvsService({
    open: async () => (kernel ? ok(kernel) : err('the kernel has no IPVS (ip_vs module not loaded or not built)')),
    results: () => results,
    log: (level, m) => logs.push(`${level}: ${m}`),
    runScript: (c, _why, stopping) => scripts.push(c.argv.join(' ') + (c.user ? ` (as ${c.user.join(':')})` : '') + (stopping ? ' (stopping)' : '')),
    suspendCheckers: (vsKey, on) => (suspends.push(`${on ? 'suspend' : 'resume'} ${vsKey}`), 1),
    quorumChanged: (vsKey, up) => quorum.push(`VS ${vsKey} ${up ? 'UP' : 'DOWN'}`),
    coalesceMs: opts.coalesceMs ?? 5,
  });
  return { svc, results, logs, scripts, suspends, quorum };
}

const WEB = `
virtual_server 192.0.2.10 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    quorum 3
    quorum_up "/usr/local/bin/up web"
    quorum_down "/usr/local/bin/down web"
    sorry_server 198.51.100.99 8080
    real_server 198.51.100.11 8080 {
        weight 3
        TCP_CHECK { connect_timeout 3 }
    }
    real_server 198.51.100.12 8080 {
        weight 1
        inhibit_on_failure
        TCP_CHECK { connect_timeout 3 }
    }
}
`;
const DNS = `
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind DR
    real_server 198.51.100.21 53 {
        MISC_CHECK { misc_path "/bin/true" misc_dynamic }
    }
}
`;
// The checkers' own keys (src/check/keys.ts), written out so a mapping slip shows.
const RS11 = '[192.0.2.10]:tcp:80|198.51.100.11:8080';
const RS12 = '[192.0.2.10]:tcp:80|198.51.100.12:8080';
const RS21 = 'FWM 7|198.51.100.21:53';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IpvsService', () => {
  it('programs the table at start and adopts matching entries without re-creating them', async () => {
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(WEB + DNS));
    expect(k.lines()).toEqual([
      '192.0.2.10:80 -> 198.51.100.11:8080 w3', '192.0.2.10:80 -> 198.51.100.12:8080 w1', '192.0.2.10:80 wrr',
      'FWM 7 -> 198.51.100.21:0 w1', 'FWM 7 rr',
    ]);
    // A new process (a restart) finds the same table: nothing is touched, a foreign service stays.
    k.table.services.push({ af: 2, protocol: 6, addr: '203.0.113.50', port: 80, fwmark: 0, sched: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, peName: '', dests: [] });
    const before = k.ops.length;
    const h2 = harness(k);
    await h2.svc.start(cfg(WEB + DNS));
    expect(k.ops.length).toBe(before);
    expect(k.lines()).toContain('203.0.113.50:80 rr');
  });

  it('follows checker changes in one pass per burst: down leaves, inhibited stays at 0, MISC weight applies', async () => {
    const k = new MemKernel();
    const h = harness(k, { coalesceMs: 20 });
    await h.svc.start(cfg(WEB + DNS));
    const passes = h.svc.passes;
    h.results.set(RS12, { up: false, weight: 1 });
    h.results.set(RS21, { up: true, weight: 5 });
    for (let i = 0; i < 100; i++) h.svc.changed();
    await wait(60);
    await h.svc.kick();
    expect(h.svc.passes - passes).toBeLessThanOrEqual(2);
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.12:8080 w0');
    expect(k.lines()).toContain('FWM 7 -> 198.51.100.21:0 w5');
    h.results.set(RS21, { up: false, weight: 5 });
    h.svc.changed();
    await wait(40);
    await h.svc.kick();
    expect(k.lines().filter((l) => l.startsWith('FWM 7 ->'))).toEqual([]);
  });

  it('loses quorum: the sorry server takes the pool and quorum_down runs; gaining it runs quorum_up', async () => {
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(WEB));
    expect(h.scripts).toEqual([]);
    h.results.set(RS11, { up: false, weight: 3 });
    await h.svc.kick();
    expect(k.lines()).toEqual([
      '192.0.2.10:80 -> 198.51.100.12:8080 w0', '192.0.2.10:80 -> 198.51.100.99:8080 w1', '192.0.2.10:80 wrr',
    ]);
    expect(h.scripts).toEqual(['/usr/local/bin/down web']);
    expect(h.logs.some((l) => /Lost quorum .* for VS TCP 192.0.2.10:80/.test(l))).toBe(true);
    h.results.set(RS11, { up: true, weight: 3 });
    await h.svc.kick();
    expect(k.lines()).toEqual([
      '192.0.2.10:80 -> 198.51.100.11:8080 w3', '192.0.2.10:80 -> 198.51.100.12:8080 w1', '192.0.2.10:80 wrr',
    ]);
    expect(h.scripts).toEqual(['/usr/local/bin/down web', '/usr/local/bin/up web']);
  });

  it('reload: a dropped virtual server is deleted, an unchanged one is not touched, a new one is added', async () => {
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(WEB + DNS));
    const mark = k.ops.length;
    await h.svc.reload(cfg(WEB + DNS.replace('fwmark 7', 'fwmark 8')));
    const ops = k.ops.slice(mark);
    expect(ops.map((o) => o.op).sort()).toEqual(['add-dest', 'add-service', 'delete-service']);
    expect(ops.every((o) => o.op === 'flush' || !('service' in o) || o.service.fwmark !== 0)).toBe(true);
    expect(k.lines()).toContain('FWM 8 rr');
    expect(k.lines().some((l) => l.startsWith('FWM 7'))).toBe(false);
  });

  it('reload keeps a down server out until the restarted checkers report on it', async () => {
    const k = new MemKernel();
    const checked = new Set<string>();
    const results = new Map<string, CheckerState>();
    const svc = new IpvsService({ open: async () => ok(k), results: () => results, checked: () => checked, log: () => undefined, runScript: () => undefined });
    await svc.start(cfg(WEB));
    results.set(RS12, { up: false, weight: 1 });
    checked.add(RS12);
    await svc.kick();
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.12:8080 w0');
    // The checkers restart: initial state (up), no verdict yet.
    results.set(RS12, { up: true, weight: 1 });
    checked.clear();
    await svc.reload(cfg(WEB));
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.12:8080 w0');
    checked.add(RS12);
    await svc.kick();
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.12:8080 w1');
  });

  it('a reload during a pass still deletes the services the new config drops', async () => {
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(WEB + DNS));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const read = k.readTable.bind(k);
    k.readTable = async () => { await gate; return read(); };
    const pass = h.svc.kick(); // waits in readTable
    const reload = h.svc.reload(cfg(WEB));
    release();
    await Promise.all([pass, reload]);
    await h.svc.kick();
    expect(k.lines().some((l) => l.startsWith('FWM 7'))).toBe(false);
    expect(k.lines()).toContain('192.0.2.10:80 wrr');
  });

  it('a pass that cannot read the table is retried (1 s backoff) until it can', async () => {
    const k = new MemKernel();
    const read = k.readTable.bind(k);
    let fails = 1;
    k.readTable = async () => (fails-- > 0 ? err<Table>('GET_DEST: Timeout has been reached') : read());
    const h = harness(k);
    await h.svc.start(cfg(WEB));
    expect(k.lines()).toEqual([]);
    expect(h.logs).toContain('err: IPVS: cannot read the table: GET_DEST: Timeout has been reached; retrying in 1 s');
    for (let i = 0; i < 40 && !k.lines().length; i++) await wait(100);
    expect(k.lines()).toContain('192.0.2.10:80 wrr');
    expect(h.logs.filter((l) => l.includes('table in step at start'))).toHaveLength(1);
    await h.svc.stop();
  });

  it('stop deletes its own services only; lvs_flush_on_stop flushes all; lvs_flush at start flushes first', async () => {
    const foreign = { af: 2, protocol: 6, addr: '203.0.113.50', port: 80, fwmark: 0, sched: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, peName: '', dests: [] };
    const k = new MemKernel();
    k.table.services.push(structuredClone(foreign));
    const h = harness(k);
    await h.svc.start(cfg(WEB));
    await h.svc.stop();
    expect(k.lines()).toEqual(['203.0.113.50:80 rr']);
    expect(k.closed).toBe(true);

    const k2 = new MemKernel();
    k2.table.services.push(structuredClone(foreign));
    const h2 = harness(k2);
    await h2.svc.start(cfg('global_defs {\n lvs_flush\n lvs_flush_on_stop\n}\n' + WEB));
    expect(k2.ops[0]).toEqual({ op: 'flush' });
    expect(k2.lines().some((l) => l.startsWith('203.0.113.50'))).toBe(false);
    k2.table.services.push(structuredClone(foreign));
    await h2.svc.stop();
    expect(k2.table.services).toEqual([]);
  });

  it('without IPVS: says so once, keeps quorum state and status from the checkers', async () => {
    const h = harness(undefined);
    await h.svc.start(cfg(WEB));
    h.results.set(RS11, { up: false, weight: 3 });
    await h.svc.kick();
    await h.svc.kick();
    expect(h.logs.filter((l) => /no IPVS/.test(l))).toHaveLength(1);
    expect(h.svc.available).toEqual({ available: false, detail: expect.stringMatching(/no IPVS/) });
    const st = h.svc.status([]);
    expect(st[0]).toMatchObject({ name: 'TCP 192.0.2.10:80', quorumUp: false, sorryServer: { address: '198.51.100.99:8080', active: true } });
    expect(st[0]!.realServers.map((r) => r.tableWeight)).toEqual([null, null]);
    expect(h.scripts).toEqual(['/usr/local/bin/down web']);
    await h.svc.stop();
  });

  it('ha_suspend: held while the VIP instance is not MASTER, followed once it is', async () => {
    const conf = `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress { 192.0.2.10/24 }
}
` + WEB.replace('lb_algo wrr', 'lb_algo wrr\n    ha_suspend');
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(conf), { VI_1: 'BACKUP' });
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.11:8080 w3'); // created at start, as keepalived
    h.results.set(RS11, { up: false, weight: 3 });
    await h.svc.kick();
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.11:8080 w3');
    expect(h.svc.status([])[0]!.suspended).toBe(true);
    h.svc.vrrpState('VI_1', 'MASTER');
    await wait(30);
    await h.svc.kick();
    expect(k.lines()).not.toContain('192.0.2.10:80 -> 198.51.100.11:8080 w3');
    expect(k.lines()).toContain('192.0.2.10:80 -> 198.51.100.99:8080 w1');
  });

  it('ha_suspend: the checkers of the virtual server are suspended while not MASTER, resumed with it (not those without ha_suspend)', async () => {
    const conf = `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress { 192.0.2.10/24 }
}
` + WEB.replace('lb_algo wrr', 'lb_algo wrr\n    ha_suspend') + DNS;
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(conf), { VI_1: 'BACKUP' });
    expect(h.suspends).toEqual(['suspend [192.0.2.10]:tcp:80']);
    expect(h.logs).toContain('info: Suspending healthcheckers for VS [192.0.2.10]:tcp:80');
    h.svc.vrrpState('VI_1', 'MASTER');
    expect(h.suspends).toEqual(['suspend [192.0.2.10]:tcp:80', 'resume [192.0.2.10]:tcp:80']);
    h.svc.vrrpState('VI_1', 'FAULT');
    expect(h.suspends.at(-1)).toBe('suspend [192.0.2.10]:tcp:80');
    // A reload without ha_suspend resumes them.
    await h.svc.reload(cfg(conf.replace('ha_suspend', '')));
    expect(h.suspends.at(-1)).toBe('resume [192.0.2.10]:tcp:80');
    expect(h.suspends).toHaveLength(4);
    await h.svc.stop();
  });

  it('quorum scripts: keepalived line splitting (quotes, user), FIFO VS lines, omega at stop bounded', async () => {
    const conf = WEB.replace(/quorum_up .*\n/, 'quorum_up "/usr/local/bin/up web now" nobody\n').replace('lb_algo wrr', 'lb_algo wrr\n    omega');
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(conf));
    h.results.set(RS11, { up: false, weight: 3 });
    h.results.set(RS12, { up: false, weight: 1 });
    await h.svc.kick();
    h.results.set(RS11, { up: true, weight: 3 });
    await h.svc.kick();
    expect(h.scripts.slice(-1)).toEqual(['/usr/local/bin/up web now (as nobody)']);
    expect(h.quorum).toEqual(['VS [192.0.2.10]:tcp:80 DOWN', 'VS [192.0.2.10]:tcp:80 UP']);
    await h.svc.stop();
    expect(h.scripts.at(-1)).toBe('/usr/local/bin/down web (stopping)');
    expect(h.quorum.at(-1)).toBe('VS [192.0.2.10]:tcp:80 DOWN');
  });

  it('lvs_sync_daemon: backup at start, master with the instance, stopped at exit', async () => {
    const conf = `
global_defs {
    lvs_sync_daemon eth0 VI_1 id 9 port 8848
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress { 192.0.2.10/24 }
}
` + DNS;
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(conf));
    expect(k.daemons).toEqual([{ state: 2, mcastIfn: 'eth0', syncId: 9, mcastPort: 8848 }]);
    h.svc.vrrpState('VI_1', 'MASTER');
    await wait(20);
    expect(k.daemons.map((d) => d.state)).toEqual([1]);
    await h.svc.stop();
    expect(k.daemons).toEqual([]);
  });

  it('status: checker state, weights and the kernel weight per real server', async () => {
    const k = new MemKernel();
    const h = harness(k);
    await h.svc.start(cfg(WEB));
    h.results.set(RS12, { up: false, weight: 1 });
    await h.svc.kick();
    const snap = [{ vsKey: '[192.0.2.10]:tcp:80', rsKey: RS12, up: false, weight: 1, checkers: [{ id: 'c', type: 'TCP_CHECK', up: false, detail: 'connection refused', latencyMs: 1, runs: 1, failures: 1, retryIt: 0 }] }];
    const st = h.svc.status(snap);
    expect(st).toEqual([{
      name: 'TCP 192.0.2.10:80', services: ['TCP 192.0.2.10:80'], quorumUp: true,
      sorryServer: { address: '198.51.100.99:8080', active: false },
      realServers: [
        { address: '198.51.100.11:8080', up: true, weight: 3, tableWeight: 3, checkers: [] },
        { address: '198.51.100.12:8080', up: false, weight: 1, tableWeight: 0, checkers: [{ type: 'TCP_CHECK', up: false, detail: 'connection refused' }] },
      ],
    }]);
  });
});

describe('CheckScheduler.suspend (ha_suspend)', () => {
  function twoVs(): RealServerEntry[] {
    return ['[192.0.2.10]:tcp:80', '[192.0.2.20]:tcp:80'].map((vsKey, i) => {
      const rsKey = `${vsKey}|198.51.100.${i + 1}:80`;
      const entry: CheckerEntry = {
        id: `${rsKey}#0`, vsKey, rsKey,
        spec: { type: 'TCP_CHECK', target: { ip: `198.51.100.${i + 1}`, port: 80, timeoutMs: 1000 } },
        timing: { delayLoopMs: 1000, warmupMs: 0, retry: 0, delayBeforeRetryMs: 1000, alpha: false, logAllFailures: false },
        where: 'test:1',
      };
      return { vsKey, rsKey, addr: `198.51.100.${i + 1}`, port: 80, weight: 1, checkers: [entry] };
    });
  }

  it('a suspended virtual server runs no checks and keeps its verdict; resumed, it checks again', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    let ok = true;
    const s = new CheckScheduler(twoVs(), {
      clock,
      random: () => 0,
      run: async (e) => {
        runs.push(`${clock.now()} ${e.vsKey}`);
        return { ok: e.vsKey.includes('.20') || ok, detail: 'x', latencyMs: 0 };
      },
    });
    s.start();
    await clock.advanceTo(1500);
    expect(runs.filter((r) => r.includes('.10'))).toHaveLength(2);
    expect(s.suspend('[192.0.2.10]:tcp:80', true)).toBe(1);
    expect(s.suspend('[192.0.2.10]:tcp:80', true)).toBe(0);
    ok = false; // would fail it, were it checked
    runs.length = 0;
    await clock.advanceTo(4500);
    expect(runs.filter((r) => r.includes('.10'))).toEqual([]);
    expect(runs.filter((r) => r.includes('.20'))).toHaveLength(3);
    expect(s.results().get('[192.0.2.10]:tcp:80|198.51.100.1:80')).toEqual({ up: true, weight: 1 });
    expect(s.suspend('[192.0.2.10]:tcp:80', false)).toBe(1);
    await clock.advanceTo(5500);
    expect(runs.filter((r) => r.includes('.10'))).toHaveLength(1);
    expect(s.results().get('[192.0.2.10]:tcp:80|198.51.100.1:80')?.up).toBe(false);
    await s.stop();
  });
});
