/**
 * ICMPv6 (RFC 4443) including neighbour discovery (RFC 4861, types 133–137): type and code; the message
 * body after the 8-byte header is the payload.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';
import { ICMP_HLEN, setIcmpFields } from './icmp.js';

/** Sets icmpType/icmpCode and the payload bounds, pkt.l4 = true; false when fewer than 8 bytes. */
export function decodeIcmpv6(pkt: Packet, stats: DecodeStats, cur: Cursor): boolean {
  if (cur.end - cur.off < ICMP_HLEN) {
    stats.event('decoder.icmpv6.pkt_too_small');
    return false;
  }
  setIcmpFields(pkt, cur);
  return true;
}
