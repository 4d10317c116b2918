// Tracked objects (vrrp_script, track_file, vrrp_track_process), the groups that bind instances
// together (vrrp_sync_group, track_group, garp_group) and the static address/route/rule lists.
import { arg, float, int, oneOf, opt } from '../schema.js';
import type { BlockSpec, KeywordSpec } from '../schema.js';
import { addressItem, routeItem, ruleItem } from './vrrp-items.js';
import { flag, keywordBlock, kw, listBlock, listKw, onOff, scriptKw, trackItem } from './vrrp-helpers.js';

const INT_MAX = 2147483647;
const reverse = opt(oneOf('reverse', ['reverse']));

/** The track_* list keywords an instance or a sync group accepts, with their list blocks. */
export function trackingLists(owner: 'vrrp_instance' | 'vrrp_sync_group'): { keywords: KeywordSpec[]; blocks: BlockSpec[] } {
  const id = (w: string) => `${owner}.${w}`;
  return {
    keywords: [
      listKw('track_interface', id('track_interface'), 'Interfaces whose link state affects this one.'),
      listKw('track_script', id('track_script'), 'vrrp_scripts whose result affects this one.'),
      listKw('track_file', id('track_file'), 'track_files whose value affects this one.'),
      listKw('track_process', id('track_process'), 'vrrp_track_processes whose state affects this one.'),
      listKw('track_bfd', id('track_bfd'), 'bfd_instances whose session state affects this one.'),
    ],
    blocks: [
      listBlock(id('track_interface'), { args: [arg('interface', 'interface')], options: { weight: [int('weight', -254, 254)], reverse: [] } }, 'Tracked interfaces: IFNAME [weight N [reverse]].'),
      listBlock(id('track_script'), trackItem('vrrp_script', -254, 254), 'Tracked scripts: NAME [weight N [reverse|noreverse]].'),
      listBlock(id('track_file'), trackItem('vrrp_track_file', -254, 254), 'Tracked files: NAME [weight N [reverse|noreverse]].'),
      listBlock(id('track_process'), trackItem('vrrp_track_process', -254, 254), 'Tracked processes: NAME [weight N [reverse|noreverse]].'),
      listBlock(id('track_bfd'), trackItem('bfd_instance', -253, 253), 'Tracked BFD sessions: NAME [weight N [reverse|noreverse]].'),
    ],
  };
}

/** Scripts run on state changes; instances add a few of their own (vrrp-instance.ts). */
export const notifyKeywords: KeywordSpec[] = [
  scriptKw('notify_master', 'Run on becoming MASTER.'),
  scriptKw('notify_backup', 'Run on becoming BACKUP.'),
  scriptKw('notify_fault', 'Run on entering FAULT.'),
  scriptKw('notify_stop', 'Run when VRRP stops.'),
  scriptKw('notify', 'Run on every change, with type, name, state and priority appended.'),
];

const scriptKeywords: KeywordSpec[] = [
  scriptKw('script', 'The check command; exit code 0 means success.'),
  kw('interval', [float('seconds', 0, 4294)], 'Seconds between runs (0 is read as 1).', { default: 1 }),
  kw('timeout', [float('seconds', 0, 4294)], 'Seconds before a run counts as failed.'),
  kw('weight', [int('weight', -253, 253), reverse], 'Priority change while the script fails (negative) or succeeds (positive).', {
    default: 0,
  }),
  kw('rise', [int('count', 1, INT_MAX)], 'Successes needed to count as up.', { default: 1 }),
  kw('fall', [int('count', 1, INT_MAX)], 'Failures needed to count as down.', { default: 1 }),
  kw('user', [arg('user', 'name'), opt(arg('group', 'name'))], 'User (and group) to run the script as.'),
  flag('init_fail', 'Start in the failed state until the script first succeeds.'),
];

const trackFileKeywords: KeywordSpec[] = [
  kw('file', [arg('file', 'path')], 'File holding the number to track.'),
  kw('weight', [int('weight', -254, 254), reverse], 'Multiplier applied to the number in the file.', { default: 1 }),
  kw('init_file', [opt(int('value', -2147483648, INT_MAX)), opt(oneOf('overwrite', ['overwrite']))], 'Create the file with this value at start (overwrite: even if it exists).'),
];

const delay = (name: string, doc: string) => kw(name, [float('seconds', 0.000001, 3600)], doc);
const trackProcessKeywords: KeywordSpec[] = [
  kw('process', [arg('process', 'word'), arg('parameters', 'word', { optional: true, rest: true })], 'Process name or path, optionally with its parameters.'),
  kw('param_match', [opt(oneOf('match', ['initial', 'partial']))], 'How the parameters must match: exactly, initial ones, or partially.'),
  kw('weight', [int('weight', -254, 254), reverse], 'Priority change while the process is not running.'),
  kw('quorum', [int('count', 1, 65535)], 'Minimum number of processes that must run.', { default: 1 }),
  kw('quorum_max', [int('count', 0, 65535)], 'Maximum number of processes that may run.'),
  delay('delay', 'Wait this long before acting on a process starting or stopping.'),
  delay('terminate_delay', 'Wait this long before acting on a process stopping.'),
  delay('fork_delay', 'Wait this long before acting on a process starting.'),
  flag('full_command', 'Match against the full command line rather than the process name.'),
];

const syncTracking = trackingLists('vrrp_sync_group');
const syncGroupKeywords: KeywordSpec[] = [
  listKw('group', 'vrrp_sync_group.group', 'The vrrp_instances that change state together.', { multiple: false }),
  ...syncTracking.keywords,
  ...notifyKeywords,
  onOff('smtp_alert', 'Send email alerts for this group.'),
  flag('global_tracking', 'Old way to make members share tracking weights.', {
    deprecated: 'put track_interface/track_script/track_file on the sync group instead',
    replacement: 'sync_group_tracking_weight',
  }),
  flag('sync_group_tracking_weight', 'Let members use tracking weights (members then share priority changes).'),
  onOff('notify_priority_changes', 'Also run notify on priority changes.'),
];

const garpGroupKeywords: KeywordSpec[] = [
  kw('garp_interval', [float('seconds', 0, 4294.967295)], 'Minimum gap between gratuitous ARPs on these interfaces.'),
  kw('gna_interval', [float('seconds', 0, 4294.967295)], 'Minimum gap between unsolicited NAs on these interfaces.'),
  kw('interface', [arg('interface', 'interface')], 'One interface the intervals apply to.'),
  listKw('interfaces', 'garp_group.interfaces', 'Interfaces the intervals apply to, one per line.'),
];

export const trackingRootKeywords: KeywordSpec[] = [
  kw('vrrp_script', [arg('name', 'name', { defines: 'vrrp_script' })], 'A script run periodically whose result instances can track.', {
    block: 'vrrp_script',
    multiple: true,
  }),
  kw('track_file', [arg('name', 'name', { defines: 'vrrp_track_file' })], 'A file holding a number that instances can track.', {
    block: 'track_file',
    multiple: true,
  }),
  kw('vrrp_track_file', [arg('name', 'name', { defines: 'vrrp_track_file' })], 'Old name of track_file.', {
    block: 'track_file',
    multiple: true,
    deprecated: 'renamed; use track_file',
    replacement: 'track_file',
  }),
  kw('vrrp_track_process', [arg('name', 'name', { defines: 'vrrp_track_process' })], 'A process whose presence instances can track.', {
    block: 'vrrp_track_process',
    multiple: true,
  }),
  kw('vrrp_sync_group', [arg('name', 'name', { defines: 'vrrp_sync_group' })], 'Instances that always share one state.', {
    block: 'vrrp_sync_group',
    multiple: true,
  }),
  kw('track_group', [arg('name', 'name')], 'A named set of instances that static addresses, routes and rules can follow.', {
    block: 'track_group',
    multiple: true,
  }),
  kw('garp_group', [], 'Rate limits for gratuitous ARP/NA on a set of interfaces.', { block: 'garp_group', multiple: true }),
  listKw('static_ipaddress', 'static_ipaddress', 'Addresses keepalived adds at start and keeps, whatever the VRRP state.'),
  listKw('static_routes', 'static_routes', 'Routes keepalived adds at start and keeps.'),
  listKw('static_rules', 'static_rules', 'Policy routing rules keepalived adds at start and keeps.'),
  listKw('linkbeat_interfaces', 'linkbeat_interfaces', 'Interfaces whose link state is polled (MII, ETHTOOL or IOCTL).'),
  listKw('interface_up_down_delays', 'interface_up_down_delays', 'Debounce delays for interface link changes.', { since: '2.2.3' }),
];

export const trackingBlocks: BlockSpec[] = [
  keywordBlock('vrrp_script', scriptKeywords, 'A tracked check script.'),
  keywordBlock('track_file', trackFileKeywords, 'A tracked file (also opened by vrrp_track_file).'),
  keywordBlock('vrrp_track_process', trackProcessKeywords, 'A tracked process.'),
  keywordBlock('vrrp_sync_group', syncGroupKeywords, 'A VRRP sync group.'),
  listBlock('vrrp_sync_group.group', { args: [arg('instance', 'name', { ref: 'vrrp_instance' })] }, 'Member instances, one per line.'),
  ...syncTracking.blocks,
  keywordBlock('track_group', [listKw('group', 'track_group.group', 'Member instances.', { multiple: false })], 'A track group.'),
  listBlock('track_group.group', { args: [arg('instance', 'name', { ref: 'vrrp_instance' })] }, 'Member instances, one per line.'),
  keywordBlock('garp_group', garpGroupKeywords, 'A gratuitous ARP/NA rate group.'),
  listBlock('garp_group.interfaces', { args: [arg('interface', 'interface')] }, 'Interfaces, one per line.'),
  listBlock('static_ipaddress', addressItem(true), 'Static addresses: ADDR[/LEN] [dev IF] [scope S] ...'),
  listBlock('static_routes', routeItem(true), 'Static routes: [TYPE] DEST [via GW] [dev IF] ...'),
  listBlock('static_rules', ruleItem(true), 'Static rules: [from P] [to P] [table T] ...'),
  listBlock('linkbeat_interfaces', { args: [arg('interface', 'interface'), opt(oneOf('method', ['MII', 'ETHTOOL', 'IOCTL']))] }, 'Polled interfaces: IFNAME [MII|ETHTOOL|IOCTL].'),
  listBlock(
    'interface_up_down_delays',
    { args: [arg('interface', 'interface'), float('down_delay', 0, 255), opt(float('up_delay', 0, 255))] },
    'Link debounce: IFNAME DOWN_SECS [UP_SECS].',
  ),
];
