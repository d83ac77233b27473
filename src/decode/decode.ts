/**
 * decodePacket: the decoder's entry point, dispatching by data tables as Zeek registers its packet
 * analyzers — link type → link decoder, EtherType → decoder, IP protocol → L4 decoder, and a port/payload
 * test for the application decoders (DNS 53/5353, DHCP 67/68, TLS on a 0x16 0x03 handshake record, HTTP
 * on a method token).
 *
 * The Ethernet → VLAN → IPv4/IPv6 → TCP/UDP/ICMP path allocates nothing: decoders read bytes at fixed
 * offsets into the reused Packet and share one module-level cursor. Application decoders run only for
 * packets that pass their test, and allocate their result objects.
 */
import { type Packet, LinkType } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, newCursor } from './cursor.js';
import { decodeEthernet, decodePbb, decodeVlan, TPID_8021AD, TPID_8021Q, TPID_QINQ_OLD } from './ethernet.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeLoop, decodeNull } from './loopback.js';
import { decodeRaw, decodeRawIpv4, decodeRawIpv6 } from './raw.js';
import { decodeArp } from './arp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeIcmp } from './icmp.js';
import { decodeIcmpv6 } from './icmpv6.js';
import { decodePppoeDiscovery, decodePppoeSession } from './pppoe.js';
import { decodeMpls, ETHERTYPE_TEB } from './mpls.js';
import { decodeDns } from './dns.js';
import { decodeDhcp } from './dhcp.js';
import { decodeTlsClientHello, looksLikeTlsHandshake } from './tls.js';
import { decodeFtpReply, decodeHttpStatus, FTP_CONTROL_PORT, looksLikeHttpResponse } from './auth-reply.js';
import { decodeHttpRequest, httpMethodLength } from './http.js';
import { decodeSshIdent, looksLikeSsh } from './ssh.js';

/**
 * A link or EtherType decoder: returns the EtherType of what follows (≥ 0) with the cursor moved onto it,
 * -1 when decoding stops here, or (link decoders only) -2 when the link header itself is unusable.
 */
export type LayerDecoder = (pkt: Packet, stats: DecodeStats, cur: Cursor) => number;
/** An L4 decoder: true when the header decoded (pkt.l4 set). */
export type L4Decoder = (pkt: Packet, stats: DecodeStats, cur: Cursor) => boolean;

/** linkType → decoder. DLT_RAW appears as 12 or 14 in files from old BSD tcpdumps. */
export const LINK_DECODERS = new Map<number, LayerDecoder>([
  [LinkType.ETHERNET, decodeEthernet],
  [LinkType.LINUX_SLL, decodeSll],
  [LinkType.LINUX_SLL2, decodeSll2],
  [LinkType.NULL, decodeNull],
  [LinkType.LOOP, decodeLoop],
  [LinkType.RAW, decodeRaw],
  [12, decodeRaw],
  [14, decodeRaw],
  [LinkType.IPV4, decodeRawIpv4],
  [LinkType.IPV6, decodeRawIpv6],
]);

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/** EtherType → decoder, for everything except IPv4/IPv6, which decodePacket handles inline (hot path). */
export const ETHER_DECODERS = new Map<number, LayerDecoder>([
  [0x0806, decodeArp],
  [TPID_8021Q, decodeVlan],
  [TPID_8021AD, decodeVlan],
  [TPID_QINQ_OLD, decodeVlan],
  [0x8863, decodePppoeDiscovery],
  [0x8864, decodePppoeSession],
  [0x8847, decodeMpls],
  [0x8848, decodeMpls],
  [ETHERTYPE_TEB, decodeEthernet],
  [0x88e7, decodePbb],
]);

/** IP protocol → L4 decoder (indexed by protocol number). */
export const IP_PROTO_DECODERS: (L4Decoder | undefined)[] = new Array(256).fill(undefined);
IP_PROTO_DECODERS[1] = decodeIcmp;
IP_PROTO_DECODERS[6] = decodeTcp;
IP_PROTO_DECODERS[17] = decodeUdp;
IP_PROTO_DECODERS[58] = decodeIcmpv6;

/** Application decoders picked by UDP port (either side). */
const APP_NONE = 0;
const APP_DNS = 1;
const APP_MDNS = 2;
const APP_DHCP = 3;
/** UDP port → application decoder id (APP_*); 0 = none */
export const UDP_PORT_APPS = new Uint8Array(65536);
UDP_PORT_APPS[53] = APP_DNS;
UDP_PORT_APPS[5353] = APP_MDNS;
UDP_PORT_APPS[67] = APP_DHCP;
UDP_PORT_APPS[68] = APP_DHCP;
/** TCP ports whose payload is DNS with a 2-byte length prefix (RFC 1035 4.2.2) */
const TCP_DNS_PORT = 53;

/** Longest chain of EtherType decoders followed in one frame (VLAN, VLAN, PPPoE, MPLS, inner Ethernet, …). */
const MAX_LAYERS = 8;

const cur = newCursor();
/**
 * One capture source has one link type: remember its decoder instead of a Map lookup per packet.
 * LINK_DECODERS is therefore meant to be filled at load time (the EtherType and protocol tables are read
 * on every packet and may change at any time).
 */
let lastLinkType = -1;
let lastLink: LayerDecoder | undefined;

/**
 * Decode the frame in pkt.buf[pkt.bufOffset, + pkt.caplen) into pkt. The caller has set the capture
 * fields and called pkt.reset(). Returns true when at least the link layer decoded (pkt counted in
 * stats.decoded), false when the packet is skipped (unsupported link type or a cut-off link header,
 * counted in stats.skipped). Never throws on any byte content.
 */
export function decodePacket(pkt: Packet, stats: DecodeStats): boolean {
  if (pkt.linkType !== lastLinkType) {
    lastLinkType = pkt.linkType;
    lastLink = LINK_DECODERS.get(lastLinkType);
  }
  const link = lastLink;
  if (link === undefined) {
    stats.event('decoder.link.unsupported');
    stats.skipped++;
    return false;
  }
  const start = pkt.bufOffset;
  let end = start + pkt.caplen;
  if (end > pkt.buf.length) end = pkt.buf.length;
  cur.off = start;
  cur.end = end;
  cur.declEnd = end;
  cur.vlanDepth = 0;
  let type = link(pkt, stats, cur);
  if (type === -2) {
    stats.skipped++;
    return false;
  }
  stats.decoded++;
  for (let n = 0; type >= 0; n++) {
    if (n >= MAX_LAYERS) {
      // nested encapsulations (recursive PBB, MPLS pseudowires) must not cost unbounded work
      stats.event('decoder.link.too_many_layers');
      return true;
    }
    if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) {
      pkt.etherType = type;
      const hasL4 = type === ETHERTYPE_IPV4 ? decodeIpv4(pkt, stats, cur) : decodeIpv6(pkt, stats, cur);
      if (hasL4) decodeL4(pkt, stats);
      return true;
    }
    const next = ETHER_DECODERS.get(type);
    pkt.etherType = type;
    if (next === undefined) {
      stats.event('decoder.ethernet.unknown_ethertype');
      return true;
    }
    type = next(pkt, stats, cur);
  }
  return true;
}

function decodeL4(pkt: Packet, stats: DecodeStats): void {
  const l4 = IP_PROTO_DECODERS[pkt.ipProto];
  if (l4 === undefined || !l4(pkt, stats, cur) || pkt.payloadCaptured === 0) return;
  const buf = pkt.buf;
  const po = pkt.payloadOffset;
  const plen = pkt.payloadCaptured;
  if (pkt.ipProto === 17) {
    let app = UDP_PORT_APPS[pkt.dstPort];
    if (app === APP_NONE) app = UDP_PORT_APPS[pkt.srcPort];
    if (app === APP_NONE) return;
    if (app === APP_DHCP) decodeDhcp(pkt, stats, po, plen);
    else decodeDns(pkt, stats, po, plen, app === APP_MDNS);
  } else if (pkt.ipProto === 6) {
    if (looksLikeTlsHandshake(buf, po, plen)) {
      decodeTlsClientHello(pkt, stats, po, plen);
      return;
    }
    const mlen = httpMethodLength(buf, po, plen);
    if (mlen > 0) {
      decodeHttpRequest(pkt, stats, po, plen, mlen);
      return;
    }
    if (looksLikeSsh(buf, po, plen)) {
      decodeSshIdent(pkt, po, plen);
      return;
    }
    if (looksLikeHttpResponse(buf, po, plen)) {
      decodeHttpStatus(pkt, po, plen);
      return;
    }
    if (pkt.srcPort === FTP_CONTROL_PORT) {
      decodeFtpReply(pkt, po, plen);
      return;
    }
    if ((pkt.dstPort === TCP_DNS_PORT || pkt.srcPort === TCP_DNS_PORT) && plen >= 2) {
      // only a segment that starts a message: the length prefix must not exceed what the segment holds
      const mlen2 = (buf[po] << 8) | buf[po + 1];
      if (mlen2 > 0 && mlen2 <= plen - 2) decodeDns(pkt, stats, po + 2, mlen2, false);
    }
  }
}
