// bfd_instance: a BFD session VRRP instances and checkers can track. Facts follow bfd_parser.c.
import { arg, float, int, oneOf, opt } from '../schema.js';
import type { BlockSpec, KeywordSpec } from '../schema.js';
import { flag, keywordBlock, kw, onOff } from './vrrp-helpers.js';

/** keepalived keeps BFD intervals in microseconds in a uint32, so milliseconds top out here. */
const MAX_MS = 4294967;

const bfdKeywords: KeywordSpec[] = [
  kw('source_ip', [arg('address', 'ipaddr')], 'Local address of the session.'),
  kw('neighbor_ip', [arg('address', 'ipaddr')], 'Address of the BFD peer.', { aliases: ['neighbour_ip'] }),
  kw('min_rx', [float('ms', 1, MAX_MS)], 'Minimum receive interval we ask the peer for, in milliseconds.', { default: 10 }),
  kw('min_tx', [float('ms', 1, MAX_MS)], 'Minimum transmit interval, in milliseconds.', { default: 10 }),
  kw('idle_tx', [float('ms', 1000, MAX_MS)], 'Transmit interval while the session is down, in milliseconds.', { default: 1000 }),
  kw('multiplier', [int('count', 1, 255)], 'Missed packets before the session is declared down.', { default: 5 }),
  flag('passive', 'Wait for the peer to start the session.'),
  kw('ttl', [int('ttl', 1, 255)], 'TTL (IPv4) or hop limit (IPv6) of outgoing packets.', { aliases: ['hoplimit'], default: 255 }),
  kw('max_hops', [int('hops', -1, 255)], 'Largest hop count accepted on incoming packets (-1: no check).'),
  onOff('multihop', 'Use multihop BFD (RFC 5883, port 4784).', { since: '2.2.8' }),
  kw('weight', [int('weight', -253, 253), opt(oneOf('reverse', ['reverse']))], 'Default weight when tracked by a VRRP instance.', {
    default: 0,
  }),
  flag('vrrp', 'Send session events to the VRRP process.'),
  flag('checker', 'Send session events to the checker process.'),
];

export const rootKeywords: KeywordSpec[] = [
  kw('bfd_instance', [arg('name', 'name', { defines: 'bfd_instance' })], 'A BFD session to a neighbour.', {
    block: 'bfd_instance',
    multiple: true,
  }),
];

export const blocks: BlockSpec[] = [keywordBlock('bfd_instance', bfdKeywords, 'A BFD session.')];
