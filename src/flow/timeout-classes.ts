/**
 * The flow table's timeout classes: which idle timeout a flow is under, decided from its protocol, its TCP
 * endpoint states and its responder port after every packet, and the end reason of a flow that times out.
 *
 * - TCP: new (handshake not complete), one-packet half-open (half-open.ts), established, closing (Zeek's
 *   close_complete, tcp-state.ts tcpClosing; with flow.loneFinCloses, once closing, always closing);
 * - UDP; with flow.timeouts.dns, UDP to a DNS port (Zeek's DNS analyzer ports 53, 137, 5353, 5355/udp), whose
 *   session ends by Zeek's dns_session_timeout rule (dnsSessionOver) instead of the UDP idle timeout;
 * - ICMP/ICMPv6; any other IP protocol.
 */
import type { EndReason } from './flow-record.js';
import type { FlowConfig } from './flow-config.js';
import { type FlowStore, U_PKTS_TS, U_PORTS } from './flow-store.js';
import { TCP_STATE_WIDTH, TcpEndpointState, tcpClosing, tcpReset } from './tcp-state.js';

/** Timeout classes: index into the idle lists and timeouts. */
export const C_TCP_NEW = 0;
export const C_TCP_EST = 1;
export const C_TCP_CLOSED = 2;
export const C_UDP = 3;
export const C_ICMP = 4;
export const C_OTHER = 5;
/** TCP, the originator has sent one packet, no handshake: S0 or Sh so far (half-open.ts) */
export const C_TCP_HALF = 6;
/** UDP to a port of Zeek's DNS analyzer */
export const C_UDP_DNS = 7;
export const NCLASS = 8;

const { ESTABLISHED, PARTIAL, CLOSED, SYN_ACK_SENT } = TcpEndpointState;

/** Zeek's DNS::ports for UDP: its DNS analyzer (and with it the DNS session timer) attaches to these responder ports */
const DNS_UDP_PORTS = new Set([53, 137, 5353, 5355]);

/**
 * Idle seconds per class. A DNS flow's session ends at the latest 2 × timeouts.dns − 1 s after its last packet
 * (dnsSessionOver), so that is its idle timeout; without timeouts.dns (or with 0) it is an ordinary UDP flow.
 */
export function classSeconds(t: FlowConfig['timeouts']): number[] {
  const dns = !t.dns ? t.udp : Math.max(1, 2 * t.dns - 1);
  return [t.tcpNew, t.tcpEstablished, t.tcpClosed, t.udp, t.icmp, t.other, t.tcpNew, dns];
}

/** The configurable rules classify follows: flow.loneFinCloses, and whether flow.timeouts.dns is on. */
export interface ClassRules {
  loneFin: boolean;
  dnsTimer: boolean;
}
const NO_RULES: ClassRules = { loneFin: false, dnsTimer: false };

/**
 * The class of the flow in `slot` after a packet; `current` is the class it was in (NO_LIST for a new flow):
 * a closing TCP flow stays closing, since (with rules.loneFin, flow.loneFinCloses) a FIN towards a silent peer
 * ended it even if that peer answers now.
 */
export function classify(store: FlowStore, slot: number, proto: number, current: number, rules: ClassRules = NO_RULES): number {
  const loneFin = rules.loneFin;
  if (proto === 6) {
    const tcp = store.tcp;
    const base = slot * TCP_STATE_WIDTH;
    if ((loneFin && current === C_TCP_CLOSED) || tcpClosing(tcp, base, loneFin)) return C_TCP_CLOSED;
    const o = tcp[base];
    const r = tcp[base + 1];
    // established once both endpoints are past the handshake and both have sent something (a PARTIAL
    // originator may only have been inferred from a SYN-ACK it never answered)
    // (a connection picked up at its SYN-ACK keeps the responder in SYN_ACK_SENT: up once the other side talks)
    const oUp = o === ESTABLISHED || o === PARTIAL || o === CLOSED;
    const rUp = r === ESTABLISHED || r === PARTIAL || r === CLOSED || (r === SYN_ACK_SENT && o === PARTIAL);
    if (oUp && rUp && store.bothSent(slot)) return C_TCP_EST;
    return store.u[store.ub(slot) + U_PKTS_TS] <= 1 ? C_TCP_HALF : C_TCP_NEW;
  }
  // without the DNS session timer a DNS flow is an ordinary UDP flow, in the UDP list (so exported in the same order)
  if (proto === 17) return rules.dnsTimer && DNS_UDP_PORTS.has(store.u[store.ub(slot) + U_PORTS] >>> 16) ? C_UDP_DNS : C_UDP;
  if (proto === 1 || proto === 58) return C_ICMP;
  return C_OTHER;
}

/** The end reason of a flow of class `cls` that times out: a closing TCP flow keeps its 'fin' or 'rst'. */
export function idleReason(store: FlowStore, slot: number, cls: number): EndReason {
  if (cls !== C_TCP_CLOSED) return 'idle';
  return tcpReset(store.tcp, slot * TCP_STATE_WIDTH) ? 'rst' : 'fin';
}

/**
 * Zeek's DNS_Analyzer::ExpireTimer for a UDP session: checked every `timeoutUs` from the session's start, it
 * removes the session at the first check that finds it idle for at least timeout − 1 s ("1 second for the common
 * case of a single request followed by a single reply"). Whether that happened by `nowUs`.
 */
export function dnsSessionOver(startUs: number, lastUs: number, nowUs: number, timeoutUs: number): boolean {
  const k = Math.max(1, Math.ceil((lastUs + timeoutUs - 1e6 - startUs) / timeoutUs));
  return nowUs >= startUs + k * timeoutUs;
}
