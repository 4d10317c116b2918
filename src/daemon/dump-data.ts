// keepalived's DATA dump (SIGUSR1, /tmp/keepalived.data from the VRRP child): the global
// definitions, the VRRP topology (every instance) and the sync groups, with keepalived 2.2.7's
// section headings, labels, indentation and order (vrrp_data.c dump_vrrp / dump_sync_group,
// global_data.c dump_global_data). Pure: the snapshot and the time zone come in.
import { notifyLines, staticSections, trackerSections, trackListLines } from './dump-sections.js';
import type { DumpGlobals, DumpInstance, DumpSnapshot, DumpSyncGroup } from './dump-types.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** keepalived's ctime_us_r: "Wed Nov 25 06:06:33.908333 2026" in local time (utc: in UTC). */
export function ctimeUs(us: number, utc = false): string {
  const d = new Date(Math.floor(us / 1000));
  const f = utc
    ? [d.getUTCDay(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCFullYear()]
    : [d.getDay(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getFullYear()];
  const frac = String(Math.floor(us) % 1_000_000).padStart(6, '0');
  return `${DAYS[f[0]]} ${MONTHS[f[1]]} ${String(f[2]).padStart(2, ' ')} ${p2(f[3])}:${p2(f[4])}:${p2(f[5])}.${frac} ${f[6]}`;
}

/** "sec.usec (ctime)" as keepalived prints a timeval. */
function timeval(us: number, utc: boolean): string {
  const sec = Math.floor(us / 1_000_000);
  return `${sec}.${String(Math.floor(us) % 1_000_000).padStart(6, '0')} (${ctimeUs(us, utc)})`;
}

const tf = (b: boolean) => (b ? 'true' : 'false');

const unsetOnOff = (b: boolean | undefined) => (b === undefined ? 'unset' : b ? 'on' : 'off');

export function globalLines(g: DumpGlobals, vrrpChild: boolean): string[] {
  const out = [
    '------< Global definitions >------',
    ' Network namespace = (default)',
    ' Network namespace ipvs = (main namespace)',
    ` Router ID = ${g.routerId}`,
  ];
  if (g.smtp) {
    out.push(` Smtp server = ${g.smtp.server}`, ` Smtp server port = ${g.smtp.port}`);
    if (g.smtp.helo !== undefined) out.push(` Smtp HELO name = ${g.smtp.helo}`);
    if (g.smtp.connectTimeoutS !== undefined) out.push(` Smtp server connection timeout = ${g.smtp.connectTimeoutS}`);
    if (g.smtp.from !== undefined) out.push(` Email notification from = ${g.smtp.from}`, ' Email notification to:', ...g.smtp.to.map((e) => `   ${e}`));
  }
  out.push(
    ` Default smtp_alert = ${unsetOnOff(g.smtpAlert)}`,
    ` Default smtp_alert_vrrp = ${unsetOnOff(g.smtpAlertVrrp)}`,
    ` Default smtp_alert_checker = ${unsetOnOff(g.smtpAlertChecker)}`,
    ` Checkers log all failures = ${tf(g.checkerLogAllFailures ?? false)}`,
    ' No test config before reload',
    ` Dynamic interfaces = ${tf(g.dynamicInterfaces ?? false)}`,
  );
  if (g.dynamicInterfaces) out.push(' Allow interface changes = false');
  if (g.noEmailFaults) out.push(' Send emails for fault transitions = off');
  if (vrrpChild) out.push(` Default interface = ${g.defaultInterface}`);
  out.push(
    ` Disable local IGMP = ${g.disableLocalIgmp ? 'yes' : 'no'}`,
    ` LVS flush = ${tf(g.lvsFlush ?? false)}`,
    ` LVS flush on stop = ${g.lvsFlushOnStop ?? 'disabled'}`,
  );
  for (const f of g.fifos ?? []) {
    out.push(` ${f.label} = ${f.path}, uid:gid ${f.uid}:${f.gid}`);
    if (f.script) out.push(` ${f.label} script = ${f.script.cmd}, uid:gid ${f.script.uid}:${f.script.gid}`);
  }
  out.push(
    ` FIFO write vrrp states on reload = ${tf(g.fifoWriteVrrpStatesOnReload ?? false)}`,
    ` VRRP notify priority changes = ${tf(g.vrrpNotifyPriorityChanges ?? false)}`,
    ` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`,
    ` Gratuitous ARP delay = ${g.garpDelayS}`,
    ` Gratuitous ARP repeat = ${g.garpRepeat}`,
    ` Gratuitous ARP refresh timer = ${g.garpRefreshS}`,
    ` Gratuitous ARP refresh repeat = ${g.garpRefreshRepeat}`,
    ` Gratuitous ARP lower priority delay = ${g.garpLowerPrioDelayS}`,
    ` Gratuitous ARP lower priority repeat = ${g.garpLowerPrioRepeat}`,
    ` Num adverts before down = ${g.downTimerAdverts}`,
    ' Gratuitous ARP for each secondary VMAC = 0s',
    ` Send advert after receive lower priority advert = ${tf(!g.lowerPrioNoAdvert)}`,
    ` Send advert after receive higher priority advert = ${tf(g.higherPrioSendAdvert)}`,
    ` Gratuitous ARP interval = ${g.garpIntervalS.toFixed(6)}`,
    ` Gratuitous NA interval = ${g.gnaIntervalS.toFixed(6)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ` VRRP check unicast_src = ${tf(g.checkUnicastSrc)}`,
    ` VRRP skip check advert addresses = ${tf(g.skipCheckAdvAddr)}`,
    ` VRRP strict mode = ${tf(g.strict)}`,
    ` Max auto priority = ${g.maxAutoPriority === -1 ? 'Disabled' : g.maxAutoPriority ?? 0}`,
    ' Min auto priority delay = 1000000 usecs',
    ' VRRP process priority = 0',
    " VRRP don't swap = false",
    ' VRRP realtime priority = 0',
    ' VRRP realtime limit = 10000',
    ' Checker process priority = 0',
    " Checker don't swap = false",
    ' Checker realtime priority = 0',
    ' Checker realtime limit = 10000',
    ' BFD process priority = 0',
    " BFD don't swap = false",
    ' BFD realtime priority = 0',
    ' BFD realtime limit = 10000',
    ' SNMP vrrp disabled',
    ' SNMP checker disabled',
    ' SNMP RFCv2 disabled',
    ' SNMP RFCv3 disabled',
    ' SNMP traps disabled',
    ' SNMP socket = default (unix:/var/agentx/master)',
    ' DBus disabled',
    ' DBus service name = ',
    ` Script security ${g.scriptSecurity ? 'enabled' : 'disabled'}`,
  );
  // keepalived prints no line when the default script user cannot be found.
  const su = g.defaultScriptUid === undefined ? { uid: 0, gid: 0 } : g.defaultScriptUid;
  if (su) out.push(` Default script uid:gid ${su.uid}:${su.gid}`);
  out.push(
    ' vrrp_netlink_cmd_rcv_bufs = 0',
    ' vrrp_netlink_cmd_rcv_bufs_force = 0',
    ' vrrp_netlink_monitor_rcv_bufs = 0',
    ' vrrp_netlink_monitor_rcv_bufs_force = 0',
    ' process_monitor_rcv_bufs = 0',
    ' process_monitor_rcv_bufs_force = 0',
    ' lvs_netlink_cmd_rcv_bufs = 0',
    ' lvs_netlink_cmd_rcv_bufs_force = 0',
    ' lvs_netlink_monitor_rcv_bufs = 0',
    ' lvs_netlink_monitor_rcv_bufs_force = 0',
    ` rs_init_notifies = ${g.rsInitNotifies ? 1 : 0}`,
    ` no_checker_emails = ${g.noCheckerEmails ? 1 : 0}`,
    ' rx_bufs_multiples = 3',
    ' umask = 0177',
  );
  if (g.vrrpStartupDelayS) out.push(` vrrp_startup_delay = ${Number(g.vrrpStartupDelayS.toPrecision(6))}`);
  if (g.logUnknownVrids) out.push(' log_unknown_vrids');
  if (g.vmacPrefix) out.push(` VMAC prefix = ${g.vmacPrefix}`);
  if (g.vmacAddrPrefix) out.push(` VMAC address prefix = ${g.vmacAddrPrefix}`);
  return out;
}

function instanceLines(i: DumpInstance, utc: boolean): string[] {
  const o: string[] = [` VRRP Instance = ${i.name}`, `   VRRP Version = ${i.version}`];
  if (i.syncGroup) o.push(`   Sync group = ${i.syncGroup}`);
  if (i.family === 6) o.push('   Using Native IPv6');
  o.push(`   State = ${i.state}`);
  if (i.state === 'BACKUP') {
    o.push(`   Master router = ${i.masterAddr ?? '[none]'}`, `   Master priority = ${i.masterPriority}`);
    if (i.version === 3) o.push(`   Master advert int = ${(i.masterAdverIntUs / 1e6).toFixed(2)} sec`);
  }
  // keepalived prints "Flags:" when any of its instance flag bits is set, the unicast one listed.
  const flags = i.unicast || i.dontTrackPrimary || i.skipCheckAdvAddr || i.srcFromConfig || i.checkUnicastSrc || i.promoteSecondaries || i.nopreempt || !!i.vmac;
  if (!flags) o.push('   Flags: none');
  else o.push('   Flags:', ...(i.unicast ? ['     Using unicast'] : []));
  o.push(
    `   Wantstate = ${i.wantState}`,
    '   Number of config faults = 0',
    `   Number of interface and track script faults = ${i.trackFaults ?? (i.state === 'FAULT' ? 1 : 0)}`,
    `   Number of track scripts init = ${i.scriptsInit ?? 0}`,
    `   Last transition = ${timeval(i.lastTransitionUs, utc)}`,
    i.readTimeoutUs === null ? '   Read timeout = DISABLED' : `   Read timeout = ${timeval(i.readTimeoutUs, utc)}`,
    `   Master down timer = ${i.msDownTimerUs} usecs`,
  );
  if (i.vmac) {
    const v = i.vmac;
    o.push(`   Use VMAC, i/f name ${v.ifname}, is_up = ${tf(v.up)}, xmit_base = ${tf(v.xmitBase)}`, `   Interface = ${v.ifname}, vmac on ${v.base}${v.xmitBase ? ', xmit base i/f' : ''}`);
  } else o.push(`   Interface = ${i.ifname}`);
  if (i.dontTrackPrimary) o.push('   VRRP interface tracking disabled');
  if (i.skipCheckAdvAddr) o.push('   Skip checking advert IP addresses');
  if (i.strict) o.push('   Enforcing strict VRRP compliance');
  o.push(`   Using src_ip = ${i.srcAddr ?? '(none)'}${i.srcFromConfig ? ' (from configuration)' : ''}`);
  if (!i.unicast) o.push(i.family === 4 ? '   Multicast address 224.0.0.18' : `   Multicast address ff02::12, ifindex ${i.mcastIfindex ?? 0}`);
  o.push(
    `   Gratuitous ARP delay = ${Math.floor(i.garpDelayUs / 1e6)}`,
    `   Gratuitous ARP repeat = ${i.garpRepeat}`,
    `   Gratuitous ARP refresh = ${Math.floor(i.garpRefreshUs / 1e6)}`,
    `   Gratuitous ARP refresh repeat = ${i.garpRefreshRepeat}`,
    `   Gratuitous ARP lower priority delay = ${Math.floor(i.garpLowerPrioDelayUs / 1e6)}`,
    `   Gratuitous ARP lower priority repeat = ${i.garpLowerPrioRepeat}`,
    `   Down timer adverts = ${i.downTimerAdverts}`,
    `   Send advert after receive lower priority advert = ${tf(!i.lowerPrioNoAdvert)}`,
    `   Send advert after receive higher priority advert = ${tf(i.higherPrioSendAdvert)}`,
    `   Virtual Router ID = ${i.vrid}`,
    `   Priority = ${i.basePriority}`,
    `   Effective priority = ${i.effectivePriority}`,
    `   Total priority = ${i.totalPriority}`,
    i.version === 2 ? `   Advert interval = ${Math.floor(i.advertIntUs / 1e6)} sec` : `   Advert interval = ${Math.floor(i.advertIntUs / 1000)} milli-sec`,
  );
  if (i.state === 'BACKUP' && i.version === 3) o.push(`   Master advert interval = ${Math.floor(i.masterAdverIntUs / 1000)} milli-sec`);
  o.push(`   Accept = ${i.accept ? 'enabled' : 'disabled'}`, `   Preempt = ${i.nopreempt ? 'disabled' : 'enabled'}`);
  if (i.preemptDelayUs > 0) o.push(`   Preempt delay = ${Number((i.preemptDelayUs / 1e6).toPrecision(6))} secs`);
  o.push(`   Promote_secondaries = ${i.promoteSecondaries ? 'enabled' : 'disabled'}`);
  if (i.authType !== 'none') {
    o.push(`   Authentication type = ${i.authType === 'ah' ? 'IPSEC_AH' : 'SIMPLE_PASSWORD'}`);
    if (i.authType === 'pass') o.push(`   Password = ${i.authData ?? ''}`);
  } else if (i.version === 2) o.push('   Authentication type = none');
  if (i.vips.length > 0) o.push(`   Virtual IP (${i.vips.length}):`, ...i.vips.map((v) => `     ${v}`));
  if (i.excludedVips.length > 0) o.push('   Virtual IP Excluded :', ...i.excludedVips.map((v) => `     ${v}`));
  if (i.unicast) {
    o.push(`   Unicast TTL = ${i.unicastTtl}`, `   Check unicast src : ${i.checkUnicastSrc ? 'yes' : 'no'}`, '   Unicast Peer :');
    for (const u of i.unicastPeers) o.push(`     ${u.addr} min_ttl ${u.minTtl} max_ttl ${u.maxTtl}`);
    o.push(`   Unicast checksum compatibility = ${i.unicastChecksumCompat}`);
  }
  // We do not expose file descriptors: -1 (keepalived prints its sockets' numbers).
  o.push('   fd_in -1, fd_out -1');
  if (i.routes && i.routes.length > 0) o.push('   Virtual Routes :', ...i.routes.map((r) => `     ${r}`));
  if (i.rules && i.rules.length > 0) o.push('   Virtual Rules :', ...i.rules.map((r) => `     ${r}`));
  if (i.trackedInterfaces.length > 0) {
    o.push('   Tracked interfaces :', ...i.trackedInterfaces.map((t) => `     ${t.ifname} weight ${t.weight}${t.reverse ? ' reverse' : ''}`));
  }
  const x = i.extra;
  if (x) o.push(...trackListLines(x, false));
  o.push(`   Using smtp notification = ${x?.smtpAlert ? 'yes' : 'no'}`, `   Notify deleted = ${x?.notifyDeleted ? 'Deleted' : 'Fault'}`);
  if (x) o.push(...notifyLines(x.notify));
  o.push(`   Notify priority changes = ${tf(x?.priorityChanges ?? false)}`);
  return o;
}

/** keepalived's socket pool: one socket per interface, family, protocol (VRRP or AH) and unicast
 * source. We do not expose file descriptors: the fd line carries -1. */
function sockpoolLines(instances: readonly DumpInstance[]): string[] {
  const pools = new Map<string, DumpInstance[]>();
  for (const i of instances) {
    // Adverts go out (and come in) on the vmac unless vmac_xmit_base.
    const ifname = i.vmac && !i.vmac.xmitBase ? i.vmac.ifname : i.ifname;
    const key = `${ifname}|${i.family}|${i.authType === 'ah' ? 'AH' : 'VRRP'}|${i.unicast ? i.srcAddr ?? '' : ''}`;
    pools.set(key, [...(pools.get(key) ?? []), i]);
  }
  const o: string[] = [];
  for (const [key, members] of pools) {
    const [ifname, family, proto, src] = key.split('|');
    o.push(' fd_in -1 fd_out = -1', `   Interface = ${ifname}`, `   Family = IPv${family}`, `   Protocol = ${proto}`);
    o.push(`   Type = ${members[0].unicast ? 'Unicast' : 'Multicast'}`);
    if (members[0].unicast) o.push(`   Address = ${src}`);
    o.push('   Rx buf size = 0', '   VRRP instances');
    for (const m of [...members].sort((a, b) => a.vrid - b.vrid)) o.push(`     ${m.name} vrid ${m.vrid}`);
  }
  return o;
}

function groupLines(g: DumpSyncGroup): string[] {
  const o = [` VRRP Sync Group = ${g.name}, ${g.state}`, `   Num member fault ${g.numMemberFault}, num member init ${g.numMemberInit}`];
  if (g.members.length > 0) o.push('   VRRP member instances :', ...g.members.map((m) => `     ${m}`));
  if (g.trackingWeight) o.push('   sync group tracking weight set');
  const x = g.extra;
  o.push(`   Using smtp notification = ${x?.smtpAlert ? 'yes' : 'no'}`);
  if (x && x.priorityChanges !== null) o.push(`   Notify priority changes = ${x.priorityChanges ? 'yes' : 'no'}`);
  if (x) o.push(...trackListLines(x, true), ...notifyLines(x.notify));
  return o;
}

/** /tmp/keepalived.data. utc: print times in UTC instead of local time (tests). */
export function formatData(s: DumpSnapshot, utc = false): string {
  const out = globalLines(s.globals, true);
  out.push(...staticSections(s));
  if (s.instances.length > 0) {
    out.push('------< VRRP Topology >------');
    for (const i of s.instances) out.push(...instanceLines(i, utc));
    out.push('------< VRRP Sockpool >------', ...sockpoolLines(s.instances));
  }
  if (s.syncGroups.length > 0) {
    out.push('------< VRRP Sync groups >------');
    for (const g of s.syncGroups) out.push(...groupLines(g));
  }
  out.push(...trackerSections(s, utc));
  return `${out.join('\n')}\n`;
}

/** /tmp/keepalived_parent.data: the parent's part (its global definitions). */
export function formatParentData(g: DumpGlobals): string {
  return `${globalLines(g, false).join('\n')}\n`;
}
