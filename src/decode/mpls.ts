/**
 * MPLS label stack (RFC 3032, EtherTypes 0x8847 unicast / 0x8848 multicast). The payload type is not in
 * the header: after the bottom-of-stack label the first nibble says IPv4 (4) or IPv6 (6); 0 is a
 * pseudowire control word (RFC 4385) followed by an Ethernet frame.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

/** Deepest label stack followed; real networks use 1–4 labels. */
export const MAX_MPLS_LABELS = 8;
/** Pseudo-EtherType "Transparent Ethernet Bridging": decode.ts maps it to an inner Ethernet decoder. */
export const ETHERTYPE_TEB = 0x6558;

/** Returns the EtherType of the payload with cur.off past the stack, or -1. */
export function decodeMpls(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  let o = cur.off;
  for (let n = 0; ; n++) {
    if (n >= MAX_MPLS_LABELS) {
      stats.event('decoder.mpls.too_many_labels');
      return -1;
    }
    if (cur.end - o < 4) {
      stats.event('decoder.mpls.pkt_too_small');
      return -1;
    }
    const bottom = (buf[o + 2] & 1) !== 0;
    o += 4;
    if (bottom) break;
  }
  if (cur.end - o < 1) {
    stats.event('decoder.mpls.pkt_too_small');
    return -1;
  }
  const nibble = buf[o] >> 4;
  if (nibble === 4) {
    cur.off = o;
    return 0x0800;
  }
  if (nibble === 6) {
    cur.off = o;
    return 0x86dd;
  }
  if (nibble === 0 && cur.end - o >= 4) {
    cur.off = o + 4;
    return ETHERTYPE_TEB;
  }
  stats.event('decoder.mpls.unknown_payload');
  return -1;
}
