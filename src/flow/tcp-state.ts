/**
 * Per-endpoint TCP state, the Zeek history string and Zeek's `conn_state`.
 *
 * The flow engine keeps what Zeek's TCP analyzer keeps — one state per endpoint plus a history of the
 * segment kinds seen — and derives `conn_state` only when a record is exported, the way Zeek's
 * `conn_state()` in scripts/base/protocols/conn/main.zeek does. Everything here is a pure function on
 * numbers so the per-packet path allocates nothing (history letters are appended only when a new kind of
 * segment shows up, or, for the letters of tcp-seq.ts, at the 1st, 10th, 100th, … retransmission, zero window
 * or gap and at a SYN/FIN/RST with a new sequence number).
 */
import { TcpFlag } from '../decode/packet.js';
import type { ConnState } from './flow-record.js';

/**
 * State of one TCP endpoint (Zeek's `TCP_ENDPOINT_*`), as seen from the segments it sent.
 * - INACTIVE: nothing sent yet.
 * - SYN_SENT: sent a SYN (no ACK): an active open.
 * - SYN_ACK_SENT: sent a SYN-ACK (or a SYN answering the peer's SYN).
 * - PARTIAL: sent something other than a SYN before any SYN was seen from it: a connection picked up
 *   midstream, or a SYN-ACK whose SYN we never saw.
 * - ESTABLISHED: its side of the handshake completed.
 * - CLOSED: sent a FIN.
 * - RESET: sent a RST.
 */
export const TcpEndpointState = {
  INACTIVE: 0,
  SYN_SENT: 1,
  SYN_ACK_SENT: 2,
  PARTIAL: 3,
  ESTABLISHED: 4,
  CLOSED: 5,
  RESET: 6,
} as const;

const { INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET } = TcpEndpointState;

/**
 * Offsets inside the four bytes of TCP state a flow keeps (`st[base + …]`): current and previous state of
 * the originator and the responder. The previous state exists because Zeek turns a FIN-then-RST endpoint
 * back into CLOSED when the peer's FIN follows ("this was actually normal termination").
 */
export const TCP_ORIG = 0;
export const TCP_RESP = 1;
export const TCP_ORIG_PREV = 2;
export const TCP_RESP_PREV = 3;
/** bytes of state per flow */
export const TCP_STATE_WIDTH = 4;

function setState(st: Uint8Array, i: number, prevI: number, v: number): void {
  if (st[i] !== v) {
    st[prevI] = st[i];
    st[i] = v;
  }
}

/**
 * Apply one segment sent by the originator (`fromOrig`) or the responder to the endpoint states at
 * `st[base…base+3]`; `len` is its payload length. Follows Zeek's TCPSessionAdapter::UpdateStateMachine: the
 * sender's state decides which transitions a segment can cause.
 * - A SYN-ACK from the responder establishes both sides at once (the originator's SYN_SENT too): the third
 *   ACK of the handshake changes no state.
 * - A SYN-ACK from the originator (a connection picked up at its SYN-ACK, not turned round) leaves it in
 *   SYN_ACK_SENT; the peer's later segments make that peer PARTIAL.
 * - An endpoint's first segment without SYN/FIN/RST makes it PARTIAL, except the responder's bare ACK of a
 *   SYN (INACTIVE still) and an ACK answering an ESTABLISHED peer (ESTABLISHED: the SYN was missed).
 */
export function tcpUpdate(st: Uint8Array, base: number, fromOrig: boolean, flags: number, len = 0): void {
  const epI = base + (fromOrig ? TCP_ORIG : TCP_RESP);
  const peerI = base + (fromOrig ? TCP_RESP : TCP_ORIG);
  const epPrevI = base + (fromOrig ? TCP_ORIG_PREV : TCP_RESP_PREV);
  const peerPrevI = base + (fromOrig ? TCP_RESP_PREV : TCP_ORIG_PREV);
  const syn = (flags & TcpFlag.SYN) !== 0;
  const ack = (flags & TcpFlag.ACK) !== 0;
  const fin = (flags & TcpFlag.FIN) !== 0;
  const rst = (flags & TcpFlag.RST) !== 0;
  const ep = st[epI];

  switch (ep) {
    case INACTIVE:
      if (syn) {
        if (fromOrig) {
          // an originator SYN-ACK is a Zeek weird ("connection_originator_SYN_ack") but still a handshake step
          setState(st, epI, epPrevI, ack ? SYN_ACK_SENT : SYN_SENT);
        } else {
          // the responder answers (SYN-ACK, or a SYN in a simultaneous open): the originator's open succeeded
          if (st[peerI] === SYN_SENT) setState(st, peerI, peerPrevI, ESTABLISHED);
          setState(st, epI, epPrevI, ESTABLISHED);
        }
      }
      if (fin) setState(st, epI, epPrevI, CLOSED);
      if (rst) setState(st, epI, epPrevI, RESET);
      if (st[epI] === INACTIVE) {
        // no SYN/FIN/RST from a silent endpoint
        const origState = st[base + TCP_ORIG];
        if (!fromOrig && len === 0 && origState === SYN_SENT) {
          // some stacks ACK a SYN before answering it: not yet a partial connection
        } else if (ack && st[peerI] === ESTABLISHED) {
          // the peer's SYN-ACK was seen, its SYN missed: the connection is established
          setState(st, epI, epPrevI, ESTABLISHED);
        } else {
          setState(st, epI, epPrevI, PARTIAL); // joined midstream
        }
      }
      break;

    case SYN_SENT:
    case SYN_ACK_SENT:
      if (fin) setState(st, epI, epPrevI, CLOSED);
      if (rst) setState(st, epI, epPrevI, RESET);
      break;

    case PARTIAL:
    case ESTABLISHED:
      // a SYN from a midstream endpoint whose peer never spoke: it opens after all
      if (syn && !ack && ep === PARTIAL && st[peerI] === INACTIVE) setState(st, epI, epPrevI, SYN_SENT);
      if (fin && !rst) {
        setState(st, epI, epPrevI, CLOSED);
        // the peer sent FIN then RST and now we see our FIN: normal termination after all (Zeek does the same)
        if (st[peerI] === RESET && st[peerPrevI] === CLOSED) setState(st, peerI, peerPrevI, CLOSED);
      }
      if (rst) setState(st, epI, epPrevI, RESET);
      break;

    case CLOSED:
      // a RST after our FIN aborts what was left (retransmissions and the last ACK keep the state); once the
      // peer has sent its FIN too the FIN exchange is complete and a RST changes nothing (Zeek's
      // UpdateClosedState: the connection stays SF)
      if (rst && st[peerI] !== CLOSED) setState(st, epI, epPrevI, RESET);
      break;

    default: // RESET: terminal; later segments (retransmitted RSTs, stray ACKs) are counted but change nothing
      break;
  }
}

/** Swap the originator's and the responder's states (the connection was turned round). */
export function tcpFlip(st: Uint8Array, base: number): void {
  let x = st[base + TCP_ORIG];
  st[base + TCP_ORIG] = st[base + TCP_RESP];
  st[base + TCP_RESP] = x;
  x = st[base + TCP_ORIG_PREV];
  st[base + TCP_ORIG_PREV] = st[base + TCP_RESP_PREV];
  st[base + TCP_RESP_PREV] = x;
}

/**
 * true once the flow is over for TCP (Zeek's "close_complete" in TCPSessionAdapter::ConnectionClosed): FIN from
 * both sides, a RST from either, or, with `loneFin` (flow.loneFinCloses), a FIN from one side while the other
 * has sent nothing at all (Zeek then removes the connection tcp_close_delay later, so that side's next packets
 * start a new connection).
 */
export function tcpClosing(st: Uint8Array, base: number, loneFin = false): boolean {
  const o = st[base + TCP_ORIG];
  const r = st[base + TCP_RESP];
  if (o === RESET || r === RESET) return true;
  if (o === CLOSED && r === CLOSED) return true;
  return loneFin && ((o === CLOSED && r === INACTIVE) || (r === CLOSED && o === INACTIVE));
}

/** true when either endpoint sent a RST (the end reason is then 'rst', else 'fin'). */
export function tcpReset(st: Uint8Array, base: number): boolean {
  return st[base + TCP_ORIG] === RESET || st[base + TCP_RESP] === RESET;
}

// ---- history ---------------------------------------------------------------------------------------------

/**
 * History bits, one per segment kind and direction, in the order their letters are appended when one
 * segment sets several. Zeek records each kind once per direction (upper case: originator):
 * S SYN without ACK · H SYN-ACK · F FIN · R RST · I FIN and RST together · Q other multi-flag (SYN+FIN,
 * SYN+RST) · A pure ACK (no payload) · D payload · ^ the connection was turned round (server-ports.ts, and
 * tcpFlipsLate).
 * S and H share one bit, as in Zeek: the first SYN of an endpoint is recorded once; a later one with another
 * sequence number, like a FIN or RST, is repeated by tcp-seq.ts, which also adds T, W and G.
 */
const H_SYN = 1;
const H_FIN = 2;
const H_RST = 4;
const H_FINRST = 8;
const H_MULTI = 16;
const H_ACK = 32;
const H_DATA = 64;
/** the flipped marker; set once per flow, in the originator half */
export const HISTORY_FLIPPED = 128;
/** the responder's bits are the originator's shifted by this */
const RESP_SHIFT = 8;

/**
 * Bits of the history mask a TCP segment contributes (before comparing with what is already recorded).
 * Mirrors Zeek's update_history(): a segment with more than one of SYN/FIN/RST is an I or Q, one with exactly
 * one of them gives its letter; only a segment with none of them is a D (payload) or an A (ACK, no payload) —
 * a FIN or RST carrying data is an F or R, not a D. The letters Zeek derives from sequence numbers and
 * windows (T, W, G, repeated S/H/F/R) come from tcp-seq.ts.
 */
export function tcpHistoryBits(fromOrig: boolean, flags: number, payloadLen: number): number {
  const syn = flags & TcpFlag.SYN ? 1 : 0;
  const fin = flags & TcpFlag.FIN ? 1 : 0;
  const rst = flags & TcpFlag.RST ? 1 : 0;
  let bits = 0;
  const n = syn + fin + rst;
  if (n > 1) bits = fin && rst ? H_FINRST : H_MULTI;
  else if (n === 1) bits = syn ? H_SYN : fin ? H_FIN : H_RST;
  else if (payloadLen > 0) bits = H_DATA;
  else if (flags & TcpFlag.ACK) bits = H_ACK;
  return fromOrig ? bits : bits << RESP_SHIFT;
}

/** History bits of a non-TCP packet: Zeek's UDP analyzer records D/d for each direction that sent. */
export function datagramHistoryBits(fromOrig: boolean): number {
  return fromOrig ? H_DATA : H_DATA << RESP_SHIFT;
}

/** The history mask of the connection turned round: the halves swap, the flipped marker is set. */
export function flipHistoryMask(mask: number): number {
  return ((mask & 0x7f) << RESP_SHIFT) | ((mask >>> RESP_SHIFT) & 0x7f) | HISTORY_FLIPPED;
}

/**
 * Zeek's late flip (TCP_Endpoint::CheckHistory): a connection whose only history is a SYN-ACK ("H"), not
 * turned round at its start, is turned round by the first pure ACK or data segment from either side, since
 * productive traffic makes a stealth scan unlikely; its history becomes "^h" before this segment's letter.
 */
export function tcpFlipsLate(history: string, flags: number, payloadLen: number): boolean {
  if (history !== 'H') return false;
  if (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) return false;
  return payloadLen > 0 || (flags & TcpFlag.ACK) !== 0;
}

const ORDER_BITS = [H_SYN, H_FIN, H_RST, H_FINRST, H_MULTI, H_ACK, H_DATA];
const ORDER_LETTERS = ['S', 'F', 'R', 'I', 'Q', 'A', 'D'];

/**
 * Append the letters for `added` (bits not yet in the flow's mask) to `history` and return the new string.
 * `synAck` chooses H instead of S for the SYN bit (the segment that set it was a SYN-ACK).
 */
export function appendHistory(history: string, added: number, synAck: boolean): string {
  if (added & HISTORY_FLIPPED) history += '^';
  for (let half = 0; half < 2; half++) {
    const bits = (added >>> (half * RESP_SHIFT)) & 0x7f;
    if (bits === 0) continue;
    for (let i = 0; i < ORDER_BITS.length; i++) {
      if ((bits & ORDER_BITS[i]) === 0) continue;
      let c = i === 0 && synAck ? 'H' : ORDER_LETTERS[i];
      if (half === 1) c = c.toLowerCase();
      history += c;
    }
  }
  return history;
}

// ---- conn_state ------------------------------------------------------------------------------------------

/**
 * Zeek's RSTOS0 test (conn_state() in scripts/base/protocols/conn/main.zeek, the pattern `\^?S[^HAFGIQ]*R.*`): the
 * originator sent a SYN, then a RST, with no SYN-ACK, ACK, FIN, gap or multi-flag letter of its own between —
 * its data and retransmissions (D, T) may come between.
 */
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R/;

/**
 * Zeek's conn_state, derived from the endpoint states at export. `origPayload`/`respPayload` are the payload
 * bytes each side sent (Zeek's c$orig$size/c$resp$size); `origPkts`/`respPkts` the packets each side sent.
 *
 * TCP branches, in Zeek's order:
 * - responder RESET: REJ if the originator never got past its SYN (or both reset without payload), RSTRH if
 *   the originator never opened (INACTIVE/PARTIAL: the SYN-ACK-then-RST case), else RSTR;
 * - originator RESET: RSTO when the responder took part; when it did not, RSTOS0 for a SYN…RST history,
 *   otherwise OTH;
 * - both CLOSED: SF; originator CLOSED: SH if the responder never opened, else S2; responder CLOSED: SHR if the
 *   originator never opened, else S3;
 * - SYN_SENT against an INACTIVE responder: S0; both ESTABLISHED: S1; anything else (midstream): OTH.
 *
 * UDP uses Zeek's UDP rule: both directions seen SF, only the originator S0, only the responder SHR. ICMP and
 * every other IP protocol are OTH, as in Zeek's conn_state() (a request without a reply is told apart by the
 * packet counts, not the state).
 */
export function connState(
  proto: number,
  st: Uint8Array,
  base: number,
  history: string,
  origPayload: number,
  respPayload: number,
  origPkts: number,
  respPkts: number,
): ConnState {
  if (proto !== 6) {
    if (proto !== 17) return 'OTH';
    if (origPkts > 0) return respPkts > 0 ? 'SF' : 'S0';
    return respPkts > 0 ? 'SHR' : 'OTH';
  }
  const os = st[base + TCP_ORIG];
  const rs = st[base + TCP_RESP];
  const oInactive = os === INACTIVE || os === PARTIAL;
  const rInactive = rs === INACTIVE || rs === PARTIAL;
  if (rs === RESET) {
    if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && origPayload === 0 && respPayload === 0)) {
      return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === RESET) {
    if (rInactive) return RSTOS0_HISTORY.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === CLOSED && os === CLOSED) return 'SF';
  if (os === CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === SYN_SENT && rs === INACTIVE) return 'S0';
  if (os === ESTABLISHED && rs === ESTABLISHED) return 'S1';
  return 'OTH';
}
