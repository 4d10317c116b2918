// DNS_CHECK (check_dns.c): one query over UDP to the server; a reply with our id, QR set and RCODE
// NOERROR is success even without answers (a server that answers is alive). Stray datagrams are
// ignored; no reply within connect_timeout is a failure. Retries are the checker's retry (default 3).
import dgram from 'node:dgram';
import net from 'node:net';
import { dnsTypeCode, encodeDnsQuery, judgeDnsReply } from './dns-codec.js';
import { clampTimer, errText, failure, hostPort, success, type CheckDeps, type CheckResult, type DnsSpec } from './types.js';

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
  return new Promise((resolve) => {
    const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      deps.signal?.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch {
        /* closed already */
      }
      resolve(r);
    };
    const onAbort = (): void => finish(failure(`DNS_CHECK query to ${where} aborted`, started, deps.now));
    const timer = setTimeout(() => finish(failure(`DNS_CHECK ${where}: read timeout after ${t.timeoutMs / 1000}s`, started, deps.now)), clampTimer(t.timeoutMs));
    deps.signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e) => finish(failure(`DNS_CHECK ${where}: ${errText(e)}`, started, deps.now)));
    sock.on('message', (msg) => {
      const v = judgeDnsReply(msg, id);
      if (v === 'ignore') return;
      if (v.ok) finish(success(`DNS_CHECK ${where} answered ${spec.qtype.toUpperCase()} ${spec.name}`, started, deps.now));
      else finish(failure(`DNS_CHECK ${where}: reply rcode ${v.rcode} (${RCODES[v.rcode] ?? 'error'})`, started, deps.now));
    });
    const send = (): void => {
      sock.connect(t.port, t.ip, () => {
        sock.send(q.packet, (e) => {
          if (e) finish(failure(`DNS_CHECK ${where}: failed to send: ${errText(e)}`, started, deps.now));
        });
      });
    };
    if (t.bindto || t.bindPort) sock.bind({ address: t.bindto, port: t.bindPort ?? 0 }, send);
    else send();
  });
}
