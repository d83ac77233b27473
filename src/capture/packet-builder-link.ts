/**
 * Link layers besides Ethernet for the packet builder (packet-builder.ts re-exports all of it): PPP as a
 * capture's link type (LINKTYPE_PPP, LINKTYPE_PPP_HDLC), Cisco FabricPath and VN-Tag inside Ethernet, and
 * 802.11 frames with an optional radiotap header for monitor captures. Each returns a new Buffer: a whole frame
 * of its link type, or (fabricPath, vnTag) the payload of an Ethernet frame of their EtherType.
 */

/** A MAC as "aa:bb:cc:dd:ee:ff". */
function macBytes(m: string): Buffer {
  const b = Buffer.from(m.split(':').map((x) => parseInt(x, 16)));
  if (b.length !== 6 || m.split(':').some((x) => !/^[0-9a-fA-F]{2}$/.test(x))) throw new Error(`packet-builder: bad MAC '${m}'`);
  return b;
}

/** PPP protocol numbers (RFC 1661 and the IANA registry) */
export const PppProto = { IPV4: 0x0021, IPV6: 0x0057, MPLS: 0x0281, LCP: 0xc021, IPCP: 0x8021 } as const;

/**
 * LINKTYPE_PPP frame: address/control 0xff 0x03 unless `hdlc` is false, then the protocol, in one byte when
 * `compress` (protocol-field compression; only protocols below 0x100) and the payload.
 */
export function pppLink(o: { protocol: number; payload: Buffer; hdlc?: boolean; compress?: boolean }): Buffer {
  const hdr: number[] = o.hdlc === false ? [] : [0xff, 0x03];
  if (o.compress) hdr.push(o.protocol & 0xff);
  else hdr.push(o.protocol >> 8, o.protocol & 0xff);
  return Buffer.concat([Buffer.from(hdr), o.payload]);
}

/**
 * LINKTYPE_PPP_HDLC frame: address (0xff PPP, 0x0f / 0x8f Cisco HDLC, whose protocol is an EtherType),
 * control (0x03 PPP, 0 Cisco), 2-byte protocol, payload.
 */
export function pppSerial(o: { protocol: number; payload: Buffer; address?: number }): Buffer {
  const addr = o.address ?? 0xff;
  const control = addr === 0xff ? 0x03 : 0;
  return Buffer.concat([Buffer.from([addr, control, o.protocol >> 8, o.protocol & 0xff]), o.payload]);
}

/**
 * The payload of an Ethernet frame of EtherType 0x8903 (its MACs are the outer, FabricPath switch
 * addresses): FTag (10 bits) and TTL (6 bits), then the classic Ethernet frame `frame`.
 */
export function fabricPath(o: { frame: Buffer; ftag?: number; ttl?: number }): Buffer {
  const tag = (((o.ftag ?? 1) & 0x3ff) << 6) | ((o.ttl ?? 32) & 0x3f);
  return Buffer.concat([Buffer.from([tag >> 8, tag & 0xff]), o.frame]);
}

/**
 * The payload of an Ethernet frame of EtherType 0x8926: the VN-Tag's direction, pointer, destination and
 * source virtual interface ids, then the EtherType of what follows and `payload`.
 */
export function vnTag(o: { etherType: number; payload: Buffer; dstVif?: number; srcVif?: number; direction?: boolean }): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt16BE(((o.direction ? 1 : 0) << 15) | ((o.dstVif ?? 1) & 0x3fff), 0);
  h.writeUInt16BE((o.srcVif ?? 2) & 0xfff, 2);
  h.writeUInt16BE(o.etherType, 4);
  return Buffer.concat([h, o.payload]);
}

/** 802.11 frame types (frame control bits 2–3) */
export const Wlan = { MGMT: 0, CTRL: 1, DATA: 2, SUBTYPE_BEACON: 8, SUBTYPE_ACK: 13, SUBTYPE_DATA: 0, SUBTYPE_NULL: 4, SUBTYPE_QOS_DATA: 8, SUBTYPE_QOS_NULL: 12 } as const;

export interface WlanDataOpts {
  /** the frame's source and final destination */
  src: string;
  dst: string;
  /** the access point (BSSID); with both DS flags, the receiving station of the wireless distribution system */
  bssid?: string;
  /** the transmitting station of a four-address frame (both DS flags) */
  transmitter?: string;
  toDs?: boolean;
  fromDs?: boolean;
  /** QoS data subtype (2-byte QoS control, TID `tid`) */
  qos?: boolean;
  tid?: number;
  /** the Order bit: on a QoS data frame a 4-byte HT control field follows the QoS control */
  order?: boolean;
  protectedFrame?: boolean;
  /** the body: `etherType` and `payload` behind an LLC/SNAP header, or `body` as is (then both are ignored) */
  etherType?: number;
  payload?: Buffer;
  body?: Buffer;
  /** QoS only: the body is A-MSDU subframes, each with its addresses, LLC/SNAP, EtherType and payload */
  amsdu?: { src: string; dst: string; etherType: number; payload: Buffer }[];
  /** protocol version (frame control bits 0–1); 0 unless a test wants a lying frame */
  version?: number;
}

/** LLC (DSAP 0xaa, SSAP 0xaa, UI) + SNAP (OUI 0, RFC 1042) + EtherType, before a payload. */
export function llcSnap(etherType: number, payload: Buffer, oui = 0): Buffer {
  return Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, oui >> 16, (oui >> 8) & 0xff, oui & 0xff, etherType >> 8, etherType & 0xff]), payload]);
}

/**
 * An 802.11 data frame (no FCS). The addresses go where the DS flags put them: neither flag — receiver dst,
 * transmitter src, address 3 the BSSID; To-DS — BSSID, src, dst; From-DS — dst, BSSID, src; both — receiver
 * (bssid), transmitter, dst, src.
 */
export function wlanData(o: WlanDataOpts): Buffer {
  const bssid = o.bssid ?? '02:00:00:00:0a:01';
  const ds = (o.toDs ? 1 : 0) | (o.fromDs ? 2 : 0);
  const addrs =
    ds === 0 ? [o.dst, o.src, bssid] : ds === 1 ? [bssid, o.src, o.dst] : ds === 2 ? [o.dst, bssid, o.src] : [bssid, o.transmitter ?? '02:00:00:00:0a:02', o.dst, o.src];
  const subtype = o.qos ? Wlan.SUBTYPE_QOS_DATA : Wlan.SUBTYPE_DATA;
  const flags = ds | (o.protectedFrame ? 0x40 : 0) | (o.order ? 0x80 : 0);
  const parts: Buffer[] = [
    Buffer.from([(subtype << 4) | (Wlan.DATA << 2) | (o.version ?? 0), flags, 0x2c, 0x00]),
    macBytes(addrs[0]),
    macBytes(addrs[1]),
    macBytes(addrs[2]),
    Buffer.from([0x10, 0x00]), // sequence control
  ];
  if (addrs.length === 4) parts.push(macBytes(addrs[3]));
  if (o.qos) {
    parts.push(Buffer.from([((o.tid ?? 0) & 0x0f) | (o.amsdu !== undefined ? 0x80 : 0), 0]));
    if (o.order) parts.push(Buffer.alloc(4));
  }
  if (o.amsdu !== undefined) {
    o.amsdu.forEach((s, i) => {
      const sub = llcSnap(s.etherType, s.payload);
      const h = Buffer.alloc(14);
      macBytes(s.dst).copy(h, 0);
      macBytes(s.src).copy(h, 6);
      h.writeUInt16BE(sub.length, 12);
      parts.push(h, sub);
      // every subframe but the last is padded to a multiple of 4 bytes
      if (i < o.amsdu!.length - 1) parts.push(Buffer.alloc((4 - ((14 + sub.length) % 4)) % 4));
    });
  } else {
    parts.push(o.body ?? llcSnap(o.etherType ?? 0x0800, o.payload ?? Buffer.alloc(0)));
  }
  return Buffer.concat(parts);
}

/** An 802.11 management or control frame: frame control, duration, then `rest` (addresses and body) as given. */
export function wlanFrame(o: { type: number; subtype: number; flags?: number; rest: Buffer }): Buffer {
  return Buffer.concat([Buffer.from([(o.subtype << 4) | (o.type << 2), o.flags ?? 0, 0, 0]), o.rest]);
}

/**
 * A radiotap header (version 0) before an 802.11 frame: with `tsft` the 8-byte TSF timer field, with `flags` the
 * Flags field (0x10 says the frame ends with a 4-byte FCS, which `fcs` appends as 4 bytes), then the rate. `ext`
 * adds an empty second present bitmap (bit 31 of the first).
 */
export function radiotap(o: { frame: Buffer; tsft?: boolean; flags?: number; fcs?: boolean; ext?: boolean }): Buffer {
  const flags = (o.flags ?? 0) | (o.fcs ? 0x10 : 0);
  const haveFlags = o.flags !== undefined || o.fcs === true;
  const present = (o.tsft ? 0x1 : 0) | (haveFlags ? 0x2 : 0) | 0x4 | (o.ext ? 0x80000000 : 0);
  const words: Buffer[] = [Buffer.alloc(4)];
  words[0].writeUInt32LE(present >>> 0);
  if (o.ext) words.push(Buffer.alloc(4));
  let fields = Buffer.alloc(0);
  let at = 4 + 4 * words.length;
  if (o.tsft) {
    const pad = (8 - (at % 8)) % 8;
    fields = Buffer.concat([fields, Buffer.alloc(pad), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])]);
    at += pad + 8;
  }
  if (haveFlags) fields = Buffer.concat([fields, Buffer.from([flags])]);
  fields = Buffer.concat([fields, Buffer.from([0x0c])]); // rate: 6 Mb/s
  const len = 4 + 4 * words.length + fields.length;
  const h = Buffer.from([0, 0, len & 0xff, len >> 8]);
  return Buffer.concat([h, ...words, fields, o.frame, o.fcs ? Buffer.from([0xde, 0xad, 0xbe, 0xef]) : Buffer.alloc(0)]);
}
