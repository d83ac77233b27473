/**
 * IPv6 (RFC 8200) and its extension-header chain, bounded to MAX_EXT_HEADERS headers.
 *
 * Fragments are reassembled when a FragmentReassembler is given (reassembly.ts), as in ipv4.ts: a fragment is
 * HELD, the one that completes its datagram continues as the whole datagram (its fragment header removed) in a
 * buffer of its own. Without one, the first fragment (offset 0) decodes its L4 header, later ones set
 * `fragment = LATER` and stop. An atomic fragment (offset 0, no more fragments; RFC 6946) is a whole packet.
 * pkt.ipId holds the fragment header's 32-bit identification when present.
 * A payload length of 0 (jumbogram or segmentation offload) is read as "the rest of the frame".
 */
import { Fragment, type Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readU32 } from './cursor.js';
import { type FragmentReassembler, newFragmentInfo } from './reassembly.js';

export const IPV6_HLEN = 40;
/** Longest extension-header chain followed; real traffic uses 0–3, longer chains are evasion attempts. */
export const MAX_EXT_HEADERS = 8;

const NH_HOPOPTS = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_AH = 51;
const NH_DSTOPTS = 60;
const NH_MOBILITY = 135;
const NH_HIP = 139;
const NH_SHIM6 = 140;

/** Extension headers measured in 8-octet units after the first 8 (RFC 8200 4.x / RFC 6564 layout). */
function isGenericExt(nh: number): boolean {
  return nh === NH_HOPOPTS || nh === NH_ROUTING || nh === NH_DSTOPTS || nh === NH_MOBILITY || nh === NH_HIP || nh === NH_SHIM6;
}

/**
 * Decode the IPv6 header at cur.off and walk its extension headers. Returns true when an upper-layer
 * header follows (cur.off/end/declEnd set for it, pkt.ipProto its protocol); false otherwise.
 */
export function decodeIpv6(pkt: Packet, stats: DecodeStats, cur: Cursor, frags: FragmentReassembler | null = null): boolean {
  const buf = pkt.buf;
  const o = cur.off;
  const avail = cur.end - o;
  if (avail < IPV6_HLEN) {
    stats.event('decoder.ipv6.pkt_too_small');
    return false;
  }
  if (buf[o] >> 4 !== 6) {
    stats.event('decoder.ipv6.wrong_ip_version');
    return false;
  }
  let plen = (buf[o + 4] << 8) | buf[o + 5];
  if (plen === 0) plen = avail - IPV6_HLEN;
  const declEnd = o + IPV6_HLEN + plen;
  let end = declEnd;
  if (end > cur.end) {
    // as in ipv4.ts: a snap-length cut is not a malformation
    if (end > pkt.bufOffset + pkt.wirelen) stats.event('decoder.ipv6.trunc_pkt');
    end = cur.end;
  }

  pkt.ipVersion = 6;
  const src = pkt.srcAddr;
  const dst = pkt.dstAddr;
  src[0] = readU32(buf, o + 8);
  src[1] = readU32(buf, o + 12);
  src[2] = readU32(buf, o + 16);
  src[3] = readU32(buf, o + 20);
  dst[0] = readU32(buf, o + 24);
  dst[1] = readU32(buf, o + 28);
  dst[2] = readU32(buf, o + 32);
  dst[3] = readU32(buf, o + 36);
  pkt.ttl = buf[o + 7];
  pkt.ipLen = IPV6_HLEN + plen;

  let nh = buf[o + 6];
  let p = o + IPV6_HLEN;
  /** the next-header byte that names the header at p */
  let nhAt = o + 6;
  for (let n = 0; ; n++) {
    pkt.ipProto = nh;
    let hlen: number;
    if (isGenericExt(nh)) {
      if (p + 2 > end) return truncExt(stats);
      hlen = (buf[p + 1] + 1) << 3;
    } else if (nh === NH_AH) {
      if (p + 2 > end) return truncExt(stats);
      hlen = (buf[p + 1] + 2) << 2;
    } else if (nh === NH_FRAGMENT) {
      hlen = 8;
    } else {
      break; // an upper-layer protocol (or 59, no next header, which ends the chain too)
    }
    if (n >= MAX_EXT_HEADERS) {
      stats.event('decoder.ipv6.exthdr_too_many');
      return false;
    }
    if (p + hlen > end) return truncExt(stats);
    if (nh === NH_FRAGMENT) {
      const fo = ((buf[p + 2] << 8) | buf[p + 3]) & 0xfff8;
      pkt.ipId = readU32(buf, p + 4);
      if (fo + declEnd - (p + 8) > 0xffff) stats.event('decoder.ipv6.frag_pkt_too_large');
      const more = (buf[p + 3] & 1) !== 0;
      if (frags !== null && (fo !== 0 || more)) {
        if (declEnd <= cur.end) return reassemble(pkt, stats, cur, frags, o, p, nhAt, fo, more, declEnd);
        if (fo !== 0) {
          pkt.fragment = Fragment.HELD;
          pkt.ipProto = buf[p];
          return false;
        }
      }
      if (fo !== 0) {
        pkt.fragment = Fragment.LATER;
        pkt.ipProto = buf[p];
        return false;
      }
      if (more) pkt.fragment = Fragment.FIRST;
    }
    nh = buf[p];
    nhAt = p;
    p += hlen;
  }
  cur.off = p;
  cur.end = end;
  cur.declEnd = declEnd;
  return true;
}

const info = newFragmentInfo();

/**
 * Hand the fragment whose fragment header is at p to the reassembler; when it completes a datagram, decode that
 * datagram's header chain again from its start, now without the fragment header.
 */
function reassemble(pkt: Packet, stats: DecodeStats, cur: Cursor, frags: FragmentReassembler, o: number, p: number, nhAt: number, fo: number, more: boolean, declEnd: number): boolean {
  const buf = pkt.buf;
  info.version = 6;
  info.proto = buf[p];
  info.id = pkt.ipId;
  info.offset = fo;
  info.more = more;
  info.ipStart = o;
  info.hdrEnd = p;
  info.nhAt = nhAt;
  info.dataStart = p + 8;
  info.dataEnd = declEnd;
  const out = frags.add(pkt, info, stats);
  if (out === null) {
    pkt.fragment = Fragment.HELD;
    pkt.ipProto = buf[p];
    return false;
  }
  const ip = o - pkt.bufOffset;
  const id = pkt.ipId;
  pkt.buf = out;
  pkt.bufOffset = 0;
  pkt.caplen = out.length;
  pkt.wirelen = out.length;
  cur.off = ip;
  cur.end = out.length;
  cur.declEnd = out.length;
  const r = decodeIpv6(pkt, stats, cur, null);
  pkt.ipId = id;
  return r;
}

function truncExt(stats: DecodeStats): boolean {
  stats.event('decoder.ipv6.trunc_exthdr');
  return false;
}
