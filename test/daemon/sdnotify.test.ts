// systemd notify: the notifier's messages and watchdog (fakes), the addon's datagram to a real
// AF_UNIX socket (python3 listens), and the daemon under a fake systemd (root, a namespace):
// READY=1 once the VRRP child runs, RELOADING=1/READY=1 around HUP (also a refused one), WATCHDOG=1,
// STOPPING=1.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SdNotifier, watchdogPeriodMs } from '../../src/daemon/sdnotify.js';
import { loadSysNative } from '../../src/net/native.js';
import { addVethPairs, createNetns, deleteNetns, ip, isRoot } from '../helpers/netns.js';
import { type Daemon, distBuilt, readPid, startOurs, status, stopProc, until } from './dump-harness.js';

const havePython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;

/** A datagram listener (python3): one JSON line per message received on `addr` ('@x' abstract). */
function listen(addr: string): { proc: ChildProcess; messages: () => string[]; ready: Promise<void> } {
  const py = [
    'import socket,sys,json',
    's=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)',
    `a=${JSON.stringify(addr)}`,
    "s.bind('\\0'+a[1:] if a.startswith('@') else a)",
    "print('LISTENING',flush=True)",
    'while True:',
    '  d=s.recv(4096)',
    '  print(json.dumps(d.decode()),flush=True)',
  ].join('\n');
  const proc = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  proc.stdout!.on('data', (d) => {
    buf += d;
    if (buf.includes('LISTENING')) onReady();
  });
  const messages = () => buf.split('\n').filter((l) => l.startsWith('"')).map((l) => JSON.parse(l) as string);
  return { proc, messages, ready };
}

describe('SdNotifier (fakes)', () => {
  it('sends keepalived\'s messages to $NOTIFY_SOCKET, nothing without it', () => {
    const sent: [string, string][] = [];
    const n = new SdNotifier({ env: { NOTIFY_SOCKET: '/run/x.sock' }, pid: 42, send: (p, m) => (sent.push([p, m]), { ok: true }), monotonicUs: () => 123n });
    expect(n.ready('Startup complete')).toBe(true);
    n.reloading();
    n.status('line one\nline two');
    n.stopping();
    n.error(22, 'bad config');
    expect(sent.map((s) => s[1])).toEqual([
      'READY=1\nMAINPID=42\nSTATUS=Startup complete',
      'RELOADING=1\nMONOTONIC_USEC=123\nSTATUS=Reloading',
      'STATUS=line one line two',
      'STOPPING=1\nSTATUS=Stopping',
      'ERRNO=22\nSTATUS=bad config',
    ]);
    expect(new Set(sent.map((s) => s[0]))).toEqual(new Set(['/run/x.sock']));
    const off = new SdNotifier({ env: {}, send: () => { throw new Error('must not send'); } });
    expect(off.enabled).toBe(false);
    expect(off.ready('x')).toBe(false);
  });

  it('WATCHDOG=1 every WATCHDOG_USEC/2, only for our pid; a failing send warns once per error', () => {
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '2000000' }, 7)).toBe(1000);
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }, 7)).toBe(1000);
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '8' }, 7)).toBeNull();
    expect(watchdogPeriodMs({ WATCHDOG_USEC: 'x' }, 7)).toBeNull();
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '0' }, 7)).toBeNull();
    expect(watchdogPeriodMs({}, 7)).toBeNull();
    const sent: string[] = [];
    const warns: string[] = [];
    let tick: () => void = () => undefined;
    let period = 0;
    let cleared = false;
    const n = new SdNotifier({
      env: { NOTIFY_SOCKET: '@sd', WATCHDOG_USEC: '500000' }, pid: 7,
      send: (_p, m) => (sent.push(m), sent.length > 3 ? { ok: false, error: 'ECONNREFUSED' } : { ok: true }),
      setInterval: (fn, ms) => ((tick = fn), (period = ms), {}), clearInterval: () => void (cleared = true), warn: (m) => void warns.push(m),
    });
    expect(n.startWatchdog()).toBe(250);
    expect(period).toBe(250);
    for (let i = 0; i < 4; i++) tick();
    expect(sent).toEqual(Array(5).fill('WATCHDOG=1'));
    expect(warns).toEqual(['systemd notification failed: ECONNREFUSED']);
    n.stopWatchdog();
    expect(cleared).toBe(true);
  });
});

describe.runIf(havePython && loadSysNative().ok)('the addon\'s sdNotify on a real datagram socket', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sdn-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reaches a path socket and an abstract one; a missing socket is an error, not a throw', async () => {
    const addon = (loadSysNative() as { ok: true; addon: import('../../src/net/native.js').SysAddon }).addon;
    for (const addr of [join(tmp, 'notify.sock'), `@kasdn-${process.pid}`]) {
      const l = listen(addr);
      try {
        await l.ready;
        expect(addon.sdNotify(addr, 'READY=1\nSTATUS=hello')).toEqual({ ok: true });
        await until(`message on ${addr}`, () => l.messages().length > 0, 5000, 20);
        expect(l.messages()).toEqual(['READY=1\nSTATUS=hello']);
      } finally {
        l.proc.kill();
      }
    }
    const r = addon.sdNotify(join(tmp, 'absent.sock'), 'READY=1');
    expect(r.ok).toBe(false);
    expect(addon.sdNotify(5 as unknown as string, 'x').ok).toBe(false);
  });
});

const conf = (vrid: number) => `
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id ${vrid}
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`;

describe.runIf(isRoot() && havePython && distBuilt())('the daemon under a stand-in systemd (root, namespace)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sdd-'));
  let ns = '';
  let d: Daemon | null = null;
  let l: ReturnType<typeof listen> | null = null;
  afterAll(async () => {
    if (d) await stopProc(d);
    l?.proc.kill();
    if (ns) deleteNetns(ns);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('READY=1 after the VRRP child is up, WATCHDOG=1, RELOADING=1/READY=1 around HUP, STOPPING=1', async () => {
    ns = createNetns('sdn');
    addVethPairs(ns, ['veth0']);
    ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
    // A path socket: abstract names belong to a network namespace and the daemon runs in another.
    const sock = join(tmp, 'notify.sock');
    l = listen(sock);
    await l.ready;
    d = startOurs(ns, join(tmp, 'd'), conf(51), ['-P'], { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' });
    const msgs = () => l!.messages();
    await until('READY=1', () => msgs().some((m) => m.startsWith('READY=1')), 20_000, 20);
    const pid = readPid(d.files.pid);
    const ready = msgs().find((m) => m.startsWith('READY=1'))!;
    expect(ready).toBe(`READY=1\nMAINPID=${pid}\nSTATUS=Startup complete; running VRRP child`);
    // READY came after the VRRP child said it runs: its pid file is there and status answers.
    expect(readPid(d.files.vrrpPid)).not.toBeNull();
    expect((await status(d))?.instances.map((i) => i.name)).toEqual(['VI_1']);
    await until('3 watchdog pings', () => msgs().filter((m) => m === 'WATCHDOG=1').length >= 3, 10_000, 20);

    const count = (re: RegExp) => msgs().filter((m) => re.test(m)).length;
    writeFileSync(d.files.conf, conf(52));
    process.kill(pid!, 'SIGHUP');
    await until('RELOADING=1 then READY=1', () => count(/^READY=1/) === 2, 20_000, 20);
    const afterReload = msgs().filter((m) => m !== 'WATCHDOG=1');
    expect(afterReload[1]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=Reloading$/);
    expect(afterReload[2]).toBe(`READY=1\nMAINPID=${pid}\nSTATUS=Reload complete; running VRRP child`);
    expect((await status(d))?.instances[0].vrid).toBe(52);

    writeFileSync(d.files.conf, 'vrrp_instance VI_1 {\n  virtual_router_id 300\n}\n');
    process.kill(pid!, 'SIGHUP');
    await until('READY=1 after a refused reload', () => count(/^READY=1/) === 3, 20_000, 20);
    expect(msgs().filter((m) => m !== 'WATCHDOG=1').at(-1)).toContain('STATUS=Reload failed (configuration has errors)');
    expect(count(/^RELOADING=1/)).toBe(2);

    expect(await stopProc(d)).toBe(0);
    await until('STOPPING=1', () => msgs().some((m) => m.startsWith('STOPPING=1')), 5000, 20);
    const last = msgs().filter((m) => m !== 'WATCHDOG=1').at(-1);
    expect(last).toBe('STOPPING=1\nSTATUS=Stopping');
  }, 90_000);
});
