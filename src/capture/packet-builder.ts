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
 * Application payloads (DNS, DHCP, TLS ClientHello, HTTP) are in packet-builder-app.ts, re-exported here.
 */
import { parseIp, parseMac } from '../decode/addr.js';

export * from './packet-builder-app.js';

/** A MAC as "aa:bb:cc:dd:ee:ff" or a 48-bit number. */
export type MacLike = string | number;
/** An IP address as text (IPv4 or IPv6) or already parsed into four words (IPv4-mapped for IPv4). */
export type IpLike = string | { version: 4 | 6; words: Uint32Array };

/** One VLAN tag. A bare number means VLAN id with priority 0 and the default TPID for its position. */
export interface VlanTag {
  id: number;
  pcp?: number;
  dei?: boolean;
  /** 0x8100 (802.1Q) or 0x88a8 (802.1ad S-tag); default: 0x88a8 for the outer of two tags, else 0x8100 */
  tpid?: number;
}

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IpProto = { HOPOPT: 0, ICMP: 1, TCP: 6, UDP: 17, IPV6_ROUTE: 43, IPV6_FRAG: 44, ICMPV6: 58, IPV6_DSTOPTS: 60 } as const;

export const DEFAULT_SRC_MAC = '02:00:00:00:00:02';
export const DEFAULT_DST_MAC = '02:00:00:00:00:01';

// ---- helpers -------------------------------------------------------------------------------------------

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

/** Parse an address; throws on a malformed one (builders are test tooling: bad input is a bug in the test). */
export function ip(a: IpLike): { version: 4 | 6; words: Uint32Array } {
  if (typeof a !== 'string') return a;
  const p = parseIp(a);
  if (p === null) throw new Error(`packet-builder: bad IP address '${a}'`);
  return p;
}

function addrBytes(a: IpLike): Buffer {
  const p = ip(a);
  if (p.version === 4) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(p.words[3]);
    return b;
  }
  const b = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) b.writeUInt32BE(p.words[i], i * 4);
  return b;
}

/** One's-complement sum of 16-bit words (odd trailing byte padded with zero), not yet folded. */
function sum16(buf: Buffer, sum = 0): number {
  const n = buf.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  return sum;
}

/** Internet checksum (RFC 1071) of the given buffers concatenated. */
export function internetChecksum(...parts: Buffer[]): number {
  let s = sum16(Buffer.concat(parts));
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** TCP/UDP/ICMPv6 pseudo-header for the checksum (RFC 793 / RFC 8200 8.1). */
function pseudoHeader(src: IpLike, dst: IpLike, proto: number, len: number): Buffer {
  const s = addrBytes(src);
  const d = addrBytes(dst);
  if (s.length === 4) {
    const p = Buffer.alloc(4);
    p[1] = proto;
    p.writeUInt16BE(len & 0xffff, 2);
    return Buffer.concat([s, d, p]);
  }
  const p = Buffer.alloc(8);
  p.writeUInt32BE(len >>> 0, 0);
  p[7] = proto;
  return Buffer.concat([s, d, p]);
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

// ---- network layer -------------------------------------------------------------------------------------

export interface Ipv4Opts {
  src: IpLike;
  dst: IpLike;
  proto: number;
  payload: Buffer;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** fragment offset in bytes (a multiple of 8) */
  fragOffset?: number;
  /** raw option bytes, padded with EOL to a multiple of 4 */
  options?: Buffer;
  /** overrides for malformed packets */
  headerLength?: number;
  totalLength?: number;
  version?: number;
}

/** IPv4 packet with a correct header checksum (computed after any overrides). */
export function ipv4(o: Ipv4Opts): Buffer {
  let opts = o.options ?? Buffer.alloc(0);
  if (opts.length % 4) opts = Buffer.concat([opts, Buffer.alloc(4 - (opts.length % 4))]);
  const hlen = 20 + opts.length;
  const h = Buffer.alloc(hlen);
  h[0] = ((o.version ?? 4) << 4) | ((o.headerLength ?? hlen) / 4);
  h[1] = o.tos ?? 0;
  h.writeUInt16BE((o.totalLength ?? hlen + o.payload.length) & 0xffff, 2);
  h.writeUInt16BE((o.id ?? 0) & 0xffff, 4);
  h.writeUInt16BE((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (((o.fragOffset ?? 0) >> 3) & 0x1fff), 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  addrBytes(o.src).copy(h, 12);
  addrBytes(o.dst).copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, o.payload]);
}

/** An IPv6 extension header. Hop-by-hop and destination options are padded with PadN to a multiple of 8. */
export type Ipv6Ext =
  | { type: 'hop' | 'dst'; options?: Buffer }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; addresses?: string[] }
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number };

const EXT_PROTO = { hop: 0, routing: 43, fragment: 44, dst: 60 } as const;

function extHeader(e: Ipv6Ext, next: number): Buffer {
  if (e.type === 'fragment') {
    const b = Buffer.alloc(8);
    b[0] = next;
    b.writeUInt16BE((((e.offset ?? 0) >> 3) << 3) | (e.more ? 1 : 0), 2);
    b.writeUInt32BE((e.id ?? 0) >>> 0, 4);
    return b;
  }
  if (e.type === 'routing') {
    const addrs = (e.addresses ?? []).map(addrBytes);
    const b = Buffer.concat([Buffer.alloc(8), ...addrs]);
    b[0] = next;
    b[1] = b.length / 8 - 1;
    b[2] = e.routingType ?? 0;
    b[3] = e.segmentsLeft ?? addrs.length;
    return b;
  }
  let opts = e.options ?? Buffer.alloc(0);
  const padTo = Math.ceil((opts.length + 2) / 8) * 8;
  const pad = padTo - 2 - opts.length;
  if (pad === 1) opts = Buffer.concat([opts, Buffer.from([0])]); // Pad1
  else if (pad > 1) opts = Buffer.concat([opts, Buffer.from([1, pad - 2]), Buffer.alloc(pad - 2)]); // PadN
  const b = Buffer.concat([Buffer.alloc(2), opts]);
  b[0] = next;
  b[1] = b.length / 8 - 1;
  return b;
}

export interface Ipv6Opts {
  src: IpLike;
  dst: IpLike;
  /** upper-layer protocol after the extension headers */
  proto: number;
  payload: Buffer;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** extension headers in order */
  ext?: Ipv6Ext[];
  /** override of the payload length field */
  payloadLength?: number;
}

/** IPv6 packet with its extension-header chain. */
export function ipv6(o: Ipv6Opts): Buffer {
  const ext = o.ext ?? [];
  const hdrs: Buffer[] = [];
  for (let i = 0; i < ext.length; i++) {
    const next = i + 1 < ext.length ? EXT_PROTO[ext[i + 1].type] : o.proto;
    hdrs.push(extHeader(ext[i], next));
  }
  const body = Buffer.concat([...hdrs, o.payload]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((6 << 28) | (((o.trafficClass ?? 0) & 0xff) << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE((o.payloadLength ?? body.length) & 0xffff, 4);
  h[6] = ext.length > 0 ? EXT_PROTO[ext[0].type] : o.proto;
  h[7] = o.hopLimit ?? 64;
  addrBytes(o.src).copy(h, 8);
  addrBytes(o.dst).copy(h, 24);
  return Buffer.concat([h, body]);
}

// ---- transport layer -----------------------------------------------------------------------------------

/** TCP flags as letters (F S R P A U E C, e.g. 'S', 'SA', 'PA', 'FA', 'R', 'RA') or as a number of TcpFlag bits. */
export type TcpFlags = string | number;

export function tcpFlagBits(f: TcpFlags): number {
  if (typeof f === 'number') return f;
  let n = 0;
  for (const c of f.toUpperCase()) {
    const bit = 'FSRPAUEC'.indexOf(c);
    if (bit < 0) throw new Error(`packet-builder: bad TCP flag '${c}' in '${f}'`);
    n |= 1 << bit;
  }
  return n;
}

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** [TSval, TSecr] */
  timestamps?: [number, number];
  /** SACK blocks [left, right] */
  sack?: [number, number][];
  /** appended verbatim after the others (for malformed options) */
  raw?: Buffer;
}

/** Option bytes in Linux's order, padded with EOL to a multiple of 4. */
export function tcpOptionBytes(o: TcpOptions): Buffer {
  const parts: Buffer[] = [];
  if (o.mss !== undefined) parts.push(Buffer.from([2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff]));
  if (o.sackPermitted) parts.push(Buffer.from([4, 2]));
  if (o.timestamps) {
    const b = Buffer.alloc(10);
    b[0] = 8;
    b[1] = 10;
    b.writeUInt32BE(o.timestamps[0] >>> 0, 2);
    b.writeUInt32BE(o.timestamps[1] >>> 0, 6);
    parts.push(b);
  }
  if (o.wscale !== undefined) parts.push(Buffer.from([1, 3, 3, o.wscale]));
  if (o.sack && o.sack.length > 0) {
    const b = Buffer.alloc(2 + 8 * o.sack.length);
    b[0] = 5;
    b[1] = b.length;
    o.sack.forEach(([l, r], i) => {
      b.writeUInt32BE(l >>> 0, 2 + 8 * i);
      b.writeUInt32BE(r >>> 0, 6 + 8 * i);
    });
    parts.push(Buffer.concat([Buffer.from([1, 1]), b]));
  }
  if (o.raw) parts.push(o.raw);
  let all = Buffer.concat(parts);
  if (all.length % 4) all = Buffer.concat([all, Buffer.alloc(4 - (all.length % 4))]);
  return all;
}

export interface TcpOpts {
  src: IpLike;
  dst: IpLike;
  sport: number;
  dport: number;
  flags?: TcpFlags;
  seq?: number;
  ack?: number;
  window?: number;
  urgent?: number;
  options?: TcpOptions;
  payload?: Buffer | string;
  /** data offset override in 32-bit words (malformed packets) */
  dataOffset?: number;
}

/** TCP segment with its checksum over the pseudo-header of src/dst. Default flags 'A'. */
export function tcp(o: TcpOpts): Buffer {
  const opts = o.options ? tcpOptionBytes(o.options) : Buffer.alloc(0);
  const payload = typeof o.payload === 'string' ? Buffer.from(o.payload) : (o.payload ?? Buffer.alloc(0));
  const h = Buffer.alloc(20 + opts.length);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE((o.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = ((o.dataOffset ?? h.length / 4) & 0xf) << 4;
  h[13] = tcpFlagBits(o.flags ?? 'A') & 0xff;
  h.writeUInt16BE(o.window ?? 64240, 14);
  h.writeUInt16BE(o.urgent ?? 0, 18);
  opts.copy(h, 20);
  const seg = Buffer.concat([h, payload]);
  seg.writeUInt16BE(internetChecksum(pseudoHeader(o.src, o.dst, IpProto.TCP, seg.length), seg), 16);
  return seg;
}

/** UDP datagram with its checksum. `length` overrides the length field (malformed packets). */
export function udp(o: { src: IpLike; dst: IpLike; sport: number; dport: number; payload?: Buffer | string; length?: number }): Buffer {
  const payload = typeof o.payload === 'string' ? Buffer.from(o.payload) : (o.payload ?? Buffer.alloc(0));
  const d = Buffer.concat([Buffer.alloc(8), payload]);
  d.writeUInt16BE(o.sport, 0);
  d.writeUInt16BE(o.dport, 2);
  d.writeUInt16BE((o.length ?? d.length) & 0xffff, 4);
  const c = internetChecksum(pseudoHeader(o.src, o.dst, IpProto.UDP, d.length), d);
  d.writeUInt16BE(c === 0 ? 0xffff : c, 6); // 0 means "no checksum" for UDP over IPv4
  return d;
}

/**
 * ICMPv4 message. `rest` is the 4-byte field after the checksum (id/seq for echo); defaults from id/seq.
 * For errors (type 3 destination unreachable, 11 time exceeded) pass the offending IP packet as `quoted`:
 * its header plus the first 8 payload bytes are quoted, as RFC 792 requires at least.
 */
export function icmp(o: { type: number; code?: number; id?: number; seq?: number; rest?: number; payload?: Buffer; quoted?: Buffer }): Buffer {
  let body = o.payload ?? Buffer.alloc(0);
  if (o.quoted) {
    const ihl = (o.quoted[0] & 0xf) * 4;
    body = Buffer.from(o.quoted.subarray(0, Math.min(o.quoted.length, ihl + 8)));
  }
  const m = Buffer.concat([Buffer.alloc(8), body]);
  m[0] = o.type;
  m[1] = o.code ?? 0;
  m.writeUInt32BE((o.rest ?? (((o.id ?? 0) & 0xffff) << 16) | ((o.seq ?? 0) & 0xffff)) >>> 0, 4);
  m.writeUInt16BE(internetChecksum(m), 2);
  return m;
}

/**
 * ICMPv6 message with its pseudo-header checksum. Echo (128/129) uses id/seq; errors (1 unreachable,
 * 3 time exceeded) quote `quoted` whole. Neighbour discovery messages pass their body in `payload` after `rest`.
 */
export function icmpv6(o: { src: IpLike; dst: IpLike; type: number; code?: number; id?: number; seq?: number; rest?: number; payload?: Buffer; quoted?: Buffer }): Buffer {
  const body = o.quoted ? Buffer.from(o.quoted.subarray(0, 1232)) : (o.payload ?? Buffer.alloc(0));
  const m = Buffer.concat([Buffer.alloc(8), body]);
  m[0] = o.type;
  m[1] = o.code ?? 0;
  m.writeUInt32BE((o.rest ?? (((o.id ?? 0) & 0xffff) << 16) | ((o.seq ?? 0) & 0xffff)) >>> 0, 4);
  m.writeUInt16BE(internetChecksum(pseudoHeader(o.src, o.dst, IpProto.ICMPV6, m.length), m), 2);
  return m;
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
