/**
 * Linux cooked capture (the "any" device, and interfaces without a link-layer header).
 *
 * v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type, ARPHRD type, address length, 8 address bytes, protocol.
 * v2 (LINKTYPE_LINUX_SLL2, 20 bytes): protocol, reserved, interface index, ARPHRD type, packet type,
 * address length, 8 address bytes.
 * The address is the sender's link-layer address; for Ethernet-like devices it becomes pkt.srcMac.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readMac } from './cursor.js';

export const SLL_HLEN = 16;
export const SLL2_HLEN = 20;
/** ARPHRD types whose 6-byte address is a MAC */
const ARPHRD_ETHER = 1;
const ARPHRD_IEEE80211 = 801;

function protocolOrStop(proto: number): number {
  // below 0x0600 the field holds a Linux pseudo-protocol (ETH_P_802_2, ETH_P_CAN, …), not an EtherType
  return proto >= 0x0600 ? proto : -1;
}

/** Returns the EtherType (cur.off past the header), -1 for non-EtherType payloads, -2 when cut off. */
export function decodeSll(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < SLL_HLEN) {
    stats.event('decoder.sll.pkt_too_small');
    return -2;
  }
  const arphrd = (buf[o + 2] << 8) | buf[o + 3];
  const alen = (buf[o + 4] << 8) | buf[o + 5];
  if (alen === 6 && (arphrd === ARPHRD_ETHER || arphrd === ARPHRD_IEEE80211)) pkt.srcMac = readMac(buf, o + 6);
  cur.off = o + SLL_HLEN;
  return protocolOrStop((buf[o + 14] << 8) | buf[o + 15]);
}

/** As decodeSll, for the v2 header (its interface index is left to the capture: pkt.ifIndex is the pcapng interface). */
export function decodeSll2(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < SLL2_HLEN) {
    stats.event('decoder.sll2.pkt_too_small');
    return -2;
  }
  const arphrd = (buf[o + 8] << 8) | buf[o + 9];
  const alen = buf[o + 11];
  if (alen === 6 && (arphrd === ARPHRD_ETHER || arphrd === ARPHRD_IEEE80211)) pkt.srcMac = readMac(buf, o + 12);
  cur.off = o + SLL2_HLEN;
  return protocolOrStop((buf[o] << 8) | buf[o + 1]);
}
