/**
 * TLS ClientHello server name (RFC 8446 4.1.2, RFC 6066 3) from the first TCP segment of a connection.
 * No reassembly: a ClientHello that continues in the next segment (large post-quantum key shares do)
 * yields no SNI unless the server_name extension came before the cut, and is counted as truncated.
 * Runs only when the TCP payload starts with a handshake record (0x16 0x03).
 */
import type { Packet } from './packet.js';
import type { DecodeStats } from './events.js';

const RECORD_HLEN = 5;
const HANDSHAKE_HLEN = 4;
/** Largest legal TLSCiphertext fragment: 2^14 plus 2048 bytes of expansion (RFC 5246 6.2.3). */
export const TLS_MAX_RECORD = 16384 + 2048;
const HS_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const SNI_HOST_NAME = 0;

/** true when the payload at `o` starts like a TLS handshake record */
export function looksLikeTlsHandshake(buf: Buffer, o: number, len: number): boolean {
  return len >= 2 && buf[o] === 0x16 && buf[o + 1] === 0x03;
}

/** Decode the ClientHello at [o, o + len) far enough to find the SNI; sets pkt.tlsSni. */
export function decodeTlsClientHello(pkt: Packet, stats: DecodeStats, o: number, len: number): void {
  const buf = pkt.buf;
  const present = o + len;
  if (len < RECORD_HLEN) {
    stats.event('decoder.tls.hello_truncated');
    return;
  }
  const recLen = (buf[o + 3] << 8) | buf[o + 4];
  if (recLen === 0 || recLen > TLS_MAX_RECORD) {
    stats.event('decoder.tls.record_invalid');
    return;
  }
  if (len < RECORD_HLEN + HANDSHAKE_HLEN) {
    stats.event('decoder.tls.hello_truncated');
    return;
  }
  if (buf[o + 5] !== HS_CLIENT_HELLO) return; // ServerHello and later messages carry no SNI
  const hsLen = (buf[o + 6] << 16) | (buf[o + 7] << 8) | buf[o + 8];
  const bodyStart = o + RECORD_HLEN + HANDSHAKE_HLEN;
  // fields must fit in the handshake message as declared (else invalid) and in the captured bytes (else truncated)
  const limit = bodyStart + hsLen;
  const recEnd = o + RECORD_HLEN + recLen;
  let avail = present < limit ? present : limit;
  if (recEnd < avail) avail = recEnd;
  // returns false (event counted) when [.., need) is not readable
  const fits = (need: number): boolean => {
    if (need > limit) stats.event('decoder.tls.hello_invalid');
    else if (need > avail) stats.event('decoder.tls.hello_truncated');
    else return true;
    return false;
  };

  let p = bodyStart + 2 + 32; // legacy_version, random
  if (!fits(p + 1)) return;
  const sidLen = buf[p];
  if (sidLen > 32) {
    stats.event('decoder.tls.hello_invalid');
    return;
  }
  p += 1 + sidLen;
  if (!fits(p + 2)) return;
  const csLen = (buf[p] << 8) | buf[p + 1];
  if ((csLen & 1) !== 0) {
    stats.event('decoder.tls.hello_invalid');
    return;
  }
  p += 2 + csLen;
  if (!fits(p + 1)) return;
  p += 1 + buf[p];
  if (p === limit) return; // no extensions at all (legal before TLS 1.3)
  if (!fits(p + 2)) return;
  const extEnd = p + 2 + ((buf[p] << 8) | buf[p + 1]);
  if (extEnd > limit) {
    stats.event('decoder.tls.hello_invalid');
    return;
  }
  p += 2;
  while (p + 4 <= extEnd) {
    if (!fits(p + 4)) return;
    const type = (buf[p] << 8) | buf[p + 1];
    const el = (buf[p + 2] << 8) | buf[p + 3];
    const next = p + 4 + el;
    if (next > extEnd) {
      stats.event('decoder.tls.hello_invalid');
      return;
    }
    if (type === EXT_SERVER_NAME) {
      if (el < 5 || !fits(p + 9)) {
        if (el < 5) stats.event('decoder.tls.hello_invalid');
        return;
      }
      const nameType = buf[p + 6];
      const nameLen = (buf[p + 7] << 8) | buf[p + 8];
      if (p + 9 + nameLen > next) {
        stats.event('decoder.tls.hello_invalid');
        return;
      }
      if (!fits(p + 9 + nameLen)) return;
      if (nameType === SNI_HOST_NAME && nameLen > 0 && nameLen <= 255) {
        pkt.tlsSni = buf.toString('latin1', p + 9, p + 9 + nameLen);
      }
      return;
    }
    p = next;
  }
}
