// vrrp_instance and its sub-blocks. Facts follow keepalived's vrrp_parser.c handlers, 2.2.0 - 2.4.3.
import { arg, float, int, oneOf, opt } from '../schema.js';
import type { BlockSpec, KeywordSpec } from '../schema.js';
import { extraIfForms } from './global-vrrp.js';
import { addressItem, routeItem, ruleItem } from './vrrp-items.js';
import { notifyKeywords, trackingLists } from './vrrp-tracking.js';
import { flag, keywordBlock, kw, listBlock, listKw, onOff, scriptKw } from './vrrp-helpers.js';

const UINT_MAX = 4294967295;
const INT_MAX = 2147483647;
const tracking = trackingLists('vrrp_instance');

const identity: KeywordSpec[] = [
  kw('state', [oneOf('state', ['MASTER', 'BACKUP'])], 'Initial state; the elected state wins once adverts flow.', { default: 'BACKUP' }),
  kw('interface', [arg('interface', 'interface')], 'Interface the instance runs on.'),
  kw('vrf', [arg('vrf', 'interface')], 'VRF device to run in, instead of an interface.', { since: '2.2.5' }),
  kw('virtual_router_id', [int('vrid', 1, 255)], 'VRID shared by all routers of this virtual router.'),
  kw('priority', [int('priority', 1, 255)], 'Election priority; 255 means address owner.', { default: 100 }),
  kw('advert_int', [float('seconds', 0.01, 255)], 'Interval between adverts.', { default: 1 }),
  kw('version', [int('version', 2, 3)], 'VRRP protocol version of this instance.'),
  flag('native_ipv6', 'Force IPv6 (and VRRPv3) even before any address is seen.'),
  kw('debug', [int('level', 0, 4)], 'Debug level of the instance.'),
];

const addressing: KeywordSpec[] = [
  listKw('virtual_ipaddress', 'vrrp_instance.virtual_ipaddress', 'Addresses the master holds and sends in adverts.'),
  listKw('virtual_ipaddress_excluded', 'vrrp_instance.virtual_ipaddress_excluded', 'Addresses the master holds but leaves out of adverts.'),
  flag('no_virtual_ipaddress', 'Allow an instance with no virtual addresses without complaint.', { since: '2.2.8' }),
  listKw('virtual_routes', 'vrrp_instance.virtual_routes', 'Routes added while master.'),
  listKw('virtual_rules', 'vrrp_instance.virtual_rules', 'Policy rules added while master.'),
  flag('promote_secondaries', 'Set promote_secondaries on the interface so removing one address keeps the others.'),
  kw('mcast_src_ip', [arg('address', 'ipaddr')], 'Source address of adverts.'),
  kw('unicast_src_ip', [arg('address', 'ipaddr')], 'Source address of unicast adverts.'),
  kw('mcast_dst_ip', [arg('group', 'ipaddr')], 'Multicast group of this instance instead of the global one.', { since: '2.2.5' }),
  listKw('unicast_peer', 'vrrp_instance.unicast_peer', 'Send adverts by unicast to these peers instead of multicast.'),
  flag('unicast_fault_no_peer', 'Enter FAULT when unicast is configured but no peer is listed.', { since: '2.2.5' }),
  flag('check_unicast_src', 'Drop unicast adverts from addresses that are not peers.'),
  kw('unicast_ttl', [int('ttl', 0, 255)], 'TTL of unicast adverts.'),
  flag('track_src_ip', 'Go to FAULT when the source address disappears.'),
  kw('old_unicast_checksum', [opt(oneOf('mode', ['never']))], 'Compute unicast checksums as keepalived before 1.3.6 did.'),
  onOff('v3_checksum_as_v2', 'Compute VRRPv3 IPv4 checksums without the pseudo header.', { since: '2.2.8' }),
];

const vmac: KeywordSpec[] = [
  kw('use_vmac', [opt(arg('ifname', 'word'))], 'Use a macvlan interface with the VRRP virtual MAC.', {
    options: { name: [arg('ifname', 'word')], group: [arg('group', 'word')], netlink_notify_msg: [] },
  }),
  flag('use_vmac_addr', 'Give the VMAC interface the virtual addresses only.'),
  flag('vmac_xmit_base', 'Send adverts from the parent interface rather than the VMAC.'),
  kw('use_ipvlan', [opt(arg('ifname', 'word')), opt(arg('address', 'ipprefix'))], 'Use an ipvlan interface for the virtual addresses.', {
    options: { bridge: [], private: [], vepa: [], name: [arg('ifname', 'word')], group: [arg('group', 'word')] },
  }),
];

const election: KeywordSpec[] = [
  flag('nopreempt', 'Do not take over from a lower priority master.'),
  flag('preempt', 'Take over from a lower priority master (the default).'),
  kw('preempt_delay', [float('seconds', 0, 1000)], 'After start-up, wait this long before preempting.'),
  flag('accept', 'Accept packets to the virtual addresses when not the address owner.'),
  flag('no_accept', 'Drop packets to the virtual addresses when not the address owner.'),
  onOff('skip_check_adv_addr', 'Skip checking advert addresses when they match the last advert.'),
  onOff('strict_mode', 'Enforce the VRRP RFC strictly for this instance.'),
  flag('dont_track_primary', 'Ignore faults of the instance interface.'),
  onOff('lower_prio_no_advert', 'Do not answer adverts of a lower priority master.'),
  onOff('higher_prio_send_advert', 'Send an advert when a higher priority advert is seen while master.'),
  onOff('owner_ignore_adverts', 'As address owner, ignore adverts from others.', { since: '2.3.3' }),
  kw('down_timer_adverts', [int('adverts', 1, 100)], 'Adverts a backup may miss before it declares the master down.', {
    since: '2.2.3',
    default: 3,
  }),
  kw('timer_expired_backup', [opt(int('priority', 1, 254))], 'When the master-down timer fires late, assume a master of this priority.', {
    since: '2.2.8',
  }),
  kw('thread_timer_expired', [opt(int('priority', 1, 254))], 'Old name of timer_expired_backup.', {
    since: '2.3.2',
    deprecated: 'renamed; use timer_expired_backup',
    replacement: 'timer_expired_backup',
  }),
  kw('kernel_rx_buf_size', [int('bytes', 0, UINT_MAX)], 'Receive buffer size of the advert socket.'),
  flag('linkbeat_use_polling', 'Poll link state of the interface.', {
    deprecated: 'use the root linkbeat_interfaces block',
    replacement: 'linkbeat_interfaces',
  }),
  kw('lvs_sync_daemon_interface', [arg('interface', 'interface')], 'Run the IPVS sync daemon on this interface.', {
    deprecated: 'use lvs_sync_daemon in global_defs',
    replacement: 'lvs_sync_daemon',
  }),
];

const garp: KeywordSpec[] = [
  kw('garp_master_delay', [int('seconds', 0, 4294)], 'Delay before the second burst of gratuitous ARPs.', { default: 5 }),
  kw('garp_master_repeat', [int('count', 0, UINT_MAX)], 'Gratuitous ARPs in each burst (0 is read as 1).', { default: 5 }),
  kw('garp_master_refresh', [int('seconds', 0, UINT_MAX)], 'Interval of periodic gratuitous ARPs while master (0 = never).', { default: 0 }),
  kw('garp_master_refresh_repeat', [int('count', 0, UINT_MAX)], 'Gratuitous ARPs at each refresh (0 is read as 1).', { default: 1 }),
  kw('garp_lower_prio_delay', [int('seconds', 0, 4294)], 'Delay of gratuitous ARPs after a lower priority advert.'),
  kw('garp_lower_prio_repeat', [int('count', 0, INT_MAX)], 'Gratuitous ARPs after a lower priority advert.'),
  kw('garp_extra_if', [], 'Also send periodic gratuitous ARPs on the VMAC parent (or all interfaces).', {
    forms: extraIfForms(0),
    since: '2.2.3',
  }),
  kw('vmac_garp_intvl', [], 'Old name of garp_extra_if.', {
    forms: extraIfForms(0),
    deprecated: 'misnamed; use garp_extra_if',
    replacement: 'garp_extra_if',
  }),
];

const notify: KeywordSpec[] = [
  ...notifyKeywords,
  kw('notify_deleted', [arg('script', 'script', { optional: true, rest: true })], 'Report a deleted state (and run this script) when the instance is removed.'),
  scriptKw('notify_master_rx_lower_pri', 'Run when the master receives an advert with a lower priority.'),
  onOff('smtp_alert', 'Send email alerts for this instance.'),
  onOff('notify_priority_changes', 'Also run notify on priority changes.'),
];

const auth: KeywordSpec[] = [
  kw('authentication', [], 'Legacy VRRPv2 authentication (RFC 3768 removed it).', { block: 'vrrp_instance.authentication' }),
  kw('auth_hmac', [], 'HMAC-SHA256 authentication of adverts.', { block: 'vrrp_instance.auth_hmac', since: '2.4.0' }),
];

const authKeywords: KeywordSpec[] = [
  kw('auth_type', [oneOf('type', ['AH', 'PASS'])], 'IPSEC AH or a simple password.'),
  kw('auth_pass', [arg('password', 'word')], 'Password (only the first 8 characters are used).'),
];

const since = '2.4.0';
const hmacKeywords: KeywordSpec[] = [
  kw('key', [int('id', 1, 255), arg('key', 'word')], 'A key by id: ASCII, hex:DIGITS or file:PATH (32-64 bytes).', { multiple: true, since }),
  kw('active_key', [int('id', 1, 255)], 'Id of the key used to sign outgoing adverts.', { since }),
  kw('time_window', [int('seconds', 1, 300)], 'Accepted clock skew for replay protection.', { since }),
  kw('anti_replay', [oneOf('method', ['time', 'monotonic'])], 'Replay protection based on time or a monotonic counter.', { since }),
  kw('mode', [oneOf('mode', ['enforce', 'permissive', 'receive-only'])], 'Whether bad or missing HMACs are dropped, logged or only checked.', {
    since,
    default: 'enforce',
  }),
];

export const instanceRootKeywords: KeywordSpec[] = [
  kw('vrrp_instance', [arg('name', 'name', { defines: 'vrrp_instance' })], 'A VRRP instance: one virtual router on one interface.', {
    block: 'vrrp_instance',
    multiple: true,
  }),
];

export const instanceBlocks: BlockSpec[] = [
  keywordBlock(
    'vrrp_instance',
    [...identity, ...addressing, ...vmac, ...tracking.keywords, ...election, ...garp, ...notify, ...auth],
    'A VRRP instance.',
  ),
  listBlock('vrrp_instance.virtual_ipaddress', addressItem(false), 'Virtual addresses: ADDR[/LEN] [dev IF] [label L] ...'),
  listBlock('vrrp_instance.virtual_ipaddress_excluded', addressItem(false), 'Virtual addresses left out of adverts.'),
  listBlock('vrrp_instance.virtual_routes', routeItem(false), 'Virtual routes: [TYPE] DEST [via GW] [dev IF] ...'),
  listBlock('vrrp_instance.virtual_rules', ruleItem(false), 'Virtual rules: [from P] [to P] [table T] ...'),
  listBlock(
    'vrrp_instance.unicast_peer',
    { args: [arg('address', 'ipaddr')], options: { min_ttl: [int('ttl', 0, 255)], max_ttl: [int('ttl', 0, 255)] } },
    'Unicast peers: ADDR [min_ttl N] [max_ttl N].',
  ),
  ...tracking.blocks,
  keywordBlock('vrrp_instance.authentication', authKeywords, 'VRRPv2 authentication.'),
  keywordBlock('vrrp_instance.auth_hmac', hmacKeywords, 'HMAC authentication keys and policy.'),
];
