// Argument shapes and keyword groups shared by the LVS part (virtual_server, real_server) and
// every health checker block. Facts from keepalived's check_parser.c / check_api.c handlers.
import { arg, float, int, oneOf, opt, type ArgSpec, type KeywordSpec, type OptionsSpec } from '../schema.js';

export const UINT_MAX = 4294967295;
export const INT32_MAX = 2147483647;
/** keepalived keeps timers in microseconds; read_timer's ceiling is ULONG_MAX - 1 of them. */
export const TIMER_HZ = 1_000_000;
export const TIMER_MAX_S = (2 ** 64 - 2) / TIMER_HZ;
/** connect_timeout is stored in an unsigned int of microseconds. */
export const CONNECT_TIMEOUT_MAX_S = UINT_MAX / TIMER_HZ;
/** Smallest non-zero timer: one microsecond. */
export const TIMER_MIN_S = 1 / TIMER_HZ;

/** A timer in (possibly fractional) seconds, as keepalived's read_timer accepts. */
export const timer = (name: string, min: number, max = TIMER_MAX_S): ArgSpec => float(name, min, max);

/** check_true_false(): the value is optional and defaults to true when omitted. */
export const optBool = (name = 'enabled'): ArgSpec => opt(arg(name, 'bool'));

/** A script: one token, quoted when it carries arguments ("/bin/check --fast"). */
export const scriptArg = (name = 'script'): ArgSpec => arg(name, 'script');

/** notify_up/down, quorum_up/down: the script, then optionally the user and group it runs as. */
export const notifyScriptArgs: readonly ArgSpec[] = [scriptArg(), opt(arg('user', 'name')), opt(arg('group', 'name'))];

/** Port as read_unsigned(1..65535); keepalived treats 0 as "no port" for servers. */
export const serverPort = (): ArgSpec => opt(int('port', 0, 65535));

/** Trailing tunnel options of lvs_method TUN (kernel 5.2+ for gue, 5.3+ for gre and checksums). */
export const tunnelOptions: OptionsSpec = {
  type: [oneOf('tunnel-type', ['ipip', 'gue', 'gre'])],
  port: [int('gue-port', 1, 65535)],
  nocsum: [],
  csum: [],
  remcsum: [],
};

/** lvs_method / lb_kind / sorry_server_lvs_method: NAT, DR or TUN with tunnel options. */
export function forwardingMethod(name: string, doc: string, extra: Partial<KeywordSpec> = {}): KeywordSpec {
  return {
    name,
    args: [oneOf('method', ['NAT', 'DR', 'TUN'])],
    options: tunnelOptions,
    doc,
    ...extra,
  };
}

/** Connection keywords installed for every checker except MISC_CHECK, FILE_CHECK and BFD_CHECK. */
export const checkerConnectionKeywords: readonly KeywordSpec[] = [
  {
    name: 'connect_ip',
    args: [arg('address', 'ipaddr')],
    doc: 'Address the checker connects to instead of the real server address.',
  },
  {
    name: 'connect_port',
    args: [int('port', 1, 65535)],
    doc: 'Port the checker connects to instead of the real server port.',
  },
  {
    name: 'bindto',
    args: [arg('address', 'ipaddr')],
    doc: 'Source address for the check connection; must match the family of connect_ip.',
  },
  {
    name: 'bind_port',
    args: [int('port', 1, 65535)],
    doc: 'Source port for the check connection.',
  },
  {
    name: 'bind_if',
    args: [arg('interface', 'interface')],
    doc: 'Interface to bind the check to; required when the address is IPv6 link-local.',
  },
  {
    name: 'connect_timeout',
    args: [timer('seconds', TIMER_MIN_S, CONNECT_TIMEOUT_MAX_S)],
    doc: 'How long the checker waits for the connection; inherits the real server value.',
  },
  {
    name: 'fwmark',
    args: [int('mark', 0, UINT_MAX)],
    doc: 'Firewall mark (SO_MARK) set on the checker packets.',
  },
];

/** Keywords every checker with a standard checker body accepts (MISC_CHECK too). */
export const checkerGeneralKeywords: readonly KeywordSpec[] = [
  {
    name: 'retry',
    args: [int('count', 0, UINT_MAX)],
    doc: 'Extra attempts after a failed check before the server is marked down.',
  },
  {
    name: 'delay_before_retry',
    args: [timer('seconds', 0)],
    doc: 'Pause between a failed check and its retry.',
  },
  {
    name: 'warmup',
    args: [timer('seconds', 0)],
    doc: 'Upper bound of the random delay before the first check; 0 disables it.',
  },
  {
    name: 'delay_loop',
    args: [timer('seconds', TIMER_MIN_S)],
    doc: 'Interval between two checks.',
  },
  {
    name: 'alpha',
    args: [optBool()],
    doc: 'Start with the server considered down until the first check succeeds.',
  },
  {
    name: 'log_all_failures',
    args: [optBool()],
    doc: 'Log every failed check, not only those that change the server state.',
  },
];

/** The standard checker body: connection options plus the general ones. */
export const checkerStandardKeywords: readonly KeywordSpec[] = [
  ...checkerConnectionKeywords,
  ...checkerGeneralKeywords,
];
