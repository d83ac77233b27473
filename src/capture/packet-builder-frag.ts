/**
 * IP fragments for the packet builder (packet-builder.ts re-exports it): cut an IPv4 or IPv6 packet built by
 * ipv4()/ipv6()/ipPacket() into fragments, in any order, overlapping or with other bytes, as senders and
 * attackers do. Every function returns new Buffers.
 */
import { internetChecksum } from './packet-builder-ip.js';

/** One fragment to cut: payload bytes [off, end) of the fragmentable part. */
export interface FragmentSpec {
  off: number;
  end: number;
  /** more-fragments flag; default: end is short of the payload's end */
  more?: boolean;
  /** bytes to send instead of the packet's own (an overlap that disagrees) */
  data?: Buffer;
}

/** IPv6 extension headers that stay in front of the fragment header (RFC 8200 4.5: hop-by-hop, routing). */
const UNFRAGMENTABLE = new Set([0, 43]);

/**
 * Fragments of `packet` (an IPv4 or IPv6 packet without link layer), one per spec, in the order given.
 * IPv4 repeats the header (options included) in every fragment; IPv6 keeps the hop-by-hop and routing headers
 * in front and inserts a fragment header with `id`.
 */
export function fragments(packet: Buffer, specs: FragmentSpec[], o: { id?: number } = {}): Buffer[] {
  const v = packet[0] >> 4;
  if (v === 4) {
    const hlen = (packet[0] & 0x0f) * 4;
    const payload = packet.subarray(hlen, (packet[2] << 8) | packet[3]);
    return specs.map((s) => {
      const data = s.data ?? payload.subarray(s.off, s.end);
      const h = Buffer.from(packet.subarray(0, hlen));
      h.writeUInt16BE(hlen + data.length, 2);
      if (o.id !== undefined) h.writeUInt16BE(o.id & 0xffff, 4);
      const more = s.more ?? s.end < payload.length;
      h.writeUInt16BE((h.readUInt16BE(6) & 0x4000) | (more ? 0x2000 : 0) | ((s.off >> 3) & 0x1fff), 6);
      h.writeUInt16BE(0, 10);
      h.writeUInt16BE(internetChecksum(h), 10);
      return Buffer.concat([h, data]);
    });
  }
  if (v !== 6) throw new Error('packet-builder: fragments of a packet that is neither IPv4 nor IPv6');
  // walk the unfragmentable extension headers
  let nhAt = 6;
  let p = 40;
  while (UNFRAGMENTABLE.has(packet[nhAt])) {
    nhAt = p;
    p += (packet[p + 1] + 1) * 8;
  }
  const nextHeader = packet[nhAt];
  const unfrag = packet.subarray(0, p);
  const payload = packet.subarray(p, 40 + packet.readUInt16BE(4));
  return specs.map((s) => {
    const data = s.data ?? payload.subarray(s.off, s.end);
    const h = Buffer.from(unfrag);
    h[nhAt] = 44;
    const fh = Buffer.alloc(8);
    fh[0] = nextHeader;
    const more = s.more ?? s.end < payload.length;
    fh.writeUInt16BE((s.off & 0xfff8) | (more ? 1 : 0), 2);
    fh.writeUInt32BE((o.id ?? 0x1234) >>> 0, 4);
    h.writeUInt16BE(h.length - 40 + 8 + data.length, 4);
    return Buffer.concat([h, fh, data]);
  });
}

/** Fragments of `packet` of `size` payload bytes each (a multiple of 8), in order. */
export function fragmentEvenly(packet: Buffer, size: number, o: { id?: number } = {}): Buffer[] {
  if (size <= 0 || size % 8 !== 0) throw new Error('packet-builder: fragment size must be a positive multiple of 8');
  const v = packet[0] >> 4;
  const start = v === 4 ? (packet[0] & 0x0f) * 4 : 40;
  const total = v === 4 ? ((packet[2] << 8) | packet[3]) - start : packet.readUInt16BE(4);
  // IPv6: the unfragmentable headers are not payload; fragments() finds them, here only the length matters
  let unfrag = 0;
  if (v === 6) {
    let nhAt = 6;
    let p = 40;
    while (UNFRAGMENTABLE.has(packet[nhAt])) {
      nhAt = p;
      p += (packet[p + 1] + 1) * 8;
    }
    unfrag = p - 40;
  }
  const len = total - unfrag;
  const specs: FragmentSpec[] = [];
  for (let off = 0; off < len; off += size) specs.push({ off, end: Math.min(len, off + size) });
  return fragments(packet, specs, o);
}
