// Checks the VM probe's JSON (client commands against the real kernel). Exit 1 with the reasons.
import { readFileSync } from 'node:fs';

const [file, timeoutsFile] = process.argv.slice(2);
const fails = [];
let p;
try {
  p = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`test:vm: FAIL probe output unreadable: ${e.message}`);
  process.exit(1);
}
const expect = (cond, what) => { if (!cond) fails.push(what); };
expect(p.info?.version === 0x010201, `GET_INFO version 0x010201, got ${JSON.stringify(p.info)}`);
expect(p.info?.connTabSize > 0, 'GET_INFO connection table size > 0');
expect(p.setTimeouts === 'ok', `SET_CONFIG ok, got ${p.setTimeouts}`);
expect(JSON.stringify(p.timeoutsAfter) === JSON.stringify({ tcp: 901, tcpFin: 61, udp: 301 }), `timeouts after set, got ${JSON.stringify(p.timeoutsAfter)}`);
expect(readFileSync(timeoutsFile, 'utf8').includes('(tcp tcpfin udp): 901 61 301'), `ipvsadm -Ln --timeout shows 901 61 301: ${readFileSync(timeoutsFile, 'utf8').trim()}`);
expect(p.startDaemon === 'ok', `NEW_DAEMON ok, got ${p.startDaemon}`);
const d = Array.isArray(p.daemons) ? p.daemons[0] : undefined;
expect(d?.state === 1 && d?.mcastIfn === 'kv0' && d?.syncId === 42, `GET_DAEMON master kv0 42, got ${JSON.stringify(p.daemons)}`);
expect(p.stopDaemon === 'ok', `DEL_DAEMON ok, got ${p.stopDaemon}`);
expect(Array.isArray(p.daemonsAfter) && p.daemonsAfter.length === 0, `no daemon after stop, got ${JSON.stringify(p.daemonsAfter)}`);
expect(p.zero === 'ok', `ZERO ok, got ${p.zero}`);
expect(p.flush === 'ok', `FLUSH ok, got ${p.flush}`);
expect(p.servicesAfterFlush === 0, `empty table after flush, got ${p.servicesAfterFlush}`);
expect(/^ERROR DEL_SERVICE: .*\(ESRCH\)$/.test(p.deleteMissing ?? ''), `deleting a missing service is an ESRCH error value, got ${p.deleteMissing}`);
expect(p.messages === 12, `12 netlink requests, got ${p.messages}`);
for (const f of fails) console.log(`test:vm: FAIL probe: ${f}`);
process.exit(fails.length ? 1 : 0);
