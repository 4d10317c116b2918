// keepalived's own sample configs through real keepalived -t (2.2.7) and our validate, side by side,
// in a namespace that has the interfaces the samples name: same verdict, same problems, same lines.
import { spawnSync } from 'node:child_process';
import { runAsync } from './run-async.js';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot } from '../helpers/netns.js';
import { haveKeepalived, keepalivedTest, makeOracleNetns, type OracleResult } from '../helpers/oracle.js';
import { requireDist } from '../helpers/dist.js';

const repo = resolve(__dirname, '..', '..');
const samplesDir = resolve(repo, '..', 'shared', 'keepalived-samples');
const samples = (() => {
  try {
    return readdirSync(samplesDir).filter((f) => f.startsWith('keepalived.conf')).sort();
  } catch {
    return [];
  }
})();

/** keepalived messages that carry no line number, and the code we report for each. */
const UNPOSITIONED: [RegExp, string][] = [
  [/Initial state master is incompatible with AH/, 'ah-initial-master'],
  [/SECURITY VIOLATION - scripts are being executed but script_security not enabled/, 'script-security'],
  [/Sync group \S+ has no virtual router\(s\)/, 'sync-group-empty'],
  [/protocol specified for fwmark - protocol will be ignored/, 'fwmark-protocol'],
  [/Disabling track script \S+ since not found/, 'script-not-found'],
];

interface Ours {
  rc: number;
  diagnostics: { severity: string; code: string; file: string; line: number; message: string }[];
}

async function ours(ns: string, file: string, configId: string): Promise<Ours> {
  const r = await runAsync('ip', ['netns', 'exec', ns, process.execPath, join(repo, 'bin', 'keepalivedctl'), 'validate', file, '--host', '--strict', '--json', '--config-id', configId], {
    timeout: 60_000,
  });
  expect(r.stderr ?? '').not.toMatch(/at .*\.js:\d+/); // never a stack trace
  // A run that printed no report fails here with what it printed instead.
  let parsed: { diagnostics?: Ours['diagnostics'] } | undefined;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined;
  }
  expect(parsed?.diagnostics, `validate printed no JSON report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`).toBeInstanceOf(Array);
  return { rc: r.status ?? -1, diagnostics: parsed!.diagnostics! };
}

const runnable = isRoot() && haveKeepalived() && samples.length > 0;

describe.skipIf(!runnable)('keepalived samples: our validate vs keepalived -t', () => {
  let ns = '';
  let dispose = () => {};
  beforeAll(() => {
    requireDist('dist/commands/validate.js');
    ({ ns, dispose } = makeOracleNetns());
  });
  afterAll(() => dispose());

  it('finds the samples', () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
  });

  const hostname = spawnSync('hostname', { encoding: 'utf8' }).stdout.trim();
  const cases = samples.flatMap((s) => (s.endsWith('conditional_conf') ? ['high', 'low', hostname].map((id) => [s, id]) : [[s, hostname]]));

  it.each(cases)('%s (config id %s)', async (sample, configId) => {
    const file = join(samplesDir, sample);
    const ka: OracleResult = keepalivedTest(ns, file, ['-i', configId]);
    const us = await ours(ns, file, configId);
    const explain = `keepalived rc=${ka.rc}:\n${ka.raw}\nours rc=${us.rc}:\n${us.diagnostics.map((d) => `${d.line} ${d.code} ${d.message}`).join('\n')}`;

    // Same verdict: keepalived -t exits 0 exactly when our --strict run does.
    expect(us.rc === 0, explain).toBe(ka.rc === 0);

    // Every problem keepalived reports, we report: on the same line, or with the mapped code.
    const expectedCodes = new Set<string>();
    const expectedLines = new Set<number>();
    for (const l of ka.lines) {
      if (l.line !== undefined && l.file === file) {
        expectedLines.add(l.line);
        expect(us.diagnostics.some((d) => d.line === l.line), `keepalived: line ${l.line}: ${l.message}\n${explain}`).toBe(true);
        continue;
      }
      const m = UNPOSITIONED.find(([re]) => re.test(l.message));
      if (m) {
        expectedCodes.add(m[1]);
        expect(us.diagnostics.some((d) => d.code === m[1]), `keepalived: ${l.message}\n${explain}`).toBe(true);
      }
    }
    // And nothing keepalived does not: each of ours is on a line keepalived flagged or is a mapped message.
    for (const d of us.diagnostics) {
      expect(expectedLines.has(d.line) || expectedCodes.has(d.code), `ours only: ${d.line} ${d.code} ${d.message}\n${explain}`).toBe(true);
    }
  });
});
