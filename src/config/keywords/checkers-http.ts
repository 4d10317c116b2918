// HTTP_GET and SSL_GET checker blocks and their `url` sub-blocks (keepalived check_http.c).
// The two checkers share everything except tls_compliant, which only SSL_GET knows.
import { arg, int, oneOf, type BlockSpec, type KeywordSpec } from '../schema.js';
import { checkerStandardKeywords, optBool, UINT_MAX } from './checkers-common.js';

/** PCRE2 compile options keepalived maps by name (names it does not know are silently ignored). */
export const REGEX_OPTIONS = [
  'allow_empty_class',
  'alt_bsux',
  'auto_callout',
  'caseless',
  'dollar_endonly',
  'dotall',
  'dupnames',
  'extended',
  'firstline',
  'match_unset_backref',
  'multiline',
  'never_ucp',
  'never_utf',
  'no_auto_capture',
  'no_auto_possess',
  'no_dotstar_anchor',
  'no_start_optimize',
  'ucp',
  'ungreedy',
  'utf',
  'never_backslash_c',
  'alt_circumflex',
  'alt_verbnames',
  'use_offset_limit',
] as const;

const urlKeywords: readonly KeywordSpec[] = [
  {
    name: 'path',
    args: [arg('path', 'word')],
    doc: 'Request path of this URL (required), e.g. /health.',
  },
  {
    name: 'digest',
    args: [arg('md5', 'hex')],
    doc: 'Expected MD5 of the response body as 32 hex digits (genhash prints it).',
  },
  {
    name: 'status_code',
    args: [arg('code-or-range', 'word', { rest: true })],
    default: '200-299',
    doc: 'Accepted HTTP status codes: numbers or ranges like 200-299, each within 100-599.',
  },
  {
    name: 'virtualhost',
    args: [arg('host', 'word')],
    doc: 'Host header for this URL; overrides the checker, real server and virtual server value.',
  },
  {
    name: 'regex',
    args: [arg('pattern', 'word')],
    doc: 'PCRE2 pattern the response body must match (quote it if it has spaces).',
  },
  {
    name: 'regex_no_match',
    args: [],
    doc: 'Invert regex: the check fails when the pattern matches.',
  },
  {
    name: 'regex_options',
    args: [oneOf('option', REGEX_OPTIONS, { rest: true })],
    doc: 'Space separated PCRE2 compile options for regex.',
  },
  {
    name: 'regex_min_offset',
    args: [int('offset', 0)],
    doc: 'Byte offset in the body where regex matching may start.',
  },
  {
    name: 'regex_max_offset',
    args: [int('offset', 0)],
    doc: 'Last byte offset in the body where a regex match may start.',
  },
  {
    name: 'regex_stack',
    args: [int('start', 0), int('max', 0)],
    doc: 'Start and maximum size in bytes of the PCRE2 JIT stack (start must not exceed max).',
  },
];

const tlsCompliant = (doc: string): KeywordSpec => ({
  name: 'tls_compliant',
  args: [optBool()],
  since: '2.2.8',
  doc,
});

/** Keywords of an HTTP_GET / SSL_GET body; `url` opens the checker's own url block. */
function httpKeywords(checker: 'HTTP_GET' | 'SSL_GET'): KeywordSpec[] {
  return [
    ...checkerStandardKeywords,
    {
      name: 'nb_get_retry',
      args: [int('count', 0, UINT_MAX)],
      deprecated: 'nb_get_retry is the old name of the retry count; use retry.',
      replacement: 'retry',
      doc: 'Old spelling of retry for HTTP/SSL checkers.',
    },
    {
      name: 'virtualhost',
      args: [arg('host', 'word')],
      doc: 'Host header sent with every URL of this checker (and the SNI name with enable_sni).',
    },
    {
      name: 'http_protocol',
      args: [oneOf('version', ['1.0', '1.1', '1.0C', '1.0c'])],
      default: '1.0',
      doc: 'HTTP version of the request; 1.0C is 1.0 plus "Connection: close".',
    },
    {
      name: 'enable_sni',
      args: [optBool()],
      doc: 'Send the virtualhost as Server Name Indication in the TLS handshake.',
    },
    {
      name: 'fast_recovery',
      args: [optBool()],
      doc: 'Check all URLs back to back at startup and after a failure instead of one per delay_loop.',
    },
    ...(checker === 'SSL_GET'
      ? [tlsCompliant('Shut TLS connections down cleanly with a close_notify alert.')]
      : []),
    {
      name: 'url',
      args: [],
      block: `${checker}.url`,
      multiple: true,
      doc: 'One URL to fetch; the checker fails if any URL fails.',
    },
  ];
}

export const httpCheckerKeywords: readonly KeywordSpec[] = [
  {
    name: 'HTTP_GET',
    args: [],
    block: 'HTTP_GET',
    multiple: true,
    doc: 'Health check by fetching URLs over plain HTTP.',
  },
  {
    name: 'SSL_GET',
    args: [],
    block: 'SSL_GET',
    multiple: true,
    doc: 'Health check by fetching URLs over HTTPS (TLS settings from the SSL block).',
  },
];

export const httpBlocks: BlockSpec[] = [
  {
    id: 'HTTP_GET',
    kind: 'keywords',
    keywords: httpKeywords('HTTP_GET'),
    doc: 'HTTP health checker: needs at least one url block.',
  },
  {
    id: 'SSL_GET',
    kind: 'keywords',
    keywords: httpKeywords('SSL_GET'),
    doc: 'HTTPS health checker: needs at least one url block.',
  },
  {
    id: 'HTTP_GET.url',
    kind: 'keywords',
    keywords: urlKeywords,
    doc: 'A URL checked by HTTP_GET: path plus the expected status, digest or regex.',
  },
  {
    id: 'SSL_GET.url',
    kind: 'keywords',
    keywords: [...urlKeywords, tlsCompliant('Shut TLS down cleanly with close_notify for this URL.')],
    doc: 'A URL checked by SSL_GET: path plus the expected status, digest or regex.',
  },
];
