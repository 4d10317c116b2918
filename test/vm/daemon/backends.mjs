// Real servers for the VM daemon test: an HTTP listener per ADDR:PORT argument. A file
// DIR/down-ADDR_PORT takes that listener down (closed, so connects are refused), removing it
// brings it back. DIR/state lists the listeners up, rewritten on every change.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [dir, ...addrs] = process.argv.slice(2);
const servers = new Map();
const flag = (a) => `${dir}/down-${a.replace(/[:[\]]/g, '_')}`;

function open(a) {
  const i = a.lastIndexOf(':');
  const s = createServer((req, res) => res.end(`${a}\n`));
  s.on('error', (e) => console.error(`${a}: ${e.message}`));
  s.listen(Number(a.slice(i + 1)), a.slice(0, i));
  servers.set(a, s);
}

let last = '';
function tick() {
  for (const a of addrs) {
    const down = existsSync(flag(a));
    if (down && servers.has(a)) {
      servers.get(a).close();
      servers.get(a).closeAllConnections();
      servers.delete(a);
    } else if (!down && !servers.has(a)) open(a);
  }
  const state = [...servers.keys()].sort().join('\n') + '\n';
  if (state !== last) writeFileSync(`${dir}/state`, state);
  last = state;
}
tick();
setInterval(tick, 100);
