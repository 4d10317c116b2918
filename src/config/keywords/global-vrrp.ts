// global_defs keywords that tune VRRP for every instance (instance keywords can override many).
// Facts follow keepalived's global_parser.c handlers, 2.2.0 - 2.4.3.
import { arg, float, int, oneOf, opt } from '../schema.js';
import type { KeywordSpec } from '../schema.js';
import { fifoArgs, processKeywords } from './global-defs.js';
import { flag, kw, onOff, scriptKw } from './vrrp-helpers.js';

const UINT_MAX = 4294967295;
const INT_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** UINT_MAX microseconds, the largest timer keepalived stores, in seconds. */
const MAX_TIMER_SECS = 4294.967295;

/** `SECS` and the word `all` in either order (garp_extra_if and its old spellings). */
export const extraIfForms = (min: number) => [
  [int('seconds', min, 86400)],
  [oneOf('all', ['all']), int('seconds', min, 86400)],
  [int('seconds', min, 86400), oneOf('all', ['all'])],
];

const garp: KeywordSpec[] = [
  kw('vrrp_garp_master_delay', [int('seconds', 0, 4294)], 'Delay before the second burst of gratuitous ARPs after becoming master.', {
    default: 5,
  }),
  kw('vrrp_garp_master_repeat', [int('count', 0, UINT_MAX)], 'Gratuitous ARPs sent in each burst (0 is read as 1).', { default: 5 }),
  kw('vrrp_garp_master_refresh', [int('seconds', 0, UINT_MAX)], 'Interval of periodic gratuitous ARPs while master (0 = never).', {
    default: 0,
  }),
  kw('vrrp_garp_master_refresh_repeat', [int('count', 0, UINT_MAX)], 'Gratuitous ARPs sent at each refresh (0 is read as 1).', {
    default: 1,
  }),
  kw('vrrp_garp_lower_prio_delay', [int('seconds', 0, 4294)], 'Delay of the gratuitous ARPs sent when a lower priority advert is seen.'),
  kw('vrrp_garp_lower_prio_repeat', [int('count', 0, INT_MAX)], 'Gratuitous ARPs sent when a lower priority advert is seen.'),
  kw('vrrp_garp_interval', [float('seconds', 0.000001, MAX_TIMER_SECS)], 'Minimum gap between gratuitous ARPs on one interface.'),
  kw('vrrp_gna_interval', [float('seconds', 0.000001, MAX_TIMER_SECS)], 'Minimum gap between unsolicited neighbour adverts on one interface.'),
  onOff('vrrp_min_garp', 'Send a single gratuitous ARP on becoming master and no repeats.'),
  kw('vrrp_garp_extra_if', [], 'Also send periodic gratuitous ARPs on the VMAC parent interface (or all interfaces).', {
    forms: extraIfForms(1),
    since: '2.2.3',
  }),
  kw('vrrp_vmac_garp_intvl', [], 'Old name of vrrp_garp_extra_if.', {
    forms: extraIfForms(1),
    deprecated: 'misnamed; use vrrp_garp_extra_if',
    replacement: 'vrrp_garp_extra_if',
  }),
  kw('vrrp_down_timer_adverts', [int('adverts', 1, 100)], 'Adverts a backup may miss before it declares the master down.', {
    since: '2.2.3',
    default: 3,
  }),
];

const protocol: KeywordSpec[] = [
  kw('vrrp_mcast_group4', [arg('group', 'ipv4')], 'IPv4 multicast group for adverts.', { default: '224.0.0.18' }),
  kw('vrrp_mcast_group6', [arg('group', 'ipv6')], 'IPv6 multicast group for adverts (link-local).', { default: 'ff02::12' }),
  kw('vrrp_version', [int('version', 2, 3)], 'Default VRRP protocol version.', { default: 2 }),
  onOff('vrrp_lower_prio_no_advert', 'Do not answer adverts of a lower priority master.'),
  onOff('vrrp_higher_prio_send_advert', 'Send an advert when a higher priority advert is seen while master.'),
  flag('vrrp_check_unicast_src', 'Drop unicast adverts from addresses that are not configured peers.'),
  onOff('vrrp_skip_check_adv_addr', 'Skip checking advert addresses when they match the last advert.'),
  onOff('vrrp_strict', 'Enforce the VRRP RFC strictly (no unicast, no auth, ...).'),
  onOff('vrrp_owner_ignore_adverts', 'An address owner (priority 255) ignores adverts from others.', { since: '2.3.3' }),
  flag('v3_checksum_as_v2', 'Compute VRRPv3 IPv4 checksums without the pseudo header, as some peers do.', {
    since: '2.2.8',
  }),
  flag('log_unknown_vrids', 'Log adverts for VRIDs no instance is configured with.'),
  flag('no_email_faults', 'Do not send emails on transitions to FAULT.'),
  onOff('smtp_alert_vrrp', 'Send email alerts for VRRP state changes by default.'),
  kw('dynamic_interfaces', [opt(oneOf('mode', ['allow_if_changes']))], 'Allow interfaces that do not exist yet or come and go.'),
  kw('default_interface', [arg('interface', 'interface')], 'Interface used by instances that name none.'),
  flag('disable_local_igmp', 'Stop the kernel sending IGMP reports for link-local groups.'),
  kw('vmac_prefix', [arg('prefix', 'word')], 'Prefix of VMAC interface names keepalived creates.'),
  kw('vmac_addr_prefix', [arg('prefix', 'word')], 'Prefix of use_vmac_addr interface names.'),
];

const firewall: KeywordSpec[] = [
  kw('vrrp_iptables', [opt(arg('in_chain', 'word')), opt(arg('out_chain', 'word'))], 'Add firewall rules to these iptables chains (nftables when built without iptables).'),
  kw('vrrp_ipsets', [arg('set', 'word', { optional: true, rest: true })], 'Names of the ipsets used for the firewall rules (none disables them).'),
  kw('nftables', [opt(arg('table', 'word'))], 'Use nftables with this table for VRRP firewall rules.', { default: 'keepalived' }),
  kw('nftables_priority', [int('priority', INT32_MIN, 2147483647)], 'Priority of the VRRP nftables chains.'),
  flag('nftables_ifindex', 'Match interfaces by index rather than by name in nftables rules.'),
];

const runtime: KeywordSpec[] = [
  kw('vrrp_notify_fifo', fifoArgs, 'FIFO that receives VRRP state changes.'),
  scriptKw('vrrp_notify_fifo_script', 'Script keepalived starts to read vrrp_notify_fifo.'),
  onOff('vrrp_notify_priority_changes', 'Also report priority changes on the notify FIFOs.'),
  flag('fifo_write_vrrp_states_on_reload', 'Write every instance state to the FIFOs after a reload.', { since: '2.2.5' }),
  kw('vrrp_netlink_cmd_rcv_bufs', [int('bytes', 0, UINT_MAX)], 'Receive buffer of the VRRP netlink command socket.'),
  onOff('vrrp_netlink_cmd_rcv_bufs_force', 'Force that size even above the system maximum.'),
  kw('vrrp_netlink_monitor_rcv_bufs', [int('bytes', 0, UINT_MAX)], 'Receive buffer of the VRRP netlink monitor socket.'),
  onOff('vrrp_netlink_monitor_rcv_bufs_force', 'Force that size even above the system maximum.'),
  kw('process_monitor_rcv_bufs', [int('bytes', 0, UINT_MAX)], 'Receive buffer of the process-event socket (track_process).'),
  onOff('process_monitor_rcv_bufs_force', 'Force that size even above the system maximum.'),
  kw('vrrp_rx_bufs_policy', [], 'How the advert socket receive buffer is sized: MTU, ADVERT or a byte count.', {
    forms: [[oneOf('policy', ['MTU', 'ADVERT'], { ci: true, rest: true })], [int('bytes', 0, UINT_MAX)]],
  }),
  kw('vrrp_rx_bufs_multiplier', [int('multiplier', 1, UINT_MAX)], 'Multiplier applied to the rx buffer policy size.'),
  kw('vrrp_startup_delay', [float('seconds', 0.001, MAX_TIMER_SECS)], 'Wait this long after start before VRRP begins.'),
  kw('vrrp_delay_after_boot', [float('seconds', 0.001, MAX_TIMER_SECS)], 'Hold VRRP back until the system has been up this long.', {
    since: '2.4.0',
  }),
  kw('iproute_usr_dir', [arg('dir', 'path')], 'Directory of the iproute2 name tables shipped with the OS.', { since: '2.3.2' }),
  kw('iproute_etc_dir', [arg('dir', 'path')], 'Directory of the local iproute2 name tables.', { since: '2.3.2' }),
];

/** global_defs keywords that only concern VRRP. */
export const globalVrrpKeywords: KeywordSpec[] = [...garp, ...protocol, ...firewall, ...runtime, ...processKeywords('vrrp')];
