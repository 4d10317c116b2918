// The IPVS client: generic netlink over the `netlink` package's socket, messages from genl-codec.
// Every public call resolves to a value (never throws); a kernel without IPVS is one clear error at
// open time, so the daemon can say it once and keep VRRP running.
import { createGenericNetlink, genl, type GenericNetlinkSocket } from 'netlink';
import {
  AF_INET6, decodeIpvs, encodeIpvs, type IpvsDaemon, type IpvsDest, type IpvsInfo, type IpvsMessage, type IpvsService,
} from './genl-codec.js';
import { err, ok, type Result } from '../net/nlattr.js';
import { describeOp, type Op } from './reconcile.js';
import { type ServiceId, type Table, type TableDest, type TableService, userFlags } from './table.js';

export const NO_IPVS = 'the kernel has no IPVS (ip_vs module not loaded or not built)';
const NLM_F_DUMP = 0x300;
const TIMEOUT_MS = 5000;
const ERRNO_TEXT: Record<string, string> = {
  EEXIST: 'already exists', ENOENT: 'no such destination', ESRCH: 'no such service', EINVAL: 'invalid argument',
  EPERM: 'operation not permitted (needs root / CAP_NET_ADMIN)', EBUSY: 'busy', ENOMEM: 'out of memory',
};

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /Request rejected: (\w+)/.exec(msg);
  if (!m) return msg;
  return `${ERRNO_TEXT[m[1]!] ?? 'error'} (${m[1]})`;
}

/** Service identity (+ settings when `full`) as the kernel wants it in IPVS_CMD_ATTR_SERVICE. */
export function serviceAttrs(s: ServiceId & Partial<Omit<TableService, 'dests'>>, full: boolean): IpvsService {
  const out: IpvsService = { af: s.af };
  if (s.fwmark) out.fwmark = s.fwmark;
  else Object.assign(out, { protocol: s.protocol, addr: s.addr, port: s.port });
  if (full) {
    Object.assign(out, {
      schedName: s.sched ?? 'wlc', flags: { flags: userFlags(s.flags ?? 0), mask: 0xffffffff },
      timeout: s.timeout ?? 0, netmask: s.netmask ?? (s.af === AF_INET6 ? 128 : 0xffffffff),
    });
    if (s.peName) out.peName = s.peName;
  }
  return out;
}

export function destAttrs(d: TableDest, full: boolean): IpvsDest {
  const out: IpvsDest = { addrFamily: d.af, addr: d.addr, port: d.port };
  if (full) {
    Object.assign(out, { fwdMethod: d.fwd, weight: d.weight, uThresh: d.uThresh, lThresh: d.lThresh });
    if (d.fwd === 2) Object.assign(out, { tunType: d.tunType, tunPort: d.tunPort, tunFlags: d.tunFlags });
  }
  return out;
}

/** The operation as the IPVS message that performs it. */
export function opMessage(o: Op): IpvsMessage {
  switch (o.op) {
    case 'flush': return { cmd: 'FLUSH' };
    case 'add-service': return { cmd: 'NEW_SERVICE', service: serviceAttrs(o.service, true) };
    case 'edit-service': return { cmd: 'SET_SERVICE', service: serviceAttrs(o.service, true) };
    case 'delete-service': return { cmd: 'DEL_SERVICE', service: serviceAttrs(o.service, false) };
    case 'add-dest': return { cmd: 'NEW_DEST', service: serviceAttrs(o.service, false), dest: destAttrs(o.dest, true) };
    case 'edit-dest': return { cmd: 'SET_DEST', service: serviceAttrs(o.service, false), dest: destAttrs(o.dest, true) };
    case 'delete-dest': return { cmd: 'DEL_DEST', service: serviceAttrs(o.service, false), dest: destAttrs(o.dest, false) };
  }
}

export function tableService(s: IpvsService): TableService {
  const fw = s.fwmark ?? 0;
  return {
    af: s.af ?? 2, protocol: fw ? 0 : (s.protocol ?? 0), addr: fw ? '' : (s.addr ?? ''), port: fw ? 0 : (s.port ?? 0), fwmark: fw,
    sched: s.schedName ?? '', flags: userFlags(s.flags?.flags ?? 0), timeout: s.timeout ?? 0, netmask: s.netmask ?? 0,
    peName: s.peName ?? '', dests: [],
  };
}

export function tableDest(d: IpvsDest, svcAf: number): TableDest {
  return {
    af: d.addrFamily ?? svcAf, addr: d.addr ?? '', port: d.port ?? 0, fwd: (d.fwdMethod ?? 0) & 7, weight: d.weight ?? 0,
    uThresh: d.uThresh ?? 0, lThresh: d.lThresh ?? 0, tunType: d.tunType ?? 0, tunPort: d.tunPort ?? 0, tunFlags: d.tunFlags ?? 0,
  };
}

export interface Timeouts { tcp: number; tcpFin: number; udp: number }

export class IpvsClient {
  /** Requests sent to the kernel so far (one per operation, one per dump). */
  messages = 0;
  /**
   * One request in flight at a time: the kernel refuses a second dump on a socket while one runs
   * (EBUSY), and the netlink library groups multipart replies per socket, not per request, so a reply
   * arriving amid a dump cut it short ("Multipart message not terminated properly"). Seen in the VM
   * when a status poll's counter dump met a reconcile pass's table dump.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private constructor(private readonly sock: GenericNetlinkSocket, readonly family: number) {}

  static async open(): Promise<Result<IpvsClient>> {
    let sock: GenericNetlinkSocket;
    try {
      sock = createGenericNetlink();
    } catch (e) {
      return err(`cannot open a generic netlink socket: ${errorText(e)}`);
    }
    try {
      const r = await sock.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: 'IPVS' }, { timeout: TIMEOUT_MS });
      const id = r[0]?.familyId;
      if (id === undefined) throw new Error('Request rejected: ENOENT');
      return ok(new IpvsClient(sock, id));
    } catch (e) {
      sock.socket.close();
      return err(/ENOENT/.test(String(e)) ? NO_IPVS : `cannot resolve the IPVS netlink family: ${errorText(e)}`);
    }
  }

  close(): void {
    this.sock.socket.close();
  }

  /** Sends one message; returns the decoded replies (none for a plain acknowledgement). */
  request(m: IpvsMessage, dump = false): Promise<Result<IpvsMessage[]>> {
    const next = this.queue.then(() => this.requestNow(m, dump));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async requestNow(m: IpvsMessage, dump: boolean): Promise<Result<IpvsMessage[]>> {
    const body = encodeIpvs(m);
    if (!body.ok) return body;
    this.messages++;
    try {
      const [replies] = await this.sock.socket.request(this.family, body.value, { flags: dump ? NLM_F_DUMP : 0, timeout: TIMEOUT_MS });
      const out: IpvsMessage[] = [];
      for (const r of replies) {
        const d = decodeIpvs(r.data);
        if (!d.ok) return err(`${m.cmd}: garbled reply: ${d.error}`);
        out.push(d.value);
      }
      return ok(out);
    } catch (e) {
      return err(`${m.cmd}: ${errorText(e)}`);
    }
  }

  async listServices(): Promise<Result<IpvsService[]>> {
    const r = await this.request({ cmd: 'GET_SERVICE' }, true);
    return r.ok ? ok(r.value.flatMap((x) => (x.service ? [x.service] : []))) : r;
  }

  async listDests(svc: ServiceId): Promise<Result<IpvsDest[]>> {
    const r = await this.request({ cmd: 'GET_DEST', service: serviceAttrs(svc, false) }, true);
    return r.ok ? ok(r.value.flatMap((x) => (x.dest ? [x.dest] : []))) : r;
  }

  /** The whole table: every service and its destinations. */
  async readTable(): Promise<Result<Table>> {
    const svcs = await this.listServices();
    if (!svcs.ok) return svcs;
    const services: TableService[] = [];
    for (const s of svcs.value) {
      const t = tableService(s);
      const ds = await this.listDests(t);
      if (!ds.ok) return ds;
      t.dests = ds.value.map((d) => tableDest(d, t.af));
      services.push(t);
    }
    return ok({ services });
  }

  /** Runs operations in order; each failure is reported with the operation and goes on. */
  async apply(ops: readonly Op[]): Promise<{ done: number; errors: string[] }> {
    const errors: string[] = [];
    let done = 0;
    for (const o of ops) {
      const r = await this.request(opMessage(o));
      if (r.ok) done++;
      else errors.push(`${describeOp(o)}: ${r.error}`);
    }
    return { done, errors };
  }

  async flush(): Promise<Result<void>> { return this.simple({ cmd: 'FLUSH' }); }
  async zero(svc?: ServiceId): Promise<Result<void>> { return this.simple({ cmd: 'ZERO', service: svc && serviceAttrs(svc, false) }); }

  async getTimeouts(): Promise<Result<Timeouts>> {
    const r = await this.request({ cmd: 'GET_CONFIG' });
    if (!r.ok) return r;
    const m = r.value[0];
    return m ? ok({ tcp: m.timeoutTcp ?? 0, tcpFin: m.timeoutTcpFin ?? 0, udp: m.timeoutUdp ?? 0 }) : err('GET_CONFIG: no reply');
  }

  /** 0 leaves a timeout unchanged (the kernel's rule). */
  async setTimeouts(t: Partial<Timeouts>): Promise<Result<void>> {
    return this.simple({ cmd: 'SET_CONFIG', timeoutTcp: t.tcp ?? 0, timeoutTcpFin: t.tcpFin ?? 0, timeoutUdp: t.udp ?? 0 });
  }

  async getInfo(): Promise<Result<IpvsInfo>> {
    const r = await this.request({ cmd: 'GET_INFO' });
    if (!r.ok) return r;
    return r.value[0]?.info ? ok(r.value[0].info) : err('GET_INFO: no reply');
  }

  async getDaemons(): Promise<Result<IpvsDaemon[]>> {
    const r = await this.request({ cmd: 'GET_DAEMON' }, true);
    return r.ok ? ok(r.value.flatMap((x) => (x.daemon ? [x.daemon] : []))) : r;
  }

  /** Starts the connection sync daemon (state 1 master, 2 backup). */
  async startDaemon(d: IpvsDaemon): Promise<Result<void>> { return this.simple({ cmd: 'NEW_DAEMON', daemon: d }); }
  async stopDaemon(state: number): Promise<Result<void>> { return this.simple({ cmd: 'DEL_DAEMON', daemon: { state } }); }

  private async simple(m: IpvsMessage): Promise<Result<void>> {
    const r = await this.request(m);
    return r.ok ? ok(undefined) : r;
  }
}
