// The DNS packets DNS_CHECK needs (RFC 1035), pure: a one-question query with RD set, as
// check_dns.c builds it, and the reply header fields it judges (id, QR, RCODE).

/** Query types DNS_CHECK accepts, by name (compared case-insensitively). */
export const DNS_TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

export function dnsTypeCode(name: string): number | undefined {
  return DNS_TYPES[name.toUpperCase()];
}

/** Encodes the query; `name` "." or "" is the root. Fails on empty or over-long labels. */
export function encodeDnsQuery(id: number, name: string, qtype: number): { ok: true; packet: Buffer } | { ok: false; error: string } {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: Buffer[] = [];
  let total = 1;
  for (const l of labels) {
    const b = Buffer.from(l, 'latin1');
    if (b.length === 0) return { ok: false, error: `DNS name '${name}' has an empty label` };
    if (b.length > 63) return { ok: false, error: `DNS name '${name}' has a label longer than 63 bytes` };
    parts.push(Buffer.from([b.length]), b);
    total += b.length + 1;
  }
  if (total > 255) return { ok: false, error: `DNS name '${name}' is longer than 255 bytes` };
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // standard query, recursion desired
  header.writeUInt16BE(1, 4); // one question
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(1, 3); // class IN
  return { ok: true, packet: Buffer.concat([header, ...parts, tail]) };
}

export interface DnsReplyHeader {
  id: number;
  qr: boolean;
  rcode: number;
  ancount: number;
}

/** The header of a datagram, or undefined when it is too short to be DNS. */
export function decodeDnsHeader(b: Uint8Array): DnsReplyHeader | undefined {
  if (b.length < 12) return undefined;
  const flags = (b[2] << 8) | b[3];
  return { id: (b[0] << 8) | b[1], qr: (flags & 0x8000) !== 0, rcode: flags & 0xf, ancount: (b[6] << 8) | b[7] };
}

/**
 * check_dns.c's judgement of one datagram: ignore it (too short, another id, not a reply),
 * or a verdict: NOERROR is success (answers or not), any other RCODE a failure.
 */
export function judgeDnsReply(b: Uint8Array, id: number): 'ignore' | { ok: true } | { ok: false; rcode: number } {
  const h = decodeDnsHeader(b);
  if (!h || h.id !== (id & 0xffff) || !h.qr) return 'ignore';
  return h.rcode === 0 ? { ok: true } : { ok: false, rcode: h.rcode };
}
