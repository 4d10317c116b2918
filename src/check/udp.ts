// UDP_CHECK (check_udp.c, layer4.c): send the payload (32 random bytes without one) on a connected
// UDP socket. An ICMP error (port/host unreachable) is a failure. Without require_reply, silence
// until connect_timeout, or any reply, is success; with it, a reply is needed and, when
// require_reply gives hex data, the reply must be min..max_reply_length long and match the data
// (x nibbles are wildcards) over the shorter of the two.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { errText, failure, hostPort, success, type CheckDeps, type CheckResult, type UdpSpec } from './types.js';
import { udpExchange } from './udp-exchange.js';

/** keepalived's default datagram size when no payload is configured. */
export const UDP_DEFAULT_PAYLOAD = 32;

/**
 * keepalived's read_hex_str: blanks between bytes, a byte is one or two hex digits, and with
 * `wildcards` an x/X nibble matches anything (its mask bits are 1). Stops at the first bad digit.
 */
export function parseHexString(text: string, wildcards: boolean): { data: Buffer; mask?: Buffer } | undefined {
  const nib = (c: string): number => {
    if (/^[0-9a-f]$/i.test(c)) return parseInt(c, 16);
    if (wildcards && (c === 'x' || c === 'X')) return -2;
    return -1;
  };
  const data: number[] = [];
  const mask: number[] = [];
  let usingMask = false;
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    let v = nib(text[i++]);
    if (v === -1) break;
    let m = v === -2 ? 0x0f : 0;
    if (v === -2) v = 0;
    if (i < text.length && text[i] !== ' ' && text[i] !== '\t') {
      const v2 = nib(text[i++]);
      if (v2 === -1) break;
      v = (v << 4) | (v2 === -2 ? 0 : v2);
      m = (m << 4) | (v2 === -2 ? 0x0f : 0);
    }
    if (m) usingMask = true;
    data.push(v);
    mask.push(m);
  }
  if (data.length === 0) return undefined;
  return usingMask ? { data: Buffer.from(data), mask: Buffer.from(mask) } : { data: Buffer.from(data) };
}

/** Why a reply fails the expected data, or undefined when it passes (check_udp_reply). */
export function udpReplyProblem(reply: Uint8Array, spec: Pick<UdpSpec, 'replyData' | 'replyMask' | 'minReplyLength' | 'maxReplyLength'>): string | undefined {
  if (!spec.replyData) return undefined; // keepalived judges length and content only against reply data
  if (reply.length < spec.minReplyLength || reply.length > spec.maxReplyLength) {
    return `reply length ${reply.length} outside ${spec.minReplyLength}-${spec.maxReplyLength}`;
  }
  const n = Math.min(reply.length, spec.replyData.length);
  for (let i = 0; i < n; i++) {
    const care = spec.replyMask ? ~spec.replyMask[i] & 0xff : 0xff;
    if ((reply[i] ^ spec.replyData[i]) & care) return `reply data mismatch at byte ${i}`;
  }
  return undefined;
}

export function runUdpCheck(spec: UdpSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const t = spec.target;
  const where = hostPort(t.ip, t.port);
  const family = net.isIP(t.ip);
  if (!family) return Promise.resolve(failure(`UDP_CHECK address '${t.ip}' is not an IP address`, started, deps.now));
  const payload = spec.payload ?? randomBytes(UDP_DEFAULT_PAYLOAD);
  return udpExchange({
    target: t,
    family: family as 4 | 6,
    payload,
    deps,
    onMessage: (msg) => {
      const problem = spec.requireReply ? udpReplyProblem(msg, spec) : undefined;
      if (problem) return failure(`UDP_CHECK ${where}: ${problem}`, started, deps.now);
      return success(`UDP_CHECK ${where}: reply of ${msg.length} bytes`, started, deps.now);
    },
    onTimeout: () =>
      spec.requireReply
        ? failure(`UDP_CHECK ${where}: no reply within ${t.timeoutMs / 1000}s`, started, deps.now)
        : success(`UDP_CHECK ${where}: no error within ${t.timeoutMs / 1000}s`, started, deps.now),
    onError: (e) => failure(`UDP_CHECK ${where}: ${e.code === 'ECONNREFUSED' ? 'port unreachable' : errText(e)}`, started, deps.now),
    onAbort: () => failure(`UDP_CHECK ${where} aborted`, started, deps.now),
    onSendError: (why) => failure(`UDP_CHECK ${where}: failed to send: ${why}`, started, deps.now),
  });
}
