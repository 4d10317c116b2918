// keepalived's notify FIFOs (global notify_fifo and vrrp_notify_fifo): created if missing (mode
// 0644, owned by the FIFO's user), opened read-write and non-blocking so that a FIFO nobody reads
// never stalls or breaks the daemon (lines are dropped once the pipe is full, as keepalived's
// unchecked write() drops them), and removed at stop if we created it. Lines are written
// synchronously, so their order is the order of the transitions.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Logger } from './log.js';
import type { FifoSpec } from './notify-config.js';
import { lookupUser, ourUser, type ScriptUser, type UserDb } from './script-exec.js';

export interface OpenFifo {
  spec: FifoSpec;
  fd: number;
  created: boolean;
  dropped: number;
}

function mkfifo(path: string): { ok: true } | { ok: false; exists: boolean; error: string } {
  try {
    const st = fs.lstatSync(path);
    return { ok: false, exists: true, error: st.isFIFO() ? '' : 'not a FIFO' };
  } catch {
    // absent: make it
  }
  try {
    // Node has no mkfifo(2); coreutils' mkfifo makes it with the mode in one step.
    execFileSync('mkfifo', ['-m', '0644', '--', path], { stdio: 'pipe', timeout: 5000 });
    return { ok: true };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return { ok: false, exists: false, error: err.stderr?.toString().trim() || err.message };
  }
}

/** Opens one FIFO as keepalived's fifo_open does; null (logged) when it cannot. */
export function openFifo(spec: FifoSpec, log: Logger, owner?: ScriptUser): OpenFifo | null {
  const type = spec.kind === 'vrrp_notify_fifo' ? 'vrrp_' : '';
  const made = mkfifo(spec.path);
  if (!made.ok && !made.exists) {
    log.log('info', `Unable to create ${type}notify fifo ${spec.path}: ${made.error}`);
    return null;
  }
  if (made.ok && owner) {
    const me = ourUser();
    if (owner.uid !== me.uid || owner.gid !== me.gid) {
      try {
        fs.chownSync(spec.path, owner.uid, owner.gid);
      } catch {
        log.log('info', `Failed to set uid:gid for fifo ${spec.path}`);
      }
    }
  }
  let fd: number;
  try {
    const c = fs.constants;
    fd = fs.openSync(spec.path, c.O_RDWR | c.O_NONBLOCK | c.O_NOFOLLOW);
  } catch (e) {
    log.log('info', `Unable to open ${type}notify fifo ${spec.path} - ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    if (made.ok) fs.rmSync(spec.path, { force: true });
    return null;
  }
  if (!fs.fstatSync(fd).isFIFO()) {
    log.log('info', `Unable to open ${type}notify fifo ${spec.path} - not a FIFO`);
    fs.closeSync(fd);
    return null;
  }
  return { spec, fd, created: made.ok, dropped: 0 };
}

/** The FIFO's owner: its own `USER [GROUP]`, else the default script user (resolved by the caller). */
export function fifoOwner(spec: FifoSpec, fallback: ScriptUser, db?: UserDb): ScriptUser | null {
  if (!spec.user) return fallback;
  const u = lookupUser(spec.user[0], spec.user[1], db);
  return u.ok ? u.value : null;
}

/** Writes one line; never blocks and never throws. */
export function writeFifo(f: OpenFifo, line: string, log: Logger): void {
  try {
    fs.writeSync(f.fd, line);
    if (f.dropped > 0) {
      log.log('warning', `notify fifo ${f.spec.path}: ${f.dropped} line(s) dropped while it was full`);
      f.dropped = 0;
    }
  } catch (e) {
    // EAGAIN: nobody reads and the pipe is full.
    if (f.dropped++ === 0) log.log('warning', `notify fifo ${f.spec.path}: write failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); dropping lines until it drains`);
  }
}

/** Closes it; unlinks first what we created, so a reader looping on open cannot reopen it. */
export function closeFifo(f: OpenFifo): void {
  if (f.created) fs.rmSync(f.spec.path, { force: true });
  try {
    fs.closeSync(f.fd);
  } catch {
    // already closed
  }
}
