// `npm run bench`: every benchmark, each printing our figure beside the reference from the same run.
import { printRows, type BenchRow } from './harness.js';

const suites: [string, string][] = [
  ['config validate vs keepalived -t', './config.js'],
  ['VRRP codec', './vrrp-codec.js'],
  ['VRRP state machine', './vrrp-fsm.js'],
  ['genhash vs keepalived genhash', './genhash.js'],
  ['health checkers (10,000 TCP_CHECK real servers)', './checkers.js'],
  ['control socket status round trips', './control.js'],
  ['rtnetlink VIP add/delete vs ip -batch', './rtnl.js'],
  ['IPVS reconciler', './ipvs.js'],
  ['VRRP failover: crash and graceful handover vs keepalived', './failover.js'],
  ['VRRP runtime: 100 instances idle vs keepalived', './vrrp-runtime.js'],
  ['VRRP runtime CPU per advert (in-process, simulated clock)', './vrrp-runtime-cpu.js'],
];

const only = process.argv.slice(2);
for (const [title, mod] of suites) {
  if (only.length && !only.some((o) => mod.includes(o))) continue;
  try {
    const m = (await import(mod)) as { run: () => Promise<BenchRow[]> };
    printRows(title, await m.run());
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND') console.log(`\n## ${title}\n(not built in this release)`);
    else {
      console.log(`\n## ${title}\nfailed: ${err.message}`);
      process.exitCode = 1;
    }
  }
}
