// global_defs: the daemon-wide keywords that are not VRRP specific (those live in global-vrrp.ts).
// Facts (ranges, enums, versions) follow keepalived's global_parser.c handlers, 2.2.0 - 2.4.3.
import { arg, int, oneOf, opt } from '../schema.js';
import type { KeywordSpec } from '../schema.js';
import { flag, kw, listKw, onOff, scriptKw } from './vrrp-helpers.js';

const UINT_MAX = 4294967295;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Scheduling and resource knobs that exist once per child process (vrrp, checker, bfd). */
export function processKeywords(p: 'vrrp' | 'checker' | 'bfd'): KeywordSpec[] {
  return [
    kw(`${p}_priority`, [int('nice', -20, 19)], `Nice value of the ${p} process.`),
    flag(`${p}_no_swap`, `Lock the ${p} process's memory so it is never swapped out.`),
    kw(
      `${p}_rt_priority`,
      [int('priority', 1, 99)],
      `Run the ${p} process with SCHED_RR at this real-time priority (keepalived clamps to the system range).`,
    ),
    kw(`${p}_cpu_affinity`, [int('cpu', 0, undefined, { rest: true })], `CPUs the ${p} process may run on.`),
    kw(
      `${p}_rlimit_rttime`,
      [int('usecs', 1, UINT_MAX)],
      `CPU time limit in microseconds for the ${p} process when running real-time.`,
    ),
    kw(`${p}_rlimit_rtime`, [int('usecs', 1, UINT_MAX)], `Old spelling of ${p}_rlimit_rttime.`, {
      deprecated: `misspelt; use ${p}_rlimit_rttime`,
      replacement: `${p}_rlimit_rttime`,
    }),
  ];
}

/** `FIFO [user [group]]`, the shape of every *notify_fifo keyword. */
export const fifoArgs = [arg('fifo', 'path'), opt(arg('user', 'name')), opt(arg('group', 'name'))];

const general: KeywordSpec[] = [
  flag('process_names', 'Give the child processes their default distinct names (keepalived_vrrp, ...).'),
  kw('process_name', [arg('name', 'word')], 'Process name of the parent keepalived process.'),
  kw('vrrp_process_name', [arg('name', 'word')], 'Process name of the VRRP child.'),
  kw('checker_process_name', [arg('name', 'word')], 'Process name of the checker child.'),
  kw('lvs_process_name', [arg('name', 'word')], 'Old name of checker_process_name.', {
    deprecated: 'renamed; use checker_process_name',
    replacement: 'checker_process_name',
  }),
  kw('bfd_process_name', [arg('name', 'word')], 'Process name of the BFD child.'),
  onOff('use_symlink_paths', 'Do not resolve symbolic links in script paths.', { since: '2.3.0' }),
  kw('router_id', [arg('id', 'word')], 'Name of this machine in notifications.', { default: 'hostname' }),
  kw('notification_email_from', [arg('from', 'email')], 'Sender address of alert emails.'),
  kw('smtp_server', [arg('server', 'word'), opt(arg('port', 'port'))], 'SMTP relay (address or host name) for alert emails.'),
  kw('smtp_helo_name', [arg('name', 'word')], 'Name sent in the SMTP HELO.'),
  kw('smtp_connect_timeout', [int('seconds', 0, 4294)], 'Timeout for connecting to the SMTP server (0 is read as 1).', {
    default: 30,
  }),
  listKw('notification_email', 'global_defs.notification_email', 'Recipients of alert emails, one address per line.'),
  onOff('smtp_alert', 'Send email alerts for every state change by default.'),
  onOff('smtp_alert_checker', 'Send email alerts for checker events by default.'),
  onOff('checker_log_all_failures', 'Log every checker failure, not only state changes.'),
  scriptKw('startup_script', 'Script the parent runs before starting the children.'),
  kw('startup_script_timeout', [int('seconds', 1, 1000)], 'Time allowed for startup_script.', { default: 10 }),
  scriptKw('shutdown_script', 'Script the parent runs after the children have stopped.'),
  kw('shutdown_script_timeout', [int('seconds', 1, 1000)], 'Time allowed for shutdown_script.', { default: 10 }),
  kw(
    'max_auto_priority',
    [opt(int('priority', -1, 99))],
    'Highest real-time priority keepalived may give itself when it falls behind (-1 disables).',
  ),
  kw('min_auto_priority_delay', [int('usecs', 1, 10000000)], 'Lateness that triggers raising the priority.'),
  kw('script_user', [arg('user', 'name'), opt(arg('group', 'name'))], 'Default user (and group) scripts run as.'),
  flag('enable_script_security', 'Refuse to run scripts a non-root user could modify.'),
  kw('notify_fifo', fifoArgs, 'FIFO that receives every state change.'),
  scriptKw('notify_fifo_script', 'Script keepalived starts to read notify_fifo.'),
  kw('umask', [arg('mask', 'word', { rest: true })], 'umask for files keepalived creates (number or IRUSR|IWUSR... bits).'),
  kw('random_seed', [int('seed', 0, UINT_MAX)], 'Fixed seed for random numbers (testing).'),
  kw('reload_check_config', [opt(arg('log_file', 'path'))], 'Check the new configuration before a reload takes effect.'),
  kw('reload_time_file', [arg('file', 'path')], 'File holding a time at which to reload.'),
  flag('reload_repeat', 'Keep reloading at the time in reload_time_file, every day.'),
  kw('reload_file', [opt(arg('file', 'path'))], 'File whose presence makes a reload use a different config.'),
  kw(
    'include_check',
    [arg('check', 'word', { optional: true, rest: true })],
    'Default checks on included files: [+|-]read, match, wildcard_match, brace_match.',
  ),
  kw('config_save_dir', [arg('dir', 'path')], 'Directory where the running configuration is saved.', { since: '2.2.3' }),
  kw('tmp_config_directory', [arg('dir', 'path')], 'Directory for the temporary copy of the configuration.'),
  onOff('data_use_instance', 'Add the instance name to data/stats file names.', { since: '2.2.3' }),
  kw('json_version', [int('version', 1, 2)], 'Format version of the JSON dump.', { since: '2.2.8', default: 1 }),
  kw('state_dump_file', [arg('file', 'path')], 'Where a state dump (SIGUSR1) is written.', { since: '2.3.3' }),
  kw('stats_dump_file', [arg('file', 'path')], 'Where a statistics dump (SIGUSR2) is written.', { since: '2.3.3' }),
  kw('json_dump_file', [arg('file', 'path')], 'Where the JSON dump is written.', { since: '2.3.3' }),
];

const lvs: KeywordSpec[] = [
  kw(
    'lvs_timeouts',
    [],
    'IPVS connection timeouts: any of tcp SECS, tcpfin SECS, udp SECS.',
    { options: { tcp: [int('secs', 0, 2678400)], tcpfin: [int('secs', 0, 2678400)], udp: [int('secs', 0, 2678400)] } },
  ),
  flag('lvs_flush', 'Flush all IPVS services at start-up.'),
  kw('lvs_flush_on_stop', [opt(oneOf('what', ['VS']))], 'Remove IPVS config on stop: everything, or only our VS.', {
    aliases: ['lvs_flush_onstop'],
  }),
  kw(
    'lvs_sync_daemon',
    [arg('interface', 'interface'), opt(arg('vrrp_instance', 'name', { ref: 'vrrp_instance' }))],
    'Run the IPVS sync daemon on an interface, following a VRRP instance.',
    {
      options: {
        inst: [arg('vrrp_instance', 'name', { ref: 'vrrp_instance' })],
        id: [int('syncid', 0, 255)],
        maxlen: [int('bytes', 1, 65507)],
        port: [int('port', 1, 65535)],
        ttl: [int('ttl', 1, 255)],
        group: [arg('group', 'ipaddr')],
      },
    },
  ),
  kw('lvs_notify_fifo', fifoArgs, 'FIFO that receives checker state changes.'),
  scriptKw('lvs_notify_fifo_script', 'Script keepalived starts to read lvs_notify_fifo.'),
  kw('lvs_netlink_cmd_rcv_bufs', [int('bytes', 0, UINT_MAX)], 'Receive buffer of the checker netlink command socket.'),
  onOff('lvs_netlink_cmd_rcv_bufs_force', 'Force that size even above the system maximum.'),
  kw('lvs_netlink_monitor_rcv_bufs', [int('bytes', 0, UINT_MAX)], 'Receive buffer of the checker netlink monitor socket.'),
  onOff('lvs_netlink_monitor_rcv_bufs_force', 'Force that size even above the system maximum.'),
  onOff('rs_init_notifies', 'Send notifications for the initial state of real servers.'),
  onOff('no_checker_emails', 'Only email about checker failures that change a real server state.'),
  kw('nftables_ipvs', [opt(arg('table', 'word'))], 'Use this nftables table for IPVS fwmark rules.', {
    since: '2.2.2',
    default: 'keepalived_ipvs',
  }),
  kw('nftables_ipvs_priority', [int('priority', INT32_MIN, INT32_MAX)], 'Priority of the IPVS nftables chains.', {
    since: '2.2.2',
  }),
  kw('nftables_ipvs_start_fwmark', [int('fwmark', 1, UINT_MAX)], 'First fwmark keepalived allocates for IPVS.', {
    since: '2.2.2',
    default: 1000,
  }),
  flag('nftables_counters', 'Add counters to the nftables rules keepalived creates.'),
];

const snmpDbus: KeywordSpec[] = [
  kw('snmp_socket', [arg('socket', 'word')], 'AgentX socket of the SNMP master agent.'),
  flag('enable_traps', 'Send SNMP traps.'),
  flag('enable_snmp_vrrp', 'Enable the keepalived VRRP MIB.', { aliases: ['enable_snmp_keepalived'] }),
  flag('enable_snmp_rfc', 'Enable both RFC VRRP MIBs (v2 and v3).'),
  flag('enable_snmp_rfcv2', 'Enable the RFC2787 VRRP MIB.'),
  flag('enable_snmp_rfcv3', 'Enable the RFC6527 VRRPv3 MIB.'),
  flag('enable_snmp_checker', 'Enable the checker MIB.'),
  kw('snmp_vs_stats_update_interval', [arg('seconds', 'float', { min: 0.001, max: 30 })], 'How often virtual server SNMP statistics are refreshed.', {
    since: '2.3.0',
  }),
  kw('snmp_rs_stats_update_interval', [arg('seconds', 'float', { min: 0.001, max: 30 })], 'How often real server SNMP statistics are refreshed.', {
    since: '2.3.0',
  }),
  flag('enable_dbus', 'Publish VRRP instances on D-Bus.'),
  kw('dbus_service_name', [arg('name', 'word')], 'D-Bus service name to publish under.'),
  kw('dbus_no_interface_name', [arg('name', 'word')], 'D-Bus object name for instances without an interface.', {
    since: '2.3.0',
  }),
];

/** global_defs keywords that are not VRRP specific. */
export const globalGeneralKeywords: KeywordSpec[] = [
  ...general,
  ...lvs,
  ...snmpDbus,
  ...processKeywords('checker'),
  ...processKeywords('bfd'),
];
