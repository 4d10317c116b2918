// Keywords with optional positionals and named options (lvs_sync_daemon IF [INSTANCE] [id N] ...):
// an option name in the place of an optional positional is the option, as keepalived reads it
// (checked with keepalived 2.2.7 -t: `lvs_sync_daemon eth0 id 5` is valid).
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';

const VI = 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n priority 100\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n';
const problems = (line: string) =>
  loadConfigText(`global_defs {\n  ${line}\n}\n${VI}`, 'k.conf').diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`);

describe('an option name where an optional positional could stand', () => {
  it.each([
    ['lvs_sync_daemon eth0 id 5'],
    ['lvs_sync_daemon eth0 maxlen 1400 port 8848 ttl 2'],
    ['lvs_sync_daemon eth0 inst VI_1 id 5'],
    ['lvs_sync_daemon eth0 VI_1 id 5 group 224.0.0.81'],
    ['lvs_sync_daemon eth0 VI_1'],
  ])('%s: no problem', (line) => expect(problems(line)).toEqual([]));

  it('an instance that does not exist is still named, wherever it stands', () => {
    expect(problems('lvs_sync_daemon eth0 VI_9 id 5')).toEqual(['error undefined-reference 2:24']);
  });
  it('a bad option value is still reported on its word', () => {
    expect(problems('lvs_sync_daemon eth0 id 300')).toEqual(['error value-out-of-range 2:27']);
  });
});
