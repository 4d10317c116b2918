// A VRRP runtime on fakes from config text: one "host" of a simulated LAN.
import { loadConfigText } from '../../src/config/index.js';
import type { DaemonEvent } from '../../src/control/protocol.js';
import { buildVrrpPlan } from '../../src/daemon/instance-config.js';
import { VrrpRuntime } from '../../src/daemon/runtime.js';
import { FakeAnnouncer, type FakeClock, type FakeLan, FakeRtnl, memLogger } from './fakes.js';

export const S = 1_000_000;

export interface Host {
  rt: VrrpRuntime;
  rtnl: FakeRtnl;
  ann: FakeAnnouncer;
  log: ReturnType<typeof memLogger>;
  events: DaemonEvent[];
}

/** `addrs`: the host's interface addresses, `ifname` -> address list. */
export function makeHost(lan: FakeLan, clock: FakeClock, name: string, text: string, addrs: Record<string, string[]>, rtnl?: FakeRtnl): Host {
  const { model, diagnostics } = loadConfigText(text, `${name}.conf`);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join('; '));
  const list = Object.entries(addrs).flatMap(([ifname, as]) => as.map((addr) => ({ ifname, addr, prefix: addr.includes(':') ? 64 : 24 })));
  const r = rtnl ?? new FakeRtnl(Object.keys(addrs), list);
  const ann = new FakeAnnouncer(clock);
  const log = memLogger(true);
  const events: DaemonEvent[] = [];
  const rt = new VrrpRuntime(buildVrrpPlan(model), {
    openVrrpSocket: lan.opener(name), announcer: ann, rtnl: r, clock, log, onEvent: (e) => void events.push(e),
  });
  return { rt, rtnl: r, ann, log, events };
}

export const settle = (...hs: Host[]) => async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await Promise.all(hs.map((h) => h.rt.idle()));
};

export const stateOf = (h: Host, name: string) => h.rt.statusOf(name)?.state;

export function vi(name: string, ifname: string, vrid: number, prio: number, vip: string, extra = ''): string {
  return `vrrp_instance ${name} {\n interface ${ifname}\n state BACKUP\n virtual_router_id ${vrid}\n priority ${prio}\n advert_int 1\n ${extra}\n virtual_ipaddress {\n  ${vip}\n }\n}\n`;
}
