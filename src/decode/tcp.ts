/**
 * TCP header (RFC 9293) with the options the flow engine keeps: MSS (kind 2) and window scale (kind 3).
 * Other options (SACK, timestamps, TFO, MPTCP) are length-checked and skipped.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readU32 } from './cursor.js';

export const TCP_HLEN_MIN = 20;
const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WSCALE = 3;

/**
 * Decode the TCP header at cur.off. On success sets ports, flags, seq/ack, window, options and the payload
 * bounds, sets pkt.l4 and returns true. On a malformed header records the event and returns false with
 * pkt.l4 false (the IP fields stay set).
 */
export function decodeTcp(pkt: Packet, stats: DecodeStats, cur: Cursor): boolean {
  const buf = pkt.buf;
  const o = cur.off;
  const avail = cur.end - o;
  if (avail < TCP_HLEN_MIN) {
    stats.event('decoder.tcp.pkt_too_small');
    return false;
  }
  const hlen = (buf[o + 12] >> 4) << 2;
  if (hlen < TCP_HLEN_MIN) {
    stats.event('decoder.tcp.hlen_too_small');
    return false;
  }
  if (hlen > avail) {
    stats.event('decoder.tcp.hlen_too_large');
    return false;
  }
  pkt.srcPort = (buf[o] << 8) | buf[o + 1];
  pkt.dstPort = (buf[o + 2] << 8) | buf[o + 3];
  pkt.tcpSeq = readU32(buf, o + 4);
  pkt.tcpAck = readU32(buf, o + 8);
  pkt.tcpFlags = buf[o + 13] | ((buf[o + 12] & 1) << 8);
  pkt.tcpWindow = (buf[o + 14] << 8) | buf[o + 15];
  if (hlen > TCP_HLEN_MIN) decodeOptions(pkt, stats, buf, o + TCP_HLEN_MIN, o + hlen);

  const po = o + hlen;
  pkt.payloadOffset = po;
  pkt.payloadLen = cur.declEnd > po ? cur.declEnd - po : 0;
  pkt.payloadCaptured = cur.end > po ? cur.end - po : 0;
  pkt.l4 = true;
  return true;
}

function decodeOptions(pkt: Packet, stats: DecodeStats, buf: Buffer, i: number, end: number): void {
  while (i < end) {
    const kind = buf[i];
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    // the total options length is valid, so a bad length here is the option's own
    if (i + 1 >= end) {
      stats.event('decoder.tcp.opt_invalid_len');
      return;
    }
    const len = buf[i + 1];
    if (len < 2 || i + len > end) {
      stats.event('decoder.tcp.opt_invalid_len');
      return;
    }
    if (kind === TCPOPT_MSS) {
      if (len !== 4) stats.event('decoder.tcp.opt_invalid_len');
      else if (pkt.tcpMss !== -1) stats.event('decoder.tcp.opt_duplicate');
      else pkt.tcpMss = (buf[i + 2] << 8) | buf[i + 3];
    } else if (kind === TCPOPT_WSCALE) {
      if (len !== 3) stats.event('decoder.tcp.opt_invalid_len');
      else if (pkt.tcpWscale !== -1) stats.event('decoder.tcp.opt_duplicate');
      else pkt.tcpWscale = buf[i + 2];
    }
    i += len;
  }
}
