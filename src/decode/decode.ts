/**
 * decodePacket: the decoder's entry point, dispatching by data tables as Zeek registers its packet
 * analyzers — link type → link decoder, EtherType → decoder, IP protocol → L4 decoder, and a port/payload
 * test for the application decoders (DNS 53/5353, DHCP 67/68, TLS on a 0x16 0x03 handshake record, HTTP
 * on a method token).
 *
 * The Ethernet → VLAN → IPv4/IPv6 → TCP/UDP/ICMP path allocates nothing: decoders read bytes at fixed
 * offsets into the reused Packet and share one module-level cursor. Application decoders run only for
 * packets that pass their test, and allocate their result objects.
 *
 * Tunnels (tunnel.ts) are recognised here too — IP protocols 4, 41 and 47 and the tunnels' UDP ports — but
 * only marked on the packet: decodeTunnelled decodes the packet inside into another Packet, a step of its own
 * that the caller takes (Decapsulator), so a packet without a tunnel pays nothing for them.
 */
import { LinkType, Packet, Tunnel } from './packet.js';
import type { DecodeStats } from './events.js';
import { type Cursor, newCursor } from './cursor.js';
import {
  decodeEthernet, decodeFabricPath, decodePbb, decodeVlan, decodeVnTag, ETHERTYPE_FABRICPATH, ETHERTYPE_VNTAG, TPID_8021AD, TPID_8021Q,
  TPID_QINQ_OLD,
} from './ethernet.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeLoop, decodeNull } from './loopback.js';
import { decodeRaw, decodeRawIpv4, decodeRawIpv6 } from './raw.js';
import { decodePpp, decodePppSerial } from './ppp.js';
import { decodeIeee80211, decodeRadiotap } from './ieee80211.js';
import { decodeArp } from './arp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import type { FragmentReassembler } from './reassembly.js';
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
import {
  decodeAyiya, decodeGeneve, decodeGre, decodeGreIp, decodeGtpu, decodeIpInIp, decodeTeredo, decodeVxlan,
  UDP_AYIYA, UDP_GENEVE, UDP_GRE, UDP_GTPU, UDP_TEREDO, UDP_VXLAN,
} from './tunnel.js';

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
  [LinkType.PPP, decodePpp],
  [LinkType.PPP_SERIAL, decodePppSerial],
  [LinkType.IEEE802_11, decodeIeee80211],
  [LinkType.IEEE802_11_RADIOTAP, decodeRadiotap],
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
  [ETHERTYPE_FABRICPATH, decodeFabricPath],
  [ETHERTYPE_VNTAG, decodeVnTag],
]);

/** IP protocol → L4 decoder (indexed by protocol number). */
export const IP_PROTO_DECODERS: (L4Decoder | undefined)[] = new Array(256).fill(undefined);
IP_PROTO_DECODERS[1] = decodeIcmp;
IP_PROTO_DECODERS[6] = decodeTcp;
IP_PROTO_DECODERS[17] = decodeUdp;
IP_PROTO_DECODERS[58] = decodeIcmpv6;
IP_PROTO_DECODERS[4] = decodeIpInIp;
IP_PROTO_DECODERS[41] = decodeIpInIp;
IP_PROTO_DECODERS[47] = decodeGreIp;

/** Application decoders picked by UDP port (either side). */
const APP_NONE = 0;
const APP_DNS = 1;
const APP_MDNS = 2;
const APP_DHCP = 3;
const APP_VXLAN = 4;
const APP_GENEVE = 5;
const APP_TEREDO = 6;
const APP_GTPU = 7;
const APP_AYIYA = 8;
const APP_GRE = 9;
/** UDP port → application decoder id (APP_*); 0 = none */
export const UDP_PORT_APPS = new Uint8Array(65536);
UDP_PORT_APPS[53] = APP_DNS;
UDP_PORT_APPS[5353] = APP_MDNS;
UDP_PORT_APPS[67] = APP_DHCP;
UDP_PORT_APPS[68] = APP_DHCP;
UDP_PORT_APPS[UDP_VXLAN] = APP_VXLAN;
UDP_PORT_APPS[UDP_GENEVE] = APP_GENEVE;
UDP_PORT_APPS[UDP_TEREDO] = APP_TEREDO;
UDP_PORT_APPS[UDP_GTPU] = APP_GTPU;
UDP_PORT_APPS[UDP_AYIYA] = APP_AYIYA;
UDP_PORT_APPS[UDP_GRE] = APP_GRE;
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
 * counted in stats.skipped). Never throws on any byte content. With `frags`, IP fragments are reassembled
 * (reassembly.ts): a fragment is then Fragment.HELD (no packet of any flow yet), and the one that completes a
 * datagram leaves pkt describing the whole datagram, in a buffer of its own.
 */
export function decodePacket(pkt: Packet, stats: DecodeStats, frags: FragmentReassembler | null = null): boolean {
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
  decodeLayers(pkt, stats, type, frags);
  return true;
}

/** The EtherType chain from `type` on, at cur: VLAN, PPPoE, MPLS, … down to IP and L4. */
function decodeLayers(pkt: Packet, stats: DecodeStats, type: number, frags: FragmentReassembler | null): void {
  for (let n = 0; type >= 0; n++) {
    if (n >= MAX_LAYERS) {
      // nested encapsulations (recursive PBB, MPLS pseudowires) must not cost unbounded work
      stats.event('decoder.link.too_many_layers');
      return;
    }
    if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) {
      pkt.etherType = type;
      const hasL4 = type === ETHERTYPE_IPV4 ? decodeIpv4(pkt, stats, cur, frags) : decodeIpv6(pkt, stats, cur, frags);
      if (hasL4) decodeL4(pkt, stats);
      return;
    }
    const next = ETHER_DECODERS.get(type);
    pkt.etherType = type;
    if (next === undefined) {
      stats.event('decoder.ethernet.unknown_ethertype');
      return;
    }
    type = next(pkt, stats, cur);
  }
}

/** GRE protocol types of Aruba's WLAN tunnels, as Zeek's GRE analyzer recognises them: 0x82x0, 0x8300…0x8370, 0x9000 */
function isArubaWlan(p: number): boolean {
  return ((p & 0x8200) === 0x8200 && (p & 0x0f) === 0) || ((p & 0x8300) === 0x8300 && (p & 0x0f) === 0 && p <= 0x8370) || p === 0x9000;
}

/**
 * Decode the packet `outer` carries (outer.tunnel !== 0) into `inner`, which is reset first: its capture
 * fields are the carrier's, its frame the tunnel payload, `depth` one more than the carrier's and `outer` the
 * carrier. Events of the inner headers are counted in `stats` like any other; with `frags`, inner fragments are
 * reassembled (keyed by depth, so never mixed with the carrier's). Never throws.
 */
export function decodeTunnelled(outer: Packet, inner: Packet, stats: DecodeStats, frags: FragmentReassembler | null = null): void {
  inner.reset();
  inner.tsUs = outer.tsUs;
  inner.linkType = outer.linkType;
  inner.ifIndex = outer.ifIndex;
  inner.buf = outer.buf;
  inner.bufOffset = outer.tunnelOffset;
  inner.caplen = outer.tunnelEnd - outer.tunnelOffset;
  // what the carrier's headers declare: a capture's snap length cuts the inner packet without it lying
  inner.wirelen = outer.tunnelDeclEnd - outer.tunnelOffset;
  inner.depth = outer.depth + 1;
  inner.outer = outer;
  inner.outerSlot = -1;
  inner.outerFlowId = 0;
  cur.off = outer.tunnelOffset;
  cur.end = outer.tunnelEnd;
  cur.declEnd = outer.tunnelEnd;
  cur.vlanDepth = 0;
  let type = outer.tunnelProto;
  if (outer.tunnel === Tunnel.GRE && isArubaWlan(type)) {
    // Aruba's access points tunnel the 802.11 frame itself (Zeek's GRE analyzer hands it to IEEE802_11)
    type = decodeIeee80211(inner, stats, cur);
    if (type < 0) return;
  }
  // a payload no decoder knows (WCCP, …) is not malformed: the inner packet stays empty
  if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6 && !ETHER_DECODERS.has(type)) return;
  decodeLayers(inner, stats, type, frags);
}

/**
 * Unwraps tunnels down to a bounded depth (decode.maxTunnelDepth, Zeek's Tunnel::max_depth), decoding each
 * level into a Packet of its own, allocated once: `inner(pkt)` gives the packet inside pkt, `inner(that)` the
 * one inside it, and so on. A packet is valid until the next call for the same depth.
 */
export class Decapsulator {
  private readonly levels: Packet[] = [];

  constructor(
    readonly maxDepth: number,
    private readonly frags: FragmentReassembler | null = null,
  ) {
    for (let i = 0; i < maxDepth; i++) this.levels.push(new Packet());
  }

  /** The decoded packet inside `outer`; null when it carries none, or when it is already at the bound (counted). */
  inner(outer: Packet, stats: DecodeStats): Packet | null {
    if (outer.tunnel === 0) return null;
    if (outer.depth >= this.maxDepth) {
      stats.event('decoder.tunnel.max_depth_exceeded');
      return null;
    }
    const p = this.levels[outer.depth]!;
    decodeTunnelled(outer, p, stats, this.frags);
    return p;
  }
}

function decodeUdpTunnel(pkt: Packet, stats: DecodeStats, app: number, po: number, plen: number): void {
  if (app === APP_VXLAN) decodeVxlan(pkt, stats, po, plen);
  else if (app === APP_GENEVE) decodeGeneve(pkt, stats, po, plen);
  else if (app === APP_TEREDO) decodeTeredo(pkt, po, plen, false);
  else if (app === APP_GTPU) decodeGtpu(pkt, stats, po, plen);
  else if (app === APP_AYIYA) decodeAyiya(pkt, stats, po, plen);
  else decodeGre(pkt, stats, po, po + plen, pkt.payloadOffset + pkt.payloadLen);
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
    if (app === APP_NONE) {
      // Teredo between a client and its relays and peers uses any port (tunnel.ts): an IPv6 header tells
      if (buf[po] >> 4 === 6 && pkt.fragment === 0) decodeTeredo(pkt, po, plen, true);
      return;
    }
    if (app === APP_DHCP) decodeDhcp(pkt, stats, po, plen);
    else if (app <= APP_MDNS) decodeDns(pkt, stats, po, plen, app === APP_MDNS);
    else if (pkt.fragment === 0) decodeUdpTunnel(pkt, stats, app, po, plen);
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
