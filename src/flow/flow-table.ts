/**
 * The bidirectional flow table: packets in, FlowRecords out.
 *
 * Layout (all preallocated at construction, sized by `maxFlows`):
 * - flow slots 0…maxFlows-1; a slot's key lives in typed arrays (both endpoints' address words, ports,
 *   protocol/IP version, VLANs) and its counters in a FlowStore. No per-packet allocation, no string keys.
 * - a chained hash index: `buckets` (power of two, ≥ 2 × maxFlows) holds the first slot of a chain, `chain`
 *   the next. Keys are canonical — the endpoint that sorts first (address words, then port) is "A" — so both
 *   directions of a flow hash to the same slot; which of A/B is the originator is stored per slot.
 * - one intrusive doubly-linked list per timeout class (TCP new / one-packet half-open / established /
 *   closing, UDP, UDP to a DNS port with flow.timeouts.dns, ICMP, other: timeout-classes.ts). A packet moves
 *   its flow to the tail, so each list is ordered by last activity
 *   and the sweeper only pops expired flows from the heads, never scanning the table. When the table is full
 *   the victim is the oldest one-packet half-open flow (half-open.ts: what a SYN flood is made of), and only
 *   when there is none the least-recently-seen flow, the oldest head across the lists.
 * - one list in segment-start order for the active timeout.
 *
 * Time is packet time: the clock is the largest packet timestamp seen (or given to `advance`); the sweeper
 * runs when the clock passes the next sweep point. A flow found idle past its timeout at lookup is ended
 * first too, so results do not depend on the sweep interval.
 *
 * Keying rules (documented here because they decide what a "flow" is):
 * - TCP/UDP/SCTP: addresses, ports, protocol, IP version; the outer and inner VLAN only with flow.keyByVlan
 *   (default off, Zeek's key: a record's VLANs are then its first packet's).
 * - ICMP/ICMPv6: as Community ID and Suricata do, the type plays the source port and the matching reply
 *   type the destination port (echo request and reply are one flow); one-way types use type and code.
 * - A packet inside a tunnel (depth > 0) is keyed by its depth too: its flow is never the carrier's nor one
 *   seen outside the tunnel. Its record names the carrier's flow as its tunnel parent (tunnel-flows.ts).
 * - Fragments: with reassembly (decode.fragments.reassemble) a fragment is Fragment.HELD and counts in no flow;
 *   the datagram it completes counts once in its 5-tuple flow, as in Zeek. Without it, non-first fragments
 *   (Fragment.LATER) carry no L4 header: they count toward the flow with ports 0 of the same address pair and
 *   protocol, and first fragments count toward their 5-tuple flow. Packets of an IP protocol without a decoded
 *   L4 header (truncated) count like non-first fragments.
 */
import { Fragment, TcpFlag, type Packet } from '../decode/packet.js';
import { icmpPorts } from './community-id.js';
import { exportRecord } from './flow-export.js';
import { keyHash, sourceIsA } from './flow-key.js';
import type { EndReason, FlowRecord } from './flow-record.js';
import { F_START, FlowStore, U_FLOW_ID, U_SEGMENT } from './flow-store.js';
import { SlotLists } from './slot-lists.js';
import { serverPortTable, flipsAtStart } from './server-ports.js';
import { newHalfOpenFlow, readHalfOpen, type HalfOpenFold } from './half-open.js';
import { TCP_STATE_WIDTH, TcpEndpointState, tcpFlipsLate, tcpReset } from './tcp-state.js';
import { C_TCP_CLOSED, C_TCP_HALF, C_UDP_DNS, NCLASS, classSeconds, classify, dnsSessionOver, idleReason, type ClassRules } from './timeout-classes.js';
import { validateFlowConfig, type FlowConfig } from './flow-config.js';
import { newFlowTableStats, type FlowTableStats } from './flow-table-stats.js';
import { noteCarrier, type FlowAccounting } from './tunnel-flows.js';

export { DEFAULT_FLOW_CONFIG, validateFlowConfig, type FlowConfig } from './flow-config.js';
export type { FlowTableStats } from './flow-table-stats.js';

const SYN_ACK = TcpFlag.SYN | TcpFlag.ACK;
const { SYN_ACK_SENT, SYN_SENT, INACTIVE } = TcpEndpointState;

/** flows a sweep ends (or exports at the active timeout) before it leaves the rest to the next packet */
const SWEEP_BUDGET = 512;

export class FlowTable implements FlowAccounting {
  readonly stats: FlowTableStats;
  private readonly store: FlowStore;
  private readonly seed: number;

  // keys
  private readonly keyAddr: Uint32Array; // 8 words per slot: endpoint A then B
  private readonly keyPorts: Uint32Array; // port A (high 16) | port B (low 16)
  private readonly keyMeta: Uint32Array; // proto | ipVersion << 8
  private readonly keyVlan: Uint32Array;
  private readonly keyHash: Uint32Array;
  private readonly origIsA: Uint8Array;
  private readonly chain: Int32Array;
  private readonly buckets: Int32Array;
  private readonly mask: number;
  private readonly freeSlots: Int32Array;
  private freeTop: number;

  /** idle lists, one per timeout class, ordered by last activity */
  private readonly idle: SlotLists;
  private readonly lastSeen: Float64Array;
  /** one list (0) ordered by segment start, for the active timeout */
  private readonly started: SlotLists;
  private readonly actStart: Float64Array;

  private readonly idleUs = new Float64Array(NCLASS);
  private readonly emergencyIdleUs = new Float64Array(NCLASS);
  private readonly activeUs: number;
  /** Zeek's tcp_attempt_delay in µs (0: off) */
  private readonly attemptUs: number;
  /** Zeek's dns_session_timeout in µs (0: off) */
  private readonly dnsUs: number;
  /** flow.loneFinCloses, and whether the DNS session timer is on */
  private readonly rules: ClassRules;
  private readonly sweepUs: number;
  private readonly emergencyCount: number;
  private readonly recoveryCount: number;

  private clock = 0;
  private nextSweep = 0;
  private nextFlowId = 1;
  private readonly icmp = new Int32Array(3);
  /** likely server ports (server-ports.ts), for the direction of connections first seen mid-way */
  private readonly serverPorts: Uint8Array;
  /**
   * 0xffffff when the VLAN ids key flows (flow.keyByVlan), else 0: Zeek's default key is addresses, ports and
   * protocol, so a connection whose two directions cross two VLANs (a router on a stick) stays one connection.
   */
  private readonly vlanKeyMask: number;

  /** `onRecord` receives every exported record (it owns the object). Throws on an invalid config. */
  constructor(
    config: FlowConfig,
    private readonly onRecord: (rec: FlowRecord) => void,
  ) {
    validateFlowConfig(config);
    const max = config.maxFlows;
    this.seed = config.communityIdSeed ?? 0;
    this.vlanKeyMask = config.keyByVlan === true ? 0xffffff : 0;
    this.serverPorts = serverPortTable(config.likelyServerPorts);
    this.store = new FlowStore(max);
    this.keyAddr = new Uint32Array(max * 8);
    this.keyPorts = new Uint32Array(max);
    this.keyMeta = new Uint32Array(max);
    this.keyVlan = new Uint32Array(max);
    this.keyHash = new Uint32Array(max);
    this.origIsA = new Uint8Array(max);
    this.chain = new Int32Array(max).fill(-1);
    let size = 16;
    while (size < max * 2) size *= 2;
    this.buckets = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.freeSlots = new Int32Array(max);
    // hand out low slots first: the touched memory grows with the number of flows, not the cap
    for (let i = 0; i < max; i++) this.freeSlots[i] = max - 1 - i;
    this.freeTop = max;
    this.idle = new SlotLists(max, NCLASS);
    this.lastSeen = new Float64Array(max);
    this.started = new SlotLists(max, 1);
    this.actStart = new Float64Array(max);

    const t = config.timeouts;
    const secs = classSeconds(t);
    this.dnsUs = (t.dns ?? 0) * 1e6;
    this.rules = { loneFin: config.loneFinCloses === true, dnsTimer: this.dnsUs > 0 };
    for (let c = 0; c < NCLASS; c++) {
      this.idleUs[c] = secs[c] * 1e6;
      this.emergencyIdleUs[c] = secs[c] * 1e6 * t.emergencyFactor;
    }
    this.activeUs = t.active * 1e6;
    this.attemptUs = (t.tcpAttempt ?? 0) * 1e6;
    this.sweepUs = config.sweepInterval * 1e6;
    this.emergencyCount = Math.floor(config.emergencyThreshold * max);
    this.recoveryCount = Math.floor(config.emergencyRecovery * max);

    this.stats = newFlowTableStats();
  }

  private halfOpen: HalfOpenFold | null = null;
  private readonly halfOpenView = newHalfOpenFlow();

  /** Ask `fold` about every one-packet half-open flow as it ends (null: export them all as records). */
  setHalfOpenFold(fold: HalfOpenFold | null): void {
    this.halfOpen = fold;
  }

  /**
   * Account one decoded IP packet (pkt.ipVersion !== 0); advances the clock to pkt.tsUs and sweeps when due.
   * Returns the flow's slot (valid until the next call), -1 for a packet without IP or a held fragment.
   */
  add(pkt: Packet): number {
    if (pkt.ipVersion === 0) return -1;
    if (pkt.fragment === Fragment.HELD) {
      this.advance(pkt.tsUs);
      return -1;
    }
    if (pkt.tsUs > this.clock) this.clock = pkt.tsUs;
    if (this.clock >= this.nextSweep) this.sweep();

    const proto = pkt.ipProto;
    let sp = 0;
    let dp = 0;
    if (pkt.l4 && pkt.fragment !== Fragment.LATER) {
      if (proto === 1 || proto === 58) {
        if (pkt.icmpType >= 0) {
          icmpPorts(proto === 58, pkt.icmpType, pkt.icmpCode < 0 ? 0 : pkt.icmpCode, this.icmp);
          sp = this.icmp[0];
          dp = this.icmp[1];
        }
      } else {
        sp = pkt.srcPort;
        dp = pkt.dstPort;
      }
    }
    const s = pkt.srcAddr;
    const d = pkt.dstAddr;
    const srcIsA = sourceIsA(s, d, sp, dp);
    const a = srcIsA ? s : d;
    const b = srcIsA ? d : s;
    const ports = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    const meta = proto | (pkt.ipVersion << 8);
    // the tunnel depth is always part of the key; the VLAN ids only with flow.keyByVlan (vlanKeyMask)
    const vlan = (((pkt.vlan & 0xfff) | ((pkt.vlanInner & 0xfff) << 12)) & this.vlanKeyMask) | (pkt.depth << 24);
    const h = keyHash(meta, vlan, ports, a, b);

    const keyAddr = this.keyAddr;
    let slot = this.buckets[h & this.mask];
    while (slot >= 0) {
      if (this.keyHash[slot] === h && this.keyPorts[slot] === ports && this.keyMeta[slot] === meta && this.keyVlan[slot] === vlan) {
        const o = slot * 8;
        if (
          keyAddr[o + 3] === a[3] && keyAddr[o + 7] === b[3] && keyAddr[o + 2] === a[2] && keyAddr[o + 6] === b[2] &&
          keyAddr[o + 1] === a[1] && keyAddr[o + 5] === b[1] && keyAddr[o] === a[0] && keyAddr[o + 4] === b[0]
        ) {
          break;
        }
      }
      slot = this.chain[slot];
    }

    if (slot >= 0) {
      const cls = this.idle.listOf(slot);
      const timeouts = this.stats.emergency ? this.emergencyIdleUs : this.idleUs;
      if (this.clock - this.lastSeen[slot] > timeouts[cls] || (cls === C_UDP_DNS && this.dnsOver(slot))) {
        // idle past its timeout but not swept yet: the packet starts a new flow
        this.end(slot, idleReason(this.store, slot, cls));
        slot = -1;
      } else if (proto === 6 && this.attemptUs > 0 && this.attemptExpired(slot)) {
        // Zeek's attempt timer removed the unanswered attempt: this packet belongs to a new connection
        this.end(slot, 'idle');
        slot = -1;
      } else if (
        cls === C_TCP_CLOSED &&
        (pkt.tcpFlags & SYN_ACK) === TcpFlag.SYN &&
        pkt.l4
      ) {
        // port reuse: a fresh SYN on a finished connection's 5-tuple starts a new connection
        this.end(slot, tcpReset(this.store.tcp, slot * TCP_STATE_WIDTH) ? 'rst' : 'fin');
        slot = -1;
      }
    }
    if (slot < 0) slot = this.create(pkt, srcIsA, a, b, ports, meta, vlan, h);

    if (proto === 6 && pkt.l4 && tcpFlipsLate(this.store.history[slot], pkt.tcpFlags, pkt.payloadLen)) {
      // a connection that began with a SYN-ACK is turned round by its first productive segment (Zeek)
      this.store.flip(slot, '^h');
      this.origIsA[slot] ^= 1;
    }
    const toServer = srcIsA === (this.origIsA[slot] === 1);
    this.store.update(slot, pkt, toServer);
    this.lastSeen[slot] = this.clock;
    this.idle.moveToTail(classify(this.store, slot, proto, this.idle.listOf(slot), this.rules), slot);
    if (pkt.depth !== 0) noteCarrier(this.store, slot, pkt, this.seed);
    return slot;
  }

  /** The id of the flow in `slot`, a slot the last `add` returned (the fan-out's carrier stamp, tunnel-flows.ts). */
  flowIdAt(slot: number): number {
    return this.store.u[this.store.ub(slot) + U_FLOW_ID];
  }

  /** Advance packet time without a packet (live capture idle ticks); sweeps when due. */
  advance(tsUs: number): void {
    if (tsUs > this.clock) this.clock = tsUs;
    if (this.clock >= this.nextSweep) this.sweep();
  }

  /** Export every open flow with `reason` (shutdown); closing TCP flows keep their own 'fin'/'rst'. */
  flush(reason: EndReason): void {
    for (let slot = this.started.head(0); slot >= 0; slot = this.started.head(0)) {
      const cls = this.idle.listOf(slot);
      this.end(slot, cls === C_TCP_CLOSED ? idleReason(this.store, slot, cls) : reason);
    }
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private create(
    pkt: Packet, srcIsA: boolean, a: Uint32Array, b: Uint32Array, ports: number, meta: number, vlan: number, h: number,
  ): number {
    if (this.freeTop === 0) this.evictOne();
    const slot = this.freeSlots[--this.freeTop];
    const o = slot * 8;
    for (let i = 0; i < 4; i++) {
      this.keyAddr[o + i] = a[i];
      this.keyAddr[o + 4 + i] = b[i];
    }
    this.keyPorts[slot] = ports;
    this.keyMeta[slot] = meta;
    this.keyVlan[slot] = vlan;
    this.keyHash[slot] = h;
    const bucket = h & this.mask;
    this.chain[slot] = this.buckets[bucket];
    this.buckets[bucket] = slot;

    const proto = pkt.ipProto;
    // Zeek's likely-server-port flip: a first packet from a server's port makes its receiver the originator
    const sp0 = srcIsA ? ports >>> 16 : ports & 0xffff;
    const dp0 = srcIsA ? ports & 0xffff : ports >>> 16;
    const d = pkt.dstAddr;
    const dstBroadcast = pkt.ipVersion === 4 && d[0] === 0 && d[1] === 0 && d[2] === 0xffff && d[3] === 0xffffffff;
    const origIsSrc = !(pkt.l4 && flipsAtStart(this.serverPorts, proto, sp0, dp0, pkt.tcpFlags, dstBroadcast));
    this.origIsA[slot] = origIsSrc === srcIsA ? 1 : 0;
    let origPort: number;
    let respPort: number;
    if (proto === 1 || proto === 58) {
      // Zeek's convention: the originator's ICMP type and code stand in the port fields
      origPort = pkt.l4 && pkt.icmpType >= 0 ? pkt.icmpType : 0;
      respPort = pkt.l4 && pkt.icmpCode >= 0 ? pkt.icmpCode : 0;
    } else {
      const sp = srcIsA ? ports >>> 16 : ports & 0xffff;
      const dp = srcIsA ? ports & 0xffff : ports >>> 16;
      origPort = origIsSrc ? sp : dp;
      respPort = origIsSrc ? dp : sp;
    }
    this.store.init(slot, pkt, this.nextFlowId++, origIsSrc, origPort, respPort);

    this.actStart[slot] = this.clock;
    this.started.moveToTail(0, slot);

    const st = this.stats;
    st.created++;
    st.active++;
    if (!st.emergency && st.active > this.emergencyCount) {
      st.emergency = true;
      st.emergencyEntered++;
      this.nextSweep = this.clock; // apply the shorter timeouts at the next packet
    }
    return slot;
  }

  /**
   * Zeek's AttemptTimer (TCPSessionAdapter, tcp_attempt_delay): `timeouts.tcpAttempt` after the SYN (or
   * originator SYN-ACK) that opened it, a connection whose originator is still at that step and whose responder
   * has sent nothing is over (logged S0), and a later packet of the same 5-tuple starts a new connection.
   * Checked when that next packet arrives: the records are Zeek's, only exported at the idle timeout when no
   * packet follows.
   */
  private attemptExpired(slot: number): boolean {
    const tcp = this.store.tcp;
    const base = slot * TCP_STATE_WIDTH;
    const o = tcp[base];
    if ((o !== SYN_SENT && o !== SYN_ACK_SENT) || tcp[base + 1] !== INACTIVE) return false;
    if (this.store.u[this.store.ub(slot) + U_SEGMENT] !== 0) return false;
    return this.clock - this.store.f[this.store.fb(slot) + F_START] > this.attemptUs;
  }

  /** Zeek's DNS session timer ended the UDP DNS flow in `slot` (timeout-classes.ts; never in emergency mode). */
  private dnsOver(slot: number): boolean {
    if (this.dnsUs === 0 || this.stats.emergency) return false;
    return dnsSessionOver(this.store.f[this.store.fb(slot) + F_START], this.lastSeen[slot], this.clock, this.dnsUs);
  }

  private emit(slot: number, reason: EndReason): void {
    if (this.halfOpen !== null && readHalfOpen(this.store, slot, this.halfOpenView) && this.halfOpen.fold(this.halfOpenView)) {
      this.stats.folded++;
      return;
    }
    const rec = exportRecord(this.store, slot, reason, this.seed);
    this.stats.byEndReason[reason]++;
    this.onRecord(rec);
  }

  /** Export (unless the segment is empty) and remove the flow in `slot`. */
  private end(slot: number, reason: EndReason): void {
    // unlink first: the record callback may run arbitrary code, the table must already be consistent
    const bucket = this.keyHash[slot] & this.mask;
    let i = this.buckets[bucket];
    if (i === slot) this.buckets[bucket] = this.chain[slot];
    else {
      while (i >= 0 && this.chain[i] !== slot) i = this.chain[i];
      if (i >= 0) this.chain[i] = this.chain[slot];
    }
    this.chain[slot] = -1;
    this.idle.remove(slot);
    this.started.remove(slot);
    this.stats.active--;
    this.stats.ended++;
    try {
      // an active-timeout continuation that saw no packet has nothing to report
      if (this.store.packets(slot) > 0) this.emit(slot, reason);
    } finally {
      this.store.release(slot);
      this.freeSlots[this.freeTop++] = slot;
    }
  }

  /** Remove the oldest one-packet half-open flow, else the least-recently-seen flow (the oldest list head). */
  private evictOne(): void {
    let victim = this.idle.head(C_TCP_HALF);
    if (victim >= 0) this.stats.evictedHalfOpen++;
    else {
      let oldest = Infinity;
      for (let c = 0; c < NCLASS; c++) {
        const h = this.idle.head(c);
        if (h >= 0 && this.lastSeen[h] < oldest) {
          oldest = this.lastSeen[h];
          victim = h;
        }
      }
    }
    if (victim < 0) throw new Error('flow table full but no flow is linked: invariant broken');
    this.stats.evicted++;
    this.end(victim, 'evicted');
  }

  private sweep(): void {
    this.nextSweep = this.clock + this.sweepUs;
    const now = this.clock;
    const timeouts = this.stats.emergency ? this.emergencyIdleUs : this.idleUs;
    // at most SWEEP_BUDGET flows end per sweep; when more are due, the next packet sweeps on (a flood's
    // thousands of expiring half-open flows are then spread over packets, not one long pause of the loop)
    let budget = SWEEP_BUDGET;
    for (let c = 0; c < NCLASS; c++) {
      const limit = timeouts[c];
      let slot = this.idle.head(c);
      while (slot >= 0 && now - this.lastSeen[slot] > limit) {
        if (budget-- === 0) {
          this.nextSweep = now;
          return;
        }
        this.end(slot, idleReason(this.store, slot, c));
        slot = this.idle.head(c);
      }
    }
    for (let slot = this.started.head(0); slot >= 0 && now - this.actStart[slot] > this.activeUs; slot = this.started.head(0)) {
      if (budget-- === 0) {
        this.nextSweep = now;
        return;
      }
      if (this.store.packets(slot) > 0) {
        this.emit(slot, 'active');
        this.store.nextSegment(slot);
      }
      // the continuation's active timer starts now; its record starts at its first packet
      this.actStart[slot] = now;
      this.started.moveToTail(0, slot);
    }
    const st = this.stats;
    if (st.emergency && st.active < this.recoveryCount) st.emergency = false;
  }
}
