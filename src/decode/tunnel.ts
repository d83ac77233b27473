/**
 * Tunnel headers: recognising a packet inside a packet, as Zeek's packet analysers for IP-in-IP, GRE
 * (with ERSPAN and PPTP), VXLAN, Geneve, Teredo, GTP-U and AYIYA do.
 *
 * These decoders only mark the carrier: they check the tunnel header, then set `pkt.tunnel` and where the
 * inner packet lies (tunnelOffset/End/DeclEnd, tunnelProto as an EtherType, tunnelKey). Decoding the inner
 * packet is a second, separate step (decodeTunnelled in decode.ts, into another Packet), so the carrier's
 * fields stay those of the outer packet: its flow is counted as it is on the wire, and the inner packet is
 * a flow of its own whose parent is the carrier's (Zeek's tunnel_parents).
 *
 * What is left alone:
 * - a fragment of a carrier (the inner packet would be cut off; with decode.fragments.reassemble the carrier's
 *   reassembled datagram is whole and is decapsulated);
 * - UDP-port tunnels whose header does not fit (Teredo, GTP, AYIYA share their ports with other traffic:
 *   a datagram that is not theirs is simply not a tunnel, no event);
 * - GRE payloads nobody decodes (WCCP, …; Aruba's 802.11 frames are decoded, decode.ts) and PPTP's non-IP PPP
 *   frames (LCP, compressed).
 * Malformed tunnel headers raise decoder.gre.*, decoder.erspan.*, decoder.vxlan.*, decoder.geneve.*,
 * decoder.gtpu.*, decoder.ayiya.* events (events.ts) and are not decapsulated.
 */
import { Fragment, type Packet, Tunnel } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, readU32 } from './cursor.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
/** Transparent Ethernet Bridging: an Ethernet frame follows */
export const ETH_TEB = 0x6558;
const GRE_ERSPAN_1_2 = 0x88be;
const GRE_ERSPAN_3 = 0x22eb;
const GRE_PPP = 0x880b;

/** UDP ports of the UDP tunnels (IANA; Zeek's registrations) */
export const UDP_VXLAN = 4789;
export const UDP_GENEVE = 6081;
export const UDP_TEREDO = 3544;
export const UDP_GTPU = 2152;
export const UDP_AYIYA = 5072;
/** GRE-in-UDP, RFC 8086 */
export const UDP_GRE = 4754;

/** GTP extension headers followed at most: real ones carry 1–2 (PDU session container, …) */
const GTP_MAX_EXT = 8;

function mark(pkt: Packet, type: number, off: number, end: number, declEnd: number, proto: number, key: number): void {
  pkt.tunnel = type;
  pkt.tunnelOffset = off;
  pkt.tunnelEnd = end;
  pkt.tunnelDeclEnd = declEnd < end ? end : declEnd;
  pkt.tunnelProto = proto;
  pkt.tunnelKey = key;
}

/** IP protocol 4 / 41 (RFC 2003, RFC 4213, RFC 2473): the IP payload is an IPv4 / IPv6 packet. */
export function decodeIpInIp(pkt: Packet, _stats: DecodeStats, cur: Cursor): boolean {
  if (pkt.fragment === Fragment.NONE && cur.end > cur.off) {
    mark(pkt, Tunnel.IP, cur.off, cur.end, cur.declEnd, pkt.ipProto === 4 ? ETH_IPV4 : ETH_IPV6, -1);
  }
  return false; // no L4 header: the flow is keyed by addresses and protocol
}

/** IP protocol 47. */
export function decodeGreIp(pkt: Packet, stats: DecodeStats, cur: Cursor): boolean {
  if (pkt.fragment === Fragment.NONE) decodeGre(pkt, stats, cur.off, cur.end, cur.declEnd);
  return false;
}

/**
 * GRE (RFC 2784 with RFC 2890's key and sequence number; RFC 2637's version 1 for PPTP) at `o`, the bytes
 * present ending at `end`. Checks as Zeek's GRE analyser: version 0 or 1, no routing (RFC 1701, deprecated),
 * no undefined flag bits; version 1 must have the key and carry PPP.
 */
export function decodeGre(pkt: Packet, stats: DecodeStats, o: number, end: number, declEnd: number): void {
  const buf = pkt.buf;
  if (end - o < 4) {
    stats.event('decoder.gre.pkt_too_small');
    return;
  }
  const fv = (buf[o] << 8) | buf[o + 1];
  const ptype = (buf[o + 2] << 8) | buf[o + 3];
  const version = fv & 0x7;
  if (version > 1) {
    stats.event('decoder.gre.wrong_version');
    return;
  }
  if ((fv & 0x4000) !== 0) {
    stats.event('decoder.gre.routing');
    return;
  }
  // the flag bits RFC 2784 reserves (recursion control and strict routing are ignored, as Zeek does)
  if ((fv & 0x0078) !== 0) {
    stats.event(version === 0 ? 'decoder.gre.version0_flags' : 'decoder.gre.version1_flags');
    return;
  }
  let p = o + 4;
  let key = -1;
  if (version === 1) {
    if ((fv & 0x8000) !== 0) {
      stats.event('decoder.gre.version1_chksum');
      return;
    }
    if ((fv & 0x2000) === 0) {
      stats.event('decoder.gre.version1_no_key');
      return;
    }
    if (ptype !== GRE_PPP) {
      stats.event('decoder.gre.version1_wrong_protocol');
      return;
    }
    // key: payload length (2) and call id (2); then sequence and acknowledgement when flagged
    const hlen = 8 + ((fv & 0x1000) !== 0 ? 4 : 0) + ((fv & 0x0080) !== 0 ? 4 : 0);
    if (end - o < hlen) {
      stats.event('decoder.gre.pkt_too_small');
      return;
    }
    key = (buf[o + 6] << 8) | buf[o + 7];
    p = o + hlen;
    // PPP: address/control 0xff 0x03 unless compressed away, then a 1-byte (odd) or 2-byte protocol
    if (p + 2 <= end && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
    if (p >= end) return; // an acknowledgement only
    let ppp = buf[p];
    if ((ppp & 1) === 0) {
      if (p + 2 > end) return;
      ppp = (ppp << 8) | buf[p + 1];
      p += 2;
    } else p++;
    if (ppp === 0x21) mark(pkt, Tunnel.GRE, p, end, declEnd, ETH_IPV4, key);
    else if (ppp === 0x57) mark(pkt, Tunnel.GRE, p, end, declEnd, ETH_IPV6, key);
    return;
  }
  // checksum, key, sequence number; an acknowledgement too when its bit is set (as Zeek counts it)
  const hlen = 4 + ((fv & 0x8000) !== 0 ? 4 : 0) + ((fv & 0x2000) !== 0 ? 4 : 0) + ((fv & 0x1000) !== 0 ? 4 : 0) + ((fv & 0x0080) !== 0 ? 4 : 0);
  if (end - o < hlen) {
    stats.event('decoder.gre.version0_hdr_too_big');
    return;
  }
  if ((fv & 0x2000) !== 0) key = readU32(buf, o + 4 + ((fv & 0x8000) !== 0 ? 4 : 0));
  p = o + hlen;
  if (p >= end) return; // a keepalive or an empty payload
  if (ptype === GRE_ERSPAN_1_2) {
    // type I has no header of its own (no sequence number in GRE); type II an 8-byte one, version 1
    if ((fv & 0x1000) !== 0) {
      if (end - p < 8) {
        stats.event('decoder.erspan.pkt_too_small');
        return;
      }
      if (buf[p] >> 4 !== 1) {
        stats.event('decoder.erspan.unsupported_version');
        return;
      }
      key = ((buf[p + 2] & 0x03) << 8) | buf[p + 3];
      p += 8;
    } else key = -1;
    mark(pkt, Tunnel.ERSPAN, p, end, declEnd, ETH_TEB, key);
    return;
  }
  if (ptype === GRE_ERSPAN_3) {
    // 12 bytes, version 2; the O flag (bit 0 of the last byte) adds an 8-byte platform-specific subheader
    if (end - p < 12 || (end - p < 20 && (buf[p + 11] & 1) !== 0)) {
      stats.event('decoder.erspan.pkt_too_small');
      return;
    }
    if (buf[p] >> 4 !== 2) {
      stats.event('decoder.erspan.unsupported_version');
      return;
    }
    key = ((buf[p + 2] & 0x03) << 8) | buf[p + 3];
    p += (buf[p + 11] & 1) !== 0 ? 20 : 12;
    mark(pkt, Tunnel.ERSPAN, p, end, declEnd, ETH_TEB, key);
    return;
  }
  // IPv4, IPv6, Ethernet, MPLS, … : whatever the EtherType decoders know (decode.ts); the rest is not ours
  mark(pkt, Tunnel.GRE, p, end, declEnd, ptype, key);
}

/** VXLAN (RFC 7348): 8 bytes, the I flag set and a 24-bit VNI, then an Ethernet frame. */
export function decodeVxlan(pkt: Packet, stats: DecodeStats, o: number, n: number): void {
  const buf = pkt.buf;
  if (n < 8 + 14) {
    stats.event('decoder.vxlan.pkt_too_small');
    return;
  }
  if ((buf[o] & 0x08) === 0) {
    stats.event('decoder.vxlan.flags_invalid');
    return;
  }
  const vni = (buf[o + 4] << 16) | (buf[o + 5] << 8) | buf[o + 6];
  mark(pkt, Tunnel.VXLAN, o + 8, o + n, pkt.payloadOffset + pkt.payloadLen, ETH_TEB, vni);
}

/** Geneve (RFC 8926): version 0, options of 4-byte units, a protocol type (Ethernet, IPv4, IPv6) and a VNI. */
export function decodeGeneve(pkt: Packet, stats: DecodeStats, o: number, n: number): void {
  const buf = pkt.buf;
  if (n < 8) {
    stats.event('decoder.geneve.pkt_too_small');
    return;
  }
  if (buf[o] >> 6 !== 0) {
    stats.event('decoder.geneve.wrong_version');
    return;
  }
  const hlen = 8 + (buf[o] & 0x3f) * 4;
  if (n <= hlen) {
    stats.event('decoder.geneve.pkt_too_small');
    return;
  }
  const ptype = (buf[o + 2] << 8) | buf[o + 3];
  if (ptype !== ETH_TEB && ptype !== ETH_IPV4 && ptype !== ETH_IPV6) {
    stats.event('decoder.geneve.unknown_payload_type');
    return;
  }
  const vni = (buf[o + 4] << 16) | (buf[o + 5] << 8) | buf[o + 6];
  mark(pkt, Tunnel.GENEVE, o + hlen, o + n, pkt.payloadOffset + pkt.payloadLen, ptype, vni);
}

/**
 * Teredo (RFC 4380): an IPv6 packet, after an optional authentication and an optional origin indication.
 * As Zeek does, it counts only when the IPv6 header's length is exactly what the datagram holds (a bubble —
 * no next header, no payload — may be followed by more).
 *
 * A Teredo client talks to relays and peers on any port, so, like Zeek's detection pattern, a datagram on
 * another port is one too when it is exactly such an IPv6 packet (without the optional headers, which only
 * servers and relays on 3544 add) and one of its ends has a Teredo address, 2001:0::/32 (`anyPort`).
 */
export function decodeTeredo(pkt: Packet, o: number, n: number, anyPort: boolean): void {
  const buf = pkt.buf;
  const end = o + n;
  const declEnd = pkt.payloadOffset + pkt.payloadLen;
  let p = o;
  if (anyPort) {
    if (n < 40 || !(isTeredoAddr(buf, p + 8) || isTeredoAddr(buf, p + 24))) return;
  } else {
    if (p + 4 <= end && buf[p] === 0 && buf[p + 1] === 1) {
      // authentication: indicator, id length, auth length, id, auth value, 8-byte nonce, confirmation byte
      p += 4 + buf[p + 2] + buf[p + 3] + 9;
    }
    if (p + 2 <= end && buf[p] === 0 && buf[p + 1] === 0) p += 8; // origin indication
  }
  if (p + 40 > end || buf[p] >> 4 !== 6) return;
  const innerLen = 40 + ((buf[p + 4] << 8) | buf[p + 5]);
  if (p + innerLen !== declEnd && !(innerLen === 40 && buf[p + 6] === 59 && p + innerLen < declEnd)) return;
  mark(pkt, Tunnel.TEREDO, p, end, p + innerLen, ETH_IPV6, -1);
}

function isTeredoAddr(buf: Buffer, a: number): boolean {
  return buf[a] === 0x20 && buf[a + 1] === 0x01 && buf[a + 2] === 0 && buf[a + 3] === 0;
}

/**
 * GTP-U (3GPP TS 29.281): GTPv1 with the protocol-type bit, message type 255 (G-PDU, user data), a TEID, the
 * optional sequence/N-PDU/extension word and the extension-header chain; then IPv4 or IPv6. Echo, error
 * indication and end-marker messages carry no packet; GTPv2 and GTP' are not user plane.
 */
export function decodeGtpu(pkt: Packet, stats: DecodeStats, o: number, n: number): void {
  const buf = pkt.buf;
  if (n < 8) return;
  const flags = buf[o];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0 || buf[o + 1] !== 0xff) return;
  const teid = readU32(buf, o + 4);
  const msgEnd = o + 8 + ((buf[o + 2] << 8) | buf[o + 3]);
  const end = o + n < msgEnd ? o + n : msgEnd;
  let p = o + 8;
  if ((flags & 0x07) !== 0) {
    if (p + 4 > end) {
      stats.event('decoder.gtpu.pkt_too_small');
      return;
    }
    let next = (flags & 0x04) !== 0 ? buf[p + 3] : 0;
    p += 4;
    for (let i = 0; next !== 0; i++) {
      const len = p < end ? buf[p] * 4 : 0;
      if (i >= GTP_MAX_EXT || len === 0 || p + len > end) {
        stats.event('decoder.gtpu.ext_hdr_invalid');
        return;
      }
      next = buf[p + len - 1];
      p += len;
    }
  }
  if (p >= end) return;
  const v = buf[p] >> 4;
  if (v !== 4 && v !== 6) {
    stats.event('decoder.gtpu.unknown_payload');
    return;
  }
  mark(pkt, Tunnel.GTPV1, p, end, msgEnd, v === 4 ? ETH_IPV4 : ETH_IPV6, teid);
}

/**
 * AYIYA ("Anything In Anything", the SixXS tunnel protocol): an 8-byte header, the identity (2^n bytes) and
 * signature (4·n bytes) it announces; only the "forward" opcode (1) carries a packet, of IP protocol 4 or 41.
 */
export function decodeAyiya(pkt: Packet, stats: DecodeStats, o: number, n: number): void {
  const buf = pkt.buf;
  if (n < 8) {
    stats.event('decoder.ayiya.pkt_too_small');
    return;
  }
  const hlen = 8 + (1 << (buf[o] >> 4)) + (buf[o + 1] >> 4) * 4;
  if ((buf[o + 2] & 0x0f) !== 1) return;
  const next = buf[o + 3];
  if (next !== 4 && next !== 41) return;
  if (hlen >= n) {
    stats.event('decoder.ayiya.pkt_too_small');
    return;
  }
  mark(pkt, Tunnel.AYIYA, o + hlen, o + n, pkt.payloadOffset + pkt.payloadLen, next === 4 ? ETH_IPV4 : ETH_IPV6, -1);
}
