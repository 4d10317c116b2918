// Root-level daemon keywords and the global_defs block (split over global-defs.ts and global-vrrp.ts).
import { arg, int, opt } from '../schema.js';
import type { BlockSpec, KeywordSpec } from '../schema.js';
import { globalGeneralKeywords } from './global-defs.js';
import { globalVrrpKeywords } from './global-vrrp.js';
import { flag, keywordBlock, kw, listBlock } from './vrrp-helpers.js';

export const rootKeywords: KeywordSpec[] = [
  kw('global_defs', [], 'Settings that apply to the whole daemon.', { block: 'global_defs' }),
  kw('net_namespace', [arg('name', 'name', { defines: 'net_namespace' })], 'Run keepalived inside this network namespace.'),
  kw(
    'net_namespace_ipvs',
    [opt(arg('name', 'name', { ref: 'net_namespace' }))],
    'Network namespace for IPVS (no name: the default namespace).',
  ),
  flag('namespace_with_ipsets', 'Allow ipsets to be used together with net_namespace.'),
  flag('use_pid_dir', 'Put pid files in a per-instance directory under /run/keepalived.'),
  kw('instance', [arg('name', 'word')], 'Instance name, so several keepalived daemons can run side by side.'),
  kw('child_wait_time', [int('seconds', 0, 4294967295)], 'How long the parent waits for children to exit on shutdown.'),
  flag('linkbeat_use_polling', 'Poll link state (MII/ethtool) instead of relying on netlink for every interface.'),
];

export const blocks: BlockSpec[] = [
  keywordBlock('global_defs', [...globalGeneralKeywords, ...globalVrrpKeywords], 'Daemon-wide settings.'),
  listBlock('global_defs.notification_email', { args: [arg('address', 'email')] }, 'Alert email recipients, one per line.'),
];
