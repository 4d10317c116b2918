// DNS_CHECK (check_dns.c): one query over UDP to the server; a reply with our id, QR set and RCODE
// NOERROR is success even without answers (a server that answers is alive). Stray datagrams are
// ignored; no reply within connect_timeout is a failure. Retries are the checker's retry (default 3).
import net from 'node:net';
import { dnsTypeCode, encodeDnsQuery, judgeDnsReply } from './dns-codec.js';
import { errText, failure, hostPort, success, type CheckDeps, type CheckResult, type DnsSpec } from './types.js';
import { udpExchange } from './udp-exchange.js';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function runDnsCheck(spec: DnsSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const t = spec.target;
  const where = hostPort(t.ip, t.port);
  const qtype = dnsTypeCode(spec.qtype);
  if (qtype === undefined) return Promise.resolve(failure(`DNS_CHECK type '${spec.qtype}' is not supported`, started, deps.now));
  const id = Math.floor((deps.random ?? Math.random)() * 0x10000);
  const q = encodeDnsQuery(id, spec.name, qtype);
  if (!q.ok) return Promise.resolve(failure(`DNS_CHECK ${q.error}`, started, deps.now));
  const family = net.isIP(t.ip);
  if (!family) return Promise.resolve(failure(`DNS_CHECK address '${t.ip}' is not an IP address`, started, deps.now));
  return udpExchange({
    target: t,
    family: family as 4 | 6,
    payload: q.packet,
    deps,
    onMessage: (msg) => {
      const v = judgeDnsReply(msg, id);
      if (v === 'ignore') return undefined;
      if (v.ok) return success(`DNS_CHECK ${where} answered ${spec.qtype.toUpperCase()} ${spec.name}`, started, deps.now);
      return failure(`DNS_CHECK ${where}: reply rcode ${v.rcode} (${RCODES[v.rcode] ?? 'error'})`, started, deps.now);
    },
    onTimeout: () => failure(`DNS_CHECK ${where}: read timeout after ${t.timeoutMs / 1000}s`, started, deps.now),
    onError: (e) => failure(`DNS_CHECK ${where}: ${errText(e)}`, started, deps.now),
    onAbort: () => failure(`DNS_CHECK query to ${where} aborted`, started, deps.now),
    onSendError: (why) => failure(`DNS_CHECK ${where}: failed to send: ${why}`, started, deps.now),
  });
}
