// Routes and rules on the Rtnl socket (rtnl.ts hands its request plumbing in), and a watch on route
// and rule changes on its own subscribed socket (the native one, which survives an overflow). Every
// failure is an error value naming the operation and the route or rule; nothing throws.
import { FlagsNew, parseMessages, rt, type RtNetlinkSocket } from 'netlink';
import type { Family, LinkInfo, NetResult, RouteEvent, RouteSpec, RuleSpec } from './types.js';
import { AF_INET, AF_INET6, errnoCode, failureText } from './rtnl-codec.js';
import { describeRoute, describeRule, routeInfo, routeRequest, ruleInfo, ruleRequest } from './rtnl-route.js';
import { openNativeSocket, type NotifyCallback, type NotifySocket } from './rtnl-watch.js';

type Outcome<T> = { ok: true; value: T } | { ok: false; e: unknown };

/** What rtnl.ts lends: its socket, its bounded request runner and its serialised dumps. */
export interface RtnlPlumbing {
  sock: RtNetlinkSocket;
  timeout: number;
  call<T>(fn: () => Promise<T>): Promise<Outcome<T>>;
  dump<T>(fn: () => Promise<T>): Promise<Outcome<T>>;
  linkIndex(ifname: string): Promise<Outcome<number>>;
  dumpLinks(): Promise<NetResult<LinkInfo[]>>;
}

// rtnetlink groups and message types (linux/rtnetlink.h).
const GROUPS = [7 /* IPV4_ROUTE */, 8 /* IPV4_RULE */, 11 /* IPV6_ROUTE */, 19 /* IPV6_RULE */];
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const RTM_NEWRULE = 32;
const RTM_DELRULE = 33;

export function routeOps(p: RtnlPlumbing) {
  const { sock, timeout } = p;

  /** ifindex of every interface a route names (dev and nexthop devs). */
  async function indexes(r: RouteSpec): Promise<Outcome<Map<string, number>>> {
    const names = new Set<string>();
    if (typeof r?.dev === 'string') names.add(r.dev);
    for (const nh of Array.isArray(r?.nexthops) ? r.nexthops : []) if (typeof nh.dev === 'string') names.add(nh.dev);
    const out = new Map<string, number>();
    for (const n of names) {
      const i = await p.linkIndex(n);
      if (!i.ok) return i;
      out.set(n, i.value);
    }
    return { ok: true, value: out };
  }

  async function changeRoute(op: 'add' | 'delete', r: RouteSpec): Promise<NetResult> {
    const idx = await indexes(r);
    if (!idx.ok) {
      // A route through an interface that is gone is gone too: for a delete that is the wanted outcome.
      if (op === 'delete' && errnoCode(idx.e) === 'ENODEV') return { ok: true, value: undefined };
      return { ok: false, error: `${op} route ${describeRoute(r)}: ${failureText(idx.e)}` };
    }
    const req = routeRequest(op, r, (n) => idx.value.get(n));
    if (!req.ok) return req;
    const { data, attrs, addFlags } = req.value;
    if (op === 'add') {
      const flags = FlagsNew.CREATE | (addFlags === 'add' ? FlagsNew.EXCL : addFlags === 'append' ? FlagsNew.APPEND : 0);
      const res = await p.call(() => sock.newRoute(data, attrs, { flags, timeout }));
      if (res.ok || errnoCode(res.e) === 'EEXIST') return { ok: true, value: undefined };
      return { ok: false, error: `add route ${describeRoute(r)}: ${failureText(res.e)}` };
    }
    const res = await p.call(() => sock.delRoute(data, attrs, { timeout }));
    if (res.ok || errnoCode(res.e) === 'ESRCH' || errnoCode(res.e) === 'ENOENT') return { ok: true, value: undefined };
    return { ok: false, error: `delete route ${describeRoute(r)}: ${failureText(res.e)}` };
  }

  async function names(): Promise<NetResult<Map<number, string>>> {
    const links = await p.dumpLinks();
    return links.ok ? { ok: true, value: new Map(links.value.map((l) => [l.ifindex, l.ifname])) } : links;
  }

  async function listRoutes(family?: Family): Promise<NetResult<RouteSpec[]>> {
    const n = await names();
    if (!n.ok) return { ok: false, error: `list routes: ${n.error}` };
    const fam = family === 4 ? AF_INET : family === 6 ? AF_INET6 : 0;
    const res = await p.dump(() => sock.getRoutes({ family: fam }, undefined, { timeout }));
    if (!res.ok) return { ok: false, error: `list routes: ${failureText(res.e)}` };
    const out: RouteSpec[] = [];
    for (const m of res.value) {
      const r = routeInfo(m, (i) => n.value.get(i));
      if (r && (family === undefined || r.family === family)) out.push(r);
    }
    return { ok: true, value: out };
  }

  async function changeRule(op: 'add' | 'delete', r: RuleSpec): Promise<NetResult> {
    const req = ruleRequest(op, r);
    if (!req.ok) return req;
    const { data, attrs } = req.value;
    if (op === 'add') {
      const res = await p.call(() => sock.newRule(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL, timeout }));
      if (res.ok || errnoCode(res.e) === 'EEXIST') return { ok: true, value: undefined };
      return { ok: false, error: `add rule ${describeRule(r)}: ${failureText(res.e)}` };
    }
    const res = await p.call(() => sock.delRule(data, attrs, { timeout }));
    if (res.ok || errnoCode(res.e) === 'ENOENT' || errnoCode(res.e) === 'ESRCH') return { ok: true, value: undefined };
    return { ok: false, error: `delete rule ${describeRule(r)}: ${failureText(res.e)}` };
  }

  async function listRules(family?: Family): Promise<NetResult<RuleSpec[]>> {
    const fam = family === 4 ? AF_INET : family === 6 ? AF_INET6 : 0;
    const res = await p.dump(() => sock.getRules({ family: fam }, undefined, { timeout }));
    if (!res.ok) return { ok: false, error: `list rules: ${failureText(res.e)}` };
    const out: RuleSpec[] = [];
    for (const m of res.value) {
      const r = ruleInfo(m);
      if (r && (family === undefined || r.family === family)) out.push(r);
    }
    return { ok: true, value: out };
  }

  return {
    addRoute: (r: RouteSpec) => changeRoute('add', r),
    deleteRoute: (r: RouteSpec) => changeRoute('delete', r),
    listRoutes,
    addRule: (r: RuleSpec) => changeRule('add', r),
    deleteRule: (r: RuleSpec) => changeRule('delete', r),
    listRules,
  };
}

/** Route/rule notifications as RouteEvents. `openSocket` is for tests; default: the native socket. */
export function watchRoutes(
  onEvent: (e: RouteEvent) => void,
  nameOf: (ifindex: number) => string | undefined,
  openSocket: (groups: number[], recvBuffer: number, cb: NotifyCallback) => NetResult<NotifySocket> = openNativeSocket,
): NetResult<{ close(): void }> {
  const r = openSocket(GROUPS, 1 << 20, (err, datagrams) => {
    if (err) return;
    for (const d of datagrams) {
      try {
        for (const m of parseMessages(Buffer.from(d.buffer, d.byteOffset, d.byteLength))) {
          const e = decodeEvent(m.type, m.data, nameOf);
          if (e) onEvent(e);
        }
      } catch {
        // a message this parser cannot read is not ours to act on
      }
    }
  });
  if (!r.ok) return r;
  let closed = false;
  return {
    ok: true,
    value: {
      close() {
        if (closed) return;
        closed = true;
        try {
          r.value.close();
        } catch {
          // already closed
        }
      },
    },
  };
}

/** One notification (message type + body) as a RouteEvent, or null when it is neither a route nor a rule. */
export function decodeEvent(type: number, data: Buffer, nameOf: (ifindex: number) => string | undefined): RouteEvent | null {
  if (type === RTM_NEWROUTE || type === RTM_DELROUTE) {
    const route = routeInfo(rt.parseRouteMessage(data), nameOf);
    return route ? { type: 'route', route, removed: type === RTM_DELROUTE } : null;
  }
  if (type === RTM_NEWRULE || type === RTM_DELRULE) {
    const rule = ruleInfo(rt.parseRuleMessage(data));
    return rule ? { type: 'rule', rule, removed: type === RTM_DELRULE } : null;
  }
  return null;
}
