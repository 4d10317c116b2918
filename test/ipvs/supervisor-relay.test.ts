// The supervisor's IPVS hooks, with stand-in children: VRRP transitions reach the checker child
// (relayed live, and in the start message of a checker child started later), and status merges
// the checker child's virtual servers and IPVS availability into the VRRP child's answer.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callDaemon } from '../../src/control/client.js';
import type { StatusResult } from '../../src/control/protocol.js';
import { startControlServer } from '../../src/control/server.js';
import { parseDaemonArgs } from '../../src/daemon/args.js';
import { Supervisor } from '../../src/daemon/supervisor.js';
import { memLogger } from '../daemon/fakes.js';

const FIXTURE = join(__dirname, 'fixtures', 'relay-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'kdrelay-'));
const forked: ChildProcess[] = [];
afterAll(() => {
  for (const c of forked) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const CONF = `vrrp_instance VI_1 {
  interface veth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
virtual_server 192.0.2.100 80 {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 198.51.100.1 80 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

describe('supervisor: IPVS hooks', () => {
  it('relays VRRP states to the checker child and merges its virtual servers into status', async () => {
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, CONF);
    const sock = join(dir, 'ctl.sock');
    const r = parseDaemonArgs(['-n', '-l', '-f', file, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid'), '--socket', sock, '--state-dir', join(dir, 'state')]);
    if (!r.ok) throw new Error(r.error);
    const log = memLogger();
    const children: Record<string, ChildProcess> = {};
    const sup = new Supervisor(r.args, '9.9.9', {
      log,
      startControlServer,
      forkChild: (role) => {
        const c = fork(FIXTURE, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        forked.push(c);
        children[role] = c;
        return c;
      },
      onSignal: () => undefined,
      childGraceMs: 500,
    });
    const exited = sup.run();
    const status = async () => {
      const c = await callDaemon<StatusResult>('status', {}, { socket: sock });
      return c.ok ? c.result : undefined;
    };
    // Relayed live (or, if the transition came first, in the start message): either way it is known.
    const known = async () => ((await status())?.virtualServers?.[0]?.name ?? '').split(' ').some((x) => x === 'VI_1=MASTER' || x === 'start:VI_1=MASTER');
    await until(known).catch(async (e) => { throw new Error(`${String(e)}: ${JSON.stringify(await status())} ${JSON.stringify(log.lines)}`); });
    const st = (await status())!;
    expect(st.instances).toEqual([]);
    expect(st.ipvs).toEqual({ available: false, detail: 'none' });
    // A checker child that starts later (a respawn) is told the states in its start message.
    children.checker!.kill('SIGKILL');
    await until(async () => (await status())?.virtualServers?.[0]?.name === 'start:VI_1=MASTER', 15_000);
    // status of one instance carries no virtual servers.
    const one = await callDaemon<StatusResult>('status', { instance: 'VI_1' }, { socket: sock });
    expect(one.ok && one.result.virtualServers).toBe(undefined);
    expect(one.ok).toBe(true);
    await sup.stop();
    expect(await exited).toBe(0);
  }, 30_000);
});
