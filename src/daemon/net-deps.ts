// The real network layer for the VRRP child (src/net), behind the interfaces the runtime codes against.
import { createAnnouncer } from '../net/announcer.js';
import { createRtnl } from '../net/rtnl.js';
import { openVrrpSocket } from '../net/vrrp-socket.js';
import type { NetResult } from '../net/types.js';
import type { Logger } from './log.js';
import type { NetDeps } from './vrrp-service.js';

export function realNetDeps(log: Logger): NetResult<NetDeps> {
  const rtnl = createRtnl({ onWatchOverflow: () => log.log('warning', 'Netlink: receive buffer overflowed; resynchronising interfaces') });
  if (!rtnl.ok) return rtnl;
  const announcer = createAnnouncer();
  if (!announcer.ok) {
    rtnl.value.close();
    return announcer;
  }
  return { ok: true, value: { rtnl: rtnl.value, announcer: announcer.value, openVrrpSocket } };
}
