// Why a received packet was dropped, and per-reason counters.
//
// Each reason names the keepalived statistic it feeds (vrrp_stats in keepalived's vrrp.h,
// shown by `keepalived --signum=STATS`) or null where keepalived only logs. `verdict`
// follows keepalived's return codes: 'ko' = invalid packet, 'drop' = not relevant to us.

export type KeepalivedStat =
  | 'packet_len_err'
  | 'advert_interval_err'
  | 'ip_ttl_err'
  | 'invalid_type_rcvd'
  | 'addr_list_err'
  | 'invalid_authtype'
  | 'authtype_mismatch'
  | 'auth_failure'
  | 'chk_err'
  | 'vers_err'
  | 'vrid_err';

export interface DropReasonInfo {
  stat: KeepalivedStat | null;
  verdict: 'ko' | 'drop';
  text: string;
}

export const DROP_REASONS = {
  truncated: { stat: 'packet_len_err', verdict: 'ko', text: 'packet shorter than its IP/AH/VRRP headers' },
  ip_header_invalid: { stat: 'packet_len_err', verdict: 'ko', text: 'IPv4 header version or length invalid' },
  not_vrrp_protocol: { stat: null, verdict: 'drop', text: 'IP protocol is neither VRRP (112) nor AH (51)' },
  vrid_unknown: { stat: 'vrid_err', verdict: 'drop', text: 'VRID is not one of ours' },
  own_packet: { stat: null, verdict: 'drop', text: 'source address is one of our own' },
  cast_mismatch: { stat: 'addr_list_err', verdict: 'ko', text: 'multicast advert on a unicast instance or the reverse' },
  authtype_mismatch: { stat: 'authtype_mismatch', verdict: 'ko', text: 'authentication type differs from ours' },
  packet_length: { stat: 'packet_len_err', verdict: 'ko', text: 'length disagrees with the address count' },
  ttl_invalid: { stat: 'ip_ttl_err', verdict: 'ko', text: 'TTL/hop limit is not 255' },
  version_invalid: { stat: 'vers_err', verdict: 'ko', text: 'VRRP version differs from ours' },
  authtype_invalid: { stat: 'invalid_authtype', verdict: 'ko', text: 'unknown VRRPv2 authentication type' },
  auth_password: { stat: 'auth_failure', verdict: 'ko', text: 'wrong simple password' },
  ah_next_header: { stat: null, verdict: 'drop', text: 'AH header protects a protocol other than VRRP' },
  ah_icv: { stat: 'auth_failure', verdict: 'ko', text: 'IPSEC-AH HMAC-MD5-96 ICV does not match' },
  ah_spi: { stat: 'auth_failure', verdict: 'ko', text: 'IPSEC-AH SPI is not the source address' },
  ah_replay: { stat: 'auth_failure', verdict: 'ko', text: 'IPSEC-AH sequence number already seen' },
  advert_interval_mismatch: { stat: 'advert_interval_err', verdict: 'drop', text: 'VRRPv2 advert interval differs from ours' },
  type_invalid: { stat: 'invalid_type_rcvd', verdict: 'ko', text: 'VRRP packet type is not ADVERTISEMENT (1)' },
  addr_count_mismatch: { stat: 'addr_list_err', verdict: 'ko', text: 'address count differs from our VIP count' },
  ip_total_length: { stat: 'packet_len_err', verdict: 'ko', text: 'IPv4 total length disagrees with the received length' },
  checksum: { stat: 'chk_err', verdict: 'ko', text: 'VRRP checksum is wrong' },
  addr_list_mismatch: { stat: 'addr_list_err', verdict: 'ko', text: 'one of our VIPs is missing from the advert' },
  unicast_src_not_peer: { stat: null, verdict: 'ko', text: 'unicast source is not a configured unicast_peer' },
  ttl_out_of_range: { stat: 'ip_ttl_err', verdict: 'ko', text: "TTL/hop limit outside the peer's min_ttl..max_ttl" },
  config_invalid: { stat: null, verdict: 'drop', text: 'instance configuration given to validate is unusable' },
  strict_auth: { stat: 'authtype_mismatch', verdict: 'ko', text: 'vrrp_strict: authenticated adverts are not allowed' },
} as const satisfies Record<string, DropReasonInfo>;

export type DropReason = keyof typeof DROP_REASONS;

export const ALL_DROP_REASONS = Object.keys(DROP_REASONS) as DropReason[];

export function isDropReason(x: unknown): x is DropReason {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(DROP_REASONS, x);
}

/** Per-instance receive counters: accepted adverts, priority-0 adverts, and each drop reason. */
export class Counters {
  accepted = 0;
  priorityZero = 0;
  private readonly drops = new Map<DropReason, number>();

  /** Counts the outcome of one validate() call. */
  record(result: { ok: true; advert: { priority: number } } | { ok: false; reason: DropReason }): void {
    if (result.ok) {
      this.accepted++;
      if (result.advert.priority === 0) this.priorityZero++;
    } else {
      this.drop(result.reason);
    }
  }

  drop(reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  get(reason: DropReason): number {
    return this.drops.get(reason) ?? 0;
  }

  get dropped(): number {
    let n = 0;
    for (const v of this.drops.values()) n += v;
    return n;
  }

  /** Non-zero drop counts, in the order reasons are checked. */
  entries(): [DropReason, number][] {
    return ALL_DROP_REASONS.filter((r) => this.get(r) > 0).map((r) => [r, this.get(r)]);
  }

  /** The counts folded into keepalived's statistic names. */
  keepalivedStats(): Record<KeepalivedStat | 'advert_rcvd' | 'pri_zero_rcvd', number> {
    const out = {
      advert_rcvd: this.accepted,
      pri_zero_rcvd: this.priorityZero,
      packet_len_err: 0,
      advert_interval_err: 0,
      ip_ttl_err: 0,
      invalid_type_rcvd: 0,
      addr_list_err: 0,
      invalid_authtype: 0,
      authtype_mismatch: 0,
      auth_failure: 0,
      chk_err: 0,
      vers_err: 0,
      vrid_err: 0,
    };
    for (const [reason, n] of this.drops) {
      const stat = DROP_REASONS[reason].stat;
      if (stat) out[stat] += n;
    }
    return out;
  }

  reset(): void {
    this.accepted = 0;
    this.priorityZero = 0;
    this.drops.clear();
  }
}
