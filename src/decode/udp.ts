/**
 * UDP header (RFC 768). The checksum is not verified (NIC offload makes it unreliable in captures).
 */
import { Fragment, type Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

export const UDP_HLEN = 8;

/**
 * Decode the UDP header at cur.off: ports and payload bounds, pkt.l4 = true. A length field below 8 or
 * above the IP payload length (except in a first fragment) is counted and the datagram left undecoded
 * (pkt.l4 false).
 */
export function decodeUdp(pkt: Packet, stats: DecodeStats, cur: Cursor): boolean {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < UDP_HLEN) {
    stats.event('decoder.udp.pkt_too_small');
    return false;
  }
  let ulen = (buf[o + 4] << 8) | buf[o + 5];
  const ipPayload = cur.declEnd - o;
  // 0 is legal only for IPv6 jumbograms (RFC 2675): the length then comes from the IP layer
  if (ulen === 0 && pkt.ipVersion === 6 && ipPayload > 0xffff) ulen = ipPayload;
  if (ulen < UDP_HLEN || (ulen > ipPayload && pkt.fragment !== Fragment.FIRST)) {
    stats.event('decoder.udp.len_invalid');
    return false;
  }
  // A first fragment carries the header of the whole datagram: its length covers fragments still to come,
  // so this packet's part ends where the IP payload does.
  if (ulen > ipPayload) ulen = ipPayload;
  pkt.srcPort = (buf[o] << 8) | buf[o + 1];
  pkt.dstPort = (buf[o + 2] << 8) | buf[o + 3];
  const po = o + UDP_HLEN;
  const end = o + ulen < cur.end ? o + ulen : cur.end;
  pkt.payloadOffset = po;
  pkt.payloadLen = ulen - UDP_HLEN;
  pkt.payloadCaptured = end > po ? end - po : 0;
  pkt.l4 = true;
  return true;
}
