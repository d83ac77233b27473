/**
 * HTTP/1.x request line and Host header from the first segment of a request (no reassembly).
 * Runs only when the TCP payload starts with a method token followed by a space.
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';

/** Request methods recognised at the start of a TCP payload (RFC 9110 9.3 plus PATCH). */
export const HTTP_METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'] as const;
const METHOD_BYTES = HTTP_METHODS.map((m) => Buffer.from(m + ' '));
/** First bytes of the methods: a one-byte test rejects almost every non-HTTP payload */
const FIRST = new Uint8Array(256);
for (const m of METHOD_BYTES) FIRST[m[0]] = 1;
/** Bytes of a request head looked at; a Host header past this is not searched for. */
export const HTTP_MAX_HEAD = 8192;
const HOST_MAX = 255;

/** Length of the method token plus its space when the payload at `o` starts with one, else 0. */
export function httpMethodLength(buf: Buffer, o: number, len: number): number {
  if (len < 4 || FIRST[buf[o]] === 0) return 0;
  for (const m of METHOD_BYTES) {
    if (m.length > len) continue;
    let i = 0;
    while (i < m.length && buf[o + i] === m[i]) i++;
    if (i === m.length) return i;
  }
  return 0;
}

function indexOfLf(buf: Buffer, s: number, e: number): number {
  for (let i = s; i < e; i++) if (buf[i] === 0x0a) return i;
  return -1;
}

/** "SP target SP HTTP/d.d" after the method: the target is visible ASCII without spaces */
function requestLineValid(buf: Buffer, s: number, e: number): boolean {
  if (e > s && buf[e - 1] === 0x0d) e--;
  let i = s;
  while (i < e && buf[i] > 0x20 && buf[i] < 0x7f) i++;
  if (i === s || e - i !== 9 || buf[i] !== 0x20) return false;
  return buf.toString('latin1', i + 1, i + 6) === 'HTTP/' && buf[i + 6] >= 0x30 && buf[i + 6] <= 0x39 &&
    buf[i + 7] === 0x2e && buf[i + 8] >= 0x30 && buf[i + 8] <= 0x39;
}

/** Decode the request at [o, o + len) (method already recognised, `mlen` bytes); sets pkt.httpHost. */
export function decodeHttpRequest(pkt: Packet, stats: DecodeStats, o: number, len: number, mlen: number): void {
  const buf = pkt.buf;
  const end = o + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);
  let nl = indexOfLf(buf, o, end);
  if (nl < 0) {
    // a request line longer than the head limit is not HTTP; a shorter one may continue in the next segment
    if (len >= HTTP_MAX_HEAD) stats.event('decoder.http.request_line_invalid');
    return;
  }
  if (!requestLineValid(buf, o + mlen, nl)) {
    stats.event('decoder.http.request_line_invalid');
    return;
  }
  let p = nl + 1;
  while (p < end) {
    nl = indexOfLf(buf, p, end);
    if (nl < 0) return; // the head continues in the next segment
    let e = nl;
    if (e > p && buf[e - 1] === 0x0d) e--;
    if (e === p) {
      stats.event('decoder.http.host_missing');
      return;
    }
    if (e - p >= 5 && (buf[p] | 0x20) === 0x68 && (buf[p + 1] | 0x20) === 0x6f && (buf[p + 2] | 0x20) === 0x73 &&
      (buf[p + 3] | 0x20) === 0x74 && buf[p + 4] === 0x3a) {
      let s = p + 5;
      while (s < e && (buf[s] === 0x20 || buf[s] === 0x09)) s++;
      while (e > s && (buf[e - 1] === 0x20 || buf[e - 1] === 0x09)) e--;
      pkt.httpHost = buf.toString('latin1', s, e - s > HOST_MAX ? s + HOST_MAX : e);
      return;
    }
    p = nl + 1;
  }
}
