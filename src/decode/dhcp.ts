/**
 * DHCP (RFC 2131/2132) over BOOTP: the fields device inventory and fingerprinting use — client MAC,
 * message type (53), requested IP (50), hostname (12), vendor class (60), parameter request list (55,
 * in order: the DHCP fingerprint) and client identifier (61). Runs only for UDP ports 67/68.
 */
import type { DhcpInfo, Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { readMac, readU32 } from './cursor.js';
import { ipv4ToString } from './addr.js';

/** BOOTP fixed header (236) + magic cookie (4) */
export const DHCP_MIN_LEN = 240;
export const DHCP_MAGIC = 0x63825363;

const OPT_PAD = 0;
const OPT_END = 255;
const OPT_HOSTNAME = 12;
const OPT_REQUESTED_IP = 50;
const OPT_MESSAGE_TYPE = 53;
const OPT_PARAM_REQUEST = 55;
const OPT_VENDOR_CLASS = 60;
const OPT_CLIENT_ID = 61;

function addr(n: number): string {
  return n === 0 ? '' : ipv4ToString(n);
}

/** Text of an option, without the trailing NULs some clients include. */
function optText(buf: Buffer, s: number, e: number): string {
  while (e > s && buf[e - 1] === 0) e--;
  return buf.toString('utf8', s, e);
}

/** Decode a DHCP message at [o, o + len) into pkt.dhcp. Plain BOOTP (no cookie) keeps the header fields. */
export function decodeDhcp(pkt: Packet, stats: DecodeStats, o: number, len: number): void {
  const buf = pkt.buf;
  if (len < DHCP_MIN_LEN) {
    stats.event('decoder.dhcp.pkt_too_small');
    return;
  }
  const info: DhcpInfo = {
    messageType: 0,
    op: buf[o],
    xid: readU32(buf, o + 4),
    clientMac: readMac(buf, o + 28),
    clientIp: addr(readU32(buf, o + 12)),
    yourIp: addr(readU32(buf, o + 16)),
    requestedIp: null,
    hostname: null,
    vendorClass: null,
    paramRequestList: null,
    clientId: null,
  };
  pkt.dhcp = info;
  if (readU32(buf, o + 236) !== DHCP_MAGIC) {
    stats.event('decoder.dhcp.bad_magic');
    return;
  }
  const end = o + len;
  let i = o + DHCP_MIN_LEN;
  while (i < end) {
    const code = buf[i];
    if (code === OPT_END) return;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= end || i + 2 + buf[i + 1] > end) {
      stats.event('decoder.dhcp.opt_invalid_len');
      return;
    }
    const l = buf[i + 1];
    const s = i + 2;
    switch (code) {
      case OPT_MESSAGE_TYPE:
        if (l >= 1) info.messageType = buf[s];
        break;
      case OPT_REQUESTED_IP:
        if (l === 4) info.requestedIp = ipv4ToString(readU32(buf, s));
        break;
      case OPT_HOSTNAME:
        info.hostname = optText(buf, s, s + l);
        break;
      case OPT_VENDOR_CLASS:
        info.vendorClass = optText(buf, s, s + l);
        break;
      case OPT_PARAM_REQUEST:
        info.paramRequestList = Array.from(buf.subarray(s, s + l));
        break;
      case OPT_CLIENT_ID:
        info.clientId = buf.toString('hex', s, s + l);
        break;
    }
    i = s + l;
  }
}
