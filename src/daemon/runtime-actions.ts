// What the VRRP runtime does with each state machine action: adverts and VIP/route changes queued
// in order, GARP bursts, protocol timers on the clock, transitions logged and emitted.
import type { Transition, VrrpStateName } from '../control/protocol.js';
import type { FsmAction, FsmEvent } from '../vrrp/fsm.js';
import { queueRoutes, sendIfname } from './runtime-routes.js';
import { announce, changeVips, garpGroups, sendAdvert, socketKey } from './runtime-io.js';
import type { VrrpRuntime } from './runtime.js';

const STATE_WORD: Record<string, string> = { MASTER: 'MASTER', BACKUP: 'BACKUP', FAULT: 'FAULT' };

export function performAction(rt: VrrpRuntime, a: FsmAction, ev: FsmEvent, reason: string): void {
  const { clock } = rt.deps;
  switch (a.type) {
    case 'send-advert': {
      const io = rt.ios.get(a.instance);
      if (!io) return;
      const sock = rt.sockets.get(socketKey(sendIfname(io.plan), io.plan.family));
      rt.queue(async () => {
        const n = await sendAdvert(io, sock, a.advert, rt.log);
        if (n === 0) return;
        io.advertsSent++;
        if (a.advert.priority === 0) {
          io.priorityZeroSent++;
          rt.log.log('info', `(${a.instance}) sent 0 priority`);
        }
      });
      return;
    }
    case 'add-vips':
    case 'remove-vips': {
      const io = rt.ios.get(a.instance);
      if (!io) return;
      const add = a.type === 'add-vips';
      rt.log.log('info', `(${a.instance}) ${add ? 'setting' : 'removing'} VIPs.`);
      if (!add) queueRoutes(rt, a.instance, false); // rules, routes, then VIPs (keepalived's order)
      rt.queue(() => changeVips(rt.deps.rtnl, io.plan, a.addrs, add, rt.log));
      if (add) queueRoutes(rt, a.instance, true);
      return;
    }
    case 'send-garp': {
      const io = rt.ios.get(a.instance);
      if (!io) return;
      for (const g of garpGroups(io.plan, a.addrs)) {
        for (let k = 0; k < Math.max(1, a.repeat); k++) {
          const send = () => rt.queue(() => announce(rt.deps.announcer, io.plan, g, rt.log));
          if (k === 0 || g.intervalUs === 0) send();
          else {
            const h = clock.at(clock.nowUs() + k * g.intervalUs, () => {
              rt.garpTimers.delete(h);
              if (!rt.stopping) send();
            });
            rt.garpTimers.add(h);
          }
        }
      }
      return;
    }
    case 'arm-timer': {
      const key = `${a.instance}/${a.timer}`;
      rt.timers.get(key)?.cancel();
      rt.timers.set(key, clock.at(a.at, () => {
        rt.timers.delete(key);
        if (rt.stopping) return;
        rt.dispatch({ type: 'timer', instance: a.instance, timer: a.timer }, timerReason(rt, a.instance, a.timer));
      }));
      return;
    }
    case 'cancel-timer': {
      const key = `${a.instance}/${a.timer}`;
      rt.timers.get(key)?.cancel();
      rt.timers.delete(key);
      return;
    }
    case 'notify':
      transition(rt, a.instance, a.state, ev, reason);
      return;
    case 'notify-group':
      rt.log.log('info', `VRRP_Group(${a.group}) Syncing instances to ${a.state} state`);
      rt.emit({ type: 'group-transition', group: a.group, transition: { from: 'INIT', to: a.state, at: new Date(clock.wallMs()).toISOString(), reason } });
      return;
    case 'notify-priority':
      rt.emit({ type: 'priority', instance: a.instance, effective: a.priority });
      return;
    case 'notify-event':
      if (rt.log.detail) rt.log.log('debug', `(${a.instance}) ${a.event}`);
      rt.emit({ type: 'master-rx-lower-pri', instance: a.instance });
      return;
    case 'discard':
      if (rt.log.detail) rt.log.log('debug', `${'instance' in a && a.instance ? `(${a.instance}) ` : ''}${a.reason}`);
      return;
    case 'error':
      rt.log.log('err', `state machine: ${a.where}: ${a.message}`);
      return;
  }
}

function timerReason(rt: VrrpRuntime, instance: string, timer: string): string {
  if (timer !== 'master-down') return `${timer} timer`;
  const p0 = rt.lastPrio0.get(instance);
  return p0 ? `master ${p0} left (priority 0 advert)` : 'master down timer expired (no advert received)';
}

function transition(rt: VrrpRuntime, name: string, to: VrrpStateName, ev: FsmEvent, reason: string): void {
  const from = rt.lastState.get(name) ?? 'INIT';
  rt.lastState.set(name, to);
  const io = rt.ios.get(name);
  // Another member moved by its sync group: say so instead of the triggering event's reason.
  const target = 'instance' in ev ? ev.instance : undefined;
  const why = target !== undefined && target !== name && ev.type !== 'start' ? `sync group follows ${target}: ${reason}` : reason;
  const t: Transition = { from, to, at: new Date(rt.deps.clock.wallMs()).toISOString(), reason: why };
  rt.transitions.set(name, t);
  if (io) {
    if (to === 'MASTER') io.becameMaster++;
    if (from === 'MASTER') io.releasedMaster++;
  }
  if (to === 'MASTER' && ev.type === 'timer') rt.log.log('info', `(${name}) Receive advertisement timeout`);
  if (STATE_WORD[to]) rt.log.log('info', `(${name}) Entering ${STATE_WORD[to]} STATE${from === 'INIT' ? ' (init)' : ''}`);
  rt.emit({ type: 'transition', instance: name, transition: t });
}
