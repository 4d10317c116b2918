// The sections of keepalived 2.2.7's keepalived.data after the VRRP topology and sync groups:
// static addresses/routes/rules, "VRRP Scripts", "VRRP Track files", "VRRP Track processes",
// "VRRP Track BFDs" and "Interfaces" (vrrp_data.c dump_vrrp_data / dump_vscript / dump_vprocess /
// dump_vrrp_tracked_bfd, track_file.c dump_track_file, vrrp_if.c dump_if), plus the track lists
// and notify script lines instances and sync groups share. Pure.
import { ctimeUs } from './dump-data.js';
import type {
  DumpInterface, DumpNotifyScript, DumpSnapshot, DumpTrackBfd, DumpTrackFile, DumpTracking, DumpTrackProcess, DumpTrackRef,
  DumpTracksAndNotify, DumpVrrpScript,
} from './dump-types.js';

const rev = (b: boolean) => (b ? ' reverse' : '');

/** dump_tracking_obj_list with dump_tracking_vrrp: nothing when no one tracks it. */
function trackingLines(t: readonly DumpTracking[]): string[] {
  if (t.length === 0) return [];
  return ['   Tracking instances :', ...t.map((x) => `     ${x.instance}, weight ${x.weight}${rev(x.reverse)}`)];
}

export const notifyLines = (scripts: readonly DumpNotifyScript[]): string[] =>
  scripts.map((s) => `   ${s.label} state transition script = ${s.cmd}, uid:gid ${s.uid}:${s.gid}`);

/** The Tracked scripts / files / processes / BFDs lists (a sync group says "Tracked process"). */
export function trackListLines(x: DumpTracksAndNotify, group: boolean): string[] {
  const o: string[] = [];
  const list = (title: string, refs: readonly DumpTrackRef[], fmt: (r: DumpTrackRef) => string) => {
    if (refs.length > 0) o.push(`   ${title} :`, ...refs.map((r) => `     ${fmt(r)}`));
  };
  list('Tracked scripts', x.scripts, (r) => `${r.name} weight ${r.weight}${rev(r.reverse)}`);
  list('Tracked files', x.files, (r) => `${r.name}, weight ${r.weight}${rev(r.reverse)}`);
  list(group ? 'Tracked process' : 'Tracked processes', x.processes, (r) => `${r.name}, weight ${r.weight}${rev(r.reverse)}`);
  list('Tracked BFDs', x.bfds, (r) => `${r.name}: weight ${r.weight}${rev(r.reverse)}`);
  return o;
}

function scriptLines(s: DumpVrrpScript): string[] {
  return [
    ` VRRP Script = ${s.name}`,
    `   Command = ${s.cmd}`,
    `   Interval = ${s.intervalS} sec`,
    `   Timeout = ${s.timeoutS} sec`,
    `   Weight = ${s.weight}${rev(s.reverse)}`,
    `   Rise = ${s.rise}`,
    `   Fall = ${s.fall}`,
    `   Result = ${s.result}`,
    `   Insecure = ${s.insecure ? 'yes' : 'no'}`,
    `   Init state = ${s.init}`,
    `   Status = ${s.result >= s.rise ? 'GOOD' : 'BAD'}`,
    `   Script uid:gid = ${s.uid}:${s.gid}`,
    '   VRRP instances :',
    ...trackingLines(s.tracking),
    `   State = ${s.running ? 'running' : 'idle'}`,
  ];
}

function fileLines(f: DumpTrackFile): string[] {
  return [` Track file = ${f.name}`, `   File = ${f.path}`, `   Status = ${f.value}`, `   Weight = ${f.weight}${rev(f.reverse)}`, ...trackingLines(f.tracking)];
}

const secs = (ms: number) => (ms / 1000).toFixed(6);

function processLines(p: DumpTrackProcess): string[] {
  const o = [` VRRP Track process = ${p.name}`, `   Process = ${p.process}`];
  if (p.params.length > 0) o.push(`   Parameters = ${p.params.join(' ')}`);
  if (p.paramMatch !== 'none') o.push(`   Param match${p.paramMatch === 'exact' ? '' : ` = ${p.paramMatch}`}`);
  o.push(`   Min processes = ${p.quorum}`);
  if (p.quorumMax !== undefined) o.push(`   Max processes = ${p.quorumMax}`);
  o.push(
    `   Current processes = ${p.current}`,
    `   Have quorum = ${p.haveQuorum ? 'true' : 'false'}`,
    `   Weight = ${p.weight}${rev(p.reverse)}`,
    `   Terminate delay = ${secs(p.terminateDelayMs)}s`,
    `   Fork delay = ${secs(p.forkDelayMs)}s`,
    `   Fork delay timer ${p.forkTimer ? '' : 'not '}running`,
    `   Terminate delay timer ${p.terminateTimer ? '' : 'not '}running`,
    `   Full command = ${p.fullCommand ? 'true' : 'false'}`,
    ...trackingLines(p.tracking),
  );
  return o;
}

function bfdLines(b: DumpTrackBfd): string[] {
  return [` VRRP Track BFD = ${b.name}`, `   Weight = ${b.weight}${rev(b.reverse)}`, `   Bfd is ${b.up ? 'up' : 'down'}`, '   Tracking VRRP instances :', ...trackingLines(b.tracking)];
}

const HW_TYPES: Record<number, string> = { 1: 'ETHERNET', 772: 'LOOPBACK' };

function interfaceLines(i: DumpInterface, utc: boolean): string[] {
  const o = [` Name = ${i.name}`, `   index = ${i.index}`, `   IPv4 address = ${i.ipv4[0] ?? '(none)'}`];
  if (i.ipv4.length > 1) o.push('   Additional IPv4 addresses :', ...i.ipv4.slice(1).map((a) => `     ${a}`));
  o.push(`   IPv6 address = ${i.ipv6[0] ?? '(none)'}`);
  if (i.ipv6.length > 1) o.push('   Additional IPv6 addresses :', ...i.ipv6.slice(1).map((a) => `     ${a}`));
  if (i.mac) o.push(`   MAC = ${i.mac}`, `   MAC broadcast = ${i.macBroadcast}`);
  const state = `${i.up ? '' : 'not '}UP, ${i.running ? '' : 'not '}RUNNING${i.broadcast ? '' : ', no broadcast'}${i.loopback ? ', loopback' : ''}` +
    `${i.pointToPoint ? ', point to point' : ''}${i.noArp ? ', no arp' : ''}${i.multicast ? '' : ', no multicast'}` +
    `${i.vmacOf && !i.vmacOf.up ? ', master down' : ''}`;
  o.push(`   State = ${state}`, `   Seen up = ${i.up ? 1 : 0}`, '   Delayed state change running = false', '   Up debounce timer = 0us', '   Down debounce timer = 0us');
  if (i.vmacOf) {
    const b = i.vmacOf;
    o.push(`   VMAC type private, underlying interface = ${b.base}, state = ${b.up ? '' : 'not '}UP, ${b.running ? '' : 'not '}RUNNING`, '   I/f created by keepalived');
  }
  o.push(`   MTU = ${i.mtu}`, `   HW Type = ${HW_TYPES[i.hwType] ?? `UNKNOWN (${i.hwType})`}`, '   NIC netlink status update');
  o.push(`   Reset ARP config counter ${i.resetArpConfig}`, `   Original arp_ignore ${i.arpIgnore}`, `   Original arp_filter ${i.arpFilter}`);
  if (i.rpFilter !== undefined) o.push(`   rp_filter ${i.rpFilter}`);
  o.push(`   Original promote_secondaries ${i.promoteSecondaries}`, '   Reset promote_secondaries counter 0');
  if (i.gnaRouterCheck) {
    const g = i.gnaRouterCheck;
    const t = ctimeUs(g.atUs, utc);
    const usec = t.slice(20, 26);
    // keepalived: "%ld.%6.6ld (%.24s.%6.6ld)" with ctime_r's seconds-only text.
    o.push(`   ${g.forwarding ? '' : 'Not '}IPv6 forwarding. Last checked ${Math.floor(g.atUs / 1e6)}.${usec} (${t.slice(0, 19)}${t.slice(26)}.${usec})`);
  }
  if (i.tracking.length > 0) o.push('   Tracking VRRP instances :', ...i.tracking.map((t) => `     ${t.instance}, weight ${t.weight}${rev(t.reverse)}`));
  return o;
}

/** Static addresses / routes / rules: before the VRRP topology. */
export function staticSections(s: DumpSnapshot): string[] {
  const o: string[] = [];
  const st = s.statics;
  if (!st) return o;
  if (st.addresses.length > 0) o.push('------< Static Addresses >------', ...st.addresses.map((a) => `     ${a}`));
  if (st.routes.length > 0) o.push('------< Static Routes >------', ...st.routes.map((a) => `     ${a}`));
  if (st.rules.length > 0) o.push('------< Static Rules >------', ...st.rules.map((a) => `     ${a}`));
  return o;
}

/** Scripts, track files, processes, BFDs (after the sync groups), then the interfaces. */
export function trackerSections(s: DumpSnapshot, utc = false): string[] {
  const o: string[] = [];
  const sec = <T>(title: string, items: readonly T[] | undefined, f: (x: T) => string[]) => {
    if (items && items.length > 0) o.push(`------< ${title} >------`, ...items.flatMap(f));
  };
  sec('VRRP Scripts', s.scripts, scriptLines);
  sec('VRRP Track files', s.trackFiles, fileLines);
  sec('VRRP Track processes', s.trackProcesses, processLines);
  sec('VRRP Track BFDs', s.trackBfds, bfdLines);
  sec('Interfaces', s.interfaces, (i) => interfaceLines(i, utc));
  return o;
}
