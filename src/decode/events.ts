/**
 * Named decoder events (Suricata's `decoder.*` events, Zeek's "weirds"): every malformation a decoder
 * notices is counted under one of these names, and decoding continues as far as the bytes stay valid.
 *
 * Checks run in the order STYLE.md gives: minimum header length, declared length against bytes present,
 * declared length against itself.
 */

/**
 * Every decoder event, with what it means:
 *
 * link layer
 * - decoder.link.unsupported: the capture's link type has no decoder (the packet is skipped)
 * - decoder.link.too_many_layers: more than 8 encapsulations before IP (VLAN, PPPoE, MPLS, PBB, inner
 *   Ethernet, …); decoding stops there
 * - decoder.ethernet.pkt_too_small: fewer than 14 bytes for an Ethernet header
 * - decoder.ethernet.unknown_ethertype: an EtherType (after VLAN tags) no decoder handles (LLDP, EAPOL, …)
 * - decoder.vlan.hlen_too_small: a VLAN tag cut off (fewer than 4 bytes after the TPID)
 * - decoder.vlan.too_many_layers: more than two stacked VLAN tags (only two are kept; decoding stops)
 * - decoder.pbb.pkt_too_small: fewer than 18 bytes for an 802.1ah I-TAG and the customer Ethernet header
 * - decoder.sll.pkt_too_small: fewer than 16 bytes for a Linux cooked v1 header
 * - decoder.sll2.pkt_too_small: fewer than 20 bytes for a Linux cooked v2 header
 * - decoder.null.pkt_too_small: fewer than 4 bytes for a BSD loopback header
 * - decoder.null.unsupported_family: BSD loopback address family neither IPv4 nor IPv6
 * - decoder.raw.invalid_ip_version: raw-IP link type whose first nibble is neither 4 nor 6
 * - decoder.pppoe.pkt_too_small: fewer than 8 bytes for a PPPoE session header plus PPP protocol
 * - decoder.pppoe.wrong_code: PPPoE session frame with a code other than 0 (session data)
 * - decoder.pppoe.unsupported_proto: PPP protocol other than IPv4/IPv6 (LCP, IPCP, CHAP, …; not decoded)
 * - decoder.mpls.pkt_too_small: an MPLS label stack entry cut off
 * - decoder.mpls.too_many_labels: more than 8 labels without bottom of stack
 * - decoder.mpls.unknown_payload: the payload after the bottom label is neither IPv4 nor IPv6
 * - decoder.fabricpath.pkt_too_small: a Cisco FabricPath header (EtherType 0x8903) without its 2 tag bytes
 *   and a whole inner Ethernet header
 * - decoder.vntag.pkt_too_small: fewer than 6 bytes for a VN-Tag (EtherType 0x8926) and its EtherType
 * - decoder.ppp.pkt_too_small: a PPP link header (LINKTYPE_PPP, LINKTYPE_PPP_HDLC) cut off
 * - decoder.ppp.unsupported_proto: a PPP protocol other than IPv4, IPv6 or MPLS (LCP, IPCP, CHAP, …; not
 *   decoded), or a Cisco HDLC protocol that is not an EtherType
 * - decoder.radiotap.pkt_too_small: a radiotap header cut off, or its length below 8 or beyond the frame
 * - decoder.ieee80211.pkt_too_small: an 802.11 header shorter than its type and flags need, or its
 *   A-MSDU subframe or LLC/SNAP header cut off
 * - decoder.ieee80211.wrong_version: an 802.11 protocol version other than 0
 * - decoder.ieee80211.no_data: a management, control or extension frame, or a data frame without a body
 *   (Null, QoS Null): normal in a monitor capture, counted and not decoded
 * - decoder.ieee80211.protected: a data frame whose body is encrypted (WEP, TKIP, CCMP): not decoded
 * - decoder.ieee80211.llc_not_snap: a data frame whose body is not LLC/SNAP with an EtherType
 * - decoder.ieee80211.amsdu_partial: an A-MSDU with more than one subframe: only the first is decoded
 *
 * ARP
 * - decoder.arp.pkt_too_small: fewer than 8 bytes, or fewer than the declared address sizes need
 * - decoder.arp.unsupported: hardware/protocol other than Ethernet/IPv4 (6/4-byte addresses)
 *
 * IPv4
 * - decoder.ipv4.pkt_too_small: fewer than 20 bytes
 * - decoder.ipv4.wrong_ip_version: version field is not 4 inside an IPv4 EtherType
 * - decoder.ipv4.hlen_too_small: IHL below 5 (header shorter than 20 bytes)
 * - decoder.ipv4.hlen_too_large: IHL says more header bytes than were captured
 * - decoder.ipv4.iplen_smaller_than_hlen: total length smaller than the header length
 * - decoder.ipv4.trunc_pkt: total length larger than the frame on the wire (a cut by the capture's snap
 *   length, caplen < wirelen, is not counted)
 * - decoder.ipv4.opt_invalid_len: an option whose length byte is < 2 or runs past the header
 * - decoder.ipv4.frag_pkt_too_large: fragment offset + length beyond 65,535 (teardrop-style)
 * - decoder.ipv4.frag_overlap: a fragment overlapping bytes already held for its datagram (reassembly.ts: the
 *   held bytes win)
 * - decoder.ipv4.frag_size_inconsistent: a last fragment disagreeing with the size an earlier one fixed, or data
 *   beyond that size (dropped)
 * - decoder.ipv4.frag_too_small: a fragment other than the last with fewer than 64 bytes of IP (a tiny first
 *   fragment splits the transport header to evade filters)
 * - decoder.ipv4.frag_too_many: a datagram of more fragments than decode.fragments.maxFragments (dropped)
 * - decoder.ipv4.frag_timeout: a datagram still incomplete decode.fragments.timeout seconds after its first
 *   fragment (dropped)
 * - decoder.ipv4.frag_evicted: a datagram in progress dropped at the decode.fragments.maxBytes or maxDatagrams cap
 * - decoder.ipv4.frag_ignored: a fragment of a new datagram refused: its source has decode.fragments.maxPerSource
 *   datagrams in progress
 *
 * IPv6
 * - decoder.ipv6.pkt_too_small: fewer than 40 bytes
 * - decoder.ipv6.wrong_ip_version: version field is not 6 inside an IPv6 EtherType
 * - decoder.ipv6.trunc_pkt: payload length larger than the frame on the wire (snap-length cuts not counted)
 * - decoder.ipv6.trunc_exthdr: an extension header cut off or longer than the payload
 * - decoder.ipv6.exthdr_too_many: more extension headers than the bounded chain length (8)
 * - decoder.ipv6.frag_pkt_too_large: fragment offset + length beyond 65,535
 * - decoder.ipv6.frag_overlap: a fragment overlapping bytes already held for its datagram (reassembly.ts: the
 *   held bytes win)
 * - decoder.ipv6.frag_size_inconsistent: a last fragment disagreeing with the size an earlier one fixed, or data
 *   beyond that size (dropped)
 * - decoder.ipv6.frag_too_small: a fragment other than the last with fewer than 64 bytes of IP (a tiny first
 *   fragment splits the transport header to evade filters)
 * - decoder.ipv6.frag_too_many: a datagram of more fragments than decode.fragments.maxFragments (dropped)
 * - decoder.ipv6.frag_timeout: a datagram still incomplete decode.fragments.timeout seconds after its first
 *   fragment (dropped)
 * - decoder.ipv6.frag_evicted: a datagram in progress dropped at the decode.fragments.maxBytes or maxDatagrams cap
 * - decoder.ipv6.frag_ignored: a fragment of a new datagram refused: its source has decode.fragments.maxPerSource
 *   datagrams in progress
 *
 * transport
 * - decoder.tcp.pkt_too_small: fewer than 20 bytes for a TCP header
 * - decoder.tcp.hlen_too_small: data offset below 5
 * - decoder.tcp.hlen_too_large: data offset beyond the segment's bytes
 * - decoder.tcp.opt_invalid_len: an option whose length byte is < 2, runs past the header, or is wrong
 *   for its kind (MSS not 4, window scale not 3)
 * - decoder.tcp.opt_duplicate: MSS or window scale present twice
 * - decoder.udp.pkt_too_small: fewer than 8 bytes for a UDP header
 * - decoder.udp.len_invalid: UDP length below 8 or above the IP payload length
 * - decoder.icmpv4.pkt_too_small: fewer than 8 bytes for an ICMP header
 * - decoder.icmpv6.pkt_too_small: fewer than 8 bytes for an ICMPv6 header
 *
 * tunnels (tunnel.ts; a malformed tunnel header is not decapsulated)
 * - decoder.tunnel.max_depth_exceeded: a packet inside more tunnels than decode.maxTunnelDepth (Zeek's
 *   Tunnel::max_depth); the innermost packets are not decoded
 * - decoder.gre.pkt_too_small: fewer than 4 bytes for a GRE header, or a version 1 header cut off
 * - decoder.gre.wrong_version: GRE version other than 0 (RFC 2784) or 1 (PPTP)
 * - decoder.gre.routing: the routing bit of RFC 1701 (deprecated; the routing field is not decoded, as in Zeek)
 * - decoder.gre.version0_flags: reserved flag bits set in a version 0 header
 * - decoder.gre.version0_hdr_too_big: the checksum, key and sequence fields its flags announce are cut off
 * - decoder.gre.version1_flags: reserved flag bits set in a version 1 (PPTP) header
 * - decoder.gre.version1_chksum: a version 1 header with the checksum bit (PPTP has none)
 * - decoder.gre.version1_no_key: a version 1 header without the key (PPTP's payload length and call id)
 * - decoder.gre.version1_wrong_protocol: a version 1 header whose protocol is not PPP (0x880b)
 * - decoder.erspan.pkt_too_small: an ERSPAN type II or III header cut off
 * - decoder.erspan.unsupported_version: an ERSPAN header whose version is not that of its GRE protocol type
 * - decoder.vxlan.pkt_too_small: fewer than 8 + 14 bytes for the VXLAN header and an Ethernet header
 * - decoder.vxlan.flags_invalid: the VNI-valid (I) flag is not set
 * - decoder.geneve.pkt_too_small: a Geneve header or its options cut off, or nothing after them
 * - decoder.geneve.wrong_version: Geneve version other than 0
 * - decoder.geneve.unknown_payload_type: a protocol type other than Ethernet, IPv4 or IPv6
 * - decoder.gtpu.pkt_too_small: a G-PDU's sequence/extension word cut off
 * - decoder.gtpu.ext_hdr_invalid: a G-PDU extension header of length 0, cut off, or more than 8 of them
 * - decoder.gtpu.unknown_payload: a G-PDU whose payload is neither IPv4 nor IPv6
 * - decoder.ayiya.pkt_too_small: an AYIYA header, identity and signature longer than the datagram
 *
 * application (only when the port or payload test picked the decoder)
 * - decoder.dns.pkt_too_small: fewer than 12 bytes for a DNS header
 * - decoder.dns.name_loop: a compression pointer that does not point strictly backwards, or too many jumps
 * - decoder.dns.name_too_long: a name over 255 bytes
 * - decoder.dns.label_invalid: a label type 0x40/0x80 (extended/reserved, RFC 6891 / RFC 2673)
 * - decoder.dns.trunc_rr: a name, question or resource record running past the end of the message
 * - decoder.dns.too_many_answers: more answers than are kept (32); the rest are counted, not decoded
 * - decoder.dhcp.pkt_too_small: fewer than 240 bytes (BOOTP header + magic cookie)
 * - decoder.dhcp.bad_magic: no DHCP magic cookie (plain BOOTP or garbage)
 * - decoder.dhcp.opt_invalid_len: an option running past the message
 * - decoder.tls.record_invalid: a handshake record whose length is 0 or above 2^14 + 2048
 * - decoder.tls.hello_truncated: the ClientHello ends inside the first segment before its extensions
 *   were read (no reassembly: the SNI may be in the next segment)
 * - decoder.tls.hello_invalid: lengths inside the ClientHello contradict each other
 * - decoder.http.request_line_invalid: a method token not followed by a valid request line
 * - decoder.http.host_missing: a complete request head in the first segment without a Host header
 */
export const DECODE_EVENTS = [
  'decoder.link.unsupported',
  'decoder.link.too_many_layers',
  'decoder.ethernet.pkt_too_small',
  'decoder.ethernet.unknown_ethertype',
  'decoder.vlan.hlen_too_small',
  'decoder.vlan.too_many_layers',
  'decoder.pbb.pkt_too_small',
  'decoder.sll.pkt_too_small',
  'decoder.sll2.pkt_too_small',
  'decoder.null.pkt_too_small',
  'decoder.null.unsupported_family',
  'decoder.raw.invalid_ip_version',
  'decoder.pppoe.pkt_too_small',
  'decoder.pppoe.wrong_code',
  'decoder.pppoe.unsupported_proto',
  'decoder.mpls.pkt_too_small',
  'decoder.mpls.too_many_labels',
  'decoder.mpls.unknown_payload',
  'decoder.fabricpath.pkt_too_small',
  'decoder.vntag.pkt_too_small',
  'decoder.ppp.pkt_too_small',
  'decoder.ppp.unsupported_proto',
  'decoder.radiotap.pkt_too_small',
  'decoder.ieee80211.pkt_too_small',
  'decoder.ieee80211.wrong_version',
  'decoder.ieee80211.no_data',
  'decoder.ieee80211.protected',
  'decoder.ieee80211.llc_not_snap',
  'decoder.ieee80211.amsdu_partial',
  'decoder.arp.pkt_too_small',
  'decoder.arp.unsupported',
  'decoder.ipv4.pkt_too_small',
  'decoder.ipv4.wrong_ip_version',
  'decoder.ipv4.hlen_too_small',
  'decoder.ipv4.hlen_too_large',
  'decoder.ipv4.iplen_smaller_than_hlen',
  'decoder.ipv4.trunc_pkt',
  'decoder.ipv4.opt_invalid_len',
  'decoder.ipv4.frag_pkt_too_large',
  'decoder.ipv4.frag_overlap',
  'decoder.ipv4.frag_size_inconsistent',
  'decoder.ipv4.frag_too_small',
  'decoder.ipv4.frag_too_many',
  'decoder.ipv4.frag_timeout',
  'decoder.ipv4.frag_evicted',
  'decoder.ipv4.frag_ignored',
  'decoder.ipv6.pkt_too_small',
  'decoder.ipv6.wrong_ip_version',
  'decoder.ipv6.trunc_pkt',
  'decoder.ipv6.trunc_exthdr',
  'decoder.ipv6.exthdr_too_many',
  'decoder.ipv6.frag_pkt_too_large',
  'decoder.ipv6.frag_overlap',
  'decoder.ipv6.frag_size_inconsistent',
  'decoder.ipv6.frag_too_small',
  'decoder.ipv6.frag_too_many',
  'decoder.ipv6.frag_timeout',
  'decoder.ipv6.frag_evicted',
  'decoder.ipv6.frag_ignored',
  'decoder.tcp.pkt_too_small',
  'decoder.tcp.hlen_too_small',
  'decoder.tcp.hlen_too_large',
  'decoder.tcp.opt_invalid_len',
  'decoder.tcp.opt_duplicate',
  'decoder.udp.pkt_too_small',
  'decoder.udp.len_invalid',
  'decoder.icmpv4.pkt_too_small',
  'decoder.icmpv6.pkt_too_small',
  'decoder.tunnel.max_depth_exceeded',
  'decoder.gre.pkt_too_small',
  'decoder.gre.wrong_version',
  'decoder.gre.routing',
  'decoder.gre.version0_flags',
  'decoder.gre.version0_hdr_too_big',
  'decoder.gre.version1_flags',
  'decoder.gre.version1_chksum',
  'decoder.gre.version1_no_key',
  'decoder.gre.version1_wrong_protocol',
  'decoder.erspan.pkt_too_small',
  'decoder.erspan.unsupported_version',
  'decoder.vxlan.pkt_too_small',
  'decoder.vxlan.flags_invalid',
  'decoder.geneve.pkt_too_small',
  'decoder.geneve.wrong_version',
  'decoder.geneve.unknown_payload_type',
  'decoder.gtpu.pkt_too_small',
  'decoder.gtpu.ext_hdr_invalid',
  'decoder.gtpu.unknown_payload',
  'decoder.ayiya.pkt_too_small',
  'decoder.dns.pkt_too_small',
  'decoder.dns.name_loop',
  'decoder.dns.name_too_long',
  'decoder.dns.label_invalid',
  'decoder.dns.trunc_rr',
  'decoder.dns.too_many_answers',
  'decoder.dhcp.pkt_too_small',
  'decoder.dhcp.bad_magic',
  'decoder.dhcp.opt_invalid_len',
  'decoder.tls.record_invalid',
  'decoder.tls.hello_truncated',
  'decoder.tls.hello_invalid',
  'decoder.http.request_line_invalid',
  'decoder.http.host_missing',
] as const;

export type DecodeEvent = (typeof DECODE_EVENTS)[number];

const INDEX = new Map<string, number>(DECODE_EVENTS.map((e, i) => [e, i]));

/**
 * Counters for one decoder instance: one slot per DecodeEvent plus packets decoded and skipped.
 * `event()` is off the fast path (only malformed packets reach it), so a Map lookup there is fine.
 */
export class DecodeStats {
  private readonly counts = new Float64Array(DECODE_EVENTS.length);
  /** packets whose link layer decoded (decodePacket returned true) */
  decoded = 0;
  /** packets skipped: unsupported link type or a link header too short */
  skipped = 0;

  /**
   * Told of every event as it is counted (EVE's decoder `anomaly` lines); null when nobody listens. Called from
   * inside the decoder, so it must not throw and must not keep the packet.
   */
  onEvent: ((name: DecodeEvent) => void) | null = null;

  /** Count one occurrence of a named event. */
  event(name: DecodeEvent): void {
    const i = INDEX.get(name);
    if (i !== undefined) this.counts[i]++;
    if (this.onEvent !== null) this.onEvent(name);
  }

  /** How often an event was counted. */
  count(name: DecodeEvent): number {
    const i = INDEX.get(name);
    return i === undefined ? 0 : this.counts[i];
  }

  /** Total of all events. */
  totalEvents(): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) n += this.counts[i];
    return n;
  }

  /** Add another instance's counts into this one (several capture sources, one report). */
  add(other: DecodeStats): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.decoded += other.decoded;
    this.skipped += other.skipped;
  }

  reset(): void {
    this.counts.fill(0);
    this.decoded = 0;
    this.skipped = 0;
  }

  /**
   * `{ decoded, skipped, events: { name: count } }` with only non-zero events, in DECODE_EVENTS order so the
   * output is stable across runs.
   */
  toJSON(): { decoded: number; skipped: number; events: Partial<Record<DecodeEvent, number>> } {
    const events: Partial<Record<DecodeEvent, number>> = {};
    for (let i = 0; i < DECODE_EVENTS.length; i++) if (this.counts[i] > 0) events[DECODE_EVENTS[i]] = this.counts[i];
    return { decoded: this.decoded, skipped: this.skipped, events };
  }
}
