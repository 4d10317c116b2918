// Runs every checker of a keepalived.conf (argv[2]) once, inside the fwmark lab's client namespace
// (started under `ip netns exec` by test/genhash/fwmark-checkers.test.ts): one JSON line per checker
// {type, fwmark, ok, detail}, then {problems}.
import { loadConfigText } from '../../dist/src/config/index.js';
import { runCheck } from '../../dist/src/check/run.js';
import { buildCheckers } from '../../dist/src/check/spec.js';

const { servers, problems } = buildCheckers(loadConfigText(process.argv[2] ?? '', 'fwmark.conf').model);
const deps = { now: () => performance.now() };
for (const s of servers) {
  for (const c of s.checkers) {
    const r = await runCheck(c.spec, deps);
    process.stdout.write(JSON.stringify({ where: c.where, type: c.spec.type, fwmark: c.spec.target?.fwmark ?? null, ok: r.ok, detail: r.detail }) + '\n');
  }
}
process.stdout.write(JSON.stringify({ problems }) + '\n');
