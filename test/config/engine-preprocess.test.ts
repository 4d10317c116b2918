// The preprocessor on its own: includes, @id conditionals, $NAME parameters, ~SEQ/~LST, comments,
// brace splitting and the file/line/column every word keeps.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { loadConfig, loadConfigText } from '../../src/config/index.js';
import { preprocess, type PreprocessOptions, preprocessText } from '../../src/config/preprocess.js';
import { MAX_FILE_BYTES, nodeSource, type ConfigSource } from '../../src/config/source.js';
import { withCpuMs } from '../helpers/cpu.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes `files` (relative path -> text) under a fresh temp dir and returns the dir. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kaeng-pp-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

interface Out {
  /** Each emitted line as `file-basename:line word word ...`. */
  lines: string[];
  /** Each emitted word as [text, line, column]. */
  words: [string, number, number][];
  diags: { code: string; severity: string; file: string; line: number; column: number; message: string }[];
}

function collect(r: ReturnType<typeof preprocess>, sink: DiagnosticSink): Out {
  return {
    lines: r.lines.map((l) => `${l.file.split('/').pop()}:${l.line} ${l.words.map((w) => w.text).join(' ')}`),
    words: r.lines.flatMap((l) => l.words.map((w): [string, number, number] => [w.text, l.line, w.column])),
    diags: sink.items.map((d) => ({ code: d.code, severity: d.severity, file: d.file, line: d.line, column: d.column, message: d.message })),
  };
}

function ppText(text: string, opts: PreprocessOptions = {}, source: ConfigSource = nodeSource, cwd?: string): Out {
  const sink = new DiagnosticSink();
  return collect(preprocessText(text, 'test.conf', source, sink, opts, cwd), sink);
}

function ppFile(file: string, opts: PreprocessOptions = {}, source: ConfigSource = nodeSource): Out {
  const sink = new DiagnosticSink();
  return collect(preprocess(file, source, sink, opts), sink);
}

/** Just the emitted lines' words, joined, for compact expectations. */
const texts = (o: Out): string[] => o.lines.map((l) => l.slice(l.indexOf(' ') + 1));

describe('include', () => {
  it('resolves relative to the including file, not the process cwd, and keeps per-file line numbers', () => {
    const root = tree({
      'main.conf': 'top 1\ninclude sub/a.conf\ntop 2\n',
      'sub/a.conf': '# comment line\nin_a x\ninclude b.conf\n',
      'sub/b.conf': 'in_sub_b y\n',
      'b.conf': 'decoy_b_in_root\n', // must NOT be read: b.conf is relative to sub/
    });
    const o = ppFile(join(root, 'main.conf'));
    expect(o.diags).toEqual([]);
    expect(o.lines).toEqual(['main.conf:1 top 1', 'a.conf:2 in_a x', 'b.conf:1 in_sub_b y', 'main.conf:3 top 2']);
    const sink = new DiagnosticSink();
    const r = preprocess(join(root, 'main.conf'), nodeSource, sink);
    expect(r.files).toEqual([join(root, 'main.conf'), join(root, 'sub/a.conf'), join(root, 'sub/b.conf')]);
    expect(r.lines[2].file).toBe(join(root, 'sub/b.conf'));
  });

  it('reads an absolute include path as given', () => {
    const other = tree({ 'abs.conf': 'from_abs\n' });
    const root = tree({ 'main.conf': `include ${join(other, 'abs.conf')}\n` });
    expect(texts(ppFile(join(root, 'main.conf')))).toEqual(['from_abs']);
  });

  it('expands * ? [] and {a,b} globs: sorted per pattern, hidden files skipped, braces in their order', () => {
    const root = tree({
      'conf.d/10-a.conf': 'a\n',
      'conf.d/20-b.conf': 'b\n',
      'conf.d/3x.conf': 'x\n',
      'conf.d/c.conf': 'c\n',
      'conf.d/.hidden.conf': 'hidden\n',
      'conf.d/other.txt': 'txt\n',
      'star.conf': 'include conf.d/*.conf\n',
      'qmark.conf': 'include conf.d/?0-*.conf\n',
      'class.conf': 'include conf.d/[2-3]*.conf\n',
      // `!` starts a comment unless escaped, as in keepalived.
      'negclass.conf': 'include conf.d/[\\!1-2]*.conf\n',
      'brace.conf': 'include conf.d/{c,3x}.conf\n',
      'dirglob.conf': 'include conf*/c.con?\n',
    });
    const run = (f: string) => texts(ppFile(join(root, f)));
    expect(run('star.conf')).toEqual(['a', 'b', 'x', 'c']);
    expect(run('qmark.conf')).toEqual(['a', 'b']);
    expect(run('class.conf')).toEqual(['b', 'x']);
    expect(run('negclass.conf')).toEqual(['x', 'c']);
    expect(run('brace.conf')).toEqual(['c', 'x']);
    expect(run('dirglob.conf')).toEqual(['c']);
  });

  it('nests includes several levels deep', () => {
    const root = tree({
      'main.conf': 'include l1/*.conf\n',
      'l1/one.conf': 'one\ninclude l2/two.conf\n',
      'l1/l2/two.conf': 'two\ninclude ../../last.conf\n',
      'last.conf': 'last\n',
    });
    const o = ppFile(join(root, 'main.conf'));
    expect(o.diags).toEqual([]);
    expect(o.lines).toEqual(['one.conf:1 one', 'two.conf:1 two', 'last.conf:1 last']);
  });

  it('reports a missing file as include-missing (error) at the include line', () => {
    const root = tree({ 'main.conf': 'a\n  include nothere.conf\nb\n' });
    const o = ppFile(join(root, 'main.conf'));
    expect(texts(o)).toEqual(['a', 'b']);
    expect(o.diags).toEqual([
      expect.objectContaining({ code: 'include-missing', severity: 'error', file: join(root, 'main.conf'), line: 2, column: 3 }),
    ]);
    expect(o.diags[0].message).toContain('nothere.conf');
  });

  it('reports a glob that matches nothing as include-no-match (warning)', () => {
    const root = tree({ 'main.conf': 'a\ninclude none.d/*.conf\n', 'none.d/x.txt': 'x\n' });
    const o = ppFile(join(root, 'main.conf'));
    expect(o.diags).toEqual([
      expect.objectContaining({ code: 'include-no-match', severity: 'warning', line: 2, column: 1 }),
    ]);
    expect(o.diags[0].message).toContain('none.d/*.conf');
  });

  it('stops an include cycle a -> b -> a with include-cycle, in bounded time', () => {
    const root = tree({ 'a.conf': 'in_a\ninclude b.conf\n', 'b.conf': 'in_b\n\ninclude a.conf\n' });
    const { value: o, ms } = withCpuMs(() => ppFile(join(root, 'a.conf')));
    expect(ms).toBeLessThan(2000);
    expect(texts(o)).toEqual(['in_a', 'in_b']);
    expect(o.diags).toHaveLength(1);
    expect(o.diags[0]).toMatchObject({ code: 'include-cycle', severity: 'error', file: join(root, 'b.conf'), line: 3, column: 1 });
    expect(o.diags[0].message).toContain('a.conf -> ');
    expect(o.diags[0].message).toContain('b.conf');
  });

  it('stops a file including itself through a glob', () => {
    const root = tree({ 'self.conf': 'x\ninclude s*.conf\n' });
    const o = ppFile(join(root, 'self.conf'));
    expect(texts(o)).toEqual(['x']);
    expect(o.diags.map((d) => [d.code, d.line])).toEqual([['include-cycle', 2]]);
  });

  it('stops includes nested deeper than the limit with include-depth', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`d${i}.conf`] = `level${i}\ninclude d${i + 1}.conf\n`;
    files['d40.conf'] = 'bottom\n';
    const root = tree(files);
    const o = ppFile(join(root, 'd0.conf'));
    const depth = o.diags.filter((d) => d.code === 'include-depth');
    expect(depth).toHaveLength(1);
    expect(depth[0].severity).toBe('error');
    expect(depth[0].line).toBe(2);
    expect(texts(o)).not.toContain('bottom');
    expect(texts(o)).toContain('level0');
  });

  it('skips a directory named as include (include-skipped, warning), as keepalived does', () => {
    const root = tree({ 'main.conf': 'a\ninclude sub.conf\nb\n', 'sub.conf/inner': 'never\n' });
    const o = ppFile(join(root, 'main.conf'));
    expect(texts(o)).toEqual(['a', 'b']);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'include-skipped', severity: 'warning', line: 2, column: 1 })]);
    expect(o.diags[0].message).toContain('directory');
  });

  it('skips an executable config file (include-skipped)', () => {
    const root = tree({ 'main.conf': 'include run.conf\n', 'run.conf': 'never\n' });
    chmodSync(join(root, 'run.conf'), 0o755);
    const o = ppFile(join(root, 'main.conf'));
    expect(texts(o)).toEqual([]);
    expect(o.diags.map((d) => d.code)).toEqual(['include-skipped']);
    expect(o.diags[0].message).toContain('executable');
  });

  it('reports an include that cannot be read (a file over the size cap) as include-unreadable', () => {
    const root = tree({ 'main.conf': 'a\ninclude huge.conf\nb\n', 'huge.conf': '' });
    truncateSync(join(root, 'huge.conf'), MAX_FILE_BYTES + 1); // sparse: no disk used
    const o = ppFile(join(root, 'main.conf'));
    expect(texts(o)).toEqual(['a', 'b']);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'include-unreadable', severity: 'error', line: 2, column: 1 })]);
  });

  it('reports a read error of an injected source as include-unreadable with its reason', () => {
    const denied: ConfigSource = {
      ...nodeSource,
      read(path) {
        if (path.endsWith('secret.conf')) throw new Error('permission denied');
        return nodeSource.read(path);
      },
    };
    const root = tree({ 'main.conf': 'include secret.conf\n', 'secret.conf': 'x\n' });
    const o = ppFile(join(root, 'main.conf'), {}, denied);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'include-unreadable', line: 1, column: 1 })]);
    expect(o.diags[0].message).toContain('permission denied');
  });

  it('reports an unreadable main file as file-unreadable and loadConfig marks it unreadable', () => {
    const root = tree({ 'd/x': '' });
    const r = loadConfig(join(root, 'd'));
    expect(r.unreadable).toBe(true);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['file-unreadable', 'error']]);
    const missing = loadConfig(join(root, 'nope.conf'));
    expect(missing.unreadable).toBe(true);
    expect(missing.diagnostics[0].message).toContain('nope.conf');
  });

  it('resolves includes of text input against the given cwd', () => {
    const root = tree({ 'inc.conf': 'included\n' });
    expect(texts(ppText('include inc.conf\n', {}, nodeSource, root))).toEqual(['included']);
  });

});

describe('@id conditionals', () => {
  const text = 'always 1\n@main only_main 2\n@^main not_main 3\n@backup only_backup 4\n@main\n';
  it('keeps @ID lines for that id and @^ID lines for every other', () => {
    expect(texts(ppText(text, { configId: 'main' }))).toEqual(['always 1', 'only_main 2']);
    expect(texts(ppText(text, { configId: 'backup' }))).toEqual(['always 1', 'not_main 3', 'only_backup 4']);
  });
  it('without a config id keeps only the @^ID lines', () => {
    expect(texts(ppText(text))).toEqual(['always 1', 'not_main 3']);
  });
  it('keeps the columns of the words after the id', () => {
    const o = ppText('  @main   prio 7\n', { configId: 'main' });
    expect(o.words).toEqual([
      ['prio', 1, 11],
      ['7', 1, 16],
    ]);
  });
  it('works through a parameter ($IF_MAIN=@main)', () => {
    const t = '$IF_MAIN=@main\n$IF_MAIN priority 240\n';
    expect(texts(ppText(t, { configId: 'main' }))).toEqual(['priority 240']);
    expect(texts(ppText(t, { configId: 'other' }))).toEqual([]);
  });
  it('selects a definition by id', () => {
    const t = '@main $PRIO=240\n@backup $PRIO=200\npriority $PRIO\n';
    expect(texts(ppText(t, { configId: 'main' }))).toEqual(['priority 240']);
    expect(texts(ppText(t, { configId: 'backup' }))).toEqual(['priority 200']);
  });
});

describe('$NAME parameters', () => {
  it('substitutes $NAME and ${NAME}, keeping the use site columns', () => {
    const o = ppText('$IP=192.0.2.1\nvip $IP ${IP}/24 x${IP}y\n');
    expect(texts(o)).toEqual(['vip 192.0.2.1 192.0.2.1/24 x192.0.2.1y']);
    expect(o.words).toEqual([
      ['vip', 2, 1],
      ['192.0.2.1', 2, 5],
      ['192.0.2.1/24', 2, 9],
      ['x192.0.2.1y', 2, 18],
    ]);
  });
  it('leaves undefined names alone and uses the latest definition', () => {
    const o = ppText('$A=one\nk $A $UNDEFINED\n$A=two\nk $A\n$A=\nk x$A\n');
    expect(texts(o)).toEqual(['k one $UNDEFINED', 'k two', 'k x']);
  });
  it('skips blanks after = and takes the rest of the line as the value', () => {
    expect(texts(ppText('$P=   a b\nk $P\n'))).toEqual(['k a b']);
  });
  it('substitutes nested parameters (a value that names another)', () => {
    expect(texts(ppText('$B=inner\n$A=x_${B}\nk $A\n'))).toEqual(['k x_inner']);
  });
  it('reports a substitution that never ends as substitution-loop', () => {
    const o = ppText('$A=$B\n$B=$A\nk $A\nnext\n');
    expect(texts(o)).toEqual(['next']);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'substitution-loop', severity: 'error', line: 3 })]);
  });
  it('expands a multi-line definition on a line holding only $NAME or ${NAME}', () => {
    const t = ['$BLOCK= \\', '  vrrp_instance VI_${N} { \\', '    priority 1${N}0 \\', '  }', '$N=1', '$BLOCK', '$N=2', '${BLOCK}', ''].join('\n');
    const o = ppText(t);
    expect(o.diags).toEqual([]);
    expect(o.lines).toEqual([
      'test.conf:6 vrrp_instance VI_1',
      'test.conf:6 {',
      'test.conf:6 priority 110',
      'test.conf:6 }',
      'test.conf:8 vrrp_instance VI_2',
      'test.conf:8 {',
      'test.conf:8 priority 120',
      'test.conf:8 }',
    ]);
  });
  it('applies @id lines inside a multi-line definition at the use site', () => {
    const t = '$M= \\\n@high priority 130 \\\n@low priority 120\n$M\n';
    expect(texts(ppText(t, { configId: 'high' }))).toEqual(['priority 130']);
    expect(texts(ppText(t, { configId: 'low' }))).toEqual(['priority 120']);
  });
  it('knows the predefined ${_PWD}, ${_HASH}, ${_BANG}, ${_INSTANCE} and ${_RANDOM MIN MAX}', () => {
    const root = tree({ 'sub/p.conf': 'pwd ${_PWD}\nc "${_HASH}x ${_BANG}y"\nk 1${_HASH}99\ni ${_INSTANCE}\nr ${_RANDOM 10 20} ${_RANDOM 10 20}\n' });
    let calls = 0;
    const o = ppFile(join(root, 'sub/p.conf'), { instance: 'lb1', random: () => (calls++ === 0 ? 0 : 0.9999) });
    expect(texts(o)).toEqual([`pwd ${join(root, 'sub')}`, 'c #x !y', 'k 1', 'i lb1', 'r 10 20']);
  });
});

describe('~SEQ and ~LST', () => {
  const seq = (line: string) => texts(ppText(`${line}\n`));
  it('~SEQ(i,1,3), ~SEQ(i,3), ~SEQ(i,1,2,5) and descending forms', () => {
    expect(seq('~SEQ(i,1,3) v $i')).toEqual(['v 1', 'v 2', 'v 3']);
    expect(seq('~SEQ(i,3) v $i')).toEqual(['v 1', 'v 2', 'v 3']);
    expect(seq('~SEQ(i,1,2,5) v $i')).toEqual(['v 1', 'v 3', 'v 5']);
    expect(seq('~SEQ(i, 0, 3) v ${i}')).toEqual(['v 0', 'v 1', 'v 2', 'v 3']);
    expect(seq('~SEQ(i,3,1) v $i')).toEqual(['v 3', 'v 2', 'v 1']);
    expect(seq('~SEQ(i,-2) v $i')).toEqual(['v -1', 'v -2']);
  });
  it('~SEQx formats in hex, also from 0x arguments', () => {
    expect(seq('~SEQx(s,144,16,192) ip fe80::20:${s}:1')).toEqual(['ip fe80::20:90:1', 'ip fe80::20:a0:1', 'ip fe80::20:b0:1', 'ip fe80::20:c0:1']);
    expect(seq('~SEQx(s,0x90,0x10,0xc0) ${s}')).toEqual(['90', 'a0', 'b0', 'c0']);
  });
  it('~LST repeats the line per listed value', () => {
    expect(seq('~LST(n,eth0,eth1,bond0) track $n')).toEqual(['track eth0', 'track eth1', 'track bond0']);
  });
  it('several ~SEQ on one line multiply', () => {
    expect(seq('~SEQ(a,1,2) ~SEQ(b,1,2) ip 192.0.2.${a}${b}')).toEqual(['ip 192.0.2.11', 'ip 192.0.2.12', 'ip 192.0.2.21', 'ip 192.0.2.22']);
  });
  it('substitutes a bare $NAME only when a blank, comma, ) or the line end follows it', () => {
    // keepalived's rule: `$a$b` replaces only `$b`.
    expect(seq('~SEQ(a,1,1) ~SEQ(b,2,2) w $a$b $a,$b')).toEqual(['w $a2 1,2']);
  });
  it('expands a multi-line definition per value', () => {
    const o = ppText('$RS= \\\nreal_server 192.0.2.${n} 80 { \\\n}\n~SEQ(n,1,2) $RS\n');
    expect(texts(o)).toEqual(['real_server 192.0.2.1 80', '{', '}', 'real_server 192.0.2.2 80', '{', '}']);
  });
  it('positions generated words at the template columns of the ~SEQ line', () => {
    const o = ppText('x\n  ~SEQ(i,1,2) v $i\n');
    expect(o.words.filter((w) => w[1] === 2)).toEqual([
      ['v', 2, 15],
      ['1', 2, 17],
      ['v', 2, 15],
      ['2', 2, 17],
    ]);
  });
  it.each([
    ['~SEQ(i) v', 'no values'],
    ['~SEQ i v', 'no parenthesis'],
    ['~SEQ(i,1,2 v', 'no closing parenthesis'],
    ['~SEQ(i,a,3) v', 'a non-number'],
    ['~SEQ(i,1,-1,5) v', 'a step away from the end'],
    ['~SEQ(i,1,0,5) v', 'a zero step'],
    ['~SEQ(i,1,2,3,4) v', 'too many numbers'],
    ['~SEQx(i,-1,3) v', 'a negative hex value'],
    ['~SEQ(i,1,10000000) v', 'too many values'],
  ])('reports %s (%s) as invalid-seq at its line and column', (line) => {
    const o = ppText(`ok\n   ${line}\nafter\n`);
    expect(texts(o)).toEqual(['ok', 'after']);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'invalid-seq', severity: 'error', line: 2, column: 4 })]);
  });
});

describe('comments, quotes and escapes', () => {
  it('drops # and ! comment lines and trailing comments', () => {
    const o = ppText('# a comment\n! another\n   # indented\nkey v1 # trailing\nkey2 v2 ! trailing bang\nkey3 v3# glued\n');
    expect(texts(o)).toEqual(['key v1', 'key2 v2', 'key3 v3']);
  });
  it('keeps # and ! inside double quotes, as one word without the quotes', () => {
    const o = ppText('script "/bin/echo # not ! comment" # but this is\n');
    expect(o.words).toEqual([
      ['script', 1, 1],
      ['/bin/echo # not ! comment', 1, 8],
    ]);
  });
  it('reads \\# and \\! outside quotes as the characters', () => {
    const o = ppText('k \\#v \\!w # c\n');
    expect(texts(o)).toEqual(['k #v !w']);
  });
  it('reports an unterminated quote and keeps the words before it', () => {
    const o = ppText('k a "b c\nnext\n');
    expect(texts(o)).toEqual(['k a', 'next']);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'unterminated-quote', severity: 'error', line: 1, column: 5 })]);
  });
  it('accepts CRLF line endings and counts a tab as one column', () => {
    const o = ppText('a 1\r\n\tb 2\r\n');
    expect(o.words).toEqual([
      ['a', 1, 1],
      ['1', 1, 3],
      ['b', 2, 2],
      ['2', 2, 4],
    ]);
  });
  it('reports an over-long line as line-too-long and goes on', () => {
    const o = ppText(`first\nk ${'x'.repeat(70_000)}\nlast\n`);
    expect(texts(o)).toEqual(['first', 'last']);
    expect(o.diags).toEqual([expect.objectContaining({ code: 'line-too-long', severity: 'error', line: 2 })]);
  });
});

describe('braces', () => {
  const body = (text: string) => texts(ppText(text));
  it('splits { and } onto lines of their own wherever they are', () => {
    const same = body('vrrp_instance VI_1 {\n  priority 100\n}\n');
    const next = body('vrrp_instance VI_1\n{\n  priority 100\n}\n');
    const one = body('vrrp_instance VI_1 { priority 100 }\n');
    const tight = body('vrrp_instance VI_1{priority 100}\n');
    const want = ['vrrp_instance VI_1', '{', 'priority 100', '}'];
    expect(same).toEqual(want);
    expect(next).toEqual(want);
    expect(one).toEqual(want);
    expect(tight).toEqual(want);
  });
  it('gives each piece of a one-line block its own column', () => {
    const o = ppText('a { b }\n');
    expect(o.words).toEqual([
      ['a', 1, 1],
      ['{', 1, 3],
      ['b', 1, 5],
      ['}', 1, 7],
    ]);
  });
  it('does not split braces inside quotes', () => {
    expect(body('misc_path "/bin/sh -c \'{ true; }\'"\n')).toEqual(["misc_path /bin/sh -c '{ true; }'"]);
  });
  it('builds the same model from all three brace layouts', () => {
    const layouts = [
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n',
      'vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 7\n virtual_ipaddress\n {\n  192.0.2.1/24\n }\n}\n',
      'vrrp_instance VI_1 { interface eth0\n virtual_router_id 7\n virtual_ipaddress { 192.0.2.1/24 } }\n',
    ];
    for (const t of layouts) {
      const r = loadConfigText(t, 'b.conf');
      expect(r.errors).toBe(0);
      expect(r.model.instances).toHaveLength(1);
      expect(r.model.instances[0]).toMatchObject({ name: 'VI_1', interface: 'eth0', vrid: 7 });
      expect(r.model.instances[0].vips.map((v) => v.addr)).toEqual(['192.0.2.1']);
    }
  });
});

describe('positions through the whole engine', () => {
  it('points diagnostics from an included file at that file, line and column', () => {
    const root = tree({
      'main.conf': 'global_defs {\n  router_id A\n}\ninclude inst.conf\n',
      'inst.conf': '\n\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 300\n    virtual_ipaddress {\n      192.0.2.1\n    }\n}\n',
    });
    const r = loadConfig(join(root, 'main.conf'));
    const d = r.diagnostics.find((x) => x.code === 'value-out-of-range');
    expect(d).toMatchObject({ file: join(root, 'inst.conf'), line: 5, column: 23, severity: 'error' });
  });
});
