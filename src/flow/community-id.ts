/**
 * Community ID v1 flow hashing (corelight/community-id-spec): the same flow gets the same "1:…" string in
 * Zeek, Suricata, Wireshark and here, so records can be joined across tools.
 *
 * Hash input, all in network byte order: seed (2 bytes) · source address · destination address · protocol
 * (1 byte) · padding (1 zero byte) · source port (2 bytes) · destination port (2 bytes); ports only for
 * TCP, UDP, SCTP, ICMP and ICMPv6. The tuple is first put in canonical order (smaller address first, the
 * smaller port first when the addresses are equal) so both directions hash alike. SHA-1, base64, "1:" prefix.
 *
 * ICMP has no ports: the type plays the source port and, for request/reply types, the type of the matching
 * message plays the destination port (so echo request and reply share an id); other types are "one-way",
 * use the code as the destination port and are never reordered.
 */
import * as crypto from 'node:crypto';

type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'base64') => string;
/**
 * crypto.hash (Node ≥ 20.12) hashes in one call without building a Hash object: about twice as fast for the
 * few dozen bytes here, which matters when a flood creates a record per packet.
 */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
const sha1Base64: (data: Uint8Array) => string =
  typeof oneShot === 'function'
    ? (data) => oneShot('sha1', data, 'base64')
    : (data) => crypto.createHash('sha1').update(data).digest('base64');

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;

/** ICMPv4 request/reply pairs: echo, router solicitation/advert, timestamp, information, address mask. */
const ICMP4_PAIR: ReadonlyMap<number, number> = new Map([
  [8, 0], [0, 8],
  [10, 9], [9, 10],
  [13, 14], [14, 13],
  [15, 16], [16, 15],
  [17, 18], [18, 17],
]);

/**
 * ICMPv6 pairs: echo, MLD query/report, router and neighbour discovery, node information (who-are-you),
 * home agent address discovery.
 */
const ICMP6_PAIR: ReadonlyMap<number, number> = new Map([
  [128, 129], [129, 128],
  [130, 131], [131, 130],
  [133, 134], [134, 133],
  [135, 136], [136, 135],
  [139, 140], [140, 139],
  [144, 145], [145, 144],
]);

/** The counterpart type of a two-way ICMP type (echo request 8 → reply 0), or undefined for a one-way type. */
export function icmpCounterpart(v6: boolean, type: number): number | undefined {
  return (v6 ? ICMP6_PAIR : ICMP4_PAIR).get(type);
}

/**
 * The port equivalents of an ICMP message: `[sport, dport, oneWay]`. Written into `out` (no allocation).
 * For a two-way type the destination "port" is the counterpart type; for a one-way type it is the code.
 */
export function icmpPorts(v6: boolean, type: number, code: number, out: Int32Array): void {
  const pair = (v6 ? ICMP6_PAIR : ICMP4_PAIR).get(type);
  out[0] = type;
  if (pair === undefined) {
    out[1] = code;
    out[2] = 1;
  } else {
    out[1] = pair;
    out[2] = 0;
  }
}

function hasPorts(proto: number): boolean {
  return (
    proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP ||
    proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6
  );
}

/** -1, 0 or 1: compares two addresses held as four big-endian words (the bytes compare the same way). */
function cmpAddr(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < 4; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

const scratch = Buffer.alloc(2 + 16 + 16 + 2 + 4);
const icmpScratch = new Int32Array(3);

/**
 * Community ID v1 of a flow seen from its originator. Addresses are four big-endian words (IPv4 mapped,
 * as in Packet); for ICMP/ICMPv6 pass the originator's type as `sport` and code as `dport` — the mapping to
 * port equivalents happens here. `seed` is the 16-bit seed (0 by default). Returns "1:<base64 sha1>".
 */
export function communityId(
  ipVersion: 4 | 6,
  proto: number,
  saddr: Uint32Array,
  sport: number,
  daddr: Uint32Array,
  dport: number,
  seed = 0,
): string {
  let oneWay = false;
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    icmpPorts(proto === IPPROTO_ICMPV6, sport, dport, icmpScratch);
    sport = icmpScratch[0];
    dport = icmpScratch[1];
    oneWay = icmpScratch[2] === 1;
  }
  const c = cmpAddr(saddr, daddr);
  const ordered = oneWay || c < 0 || (c === 0 && sport < dport);
  const a1 = ordered ? saddr : daddr;
  const a2 = ordered ? daddr : saddr;
  const p1 = ordered ? sport : dport;
  const p2 = ordered ? dport : sport;

  const buf = scratch;
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  if (ipVersion === 4) {
    o = buf.writeUInt32BE(a1[3], o);
    o = buf.writeUInt32BE(a2[3], o);
  } else {
    for (let i = 0; i < 4; i++) o = buf.writeUInt32BE(a1[i], o);
    for (let i = 0; i < 4; i++) o = buf.writeUInt32BE(a2[i], o);
  }
  o = buf.writeUInt8(proto & 0xff, o);
  o = buf.writeUInt8(0, o);
  if (hasPorts(proto)) {
    o = buf.writeUInt16BE(p1 & 0xffff, o);
    o = buf.writeUInt16BE(p2 & 0xffff, o);
  }
  return '1:' + sha1Base64(buf.subarray(0, o));
}
