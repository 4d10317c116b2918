// Root: global_defs' process priorities on the real children. Our daemon and keepalived 2.2.7 run
// the same config, each in a namespace of its own (a veth pair inside, TEST-NET addresses, no route
// out); each child's scheduling policy, real-time priority and nice (/proc/PID/stat), locked memory
// and CPUs (/proc/PID/status) and RLIMIT_RTTIME (/proc/PID/limits) are compared field by field.
// A HUP with other values applies them; an out-of-range value is logged in keepalived's words and
// the daemon runs on.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { alive, distBuilt, readPid, runIn, startOurs, until, type Proc } from './dump-harness.js';

const KEEPALIVED = '/usr/sbin/keepalived';
const canRun = isRoot() && distBuilt() && (() => { try { return readFileSync(KEEPALIVED).length > 0; } catch { return false; } })();
const TMP = `/tmp/prio-ns-${process.pid}`;

// keepalived's checker exits FATAL (and takes keepalived down) where the kernel has no IPVS: its
// config leaves the virtual server out when /proc/net/ip_vs is missing, and ours' checker child is
// compared with the values keepalived's handlers give instead.
const IPVS = existsSync('/proc/net/ip_vs');
const conf = (g: string, vs = true) => `global_defs {
${g}
}
bfd_instance b1 {
  neighbor_ip 192.0.2.2
  source_ip 192.0.2.1
}
vrrp_instance VI_1 {
  interface pv0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/32
  }
}
${vs ? VS : ''}`;

const VS = `virtual_server 192.0.2.10 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.20 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

const FIRST = `  vrrp_rt_priority 20
  vrrp_rlimit_rttime 200000
  vrrp_no_swap
  vrrp_cpu_affinity 0
  checker_priority 19
  checker_cpu_affinity 1
  bfd_rt_priority 10
  bfd_rlimit_rttime 300000
  bfd_no_swap`;

const SECOND = `  vrrp_priority -5
  checker_rt_priority 5
  checker_rlimit_rttime 400000
  bfd_priority 10
  bfd_cpu_affinity 1`;

/** What the kernel says about one process. */
function facts(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields from 3 (state): nice is field 19, rt_priority 40, policy 41 (proc(5))
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const lim = /^Max realtime timeout\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const policy = Number(f[41 - 3]);
  return {
    nice: Number(f[19 - 3]),
    rtPriority: Number(f[40 - 3]),
    policy: policy === 2 ? 'SCHED_RR' : policy === 0 ? 'SCHED_OTHER' : String(policy),
    locked: Number(/^VmLck:\s+(\d+)/m.exec(status)?.[1] ?? 0) > 0,
    cpus: /^Cpus_allowed_list:\s+(\S+)/m.exec(status)?.[1],
    rttime: lim ? `${lim[1]}/${lim[2]}` : undefined,
  };
}

function setUpNs(tag: string): string {
  const ns = createNetns(tag);
  ip('-n', ns, 'link', 'add', 'pv0', 'type', 'veth', 'peer', 'name', 'pv1');
  ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'pv0');
  ip('-n', ns, 'addr', 'add', '192.0.2.2/24', 'dev', 'pv1');
  ip('-n', ns, 'link', 'set', 'pv0', 'up');
  ip('-n', ns, 'link', 'set', 'pv1', 'up');
  return ns;
}

const procs: Proc[] = [];
const nss: string[] = [];
afterAll(async () => {
  for (const p of procs) {
    if (p.proc.exitCode === null) p.proc.kill('SIGTERM');
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 8000))]);
    if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
  }
  for (const n of nss) deleteNetns(n);
  rmSync(TMP, { recursive: true, force: true });
});

/** Child pids from the pid files; keepalived's checker and BFD files are named by us. */
async function childPids(files: { vrrp: string; checker: string; bfd: string }) {
  let pids = { vrrp: 0, checker: 0, bfd: 0 };
  await until('the three children', () => {
    pids = { vrrp: readPid(files.vrrp) ?? 0, checker: files.checker ? readPid(files.checker) ?? 0 : -1, bfd: readPid(files.bfd) ?? 0 };
    return Object.values(pids).every((p) => p === -1 || (p > 0 && alive(p)));
  }, 30_000);
  return pids;
}

describe.skipIf(!canRun)('process priorities on the children, against keepalived 2.2.7', () => {
  it('start: the same policy, priorities, nice, locking, CPUs and RTTIME limit as keepalived; HUP applies new values; bad values run past', async () => {
    const nsOurs = setUpNs('pro');
    const nsKa = setUpNs('prk');
    nss.push(nsOurs, nsKa);
    const oursDir = join(TMP, 'ours');
    const kaDir = join(TMP, 'ka');
    const ours = startOurs(nsOurs, oursDir, conf(FIRST), ['-b', join(oursDir, 'b.pid')]);
    procs.push(ours);
    mkdirSync(kaDir, { recursive: true });
    writeFileSync(join(kaDir, 'ka.conf'), conf(FIRST, IPVS));
    const ka = runIn(nsKa, [KEEPALIVED, '-n', '-l', '-D', '-f', join(kaDir, 'ka.conf'), '-p', join(kaDir, 'ka.pid'),
      '-r', join(kaDir, 'kv.pid'), '-c', join(kaDir, 'kc.pid'), '-b', join(kaDir, 'kb.pid')], { TMPDIR: kaDir });
    procs.push(ka);
    const kids = IPVS ? (['vrrp', 'checker', 'bfd'] as const) : (['vrrp', 'bfd'] as const);

    const op = await childPids({ vrrp: ours.files.vrrpPid, checker: ours.files.checkersPid, bfd: join(oursDir, 'b.pid') });
    const kp = await childPids({ vrrp: join(kaDir, 'kv.pid'), checker: IPVS ? join(kaDir, 'kc.pid') : '', bfd: join(kaDir, 'kb.pid') });
    // ours applies them just after the child is ready
    await until('our VRRP child on SCHED_RR', () => facts(op.vrrp).policy === 'SCHED_RR' && facts(op.bfd).policy === 'SCHED_RR' && facts(op.checker).nice === 19, 15_000);
    for (const c of kids) {
      expect({ child: c, ...facts(op[c]) }, ours.out()).toEqual({ child: c, ...facts(kp[c]) });
    }
    expect(facts(op.vrrp)).toEqual({ nice: 0, rtPriority: 20, policy: 'SCHED_RR', locked: true, cpus: '0', rttime: '100000/200000' });
    expect(facts(op.checker)).toMatchObject({ nice: 19, policy: 'SCHED_OTHER', locked: false, cpus: '1' });
    expect(facts(op.bfd)).toMatchObject({ rtPriority: 10, policy: 'SCHED_RR', locked: true, rttime: '150000/300000' });

    // HUP with other values (and one out of range): both reset and apply them the same way.
    const second = `${SECOND}\n  vrrp_rt_priority 150`;
    writeFileSync(ours.files.conf, conf(second));
    writeFileSync(join(kaDir, 'ka.conf'), conf(second, IPVS));
    process.kill(readPid(ours.files.pid)!, 'SIGHUP');
    process.kill(readPid(join(kaDir, 'ka.pid'))!, 'SIGHUP');
    await until('our children to take the new values', () => facts(op.checker).policy === 'SCHED_RR' && facts(op.bfd).nice === 10 && facts(op.vrrp).rtPriority === 99, 20_000);
    // keepalived 2.2.7 sets RLIMIT_RTTIME to {0, 0} while reloading; without CAP_SYS_RESOURCE it
    // cannot raise it again and its SCHED_RR child is SIGKILLed (and respawned): read its pids again.
    let kp2 = kp;
    await until('keepalived children to take the new values', async () => {
      kp2 = await childPids({ vrrp: join(kaDir, 'kv.pid'), checker: IPVS ? join(kaDir, 'kc.pid') : '', bfd: join(kaDir, 'kb.pid') });
      try {
        return facts(kp2.bfd).nice === 10 && facts(kp2.vrrp).rtPriority === 99;
      } catch {
        return false;
      }
    }, 20_000);
    // A respawned keepalived child starts with all CPUs; one reloaded in place keeps its affinity
    // (2.2.7 sets it only when configured), as ours does: compare CPUs only for children kept.
    const noLimit = ({ rttime: _r, cpus, ...rest }: ReturnType<typeof facts>, kept: boolean) => (kept ? { ...rest, cpus } : rest);
    for (const c of kids) {
      const kept = kp2[c] === kp[c];
      expect({ child: c, ...noLimit(facts(op[c]), kept) }, ours.out()).toEqual({ child: c, ...noLimit(facts(kp2[c]), kept) });
    }
    expect(facts(op.vrrp).cpus).toBe('0');
    // the new default (keepalived's 10 ms) is raised to our floor of 200 ms, and the child runs on
    expect(facts(op.vrrp)).toMatchObject({ policy: 'SCHED_RR', rtPriority: 99, rttime: '100000/200000' });
    expect(ours.out()).toContain('vrrp_rlimit_rttime 10000 raised to 200000 usecs');
    expect(facts(op.checker)).toMatchObject({ policy: 'SCHED_RR', rtPriority: 5, rttime: '200000/400000', cpus: '1', nice: 0 });
    expect(facts(op.bfd)).toMatchObject({ policy: 'SCHED_OTHER', nice: 10, cpus: '1', locked: false });
    expect(ours.out()).toContain('vrrp process real-time priority 150 greater than maximum 99 - setting to maximum');
    expect(ours.out()).toMatch(/Keepalived_vrrp.*vrrp process real-time priority 150 greater than maximum 99 - setting to maximum/);
    for (const p of Object.values(op)) expect(alive(p)).toBe(true);
  });
});
