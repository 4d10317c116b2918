// What the speed work in the config engine changed must not change an answer: words read as spans,
// numbers without regular expressions, duplicate keywords found by scanning a small block (a Map
// once it grows past 32 children).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { PlainLine } from '../../src/config/fastline.js';
import { parseDecimal, parseIntStrict } from '../../src/config/values.js';
import { ArrayWords, SpanWords } from '../../src/config/words.js';

const load = (text: string) => loadConfigText(text, 't.conf', { configId: 'lb1' });
const dups = (text: string) =>
  load(text)
    .diagnostics.filter((d) => d.code === 'duplicate-keyword')
    .map((d) => `${d.line}:${d.column} ${d.message} | ${d.related?.map((r) => `${r.line}:${r.column}`).join(',')}`);

describe('numbers', () => {
  // The definitions the fast paths must agree with.
  const intRef = (s: string) => (/^[+-]?\d+$/.test(s) ? Number(s) : /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : undefined);
  const decRef = (s: string) => (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : undefined);
  const texts = fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{0,20}$/), fc.stringMatching(/^[+-]?[0-9.xa-f٣]{0,8}$/));

  it('parseIntStrict and parseDecimal give what their patterns give', () => {
    fc.assert(
      fc.property(texts, (s) => {
        expect(parseIntStrict(s)).toBe(intRef(s));
        expect(parseDecimal(s)).toBe(decRef(s));
      }),
      { numRuns: 3000 },
    );
    for (const s of ['', '0', '007', '65535', '+5', '-0', '1.5', '.5', '0x1F', '12a', '١٢']) {
      expect(parseIntStrict(s)).toBe(intRef(s));
      expect(parseDecimal(s)).toBe(decRef(s));
    }
  });
});

describe('words as spans', () => {
  const white = /[ \t\f\n\r\v]+/;
  it('SpanWords splits as tokenize splits a plain line, with the same columns', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ \t\f\v\ra-z0-9{}./:-]{0,40}$/), fc.integer({ min: 0, max: 5 }), (line, pad) => {
        const src = 'x'.repeat(pad) + line + 'y';
        const start = pad;
        const end = pad + line.length;
        const w = new SpanWords().reset(src, start, end, 7);
        const expected: { text: string; column: number }[] = [];
        let at = 0;
        for (const t of line.split(white)) {
          if (t === '') continue;
          at = line.indexOf(t, at);
          expected.push({ text: t, column: 7 + at });
          at += t.length;
        }
        expect(w.length).toBe(expected.length);
        expect(w.words().map((x) => ({ text: x.text, column: x.column }))).toEqual(expected);
        for (let i = 0; i < w.length; i++) {
          expect(w.text(i)).toBe(expected[i].text);
          expect(w.column(i)).toBe(expected[i].column);
          expect(w.isChar(i, 123)).toBe(expected[i].text === '{');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('more words than the first buffer holds; reuse for a shorter line forgets the longer one', () => {
    const many = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const w = new SpanWords().reset(many, 0, many.length, 1);
    expect(w.length).toBe(40);
    expect(w.text(39)).toBe('w39');
    w.reset('a b', 0, 3, 1);
    expect(w.words().map((x) => x.text)).toEqual(['a', 'b']);
  });

  it('a PlainLine makes its words on demand, once', () => {
    const src = '  virtual_router_id 51\n';
    const l = new PlainLine('f', 1, src, 2, 22, 3);
    expect(l.words).toEqual([
      { text: 'virtual_router_id', column: 3, quoted: false },
      { text: '51', column: 21, quoted: false },
    ]);
    expect(l.words).toBe(l.words);
    const a = new ArrayWords().reset(l.words);
    expect([a.length, a.text(1), a.column(1), a.isChar(1, 53)]).toEqual([2, '51', 21, false]);
  });
});

describe('duplicate keywords', () => {
  const vs = (body: string) => `virtual_server 192.0.2.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${body}}\n`;
  const rs = (k: number) => `  real_server 192.0.2.${10 + k} 80 {\n    weight 1\n  }\n`;

  it('in a small block: the latest earlier line is named', () => {
    expect(dups(vs('  lb_algo wrr\n  lb_algo lc\n' + rs(0)))).toEqual([
      // lb_algo is lvs_sched's alias: the message names the keyword.
      "5:3 'lvs_sched' is set again; this value replaces the one on line 2 | 2:3",
      "6:3 'lvs_sched' is set again; this value replaces the one on line 5 | 5:3",
    ]);
  });

  it('in a block past 32 children (a Map then): the same answers, blocks and leaves alike', () => {
    const many = Array.from({ length: 40 }, (_, k) => rs(k)).join('');
    // 4 lines of head, 40 real servers of 3 lines each: line 125 is the first after them.
    expect(dups(vs(many + '  lb_algo wrr\n  delay_loop 5\n  delay_loop 6\n' + rs(99)))).toEqual([
      "125:3 'lvs_sched' is set again; this value replaces the one on line 2 | 2:3",
      "127:3 'delay_loop' is set again; this value replaces the one on line 126 | 126:3",
    ]);
    // A repeated block keyword that may appear once (sorry_server is a leaf; global_defs a block).
    const globals = 'global_defs {\n  router_id a\n}\n' + Array.from({ length: 40 }, (_, k) => `vrrp_script s${k} {\n  script "/bin/true"\n}\n`).join('') + 'global_defs {\n  router_id b\n}\n';
    expect(dups(globals)).toEqual(["124:1 'global_defs' is set again; this value replaces the one on line 1 | 1:1"]);
  });

  it("a stray '}' at the top level starts afresh, as before", () => {
    expect(dups('global_defs {\n  router_id a\n}\n}\nglobal_defs {\n  router_id b\n}\nglobal_defs {\n}\n')).toEqual([
      "8:1 'global_defs' is set again; this value replaces the one on line 5 | 5:1",
    ]);
  });

  it('tab-indented and brace-on-the-line inputs keep their columns', () => {
    const r = load('vrrp_instance VI_1 {\n\tstate MASTER\n\tinterface eth0\n\tvirtual_router_id 300 }\n');
    const d = r.diagnostics.find((x) => x.code === 'value-out-of-range');
    expect(d && [d.line, d.column]).toEqual([4, 20]);
  });
});
