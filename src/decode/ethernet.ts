/**
 * Ethernet II, 802.1Q / 802.1ad (QinQ) VLAN tags, 802.1ah provider backbone bridging (MAC-in-MAC), and the
 * data-centre encapsulations Zeek decodes: Cisco FabricPath (MAC-in-MAC) and VN-Tag (802.1Qbh, a tag).
 *
 * `decodeEthernet` reads the MACs and returns the EtherType; VLAN tags are their own entry in the EtherType
 * table (decode.ts), so a tag found behind PPPoE or MPLS pseudowires decodes the same way.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readMac } from './cursor.js';

export const ETHERNET_HLEN = 14;
/** Tag protocol identifiers: 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ TPID. */
export const TPID_8021Q = 0x8100;
export const TPID_8021AD = 0x88a8;
export const TPID_QINQ_OLD = 0x9100;
/** At most this many VLAN tags are followed (QinQ); deeper stacks are counted and not decoded. */
export const MAX_VLAN_TAGS = 2;

/**
 * Decode an Ethernet II header at cur.off. Returns the EtherType (cur.off moved past the header), -1 when
 * the frame carries no EtherType this decoder follows (802.3 length field: LLC/STP), or -2 when the header
 * is cut off (link layer not decoded).
 */
export function decodeEthernet(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < ETHERNET_HLEN) {
    stats.event('decoder.ethernet.pkt_too_small');
    return -2;
  }
  pkt.dstMac = readMac(buf, o);
  pkt.srcMac = readMac(buf, o + 6);
  const type = (buf[o + 12] << 8) | buf[o + 13];
  cur.off = o + ETHERNET_HLEN;
  // values up to 1500 are an 802.3 length, followed by LLC (spanning tree, NetBIOS): nothing to decode
  return type >= 0x0600 ? type : -1;
}

/**
 * Decode one VLAN tag at cur.off: the first sets pkt.vlan, the second pkt.vlanInner. Returns the
 * encapsulated EtherType, or -1 when the tag is cut off, the stack is deeper than MAX_VLAN_TAGS, or an
 * 802.3 length (LLC) follows.
 */
export function decodeVlan(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < 4) {
    stats.event('decoder.vlan.hlen_too_small');
    return -1;
  }
  if (cur.vlanDepth >= MAX_VLAN_TAGS) {
    stats.event('decoder.vlan.too_many_layers');
    return -1;
  }
  const id = ((buf[o] << 8) | buf[o + 1]) & 0xfff;
  if (cur.vlanDepth === 0) pkt.vlan = id;
  else pkt.vlanInner = id;
  cur.vlanDepth++;
  cur.off = o + 4;
  const type = (buf[o + 2] << 8) | buf[o + 3];
  return type >= 0x0600 ? type : -1; // an 802.3 length inside the tag: LLC follows
}

/** 802.1ah I-TAG (4) + customer destination and source MACs (12) + EtherType (2) */
export const PBB_HLEN = 18;

/**
 * Decode an 802.1ah I-TAG and the customer frame behind it. The customer MACs replace the backbone ones:
 * they name the devices, the backbone MACs only the provider's bridges. Returns the customer EtherType.
 */
export function decodePbb(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  if (cur.end - cur.off < PBB_HLEN) {
    stats.event('decoder.pbb.pkt_too_small');
    return -1;
  }
  cur.off += 4;
  return decodeEthernet(pkt, stats, cur);
}

/** FabricPath: outer destination and source (12), EtherType 0x8903 (2), FTag and TTL (2), then the frame */
export const ETHERTYPE_FABRICPATH = 0x8903;
const FABRICPATH_TAG_REST = 2;

/**
 * Decode the rest of a Cisco FabricPath header (cur.off just past its EtherType) and the classic Ethernet
 * frame it carries, as Zeek's Ethernet analyzer does. As with PBB, the inner MACs replace the outer ones:
 * those are the switches' FabricPath addresses. Returns the inner EtherType, or -1 when cut off.
 */
export function decodeFabricPath(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  if (cur.end - cur.off < FABRICPATH_TAG_REST + ETHERNET_HLEN) {
    stats.event('decoder.fabricpath.pkt_too_small');
    return -1;
  }
  cur.off += FABRICPATH_TAG_REST;
  return decodeEthernet(pkt, stats, cur);
}

/** VN-Tag: direction/pointer/destination VIF (2), looped/source VIF (2), then the next EtherType */
export const ETHERTYPE_VNTAG = 0x8926;
const VNTAG_HLEN = 6;

/**
 * Skip a VN-Tag (Cisco's interface virtualisation tag, EtherType 0x8926) as Zeek's VNTag analyzer does.
 * The virtual interface ids are not kept: they name ports of one fabric extender, not the traffic's VLAN.
 * Returns the EtherType behind the tag, or -1 when cut off or when an 802.3 length follows.
 */
export function decodeVnTag(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < VNTAG_HLEN) {
    stats.event('decoder.vntag.pkt_too_small');
    return -1;
  }
  cur.off = o + VNTAG_HLEN;
  const type = (buf[o + 4] << 8) | buf[o + 5];
  return type >= 0x0600 ? type : -1;
}
