/**
 * One-packet half-open TCP flows: the originator sent a single bare SYN (ECN bits allowed) and nothing else;
 * the responder sent nothing or only SYN-ACKs (Zeek history "S" or "Sh", conn_state S0 or SH). A spoofed SYN
 * flood leaves one of these per packet, so they get two rules of their own in the flow table:
 *
 * - at the cap they are evicted first (the oldest of them), before any flow that carried a conversation;
 * - as one ends, the table asks the HalfOpenFold it was given (the pipeline's, src/flood/) about it. A flow
 *   that is folded is counted there and never becomes a FlowRecord: building a record (Community ID hash,
 *   address strings, history, statistics) and everything downstream of it (detectors, scoring, the store)
 *   would cost a flood packet many times what its decoding and flow lookup did.
 */
import { TcpFlag } from '../decode/packet.js';
import { F_LAST, F_MAC_ORIG, F_PAYLOAD_TC, F_PAYLOAD_TS, F_START, U_FLAGS, U_PKTS_TC, U_PKTS_TS, U_PORTS, U_PROTO, U_SEGMENT, U_VLAN, type FlowStore } from './flow-store.js';

/** A half-open flow as it ends: a view the table refills for every flow (copy what you keep). */
export interface HalfOpenFlow {
  ipVersion: 4 | 6;
  /** the originator's (claimed source's) address words, as in Packet.srcAddr (IPv4 in word 3) */
  readonly orig: Uint32Array;
  /** the responder's address words */
  readonly resp: Uint32Array;
  origPort: number;
  respPort: number;
  /** outer VLAN (bits 0-11), inner VLAN (12-23) */
  vlan: number;
  startUs: number;
  endUs: number;
  /** the originator's MAC as a 48-bit number, -1 when unknown */
  origMac: number;
  /** SYN-ACKs the responder sent (0: no answer at all) */
  respPackets: number;
}

export interface HalfOpenFold {
  /** `f` is ending; true when it was counted and the table is to export no record of it */
  fold(f: HalfOpenFlow): boolean;
}

export function newHalfOpenFlow(): HalfOpenFlow {
  return { ipVersion: 4, orig: new Uint32Array(4), resp: new Uint32Array(4), origPort: 0, respPort: 0, vlan: 0, startUs: 0, endUs: 0, origMac: -1, respPackets: 0 };
}

const { SYN, ACK, ECE, CWR } = TcpFlag;
const SYN_ONLY = SYN | ECE | CWR;
const SYN_ACK_ONLY = SYN | ACK | ECE | CWR;

/**
 * true when the flow in `slot` is a one-packet half-open TCP flow (first segment only); `out` then describes
 * it. Reads only the store's typed arrays: nothing is allocated.
 */
export function readHalfOpen(store: FlowStore, slot: number, out: HalfOpenFlow): boolean {
  const u = store.u;
  const ub = store.ub(slot);
  const proto = u[ub + U_PROTO];
  if ((proto & 0xff) !== 6 || u[ub + U_PKTS_TS] !== 1 || u[ub + U_SEGMENT] !== 0) return false;
  const flags = u[ub + U_FLAGS];
  const toServer = flags & 0xff;
  const toClient = (flags >>> 8) & 0xff;
  if ((toServer & SYN) === 0 || (toServer & ~SYN_ONLY) !== 0) return false;
  // the responder answered with something other than SYN-ACKs (RST: refused; ACK or data: a conversation)
  if (toClient !== 0 && ((toClient & SYN) === 0 || (toClient & ~SYN_ACK_ONLY) !== 0)) return false;
  const f = store.f;
  const fb = store.fb(slot);
  if (f[fb + F_PAYLOAD_TS] !== 0 || f[fb + F_PAYLOAD_TC] !== 0) return false;
  out.ipVersion = ((proto >>> 8) & 0xf) === 6 ? 6 : 4;
  const ab = slot * 4;
  for (let i = 0; i < 4; i++) {
    out.orig[i] = store.origAddr[ab + i];
    out.resp[i] = store.respAddr[ab + i];
  }
  const ports = u[ub + U_PORTS];
  out.origPort = ports & 0xffff;
  out.respPort = ports >>> 16;
  out.vlan = u[ub + U_VLAN];
  out.startUs = f[fb + F_START];
  out.endUs = f[fb + F_LAST];
  out.origMac = f[fb + F_MAC_ORIG];
  out.respPackets = u[ub + U_PKTS_TC];
  return true;
}
