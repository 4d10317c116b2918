// Line-level lexing with keepalived's rules: comments, quotes and tokens, keeping source columns.

/** One token of a logical line. `column` is 1-based in the physical source line. */
export interface Word {
  text: string;
  column: number;
  quoted: boolean;
}

/**
 * Text whose characters remember the source column they came from: column `base + i` for text[i],
 * unless `cols` maps them one by one (only after an edit that shifts characters, e.g. `\#`).
 */
export interface Located {
  text: string;
  base: number;
  cols?: number[];
}

export function located(text: string, base = 1): Located {
  return { text, base };
}

export function colAt(l: Located, i: number): number {
  if (l.cols) return l.cols[Math.min(i, l.cols.length - 1)] ?? l.base;
  return l.base + i;
}

export function slice(l: Located, start: number, end = l.text.length): Located {
  if (!l.cols) return { text: l.text.slice(start, end), base: l.base + start };
  return { text: l.text.slice(start, end), base: colAt(l, start), cols: l.cols.slice(start, end + 1) };
}

export interface Decommented extends Located {
  /** The line ended in an unquoted backslash (a multi-line `$NAME=` definition continues). */
  cont: boolean;
  unterminatedQuote: boolean;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t';

/**
 * keepalived's decomment: leading blanks go, an unquoted `#` or `!` starts a comment, `\#` and `\!`
 * outside quotes stand for the characters themselves, a final `\` marks a continuation.
 */
export function decomment(src: Located): Decommented {
  const { text } = src;
  let i = 0;
  while (i < text.length && isBlank(text[i])) i++;
  const first = i;
  // Fast path: no quotes, escapes or comment characters at all.
  let stop = text.length;
  let needsSlow = false;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 34 /* " */ || c === 92 /* \ */) {
      needsSlow = true;
      break;
    }
    if (c === 35 /* # */ || c === 33 /* ! */) {
      stop = j;
      break;
    }
  }
  if (!needsSlow) {
    let end = stop;
    while (end > first && isBlank(text[end - 1])) end--;
    return { ...slice(src, first, end), cont: false, unterminatedQuote: false };
  }
  if (!src.cols) {
    // Quotes or escapes, but no `\#`/`\!` that would shift characters: still one slice of the line.
    const plain = decommentUnshifted(src, first);
    if (plain) return plain;
  }
  let out = '';
  const cols: number[] = [];
  let quote = false;
  let cont = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      quote = !quote;
    } else if (c === '\\') {
      if (i + 1 >= text.length) {
        cont = true;
        break;
      }
      const n = text[i + 1];
      if (!quote && (n === '#' || n === '!')) {
        out += n;
        cols.push(colAt(src, i + 1));
        i++;
        continue;
      }
      out += c + n;
      cols.push(colAt(src, i), colAt(src, i + 1));
      i++;
      continue;
    } else if (!quote && (c === '#' || c === '!')) {
      break;
    }
    out += c;
    cols.push(colAt(src, i));
  }
  let end = out.length;
  while (end > 0 && isBlank(out[end - 1])) end--;
  out = out.slice(0, end);
  cols.length = end;
  cols.push(end > 0 ? cols[end - 1] + 1 : colAt(src, i));
  return { text: out, base: cols[0], cols, cont, unterminatedQuote: quote };
}

/** decomment() for text without a position map, when no escaped comment character shifts the rest. */
function decommentUnshifted(src: Located, first: number): Decommented | undefined {
  const { text } = src;
  const len = text.length;
  let quote = false;
  let cont = false;
  let stop = len;
  for (let i = first; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) quote = !quote;
    else if (c === 92 /* \ */) {
      if (i + 1 >= len) {
        cont = true;
        stop = i;
        break;
      }
      const n = text.charCodeAt(i + 1);
      if (!quote && (n === 35 || n === 33)) return undefined;
      i++;
    } else if (!quote && (c === 35 /* # */ || c === 33 /* ! */)) {
      stop = i;
      break;
    }
  }
  let end = stop;
  while (end > first && isBlank(text[end - 1])) end--;
  return { text: text.slice(first, end), base: src.base + first, cont, unterminatedQuote: quote };
}

const WHITE = ' \t\f\n\r\v';

export interface Tokenized {
  words: Word[];
  /** Column of an opening quote that is never closed (keepalived stops reading the line there). */
  unmatchedQuote?: number;
}

/** keepalived's word splitting (alloc_strvec_r): blanks separate words, "..." is one word without its quotes. */
export function tokenize(l: Located): Tokenized {
  const { text } = l;
  const words: Word[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && WHITE.includes(text[i])) i++;
    if (i >= text.length) break;
    const start = i;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return { words, unmatchedQuote: colAt(l, start) };
      words.push({ text: text.slice(i + 1, close), column: colAt(l, start), quoted: true });
      i = close + 1;
    } else {
      while (i < text.length && !WHITE.includes(text[i]) && text[i] !== '"') i++;
      words.push({ text: text.slice(start, i), column: colAt(l, start), quoted: false });
    }
  }
  return { words };
}

/**
 * keepalived's quoted-and-escaped splitting, used for script command lines: '...' and "..." group,
 * backslash escapes (\n, \t, \xHH, \0NN, \cX, \" ...) are decoded. Returns an error text on bad input.
 */
export function splitCommandLine(text: string): { argv: string[] } | { error: string; kind: 'escape-at-end' | 'unterminated'; quote?: string } {
  const argv: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && WHITE.includes(text[i])) i++;
    if (i >= text.length) break;
    let word = '';
    let quote = '';
    for (; i < text.length; ) {
      const c = text[i];
      if (c === '\\') {
        if (i + 1 >= text.length) return { error: `missing escaped character at end of '${text}'`, kind: 'escape-at-end' };
        const [ch, used] = unescape(text, i + 1);
        word += ch;
        i = i + 1 + used;
        continue;
      }
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (WHITE.includes(c)) break;
      word += c;
      i++;
    }
    if (quote) return { error: `string '${text}' is missing its closing ${quote}`, kind: 'unterminated', quote };
    argv.push(word);
  }
  return { argv };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function unescape(s: string, i: number): [string, number] {
  const c = s[i];
  if (c === 'x' && /[0-9a-fA-F]/.test(s[i + 1] ?? '')) {
    let j = i + 1;
    let v = 0;
    while (j < s.length && /[0-9a-fA-F]/.test(s[j])) v = ((v << 4) | parseInt(s[j++], 16)) & 0xff;
    return [String.fromCharCode(v), j - i];
  }
  if (c === 'c' && i + 1 < s.length) return [String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), 2];
  if (c >= '0' && c <= '7') {
    let j = i;
    let v = 0;
    while (j < s.length && j < i + 3 && s[j] >= '0' && s[j] <= '7') v = ((v << 3) + (s.charCodeAt(j++) - 48)) & 0xff;
    return [String.fromCharCode(v), j - i];
  }
  return [SIMPLE_ESCAPES[c] ?? c, 1];
}

/** Index of the first `{` or `}` outside double quotes, or -1 (keepalived splits lines there). */
export function findBrace(text: string): number {
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quote = !quote;
    else if (!quote && (c === '{' || c === '}')) return i;
  }
  return -1;
}
