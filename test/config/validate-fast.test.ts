// The validate hot path (issue 2) reads words as spans, checks common arguments without making their
// strings, keeps a block node's line in the LeafStore, gives blocks exact-size children and builds the
// model's virtual servers in one pass over their children. Each shortcut must give what the general
// code gives.
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { surelyValid } from '../../src/config/args.js';
import type { ConfNode } from '../../src/config/ast.js';
import { buildModel } from '../../src/config/build-model.js';
import { loadConfigText } from '../../src/config/index.js';
import { keywordTable } from '../../src/config/keywords/index.js';
import type { ArgSpec } from '../../src/config/schema.js';
import { checkValue } from '../../src/config/values.js';
import { ArrayWords, digitsOf, ipv4Of, SpanWords } from '../../src/config/words.js';

const load = (text: string) => loadConfigText(text, 't.conf', { configId: 'lb1' });

describe('span readers', () => {
  const dotted = fc
    .array(fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.stringMatching(/^0[0-9]{1,2}$/), fc.constantFrom('', 'a', '-1', '1a')), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join('.'));
  const texts = fc.oneof(dotted, fc.stringMatching(/^[0-9.]{0,17}$/), fc.string({ maxLength: 16 }));

  it('ipv4Of accepts exactly what node:net isIPv4 accepts', () => {
    fc.assert(
      fc.property(texts, fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (s, pre, post) => {
        expect(ipv4Of(pre + s + post, pre.length, pre.length + s.length)).toBe(isIPv4(s));
      }),
      { numRuns: 5000 },
    );
    for (const s of ['0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.', '1..2.3', '1.2.3.4 ', '1000.1.1.1', '']) {
      expect(ipv4Of(s, 0, s.length)).toBe(isIPv4(s));
    }
  });

  it('digitsOf is the value of 1-15 ASCII digits and -1 for anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[0-9]{0,18}$/), fc.string({ maxLength: 6 })), (s) => {
        const want = /^[0-9]{1,15}$/.test(s) ? Number(s) : -1;
        expect(digitsOf(s, 0, s.length)).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });
});

/** Every argument shape of the table: positionals, forms, options and list items. */
function allArgSpecs(): ArgSpec[] {
  const out: ArgSpec[] = [];
  const add = (shape: { args?: readonly ArgSpec[]; forms?: readonly (readonly ArgSpec[])[]; options?: Readonly<Record<string, readonly ArgSpec[]>> }) => {
    out.push(...(shape.args ?? []));
    for (const f of shape.forms ?? []) out.push(...f);
    for (const o of Object.values(shape.options ?? {})) out.push(...o);
  };
  for (const block of Object.values(keywordTable)) {
    for (const k of block.keywords ?? []) add(k);
    if (block.item) add(block.item);
  }
  return out;
}

describe('arguments checked on their spans', () => {
  const specs = allArgSpecs();
  const words = fc.oneof(
    fc.integer({ min: 0, max: 5_000_000_000 }).map(String),
    fc.stringMatching(/^[0-9]{1,17}$/),
    fc.stringMatching(/^(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(\.(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}$/),
    fc.constantFrom('TCP', 'tcp', 'NAT', 'DR', 'wrr', 'rr', 'true', 'on', 'MASTER', 'eth0', '-1', '0x10', '1.5', '2001:db8::1', '""', '/bin/true'),
    fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,12}$/),
  );

  it('an argument taken as valid without its string is one checkValue accepts', () => {
    expect(specs.length).toBeGreaterThan(300);
    fc.assert(
      fc.property(fc.constantFrom(...specs), words, fc.constantFrom(' ', '\t', '  '), (spec, word, gap) => {
        const line = `kw${gap}${word}`;
        const spans = new SpanWords().reset(line, 0, line.length, 1);
        const arrays = new ArrayWords().reset([
          { text: 'kw', column: 1, quoted: false },
          { text: word, column: 3, quoted: false },
        ]);
        const ok = checkValue(spec, word) === undefined;
        if (surelyValid(spec, spans, 1)) expect(ok).toBe(true);
        if (surelyValid(spec, arrays, 1)) expect(ok).toBe(true);
        // The readers agree with each other.
        expect(surelyValid(spec, spans, 1)).toBe(surelyValid(spec, arrays, 1));
      }),
      { numRuns: 20_000 },
    );
  });

  it('the common shapes are taken without a string: digits in range, dotted quads, exact enum words', () => {
    const w = new SpanWords().reset('x 80 198.51.100.7 NAT tcp', 0, 25, 1);
    const port: ArgSpec = { name: 'port', type: 'port' };
    const addr: ArgSpec = { name: 'ip', type: 'ipaddr' };
    const kind: ArgSpec = { name: 'kind', type: 'enum', values: ['NAT', 'DR', 'TUN'] };
    const proto: ArgSpec = { name: 'protocol', type: 'enum', values: ['TCP', 'UDP'], ci: true };
    expect(surelyValid(port, w, 1)).toBe(true);
    expect(surelyValid({ ...port, max: 79 }, w, 1)).toBe(false);
    expect(surelyValid(addr, w, 2)).toBe(true);
    expect(surelyValid(kind, w, 3)).toBe(true);
    // Case-insensitive enums are left to checkValue.
    expect(surelyValid(proto, w, 4)).toBe(false);
    expect(checkValue(proto, 'tcp')).toBeUndefined();
  });
});

/** The tree as plain objects: what build-model's general path (child(), childText()) reads. */
function plain(n: ConfNode): ConfNode {
  return {
    keyword: n.keyword,
    args: n.args,
    file: n.file,
    line: n.line,
    column: n.column,
    spec: n.spec,
    blockId: n.blockId,
    children: n.children?.map(plain),
    endLine: n.endLine,
    text: n.text,
  };
}

const stripNodes = (v: unknown) => JSON.stringify(v, (k, x) => (k === 'node' || k === 'nodes' ? undefined : x));

describe('tree and model', () => {
  const config = [
    'global_defs {',
    '  router_id lb1',
    '}',
    'virtual_server_group G1 {',
    '  198.51.100.9 80',
    '}',
    'virtual_server 198.51.100.1 80 {',
    '  lb_algo rr',
    '  lvs_sched wrr',
    '  lb_kind DR',
    '  protocol TCP',
    '  quorum 3',
    '  delay_loop 5',
    '  sorry_server 192.0.2.99 8080',
    '  real_server 203.0.113.1 80 {',
    '    weight 2',
    '    weight 4',
    '    TCP_CHECK {',
    '      connect_port 81',
    '      connect_timeout 3',
    '    }',
    '    MISC_CHECK {',
    '      misc_path "/bin/check --fast"',
    '    }',
    '  }',
    '  real_server 203.0.113.2 80 {',
    '    HTTP_GET {',
    '      url {',
    '        path /health',
    '        status_code 200',
    '      }',
    '    }',
    '  }',
    '  real_server 203.0.113.3 81 {',
    '  }',
    '}',
    '$PORT=443',
    'virtual_server 198.51.100.2 $PORT {',
    '  protocol TCP',
    '  real_server "203.0.113.4" $PORT {',
    '    weight 1',
    '  }',
    '}',
    'virtual_server fwmark 7 {',
    '  lb_kind NAT',
    '  real_server 203.0.113.5 443 {',
    '    weight 3',
  ].join('\n');

  it('block nodes read their line from the store as the general path made it, quoted and substituted words too', () => {
    const r = load(config);
    const vs2 = r.model.nodes.filter((n) => n.keyword === 'virtual_server')[1];
    expect(vs2.args.map((a) => a.text)).toEqual(['198.51.100.2', '443']);
    expect([vs2.file, vs2.line, vs2.column, vs2.spec?.name, vs2.blockId, vs2.endLine]).toEqual(['t.conf', 38, 1, 'virtual_server', 'virtual_server', 43]);
    const rs = vs2.children!.find((c) => c.keyword === 'real_server')!;
    expect(rs.args).toEqual([
      { text: '203.0.113.4', column: 15, quoted: true },
      { text: '443', column: 29, quoted: false },
    ]);
    expect(rs.text.text).toBe('real_server "203.0.113.4" 443');
  });

  it('each block gets exactly its own children, also siblings read at the same depth and blocks left open', () => {
    const r = load(config);
    const vss = r.model.nodes.filter((n) => n.keyword === 'virtual_server');
    expect(vss.map((v) => v.children!.length)).toEqual([10, 2, 2]);
    const rss = vss[0].children!.filter((c) => c.keyword === 'real_server');
    expect(rss.map((c) => c.children!.map((k) => k.keyword))).toEqual([['weight', 'weight', 'TCP_CHECK', 'MISC_CHECK'], ['HTTP_GET'], []]);
    expect(rss.map((c) => c.endLine)).toEqual([25, 33, 35]);
    // The last virtual server and its real server are never closed: reported, children kept.
    const open = vss[2].children!.find((c) => c.keyword === 'real_server')!;
    expect(open.children!.map((k) => `${k.keyword} ${k.args[0]?.text}`)).toEqual(['weight 3']);
    expect(r.diagnostics.filter((d) => d.code === 'unclosed-block').map((d) => d.line)).toEqual([44, 46]);
  });

  it("the one-pass model of virtual servers equals the general path's over the same tree", () => {
    const r = load(config);
    const fast = buildModel(r.model.nodes, r.model.files);
    const general = buildModel(r.model.nodes.map(plain), r.model.files);
    expect(stripNodes(fast)).toBe(stripNodes(general));
    const vs = fast.virtualServers[0];
    // The last of a repeated keyword wins: lb_algo is an alias of lvs_sched, so lvs_sched's wrr.
    expect([vs.lbAlgo, vs.lbKind, vs.quorum, vs.delayLoop, vs.sorryServer]).toEqual(['wrr', 'DR', 3, 5, { addr: '192.0.2.99', port: 8080 }]);
    expect(vs.realServers.map((s) => [s.addr, s.port, s.weight, s.checkers.map((c) => c.type)])).toEqual([
      ['203.0.113.1', 80, 4, ['TCP_CHECK', 'MISC_CHECK']],
      ['203.0.113.2', 80, 1, ['HTTP_GET']],
      ['203.0.113.3', 81, 1, []],
    ]);
    expect(vs.realServers[0].checkers.map((c) => [c.connectPort, c.connectTimeout, c.miscPath])).toEqual([
      [81, 3, undefined],
      [undefined, undefined, '/bin/check --fast'],
    ]);
  });

  it('generated configs: the one-pass model equals the general path', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            rs: fc.array(fc.subarray(['weight 2', 'weight 5', 'lvs_method DR', 'TCP_CHECK {\nconnect_port 9\n}', 'HTTP_GET {\nurl {\npath /\n}\n}', 'bogus 1']), { maxLength: 4 }),
            vs: fc.subarray(['lb_algo rr', 'lvs_sched sh', 'lb_kind NAT', 'lvs_method TUN', 'protocol UDP', 'quorum 2', 'delay_loop 3', 'persistence_timeout 60', 'sorry_server 192.0.2.1 80']),
          }),
          { maxLength: 4 },
        ),
        (vss) => {
          const text = vss
            .map((v, i) => [`virtual_server 198.51.100.${i + 1} 80 {`, ...v.vs, ...v.rs.map((rs, j) => [`real_server 203.0.113.${j + 1} 80 {`, ...rs, '}'].join('\n')), '}'].join('\n'))
            .join('\n');
          const r = load(text);
          expect(stripNodes(buildModel(r.model.nodes, r.model.files))).toBe(stripNodes(buildModel(r.model.nodes.map(plain), r.model.files)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
