/**
 * A login service's answer, where it travels in clear text: the status line of an HTTP/1.x response
 * ("HTTP/1.1 401 Unauthorized") and an FTP server's reply code ("530 Login incorrect."). Only a segment that
 * starts with one is looked at (no reassembly). It lets the brute-force detector count failed logins instead of
 * connections, so a device polling a page that answers 200 is not guessing passwords.
 *
 * Values of Packet.authReply:
 * - NONE: the segment carries no such answer (or an answer that says nothing about a login)
 * - FAILURE: HTTP 401 or 403; FTP 530 (not logged in)
 * - SUCCESS: HTTP 2xx; FTP 230 (user logged in)
 */
import type { Packet } from './packet.js';

export const AuthReply = { NONE: 0, FAILURE: 1, SUCCESS: 2 } as const;
export type AuthReplyValue = (typeof AuthReply)[keyof typeof AuthReply];

/** The FTP control port: reply codes are only read from segments its server sends. */
export const FTP_CONTROL_PORT = 21;

const digit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const code3 = (buf: Buffer, o: number): number => (buf[o]! - 0x30) * 100 + (buf[o + 1]! - 0x30) * 10 + (buf[o + 2]! - 0x30);

/** true when the payload at `o` starts with "HTTP/1." (a response status line) */
export function looksLikeHttpResponse(buf: Buffer, o: number, len: number): boolean {
  return len >= 12 && buf[o] === 0x48 && buf[o + 1] === 0x54 && buf[o + 2] === 0x54 && buf[o + 3] === 0x50 && buf[o + 4] === 0x2f && buf[o + 5] === 0x31 && buf[o + 6] === 0x2e;
}

/** Sets pkt.authReply from an HTTP/1.x status line at `o` ("HTTP/1.1 401 …"). */
export function decodeHttpStatus(pkt: Packet, o: number, len: number): void {
  const buf = pkt.buf;
  // "HTTP/1.x SP ddd"
  if (len < 12 || !digit(buf[o + 7]!) || buf[o + 8] !== 0x20 || !digit(buf[o + 9]!) || !digit(buf[o + 10]!) || !digit(buf[o + 11]!)) return;
  const status = code3(buf, o + 9);
  if (status === 401 || status === 403) pkt.authReply = AuthReply.FAILURE;
  else if (status >= 200 && status < 300) pkt.authReply = AuthReply.SUCCESS;
}

/** Sets pkt.authReply from an FTP reply at `o` ("530 Login incorrect.", "230-Welcome"); other codes say nothing. */
export function decodeFtpReply(pkt: Packet, o: number, len: number): void {
  const buf = pkt.buf;
  if (len < 4 || !digit(buf[o]!) || !digit(buf[o + 1]!) || !digit(buf[o + 2]!) || (buf[o + 3] !== 0x20 && buf[o + 3] !== 0x2d)) return;
  const c = code3(buf, o);
  if (c === 530) pkt.authReply = AuthReply.FAILURE;
  else if (c === 230) pkt.authReply = AuthReply.SUCCESS;
}
