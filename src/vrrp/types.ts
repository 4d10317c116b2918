// Types shared by the VRRP packet codec and the state machine.

export type VrrpVersion = 2 | 3;
export type Family = 4 | 6;

/** Authentication of a VRRPv2 advert (RFC 3768 section 5.3.6; v3 has none). */
export type AuthType = 'none' | 'pass' | 'ah';

/** A VRRP advertisement, decoded: what the state machine needs, in its own units. */
export interface Advert {
  version: VrrpVersion;
  family: Family;
  vrid: number; // 1-255
  priority: number; // 0-255; 0 = master is leaving, 255 = address owner
  /** Advertisement interval in centiseconds (v3 field; v2's seconds are converted, 1 s = 100 cs). */
  advertIntervalCs: number;
  /** Source address of the IP packet (the sender's primary address), dotted or RFC 5952 text. */
  srcAddr: string;
  /** Virtual addresses carried in the advert, as text. */
  addrs: string[];
  authType: AuthType;
  /** v2 PASS: the 8-byte password field as text with trailing NULs removed. */
  authData?: string;
  /** v2 AH: the IPSEC-AH sequence number (keepalived starts at 1, one more per advert). */
  ahSeq?: number;
}
