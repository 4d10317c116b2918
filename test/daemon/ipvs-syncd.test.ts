// lvs_sync_daemon: keepalived's line grammar (global_parser.c lvs_syncd_handler) and the keeper that
// makes the kernel's sync daemons follow a vrrp_instance (master on MASTER, else backup; both without
// an instance), against an in-memory kernel that refuses what the real one refuses (EEXIST, ESRCH).
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { ipvsGlobals } from '../../src/ipvs/daemon-config.js';
import type { IpvsDaemon } from '../../src/ipvs/genl-codec.js';
import { err, ok } from '../../src/net/nlattr.js';
import { IpvsSyncDaemon, SYNC_BACKUP, SYNC_MASTER, type SyncDaemonKernel } from '../../src/daemon/ipvs-syncd.js';

const INSTANCE = `
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress { 192.0.2.10/24 }
}
`;

function globalsOf(line: string) {
  const r = loadConfigText(`global_defs {\n    ${line}\n}\n${INSTANCE}`, 'syncd.conf', { configId: 'test' });
  return ipvsGlobals(r.model);
}

describe('lvs_sync_daemon line', () => {
  it.each([
    ['lvs_sync_daemon eth0 VI_1', { ifname: 'eth0', instance: 'VI_1', syncId: 51 }],
    ['lvs_sync_daemon eth0 VI_1 7', { ifname: 'eth0', instance: 'VI_1', syncId: 7 }],
    ['lvs_sync_daemon eth0 inst VI_1 id 9 port 8848 ttl 2 maxlen 1400 group 239.1.1.1', { ifname: 'eth0', instance: 'VI_1', syncId: 9, port: 8848, ttl: 2, maxlen: 1400, group: '239.1.1.1' }],
    ['lvs_sync_daemon eth0 id 9 inst VI_1', { ifname: 'eth0', instance: 'VI_1', syncId: 9 }],
    // No instance: keepalived's checker runs master and backup, sync id 0 unless given.
    ['lvs_sync_daemon eth0', { ifname: 'eth0' }],
    ['lvs_sync_daemon eth0 id 7', { ifname: 'eth0', syncId: 7 }],
  ])('%s', (line, want) => {
    const g = globalsOf(line);
    expect(g.problems).toEqual([]);
    expect(g.syncDaemon).toEqual(want);
  });

  it.each([
    ['lvs_sync_daemon eth0 VI_2', /vrrp_instance 'VI_2' is not defined/],
    ['lvs_sync_daemon eth0 VI_1 id 300', /id '300' is not a number in 0\.\.255/],
    ['lvs_sync_daemon eth0 VI_1 port', /port has no value/],
    ['lvs_sync_daemon eth0 VI_1 7 extra', /option 'extra' not understood/],
  ])('%s: a problem that names the option', (line, re) => {
    const g = globalsOf(line);
    expect(g.problems.join('\n')).toMatch(re);
    expect(g.problems.join('\n')).toMatch(/syncd\.conf:2/);
  });
});

class MemKernel implements SyncDaemonKernel {
  daemons: IpvsDaemon[] = [];
  calls: string[] = [];
  async getDaemons() { return ok(structuredClone(this.daemons)); }
  async startDaemon(d: IpvsDaemon) {
    await new Promise((r) => setTimeout(r, 2)); // a round trip: overlapping calls would interleave
    this.calls.push(`start ${d.state}`);
    if (this.daemons.some((x) => x.state === d.state)) return err<void>('NEW_DAEMON: File exists (EEXIST)');
    this.daemons.push(d);
    return ok(undefined);
  }
  async stopDaemon(state: number) {
    await new Promise((r) => setTimeout(r, 2));
    this.calls.push(`stop ${state}`);
    const i = this.daemons.findIndex((x) => x.state === state);
    if (i < 0) return err<void>('DEL_DAEMON: No such process (ESRCH)');
    this.daemons.splice(i, 1);
    return ok(undefined);
  }
  states(): number[] { return this.daemons.map((d) => d.state!).sort(); }
}

describe('IpvsSyncDaemon', () => {
  const conf = { ifname: 'eth0', instance: 'VI_1', syncId: 42 };
  const errors = (logs: string[]) => logs.filter((l) => l.startsWith('err'));

  it('backup until MASTER, master while MASTER (backup stopped first), nothing after stop', async () => {
    const k = new MemKernel();
    const logs: string[] = [];
    const s = new IpvsSyncDaemon((l, m) => logs.push(`${l} ${m}`));
    await s.follow(k, conf, undefined);
    expect(k.daemons).toEqual([{ state: SYNC_BACKUP, mcastIfn: 'eth0', syncId: 42 }]);
    await s.follow(k, conf, 'MASTER');
    expect(k.calls.slice(-2)).toEqual(['stop 2', 'start 1']);
    await s.follow(k, conf, 'FAULT');
    expect(k.states()).toEqual([SYNC_BACKUP]);
    await s.stop(k);
    expect(k.daemons).toEqual([]);
    expect(errors(logs)).toEqual([]);
  });

  it('state changes in a burst are applied one at a time and end in the last one', async () => {
    const k = new MemKernel();
    const logs: string[] = [];
    const s = new IpvsSyncDaemon((l, m) => logs.push(`${l} ${m}`));
    await Promise.all([s.follow(k, conf, 'BACKUP'), s.follow(k, conf, 'MASTER'), s.follow(k, conf, 'BACKUP'), s.follow(k, conf, 'MASTER')]);
    expect(k.states()).toEqual([SYNC_MASTER]);
    expect(errors(logs)).toEqual([]);
  });

  it('without an instance, master and backup both run, whatever any state', async () => {
    const k = new MemKernel();
    const logs: string[] = [];
    const s = new IpvsSyncDaemon((l, m) => logs.push(`${l} ${m}`));
    await s.follow(k, { ifname: 'eth1' }, undefined);
    expect(k.states()).toEqual([SYNC_MASTER, SYNC_BACKUP]);
    expect(k.daemons.every((d) => d.mcastIfn === 'eth1' && d.syncId === 0)).toBe(true);
    await s.stop(k);
    expect(k.daemons).toEqual([]);
    expect(errors(logs)).toEqual([]);
  });

  it('adopts what an earlier run left: the wanted one kept, the other stopped', async () => {
    const k = new MemKernel();
    k.daemons = [{ state: SYNC_MASTER, mcastIfn: 'eth0', syncId: 42 }, { state: SYNC_BACKUP, mcastIfn: 'eth0', syncId: 42 }];
    const logs: string[] = [];
    const s = new IpvsSyncDaemon((l, m) => logs.push(`${l} ${m}`));
    await s.follow(k, conf, 'MASTER');
    expect(k.calls).toEqual(['stop 2']);
    expect(k.states()).toEqual([SYNC_MASTER]);
    expect(errors(logs)).toEqual([]);
  });

  it('a refused start is logged with the kernel error and tried again on the next change', async () => {
    const k = new MemKernel();
    k.startDaemon = async () => err<void>('NEW_DAEMON: No such device (ENODEV)');
    const logs: string[] = [];
    const s = new IpvsSyncDaemon((l, m) => logs.push(`${l} ${m}`));
    await s.follow(k, conf, 'BACKUP');
    expect(errors(logs)).toEqual(['err IPVS: starting the sync daemon: NEW_DAEMON: No such device (ENODEV)']);
    await s.follow(k, conf, 'MASTER');
    expect(errors(logs)).toHaveLength(2);
  });
});
