// One check of any type: the dispatcher the scheduler calls. Never throws: an unexpected error in a
// checker becomes a failed result naming it.
import { runBfdCheck } from './bfd.js';
import { runDnsCheck } from './dns.js';
import { runFileCheck } from './file.js';
import { runHttpCheck } from './http-check.js';
import { runMiscCheck } from './misc.js';
import { runPingCheck } from './ping.js';
import { runSmtpCheck } from './smtp.js';
import { runTcpCheck } from './tcp.js';
import { errText, failure, type CheckDeps, type CheckResult, type CheckSpec } from './types.js';
import { runUdpCheck } from './udp.js';

export async function runCheck(spec: CheckSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  try {
    switch (spec.type) {
      case 'TCP_CHECK':
        return await runTcpCheck(spec, deps);
      case 'HTTP_GET':
      case 'SSL_GET':
        return await runHttpCheck(spec, deps);
      case 'MISC_CHECK':
        return await runMiscCheck(spec, deps);
      case 'SMTP_CHECK':
        return await runSmtpCheck(spec, deps);
      case 'DNS_CHECK':
        return await runDnsCheck(spec, deps);
      case 'PING_CHECK':
        return await runPingCheck(spec, deps);
      case 'UDP_CHECK':
        return await runUdpCheck(spec, deps);
      case 'FILE_CHECK':
        return await runFileCheck(spec, deps);
      case 'BFD_CHECK':
        return await runBfdCheck(spec, deps);
    }
  } catch (e) {
    return failure(`${(spec as CheckSpec).type} internal error: ${errText(e)}`, started, deps.now);
  }
}
