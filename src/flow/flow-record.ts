/**
 * FlowRecord: what the flow engine exports when a flow ends (or is split by the active timeout).
 *
 * It carries at least what Zeek's conn.log and Suricata's EVE `flow` event carry. The originator ("src",
 * "to server") is the endpoint that sent the first packet, except where Zeek turns a connection round (`^` in
 * the history): a first TCP packet other than a bare SYN, or a first UDP datagram, from a likely server port
 * (server-ports.ts), and a SYN-ACK start once productive traffic follows.
 *
 * All times are packet time in integer microseconds since the Unix epoch.
 */
import type { TunnelName } from '../decode/packet.js';

/**
 * Zeek's connection states (scripts/base/protocols/conn/main.zeek), derived once at export from the raw
 * per-endpoint TCP state; UDP uses S0, SF, SHR and OTH, ICMP and other protocols only OTH (as Zeek).
 *
 * - S0: connection attempt seen, no reply.
 * - S1: connection established, not terminated.
 * - SF: normal establishment and termination (for UDP: both directions seen).
 * - REJ: connection attempt rejected.
 * - S2: established, close attempt by the originator seen (no reply from the responder).
 * - S3: established, close attempt by the responder seen (no reply from the originator).
 * - RSTO: established, the originator aborted (sent a RST).
 * - RSTR: the responder sent a RST.
 * - RSTOS0: the originator sent a SYN followed by a RST; no SYN-ACK from the responder was seen.
 * - RSTRH: the responder sent a SYN-ACK followed by a RST; no SYN from the (purported) originator was seen.
 * - SH: the originator sent a SYN followed by a FIN; no SYN-ACK from the responder ("half" open).
 * - SHR: the responder sent a SYN-ACK followed by a FIN; no SYN from the originator
 *   (for UDP: only the responder's direction seen).
 * - OTH: no SYN seen, just midstream traffic.
 */
export const CONN_STATES = [
  'S0',
  'S1',
  'SF',
  'REJ',
  'S2',
  'S3',
  'RSTO',
  'RSTR',
  'RSTOS0',
  'RSTRH',
  'SH',
  'SHR',
  'OTH',
] as const;
export type ConnState = (typeof CONN_STATES)[number];

/**
 * Why a flow record was exported.
 * - fin: FIN seen from both sides, or with `flow.loneFinCloses` from one side while the other had sent nothing
 *   (Zeek's close_complete); exported after the closing grace period, so the last ACK is counted
 * - rst: a RST ended it (exported after the closing grace period)
 * - idle: no packet for the idle timeout of its protocol/state, an unanswered TCP attempt ended by Zeek's
 *   attempt timer (`flow.timeouts.tcpAttempt` after its SYN; a later packet starts a new flow), or a UDP DNS
 *   session ended by Zeek's DNS session timer (`flow.timeouts.dns`, when set)
 * - active: the flow lasted longer than the active timeout; a record is exported and the flow continues
 *   with a new record (`segment` + 1)
 * - evicted: removed to stay under the flow-table cap
 * - shutdown: the capture ended (end of file, SIGINT/SIGTERM) while the flow was open
 */
export const END_REASONS = ['fin', 'rst', 'idle', 'active', 'evicted', 'shutdown'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** Running statistics over a series; all zero when `count` is 0. */
export interface SeriesStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** population standard deviation */
  std: number;
}

/** Counts of packets with each TCP flag set, in one direction. */
export interface TcpFlagCounts {
  fin: number;
  syn: number;
  rst: number;
  psh: number;
  ack: number;
  urg: number;
  ece: number;
  cwr: number;
}

/** One DNS answer record as a flow keeps it; `data` is '' for types whose data is not decoded. */
export interface FlowDnsRr {
  name: string;
  type: number;
  ttl: number;
  data: string;
}

/**
 * An outer flow that carried a tunnelled flow, named as its record is: the segment current when it carried the
 * flow (its Zeek uid is zeekUid of these fields), its endpoints from its originator's side.
 */
export interface TunnelParent {
  flowId: number;
  segment: number;
  startUs: number;
  vlan: number[];
  communityId: string;
  proto: number;
  protoName: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

/** Where a flow inside a tunnel was carried (decode/tunnel.ts). */
export interface FlowTunnel {
  /** the encapsulation of its first packet: 'ip', 'gre', 'erspan', 'vxlan', 'geneve', 'teredo', 'gtpv1' or 'ayiya' */
  type: TunnelName;
  /** tunnels around it: 1 inside one tunnel, 2 inside a tunnel inside a tunnel, … (at most decode.maxTunnelDepth) */
  depth: number;
  /** the first packet's VXLAN/Geneve VNI, GRE key, PPTP call id, GTP TEID or ERSPAN session id; absent when none */
  key?: number;
  /** the flow on the wire that carried it (the outermost), for Suricata's EVE `tunnel` object */
  root: TunnelParent;
  /**
   * the flows immediately around it, in the order they were first seen carrying it (Zeek's tunnel_parents: the
   * two directions of a VXLAN tunnel are often two UDP flows); at most MAX_TUNNEL_PARENTS
   */
  parents: TunnelParent[];
}

/** parents kept per tunnelled flow: a flow moved between many tunnels must not grow without bound */
export const MAX_TUNNEL_PARENTS = 8;

export interface FlowRecord {
  /** sequential per run, starting at 1: deterministic across replays of the same file */
  flowId: number;
  /** 0 for the first record of a flow, then +1 for every active-timeout continuation */
  segment: number;
  startUs: number;
  endUs: number;
  ipVersion: 4 | 6;
  /** IANA protocol number */
  proto: number;
  /** 'TCP', 'UDP', 'ICMP', 'IPv6-ICMP', or the number as a string (Suricata's EVE spelling) */
  protoName: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** VLAN ids, outer first; empty when untagged */
  vlan: number[];
  /** colon-separated lower-case MACs from the first packet in each direction; null when not seen */
  srcMac: string | null;
  dstMac: string | null;
  /** Community ID v1 with seed 0 ("1:…") */
  communityId: string;
  /** application protocol hint from ports and payload: 'dns', 'dhcp', 'tls', 'http', 'ssh', …; null if unknown */
  service: string | null;
  /**
   * true when payload named `service` (a decoded DNS, DHCP, TLS, HTTP or SSH message), false when it is only the
   * port's hint: Zeek's conn.log `service` lists confirmed protocols only; absent on records read back from the store
   */
  serviceSeen?: boolean;

  pktsToServer: number;
  pktsToClient: number;
  /** frame bytes on the wire (what tshark's conversation statistics count) */
  bytesToServer: number;
  bytesToClient: number;
  /** L4 payload bytes as declared by the headers (Zeek's orig_bytes/resp_bytes without gap accounting) */
  payloadBytesToServer: number;
  payloadBytesToClient: number;
  /**
   * IP-level bytes, the sum of the IP headers' total length (Zeek's orig_ip_bytes/resp_ip_bytes); absent on
   * records read back from the store
   */
  ipBytesToServer?: number;
  ipBytesToClient?: number;

  /** OR of every TCP flag seen in each direction; 0 for non-TCP */
  tcpFlagsToServer: number;
  tcpFlagsToClient: number;
  flagCountsToServer: TcpFlagCounts;
  flagCountsToClient: TcpFlagCounts;
  /**
   * Zeek's history: upper case = originator, lower case = responder. S SYN, H SYN-ACK, A pure ACK, D data,
   * F FIN, R RST, I FIN+RST, Q other multi-flag, T retransmission, W zero window, G content gap, ^ turned round
   * (tcp-state.ts, tcp-seq.ts); T, W and G repeat at the 10th, 100th, … occurrence, S/H/F/R at a new sequence
   * number. Zeek's C (bad checksum) is not produced: checksums are not verified.
   */
  history: string;
  connState: ConnState;
  endReason: EndReason;

  /** inter-arrival times in microseconds: all packets, and per direction */
  iat: SeriesStats;
  iatToServer: SeriesStats;
  iatToClient: SeriesStats;
  /** frame sizes in bytes, per direction */
  pktLenToServer: SeriesStats;
  pktLenToClient: SeriesStats;

  /** TTL / hop limit and TCP window of the first packet in each direction; -1 when not seen */
  firstTtlToServer: number;
  firstTtlToClient: number;
  firstWindowToServer: number;
  firstWindowToClient: number;

  /**
   * first DNS query and the answers seen in the flow, when it carried DNS: `answers` the decoded data, `rrs`
   * every answer record with its name, type and TTL (EVE's dns.answers); `id`, `response` and `rrs` are absent
   * on records read back from the store, which keeps the compact form
   */
  dns: { qname: string; qtype: number; qclass?: number; rcode: number; answers: string[]; id?: number; response?: boolean; rrs?: FlowDnsRr[] } | null;
  tlsSni: string | null;
  httpHost: string | null;
  /**
   * Login answers the responder sent in clear text, when there were any (absent otherwise): failures are
   * HTTP 401/403 and FTP 530, successes HTTP 2xx and FTP 230 (decode/auth-reply.ts). One per response or
   * reply, so a keep-alive connection carrying 20 failed logins counts 20.
   */
  authReplies?: { failures: number; successes: number };
  /** the tunnel it was carried in; absent for a flow seen as captured (outside any tunnel) */
  tunnel?: FlowTunnel;
}
