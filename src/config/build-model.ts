// Turns the syntax tree into the typed model. The parser already reported bad values; here a bad
// value simply leaves the field at keepalived's default.
import { isIP } from 'node:net';
import { argText, blockChildren, child, childText, hasChild, childrenNamed, type ConfNode, posOf, SyntaxNode } from './ast.js';
import type * as M from './model.js';
import { boolValue, parseDecimal, parseIntStrict } from './values.js';

const word = argText;
const numOf = (t: string | undefined): number | undefined => (t === undefined ? undefined : parseDecimal(t) ?? parseIntStrict(t));
const num = (n: ConfNode | undefined, i = 0): number | undefined => numOf(word(n, i));
const flag = (parent: ConfNode, kw: string): boolean => hasChild(parent, kw) && boolValue(childText(parent, kw)) !== false;

/** Value of `name VALUE` in an item's trailing words (`dev eth0`). */
function option(words: string[], name: string): string | undefined {
  const i = words.indexOf(name);
  return i >= 0 ? words[i + 1] : undefined;
}

export function ipAddress(item: ConfNode): M.IpAddress | undefined {
  const words = [item.keyword, ...item.args.map((w) => w.text)];
  const [addr, prefix] = words[0].split('/');
  const family = isIP(addr);
  if (!family) return undefined;
  return {
    pos: posOf(item),
    node: item,
    addr,
    prefix: prefix === undefined ? undefined : Number(prefix),
    family: family as 4 | 6,
    dev: option(words, 'dev'),
    scope: option(words, 'scope'),
    label: option(words, 'label'),
    brd: option(words, 'brd') ?? option(words, 'broadcast'),
    noTrack: words.includes('no_track'),
  };
}

function route(item: ConfNode): M.Route {
  const words = [item.keyword, ...item.args.map((w) => w.text)];
  // The destination is the first word that looks like an address (after optional src/type words).
  let dest = words.find((w, i) => (isIP(w.split('/')[0]) || w === 'default') && words[i - 1] !== 'src') ?? words[0];
  if (dest === 'default') dest = '0.0.0.0/0';
  const fam = isIP(dest.split('/')[0]);
  return {
    pos: posOf(item),
    node: item,
    dest,
    family: fam ? (fam as 4 | 6) : undefined,
    via: option(words, 'via') ?? option(words, 'gw') ?? option(words, 'or'),
    dev: option(words, 'dev'),
    table: option(words, 'table'),
    noTrack: words.includes('no_track'),
  };
}

function rule(item: ConfNode): M.Rule {
  const words = [item.keyword, ...item.args.map((w) => w.text)];
  const pref = option(words, 'preference') ?? option(words, 'prio') ?? option(words, 'priority');
  return { pos: posOf(item),
    node: item, words, preference: pref === undefined ? undefined : parseIntStrict(pref) };
}

function tracks(block: ConfNode | undefined): M.Track[] {
  return (block?.children ?? []).map((item) => {
    const words = item.args.map((w) => w.text);
    const w = option(words, 'weight');
    return { pos: posOf(item),
    node: item, name: item.keyword, weight: w === undefined ? undefined : parseIntStrict(w), reverse: words.includes('reverse') };
  });
}

const items = (n: ConfNode | undefined): ConfNode[] => n?.children ?? [];

function instance(n: ConfNode, globals?: M.GlobalDefs): M.VrrpInstance {
  const auth = child(n, 'authentication');
  const authType = childText(auth, 'auth_type');
  const vips = items(child(n, 'virtual_ipaddress')).map(ipAddress).filter((x): x is M.IpAddress => !!x);
  const native = child(n, 'native_ipv6');
  const family = native ? 6 : vips[0]?.family;
  // keepalived (vrrp.c): an IPv6 instance without its own `version` is VRRPv3 whatever vrrp_version says.
  const own = numOf(childText(n, 'version'));
  const version = (own ?? (family === 6 ? 3 : globals?.vrrpVersion ?? 2)) === 3 ? 3 : 2;
  const notify: M.VrrpInstance['notify'] = {};
  for (const k of ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop'] as const) {
    const s = child(n, k);
    if (s) notify[k] = s.args.map((a) => a.text).join(' ');
  }
  const state = childText(n, 'state');
  return {
    pos: posOf(n), node: n,
    name: word(n) ?? '',
    state: state === 'MASTER' || state === 'BACKUP' ? state : undefined,
    interface: childText(n, 'interface'),
    vrid: numOf(childText(n, 'virtual_router_id')),
    priority: numOf(childText(n, 'priority')) ?? 100,
    advertInt: numOf(childText(n, 'advert_int')) ?? 1,
    version,
    family,
    nopreempt: hasChild(n, 'nopreempt'),
    preemptDelay: numOf(childText(n, 'preempt_delay')) ?? 0,
    authType: authType === 'PASS' || authType === 'AH' ? authType : undefined,
    authPass: childText(auth, 'auth_pass'),
    vips,
    excludedVips: items(child(n, 'virtual_ipaddress_excluded')).map(ipAddress).filter((x): x is M.IpAddress => !!x),
    virtualRoutes: items(child(n, 'virtual_routes')).map(route),
    virtualRules: items(child(n, 'virtual_rules')).map(rule),
    trackInterfaces: tracks(child(n, 'track_interface')),
    trackScripts: tracks(child(n, 'track_script')),
    trackFiles: tracks(child(n, 'track_file')),
    trackProcesses: tracks(child(n, 'track_process')),
    unicastSrcIp: childText(n, 'unicast_src_ip'),
    unicastPeers: items(child(n, 'unicast_peer')).flatMap((p) => {
      const fam = isIP(p.keyword);
      return fam ? [{ pos: posOf(p), node: p, addr: p.keyword, family: fam as 4 | 6 }] : [];
    }),
    mcastSrcIp: childText(n, 'mcast_src_ip'),
    useVmac: hasChild(n, 'use_vmac'),
    notify,
  };
}

/**
 * One pass over a parser node's children: `at[j]` becomes the index of the last child named
 * `names[j]` (a repeated keyword's last value wins), -1 when there is none. The model's blocks are
 * read this way instead of one scan of the children per field.
 */
function lastOf(n: SyntaxNode, names: readonly string[], at: Int32Array): void {
  at.fill(-1);
  const count = n.count;
  const store = n.leaves;
  for (let k = 0; k < count; k++) {
    const r = n.ref(k);
    // A child's name as childIs() matches it: its spec's name, else its keyword.
    const spec = typeof r === 'number' ? store.spec(r) : r.spec;
    const name = spec ? spec.name : typeof r === 'number' ? store.keyword(r) : r.keyword;
    for (let j = 0; j < names.length; j++) {
      if (names[j] === name) {
        at[j] = k;
        break;
      }
    }
  }
}

/** Argument `i` of child `k` of a parser node (undefined when k < 0), without making a leaf object. */
function argAt(n: SyntaxNode, k: number, i = 0): string | undefined {
  if (k < 0) return undefined;
  const leaf = n.leafAt(k);
  return leaf >= 0 ? n.leaves.arg(leaf, i) : argText(n.childAt(k), i);
}

const CHECKER_FIELDS = ['connect_ip', 'connect_port', 'connect_timeout', 'misc_path'] as const;
const checkerAt = new Int32Array(CHECKER_FIELDS.length);

function checker(n: ConfNode): M.Checker {
  if (!(n instanceof SyntaxNode)) return checkerOf(n, childText(n, 'connect_ip'), childText(n, 'connect_port'), childText(n, 'connect_timeout'), child(n, 'misc_path'));
  lastOf(n, CHECKER_FIELDS, checkerAt);
  const misc = checkerAt[3];
  return checkerOf(n, argAt(n, checkerAt[0]), argAt(n, checkerAt[1]), argAt(n, checkerAt[2]), misc < 0 ? undefined : n.childAt(misc));
}

function checkerOf(n: ConfNode, connectIp: string | undefined, port: string | undefined, timeout: string | undefined, misc: ConfNode | undefined): M.Checker {
  return {
    pos: posOf(n), node: n,
    type: n.keyword,
    connectIp,
    connectPort: numOf(port),
    connectTimeout: numOf(timeout),
    urls: childrenNamed(n, 'url').map((u) => ({
      path: childText(u, 'path'),
      digest: childText(u, 'digest'),
      statusCode: childText(u, 'status_code'),
      pos: posOf(u),
    })),
    miscPath: misc?.args.map((a) => a.text).join(' '),
  };
}

const CHECKERS = new Set(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'PING_CHECK', 'UDP_CHECK', 'FILE_CHECK', 'BFD_CHECK']);

function realServer(r: ConfNode): M.RealServer {
  return {
    pos: posOf(r), node: r,
    addr: word(r) ?? '',
    port: num(r, 1),
    weight: numOf(childText(r, 'weight')) ?? 1,
    checkers: blockChildren(r).filter((c) => CHECKERS.has(c.keyword)).map(checker),
  };
}

// Lists of the model are collected in scratch arrays and copied out at their exact size: tens of
// thousands of real servers each with a one-checker list would otherwise keep room for 17.
// Emptied after each copy: a module-level array must not keep a config's nodes (and its text) alive.
const checkerScratch: M.Checker[] = [];
const realServerScratch: M.RealServer[] = [];

/** scratch[0, n) as an exact-size array; the scratch array is emptied. */
function takeAll<T>(scratch: T[], n: number): T[] {
  const out = scratch.slice(0, n);
  scratch.length = 0;
  return out;
}

/** A parser node's real server: its weight and checkers in one pass over its children. */
function realServerOf(r: SyntaxNode): M.RealServer {
  const count = r.count;
  const store = r.leaves;
  let weight = -1;
  const checkers = checkerScratch;
  let n = 0;
  for (let k = 0; k < count; k++) {
    const c = r.ref(k);
    if (typeof c === 'number') {
      const spec = store.spec(c);
      if ((spec ? spec.name : store.keyword(c)) === 'weight') weight = k;
    } else {
      if ((c.spec ? c.spec.name : c.keyword) === 'weight') weight = k;
      // blockChildren() order: a block child is made (kept by its parent) whether a checker or not.
      const made = r.childAt(k);
      if (CHECKERS.has(made.keyword)) checkers[n++] = checker(made);
    }
  }
  return {
    pos: posOf(r), node: r,
    addr: r.arg(0) ?? '',
    port: numOf(r.arg(1)),
    weight: numOf(argAt(r, weight)) ?? 1,
    checkers: takeAll(checkers, n),
  };
}

const VS_FIELDS = ['sorry_server', 'protocol', 'lb_algo', 'lvs_sched', 'lb_kind', 'lvs_method', 'delay_loop', 'persistence_timeout', 'quorum'] as const;
const vsAt = new Int32Array(VS_FIELDS.length);

function virtualServer(n: ConfNode): M.VirtualServer {
  if (!(n instanceof SyntaxNode)) {
    return virtualServerOf(n, {
      sorry: child(n, 'sorry_server'),
      protocol: childText(n, 'protocol'),
      lbAlgo: word(child(n, 'lb_algo') ?? child(n, 'lvs_sched')),
      lbKind: word(child(n, 'lb_kind') ?? child(n, 'lvs_method')),
      delayLoop: childText(n, 'delay_loop'),
      persistenceTimeout: childText(n, 'persistence_timeout'),
      quorum: childText(n, 'quorum'),
      realServers: childrenNamed(n, 'real_server').map(realServer),
    });
  }
  lastOf(n, VS_FIELDS, vsAt);
  const scratch = realServerScratch;
  let count = 0;
  for (let k = 0; k < n.count; k++) {
    if (!n.childIs(k, 'real_server')) continue;
    const r = n.childAt(k);
    scratch[count++] = r instanceof SyntaxNode ? realServerOf(r) : realServer(r);
  }
  const realServers = takeAll(scratch, count);
  const sorry = vsAt[0];
  return virtualServerOf(n, {
    sorry: sorry < 0 ? undefined : n.childAt(sorry),
    protocol: argAt(n, vsAt[1]),
    lbAlgo: argAt(n, vsAt[2] >= 0 ? vsAt[2] : vsAt[3]),
    lbKind: argAt(n, vsAt[4] >= 0 ? vsAt[4] : vsAt[5]),
    delayLoop: argAt(n, vsAt[6]),
    persistenceTimeout: argAt(n, vsAt[7]),
    quorum: argAt(n, vsAt[8]),
    realServers,
  });
}

interface VsFields {
  sorry: ConfNode | undefined;
  protocol: string | undefined;
  lbAlgo: string | undefined;
  lbKind: string | undefined;
  delayLoop: string | undefined;
  persistenceTimeout: string | undefined;
  quorum: string | undefined;
  realServers: M.RealServer[];
}

function virtualServerOf(n: ConfNode, f: VsFields): M.VirtualServer {
  const a0 = word(n);
  const kind = a0 === 'fwmark' ? 'fwmark' : a0 === 'group' ? 'group' : 'ip';
  const fam = kind === 'ip' && a0 ? isIP(a0) : 0;
  const sorry = f.sorry;
  return {
    pos: posOf(n), node: n,
    kind,
    addr: kind === 'ip' ? a0 : undefined,
    port: kind === 'ip' ? num(n, 1) : undefined,
    fwmark: kind === 'fwmark' ? num(n, 1) : undefined,
    group: kind === 'group' ? word(n, 1) : undefined,
    family: fam ? (fam as 4 | 6) : undefined,
    protocol: f.protocol,
    lbAlgo: f.lbAlgo,
    lbKind: f.lbKind,
    delayLoop: numOf(f.delayLoop),
    persistenceTimeout: numOf(f.persistenceTimeout),
    quorum: numOf(f.quorum),
    sorryServer: sorry && word(sorry) ? { addr: word(sorry)!, port: num(sorry, 1) } : undefined,
    realServers: f.realServers,
  };
}

export function buildModel(nodes: ConfNode[], files: string[]): M.KeepalivedConfig {
  const top = (kw: string) => nodes.filter((n) => n.keyword === kw || n.spec?.name === kw);
  const g = top('global_defs').at(-1);
  const globals: M.GlobalDefs | undefined = g && {
    pos: posOf(g), node: g,
    routerId: childText(g, 'router_id'),
    scriptUser: child(g, 'script_user')?.args.map((a) => a.text).join(' '),
    enableScriptSecurity: flag(g, 'enable_script_security'),
    vrrpStrict: flag(g, 'vrrp_strict'),
    vrrpVersion: numOf(childText(g, 'vrrp_version')) === 3 ? 3 : numOf(childText(g, 'vrrp_version')) === 2 ? 2 : undefined,
    vrrpSkipCheckAdvAddr: flag(g, 'vrrp_skip_check_adv_addr'),
  };
  const instances = top('vrrp_instance').map((n) => instance(n, globals));
  const syncGroups = top('vrrp_sync_group').map((n) => ({
    pos: posOf(n), node: n,
    name: word(n) ?? '',
    members: items(child(n, 'group')).map((m) => ({ name: m.keyword, pos: posOf(m) })),
  }));
  const byName = new Map<string, M.VrrpInstance>();
  for (const vi of instances) if (!byName.has(vi.name)) byName.set(vi.name, vi); // the first, as find() would
  for (const sg of syncGroups) for (const m of sg.members) {
    const vi = byName.get(m.name);
    if (vi && !vi.syncGroup) vi.syncGroup = sg.name;
  }
  return {
    files,
    nodes,
    globals,
    vrrpScripts: top('vrrp_script').map((n) => ({
      pos: posOf(n), node: n,
      name: word(n) ?? '',
      script: child(n, 'script')?.args.map((a) => a.text).join(' '),
      interval: numOf(childText(n, 'interval')) ?? 1,
      timeout: numOf(childText(n, 'timeout')),
      weight: numOf(childText(n, 'weight')) ?? 0,
      rise: numOf(childText(n, 'rise')) ?? 1,
      fall: numOf(childText(n, 'fall')) ?? 1,
      user: child(n, 'user')?.args.map((a) => a.text).join(' '),
    })),
    trackers: [
      ...top('vrrp_track_file').map((n) => ({ pos: posOf(n), node: n, name: word(n) ?? '', kind: 'vrrp_track_file' as const })),
      ...top('vrrp_track_process').map((n) => ({ pos: posOf(n), node: n, name: word(n) ?? '', kind: 'vrrp_track_process' as const })),
    ],
    syncGroups,
    instances,
    staticAddresses: top('static_ipaddress').flatMap((b) => items(b).map(ipAddress)).filter((x): x is M.IpAddress => !!x),
    staticRoutes: top('static_routes').flatMap((b) => items(b).map(route)),
    staticRules: top('static_rules').flatMap((b) => items(b).map(rule)),
    virtualServerGroups: top('virtual_server_group').map((n) => ({
      pos: posOf(n), node: n,
      name: word(n) ?? '',
      entries: items(n).map((e) => ({
        text: [e.keyword, ...e.args.map((a) => a.text)].join(' '),
        port: e.keyword === 'fwmark' ? undefined : num(e, 0),
        fwmark: e.keyword === 'fwmark' ? num(e, 0) : undefined,
        pos: posOf(e),
      })),
    })),
    virtualServers: top('virtual_server').map(virtualServer),
  };
}
