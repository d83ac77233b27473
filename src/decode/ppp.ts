/**
 * PPP as a capture's link type (RFC 1661): LINKTYPE_PPP (9), and LINKTYPE_PPP_HDLC (50, "PPP serial"),
 * which also holds Cisco HDLC frames (RFC 1547 4.3.1). PPP inside PPPoE is pppoe.ts, inside PPTP's GRE
 * tunnel.ts.
 *
 * As Zeek's PPP and PPPSerial packet analyzers: IPv4 (0x0021), IPv6 (0x0057) and MPLS (0x0281, 0x0283)
 * are followed; the control protocols (LCP, IPCP, IPV6CP, authentication, …) carry no IP and are counted
 * (decoder.ppp.unsupported_proto), the frame still decoded as far as its link layer.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MCAST = 0x8848;

/**
 * A PPP protocol number as the EtherType of the same payload, or -1 (counted) for one that carries no IP.
 * cur.off is already past the protocol field.
 */
function pppProtocol(stats: DecodeStats, proto: number): number {
  switch (proto) {
    case 0x0021:
      return ETH_IPV4;
    case 0x0057:
      return ETH_IPV6;
    case 0x0281:
      return ETH_MPLS;
    case 0x0283:
      return ETH_MPLS_MCAST;
    default:
      stats.event('decoder.ppp.unsupported_proto');
      return -1;
  }
}

/**
 * LINKTYPE_PPP: the frame begins with the PPP header, after an address/control pair 0xff 0x03 when the
 * link kept its HDLC-like framing (RFC 1662). The protocol field is 2 bytes, or 1 when the peers agreed
 * on protocol-field compression: protocol numbers have an even first byte and an odd second, so an odd
 * first byte is a compressed field (Zeek reads 2 bytes always and loses those frames). Returns the
 * payload's EtherType, -1 for a control protocol, -2 when the header is cut off.
 */
export function decodePpp(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  let o = cur.off;
  if (cur.end - o >= 2 && buf[o] === 0xff && buf[o + 1] === 0x03) o += 2;
  if (cur.end - o < 1 || ((buf[o] & 1) === 0 && cur.end - o < 2)) {
    stats.event('decoder.ppp.pkt_too_small');
    return -2;
  }
  let proto = buf[o];
  if ((proto & 1) === 0) {
    proto = (proto << 8) | buf[o + 1];
    o += 2;
  } else {
    o += 1;
  }
  cur.off = o;
  return pppProtocol(stats, proto);
}

/** Cisco HDLC's address byte: 0x0f unicast, 0x8f broadcast (PPP in HDLC-like framing has 0xff). */
const CHDLC_UNICAST = 0x0f;
const CHDLC_BROADCAST = 0x8f;

/**
 * LINKTYPE_PPP_HDLC: address, control, then a 2-byte protocol (Zeek's PPPSerial). With Cisco's address byte
 * the protocol is an EtherType (Cisco HDLC) and is followed as such; otherwise it is PPP's. Returns the
 * payload's EtherType, -1 for a protocol without IP, -2 when the 4-byte header is cut off.
 */
export function decodePppSerial(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < 4) {
    stats.event('decoder.ppp.pkt_too_small');
    return -2;
  }
  const proto = (buf[o + 2] << 8) | buf[o + 3];
  cur.off = o + 4;
  const addr = buf[o];
  if (addr === CHDLC_UNICAST || addr === CHDLC_BROADCAST) {
    if (proto >= 0x0600) return proto;
    stats.event('decoder.ppp.unsupported_proto');
    return -1;
  }
  return pppProtocol(stats, proto);
}
