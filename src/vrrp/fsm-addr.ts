// Address text -> bytes, to break priority ties the way RFC 5798 6.4.3 says: the higher primary
// address wins. Only what the state machine needs; no I/O.

/** Bytes of an IPv4 dotted quad or RFC 4291 IPv6 text, or null when the text is not an address. */
export function addrBytes(text: string): number[] | null {
  if (typeof text !== 'string') return null;
  return text.includes(':') ? v6Bytes(text) : v4Bytes(text);
}

function v4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function v6Bytes(text: string): number[] | null {
  const zone = text.indexOf('%');
  const body = zone >= 0 ? text.slice(0, zone) : text;
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i];
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = v4Bytes(g); // embedded IPv4 tail, e.g. ::ffff:192.0.2.1
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  let words: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    words = head;
  }
  if (words.length !== 8) return null;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Compare two addresses of one family: >0 when a is higher, <0 when lower, 0 when equal. */
export function compareAddrBytes(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return 0; // different families never order (keepalived treats them as equal)
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}
