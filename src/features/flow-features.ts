/**
 * The numeric feature vector of one exported flow (FlowRecord → Float32Array row), versioned.
 *
 * Every feature is listed in FEATURES below with its name, its formula over FlowRecord fields and the
 * transform preprocessing applies before scaling:
 *   - log1p: heavy-tailed counts, sizes, durations and rates; log(1 + x) (all are ≥ 0)
 *   - none: ratios already in [0, 1] and small ordinal codes; scaled but not transformed
 *   - binary: 0/1 indicators (one-hot groups); neither transformed nor scaled
 *
 * "fwd" is the originator → responder direction (FlowRecord's "to server"), "bwd" the reverse. Everything is
 * taken from the finished record, whose counters cover every packet of the flow in each direction — the
 * flow engine counts flags on every packet, not only the first (a CICFlowMeter bug), and does not split one
 * connection into several records except by the documented active timeout.
 *
 * Only features that carry over between networks are kept: rates, sizes, shapes, ratios, flags, state and
 * service classes. Schema 1 also had the first packets' TTLs (initial TTL and hop count), the first TCP
 * windows, an IPv6 indicator, the ECN flags and whether a record continues a connection past the active
 * timeout; those name the network (its operating systems and their ECN setting, its distance from the
 * servers, whether its ISP gives IPv6, how long its devices keep connections open) rather than what a flow
 * does, and a model made elsewhere found whole networks unusual by them (models/README.md,
 * leave-one-network-out).
 *
 * Schema 3 encodes the state of a record cut while its connection was open and established (S1 ended by the
 * capture's end or the active timeout) as SF; see cutOpen below.
 *
 * Change FEATURE_SCHEMA_VERSION whenever a feature is added, removed, reordered or its formula changes: a
 * model records the version it was trained with and refuses vectors of another.
 *
 * This module imports nothing from models, storage or TensorFlow.js and allocates nothing per flow.
 */
import { CONN_STATES, type FlowRecord } from '../flow/flow-record.js';

export const FEATURE_SCHEMA_VERSION = 3;

export type FeatureTransform = 'log1p' | 'none' | 'binary';

export interface FeatureDef {
  name: string;
  transform: FeatureTransform;
  /** the formula, for people reading a model's metadata */
  doc: string;
  /**
   * binary indicators only: the smallest scale the preprocessor may fit (preprocess.ts), so a value never
   * seen in training moves a row by at most 1 / minScale units; the preprocessor's default when absent
   */
  minScale?: number;
}

/**
 * Destination-port classes (the responder's port; TCP, UDP and SCTP only — other protocols, ICMP included,
 * are 'none' because their "ports" hold type/code or nothing). A port in an explicit service group wins over
 * the numeric ranges.
 *   web: HTTP(S) and common alternates · dns: DNS, DoT, mDNS, LLMNR · mail: SMTP/POP/IMAP and their TLS ports
 *   remote: SSH, Telnet (incl. 2323, Mirai's favourite), RDP, VNC · file: FTP, TFTP, NetBIOS, SMB, NFS
 *   infra: DHCP, NTP, SNMP, syslog, SSDP, MQTT, CoAP · wellknown: any other port < 1024
 *   registered: 1024–49151 · ephemeral: 49152–65535 (IANA dynamic range) · none: port 0 or no ports
 */
export const PORT_CLASSES = [
  'web',
  'dns',
  'mail',
  'remote',
  'file',
  'infra',
  'wellknown',
  'registered',
  'ephemeral',
  'none',
] as const;
export type PortClass = (typeof PORT_CLASSES)[number];

const PORT_GROUPS: Record<string, number[]> = {
  web: [80, 443, 8000, 8008, 8080, 8443, 8888],
  dns: [53, 853, 5353, 5355],
  mail: [25, 110, 143, 465, 587, 993, 995],
  remote: [22, 23, 2323, 3389, 5900, 5901],
  file: [20, 21, 69, 137, 138, 139, 445, 2049],
  infra: [67, 68, 123, 161, 162, 514, 1883, 1900, 5683, 8883],
};

/** port → index into PORT_CLASSES, built once (one byte per port) */
const PORT_CLASS_OF = (() => {
  const t = new Uint8Array(65536);
  for (let p = 0; p < 65536; p++) {
    t[p] = PORT_CLASSES.indexOf(p === 0 ? 'none' : p < 1024 ? 'wellknown' : p < 49152 ? 'registered' : 'ephemeral');
  }
  for (const [cls, ports] of Object.entries(PORT_GROUPS)) for (const p of ports) t[p] = PORT_CLASSES.indexOf(cls as PortClass);
  return t;
})();

/** Class of a destination port, as in PORT_CLASSES. */
export function portClass(proto: number, port: number): PortClass {
  if (proto !== 6 && proto !== 17 && proto !== 132) return 'none';
  return PORT_CLASSES[PORT_CLASS_OF[port & 0xffff]!]!;
}

/** Protocol groups: tcp (6), udp (17), icmp (1 and 58), other (anything else). */
export const PROTO_CLASSES = ['tcp', 'udp', 'icmp', 'other'] as const;

/** DNS query types that ordinary clients ask for; anything else (TXT, NULL, ANY, …) is "unusual". */
const COMMON_QTYPES = new Set([1, 2, 5, 6, 12, 15, 28, 33, 64, 65]);

const L = (name: string, doc: string): FeatureDef => ({ name, transform: 'log1p', doc });
const N = (name: string, doc: string): FeatureDef => ({ name, transform: 'none', doc });
const B = (name: string, doc: string): FeatureDef => ({ name, transform: 'binary', doc });
/**
 * Which services a network runs names the network, not what a flow does: an SSH login in a home whose
 * training traffic had no SSH, or SMB in one that had none, is not by itself a reason to alert. A service
 * class never seen in training moves a row by at most 5 scaled units (a TCP state or protocol never seen,
 * by up to 10): measured leave-one-network-out, the generated demo home fell from 23.83 anomaly alerts per
 * device per day to 0 and the worst real network from 0.79 to 0.46, with the camera's scan still caught
 * (1,024 of 1,030 flows), and a lab's successful SSH logins stopped alerting. A floor of 1/3 was as quiet
 * but ranked hydra's SSH attempts below held-out benign flows more often (ROC AUC 0.94 against 0.97).
 */
const SERVICE_MIN_SCALE = 0.2;
const S = (name: string, doc: string): FeatureDef => ({ name, transform: 'binary', doc, minScale: SERVICE_MIN_SCALE });

/** The schema, in vector order. extractFeatures writes exactly these, in this order. */
export const FEATURES: readonly FeatureDef[] = [
  L('duration_s', '(endUs - startUs) / 1e6'),
  L('pkts_fwd', 'pktsToServer'),
  L('pkts_bwd', 'pktsToClient'),
  L('bytes_fwd', 'bytesToServer (frame bytes)'),
  L('bytes_bwd', 'bytesToClient'),
  L('payload_fwd', 'payloadBytesToServer (L4 payload bytes)'),
  L('payload_bwd', 'payloadBytesToClient'),
  N('pkt_ratio_bwd', 'pktsToClient / (pktsToServer + pktsToClient); 0 when no packets'),
  N('byte_ratio_bwd', 'bytesToClient / (bytesToServer + bytesToClient); 0 when no bytes'),
  N('payload_share', '(payloadToServer + payloadToClient) / (bytesToServer + bytesToClient); 0 when no bytes'),
  L('pkt_rate', '(pktsToServer + pktsToClient) / duration_s; 0 when the duration is 0'),
  L('byte_rate', '(bytesToServer + bytesToClient) / duration_s; 0 when the duration is 0'),
  L('iat_mean_ms', 'iat.mean / 1000 (all packets, both directions)'),
  L('iat_std_ms', 'iat.std / 1000'),
  L('iat_min_ms', 'iat.min / 1000'),
  L('iat_max_ms', 'iat.max / 1000'),
  L('iat_fwd_mean_ms', 'iatToServer.mean / 1000'),
  L('iat_fwd_std_ms', 'iatToServer.std / 1000'),
  L('iat_bwd_mean_ms', 'iatToClient.mean / 1000'),
  L('iat_bwd_std_ms', 'iatToClient.std / 1000'),
  L('len_fwd_mean', 'pktLenToServer.mean (frame bytes)'),
  L('len_fwd_std', 'pktLenToServer.std'),
  L('len_fwd_min', 'pktLenToServer.min'),
  L('len_fwd_max', 'pktLenToServer.max'),
  L('len_bwd_mean', 'pktLenToClient.mean'),
  L('len_bwd_std', 'pktLenToClient.std'),
  L('len_bwd_min', 'pktLenToClient.min'),
  L('len_bwd_max', 'pktLenToClient.max'),
  L('syn_fwd', 'flagCountsToServer.syn'),
  L('syn_bwd', 'flagCountsToClient.syn'),
  L('fin_fwd', 'flagCountsToServer.fin'),
  L('fin_bwd', 'flagCountsToClient.fin'),
  L('rst_fwd', 'flagCountsToServer.rst'),
  L('rst_bwd', 'flagCountsToClient.rst'),
  L('psh_fwd', 'flagCountsToServer.psh'),
  L('psh_bwd', 'flagCountsToClient.psh'),
  L('ack_fwd', 'flagCountsToServer.ack'),
  L('ack_bwd', 'flagCountsToClient.ack'),
  L('urg', 'flagCountsToServer.urg + flagCountsToClient.urg'),
  ...CONN_STATES.map((s) => B(`state_${s}`, `connState === '${s}'`)),
  B('proto_tcp', 'proto === 6'),
  B('proto_udp', 'proto === 17'),
  B('proto_icmp', 'proto === 1 || proto === 58'),
  B('proto_other', 'any other protocol'),
  ...PORT_CLASSES.map((c) => S(`dport_${c}`, `portClass(proto, dstPort) === '${c}'`)),
  B('sport_wellknown', 'srcPort in 1..1023 (TCP/UDP/SCTP): a service answering from its port, or a spoofed source'),
  B('has_dns', 'dns !== null'),
  L('dns_qname_len', 'dns.qname.length; 0 without DNS'),
  N('dns_qname_entropy', 'Shannon entropy of dns.qname characters in bits per character; 0 without DNS'),
  L('dns_answers', 'dns.answers.length'),
  B('dns_rcode_error', 'dns.rcode !== 0 (NXDOMAIN, SERVFAIL, …)'),
  B('dns_qtype_unusual', 'dns.qtype not in A, NS, CNAME, SOA, PTR, MX, AAAA, SRV, SVCB, HTTPS'),
  B('has_tls_sni', 'tlsSni !== null'),
  B('has_http_host', 'httpHost !== null'),
  B('service_known', 'service !== null'),
];

export const featureNames: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

// offsets of the one-hot groups, resolved once
const STATE0 = featureNames.indexOf('state_S0');
const PROTO0 = featureNames.indexOf('proto_tcp');
const DPORT0 = featureNames.indexOf('dport_web');
const SPORT_WK = featureNames.indexOf('sport_wellknown');
const STATE_INDEX = new Map<string, number>(CONN_STATES.map((s, i) => [s, i]));

/**
 * A record cut while its connection was still open and established — the capture ended (shutdown) or the
 * connection outlived the active timeout — has Zeek's state S1 only because its close is still to come. Its
 * state is encoded as SF, an established connection that closes normally: a connection still open when the
 * window ends is ordinary (every open connection of a short capture, every long-lived one on a live network
 * each active timeout), and as S1 it would weigh as a state the training flows rarely have.
 */
function cutOpen(rec: FlowRecord): boolean {
  return rec.connState === 'S1' && (rec.endReason === 'shutdown' || rec.endReason === 'active');
}

/** counts per character code for the entropy of a DNS name; reused, never allocated per flow */
const charCounts = new Uint16Array(256);

function entropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  charCounts.fill(0);
  for (let i = 0; i < n; i++) charCounts[s.charCodeAt(i) & 0xff]!++;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) & 0xff;
    const k = charCounts[c]!;
    if (k === 0) continue; // already counted this character
    const p = k / n;
    h -= p * Math.log2(p);
    charCounts[c] = 0;
  }
  return h;
}

/**
 * Write the FEATURE_COUNT features of `rec` into `out[offset … offset + FEATURE_COUNT)`.
 * Never throws and never allocates; every value written is finite.
 */
export function extractFeatures(rec: FlowRecord, out: Float32Array, offset = 0): void {
  let o = offset;
  const dur = Math.max(0, rec.endUs - rec.startUs) / 1e6;
  const pf = rec.pktsToServer;
  const pb = rec.pktsToClient;
  const bf = rec.bytesToServer;
  const bb = rec.bytesToClient;
  const pkts = pf + pb;
  const bytes = bf + bb;
  out[o++] = dur;
  out[o++] = pf;
  out[o++] = pb;
  out[o++] = bf;
  out[o++] = bb;
  out[o++] = rec.payloadBytesToServer;
  out[o++] = rec.payloadBytesToClient;
  out[o++] = pkts > 0 ? pb / pkts : 0;
  out[o++] = bytes > 0 ? bb / bytes : 0;
  out[o++] = bytes > 0 ? Math.min(1, (rec.payloadBytesToServer + rec.payloadBytesToClient) / bytes) : 0;
  out[o++] = dur > 0 ? pkts / dur : 0;
  out[o++] = dur > 0 ? bytes / dur : 0;
  out[o++] = rec.iat.mean / 1000;
  out[o++] = rec.iat.std / 1000;
  out[o++] = rec.iat.min / 1000;
  out[o++] = rec.iat.max / 1000;
  out[o++] = rec.iatToServer.mean / 1000;
  out[o++] = rec.iatToServer.std / 1000;
  out[o++] = rec.iatToClient.mean / 1000;
  out[o++] = rec.iatToClient.std / 1000;
  out[o++] = rec.pktLenToServer.mean;
  out[o++] = rec.pktLenToServer.std;
  out[o++] = rec.pktLenToServer.min;
  out[o++] = rec.pktLenToServer.max;
  out[o++] = rec.pktLenToClient.mean;
  out[o++] = rec.pktLenToClient.std;
  out[o++] = rec.pktLenToClient.min;
  out[o++] = rec.pktLenToClient.max;
  const ff = rec.flagCountsToServer;
  const fb = rec.flagCountsToClient;
  out[o++] = ff.syn;
  out[o++] = fb.syn;
  out[o++] = ff.fin;
  out[o++] = fb.fin;
  out[o++] = ff.rst;
  out[o++] = fb.rst;
  out[o++] = ff.psh;
  out[o++] = fb.psh;
  out[o++] = ff.ack;
  out[o++] = fb.ack;
  out[o++] = ff.urg + fb.urg;

  // one-hot groups: clear, then set the one that applies
  const base = offset;
  for (let i = 0; i < CONN_STATES.length; i++) out[base + STATE0 + i] = 0;
  const si = STATE_INDEX.get(cutOpen(rec) ? 'SF' : rec.connState);
  if (si !== undefined) out[base + STATE0 + si] = 1;
  const proto = rec.proto;
  out[base + PROTO0] = proto === 6 ? 1 : 0;
  out[base + PROTO0 + 1] = proto === 17 ? 1 : 0;
  out[base + PROTO0 + 2] = proto === 1 || proto === 58 ? 1 : 0;
  out[base + PROTO0 + 3] = proto !== 6 && proto !== 17 && proto !== 1 && proto !== 58 ? 1 : 0;
  const ported = proto === 6 || proto === 17 || proto === 132;
  const dpc = ported ? PORT_CLASS_OF[rec.dstPort & 0xffff]! : PORT_CLASSES.length - 1;
  for (let i = 0; i < PORT_CLASSES.length; i++) out[base + DPORT0 + i] = i === dpc ? 1 : 0;
  out[base + SPORT_WK] = ported && rec.srcPort > 0 && rec.srcPort < 1024 ? 1 : 0;

  o = base + SPORT_WK + 1;
  const dns = rec.dns;
  out[o++] = dns !== null ? 1 : 0;
  out[o++] = dns !== null ? dns.qname.length : 0;
  out[o++] = dns !== null ? entropy(dns.qname) : 0;
  out[o++] = dns !== null ? dns.answers.length : 0;
  out[o++] = dns !== null && dns.rcode !== 0 ? 1 : 0;
  out[o++] = dns !== null && !COMMON_QTYPES.has(dns.qtype) ? 1 : 0;
  out[o++] = rec.tlsSni !== null ? 1 : 0;
  out[o++] = rec.httpHost !== null ? 1 : 0;
  out[o++] = rec.service !== null ? 1 : 0;

  // a corrupt counter must not poison a model with NaN/Infinity
  for (let i = offset; i < o; i++) {
    const v = out[i]!;
    if (!Number.isFinite(v)) out[i] = 0;
  }
}

/** Feature matrix (row-major, n × FEATURE_COUNT) of a list of records; allocates one array. */
export function extractFeatureMatrix(records: readonly FlowRecord[]): Float32Array {
  const m = new Float32Array(records.length * FEATURE_COUNT);
  for (let i = 0; i < records.length; i++) extractFeatures(records[i]!, m, i * FEATURE_COUNT);
  return m;
}
