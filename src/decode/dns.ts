/**
 * DNS (RFC 1035) and mDNS (RFC 6762) messages: header, first question, and A/AAAA/CNAME/PTR/NS/TXT answers.
 *
 * Names are read with compression pointers bounded two ways: a pointer must point before the start of
 * the name segment that contains it (so every jump goes strictly backwards and the walk ends), and a name
 * may not exceed 255 bytes. Labels are kept as latin1 text, case preserved (0x20 randomisation).
 * This runs only for DNS ports and may allocate.
 */
import type { DnsAnswer, DnsMessage, Packet } from './packet.js';
import type { DecodeStats } from './events.js';
import { readU32 } from './cursor.js';
import { ipToString, ipv4ToString } from './addr.js';

export const DNS_HLEN = 12;
export const DNS_MAX_NAME = 255;
/** Answers kept per message; more are counted as decoder.dns.too_many_answers and skipped. */
export const DNS_MAX_ANSWERS = 32;

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_PTR = 12;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;

/** Output of readName: the name read (valid when readName returned ≥ 0). */
let nameOut = '';

/**
 * Read a possibly compressed name at `pos` of the message [msg, end). Returns the offset just after the
 * name where it started (after the first pointer when it jumped), or -1 with the event counted.
 */
function readName(buf: Buffer, stats: DecodeStats, msg: number, end: number, pos: number): number {
  const labels: string[] = [];
  let p = pos;
  let segStart = pos;
  let after = -1;
  let total = 0;
  for (;;) {
    if (p >= end) {
      stats.event('decoder.dns.trunc_rr');
      return -1;
    }
    const len = buf[p];
    if (len === 0) {
      p++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= end) {
        stats.event('decoder.dns.trunc_rr');
        return -1;
      }
      const target = msg + (((len & 0x3f) << 8) | buf[p + 1]);
      if (target >= segStart) {
        stats.event('decoder.dns.name_loop');
        return -1;
      }
      if (after < 0) after = p + 2;
      p = segStart = target;
      continue;
    }
    if ((len & 0xc0) !== 0) {
      stats.event('decoder.dns.label_invalid');
      return -1;
    }
    if (p + 1 + len > end) {
      stats.event('decoder.dns.trunc_rr');
      return -1;
    }
    total += len + 1;
    if (total > DNS_MAX_NAME) {
      stats.event('decoder.dns.name_too_long');
      return -1;
    }
    labels.push(buf.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
  nameOut = labels.join('.');
  return after >= 0 ? after : p;
}

function ipv6At(buf: Buffer, o: number): string {
  return ipToString(Uint32Array.of(readU32(buf, o), readU32(buf, o + 4), readU32(buf, o + 8), readU32(buf, o + 12)), 6);
}

function rdataText(buf: Buffer, stats: DecodeStats, msg: number, end: number, type: number, p: number, rdlen: number): string {
  if (type === TYPE_A && rdlen === 4) return ipv4ToString(readU32(buf, p));
  if (type === TYPE_AAAA && rdlen === 16) return ipv6At(buf, p);
  if (type === TYPE_CNAME || type === TYPE_PTR || type === TYPE_NS) {
    return readName(buf, stats, msg, end, p) >= 0 ? nameOut : '';
  }
  if (type === TYPE_TXT) {
    // character-strings: a length byte and that many bytes, repeated to the end of the RDATA
    let s = '';
    const e = p + rdlen;
    while (p < e) {
      const l = buf[p];
      const stop = p + 1 + l < e ? p + 1 + l : e;
      s += buf.toString('latin1', p + 1, stop);
      p = stop;
    }
    return s;
  }
  return '';
}

/**
 * Decode a DNS message at [o, o + len) and set pkt.dns (as soon as the header decoded, so a message cut
 * short keeps what was read). `mdns` marks port-5353 traffic.
 */
export function decodeDns(pkt: Packet, stats: DecodeStats, o: number, len: number, mdns: boolean): void {
  const buf = pkt.buf;
  const end = o + len;
  if (len < DNS_HLEN) {
    stats.event('decoder.dns.pkt_too_small');
    return;
  }
  const flags = (buf[o + 2] << 8) | buf[o + 3];
  const qd = (buf[o + 4] << 8) | buf[o + 5];
  const an = (buf[o + 6] << 8) | buf[o + 7];
  const answers: DnsAnswer[] = [];
  const m: DnsMessage = {
    id: (buf[o] << 8) | buf[o + 1],
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    qname: '',
    qtype: 0,
    qclass: 0,
    answers,
    mdns,
  };
  pkt.dns = m;
  let p = o + DNS_HLEN;
  for (let i = 0; i < qd; i++) {
    p = readName(buf, stats, o, end, p);
    if (p < 0) return;
    if (p + 4 > end) {
      stats.event('decoder.dns.trunc_rr');
      return;
    }
    if (i === 0) {
      m.qname = nameOut;
      m.qtype = (buf[p] << 8) | buf[p + 1];
      m.qclass = (buf[p + 2] << 8) | buf[p + 3];
    }
    p += 4;
  }
  for (let i = 0; i < an; i++) {
    if (i >= DNS_MAX_ANSWERS) {
      stats.event('decoder.dns.too_many_answers');
      return;
    }
    p = readName(buf, stats, o, end, p);
    if (p < 0) return;
    const name = nameOut;
    if (p + 10 > end) {
      stats.event('decoder.dns.trunc_rr');
      return;
    }
    const type = (buf[p] << 8) | buf[p + 1];
    const ttl = readU32(buf, p + 4);
    const rdlen = (buf[p + 8] << 8) | buf[p + 9];
    p += 10;
    if (p + rdlen > end) {
      stats.event('decoder.dns.trunc_rr');
      return;
    }
    answers.push({ name, type, ttl, data: rdataText(buf, stats, o, end, type, p, rdlen) });
    p += rdlen;
  }
}
