/**
 * ARP (RFC 826) for Ethernet/IPv4. Fills pkt.arp — allocated, as ARP is rare next to IP traffic.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readMac, readU32 } from './cursor.js';

export const ARP_HLEN = 8;
export const ARP_ETH_IPV4_LEN = 28;

/** Always returns -1 (ARP ends the chain); pkt.arp is set when the packet is Ethernet/IPv4 ARP. */
export function decodeArp(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  const avail = cur.end - o;
  if (avail < ARP_HLEN) {
    stats.event('decoder.arp.pkt_too_small');
    return -1;
  }
  const ptype = (buf[o + 2] << 8) | buf[o + 3];
  if (buf[o + 4] !== 6 || buf[o + 5] !== 4 || ptype !== 0x0800) {
    stats.event('decoder.arp.unsupported');
    return -1;
  }
  if (avail < ARP_ETH_IPV4_LEN) {
    stats.event('decoder.arp.pkt_too_small');
    return -1;
  }
  pkt.arp = {
    op: (buf[o + 6] << 8) | buf[o + 7],
    senderMac: readMac(buf, o + 8),
    senderIp: readU32(buf, o + 14),
    targetMac: readMac(buf, o + 18),
    targetIp: readU32(buf, o + 24),
  };
  return -1;
}
