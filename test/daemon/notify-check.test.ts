// The checker child's notifies (notify-check.ts): keepalived's RS/VS FIFO lines written to a FIFO
// the test reads, notify_fifo_script run by the checker side only when there are virtual servers,
// lvs_notify_fifo, and quorum scripts under enable_script_security (an unsafe one disabled).
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/index.js';
import { CheckNotify, fmtRs, rsFifoLine, rsNameOf, vsFifoLine } from '../../src/daemon/notify-check.js';
import type { LogLevel } from '../../src/daemon/ipc.js';
import { startOurs, stopProc } from './dump-harness.js';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns.js';
import { requireDist } from '../helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'notify-check-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function load(text: string) {
  const f = join(dir, `k${++n}.conf`);
  writeFileSync(f, text);
  return loadConfig(f, { configId: 'test' }).model;
}

function make() {
  const logs: string[] = [];
  const cn = new CheckNotify({ log: { log: (l: LogLevel, m: string) => logs.push(`${l}: ${m}`), detail: false } });
  return { cn, logs };
}

const VS = `
virtual_server 192.0.2.10 80 {
    protocol TCP
    real_server 198.51.100.11 8080 {
        TCP_CHECK { connect_timeout 1 }
    }
}
`;

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads what is in the FIFO now (non-blocking). */
function drain(fd: number): string {
  const buf = Buffer.alloc(65536);
  let out = '';
  for (let i = 0; i < 100; i++) {
    try {
      const k = readSync(fd, buf, 0, buf.length, null);
      if (k <= 0) break;
      out += buf.subarray(0, k).toString();
    } catch {
      break; // EAGAIN: empty
    }
  }
  return out;
}

describe('checker FIFO lines (keepalived notify_fifo_rs / notify_fifo_vs)', () => {
  it('formats FMT_RS and FMT_VS as keepalived does', () => {
    expect(fmtRs('198.51.100.11', 8080, 'TCP')).toBe('[198.51.100.11]:tcp:8080');
    expect(rsNameOf('[192.0.2.10]:tcp:80', '[192.0.2.10]:tcp:80|198.51.100.11:8080')).toBe('[198.51.100.11]:tcp:8080');
    expect(rsNameOf('[2001:db8::1]:udp:53', '[2001:db8::1]:udp:53|[2001:db8::53]:53')).toBe('[2001:db8::53]:udp:53');
    expect(rsFifoLine('[198.51.100.11]:tcp:8080', '[192.0.2.10]:tcp:80', true)).toBe('RS [198.51.100.11]:tcp:8080 [192.0.2.10]:tcp:80 UP\n');
    expect(vsFifoLine('FWM 7', false)).toBe('VS FWM 7 DOWN\n');
  });

  it('writes RS/VS lines to notify_fifo and lvs_notify_fifo, runs notify_fifo_script with the FIFO path, removes its FIFOs at stop', async () => {
    const fifo = join(dir, 'global.fifo');
    const lvs = join(dir, 'lvs.fifo');
    const out = join(dir, 'script.out');
    const script = join(dir, 'reader.sh');
    writeFileSync(script, `#!/bin/sh\necho "started $1" > ${out}\nexec sleep 30\n`, { mode: 0o755 });
    const { cn, logs } = make();
    cn.configure(load(`global_defs {\n notify_fifo ${fifo}\n notify_fifo_script ${script}\n lvs_notify_fifo ${lvs}\n}\n${VS}`));
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fdl = openSync(lvs, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      cn.realServer('[198.51.100.11]:tcp:8080', '[192.0.2.10]:tcp:80', false);
      cn.virtualServer('[192.0.2.10]:tcp:80', true);
      const want = 'RS [198.51.100.11]:tcp:8080 [192.0.2.10]:tcp:80 DOWN\nVS [192.0.2.10]:tcp:80 UP\n';
      expect(drain(fd)).toBe(want);
      expect(drain(fdl)).toBe(want);
      await until(() => existsSync(out));
      expect(readFileSync(out, 'utf8')).toBe(`started ${fifo}\n`);
      expect(logs.some((l) => l.includes(`Running notify_fifo_script '${script}' '${fifo}'`))).toBe(true);
    } finally {
      await cn.stop();
      closeSync(fd);
      closeSync(fdl);
    }
    expect(existsSync(fifo)).toBe(false);
    expect(existsSync(lvs)).toBe(false);
  });

  it('without virtual servers the notify_fifo_script is the VRRP side\'s: not run here', async () => {
    const fifo = join(dir, 'novs.fifo');
    const out = join(dir, 'novs.out');
    const script = join(dir, 'novs.sh');
    writeFileSync(script, `#!/bin/sh\necho "$1" > ${out}\n`, { mode: 0o755 });
    const { cn, logs } = make();
    cn.configure(load(`global_defs {\n notify_fifo ${fifo}\n notify_fifo_script ${script}\n}\n`));
    await new Promise((r) => setTimeout(r, 300));
    await cn.stop();
    expect(existsSync(out)).toBe(false);
    expect(logs.some((l) => l.includes('Running notify_fifo_script'))).toBe(false);
  });
});

describe('quorum scripts under enable_script_security', () => {
  it('a script in a directory anyone may write is disabled; a safe one runs as its user', async () => {
    const unsafeDir = join(dir, 'open');
    const out = join(dir, 'quorum.out');
    rmSync(unsafeDir, { recursive: true, force: true });
    writeFileSync(join(dir, 'up.sh'), `#!/bin/sh\necho "up $1 $(id -u)" >> ${out}\n`, { mode: 0o755 });
    mkdirSync(unsafeDir);
    chmodSync(unsafeDir, 0o777);
    writeFileSync(join(unsafeDir, 'down.sh'), `#!/bin/sh\necho down >> ${out}\n`, { mode: 0o755 });
    const { cn, logs } = make();
    cn.configure(load(`global_defs {\n script_user root\n enable_script_security\n}\n${VS}`));
    const up = { kind: 'quorum_up', argv: [join(dir, 'up.sh'), 'web'] };
    const down = { kind: 'quorum_down', argv: [join(unsafeDir, 'down.sh')] };
    expect(cn.scripts.prepare(down, 'VS x')).toBeNull();
    expect(logs.some((l) => l.startsWith('err: ') && l.includes('down.sh') && l.includes('disabled'))).toBe(true);
    expect(cn.scripts.prepare(up, 'VS x')).not.toBeNull();
    cn.scripts.run(down, 'VS x', [], false);
    cn.scripts.run(up, 'VS x', [], false);
    await until(() => existsSync(out) && readFileSync(out, 'utf8').includes('up'));
    await cn.stop();
    expect(readFileSync(out, 'utf8')).toBe(`up web ${process.getuid?.() ?? 0}\n`);
  });
});

describe('SECURITY VIOLATION (keepalived check_check_script_security)', () => {
  it('check scripts without enable_script_security are reported, insecure ones named; none with it or without scripts', async () => {
    const open = join(dir, 'open2');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'm.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(dir, 'q.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const vs = (body: string) => `virtual_server 192.0.2.10 80 {\n protocol TCP\n${body}\n real_server 198.51.100.11 80 {\n  TCP_CHECK { connect_timeout 1 }\n }\n}\n`;
    const run = async (conf: string) => {
      const { cn, logs } = make();
      cn.configure(load(conf));
      await cn.stop();
      return logs.filter((l) => l.includes('SECURITY VIOLATION'));
    };
    expect(await run(vs(` quorum_up ${join(dir, 'q.sh')}`))).toEqual(['warning: SECURITY VIOLATION - check scripts are being executed but script_security not enabled.']);
    const misc = `virtual_server 192.0.2.10 80 {\n protocol TCP\n real_server 198.51.100.11 80 {\n  MISC_CHECK {\n   misc_path ${join(open, 'm.sh')}\n  }\n }\n}\n`;
    expect(await run(misc)).toEqual(['warning: SECURITY VIOLATION - check scripts are being executed but script_security not enabled. There are insecure scripts.']);
    expect(await run(`global_defs {\n script_user root\n enable_script_security\n}\n${misc}`)).toEqual([]);
    expect(await run(vs(''))).toEqual([]);
  });
});

describe.runIf(isRoot())('the daemon\'s checker child on notify_fifo (namespace)', () => {
  let ns = '';
  afterAll(() => {
    if (ns) deleteNetns(ns);
  });

  it('a real server going down writes its RS line, then the lost quorum its VS line; notify_fifo_script runs once', async () => {
    requireDist('dist/src/daemon/vrrp-child.js');
    ns = createNetns('nck');
    const d0 = join(dir, 'daemon');
    const fifo = join(dir, 'daemon.fifo');
    const out = join(dir, 'daemon-script.out');
    const script = join(dir, 'daemon-reader.sh');
    writeFileSync(script, `#!/bin/sh\necho "started $1" >> ${out}\nexec sleep 60\n`, { mode: 0o755 });
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    // Nothing listens on 127.0.0.1:9 in the new namespace: the check fails at once.
    const conf = `global_defs {\n notify_fifo ${fifo}\n notify_fifo_script ${script}\n}\nvirtual_server 192.0.2.10 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 127.0.0.1 9 {\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }\n}\n`;
    const d = startOurs(ns, d0, conf);
    let got = '';
    try {
      await until(() => ((got += drain(fd)), got.includes('VS ')), 30_000);
      expect(got).toBe('RS [127.0.0.1]:tcp:9 [192.0.2.10]:tcp:80 DOWN\nVS [192.0.2.10]:tcp:80 DOWN\n');
      await until(() => existsSync(out));
      await new Promise((r) => setTimeout(r, 500));
      expect(readFileSync(out, 'utf8')).toBe(`started ${fifo}\n`); // the checker's, not the VRRP child's too
    } catch (e) {
      throw new Error(`${String(e)}\nFIFO: ${JSON.stringify(got)}\ndaemon output:\n${d.out()}`);
    } finally {
      await stopProc(d);
      closeSync(fd);
    }
  }, 90_000);
});
