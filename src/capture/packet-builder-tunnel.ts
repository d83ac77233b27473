/**
 * Tunnel headers for the packet builder (packet-builder.ts re-exports all of it): GRE (with PPTP's version 1),
 * ERSPAN II/III, VXLAN, Geneve, Teredo, GTP-U and AYIYA. Each returns the tunnel header followed by its payload;
 * the caller wraps that in IP (GRE: protocol 47) or UDP (the others, on their ports). IP-in-IP needs no header
 * of its own: `ipPacket({ proto: IpProto.IPIP, payload: innerIpPacket })`.
 */

export const GreProto = { IPV4: 0x0800, IPV6: 0x86dd, TEB: 0x6558, ERSPAN2: 0x88be, ERSPAN3: 0x22eb, PPP: 0x880b, MPLS: 0x8847 } as const;

export interface GreOpts {
  /** protocol type (an EtherType, GreProto) */
  proto: number;
  payload: Buffer;
  /** version 0 (RFC 2784/2890, default) or 1 (PPTP, RFC 2637: the key is payload length and `key` as call id) */
  version?: number;
  /** checksum present (the field is written as 0) */
  checksum?: boolean;
  key?: number;
  seq?: number;
  /** version 1: acknowledgement number */
  ack?: number;
  /** OR-ed into the flags/version word as is, for headers that lie (routing 0x4000, reserved 0x0078, …) */
  extraFlags?: number;
}

/** GRE header and payload. */
export function gre(o: GreOpts): Buffer {
  const v = o.version ?? 0;
  let fv = v & 7;
  const words: number[] = [];
  if (o.checksum) {
    fv |= 0x8000;
    words.push(0);
  }
  if (o.key !== undefined) {
    fv |= 0x2000;
    words.push(v === 1 ? ((o.payload.length & 0xffff) << 16) | (o.key & 0xffff) : o.key);
  }
  if (o.seq !== undefined) {
    fv |= 0x1000;
    words.push(o.seq);
  }
  if (o.ack !== undefined) {
    fv |= 0x0080;
    words.push(o.ack);
  }
  fv |= o.extraFlags ?? 0;
  const h = Buffer.alloc(4 + 4 * words.length);
  h.writeUInt16BE(fv & 0xffff, 0);
  h.writeUInt16BE(o.proto, 2);
  words.forEach((w, i) => h.writeUInt32BE(w >>> 0, 4 + 4 * i));
  return Buffer.concat([h, o.payload]);
}

/** PPTP's payload: PPP with address/control 0xff 0x03 and protocol 0x0021 (IPv4) or 0x0057 (IPv6). */
export function ppp(o: { protocol: number; payload: Buffer }): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0x03, o.protocol >> 8, o.protocol & 0xff]), o.payload]);
}

/**
 * ERSPAN type II (8 bytes, version 1; carry it in GRE 0x88be with a sequence number) or type III (12 bytes,
 * version 2, GRE 0x22eb; `platform` adds the 8-byte platform-specific subheader and sets the O flag), then the
 * mirrored Ethernet frame.
 */
export function erspan(o: { type: 2 | 3; session?: number; vlan?: number; version?: number; platform?: boolean; payload: Buffer }): Buffer {
  const session = (o.session ?? 0) & 0x3ff;
  if (o.type === 2) {
    const h = Buffer.alloc(8);
    h.writeUInt16BE((((o.version ?? 1) & 0xf) << 12) | ((o.vlan ?? 0) & 0xfff), 0);
    h.writeUInt16BE(session, 2);
    return Buffer.concat([h, o.payload]);
  }
  const h = Buffer.alloc(o.platform ? 20 : 12);
  h.writeUInt16BE((((o.version ?? 2) & 0xf) << 12) | ((o.vlan ?? 0) & 0xfff), 0);
  h.writeUInt16BE(session, 2);
  if (o.platform) h[11] |= 1;
  return Buffer.concat([h, o.payload]);
}

/** VXLAN header (I flag, VNI) and the Ethernet frame it carries; for UDP port 4789. */
export function vxlan(o: { vni: number; payload: Buffer; flags?: number }): Buffer {
  const h = Buffer.alloc(8);
  h[0] = o.flags ?? 0x08;
  h.writeUIntBE(o.vni & 0xffffff, 4, 3);
  return Buffer.concat([h, o.payload]);
}

/** Geneve header (version 0, options as given, padded to 4-byte units) and payload; for UDP port 6081. */
export function geneve(o: { vni: number; proto?: number; options?: Buffer; version?: number; payload: Buffer }): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(opts.length / 4);
  const h = Buffer.alloc(8 + optLen * 4);
  h[0] = (((o.version ?? 0) & 3) << 6) | (optLen & 0x3f);
  h.writeUInt16BE(o.proto ?? GreProto.TEB, 2);
  h.writeUIntBE(o.vni & 0xffffff, 4, 3);
  opts.copy(h, 8);
  return Buffer.concat([h, o.payload]);
}

/** Teredo: optional origin indication (port and IPv4 address, obfuscated as RFC 4380 has it), then the IPv6 packet. */
export function teredo(o: { payload: Buffer; origin?: { port: number; addr: number } }): Buffer {
  if (o.origin === undefined) return Buffer.from(o.payload);
  const h = Buffer.alloc(8);
  h.writeUInt16BE((o.origin.port ^ 0xffff) & 0xffff, 2);
  h.writeUInt32BE((o.origin.addr ^ 0xffffffff) >>> 0, 4);
  return Buffer.concat([h, o.payload]);
}

/**
 * GTP-U (GTPv1, protocol type 1): message type 255 (G-PDU) by default, the TEID, and with `ext` the sequence
 * word and those extension headers (each given as its content; length and next-type bytes are added).
 */
export function gtpu(o: { teid: number; payload: Buffer; msgType?: number; seq?: number; ext?: { type: number; content: Buffer }[] }): Buffer {
  const parts: Buffer[] = [];
  let flags = 0x30;
  if (o.seq !== undefined || o.ext !== undefined) {
    flags |= o.ext !== undefined && o.ext.length > 0 ? 0x04 : 0x02;
    const w = Buffer.alloc(4);
    w.writeUInt16BE((o.seq ?? 0) & 0xffff, 0);
    w[3] = o.ext?.[0]?.type ?? 0;
    parts.push(w);
    (o.ext ?? []).forEach((e, i) => {
      const units = Math.ceil((e.content.length + 2) / 4);
      const b = Buffer.alloc(units * 4);
      b[0] = units;
      e.content.copy(b, 1);
      b[units * 4 - 1] = o.ext![i + 1]?.type ?? 0;
      parts.push(b);
    });
  }
  parts.push(o.payload);
  const rest = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h[0] = flags;
  h[1] = o.msgType ?? 0xff;
  h.writeUInt16BE(rest.length, 2);
  h.writeUInt32BE(o.teid >>> 0, 4);
  return Buffer.concat([h, rest]);
}

/** AYIYA "forward" (opcode 1) of an IPv4 (next header 4) or IPv6 (41) packet, with a 2^n-byte identity and no signature by default. */
export function ayiya(o: { payload: Buffer; nextHeader?: number; identity?: Buffer; signatureWords?: number; opcode?: number }): Buffer {
  const id = o.identity ?? Buffer.alloc(16);
  const idExp = Math.round(Math.log2(id.length));
  if (1 << idExp !== id.length) throw new Error('packet-builder: an AYIYA identity is 2^n bytes');
  const sigWords = o.signatureWords ?? 0;
  const h = Buffer.alloc(8);
  h[0] = (idExp << 4) | 1; // identity type 1: integer
  h[1] = (sigWords << 4) | (sigWords > 0 ? 2 : 0); // SHA-1 hash when signed
  h[2] = (sigWords > 0 ? 0x10 : 0) | ((o.opcode ?? 1) & 0x0f);
  h[3] = o.nextHeader ?? ((o.payload[0] ?? 0) >> 4 === 6 ? 41 : 4);
  return Buffer.concat([h, id, Buffer.alloc(sigWords * 4), o.payload]);
}
