// keepalived's file test scripts: a command starting "</" (keepalived 2.2.7 lib/notify.c,
// check_script_secure returns SC_SYSTEM without checking anything, and the script runs through
// system() with the first word unquoted) only checks the file can be opened for reading by the
// script user. Split, security check, real runs (root: as an unprivileged user), the runtime
// tracking one with weight 0, and keepalived -t on the config.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpRuntime } from '../../src/daemon/runtime.js';
import { checkScriptSecure, isFileTest, lookupUser, scriptFromLine } from '../../src/daemon/script-exec.js';
import { runScript, shellLine } from '../../src/daemon/script-run.js';
import { addVethPairs, createNetns, deleteNetns, isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest } from '../helpers/oracle.js';
import { FakeAnnouncer, FakeClock, FakeLan, FakeRtnl, memLogger } from './fakes.js';

const root = process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ka-ftest-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const S = 1_000_000;

const argvOf = (line: string): string[] => {
  const r = scriptFromLine(line);
  if (!r.ok) throw new Error(r.error);
  return r.value.argv;
};

describe('file test scripts: recognised as keepalived does', () => {
  it('"</path" and a quoted "< /path" are file tests; "< /path" split in two words is not', () => {
    expect(isFileTest(argvOf('script "</etc/hostname"'))).toBe(true);
    expect(isFileTest(argvOf(`script "'<  /etc/hostname'"`))).toBe(true);
    expect(isFileTest(argvOf('script "< /etc/hostname"'))).toBe(false); // argv ['<', '/etc/hostname']
    expect(isFileTest(argvOf('script "<hostname"'))).toBe(false);
    expect(isFileTest(argvOf('script "/bin/true"'))).toBe(false);
    expect(isFileTest([])).toBe(false);
  });

  it('the shell line keeps the redirection bare and quotes the other words (cmd_str)', () => {
    expect(shellLine(['</etc/hostname'])).toBe('</etc/hostname');
    expect(shellLine(['</a', 'b c'])).toBe("</a 'b c'");
  });

  it('the security check passes a file test without looking at the file, with script security on', () => {
    const v = checkScriptSecure(['</nonexistent/dir/file'], { uid: 0, gid: 0 }, true);
    expect(v).toEqual({ runnable: true, argv: ['</nonexistent/dir/file'], insecure: false, messages: [] });
    // The two-word form is a command named "<": not found, disabled.
    const two = checkScriptSecure(['<', '/etc/hostname'], { uid: 0, gid: 0 }, true);
    expect(two.runnable).toBe(false);
    expect(two.messages).toEqual(['Cannot find script < in path - disabling']);
  });
});

describe('file test scripts: runs', () => {
  const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

  it('exit 0 when the file can be read, non-zero when it is missing', async () => {
    const f = path.join(tmp, 'present');
    fs.writeFileSync(f, 'x');
    expect(await runScript([`<${f}`], me).done).toEqual({ kind: 'exit', code: 0 });
    const miss = await runScript([`< ${path.join(tmp, 'absent')}`], me).done;
    expect(miss.kind).toBe('exit');
    if (miss.kind === 'exit') expect(miss.code).not.toBe(0);
  });

  it.runIf(root)('checks as the script user: a root-only file fails for nobody and passes for root', async () => {
    const nobody = lookupUser('nobody');
    expect(nobody.ok).toBe(true);
    if (!nobody.ok) return;
    const dir = fs.mkdtempSync(path.join(tmp, 'd'));
    fs.chmodSync(dir, 0o755);
    const f = path.join(dir, 'secret');
    fs.writeFileSync(f, 'x');
    fs.chmodSync(f, 0o600);
    const asNobody = await runScript([`<${f}`], nobody.value).done;
    expect(asNobody.kind === 'exit' && asNobody.code !== 0).toBe(true);
    expect(await runScript([`<${f}`], { uid: 0, gid: 0 }).done).toEqual({ kind: 'exit', code: 0 });
  });
});

function conf(file: string): string {
  return `global_defs {
  script_user root
  enable_script_security
}
vrrp_script flag {
  script "<${file}"
  interval 1
  fall 1
  rise 1
}
vrrp_instance VI_1 {
  interface veth0
  state BACKUP
  virtual_router_id 51
  priority 150
  advert_int 1
  track_script {
    flag
  }
  virtual_ipaddress { 192.0.2.100/24 }
}`;
}

describe('file test scripts: tracked by the runtime (real runs, fake clock and LAN)', () => {
  it.runIf(root)('weight 0: the instance runs while the file is there and goes FAULT when it is gone', async () => {
    const file = path.join(tmp, 'flag');
    fs.writeFileSync(file, '');
    const clock = new FakeClock();
    const log = memLogger(true);
    const rt = new VrrpRuntime(buildVrrpPlan(loadConfigText(conf(file), 'a.conf').model), {
      openVrrpSocket: new FakeLan().opener('a'), announcer: new FakeAnnouncer(clock),
      rtnl: new FakeRtnl(['veth0'], [{ ifname: 'veth0', addr: '192.0.2.1' }]), clock, log, onEvent: () => {},
    });
    const flag = () => rt.statusOf('VI_1')?.tracks.find((t) => t.name === 'flag')?.status;
    /** Real script runs finish on their own time: step the fake clock until `ok` (bounded). */
    const until = async (ok: () => boolean) => {
      for (let k = 0; k < 100 && !ok(); k++) {
        await clock.advance(S / 2, () => rt.idle());
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(ok()).toBe(true);
    };
    try {
      expect(await rt.start()).toEqual({ ok: true });
      expect(log.lines.some((l) => l.includes('Disabling track script'))).toBe(false);
      await until(() => rt.statusOf('VI_1')?.state === 'MASTER');
      expect(flag()).toBe(true);
      fs.rmSync(file);
      await until(() => rt.statusOf('VI_1')?.state === 'FAULT');
      expect(flag()).toBe(false);
      fs.writeFileSync(file, '');
      await until(() => rt.statusOf('VI_1')?.state === 'MASTER');
    } finally {
      await rt.stop();
    }
  });

  it.runIf(isRoot() && haveKeepalived())('keepalived -t accepts the config and disables nothing', () => {
    const ns = createNetns('ftest');
    const f = path.join(tmp, 'k.conf');
    try {
      addVethPairs(ns, ['veth0']);
      fs.writeFileSync(f, conf(path.join(tmp, 'absent-flag')));
      const r = keepalivedTest(ns, f);
      expect(r.rc, r.raw).toBe(0);
      expect(r.raw).not.toMatch(/Disabling/);
      // The two-word form is refused as keepalived refuses it: a command named "<" is not found.
      fs.writeFileSync(f, conf(path.join(tmp, 'absent-flag')).replace('"<', '"< '));
      expect(keepalivedTest(ns, f).raw).toMatch(/Disabling track script flag since not found\/accessible/);
    } finally {
      deleteNetns(ns);
    }
  });
});
