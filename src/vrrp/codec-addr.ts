// Address text <-> wire bytes for the codec. Parsers return null on bad text (never throw);
// IPv6 text output follows RFC 5952 (lower case, longest zero run compressed, leftmost on ties).

export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

export function parseIpv6(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl !== -1) {
    if (text.indexOf('::', dbl + 1) !== -1) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const all = [...headGroups, ...tailGroups];
  // A trailing dotted quad (e.g. ::ffff:192.0.2.1) counts as two groups.
  let v4: Uint8Array | null = null;
  const lastGroup = all[all.length - 1];
  if (lastGroup !== undefined && lastGroup.includes('.')) {
    v4 = parseIpv4(lastGroup);
    if (!v4) return null;
    if (tailGroups.length > 0) tailGroups.pop();
    else headGroups.pop();
  }
  const parseGroups = (gs: string[]): number[] | null => {
    const r: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      r.push(parseInt(g, 16));
    }
    return r;
  };
  const h = parseGroups(headGroups);
  const t = parseGroups(tailGroups);
  if (!h || !t) return null;
  const explicit = h.length + t.length + (v4 ? 2 : 0);
  if (dbl === -1 ? explicit !== 8 : explicit > 7) return null;
  words.push(...h);
  for (let i = explicit; i < 8; i++) words.push(0);
  words.push(...t);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/** Parses an address of the given family (4 or 6). */
export function parseAddr(family: 4 | 6, text: string): Uint8Array | null {
  return family === 4 ? parseIpv4(text) : parseIpv6(text);
}

export function formatIpv4(buf: Uint8Array, off = 0): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

export function formatIpv6(buf: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((buf[off + i * 2]! << 8) | buf[off + i * 2 + 1]!);
  // Longest run of two or more zero words.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

export function formatAddr(family: 4 | 6, buf: Uint8Array, off = 0): string {
  return family === 4 ? formatIpv4(buf, off) : formatIpv6(buf, off);
}

/** Canonical text of an address (so "2001:DB8:0::1" and "2001:db8::1" compare equal), or null. */
export function canonicalAddr(family: 4 | 6, text: string): string | null {
  const b = parseAddr(family, text);
  return b ? formatAddr(family, b) : null;
}

export function isMulticast(family: 4 | 6, buf: Uint8Array, off = 0): boolean {
  return family === 4 ? (buf[off]! & 0xf0) === 0xe0 : buf[off] === 0xff;
}
