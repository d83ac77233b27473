/**
 * The decoded view of one captured frame.
 *
 * One `Packet` object is allocated per capture source and reused for every frame: decoders overwrite its
 * fields in place, so the per-packet path allocates nothing for Ethernet/IP/TCP/UDP/ICMP. Application-layer
 * fields (`dns`, `dhcp`, `tlsSni`, `httpHost`) are only allocated for the few packets that carry them.
 *
 * Ownership: `buf` belongs to the capture source and is only valid during the callback that delivered the
 * packet. Anything kept beyond that (a MAC, a DNS name) must be copied out — numbers and strings already are.
 */

/** Link-layer header types (LINKTYPE_* from the tcpdump.org registry) the decoder understands. */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte host-order address family
  ETHERNET: 1,
  PPP: 9, // PPP, with or without HDLC-like framing (ppp.ts)
  PPP_SERIAL: 50, // LINKTYPE_PPP_HDLC: PPP in HDLC-like framing, or Cisco HDLC
  RAW: 101, // raw IPv4 or IPv6, version from the first nibble
  IEEE802_11: 105, // 802.11 frames of a monitor-mode capture (ieee80211.ts)
  LOOP: 108, // OpenBSD loopback: 4-byte network-order address family
  LINUX_SLL: 113, // Linux cooked capture v1
  IEEE802_11_RADIOTAP: 127, // radiotap header, then an 802.11 frame
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276, // Linux cooked capture v2
} as const;

/**
 * Value of `Packet.fragment`. With reassembly (decode.fragments.reassemble, reassembly.ts) a fragment is HELD
 * and the datagram it completes is decoded as one whole packet (NONE); without it, FIRST and LATER.
 */
export const Fragment = {
  /** a whole datagram: not fragmented, or reassembled from its fragments */
  NONE: 0,
  /** offset 0 with more-fragments set: the L4 header is present */
  FIRST: 1,
  /** offset > 0: no L4 header, ports are 0 */
  LATER: 2,
  /** taken by the reassembler (or refused by it): not a packet of any flow; its datagram counts when complete */
  HELD: 3,
} as const;

/**
 * Value of `Packet.tunnel`: the encapsulation a packet's payload is (another packet inside), as Zeek's
 * Tunnel::Type names them. TUNNEL_NAMES holds the names records and logs use.
 */
export const Tunnel = {
  NONE: 0,
  /** IP-in-IP: IP protocol 4 (IPv4 inside) or 41 (IPv6 inside), over IPv4 or IPv6 (4in4, 6in4, 4in6, 6in6) */
  IP: 1,
  /** GRE (IP protocol 47, or UDP 4754): IPv4, IPv6, Ethernet (0x6558), MPLS; version 1 is PPTP's enhanced GRE */
  GRE: 2,
  /** ERSPAN type I, II (GRE 0x88be) and III (GRE 0x22eb): mirrored Ethernet frames */
  ERSPAN: 3,
  /** VXLAN (UDP 4789): Ethernet */
  VXLAN: 4,
  /** Geneve (UDP 6081): Ethernet, IPv4 or IPv6 */
  GENEVE: 5,
  /** Teredo (UDP 3544): IPv6 */
  TEREDO: 6,
  /** GTP-U, GTPv1 user plane (UDP 2152): IPv4 or IPv6 */
  GTPV1: 7,
  /** AYIYA (UDP 5072): IPv4 or IPv6 */
  AYIYA: 8,
} as const;

export const TUNNEL_NAMES = ['', 'ip', 'gre', 'erspan', 'vxlan', 'geneve', 'teredo', 'gtpv1', 'ayiya'] as const;
export type TunnelName = Exclude<(typeof TUNNEL_NAMES)[number], ''>;

/** TCP flag bits as they appear in byte 13 of the TCP header (plus NS from byte 12 shifted to bit 8). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export interface ArpInfo {
  /** 1 request, 2 reply */
  op: number;
  senderMac: number;
  senderIp: number;
  targetMac: number;
  targetIp: number;
}

export interface DnsAnswer {
  name: string;
  /** RR type: 1 A, 28 AAAA, 5 CNAME, 16 TXT, 10 NULL, … */
  type: number;
  ttl: number;
  /** dotted IPv4, compressed IPv6, or a target name for CNAME; '' for types whose data is not decoded */
  data: string;
}

export interface DnsMessage {
  id: number;
  /** true for a response (QR bit) */
  response: boolean;
  opcode: number;
  rcode: number;
  /** first question; '' when the message has none */
  qname: string;
  qtype: number;
  qclass: number;
  answers: DnsAnswer[];
  /** sent to or from UDP port 5353 */
  mdns: boolean;
}

export interface DhcpInfo {
  /** DHCP message type (option 53): 1 DISCOVER, 3 REQUEST, 5 ACK, … ; 0 when absent (BOOTP) */
  messageType: number;
  /** BOOTP op: 1 request, 2 reply */
  op: number;
  xid: number;
  /** client hardware address (chaddr) as a 48-bit number */
  clientMac: number;
  /** dotted quad, '' when 0.0.0.0 */
  clientIp: string;
  yourIp: string;
  /** option 50 */
  requestedIp: string | null;
  /** option 12 */
  hostname: string | null;
  /** option 60 */
  vendorClass: string | null;
  /** option 55, in order: the DHCP fingerprint */
  paramRequestList: number[] | null;
  /** option 61, hex */
  clientId: string | null;
}

export class Packet {
  // ---- capture -------------------------------------------------------------------------------------------
  /** packet time, integer microseconds since the Unix epoch */
  tsUs = 0;
  /** bytes captured (length of the valid part of `buf`) */
  caplen = 0;
  /** bytes on the wire */
  wirelen = 0;
  /** LinkType of the interface the frame came from */
  linkType: number = LinkType.ETHERNET;
  /** interface index within the capture (pcapng interface id; 0 otherwise) */
  ifIndex = 0;
  /** frame bytes; valid only during the delivering callback. Frame starts at `bufOffset`. */
  buf: Buffer = EMPTY;
  bufOffset = 0;

  // ---- link layer ----------------------------------------------------------------------------------------
  /** 48-bit MAC addresses as numbers; -1 when the link type has none */
  srcMac = -1;
  dstMac = -1;
  /** outer and inner 802.1Q/802.1ad VLAN ids; 0 = none */
  vlan = 0;
  vlanInner = 0;
  /** EtherType of the L3 payload after VLAN tags (0x0800, 0x86dd, 0x0806, …) */
  etherType = 0;

  // ---- network layer -------------------------------------------------------------------------------------
  /** 0 = no IP header decoded, 4 or 6 */
  ipVersion = 0;
  /**
   * Addresses as four 32-bit big-endian words. IPv4 is stored IPv4-mapped (0, 0, 0xffff, addr) so every
   * address has one width; `ipVersion` tells the families apart. Overwritten in place for every packet.
   */
  readonly srcAddr = new Uint32Array(4);
  readonly dstAddr = new Uint32Array(4);
  /** IP protocol number (IPv6: the upper-layer protocol after the extension-header chain) */
  ipProto = 0;
  /** IPv4 TTL / IPv6 hop limit */
  ttl = 0;
  /** IPv4 total length / IPv6 40 + payload length, as declared in the header */
  ipLen = 0;
  ipId = 0;
  fragment: number = Fragment.NONE;

  // ---- transport layer -----------------------------------------------------------------------------------
  /** true when a TCP/UDP/ICMP/ICMPv6 header was decoded */
  l4 = false;
  srcPort = 0;
  dstPort = 0;
  /** TcpFlag bits; 0 for non-TCP */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** MSS option value, -1 when absent */
  tcpMss = -1;
  /** window-scale shift, -1 when absent */
  tcpWscale = -1;
  icmpType = -1;
  icmpCode = -1;
  /** offset of the L4 payload in `buf` */
  payloadOffset = 0;
  /** L4 payload length as declared by the IP/UDP headers (may exceed what was captured) */
  payloadLen = 0;
  /** L4 payload bytes actually present in `buf` from `payloadOffset` */
  payloadCaptured = 0;

  // ---- application layer (allocated only when present) ---------------------------------------------------
  arp: ArpInfo | null = null;
  dns: DnsMessage | null = null;
  dhcp: DhcpInfo | null = null;
  tlsSni: string | null = null;
  httpHost: string | null = null;
  /** SSH identification line ("SSH-2.0-OpenSSH_9.2p1"), from a TCP payload that starts with "SSH-" */
  sshVersion: string | null = null;
  /** a login service's clear-text answer in this segment: AuthReply (auth-reply.ts), 0 when none */
  authReply = 0;

  // ---- tunnels (decode/tunnel.ts) ------------------------------------------------------------------------
  /**
   * Tunnel.* when the payload is a packet in an encapsulation the decoder recognised, else 0. Only then are
   * the other tunnel* fields meaningful: they are written together with it and not cleared by reset().
   */
  tunnel = 0;
  /** where the encapsulated packet starts in `buf`, the end of its bytes present, and the end its carrier declares */
  tunnelOffset = 0;
  tunnelEnd = 0;
  tunnelDeclEnd = 0;
  /** what the encapsulated packet begins with, as an EtherType: 0x0800 / 0x86dd IP, 0x6558 Ethernet, 0x8847 MPLS, … */
  tunnelProto = 0;
  /** VXLAN/Geneve VNI, GRE key (PPTP call id), GTP TEID or ERSPAN session id; -1 when the header has none */
  tunnelKey = -1;
  /** tunnels around this packet: 0 for a packet as captured, 1 for one inside a tunnel, … (set by decodeTunnelled) */
  depth = 0;
  /** the packet this one was carried in (depth > 0), else null */
  outer: Packet | null = null;
  /** the flow-table slot and flow id of `outer`'s flow (set by addWithTunnels, flow/tunnel-flows.ts); -1 and 0 when none */
  outerSlot = -1;
  outerFlowId = 0;

  /** Clear every decoded field before the next frame is decoded into this object. */
  reset(): void {
    this.srcMac = -1;
    this.dstMac = -1;
    this.vlan = 0;
    this.vlanInner = 0;
    this.etherType = 0;
    this.ipVersion = 0;
    this.ipProto = 0;
    this.ttl = 0;
    this.ipLen = 0;
    this.ipId = 0;
    this.fragment = Fragment.NONE;
    this.l4 = false;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.tcpMss = -1;
    this.tcpWscale = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.payloadOffset = 0;
    this.payloadLen = 0;
    this.payloadCaptured = 0;
    if (this.arp !== null) this.arp = null;
    if (this.dns !== null) this.dns = null;
    if (this.dhcp !== null) this.dhcp = null;
    if (this.tlsSni !== null) this.tlsSni = null;
    if (this.httpHost !== null) this.httpHost = null;
    if (this.sshVersion !== null) this.sshVersion = null;
    this.authReply = 0;
    this.tunnel = 0;
  }
}

const EMPTY = Buffer.alloc(0);
