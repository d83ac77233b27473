/**
 * Per-endpoint TCP sequence tracking for the history letters Zeek derives from sequence numbers, windows and
 * acknowledgements: retransmissions (T/t), zero windows (W/w), content gaps (G/g), and the repeated S/H/F/R
 * of a SYN, FIN or RST with a new sequence number.
 *
 * What Zeek does, and what is kept here to do the same:
 * - Each endpoint keeps its initial sequence number (`start`: the SYN's, or one below the first segment of an
 *   endpoint picked up midstream), `last` — one past the highest sequence number it has sent, SYN and FIN
 *   counted — and `ack`, the highest acknowledgement its peer sent for its data
 *   (TCPSessionAdapter::Process, init_endpoint, update_last_seq, update_ack_seq).
 * - Retransmission: a segment with payload whose end (seq + payload + SYN + FIN; a RST's payload does not
 *   count) does not pass `last`, unless the endpoint has sent a RST or the segment is a FIN of an endpoint
 *   that has sent nothing but its SYN (update_last_seq). A keep-alive with one byte of old data counts.
 * - Zero window: a segment advertising window 0, without RST, from an endpoint that has not sent a RST, while
 *   its peer has not closed (update_window).
 * - Content gap: the peer acknowledges data of this endpoint that was never seen. Zeek's reassembler keeps
 *   the in-order edge (`reassem`) and the blocks above a hole; an acknowledgement beyond the edge reports each
 *   hole below it and moves the edge (TCP_Reassembler::Undelivered). Only gaps while both endpoints are
 *   established or cleanly closing become letters (TCP_Reassembler::Gap); an acknowledgement of the FIN is
 *   not taken for data (AckReceived). Here one block above the hole is kept (later disjoint blocks are merged
 *   into it), so the letters are exact for one hole at a time and the count of holes may be lower than
 *   Zeek's when several are open together — which only matters for its 10th, 100th, … letter.
 * - T, W and G are logged at the 1st, 10th, 100th, … occurrence per endpoint (Session::ScaledHistoryEntry);
 *   S/H, F and R again when their relative sequence number differs from the last one of that kind
 *   (update_history). Upper case is the originator, lower case the responder.
 *
 * Zeek's checksum letter C/c is not produced: the decoder does not verify checksums (captures with NIC
 * offload carry wrong ones), so a packet Zeek drops as corrupt is counted normally here.
 *
 * State: TCP_SEQ_WIDTH 32-bit words per flow (two endpoints plus a flow word), 124 bytes; sequence numbers are
 * kept modulo 2^32 and compared by signed difference, as TCP does (Zeek counts wraps; a connection moving
 * more than 2 GB between two looks at one endpoint is rare enough to accept).
 */
import { TcpFlag } from '../decode/packet.js';
import {
  TCP_ORIG,
  TCP_ORIG_PREV,
  TCP_RESP,
  TCP_RESP_PREV,
  TcpEndpointState,
  appendHistory,
  tcpHistoryBits,
  tcpUpdate,
} from './tcp-state.js';

const { INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET } = TcpEndpointState;

/** words per endpoint */
const EW = 15;
// offsets within an endpoint's words
const START = 0; // initial sequence number (absolute)
const LAST = 1; // one past the highest sequence number sent (absolute)
const ACK = 2; // highest acknowledgement of this endpoint's data from the peer (absolute)
const REASSEM = 3; // in-order edge of the data seen, relative (Zeek's last_reassem_seq; data starts at 1)
const TRIM = 4; // highest acknowledgement already processed, relative (trim_seq)
const BLO = 5; // the block buffered above the hole, relative [BLO, BHI)
const BHI = 6;
const LAST_SYN = 7; // relative sequence numbers of the last SYN, FIN (its end) and RST (hist_last_*)
const LAST_FIN = 8;
const LAST_RST = 9;
const FIN_SEQ = 10; // relative sequence number just past the FIN
const CNT_RXMT = 11;
const CNT_WIN0 = 12;
const CNT_GAP = 13;
const EFLAGS = 14;
// EFLAGS bits
const E_BLOCK = 1; // BLO/BHI hold a block
const E_FIN = 2; // a FIN was sent
const E_SKIP = 4; // deliveries given up (too much data above a hole with nothing acknowledged)

/** the flow word after both endpoints */
const FLOW = 2 * EW;
// FLOW bits: Zeek's is_partial and first_packet_seen
const F_PARTIAL = 1;
const F_FIRST_ORIG = 2;
const F_FIRST_RESP = 4;

/** 32-bit words of sequence state per flow */
export const TCP_SEQ_WIDTH = 2 * EW + 1;

/** Zeek's TOO_LARGE_SEQ_DELTA: a SYN or RST this far from the last sequence number does not move it */
const TOO_LARGE_SEQ_DELTA = 1048576;
/** Zeek's tcp_max_above_hole_without_any_acks */
const MAX_ABOVE_HOLE_WITHOUT_ACKS = 16384;

/** signed difference a − b of two sequence numbers (Zeek's seq_delta) */
function delta(a: number, b: number): number {
  return (a - b) | 0;
}

/** true at the 1st, 10th, 100th, … occurrence (Zeek's scaled history entries) */
function scaled(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

/** Swap the two endpoints' sequence state (the connection was turned round). */
export function tcpSeqFlip(sq: Uint32Array, base: number): void {
  for (let i = 0; i < EW; i++) {
    const x = sq[base + i];
    sq[base + i] = sq[base + EW + i];
    sq[base + EW + i] = x;
  }
  // Zeek's late flip "pretends we have actually seen that missing first packet"
  sq[base + FLOW] |= F_FIRST_ORIG;
}

/** The segment's fields the sequence tracking needs (numbers only; one object reused by the caller). */
export interface TcpSegment {
  flags: number;
  seq: number;
  ack: number;
  window: number;
  /** payload length declared by the headers */
  len: number;
  /** payload bytes present in the capture */
  captured: number;
}

/**
 * Account one TCP segment sent by the originator (`fromOrig`) or the responder: the endpoint states at
 * `st[stb…]` (tcpUpdate), the sequence state at `sq[sqb…]`, and the history. The flow's history mask
 * (tcp-state.ts bits, the once-per-kind letters) is the word `hist[hi]`, updated in place. Returns the history
 * with this segment's letters appended in Zeek's order (TCPSessionAdapter::Process): the flag letter, a zero
 * window, a retransmission, then a gap the acknowledgement reveals in the peer's data.
 */
export function tcpSegment(
  st: Uint8Array,
  stb: number,
  sq: Uint32Array,
  sqb: number,
  fromOrig: boolean,
  s: TcpSegment,
  history: string,
  hist: Uint32Array,
  hi: number,
): string {
  const flags = s.flags;
  const syn = (flags & TcpFlag.SYN) !== 0;
  const fin = (flags & TcpFlag.FIN) !== 0;
  const rst = (flags & TcpFlag.RST) !== 0;
  const hasAck = (flags & TcpFlag.ACK) !== 0;
  const len = s.len;
  const seq = s.seq >>> 0;
  const e = sqb + (fromOrig ? 0 : EW);
  const p = sqb + (fromOrig ? EW : 0);
  const epI = stb + (fromOrig ? TCP_ORIG : TCP_RESP);
  const peerI = stb + (fromOrig ? TCP_RESP : TCP_ORIG);
  const epPrevI = stb + (fromOrig ? TCP_ORIG_PREV : TCP_RESP_PREV);
  const epState = st[epI];
  const peerState = st[peerI];

  // Zeek's SetPartialStatus: evaluated on every segment until a first packet is marked seen
  let fw = sq[sqb + FLOW];
  if (fromOrig) {
    if ((fw & F_FIRST_ORIG) === 0) fw = !syn || hasAck ? fw | F_PARTIAL : fw & ~F_PARTIAL;
  } else if ((fw & F_FIRST_RESP) === 0 && (fw & F_PARTIAL) === 0 && !syn) {
    fw |= F_PARTIAL;
  }

  let segLen = len;
  if (syn) segLen++;
  if (fin) segLen++;
  if (rst) segLen -= len;
  const end = (seq + segLen) >>> 0;

  // init_endpoint: the first segment of an endpoint, or a SYN that restarts its numbering
  if (epState === INACTIVE) {
    if (syn) {
      sq[e + START] = seq;
      sq[e + ACK] = seq;
      sq[e + LAST] = end;
    } else {
      // picked up midstream: number as if a SYN preceded, without taking this segment for a duplicate
      sq[e + START] = (seq - 1) >>> 0;
      sq[e + ACK] = (seq - 1) >>> 0;
      sq[e + LAST] = seq;
    }
    sq[e + REASSEM] = 1;
    sq[e + TRIM] = 1;
    sq[e + EFLAGS] &= ~(E_BLOCK | E_SKIP);
  } else if (
    syn &&
    (((epState === SYN_SENT || epState === SYN_ACK_SENT) && seq !== sq[e + START]) ||
      epState === ESTABLISHED ||
      epState === PARTIAL ||
      (epState === RESET && st[epPrevI] === INACTIVE))
  ) {
    sq[e + START] = seq;
    sq[e + ACK] = seq;
    sq[e + LAST] = end;
  }
  const startE = sq[e + START];
  const relSeq = (seq - startE) >>> 0;
  const underflow = delta(seq, startE) < 0;

  // 1. the flag letter (once per kind), and a SYN/FIN/RST again when its sequence number moved
  const mask = hist[hi];
  const bits = tcpHistoryBits(fromOrig, flags, len);
  const added = bits & ~mask;
  if (added !== 0) {
    hist[hi] = mask | bits;
    history = appendHistory(history, added, hasAck);
  }
  const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (n === 1) {
    const first = added !== 0;
    if (syn) {
      if (!first && relSeq !== sq[e + LAST_SYN]) history += letter(hasAck ? 'H' : 'S', fromOrig);
      sq[e + LAST_SYN] = relSeq;
    } else if (fin) {
      const finAt = (relSeq + len) >>> 0;
      if (!first && finAt !== sq[e + LAST_FIN]) history += letter('F', fromOrig);
      sq[e + LAST_FIN] = finAt;
    } else {
      if (!first && relSeq !== sq[e + LAST_RST]) history += letter('R', fromOrig);
      sq[e + LAST_RST] = relSeq;
    }
  }

  // 2. zero window: not with or after a RST, and not once the peer has closed (no window matters then)
  if (s.window === 0 && !rst && peerState !== CLOSED && epState !== RESET) {
    history = count(sq, e + CNT_WIN0, history, 'W', fromOrig);
  }

  // FIN and RST bookkeeping the acknowledgement side needs
  if (fin) {
    sq[e + EFLAGS] |= E_FIN;
    sq[e + FIN_SEQ] = (relSeq + segLen) >>> 0;
  }

  // acknowledgement: the peer's numbering starts here if it has not spoken; otherwise its acked edge moves
  let relAck = 0;
  if (hasAck) {
    const ack = s.ack >>> 0;
    if (peerState === INACTIVE) {
      const a = (ack - 1) >>> 0;
      sq[p + START] = a;
      sq[p + ACK] = a;
      sq[p + LAST] = a;
      sq[p + REASSEM] = 1;
      sq[p + TRIM] = 1;
      relAck = 1;
    } else if (delta(ack, sq[p + START]) < 0) {
      relAck = 0; // below the peer's initial sequence number: not trusted
    } else {
      relAck = (ack - sq[p + START]) >>> 0;
      // RSTs' acknowledgements are not trusted; an ack of 0 far ahead is more likely broken than a wrap
      if (!rst && delta(ack, sq[p + ACK]) > 0 && !(ack === 0 && delta(ack, sq[p + ACK]) > TOO_LARGE_SEQ_DELTA)) {
        sq[p + ACK] = ack;
      }
    }
  }

  // 3. update_last_seq: a payload segment that does not pass the highest sequence number is a retransmission
  const dLast = delta(end, sq[e + LAST]);
  if ((syn || rst) && (dLast > TOO_LARGE_SEQ_DELTA || dLast < -TOO_LARGE_SEQ_DELTA)) {
    // an outlandish SYN or RST sequence number moves nothing
  } else if (fin && sq[e + LAST] === ((startE + 1) >>> 0)) {
    sq[e + LAST] = end; // only the SYN and this FIN seen (or a > 2 GB connection): trust the FIN
  } else if (epState === RESET) {
    // nothing after a RST is trusted
  } else if (dLast > 0) {
    sq[e + LAST] = end;
  } else if (len > 0) {
    history = count(sq, e + CNT_RXMT, history, 'T', fromOrig);
  }

  // 4. the endpoint state machine
  tcpUpdate(st, stb, fromOrig, flags, len);
  if (epState === INACTIVE && !syn && st[epI] === ESTABLISHED) {
    // Zeek: an ACK answering a SYN-ACK whose SYN was missed establishes and is not a partial connection
    fw = (fw & ~F_PARTIAL) | (fromOrig ? F_FIRST_ORIG : F_FIRST_RESP);
  }
  sq[sqb + FLOW] = fw;

  // 5. the acknowledgement may reveal data of the peer that was never seen (after the state update, so an
  // ACK riding on a RST or ending a half-closed connection does not count: Zeek waits for the same reason)
  if (hasAck) history = ackReceived(st, stb, sq, p, !fromOrig, relAck, (fw & F_PARTIAL) !== 0, history);

  // 6. the payload enters the in-order edge or the block above the hole (Zeek's DataSent)
  if (len > 0 && s.captured >= len && !rst && !underflow) {
    dataSent(sq, e, syn ? (relSeq + 1) >>> 0 : relSeq, len);
  }
  return history;
}

function letter(c: string, fromOrig: boolean): string {
  return fromOrig ? c : c.toLowerCase();
}

/** Count one occurrence of a scaled letter at `sq[i]`; append the letter at the 1st, 10th, 100th, … */
function count(sq: Uint32Array, i: number, history: string, c: string, fromOrig: boolean): string {
  const n = sq[i] + 1;
  if (n > 0xffffffff) return history;
  sq[i] = n;
  return scaled(n) ? history + letter(c, fromOrig) : history;
}

/** Zeek's is_clean(): established, or closed after being established */
function clean(st: Uint8Array, i: number, prevI: number): boolean {
  return st[i] === ESTABLISHED || (st[i] === CLOSED && st[prevI] === ESTABLISHED);
}

/**
 * The peer acknowledged `relAck` of the data of the endpoint at `sq[x…]` (`xOrig`: it is the originator):
 * report the holes below it as gaps and move the in-order edge (TCP_Reassembler::AckReceived / Undelivered).
 */
function ackReceived(
  st: Uint8Array,
  stb: number,
  sq: Uint32Array,
  x: number,
  xOrig: boolean,
  relAck: number,
  partial: boolean,
  history: string,
): string {
  const ef = sq[x + EFLAGS];
  // the FIN's own sequence number is not data
  if ((ef & E_FIN) !== 0 && delta(relAck, sq[x + FIN_SEQ]) >= 0) relAck = (sq[x + FIN_SEQ] - 1) >>> 0;
  if (delta(relAck, sq[x + TRIM]) <= 0) return history;

  const xI = stb + (xOrig ? TCP_ORIG : TCP_RESP);
  const xPrevI = stb + (xOrig ? TCP_ORIG_PREV : TCP_RESP_PREV);
  const yI = stb + (xOrig ? TCP_RESP : TCP_ORIG);
  const yPrevI = stb + (xOrig ? TCP_RESP_PREV : TCP_ORIG_PREV);
  const report = clean(st, xI, xPrevI) && clean(st, yI, yPrevI);
  let reassem = sq[x + REASSEM];
  let block = (ef & E_BLOCK) !== 0;

  if (delta(relAck, reassem) > 0) {
    // the first ack of a partial connection may cover the byte a keep-alive probed: not a gap (Zeek)
    if (!(relAck <= 2 && partial) && (ef & E_SKIP) === 0) {
      if (block && delta(sq[x + BLO], relAck) < 0) {
        if (delta(sq[x + BLO], reassem) > 0 && report) history = count(sq, x + CNT_GAP, history, 'G', xOrig);
        if (delta(sq[x + BHI], reassem) > 0) reassem = sq[x + BHI];
        block = false;
      }
      if (delta(relAck, reassem) > 0 && report) history = count(sq, x + CNT_GAP, history, 'G', xOrig);
      if (delta(relAck, reassem) > 0) reassem = relAck;
    }
  }
  // acknowledged blocks are dropped; one that now starts at the edge is delivered
  if (block && delta(sq[x + BHI], relAck) <= 0) block = false;
  if (block && delta(sq[x + BLO], reassem) <= 0) {
    if (delta(sq[x + BHI], reassem) > 0) reassem = sq[x + BHI];
    block = false;
  }
  sq[x + REASSEM] = reassem;
  sq[x + TRIM] = relAck;
  sq[x + EFLAGS] = block ? ef | E_BLOCK : ef & ~E_BLOCK;
  return history;
}

/** Payload [relData, relData + len) of the endpoint at `sq[x…]` was seen (TCP_Reassembler::DataSent). */
function dataSent(sq: Uint32Array, x: number, relData: number, len: number): void {
  let ef = sq[x + EFLAGS];
  if ((ef & E_SKIP) !== 0) return;
  let lo = relData;
  const hi = (relData + len) >>> 0;
  // already acknowledged (a retransmission), or below what has been trimmed: nothing new
  const acked = (sq[x + ACK] - sq[x + START]) >>> 0;
  if (delta(lo, acked) < 0) {
    if (delta(hi, acked) <= 0) return;
    lo = acked;
  }
  const trim = sq[x + TRIM];
  if (delta(hi, trim) <= 0) return;
  if (delta(lo, trim) < 0) lo = trim;

  let reassem = sq[x + REASSEM];
  if (delta(lo, reassem) <= 0) {
    if (delta(hi, reassem) <= 0) return; // all seen before
    reassem = hi;
    // the new data may close the hole below the buffered block
    if ((ef & E_BLOCK) !== 0 && delta(sq[x + BLO], reassem) <= 0) {
      if (delta(sq[x + BHI], reassem) > 0) reassem = sq[x + BHI];
      ef &= ~E_BLOCK;
    }
    sq[x + REASSEM] = reassem;
  } else if ((ef & E_BLOCK) === 0) {
    sq[x + BLO] = lo;
    sq[x + BHI] = hi;
    ef |= E_BLOCK;
  } else {
    if (delta(lo, sq[x + BLO]) < 0) sq[x + BLO] = lo;
    if (delta(hi, sq[x + BHI]) > 0) sq[x + BHI] = hi;
  }
  // data piling up above a hole while the peer acknowledges nothing: Zeek gives up on this direction
  if ((ef & E_BLOCK) !== 0) {
    const noneAcked = acked === 0 || acked === 1;
    if (noneAcked && delta(sq[x + BHI], sq[x + BLO]) > MAX_ABOVE_HOLE_WITHOUT_ACKS) ef = (ef & ~E_BLOCK) | E_SKIP;
  }
  sq[x + EFLAGS] = ef;
}
