/**
 * FlowStore: the per-flow counters of the flow table, kept struct-of-arrays in preallocated typed arrays
 * indexed by flow slot.
 *
 * Why not one object per flow: a flow has ~60 numbers; as object fields most of them would be boxed doubles,
 * which costs well over 1 KB per flow and a lot of garbage. In typed arrays 200,000 flows take ~80 MB, the
 * per-packet update allocates nothing, and a slot is reused as soon as its flow is exported. Only rare
 * application-layer evidence (DNS, SNI, Host) and the history string live in per-slot JS arrays.
 *
 * The store does not know about hashing or timeouts (flow-table.ts); it counts packets into a slot and
 * exposes the raw state that flow-export.ts turns into a FlowRecord.
 */
import { AuthReply } from '../decode/auth-reply.js';
import type { Packet } from '../decode/packet.js';
import type { FlowDnsRr, FlowTunnel } from './flow-record.js';
import {
  HISTORY_FLIPPED,
  TCP_STATE_WIDTH,
  appendHistory,
  datagramHistoryBits,
  flipHistoryMask,
  tcpFlip,
} from './tcp-state.js';
import { TCP_SEQ_WIDTH, tcpSegment, tcpSeqFlip, type TcpSegment } from './tcp-seq.js';

/** Float64 fields per slot (offsets into `f`). Statistics blocks are Welford mean, M2, min, max. */
export const F_START = 0; // packet time of the first packet of the current segment
export const F_LAST = 1; // packet time of the last packet
export const F_LAST_TS = 2; // last packet time to server
export const F_LAST_TC = 3; // last packet time to client
export const F_BYTES_TS = 4;
export const F_BYTES_TC = 5;
export const F_PAYLOAD_TS = 6;
export const F_PAYLOAD_TC = 7;
export const F_MAC_ORIG = 8; // -1 until seen
export const F_MAC_RESP = 9;
export const F_IAT = 10;
export const F_IAT_TS = 14;
export const F_IAT_TC = 18;
export const F_LEN_TS = 22;
export const F_LEN_TC = 26;
export const F_IP_BYTES_TS = 30; // IP-level bytes (the IP header's total length) to server, Zeek's orig_ip_bytes
export const F_IP_BYTES_TC = 31;
const FW = 32;

/** Uint32 fields per slot (offsets into `u`). */
export const U_FLOW_ID = 0;
export const U_SEGMENT = 1;
export const U_PKTS_TS = 2;
export const U_PKTS_TC = 3;
export const U_FLAGS = 4; // OR of TCP flags: to server in bits 0-7, to client in bits 8-15
export const U_HIST = 5; // history mask (tcp-state.ts)
export const U_FIRST_TS = 6; // first TTL (bits 0-7) and TCP window (bits 8-23) to server; bit 24 = seen
export const U_FIRST_TC = 7;
export const U_PORTS = 8; // originator port (bits 0-15) and responder port (16-31); ICMP: type and code
export const U_FLAGCNT_TS = 9; // 8 counters each, in TcpFlag bit order: fin syn rst psh ack urg ece cwr
export const U_FLAGCNT_TC = 17;
export const U_PROTO = 25; // IP protocol (bits 0-7), IP version (bits 8-11)
export const U_VLAN = 26; // outer VLAN (bits 0-11), inner VLAN (bits 12-23)
const UW = 27;

/** Application protocol seen in payload (overrides the port-based hint). */
export const Evidence = { NONE: 0, DNS: 1, MDNS: 2, DHCP: 3, TLS: 4, HTTP: 5, SSH: 6 } as const;

/** The bounded DNS summary a flow keeps. */
export interface FlowDns {
  qname: string;
  qtype: number;
  /** the first question's class (1 IN; mDNS sets the top bit for a unicast answer) */
  qclass: number;
  rcode: number;
  answers: string[];
  /** the first message's transaction id */
  id: number;
  /** a response was seen */
  response: boolean;
  /** the answer records (also those whose data is not decoded: MX, SRV, NULL, …), bounded like `answers` */
  rrs: FlowDnsRr[];
}

/** answers kept per flow: a DNS tunnel must not grow one flow without bound */
export const MAX_DNS_ANSWERS = 16;

const SEEN = 1 << 24;

export class FlowStore {
  readonly f: Float64Array;
  readonly u: Uint32Array;
  /** TCP endpoint states, TCP_STATE_WIDTH bytes per slot */
  readonly tcp: Uint8Array;
  /** TCP sequence tracking (tcp-seq.ts), TCP_SEQ_WIDTH words per slot */
  readonly tcpSeq: Uint32Array;
  /** the segment handed to tcpSegment, reused for every packet */
  private readonly seg: TcpSegment = { flags: 0, seq: 0, ack: 0, window: 0, len: 0, captured: 0 };
  /** originator and responder addresses, 4 words each per slot */
  readonly origAddr: Uint32Array;
  readonly respAddr: Uint32Array;
  readonly evidence: Uint8Array;
  readonly history: string[];
  readonly dns: (FlowDns | null)[];
  readonly tlsSni: (string | null)[];
  readonly httpHost: (string | null)[];
  /** login answers the responder sent in clear text (decode/auth-reply.ts): failures at 2·slot, successes at 2·slot + 1 */
  readonly authReplies: Uint32Array;
  /** the tunnel a flow inside one was carried in (tunnel-flows.ts), null for the flows seen as captured */
  readonly tunnel: (FlowTunnel | null)[];

  constructor(readonly capacity: number) {
    this.f = new Float64Array(capacity * FW);
    this.u = new Uint32Array(capacity * UW);
    this.tcp = new Uint8Array(capacity * TCP_STATE_WIDTH);
    this.tcpSeq = new Uint32Array(capacity * TCP_SEQ_WIDTH);
    this.origAddr = new Uint32Array(capacity * 4);
    this.respAddr = new Uint32Array(capacity * 4);
    this.evidence = new Uint8Array(capacity);
    this.history = new Array<string>(capacity).fill('');
    this.dns = new Array<FlowDns | null>(capacity).fill(null);
    this.tlsSni = new Array<string | null>(capacity).fill(null);
    this.httpHost = new Array<string | null>(capacity).fill(null);
    this.authReplies = new Uint32Array(capacity * 2);
    this.tunnel = new Array<FlowTunnel | null>(capacity).fill(null);
  }

  /** float64 base offset of a slot */
  fb(slot: number): number {
    return slot * FW;
  }
  /** uint32 base offset of a slot */
  ub(slot: number): number {
    return slot * UW;
  }

  /**
   * Start a flow in `slot` from its first packet. `origIsSrc` says whether the packet's sender is the
   * originator (false for a SYN-ACK-first TCP flow, which is then marked flipped); `origPort`/`respPort` are
   * the key ports from the originator's side. The packet itself is counted by a following `update`.
   */
  init(slot: number, pkt: Packet, flowId: number, origIsSrc: boolean, origPort: number, respPort: number): void {
    const f = this.f;
    const u = this.u;
    const fb = slot * FW;
    const ub = slot * UW;
    f.fill(0, fb, fb + FW);
    f[fb + F_MAC_ORIG] = -1;
    f[fb + F_MAC_RESP] = -1;
    u.fill(0, ub, ub + UW);
    u[ub + U_FLOW_ID] = flowId;
    u[ub + U_PORTS] = ((origPort & 0xffff) | ((respPort & 0xffff) << 16)) >>> 0;
    u[ub + U_PROTO] = (pkt.ipProto & 0xff) | ((pkt.ipVersion & 0xf) << 8);
    u[ub + U_VLAN] = (pkt.vlan & 0xfff) | ((pkt.vlanInner & 0xfff) << 12);
    const src = origIsSrc ? pkt.srcAddr : pkt.dstAddr;
    const dst = origIsSrc ? pkt.dstAddr : pkt.srcAddr;
    const ab = slot * 4;
    for (let i = 0; i < 4; i++) {
      this.origAddr[ab + i] = src[i];
      this.respAddr[ab + i] = dst[i];
    }
    this.tcp.fill(0, slot * TCP_STATE_WIDTH, (slot + 1) * TCP_STATE_WIDTH);
    // only TCP reads the sequence state: other flows leave its pages untouched (and a reused slot's stale words)
    if (pkt.ipProto === 6) this.tcpSeq.fill(0, slot * TCP_SEQ_WIDTH, (slot + 1) * TCP_SEQ_WIDTH);
    this.evidence[slot] = Evidence.NONE;
    this.authReplies[2 * slot] = 0;
    this.authReplies[2 * slot + 1] = 0;
    if (origIsSrc) {
      this.history[slot] = '';
    } else {
      u[ub + U_HIST] = HISTORY_FLIPPED;
      this.history[slot] = '^';
    }
    this.dns[slot] = null;
    this.tlsSni[slot] = null;
    this.httpHost[slot] = null;
    this.tunnel[slot] = null;
  }

  /** packets counted in the current segment of a slot */
  packets(slot: number): number {
    const ub = slot * UW;
    return this.u[ub + U_PKTS_TS] + this.u[ub + U_PKTS_TC];
  }

  /** true once both endpoints have sent at least one packet (over the whole flow, not just this segment) */
  bothSent(slot: number): boolean {
    const m = this.u[slot * UW + U_HIST];
    return (m & 0x7f) !== 0 && (m & 0x7f00) !== 0;
  }

  /**
   * Start the next active-timeout segment: counters and statistics restart, while identity, TCP state,
   * history (it describes the whole connection, as Zeek's does) and application evidence carry over.
   */
  nextSegment(slot: number): void {
    const f = this.f;
    const u = this.u;
    const fb = slot * FW;
    const ub = slot * UW;
    const macO = f[fb + F_MAC_ORIG];
    const macR = f[fb + F_MAC_RESP];
    f.fill(0, fb, fb + FW);
    f[fb + F_MAC_ORIG] = macO;
    f[fb + F_MAC_RESP] = macR;
    u[ub + U_SEGMENT]++;
    u[ub + U_PKTS_TS] = 0;
    u[ub + U_PKTS_TC] = 0;
    u[ub + U_FLAGS] = 0;
    u[ub + U_FIRST_TS] = 0;
    u[ub + U_FIRST_TC] = 0;
    u.fill(0, ub + U_FLAGCNT_TS, ub + U_FLAGCNT_TC + 8);
  }

  /**
   * Turn the connection in `slot` round: the responder becomes the originator. Every per-direction counter,
   * the addresses and ports, the TCP endpoint states and the history mask swap; the history string becomes
   * `history` (Zeek rewrites it, e.g. "H" to "^h").
   */
  flip(slot: number, history: string): void {
    const f = this.f;
    const u = this.u;
    const fb = slot * FW;
    const ub = slot * UW;
    const swapF = (a: number, b: number, n = 1): void => {
      for (let i = 0; i < n; i++) {
        const x = f[fb + a + i];
        f[fb + a + i] = f[fb + b + i];
        f[fb + b + i] = x;
      }
    };
    const swapU = (a: number, b: number, n = 1): void => {
      for (let i = 0; i < n; i++) {
        const x = u[ub + a + i];
        u[ub + a + i] = u[ub + b + i];
        u[ub + b + i] = x;
      }
    };
    swapF(F_LAST_TS, F_LAST_TC);
    swapF(F_BYTES_TS, F_BYTES_TC);
    swapF(F_PAYLOAD_TS, F_PAYLOAD_TC);
    swapF(F_MAC_ORIG, F_MAC_RESP);
    swapF(F_IAT_TS, F_IAT_TC, 4);
    swapF(F_LEN_TS, F_LEN_TC, 4);
    swapU(U_PKTS_TS, U_PKTS_TC);
    swapU(U_FIRST_TS, U_FIRST_TC);
    swapU(U_FLAGCNT_TS, U_FLAGCNT_TC, 8);
    const fl = u[ub + U_FLAGS];
    u[ub + U_FLAGS] = ((fl & 0xff) << 8) | ((fl >>> 8) & 0xff);
    const ports = u[ub + U_PORTS];
    u[ub + U_PORTS] = ((ports >>> 16) | ((ports & 0xffff) << 16)) >>> 0;
    u[ub + U_HIST] = flipHistoryMask(u[ub + U_HIST]);
    const ab = slot * 4;
    for (let i = 0; i < 4; i++) {
      const x = this.origAddr[ab + i];
      this.origAddr[ab + i] = this.respAddr[ab + i];
      this.respAddr[ab + i] = x;
    }
    tcpFlip(this.tcp, slot * TCP_STATE_WIDTH);
    if ((u[ub + U_PROTO] & 0xff) === 6) tcpSeqFlip(this.tcpSeq, slot * TCP_SEQ_WIDTH);
    this.history[slot] = history;
  }

  /** Count one packet into `slot`; `toServer` is true when the originator sent it. */
  update(slot: number, pkt: Packet, toServer: boolean): void {
    const f = this.f;
    const u = this.u;
    const fb = slot * FW;
    const ub = slot * UW;
    const ts = pkt.tsUs;
    const len = pkt.wirelen;
    const pktsTs = u[ub + U_PKTS_TS];
    const pktsTc = u[ub + U_PKTS_TC];
    const total = pktsTs + pktsTc;

    if (total === 0) {
      f[fb + F_START] = ts;
    } else {
      const iat = ts > f[fb + F_LAST] ? ts - f[fb + F_LAST] : 0; // reordered capture: never a negative gap
      welford(f, fb + F_IAT, iat, total);
    }
    if (ts > f[fb + F_LAST] || total === 0) f[fb + F_LAST] = ts;

    const flags = pkt.tcpFlags & 0xff;
    if (toServer) {
      const n = pktsTs + 1;
      u[ub + U_PKTS_TS] = n;
      if (n > 1) welford(f, fb + F_IAT_TS, ts > f[fb + F_LAST_TS] ? ts - f[fb + F_LAST_TS] : 0, n - 1);
      f[fb + F_LAST_TS] = ts;
      welford(f, fb + F_LEN_TS, len, n);
      f[fb + F_BYTES_TS] += len;
      f[fb + F_IP_BYTES_TS] += pkt.ipLen;
      f[fb + F_PAYLOAD_TS] += pkt.payloadLen;
      if (u[ub + U_FIRST_TS] === 0) u[ub + U_FIRST_TS] = SEEN | (pkt.ttl & 0xff) | ((pkt.tcpWindow & 0xffff) << 8);
      if (f[fb + F_MAC_ORIG] < 0 && pkt.srcMac >= 0) f[fb + F_MAC_ORIG] = pkt.srcMac;
      if (flags !== 0) {
        u[ub + U_FLAGS] |= flags;
        countFlags(u, ub + U_FLAGCNT_TS, flags);
      }
    } else {
      const n = pktsTc + 1;
      u[ub + U_PKTS_TC] = n;
      if (n > 1) welford(f, fb + F_IAT_TC, ts > f[fb + F_LAST_TC] ? ts - f[fb + F_LAST_TC] : 0, n - 1);
      f[fb + F_LAST_TC] = ts;
      welford(f, fb + F_LEN_TC, len, n);
      f[fb + F_BYTES_TC] += len;
      f[fb + F_IP_BYTES_TC] += pkt.ipLen;
      f[fb + F_PAYLOAD_TC] += pkt.payloadLen;
      if (u[ub + U_FIRST_TC] === 0) u[ub + U_FIRST_TC] = SEEN | (pkt.ttl & 0xff) | ((pkt.tcpWindow & 0xffff) << 8);
      if (f[fb + F_MAC_RESP] < 0 && pkt.srcMac >= 0) f[fb + F_MAC_RESP] = pkt.srcMac;
      if (flags !== 0) {
        u[ub + U_FLAGS] |= flags << 8;
        countFlags(u, ub + U_FLAGCNT_TC, flags);
      }
    }

    // history and TCP endpoint state
    const proto = pkt.ipProto;
    if (proto === 6) {
      if (pkt.l4) {
        const seg = this.seg;
        seg.flags = flags;
        seg.seq = pkt.tcpSeq;
        seg.ack = pkt.tcpAck;
        seg.window = pkt.tcpWindow;
        seg.len = pkt.payloadLen;
        seg.captured = pkt.payloadCaptured;
        this.history[slot] = tcpSegment(
          this.tcp, slot * TCP_STATE_WIDTH, this.tcpSeq, slot * TCP_SEQ_WIDTH, toServer, seg, this.history[slot], u, ub + U_HIST,
        );
      }
    } else if (proto === 17) {
      const mask = u[ub + U_HIST];
      const added = datagramHistoryBits(toServer) & ~mask;
      if (added !== 0) {
        u[ub + U_HIST] = mask | added;
        this.history[slot] = appendHistory(this.history[slot], added, false);
      }
    }

    // application-layer evidence: only the few packets that carry it reach this branch
    if (pkt.dns !== null || pkt.tlsSni !== null || pkt.httpHost !== null || pkt.dhcp !== null || pkt.sshVersion !== null) this.evidenceOf(slot, pkt);
    // only the responder's answers count: a client sending "HTTP/1.1 401" proves nothing
    if (pkt.authReply !== 0 && !toServer) this.authReplies[2 * slot + (pkt.authReply === AuthReply.FAILURE ? 0 : 1)]++;
  }

  private evidenceOf(slot: number, pkt: Packet): void {
    const msg = pkt.dns;
    if (msg !== null) {
      this.evidence[slot] = msg.mdns ? Evidence.MDNS : Evidence.DNS;
      let d = this.dns[slot];
      if (d === null && msg.qname !== '') {
        d = { qname: msg.qname, qtype: msg.qtype, qclass: msg.qclass, rcode: 0, answers: [], id: msg.id, response: false, rrs: [] };
        this.dns[slot] = d;
      }
      if (d !== null && msg.response) {
        d.rcode = msg.rcode;
        d.response = true;
        for (let i = 0; i < msg.answers.length && d.rrs.length < MAX_DNS_ANSWERS; i++) {
          const a = msg.answers[i];
          d.rrs.push({ name: a.name, type: a.type, ttl: a.ttl, data: a.data });
          if (a.data !== '') d.answers.push(a.data);
        }
      }
    }
    if (pkt.dhcp !== null) this.evidence[slot] = Evidence.DHCP;
    if (pkt.tlsSni !== null) {
      this.evidence[slot] = Evidence.TLS;
      if (this.tlsSni[slot] === null) this.tlsSni[slot] = pkt.tlsSni;
    }
    if (pkt.httpHost !== null) {
      this.evidence[slot] = Evidence.HTTP;
      if (this.httpHost[slot] === null) this.httpHost[slot] = pkt.httpHost;
    }
    if (pkt.sshVersion !== null) this.evidence[slot] = Evidence.SSH;
  }

  /** Drop the references a finished flow held so they can be collected. */
  release(slot: number): void {
    this.history[slot] = '';
    this.dns[slot] = null;
    this.tlsSni[slot] = null;
    this.httpHost[slot] = null;
    this.tunnel[slot] = null;
  }
}

/** Welford's running mean/variance plus min/max at `f[o…o+3]`; `n` counts x itself. */
function welford(f: Float64Array, o: number, x: number, n: number): void {
  if (n === 1) {
    f[o] = x;
    f[o + 1] = 0;
    f[o + 2] = x;
    f[o + 3] = x;
    return;
  }
  const d = x - f[o];
  const mean = f[o] + d / n;
  f[o] = mean;
  f[o + 1] += d * (x - mean);
  if (x < f[o + 2]) f[o + 2] = x;
  if (x > f[o + 3]) f[o + 3] = x;
}

/** Bump one counter per set flag bit; counters are in TcpFlag bit order. */
function countFlags(u: Uint32Array, o: number, flags: number): void {
  while (flags !== 0) {
    const low = flags & -flags;
    u[o + 31 - Math.clz32(low)]++;
    flags ^= low;
  }
}
