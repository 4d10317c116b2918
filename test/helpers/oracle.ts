// keepalived -t (Debian's keepalived 2.2.7) as the config oracle, run in a namespace we make.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { addVethPairs, createNetns, deleteNetns } from './netns.js';

export const KEEPALIVED = '/usr/sbin/keepalived';

export function haveKeepalived(): boolean {
  return existsSync(KEEPALIVED);
}

export interface OracleLine {
  /** Set when keepalived names a position: "(FILE: Line N) message". */
  file?: string;
  line?: number;
  message: string;
}

export interface OracleResult {
  rc: number;
  lines: OracleLine[];
  raw: string;
}

/** The interfaces keepalived's own sample configs name. */
export const SAMPLE_INTERFACES = ['eth0', 'eth1', 'eth2', 'eth3', 'eth0.1'];

/** A namespace with the sample interfaces, for running keepalived -t (and our --host checks) in it. */
export function makeOracleNetns(): { ns: string; dispose: () => void } {
  const ns = createNetns('or');
  try {
    addVethPairs(ns, SAMPLE_INTERFACES);
  } catch (e) {
    deleteNetns(ns);
    throw e;
  }
  return { ns, dispose: () => deleteNetns(ns) };
}

/** Runs `keepalived -t -f file` inside `ns` and parses what it reports. */
export function keepalivedTest(ns: string, file: string, extraArgs: string[] = []): OracleResult {
  const r = spawnSync('ip', ['netns', 'exec', ns, KEEPALIVED, '-t', '-l', '-n', ...extraArgs, '-f', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const raw = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { rc: r.status ?? -1, lines: parseOracle(raw), raw };
}

const POS = /^\((.+): Line (\d+)\) (.*)$/;

export function parseOracle(raw: string): OracleLine[] {
  const out: OracleLine[] = [];
  for (const l of raw.split('\n')) {
    const line = l.trimEnd();
    if (!line) continue;
    const m = POS.exec(line);
    if (m) out.push({ file: m[1], line: Number(m[2]), message: m[3] });
    else out.push({ message: line });
  }
  return out;
}
