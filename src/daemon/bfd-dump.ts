// keepalived_bfd.data (SIGUSR1 to the BFD process): the global definitions, then every session's
// configuration and state with keepalived 2.2.7's labels and order (bfd_data.c dump_bfd). Lines
// that print keepalived's internals (fd numbers, thread pointers) are left out: we have no such
// values, and inventing them would mislead. Pure: the sessions and the times come in.
import { DIAG_NAMES, STATE_NAMES } from '../bfd/codec.js';
import type { BfdInstanceConfig } from '../bfd/config.js';
import type { BfdSession } from '../bfd/session.js';
import { ctimeUs, globalLines } from './dump-data.js';
import type { DumpGlobals } from './dump-types.js';

export interface DumpClock {
  /** Monotonic now (us), the scale of the sessions' deadlines. */
  monoUs: number;
  /** Wall-clock now (us since the epoch). */
  wallUs: number;
  utc?: boolean;
}

/** ctime(3)'s 24 characters for a whole second ("Wed Nov 25 06:06:33 2026"). */
const ctime24 = (sec: number, utc?: boolean) => ctimeUs(sec * 1e6, utc).replace('.000000', '');

/** "sec.usec" and the wall time of a monotonic instant. */
function wallOf(at: number, c: DumpClock): { sec: number; frac: string } {
  const wall = c.wallUs + (at - c.monoUs);
  return { sec: Math.floor(wall / 1e6), frac: String(Math.floor(wall) % 1e6).padStart(6, '0') };
}

function sands(label: string, at: number | null, c: DumpClock): string {
  if (at === null) return `   ${label} = [disabled]`;
  const { sec, frac } = wallOf(at, c);
  return `   ${label} = ${sec}.${frac} (${ctime24(sec, c.utc).slice(0, 19)}.${frac})`;
}

export function bfdSessionLines(cfg: BfdInstanceConfig, s: BfdSession, c: DumpClock, sendError = false): string[] {
  const out = [` BFD Instance = ${cfg.name}`, `   Neighbor IP = ${cfg.neighbor}`];
  if (cfg.source !== undefined) out.push(`   Source IP = ${cfg.source}`);
  out.push(
    `   Required min RX interval = ${cfg.minRxUs} us`,
    `   Desired min TX interval = ${cfg.minTxUs} us`,
    `   Desired idle TX interval = ${cfg.idleTxUs} us`,
    `   Detection multiplier = ${cfg.mult}`,
    `   ${cfg.family === 4 ? 'TTL' : 'hoplimit'} = ${cfg.ttl}`,
    `   max_hops = ${cfg.maxHops ?? 255}`,
    `   passive = ${cfg.passive ? 'true' : 'false'}`,
    `   send event to VRRP process = ${cfg.vrrp ? 'Yes' : 'No'}`,
    `   send event to checker process = ${cfg.checker ? 'Yes' : 'No'}`,
    sands('sands_out', s.txAt, c),
    sands('sands_exp', s.expireAt, c),
    sands('sands_rst', s.resetAt, c),
    `   send error = ${sendError ? 'true' : 'false'}`,
    `   local state = ${STATE_NAMES[s.localState]}`,
    `   remote state = ${STATE_NAMES[s.remoteState]}`,
    `   local discriminator = 0x${s.localDiscr.toString(16)}`,
    `   remote discriminator = 0x${s.remoteDiscr.toString(16)}`,
    `   local diag = ${DIAG_NAMES[s.localDiag] ?? 'Unknown'}`,
    `   remote diag = ${DIAG_NAMES[s.remoteDiag] ?? 'Unknown'}`,
    `   remote min tx intv = ${s.remoteMinTxUs} us`,
    `   remote min rx intv = ${s.remoteMinRxUs} us`,
    '   local demand = 0',
    `   remote demand = ${s.remoteDemand ? 1 : 0}`,
    `   remote detect multiplier = ${s.remoteMult}`,
    `   ${s.poll ? '' : '!'}poll, ${s.final ? '' : '!'}final`,
    `   local tx intv = ${s.localTxUs} us`,
    `   remote tx intv = ${s.remoteTxUs} us`,
    `   local detection time = ${s.localDetectUs} us`,
    `   remote detection time = ${s.remoteDetectUs} us`,
  );
  if (s.lastSeenUs === null) out.push('   last_seen = [never]');
  else {
    const { sec, frac } = wallOf(s.lastSeenUs, c);
    out.push(`   last seen = ${sec}.${frac} (${ctime24(sec, c.utc)}.${frac})`);
  }
  return out;
}

/** The text of keepalived_bfd.data. */
export function formatBfdData(
  globals: DumpGlobals,
  sessions: readonly { cfg: BfdInstanceConfig; session: BfdSession; sendError?: boolean }[],
  listening: boolean,
  c: DumpClock = { monoUs: Math.floor(performance.now() * 1000), wallUs: Date.now() * 1000 },
): string {
  const out = globalLines(globals, false);
  out.push('------< BFD Data >------', ` listening socket = ${listening ? 'open' : 'closed'}`);
  if (sessions.length > 0) {
    out.push('------< BFD Topology >------');
    for (const { cfg, session, sendError } of sessions) out.push(...bfdSessionLines(cfg, session, c, sendError));
  }
  return `${out.join('\n')}\n`;
}
