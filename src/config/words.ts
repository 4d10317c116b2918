// The words of the line being parsed, read by index: a plain line's words stay spans of its file's
// text (one reused pair of Int32Arrays per parser, filled once per line), so reading a config makes no
// Word object and no array per line; a Word[] is made only when a line has problems to report.
import type { Word } from './lexer.js';

/** tokenize()'s white space: ' \t\f\n\r\v'. */
const isWhite = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

export interface WordList {
  readonly length: number;
  text(i: number): string;
  column(i: number): number;
  /** Whether word i is exactly the one character `code` (a brace), without making its string. */
  isChar(i: number, code: number): boolean;
  /** The words as objects, for the rare slow paths (problems, eager lines). */
  words(): readonly Word[];
  /** Length of word i in characters. */
  size(i: number): number;
  /** Word i's value when it is 1-15 ASCII digits (exact as a double), else -1; no string made. */
  digits(i: number): number;
  /** Whether word i is exactly `s`, without making its string. */
  is(i: number, s: string): boolean;
  /** Whether word i is a dotted-quad IPv4 address as node:net's isIPv4 accepts it (no leading zeros). */
  ipv4(i: number): boolean;
}

/** digits() over text[s, e). */
export function digitsOf(text: string, s: number, e: number): number {
  if (e <= s || e - s > 15) return -1;
  let v = 0;
  for (let k = s; k < e; k++) {
    const c = text.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** ipv4() over text[s, e): four decimal octets 0-255, each without a leading zero. */
export function ipv4Of(text: string, s: number, e: number): boolean {
  let k = s;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (k >= e || text.charCodeAt(k) !== 46 /* . */) return false;
      k++;
    }
    const from = k;
    let v = 0;
    while (k < e && k - from < 4) {
      const c = text.charCodeAt(k) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      k++;
    }
    const n = k - from;
    if (n === 0 || n > 3 || v > 255 || (n > 1 && text.charCodeAt(from) === 48)) return false;
  }
  return k === e;
}

/** A line's words as spans of `src`; `reset` re-fills it for the next line. */
export class SpanWords implements WordList {
  length = 0;
  private src = '';
  private starts = new Int32Array(16);
  private ends = new Int32Array(16);
  /** Column of offset 0 (columns are offsets plus this). */
  private shift = 0;

  /** Splits src[start, end), whose `start` is at column `base`. */
  reset(src: string, start: number, end: number, base: number): this {
    this.src = src;
    this.shift = base - start;
    let n = 0;
    let i = start;
    while (i < end) {
      while (i < end && isWhite(src.charCodeAt(i))) i++;
      if (i >= end) break;
      if (n === this.starts.length) this.growTo(n * 2);
      this.starts[n] = i;
      while (i < end && !isWhite(src.charCodeAt(i))) i++;
      this.ends[n++] = i;
    }
    this.length = n;
    return this;
  }

  private growTo(size: number): void {
    const s = new Int32Array(size);
    s.set(this.starts);
    this.starts = s;
    const e = new Int32Array(size);
    e.set(this.ends);
    this.ends = e;
  }

  text(i: number): string {
    return this.src.slice(this.starts[i], this.ends[i]);
  }
  column(i: number): number {
    return this.starts[i] + this.shift;
  }
  isChar(i: number, code: number): boolean {
    return this.ends[i] - this.starts[i] === 1 && this.src.charCodeAt(this.starts[i]) === code;
  }
  words(): Word[] {
    const out: Word[] = [];
    for (let i = 0; i < this.length; i++) out.push({ text: this.text(i), column: this.column(i), quoted: false });
    return out;
  }
  size(i: number): number {
    return this.ends[i] - this.starts[i];
  }
  digits(i: number): number {
    return digitsOf(this.src, this.starts[i], this.ends[i]);
  }
  is(i: number, s: string): boolean {
    const a = this.starts[i];
    return this.ends[i] - a === s.length && this.src.startsWith(s, a);
  }
  ipv4(i: number): boolean {
    return ipv4Of(this.src, this.starts[i], this.ends[i]);
  }
}

/** Words that are already objects (lines the general path made), behind the same interface. */
export class ArrayWords implements WordList {
  private list: readonly Word[] = [];
  get length(): number {
    return this.list.length;
  }
  reset(list: readonly Word[]): this {
    this.list = list;
    return this;
  }
  text(i: number): string {
    return this.list[i].text;
  }
  column(i: number): number {
    return this.list[i].column;
  }
  isChar(i: number, code: number): boolean {
    const t = this.list[i].text;
    return t.length === 1 && t.charCodeAt(0) === code;
  }
  words(): readonly Word[] {
    return this.list;
  }
  size(i: number): number {
    return this.list[i].text.length;
  }
  digits(i: number): number {
    const t = this.list[i].text;
    return digitsOf(t, 0, t.length);
  }
  is(i: number, s: string): boolean {
    return this.list[i].text === s;
  }
  ipv4(i: number): boolean {
    const t = this.list[i].text;
    return ipv4Of(t, 0, t.length);
  }
}
