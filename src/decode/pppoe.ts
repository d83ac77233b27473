/**
 * PPPoE session stage (RFC 2516, EtherType 0x8864) carrying PPP (RFC 1661): IPv4 and IPv6 are followed;
 * PPP control protocols (LCP, IPCP, authentication) are counted and not decoded. Discovery frames
 * (EtherType 0x8863) carry no IP and are not decoded either (decode.ts maps them to a no-op).
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

/** PPPoE header (6) + PPP protocol field (2) */
export const PPPOE_HLEN = 8;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** Returns 0x0800/0x86dd with cur past the PPP header and cur.end cut to the PPPoE length; else -1. */
export function decodePppoeSession(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < PPPOE_HLEN) {
    stats.event('decoder.pppoe.pkt_too_small');
    return -1;
  }
  if (buf[o + 1] !== 0) {
    stats.event('decoder.pppoe.wrong_code');
    return -1;
  }
  const len = (buf[o + 4] << 8) | buf[o + 5];
  if (len < 2) {
    stats.event('decoder.pppoe.pkt_too_small');
    return -1;
  }
  // the PPPoE length excludes Ethernet padding; IP checks its own length against what is present
  if (o + 6 + len < cur.end) cur.end = o + 6 + len;
  const proto = (buf[o + 6] << 8) | buf[o + 7];
  cur.off = o + PPPOE_HLEN;
  if (proto === PPP_IPV4) return 0x0800;
  if (proto === PPP_IPV6) return 0x86dd;
  stats.event('decoder.pppoe.unsupported_proto');
  return -1;
}

/** Discovery stage: nothing to decode, and not an unknown EtherType either. */
export function decodePppoeDiscovery(): number {
  return -1;
}
