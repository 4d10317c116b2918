// Health checker blocks that live inside `real_server` (keepalived check_*.c install_*_keyword).
// The real_server block itself is in lvs.ts; it spreads `checkerKeywords` from here.
import { arg, int, oneOf, opt, type BlockSpec, type KeywordSpec } from '../schema.js';
import {
  checkerGeneralKeywords,
  checkerStandardKeywords,
  INT32_MAX,
  optBool,
  scriptArg,
  UINT_MAX,
} from './checkers-common.js';
import { httpBlocks, httpCheckerKeywords } from './checkers-http.js';

export { REGEX_OPTIONS } from './checkers-http.js';

/** DNS query types DNS_CHECK accepts (compared case-insensitively). */
export const DNS_CHECK_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY'] as const;

const checker = (name: string, doc: string): KeywordSpec => ({ name, args: [], block: name, multiple: true, doc });

/** The checker keywords a real_server block accepts, each opening its own block. */
export const checkerKeywords: readonly KeywordSpec[] = [
  ...httpCheckerKeywords,
  checker('TCP_CHECK', 'Health check by opening a TCP connection.'),
  checker('SMTP_CHECK', 'Health check by an SMTP HELO exchange.'),
  checker('DNS_CHECK', 'Health check by a DNS query over UDP.'),
  checker('MISC_CHECK', 'Health check by running a script; exit status 0 means up.'),
  checker('PING_CHECK', 'Health check by ICMP echo.'),
  checker('UDP_CHECK', 'Health check by sending a UDP datagram and watching for errors or a reply.'),
  checker('FILE_CHECK', 'Server state and weight follow a value read from a tracked file.'),
  checker('BFD_CHECK', 'Server state follows a BFD session.'),
];

const smtpKeywords: readonly KeywordSpec[] = [
  {
    name: 'helo_name',
    args: [arg('name', 'word')],
    default: 'smtpchecker.keepalived.org',
    doc: 'Name sent in the SMTP HELO command.',
  },
  ...checkerStandardKeywords,
  {
    name: 'host',
    args: [],
    block: 'SMTP_CHECK.host',
    multiple: true,
    // keepalived only logs this at run time (keepalived -t accepts it), so no `deprecated` here.
    doc: 'Extra host checked with the same settings; discouraged upstream, prefer one SMTP_CHECK per host.',
  },
];

const dnsKeywords: readonly KeywordSpec[] = [
  ...checkerStandardKeywords,
  {
    name: 'type',
    args: [oneOf('query-type', DNS_CHECK_TYPES, { ci: true })],
    default: 'SOA',
    doc: 'Record type queried.',
  },
  {
    name: 'name',
    args: [arg('domain', 'word')],
    default: '.',
    doc: 'Domain name queried; must not contain an empty label.',
  },
];

const miscKeywords: readonly KeywordSpec[] = [
  ...checkerGeneralKeywords,
  {
    name: 'misc_path',
    args: [scriptArg()],
    doc: 'Script run for each check (required); quote it to pass arguments.',
  },
  {
    name: 'misc_timeout',
    args: [int('seconds', 0, Math.floor(UINT_MAX / 1_000_000))],
    doc: 'Seconds after which a still running script is killed and the check fails.',
  },
  {
    name: 'misc_dynamic',
    args: [],
    doc: 'Use the exit status to set the weight: 0 up, 1 down, 2-255 up with weight status-2.',
  },
  {
    name: 'user',
    args: [arg('user', 'name'), opt(arg('group', 'name'))],
    doc: 'User (and group) the script runs as.',
  },
];

const udpKeywords: readonly KeywordSpec[] = [
  ...checkerStandardKeywords,
  {
    name: 'payload',
    args: [arg('hex', 'hex', { rest: true })],
    doc: 'Data sent, as hex digits (spaces allowed); random data when absent.',
  },
  {
    name: 'require_reply',
    args: [opt(arg('hex', 'hex', { rest: true }))],
    doc: 'A reply is needed for success; if hex is given (x = any nibble) the reply must match it.',
  },
  {
    name: 'min_reply_length',
    args: [int('bytes', 0, 65535)],
    default: 0,
    doc: 'Shortest acceptable reply with require_reply.',
  },
  {
    name: 'max_reply_length',
    args: [int('bytes', 0, 65535)],
    default: 255,
    doc: 'Longest acceptable reply with require_reply.',
  },
];

const fileKeywords: readonly KeywordSpec[] = [
  {
    name: 'track_file',
    args: [arg('name', 'name', { ref: 'vrrp_track_file' })],
    doc: 'Name of the track_file block whose value is followed (required).',
  },
  {
    name: 'weight',
    args: [int('weight', -INT32_MAX, INT32_MAX), opt(oneOf('direction', ['reverse', 'noreverse']))],
    doc: 'Multiplier for the file value; reverse inverts it. Defaults to the track_file weight.',
  },
];

const bfdKeywords: readonly KeywordSpec[] = [
  {
    name: 'name',
    args: [arg('bfd', 'name', { ref: 'bfd_instance' })],
    doc: 'BFD instance followed by this checker (required).',
  },
  {
    name: 'alpha',
    args: [optBool()],
    doc: 'Start with the server considered down until the BFD session is up.',
  },
];

export const rootKeywords: KeywordSpec[] = [];

export const blocks: BlockSpec[] = [
  ...httpBlocks,
  {
    id: 'TCP_CHECK',
    kind: 'keywords',
    keywords: checkerStandardKeywords,
    doc: 'TCP connect checker: only the standard checker options.',
  },
  {
    id: 'SMTP_CHECK',
    kind: 'keywords',
    keywords: smtpKeywords,
    doc: 'SMTP checker: connects and expects a successful HELO.',
  },
  {
    id: 'SMTP_CHECK.host',
    kind: 'keywords',
    keywords: checkerStandardKeywords,
    doc: 'One more host for an SMTP_CHECK, with its own connection options.',
  },
  {
    id: 'DNS_CHECK',
    kind: 'keywords',
    keywords: dnsKeywords,
    doc: 'DNS checker: query succeeds with an answer. Its retry defaults to 3.',
  },
  {
    id: 'MISC_CHECK',
    kind: 'keywords',
    keywords: miscKeywords,
    doc: 'Script checker; no connection options. Its retry defaults to 0.',
  },
  {
    id: 'PING_CHECK',
    kind: 'keywords',
    keywords: checkerStandardKeywords,
    doc: 'ICMP echo checker: only the standard checker options.',
  },
  {
    id: 'UDP_CHECK',
    kind: 'keywords',
    keywords: udpKeywords,
    doc: 'UDP checker: fails on ICMP errors or, with require_reply, on a missing/wrong reply.',
  },
  {
    id: 'FILE_CHECK',
    kind: 'keywords',
    keywords: fileKeywords,
    doc: 'Tracked file checker; none of the standard checker options.',
  },
  {
    id: 'BFD_CHECK',
    kind: 'keywords',
    keywords: bfdKeywords,
    doc: 'BFD checker; none of the standard checker options.',
  },
];
