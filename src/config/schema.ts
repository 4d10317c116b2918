// The shape of the ONE keyword table. Parser, validator, did-you-mean and the wizard all read it;
// nothing else in the tree may hard-code which keywords a block accepts.

/** How one value is read and checked. */
export type ValueType =
  | 'int' // integer, checked against min/max
  | 'float' // decimal seconds etc. ("0.1"), checked against min/max
  | 'word' // any single token
  | 'enum' // one of `values`
  | 'bool' // true/false, on/off, yes/no (keepalived's check_true_false)
  | 'ipaddr' // IPv4 or IPv6 address, no prefix
  | 'ipv4'
  | 'ipv6'
  | 'ipprefix' // address with optional /len (a VIP, a route destination)
  | 'port' // 0-65535, or a service name as keepalived accepts
  | 'path' // a file system path
  | 'script' // a command line: program plus arguments (usually quoted)
  | 'interface' // an interface name (checked for existence only with --host)
  | 'mac'
  | 'hex'
  | 'email'
  | 'name'; // a user/group/instance name (defines or refers, see ArgSpec.defines/ref)

/** Kinds of named things that one part of a config defines and another refers to. */
export type RefKind =
  | 'vrrp_script'
  | 'vrrp_track_file'
  | 'vrrp_track_process'
  | 'vrrp_instance'
  | 'vrrp_sync_group'
  | 'virtual_server_group'
  | 'bfd_instance'
  | 'net_namespace';

export interface ArgSpec {
  /** Shown in docs and messages, e.g. `priority`. */
  name: string;
  type: ValueType;
  min?: number;
  max?: number;
  /** For `enum`: the accepted values (matched case-sensitively unless `ci`). */
  values?: readonly string[];
  ci?: boolean;
  optional?: boolean;
  /** Consumes this and every following token (a script with its arguments, a list of words). */
  rest?: boolean;
  /** The value names something that must be defined elsewhere in the config. */
  ref?: RefKind;
  /** The value defines a name of this kind (e.g. `vrrp_script NAME`). */
  defines?: RefKind;
}

/**
 * Trailing `name [value...]` options after the positional args, as in
 * `192.0.2.10/24 dev eth0 scope link label eth0:1 no_track`. An empty array is a bare flag.
 */
export type OptionsSpec = Readonly<Record<string, readonly ArgSpec[]>>;

export interface KeywordSpec {
  name: string;
  /** Positional arguments; ignored when `forms` is given. */
  args: readonly ArgSpec[];
  /** Alternative argument shapes, tried in order (e.g. `virtual_server IP PORT | fwmark N | group NAME`). */
  forms?: readonly (readonly ArgSpec[])[];
  options?: OptionsSpec;
  /** Id of the block this keyword opens with `{ ... }`, if any. */
  block?: string;
  /** keepalived also accepts the keyword without its `{}` block (rare; e.g. flags that later grew blocks). */
  blockOptional?: boolean;
  /** May appear more than once in its block (lists, repeated definitions). */
  multiple?: boolean;
  /** Other spellings keepalived accepts for this keyword (old names, typos it tolerates). */
  aliases?: readonly string[];
  /** Set when keepalived warns that the keyword is deprecated; the text says what to use instead. */
  deprecated?: string;
  /** Keyword that replaces a deprecated one, for did-you-mean and fix suggestions. */
  replacement?: string;
  /** First keepalived version that knows this keyword, when later than 2.2.0 (e.g. '2.3.0'). */
  since?: string;
  /** Last keepalived version that knew it (removed later). */
  until?: string;
  /** The value keepalived uses when the keyword is absent (documentation and the wizard). */
  default?: string | number | boolean;
  /** One line, our own words. */
  doc: string;
}

export interface BlockSpec {
  id: string;
  /**
   * `keywords`: each line starts with a keyword from `keywords`.
   * `list`: each line is an item shaped by `item` (virtual_ipaddress, track_script, unicast_peer ...).
   */
  kind: 'keywords' | 'list';
  keywords?: readonly KeywordSpec[];
  /** Shape of one line of a list block. Its first positional arg is the item itself. */
  item?: { args: readonly ArgSpec[]; options?: OptionsSpec; forms?: readonly (readonly ArgSpec[])[] };
  doc: string;
}

/** The table: every block by id. `root` is the top level of keepalived.conf. */
export type KeywordTable = Readonly<Record<string, BlockSpec>>;

// Small constructors keep the table readable.
export const int = (name: string, min?: number, max?: number, extra: Partial<ArgSpec> = {}): ArgSpec => ({
  name,
  type: 'int',
  min,
  max,
  ...extra,
});
export const float = (name: string, min?: number, max?: number, extra: Partial<ArgSpec> = {}): ArgSpec => ({
  name,
  type: 'float',
  min,
  max,
  ...extra,
});
export const oneOf = (name: string, values: readonly string[], extra: Partial<ArgSpec> = {}): ArgSpec => ({
  name,
  type: 'enum',
  values,
  ...extra,
});
export const arg = (name: string, type: ValueType, extra: Partial<ArgSpec> = {}): ArgSpec => ({
  name,
  type,
  ...extra,
});
export const opt = (a: ArgSpec): ArgSpec => ({ ...a, optional: true });
