/**
 * IPv4 (RFC 791): header, options (validated, not kept) and fragments, reassembled when a FragmentReassembler is
 * given (reassembly.ts): a fragment is then HELD, and the one that completes its datagram continues as the whole
 * datagram, in a buffer of its own (pkt.buf, bufOffset, caplen and wirelen are the reassembled frame's).
 * A fragment the capture cut short cannot be reassembled: as in Zeek's IP analyzer, a first one is decoded as far
 * as it goes (FIRST) and a later one is dropped (HELD).
 *
 * Checks in order: at least 20 bytes, version 4, IHL ≥ 5, header present, total length ≥ header length,
 * total length against the bytes present (a packet cut by the capture's snap length — caplen < wirelen —
 * decodes as far as it was captured without an event). A total length of 0 is what captures on a sender with TCP
 * segmentation offload show; it is read as "the rest of the frame", like Wireshark does.
 */
import { Fragment, type Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readU32 } from './cursor.js';
import { type FragmentReassembler, newFragmentInfo } from './reassembly.js';

export const IPV4_HLEN_MIN = 20;
const IPOPT_EOL = 0;
const IPOPT_NOP = 1;

/**
 * Decode the IPv4 header at cur.off. Returns true when an L4 header follows (then cur.off is the L4 start,
 * cur.end the end of the bytes present for it and cur.declEnd the end the header declares); false when
 * there is nothing to decode further (malformed header, or a non-first fragment).
 */
export function decodeIpv4(pkt: Packet, stats: DecodeStats, cur: Cursor, frags: FragmentReassembler | null = null): boolean {
  const buf = pkt.buf;
  const o = cur.off;
  const avail = cur.end - o;
  if (avail < IPV4_HLEN_MIN) {
    stats.event('decoder.ipv4.pkt_too_small');
    return false;
  }
  const vhl = buf[o];
  if (vhl >> 4 !== 4) {
    stats.event('decoder.ipv4.wrong_ip_version');
    return false;
  }
  const hlen = (vhl & 0x0f) << 2;
  if (hlen < IPV4_HLEN_MIN) {
    stats.event('decoder.ipv4.hlen_too_small');
    return false;
  }
  if (hlen > avail) {
    stats.event('decoder.ipv4.hlen_too_large');
    return false;
  }
  let totalLen = (buf[o + 2] << 8) | buf[o + 3];
  if (totalLen === 0) totalLen = avail; // TSO: see the file comment
  if (totalLen < hlen) {
    stats.event('decoder.ipv4.iplen_smaller_than_hlen');
    return false;
  }
  let end = o + totalLen;
  if (end > cur.end) {
    // a capture's snap length cuts packets short without them lying: only a length beyond the wire frame counts
    if (end > pkt.bufOffset + pkt.wirelen) stats.event('decoder.ipv4.trunc_pkt');
    end = cur.end;
  }

  pkt.ipVersion = 4;
  const src = pkt.srcAddr;
  const dst = pkt.dstAddr;
  src[0] = 0;
  src[1] = 0;
  src[2] = 0xffff;
  src[3] = readU32(buf, o + 12);
  dst[0] = 0;
  dst[1] = 0;
  dst[2] = 0xffff;
  dst[3] = readU32(buf, o + 16);
  pkt.ipProto = buf[o + 9];
  pkt.ttl = buf[o + 8];
  pkt.ipLen = totalLen;
  pkt.ipId = (buf[o + 4] << 8) | buf[o + 5];

  if (hlen > IPV4_HLEN_MIN && !optionsValid(buf, o + IPV4_HLEN_MIN, o + hlen)) {
    stats.event('decoder.ipv4.opt_invalid_len');
  }

  const ff = (buf[o + 6] << 8) | buf[o + 7];
  const fragOff = (ff & 0x1fff) << 3;
  if (fragOff !== 0 || (ff & 0x2000) !== 0) {
    if (fragOff + totalLen - hlen > 0xffff) stats.event('decoder.ipv4.frag_pkt_too_large');
    if (frags !== null) {
      if (o + totalLen <= cur.end) return reassemble(pkt, stats, cur, frags, o, hlen, totalLen, fragOff, (ff & 0x2000) !== 0);
      if (fragOff !== 0) {
        pkt.fragment = Fragment.HELD;
        return false;
      }
    }
    if (fragOff !== 0) {
      pkt.fragment = Fragment.LATER;
      return false;
    }
    pkt.fragment = Fragment.FIRST;
  }
  cur.off = o + hlen;
  cur.end = end;
  cur.declEnd = o + totalLen;
  return true;
}

const info = newFragmentInfo();

/** Hand the fragment at o to the reassembler; when it completes a datagram, go on with that datagram's payload. */
function reassemble(pkt: Packet, stats: DecodeStats, cur: Cursor, frags: FragmentReassembler, o: number, hlen: number, totalLen: number, fragOff: number, more: boolean): boolean {
  info.version = 4;
  info.proto = pkt.ipProto;
  info.id = pkt.ipId;
  info.offset = fragOff;
  info.more = more;
  info.ipStart = o;
  info.hdrEnd = o + hlen;
  info.nhAt = -1;
  info.dataStart = o + hlen;
  info.dataEnd = o + totalLen;
  const out = frags.add(pkt, info, stats);
  if (out === null) {
    pkt.fragment = Fragment.HELD;
    return false;
  }
  const ip = o - pkt.bufOffset;
  pkt.buf = out;
  pkt.bufOffset = 0;
  pkt.caplen = out.length;
  pkt.wirelen = out.length;
  // the datagram's header is its offset-0 fragment's (reassembly.ts): length, TTL and options are that one's
  const hlen0 = (out[ip] & 0x0f) << 2;
  pkt.ipLen = (out[ip + 2] << 8) | out[ip + 3];
  pkt.ttl = out[ip + 8];
  pkt.fragment = Fragment.NONE;
  cur.off = ip + hlen0;
  cur.end = out.length;
  cur.declEnd = out.length;
  return true;
}

/** true when every option's length byte is ≥ 2 and stays inside the header. */
function optionsValid(buf: Buffer, i: number, end: number): boolean {
  while (i < end) {
    const type = buf[i];
    if (type === IPOPT_EOL) return true;
    if (type === IPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const len = buf[i + 1];
    if (len < 2 || i + len > end) return false;
    i += len;
  }
  return true;
}
