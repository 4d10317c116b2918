// apply-cli: reconcile the kernel's IPVS table with a keepalived.conf's virtual servers and a JSON
// of real-server states, as keepalived's checker process would. Proves the client and reconciler
// against a real kernel (the VM test); also handy by hand.
//   node dist/src/ipvs/apply-cli.js -f keepalived.conf [-s states.json] [-q quorum.json]
//        [--dry-run] [--exclusive] [--clear] [--json]
// states.json: {"<real server key>": {"up": true|false, "weight"?: N}}; keys as realServerKey()
// prints them with --keys. Exit: 0 done, 1 some operation failed, 2 usage/config, 3 no IPVS.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { IpvsClient } from './client.js';
import { type CheckerState, desiredTable } from './desired.js';
import { describeOp, type Op, plan, shutdownPlan } from './reconcile.js';
import { specsFromConfig } from './spec.js';
import { serviceKey } from './table.js';

interface Args { config?: string; states?: string; quorum?: string; dryRun: boolean; exclusive: boolean; clear: boolean; json: boolean; keys: boolean }

function parseArgs(argv: string[]): Args | string {
  const a: Args = { dryRun: false, exclusive: false, clear: false, json: false, keys: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const val = () => argv[++i];
    if (x === '-f' || x === '--config') a.config = val();
    else if (x === '-s' || x === '--states') a.states = val();
    else if (x === '-q' || x === '--quorum-file') a.quorum = val();
    else if (x === '--dry-run') a.dryRun = true;
    else if (x === '--exclusive') a.exclusive = true;
    else if (x === '--clear') a.clear = true;
    else if (x === '--json') a.json = true;
    else if (x === '--keys') a.keys = true;
    else return `unknown argument '${x}'`;
  }
  if (!a.config) return 'missing -f CONFIG';
  return a;
}

function readJson(file: string, what: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${file}: ${what} must be a JSON object`;
    return v as Record<string, unknown>;
  } catch (e) {
    return `${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function parseStates(obj: Record<string, unknown>, file: string): Map<string, CheckerState> | string {
  const m = new Map<string, CheckerState>();
  for (const [k, v] of Object.entries(obj)) {
    const s = v as { up?: unknown; weight?: unknown };
    if (typeof s !== 'object' || s === null || typeof s.up !== 'boolean') return `${file}: "${k}" needs {"up": true|false}`;
    if (s.weight !== undefined && (typeof s.weight !== 'number' || !Number.isInteger(s.weight) || s.weight < 0)) {
      return `${file}: "${k}".weight must be a non-negative integer`;
    }
    m.set(k, { up: s.up, weight: s.weight as number | undefined });
  }
  return m;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`apply-cli: ${args}\nusage: apply-cli -f CONFIG [-s STATES.json] [-q QUORUM.json] [--dry-run] [--exclusive] [--clear] [--json] [--keys]\n`);
    return 2;
  }
  const loaded = loadConfig(args.config!);
  if (loaded.unreadable) {
    process.stderr.write(`apply-cli: cannot read ${args.config}\n`);
    return 2;
  }
  for (const d of loaded.diagnostics.filter((x) => x.severity === 'error')) {
    process.stderr.write(`apply-cli: config: ${d.file}:${d.line}:${d.column} ${d.message}\n`);
  }
  const { specs, problems } = specsFromConfig(loaded.model);
  for (const p of problems) process.stderr.write(`apply-cli: ${p}\n`);
  if (args.keys) {
    for (const s of specs) for (const r of s.realServers) process.stdout.write(`${r.key}\n`);
    return 0;
  }
  let results = new Map<string, CheckerState>();
  if (args.states) {
    const obj = readJson(args.states, 'states');
    const r = typeof obj === 'string' ? obj : parseStates(obj, args.states);
    if (typeof r === 'string') { process.stderr.write(`apply-cli: ${r}\n`); return 2; }
    results = r;
  }
  const known = new Set(specs.flatMap((s) => s.realServers.map((r) => r.key)));
  for (const k of results.keys()) if (!known.has(k)) process.stderr.write(`apply-cli: ${args.states}: no real server "${k}" in the config\n`);
  let quorumUp: Map<string, boolean> | undefined;
  if (args.quorum) {
    const q = readJson(args.quorum, 'quorum state');
    if (typeof q !== 'string') quorumUp = new Map(Object.entries(q).filter(([, v]) => typeof v === 'boolean') as [string, boolean][]);
  }
  const desired = desiredTable({ specs, results, quorumUp });
  if (args.quorum) writeFileSync(args.quorum, JSON.stringify(Object.fromEntries(desired.quorumUp), null, 1) + '\n');

  const opened = await IpvsClient.open();
  if (!opened.ok) { process.stderr.write(`apply-cli: ${opened.error}\n`); return 3; }
  const client = opened.value;
  try {
    const actual = await client.readTable();
    if (!actual.ok) { process.stderr.write(`apply-cli: reading the table: ${actual.error}\n`); return 1; }
    const own = new Set(desired.table.services.map((s) => serviceKey(s)));
    const ops: Op[] = args.clear
      ? shutdownPlan(actual.value, own)
      : plan(actual.value, desired.table, { held: desired.held, managed: desired.managed, exclusive: args.exclusive });
    const res = args.dryRun ? { done: 0, errors: [] as string[] } : await client.apply(ops);
    if (args.json) {
      process.stdout.write(JSON.stringify({ operations: ops.map(describeOp), applied: res.done, messages: client.messages, errors: res.errors }) + '\n');
    } else {
      for (const o of ops) process.stdout.write(`${describeOp(o)}\n`);
      for (const e of res.errors) process.stderr.write(`apply-cli: ${e}\n`);
      process.stdout.write(`operations: ${ops.length}, applied: ${res.done}, netlink messages: ${client.messages}, errors: ${res.errors.length}\n`);
    }
    return res.errors.length ? 1 : 0;
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => { process.stderr.write(`apply-cli: internal error: ${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; },
);
