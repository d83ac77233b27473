/**
 * IP and transport layers for the packet builder (packet-builder.ts re-exports all of it): IPv4 with
 * options and fragments, IPv6 with extension headers, TCP with options, UDP, ICMP and ICMPv6 — each with
 * correct lengths and checksums unless a test overrides them. Every function returns a new Buffer.
 */
import { parseIp } from '../decode/addr.js';

/** An IP address as text (IPv4 or IPv6) or already parsed into four words (IPv4-mapped for IPv4). */
export type IpLike = string | { version: 4 | 6; words: Uint32Array };

export const IpProto = { HOPOPT: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, IPV6_ROUTE: 43, IPV6_FRAG: 44, GRE: 47, ICMPV6: 58, IPV6_DSTOPTS: 60 } as const;

// ---- addresses and checksums ---------------------------------------------------------------------------

/** Parse an address; throws on a malformed one (builders are test tooling: bad input is a bug in the test). */
export function ip(a: IpLike): { version: 4 | 6; words: Uint32Array } {
  if (typeof a !== 'string') return a;
  const p = parseIp(a);
  if (p === null) throw new Error(`packet-builder: bad IP address '${a}'`);
  return p;
}

/** Address bytes in network order: 4 for IPv4, 16 for IPv6. */
export function addrBytes(a: IpLike): Buffer {
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
