/**
 * Raw IP link types: no link header, the packet starts with the IP header.
 * LINKTYPE_RAW (101, also DLT_RAW 12/14 in old files) takes the version from the first nibble;
 * LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) fix it.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import type { Cursor } from './cursor.js';

/** Returns 0x0800 or 0x86dd, or -2 (skip) when the first nibble is neither 4 nor 6. */
export function decodeRaw(pkt: Packet, stats: DecodeStats, cur: Cursor): number {
  if (cur.end - cur.off >= 1) {
    const v = pkt.buf[cur.off] >> 4;
    if (v === 4) return 0x0800;
    if (v === 6) return 0x86dd;
  }
  stats.event('decoder.raw.invalid_ip_version');
  return -2;
}

export function decodeRawIpv4(): number {
  return 0x0800;
}

export function decodeRawIpv6(): number {
  return 0x86dd;
}
