/**
 * ICMP for IPv4 (RFC 792): type and code. Ports stay 0; the body after the 8-byte header (echo data, or
 * the quoted packet of an error) is the payload.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

export const ICMP_HLEN = 8;

/** Sets icmpType/icmpCode and the payload bounds, pkt.l4 = true; false when fewer than 8 bytes. */
export function decodeIcmp(pkt: Packet, stats: DecodeStats, cur: Cursor): boolean {
  if (cur.end - cur.off < ICMP_HLEN) {
    stats.event('decoder.icmpv4.pkt_too_small');
    return false;
  }
  setIcmpFields(pkt, cur);
  return true;
}

/** Shared with ICMPv6, whose header has the same type/code/checksum/4-byte layout. */
export function setIcmpFields(pkt: Packet, cur: Cursor): void {
  const o = cur.off;
  pkt.icmpType = pkt.buf[o];
  pkt.icmpCode = pkt.buf[o + 1];
  const po = o + ICMP_HLEN;
  pkt.payloadOffset = po;
  pkt.payloadLen = cur.declEnd > po ? cur.declEnd - po : 0;
  pkt.payloadCaptured = cur.end > po ? cur.end - po : 0;
  pkt.l4 = true;
}
