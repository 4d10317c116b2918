// LVS (IPVS) part of keepalived.conf: virtual_server_group, virtual_server and real_server.
// Facts from keepalived's check_parser.c / check_data.c; the checker blocks are in checkers.ts.
import { arg, int, oneOf, opt, type ArgSpec, type BlockSpec, type KeywordSpec } from '../schema.js';
import {
  CONNECT_TIMEOUT_MAX_S,
  forwardingMethod,
  INT32_MAX,
  notifyScriptArgs,
  optBool,
  serverPort,
  timer,
  TIMER_MIN_S,
  UINT_MAX,
} from './checkers-common.js';
import { checkerKeywords } from './checkers.js';

/** IPVS schedulers keepalived accepts by name ('twos' since 2.2.5). */
export const LVS_SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'sh',
  'mh',
  'dh',
  'fo',
  'ovf',
  'lblcr',
  'sed',
  'nq',
  'twos',
] as const;

/** persistence_timeout upper bound: 31 days in seconds. */
export const LVS_MAX_TIMEOUT = 86400 * 31;

/** A literal word that starts a form, like `fwmark` in `virtual_server fwmark 1`. */
const word = (w: string): ArgSpec => oneOf(w, [w]);

/** Keywords that only set a scheduler flag (ipvsadm -b / -o); they take no value. */
const schedFlag = (name: string, doc: string): KeywordSpec => ({ name, args: [], doc });

/** Timer and retry keywords the virtual and real server share; they are defaults for the checkers. */
const serverCheckDefaults = (retryDoc: string): KeywordSpec[] => [
  {
    name: 'retry',
    args: [int('count', 1, UINT_MAX)],
    doc: retryDoc,
  },
  {
    name: 'delay_before_retry',
    args: [timer('seconds', 0)],
    doc: 'Default pause before a checker retries (checker defaults: 1 s, 3 s for HTTP/SSL).',
  },
  {
    name: 'warmup',
    args: [timer('seconds', 0)],
    doc: 'Default maximum random delay before the first check (defaults to delay_loop); 0 disables.',
  },
  {
    name: 'connect_timeout',
    args: [timer('seconds', TIMER_MIN_S, CONNECT_TIMEOUT_MAX_S)],
    default: 5,
    doc: 'Default connection timeout of the checkers.',
  },
  {
    name: 'delay_loop',
    args: [timer('seconds', TIMER_MIN_S)],
    default: 60,
    doc: 'Default interval between checks.',
  },
];

const realServerKeywords: readonly KeywordSpec[] = [
  {
    name: 'weight',
    args: [int('weight', 0, INT32_MAX)],
    default: 1,
    doc: 'IPVS weight of this server; defaults to the virtual server weight.',
  },
  forwardingMethod('lvs_method', 'Forwarding method for this server; defaults to the virtual server one.'),
  {
    name: 'uthreshold',
    args: [int('connections', 0, UINT_MAX)],
    doc: 'Upper connection threshold: no new connections beyond it (0 = unlimited).',
  },
  {
    name: 'lthreshold',
    args: [int('connections', 0, UINT_MAX)],
    doc: 'Lower connection threshold at which an overloaded server takes connections again.',
  },
  {
    name: 'inhibit_on_failure',
    args: [optBool()],
    doc: 'On failure set the weight to 0 instead of removing the server from IPVS.',
  },
  {
    name: 'notify_up',
    args: notifyScriptArgs,
    doc: 'Script run when the checkers consider the server up; optional user and group follow it.',
  },
  {
    name: 'notify_down',
    args: notifyScriptArgs,
    doc: 'Script run when the checkers consider the server down.',
  },
  {
    name: 'alpha',
    args: [optBool()],
    doc: 'Start this server as down until its checkers succeed.',
  },
  ...serverCheckDefaults('Default number of checker retries for this server.'),
  {
    name: 'smtp_alert',
    args: [optBool()],
    doc: 'Send an email alert when this server changes state.',
  },
  {
    name: 'virtualhost',
    args: [arg('host', 'word')],
    doc: 'Default Host header for this server\'s HTTP_GET/SSL_GET checkers.',
  },
  {
    name: 'snmp_name',
    args: [arg('name', 'word')],
    since: '2.2.3',
    doc: 'Label returned over SNMP to identify this real server.',
  },
  ...checkerKeywords,
];

const virtualServerKeywords: readonly KeywordSpec[] = [
  {
    name: 'ip_family',
    args: [oneOf('family', ['inet', 'inet6'])],
    doc: 'Address family of a fwmark service whose real servers are all tunnelled.',
  },
  ...serverCheckDefaults('Default number of checker retries for the real servers.'),
  {
    name: 'inhibit_on_failure',
    args: [],
    doc: 'Default for real servers: weight 0 on failure instead of removal (takes no value here).',
  },
  {
    name: 'lvs_sched',
    aliases: ['lb_algo'],
    args: [oneOf('scheduler', LVS_SCHEDULERS)],
    default: 'wlc',
    doc: 'IPVS scheduler (ipvsadm -s); twos needs keepalived 2.2.5 or later.',
  },
  schedFlag('hashed', 'Legacy flag kept for old configs; it has no effect (keepalived may warn).'),
  schedFlag('ops', 'One-packet scheduling for UDP services (ipvsadm -o).'),
  schedFlag('flag-1', 'Set scheduler flag 1 (ipvsadm -b flag-1).'),
  schedFlag('flag-2', 'Set scheduler flag 2 (ipvsadm -b flag-2).'),
  schedFlag('flag-3', 'Set scheduler flag 3 (ipvsadm -b flag-3).'),
  schedFlag('sh-port', 'Include the source port in sh hashing; only with lvs_sched sh.'),
  schedFlag('sh-fallback', 'Let sh pick another server when the hashed one is unavailable; only with sh.'),
  schedFlag('mh-port', 'Include the source port in mh hashing; only with lvs_sched mh.'),
  schedFlag('mh-fallback', 'Let mh pick another server when the hashed one is unavailable; only with mh.'),
  forwardingMethod('lvs_method', 'Default forwarding method of the real servers (ipvsadm -m/-g/-i).', {
    aliases: ['lb_kind'],
    default: 'NAT',
  }),
  {
    name: 'persistence_engine',
    args: [arg('engine', 'word')],
    doc: 'IPVS persistence engine name (sip is the only one the kernel has).',
  },
  {
    name: 'persistence_timeout',
    args: [opt(int('seconds', 1, LVS_MAX_TIMEOUT))],
    default: 360,
    doc: 'Make the service persistent for this many seconds (360 when no value is given).',
  },
  {
    name: 'persistence_granularity',
    args: [],
    forms: [[arg('netmask', 'ipv4')], [int('prefix-length', 1, 128)]],
    doc: 'Client netmask (IPv4) or prefix length (IPv6) grouping clients for persistence (ipvsadm -M).',
  },
  {
    name: 'protocol',
    args: [oneOf('protocol', ['TCP', 'UDP', 'SCTP'], { ci: true })],
    doc: 'Layer 4 protocol of the service; keepalived falls back to UDP with a warning when unset.',
  },
  {
    name: 'ha_suspend',
    args: [],
    doc: 'Suspend the checkers while the virtual address is not configured on this host.',
  },
  {
    name: 'smtp_alert',
    args: [optBool()],
    doc: 'Send an email alert when the quorum is gained or lost.',
  },
  {
    name: 'virtualhost',
    args: [arg('host', 'word')],
    doc: 'Default Host header for the HTTP_GET/SSL_GET checkers of all real servers.',
  },
  {
    name: 'snmp_name',
    args: [arg('name', 'word')],
    since: '2.2.3',
    doc: 'Label returned over SNMP to identify this virtual server.',
  },
  {
    name: 'alpha',
    args: [],
    doc: 'Start every real server as down until its checkers succeed.',
  },
  {
    name: 'omega',
    args: [],
    doc: 'Run the quorum and real server down scripts when keepalived shuts down.',
  },
  {
    name: 'quorum_up',
    args: notifyScriptArgs,
    doc: 'Script run when the quorum is gained.',
  },
  {
    name: 'quorum_down',
    args: notifyScriptArgs,
    doc: 'Script run when the quorum is lost.',
  },
  {
    name: 'quorum',
    args: [int('weight', 1, UINT_MAX)],
    default: 1,
    doc: 'Minimum total weight of live real servers for the service to count as up.',
  },
  {
    name: 'hysteresis',
    args: [int('weight', 0, UINT_MAX)],
    default: 0,
    doc: 'Weight margin around the quorum before its state flips (damps flapping).',
  },
  {
    name: 'weight',
    args: [int('weight', 1, INT32_MAX)],
    default: 1,
    doc: 'Default weight of real servers that set none.',
  },
  {
    name: 'sorry_server',
    args: [arg('address', 'ipaddr'), serverPort()],
    doc: 'Server put into IPVS instead of the real servers while the quorum is lost.',
  },
  {
    name: 'sorry_server_inhibit',
    args: [],
    doc: 'Apply inhibit_on_failure to the sorry server (must follow sorry_server).',
  },
  forwardingMethod('sorry_server_lvs_method', 'Forwarding method of the sorry server (must follow sorry_server).'),
  {
    name: 'real_server',
    args: [arg('address', 'ipaddr'), serverPort()],
    block: 'real_server',
    multiple: true,
    doc: 'A backend server of this service; a virtual server without any is ignored.',
  },
];

export const rootKeywords: KeywordSpec[] = [
  {
    name: 'SSL',
    args: [],
    block: 'SSL',
    doc: 'Client TLS material the SSL_GET checkers present (key, certificate, CA, key password).',
  },
  {
    name: 'virtual_server_group',
    args: [arg('name', 'name', { defines: 'virtual_server_group' })],
    block: 'virtual_server_group',
    multiple: true,
    doc: 'Named set of addresses, ranges and fwmarks that virtual servers can share.',
  },
  {
    name: 'virtual_server',
    args: [],
    forms: [
      [arg('address', 'ipaddr'), serverPort()],
      [word('fwmark'), int('mark', 0, UINT_MAX)],
      [word('group'), arg('group', 'name', { ref: 'virtual_server_group' })],
    ],
    block: 'virtual_server',
    multiple: true,
    doc: 'An IPVS service: address and port, firewall mark, or virtual_server_group.',
  },
];

export const blocks: BlockSpec[] = [
  {
    id: 'SSL',
    kind: 'keywords',
    doc: 'TLS client settings shared by every SSL_GET checker.',
    keywords: [
      { name: 'password', args: [arg('password', 'word')], doc: 'Password that decrypts the private key.' },
      { name: 'ca', args: [arg('file', 'path')], doc: 'CA certificate file (PEM) used to verify servers.' },
      { name: 'certificate', args: [arg('file', 'path')], doc: 'Client certificate file (PEM).' },
      { name: 'key', args: [arg('file', 'path')], doc: 'Private key file (PEM) of the client certificate.' },
    ],
  },
  {
    id: 'virtual_server_group',
    kind: 'list',
    item: {
      args: [],
      forms: [
        [word('fwmark'), int('mark', 0, UINT_MAX), opt(oneOf('family', ['inet', 'inet6']))],
        [arg('address', 'ipprefix'), serverPort()],
        // a.b.c.d-e or a.b.c.d-e.f.g.h (IPv6 alike): the schema has no range type yet.
        [arg('address-range', 'word'), serverPort()],
      ],
    },
    doc: 'Lines of `ADDRESS[-END|/LEN] [PORT]` or `fwmark N [inet|inet6]`.',
  },
  {
    id: 'virtual_server',
    kind: 'keywords',
    keywords: virtualServerKeywords,
    doc: 'An IPVS virtual service and its real servers.',
  },
  {
    id: 'real_server',
    kind: 'keywords',
    keywords: realServerKeywords,
    doc: 'One real server and its health checkers.',
  },
];
