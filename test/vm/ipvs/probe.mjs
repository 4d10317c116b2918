// Runs in the VM after the reconcile steps: the client's other commands against the real kernel.
// Prints one JSON object; the host compares it with what each command set.
import { IpvsClient } from '../../../dist/src/ipvs/client.js';

const out = {};
const opened = await IpvsClient.open();
if (!opened.ok) {
  console.log(JSON.stringify({ open: opened.error }));
  process.exit(1);
}
const c = opened.value;
const val = (r) => (r.ok ? r.value ?? 'ok' : `ERROR ${r.error}`);
out.info = val(await c.getInfo());
out.timeoutsBefore = val(await c.getTimeouts());
out.setTimeouts = val(await c.setTimeouts({ tcp: 901, tcpFin: 61, udp: 301 }));
out.timeoutsAfter = val(await c.getTimeouts());
out.startDaemon = val(await c.startDaemon({ state: 1, mcastIfn: 'kv0', syncId: 42 }));
out.daemons = val(await c.getDaemons());
out.stopDaemon = val(await c.stopDaemon(1));
out.daemonsAfter = val(await c.getDaemons());
out.zero = val(await c.zero());
out.flush = val(await c.flush());
const t = await c.readTable();
out.servicesAfterFlush = t.ok ? t.value.services.length : `ERROR ${t.error}`;
out.deleteMissing = val(await c.request({ cmd: 'DEL_SERVICE', service: { af: 2, protocol: 6, addr: '192.0.2.99', port: 1 } }));
out.messages = c.messages;
c.close();
console.log(JSON.stringify(out));
