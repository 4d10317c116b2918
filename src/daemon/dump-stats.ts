// keepalived's STATS dump (SIGUSR2, /tmp/keepalived.stats): per instance, its vrrp_stats under
// keepalived 2.2.7's headings, labels, indentation and order. Pure.
import type { DumpInstance } from './dump-types.js';

export function formatStats(instances: readonly DumpInstance[]): string {
  const out: string[] = [];
  for (const i of instances) {
    const s = i.stats;
    out.push(
      `VRRP Instance: ${i.name}`,
      '  Advertisements:',
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      '  Packet Errors:',
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${s.pri_zero_rcvd}`,
      `    Sent: ${s.pri_zero_sent}`,
    );
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
