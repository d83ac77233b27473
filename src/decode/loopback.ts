/**
 * BSD loopback framing: a 4-byte address family before the IP packet.
 * LINKTYPE_NULL stores the family in the byte order of the machine that wrote the capture; LINKTYPE_LOOP
 * (OpenBSD) in network order. IPv6's AF_INET6 differs by OS: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

const AF_INET = 2;
const AF_INET6 = [24, 28, 30];

function familyToEtherType(stats: DecodeStats, family: number): number {
  if (family === AF_INET) return 0x0800;
  if (AF_INET6.includes(family)) return 0x86dd;
  stats.event('decoder.null.unsupported_family');
  return -1;
}

/** LINKTYPE_NULL. Returns the EtherType of the payload, -1 for an unknown family, -2 when cut off. */
export function decodeNull(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < 4) {
    stats.event('decoder.null.pkt_too_small');
    return -2;
  }
  cur.off = o + 4;
  // a family is a small number: whichever byte order yields one is the writer's
  const le = (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0;
  const family = le <= 0xffff ? le : ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
  return familyToEtherType(stats, family);
}

/** LINKTYPE_LOOP: as decodeNull with the family in network byte order. */
export function decodeLoop(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  const buf = pkt.buf;
  const o = cur.off;
  if (cur.end - o < 4) {
    stats.event('decoder.null.pkt_too_small');
    return -2;
  }
  cur.off = o + 4;
  return familyToEtherType(stats, ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0);
}
