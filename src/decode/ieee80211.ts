/**
 * Wireless monitor captures: IEEE 802.11 frames (LINKTYPE_IEEE802_11, 105), optionally behind a radiotap
 * header (LINKTYPE_IEEE802_11_RADIOTAP, 127). Only data frames carry packets: their body is LLC/SNAP
 * (RFC 1042) with an EtherType, decoded from there on as Ethernet's would be.
 *
 * The rules are Zeek's IEEE802_11 and IEEE802_11_Radio packet analyzers:
 * - management, control and extension frames, and the data subtypes without a body (Null, QoS Null,
 *   CF-Ack/Poll alone) are counted (decoder.ieee80211.no_data) and not decoded further;
 * - the To-DS/From-DS flags say which address field is which (srcMac, dstMac below) and whether a fourth
 *   address follows the sequence control;
 * - a QoS data subtype has a 2-byte QoS control field; its A-MSDU bit means the body is a list of
 *   subframes (destination, source, length, then LLC/SNAP);
 * - a protected frame's body is encrypted (WEP, TKIP, CCMP, GCMP): counted (decoder.ieee80211.protected),
 *   not decoded. Zeek only checks the bit on QoS frames and fails on the LLC header of the others.
 * Beyond Zeek: the +HTC field (802.11n: Order bit on a QoS data frame) is skipped, the radiotap FCS flag
 * cuts the frame check sequence off the end, and 802.1H bridge-tunnel SNAP (OUI 00-00-f8) is followed too.
 * Every Packet carries one packet, so of an A-MSDU only the first subframe is decoded; the others are
 * counted (decoder.ieee80211.amsdu_partial).
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readMac } from './cursor.js';

/** the shortest frame worth a look: frame control, duration and one address (an ACK) */
const MIN_FRAME = 10;
/** frame control, duration, three addresses, sequence control */
const DATA_HLEN = 24;
const TYPE_DATA = 2;
const FLAG_TO_DS = 0x01;
const FLAG_FROM_DS = 0x02;
const FLAG_PROTECTED = 0x40;
const FLAG_ORDER = 0x80;
/** subtype bits: QoS (0x8) and "no data" (0x4: Null, CF-Ack/Poll without data, QoS Null) */
const SUBTYPE_QOS = 0x08;
const SUBTYPE_NO_DATA = 0x04;
/** QoS control, first byte: A-MSDU present */
const QOS_AMSDU = 0x80;
/** LLC DSAP/SSAP 0xaa (SNAP), control 0x03 (unnumbered information), OUI, EtherType */
const LLC_SNAP_LEN = 8;
/** A-MSDU subframe header: destination, source, length */
const AMSDU_HLEN = 14;

/**
 * Decode an 802.11 frame at cur.off. Returns the EtherType of the data frame's payload (cur moved onto it),
 * -1 when the frame carries none this decoder can reach (counted), -2 when the header is cut off.
 */
export function decodeIeee80211(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  const len = cur.end - o;
  if (len < MIN_FRAME) {
    stats.event('decoder.ieee80211.pkt_too_small');
    return -2;
  }
  const fc = buf[o];
  const flags = buf[o + 1];
  if ((fc & 0x03) !== 0) {
    // the protocol version has only ever been 0: anything else is not 802.11 as we know it
    stats.event('decoder.ieee80211.wrong_version');
    return -2;
  }
  const subtype = fc >> 4;
  if (((fc >> 2) & 0x03) !== TYPE_DATA || (subtype & SUBTYPE_NO_DATA) !== 0) {
    stats.event('decoder.ieee80211.no_data');
    return -1;
  }
  const ds = flags & (FLAG_TO_DS | FLAG_FROM_DS);
  const qos = (subtype & SUBTYPE_QOS) !== 0;
  let hlen = DATA_HLEN;
  if (ds === (FLAG_TO_DS | FLAG_FROM_DS)) hlen += 6;
  const qosAt = o + hlen;
  if (qos) {
    hlen += 2;
    if ((flags & FLAG_ORDER) !== 0) hlen += 4;
  }
  if (len < hlen) {
    stats.event('decoder.ieee80211.pkt_too_small');
    return -2;
  }
  // addresses 1 (receiver) at 4, 2 (transmitter) at 10, 3 at 16, 4 at 24: which is source and destination
  switch (ds) {
    case 0: // station to station, or management-like traffic inside one BSS
      pkt.srcMac = readMac(buf, o + 10);
      pkt.dstMac = readMac(buf, o + 4);
      break;
    case FLAG_TO_DS: // station to the access point: address 3 is the final destination
      pkt.srcMac = readMac(buf, o + 10);
      pkt.dstMac = readMac(buf, o + 16);
      break;
    case FLAG_FROM_DS: // access point to station: address 3 is the original source
      pkt.srcMac = readMac(buf, o + 16);
      pkt.dstMac = readMac(buf, o + 4);
      break;
    default: // wireless distribution system (four addresses)
      pkt.srcMac = readMac(buf, o + 24);
      pkt.dstMac = readMac(buf, o + 16);
  }
  if ((flags & FLAG_PROTECTED) !== 0) {
    stats.event('decoder.ieee80211.protected');
    return -1;
  }
  cur.off = o + hlen;
  if (qos && (buf[qosAt] & QOS_AMSDU) !== 0) return firstAmsduSubframe(pkt, stats, cur);
  return llcSnap(pkt, stats, cur);
}

/** The first subframe of an A-MSDU: its own addresses, its LLC/SNAP header, cur.end cut at its length. */
function firstAmsduSubframe(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < AMSDU_HLEN) {
    stats.event('decoder.ieee80211.pkt_too_small');
    return -1;
  }
  const sublen = (buf[o + 12] << 8) | buf[o + 13];
  const subEnd = o + AMSDU_HLEN + sublen;
  if (subEnd > cur.end && pkt.caplen >= pkt.wirelen) {
    // the subframe says more bytes than the frame has, and no snap length cut it: a lie
    stats.event('decoder.ieee80211.pkt_too_small');
    return -1;
  }
  pkt.dstMac = readMac(buf, o);
  pkt.srcMac = readMac(buf, o + 6);
  // each subframe but the last is padded to a multiple of 4
  if (subEnd + ((4 - (sublen % 4)) % 4) < cur.end) stats.event('decoder.ieee80211.amsdu_partial');
  if (subEnd < cur.end) cur.end = subEnd;
  if (subEnd < cur.declEnd) cur.declEnd = subEnd;
  cur.off = o + AMSDU_HLEN;
  return llcSnap(pkt, stats, cur);
}

/** RFC 1042 SNAP (OUI 0) or 802.1H bridge tunnel (OUI 00-00-f8) at cur.off: the EtherType behind it. */
function llcSnap(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < LLC_SNAP_LEN) {
    stats.event('decoder.ieee80211.pkt_too_small');
    return -1;
  }
  if (buf[o] !== 0xaa || buf[o + 1] !== 0xaa || buf[o + 2] !== 0x03 || buf[o + 3] !== 0 || buf[o + 4] !== 0 || (buf[o + 5] !== 0 && buf[o + 5] !== 0xf8)) {
    // plain LLC (spanning tree, NetBIOS, …) or another organisation's protocol: no EtherType to follow
    stats.event('decoder.ieee80211.llc_not_snap');
    return -1;
  }
  cur.off = o + LLC_SNAP_LEN;
  return (buf[o + 6] << 8) | buf[o + 7];
}

/** radiotap: version (0), pad, length (little-endian, whole header), present bitmap(s) */
const RADIOTAP_MIN = 8;
/** present bits: TSFT (8 bytes, aligned to 8), Flags (1 byte), and "another bitmap follows" */
const RT_TSFT = 0x1;
const RT_FLAGS = 0x2;
const RT_EXT = 0x80000000;
/** Flags field: the frame ends with its 4-byte FCS */
const RT_FLAG_FCS = 0x10;

/**
 * Skip a radiotap header (its length field, as Zeek does) and decode the 802.11 frame behind it. The FCS
 * flag, when the Flags field is present, cuts the frame check sequence off the end. Returns as
 * decodeIeee80211; -2 when the radiotap header itself is cut off or shorter than its fixed part.
 */
export function decodeRadiotap(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < RADIOTAP_MIN) {
    stats.event('decoder.radiotap.pkt_too_small');
    return -2;
  }
  const rtlen = buf[o + 2] | (buf[o + 3] << 8);
  if (rtlen < RADIOTAP_MIN || rtlen > cur.end - o) {
    stats.event('decoder.radiotap.pkt_too_small');
    return -2;
  }
  const present = (buf[o + 4] | (buf[o + 5] << 8) | (buf[o + 6] << 16) | (buf[o + 7] << 24)) >>> 0;
  if ((present & RT_FLAGS) !== 0) {
    // the fields start after the last present bitmap (bit 31: another one follows), each aligned to its size
    let f = 8;
    for (let w = present; (w & RT_EXT) !== 0 && f + 4 <= rtlen; f += 4) {
      w = (buf[o + f] | (buf[o + f + 1] << 8) | (buf[o + f + 2] << 16) | (buf[o + f + 3] << 24)) >>> 0;
    }
    if ((present & RT_TSFT) !== 0) f = ((f + 7) & ~7) + 8;
    if (f < rtlen && (buf[o + f] & RT_FLAG_FCS) !== 0) {
      // the FCS is the last 4 bytes on the wire; a snap length may have cut it off already
      const fcsAt = pkt.bufOffset + pkt.wirelen - 4;
      if (cur.end > fcsAt) cur.end = fcsAt;
      if (cur.declEnd > fcsAt) cur.declEnd = fcsAt;
    }
  }
  cur.off = o + rtlen;
  return decodeIeee80211(pkt, stats, cur);
}
