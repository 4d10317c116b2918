// Shared by the interop tests and the failover benchmarks: configs for each protocol variant, the
// state of an instance in either implementation, and the CLI run as a real process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { callDaemon } from '../../src/control/client.js';
import type { InstanceStatus, StatusResult } from '../../src/control/protocol.js';
import { type Daemon, type Frame, ROOT } from '../helpers/cluster.js';

export type Variant = 'v2-pass' | 'v3-ipv4' | 'v3-ipv6' | 'unicast';

export const VIP: Record<Variant, string> = {
  'v2-pass': '192.0.2.100',
  'v3-ipv4': '192.0.2.100',
  'v3-ipv6': '2001:db8::100',
  unicast: '192.0.2.100',
};

export interface ConfOpts {
  variant: Variant;
  /** Node index (0-based) this config is for: picks the unicast source/peer. */
  node: number;
  priority: number;
  state?: 'MASTER' | 'BACKUP';
  /** Seconds; v2 takes whole seconds only. */
  advertInt?: number;
  name?: string;
  vrid?: number;
  nopreempt?: boolean;
}

/** The advert_int each variant runs at in the tests (v3: sub-second, as keepalived allows). */
export const ADVERT_INT: Record<Variant, number> = { 'v2-pass': 1, 'v3-ipv4': 0.2, 'v3-ipv6': 0.2, unicast: 0.2 };

/** keepalived.conf text for one node, the same for ours and keepalived 2.2.7. */
export function conf(o: ConfOpts): string {
  const v = o.variant;
  const int = o.advertInt ?? ADVERT_INT[v];
  const lines = [
    'global_defs {',
    '  vrrp_garp_master_delay 0', // announce at once on becoming master, then not again after 5 s
    '}',
    `vrrp_instance ${o.name ?? 'VI_1'} {`,
    '  interface veth0',
    `  state ${o.state ?? 'BACKUP'}`,
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${int}`,
  ];
  if (v !== 'v2-pass') lines.push('  version 3');
  if (o.nopreempt) lines.push('  nopreempt');
  if (v === 'v2-pass') lines.push('  authentication {', '    auth_type PASS', '    auth_pass s3cret', '  }');
  if (v === 'unicast') {
    const me = `192.0.2.${o.node + 1}`;
    const peer = `192.0.2.${(o.node === 0 ? 1 : 0) + 1}`;
    lines.push(`  unicast_src_ip ${me}`, '  unicast_peer {', `    ${peer}`, '  }');
  }
  lines.push('  virtual_ipaddress {', `    ${VIP[v]}/${v === 'v3-ipv6' ? 64 : 24}`, '  }', '}', '');
  return lines.join('\n');
}

export async function status(d: Daemon, timeoutMs = 2000): Promise<StatusResult | null> {
  const r = await callDaemon<StatusResult>('status', {}, { socket: d.sock, timeoutMs });
  return r.ok ? r.result : null;
}

export async function instance(d: Daemon, name = 'VI_1'): Promise<InstanceStatus | undefined> {
  return (await status(d))?.instances.find((i) => i.name === name);
}

/** The state keepalived (or ours, which logs the same words) entered last, from its log. */
export function loggedState(out: string, name = 'VI_1'): string | undefined {
  const re = new RegExp(`\\(${name}\\) Entering (\\w+) STATE`, 'g');
  return [...out.matchAll(re)].at(-1)?.[1];
}

/** The instance's state: ours over the control socket, keepalived from its log; 'DEAD' once exited. */
export async function stateOf(d: Daemon, name = 'VI_1'): Promise<string | undefined> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return 'DEAD';
  if (d.impl === 'ours') return (await instance(d, name))?.state;
  return loggedState(d.out(), name);
}

/** What keepalived logs about adverts it rejects: there must be none from a correct peer. */
export const PEER_COMPLAINTS = /invalid|mismatch|bogus|wrong|too short|Unknown VRID|checksum/i;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/keepalivedctl ARGS` inside ns (the control socket is a file, but run it where the daemon runs). */
export async function cli(ns: string, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return await new Promise((res) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, process.execPath, join(ROOT, 'bin', 'keepalivedctl'), ...args],
      { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 99) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The longest stretch during which both nodes advertised as master: node X counts as master at t when
 * it sent a non-zero-priority advert in (t - 1.5 intervals, t]. A stretch starts at the advert that
 * makes both count (the second master's first) and lasts while both keep advertising: its length is
 * up to the latest advert of whichever node advertised less recently.
 */
export function longestDualMaster(frames: Frame[], nodeOf: (f: Frame) => number, intervalS: number): number {
  const adverts = frames.filter((f) => f.kind === 'vrrp' && (f.prio ?? 0) > 0 && nodeOf(f) >= 0 && nodeOf(f) <= 1).sort((a, b) => a.t - b.t);
  const last = [-Infinity, -Infinity];
  let start: number | null = null;
  let longest = 0;
  for (const f of adverts) {
    last[nodeOf(f)] = f.t;
    const both = last.every((t) => f.t - t < 1.5 * intervalS);
    if (!both) start = null;
    else {
      start ??= f.t;
      longest = Math.max(longest, Math.min(last[0]!, last[1]!) - start);
    }
  }
  return longest;
}
