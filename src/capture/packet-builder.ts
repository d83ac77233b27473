/**
 * Builds real frames as Buffers — correct lengths and checksums — for tests, the fuzz test, benchmarks and
 * the demo capture generator. Every function returns a new Buffer that the caller owns.
 *
 * Layers compose bottom-up: an L4 builder returns a segment, `ipv4`/`ipv6` wrap it, `ethernet` (or `sllV1`,
 * `sllV2`, `nullLoopback`, raw IP as is) frames it. The high-level `tcpFrame`, `udpFrame`, `icmpFrame` and
 * `arpFrame` do all of that from one options object and pick IPv4 or IPv6 from the address strings.
 *
 * Length and checksum fields can be overridden (`totalLength`, `headerLength`, `dataOffset`, `length`, …)
 * so tests can build packets that lie about themselves.
 *
 * IP and transport layers are in packet-builder-ip.ts, application payloads (DNS, DHCP, TLS ClientHello,
 * HTTP) in packet-builder-app.ts, tunnel headers (GRE, ERSPAN, VXLAN, Geneve, Teredo, GTP-U, AYIYA) in
 * packet-builder-tunnel.ts, other link layers (PPP, FabricPath, VN-Tag, 802.11 and radiotap) in
 * packet-builder-link.ts; all are re-exported here, so callers import from this file only.
 */
import { parseMac } from '../decode/addr.js';
import { addrBytes, ip, ipv4, ipv6, IpProto, icmp, icmpv6, tcp, udp, type Ipv6Ext, type TcpOpts } from './packet-builder-ip.js';

export * from './packet-builder-ip.js';
export * from './packet-builder-app.js';
export * from './packet-builder-tunnel.js';
export * from './packet-builder-frag.js';
export * from './packet-builder-link.js';

/** A MAC as "aa:bb:cc:dd:ee:ff" or a 48-bit number. */
export type MacLike = string | number;

/** One VLAN tag. A bare number means VLAN id with priority 0 and the default TPID for its position. */
export interface VlanTag {
  id: number;
  pcp?: number;
  dei?: boolean;
  /** 0x8100 (802.1Q) or 0x88a8 (802.1ad S-tag); default: 0x88a8 for the outer of two tags, else 0x8100 */
  tpid?: number;
}

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

export const DEFAULT_SRC_MAC = '02:00:00:00:00:02';
export const DEFAULT_DST_MAC = '02:00:00:00:00:01';

// ---- MAC addresses -------------------------------------------------------------------------------------

function mac(m: MacLike): number {
  if (typeof m === 'number') return m;
  const n = parseMac(m);
  if (n === null) throw new Error(`packet-builder: bad MAC '${m}'`);
  return n;
}

function writeMac(buf: Buffer, off: number, m: MacLike): void {
  const n = mac(m);
  buf.writeUInt16BE(Math.floor(n / 0x100000000) & 0xffff, off);
  buf.writeUInt32BE(n >>> 0, off + 2);
}

// ---- link layer ----------------------------------------------------------------------------------------

export interface EthernetOpts {
  src?: MacLike;
  dst?: MacLike;
  etherType: number;
  /** tags outer first: one tag is 802.1Q, two are QinQ (outer 802.1ad S-tag, inner 802.1Q C-tag) */
  vlan?: number | (number | VlanTag)[];
  payload: Buffer;
}

/** Ethernet II frame (no FCS, no padding: captures show frames as the NIC delivered them). */
export function ethernet(o: EthernetOpts): Buffer {
  const tags = o.vlan === undefined ? [] : Array.isArray(o.vlan) ? o.vlan : [o.vlan];
  const hdr = Buffer.alloc(14 + 4 * tags.length);
  writeMac(hdr, 0, o.dst ?? DEFAULT_DST_MAC);
  writeMac(hdr, 6, o.src ?? DEFAULT_SRC_MAC);
  let off = 12;
  tags.forEach((t, i) => {
    const tag: VlanTag = typeof t === 'number' ? { id: t } : t;
    const tpid = tag.tpid ?? (tags.length > 1 && i === 0 ? EtherType.QINQ : EtherType.VLAN);
    hdr.writeUInt16BE(tpid, off);
    hdr.writeUInt16BE((((tag.pcp ?? 0) & 7) << 13) | (tag.dei ? 0x1000 : 0) | (tag.id & 0xfff), off + 2);
    off += 4;
  });
  hdr.writeUInt16BE(o.etherType, off);
  return Buffer.concat([hdr, o.payload]);
}

/**
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL): packet type (0 to us, 4 outgoing, …), ARPHRD type (1 Ethernet,
 * 772 loopback), link-layer address (up to 8 bytes used), protocol (EtherType).
 */
export function sllV1(o: { packetType?: number; arphrd?: number; addr?: MacLike; protocol: number; payload: Buffer }): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(o.packetType ?? 0, 0);
  h.writeUInt16BE(o.arphrd ?? 1, 2);
  h.writeUInt16BE(6, 4);
  writeMac(h, 6, o.addr ?? DEFAULT_SRC_MAC);
  h.writeUInt16BE(o.protocol, 14);
  return Buffer.concat([h, o.payload]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol first, then interface index, as libpcap writes it. */
export function sllV2(o: { packetType?: number; arphrd?: number; ifIndex?: number; addr?: MacLike; protocol: number; payload: Buffer }): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.protocol, 0);
  h.writeUInt32BE(o.ifIndex ?? 1, 4);
  h.writeUInt16BE(o.arphrd ?? 1, 8);
  h[10] = o.packetType ?? 0;
  h[11] = 6;
  writeMac(h, 12, o.addr ?? DEFAULT_SRC_MAC);
  return Buffer.concat([h, o.payload]);
}

/**
 * BSD loopback framing: a 4-byte address family (2 IPv4; IPv6 is 24, 28 or 30 depending on the OS).
 * LINKTYPE_NULL stores it in the writer's byte order (`littleEndian`, default true), LINKTYPE_LOOP in network order.
 */
export function nullLoopback(o: { family: number; payload: Buffer; littleEndian?: boolean }): Buffer {
  const h = Buffer.alloc(4);
  if (o.littleEndian ?? true) h.writeUInt32LE(o.family);
  else h.writeUInt32BE(o.family);
  return Buffer.concat([h, o.payload]);
}

/** LINKTYPE_RAW framing is the IP packet itself; kept as a function so call sites read alike. */
export function rawIp(ipPacket: Buffer): Buffer {
  return Buffer.from(ipPacket);
}

/** ARP for Ethernet/IPv4 (28 bytes). op 1 request, 2 reply. */
export function arp(o: { op: number; senderMac: MacLike; senderIp: string; targetMac?: MacLike; targetIp: string }): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(EtherType.IPV4, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(o.op, 6);
  writeMac(b, 8, o.senderMac);
  addrBytes(o.senderIp).copy(b, 14);
  writeMac(b, 18, o.targetMac ?? 0);
  addrBytes(o.targetIp).copy(b, 24);
  return b;
}

// ---- high level ----------------------------------------------------------------------------------------

/** Link and IP fields shared by the high-level frame builders. IPv4 or IPv6 is chosen from `src`. */
export interface FrameOpts {
  srcMac?: MacLike;
  dstMac?: MacLike;
  vlan?: number | (number | VlanTag)[];
  src: string;
  dst: string;
  ttl?: number;
  /** IPv4 id */
  ipId?: number;
  df?: boolean;
  tos?: number;
  /** IPv6 only */
  flowLabel?: number;
  ext?: Ipv6Ext[];
}

/** IP packet (v4 or v6 from the address) around an L4 payload. */
export function ipPacket(o: FrameOpts & { proto: number; payload: Buffer }): Buffer {
  const s = ip(o.src);
  const d = ip(o.dst);
  if (s.version !== d.version) throw new Error(`packet-builder: mixed address families ${o.src} → ${o.dst}`);
  if (s.version === 4) {
    return ipv4({ src: s, dst: d, proto: o.proto, payload: o.payload, ttl: o.ttl, id: o.ipId, df: o.df, tos: o.tos });
  }
  return ipv6({ src: s, dst: d, proto: o.proto, payload: o.payload, hopLimit: o.ttl, flowLabel: o.flowLabel, trafficClass: o.tos, ext: o.ext });
}

/** Ethernet frame around an IP packet built from `o`. */
export function ipFrame(o: FrameOpts & { proto: number; payload: Buffer }): Buffer {
  const pkt = ipPacket(o);
  const etherType = (pkt[0] >> 4) === 6 ? EtherType.IPV6 : EtherType.IPV4;
  return ethernet({ src: o.srcMac, dst: o.dstMac, vlan: o.vlan, etherType, payload: pkt });
}

export type TcpFrameOpts = FrameOpts & Omit<TcpOpts, 'src' | 'dst'>;

/** Ethernet + IPv4/IPv6 + TCP, e.g. `tcpFrame({ src: '10.99.0.2', dst: '10.99.0.1', sport: 40000, dport: 80, flags: 'S' })`. */
export function tcpFrame(o: TcpFrameOpts): Buffer {
  return ipFrame({ ...o, proto: IpProto.TCP, payload: tcp({ ...o, src: o.src, dst: o.dst }) });
}

export type UdpFrameOpts = FrameOpts & { sport: number; dport: number; payload?: Buffer | string; length?: number };

/** Ethernet + IPv4/IPv6 + UDP. */
export function udpFrame(o: UdpFrameOpts): Buffer {
  return ipFrame({ ...o, proto: IpProto.UDP, payload: udp({ ...o, src: o.src, dst: o.dst }) });
}

export type IcmpFrameOpts = FrameOpts & { type?: number; code?: number; id?: number; seq?: number; rest?: number; payload?: Buffer; quoted?: Buffer };

/**
 * Ethernet + ICMP (IPv4 addresses) or ICMPv6 (IPv6 addresses). Default type: echo request (8 or 128).
 */
export function icmpFrame(o: IcmpFrameOpts): Buffer {
  if (ip(o.src).version === 4) {
    return ipFrame({ ...o, proto: IpProto.ICMP, payload: icmp({ ...o, type: o.type ?? 8 }) });
  }
  return ipFrame({ ...o, proto: IpProto.ICMPV6, payload: icmpv6({ ...o, src: o.src, dst: o.dst, type: o.type ?? 128 }) });
}

/** Ethernet + ARP. Requests go to broadcast unless `dstMac` is given. */
export function arpFrame(o: { srcMac?: MacLike; dstMac?: MacLike; vlan?: number | (number | VlanTag)[]; op?: number; senderMac?: MacLike; senderIp: string; targetMac?: MacLike; targetIp: string }): Buffer {
  const op = o.op ?? 1;
  const srcMac = o.srcMac ?? o.senderMac ?? DEFAULT_SRC_MAC;
  const dstMac = o.dstMac ?? (op === 1 ? 'ff:ff:ff:ff:ff:ff' : (o.targetMac ?? DEFAULT_DST_MAC));
  const body = arp({ op, senderMac: o.senderMac ?? srcMac, senderIp: o.senderIp, targetMac: o.targetMac ?? 0, targetIp: o.targetIp });
  return ethernet({ src: srcMac, dst: dstMac, vlan: o.vlan, etherType: EtherType.ARP, payload: body });
}
