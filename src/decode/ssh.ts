/**
 * SSH identification string (RFC 4253 4.2): "SSH-protoversion-softwareversion SP comments CR LF", sent by both
 * sides first thing on a connection. It names the service whatever the port (SSH on 902, 2222, …), which is
 * what the brute-force detector needs. Only a segment that starts with "SSH-" is looked at.
 */
import type { Packet } from './packet.js';

/** RFC 4253: the identification line is at most 255 bytes including CR LF. */
const MAX_LINE = 255;

/** true when the payload at `o` starts with "SSH-" */
export function looksLikeSsh(buf: Buffer, o: number, len: number): boolean {
  return len >= 4 && buf[o] === 0x53 && buf[o + 1] === 0x53 && buf[o + 2] === 0x48 && buf[o + 3] === 0x2d;
}

/** Sets pkt.sshVersion to the identification line without CR LF ("SSH-2.0-OpenSSH_9.2p1 Debian-2"). */
export function decodeSshIdent(pkt: Packet, o: number, len: number): void {
  const end = o + Math.min(len, MAX_LINE);
  let e = o;
  while (e < end && pkt.buf[e] !== 0x0d && pkt.buf[e] !== 0x0a) e++;
  // printable ASCII only: anything else is not an identification line (or an attacker's bytes)
  for (let i = o; i < e; i++) if (pkt.buf[i] < 0x20 || pkt.buf[i] > 0x7e) return;
  pkt.sshVersion = pkt.buf.toString('latin1', o, e);
}
