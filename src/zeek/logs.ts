/**
 * conn.log, dns.log and ssl.log of Zeek 8.2: their columns in Zeek's order with Zeek's types, and the rows a
 * flow record gives. What a flow record does not know is unset (`-`), never guessed.
 *
 * conn.log — one row per flow record (an active-timeout continuation is a row of its own, with its own uid):
 * - ts: the first packet; duration: last minus first packet, unset (with orig_bytes/resp_bytes) when 0, as
 *   Zeek does. Zeek's duration leaves out trailing non-productive TCP packets (the last ACK); ours does not.
 * - orig_bytes/resp_bytes: L4 payload bytes as the headers declare them (Zeek takes TCP's from sequence
 *   numbers); missed_bytes is 0 (no stream reassembly, so no content gaps are measured).
 * - service: only a protocol the payload showed (Zeek's "confirmed"), in Zeek's analyzer names (TLS is `ssl`);
 *   a port's hint alone leaves it unset.
 * - local_orig/local_resp: whether the address is inside homeNets (Zeek's Site::local_nets); unset when
 *   homeNets is empty.
 * - conn_state: the record's, except that ICMP and other protocols are OTH, as Zeek's conn_state() has them.
 * - tunnel_parents: for a flow inside a tunnel (decode.tunnels), the uids of the flows immediately around it
 *   (its carrier's conn.log rows: the GRE/IP-in-IP flow, or the UDP flow of VXLAN, Teredo, …); unset otherwise.
 *   Zeek names a GRE or IP-in-IP tunnel by a tunnel.log uid, as it logs no connection for it; ours has a row.
 *
 * dns.log — one row per flow that carried DNS (the first segment): the flow's first question and the answers
 * to it. ts is the flow's first packet (normally the query), trans_id the query's id, answers the decoded
 * answer data (addresses, CNAME targets) with their TTLs. rtt, the header flags (AA TC RD RA Z), rejected
 * and opcode are not kept per flow: unset.
 *
 * ssl.log — one row per flow whose TLS ClientHello named a server (the first segment): server_name is its
 * SNI, ts the flow's first packet. The handshake's outcome (version, cipher, curve, resumed, established,
 * history, certificates) is not decoded: unset.
 */
import type { FlowRecord } from '../flow/flow-record.js';
import { zeekUid } from './uid.js';
import { qclassName, qtypeName, rcodeName } from './dns-names.js';
import type { ZeekField, ZeekLogSpec, ZeekType, ZeekValue } from './types.js';

const fields = (spec: string): ZeekField[] =>
  spec
    .trim()
    .split(/\s+/)
    .map((pair) => {
      const [name, type] = pair.split(':') as [string, ZeekType];
      return { name, type };
    });

const ID = 'ts:time uid:string id.orig_h:addr id.orig_p:port id.resp_h:addr id.resp_p:port';

export const CONN_LOG: ZeekLogSpec = {
  path: 'conn',
  fields: fields(`${ID} proto:enum service:string duration:interval orig_bytes:count resp_bytes:count conn_state:string
    local_orig:bool local_resp:bool missed_bytes:count history:string orig_pkts:count orig_ip_bytes:count resp_pkts:count
    resp_ip_bytes:count tunnel_parents:set[string] ip_proto:count`),
};

export const DNS_LOG: ZeekLogSpec = {
  path: 'dns',
  fields: fields(`${ID} proto:enum trans_id:count rtt:interval query:string qclass:count qclass_name:string qtype:count
    qtype_name:string rcode:count rcode_name:string AA:bool TC:bool RD:bool RA:bool Z:count answers:vector[string]
    TTLs:vector[interval] rejected:bool opcode:count opcode_name:string`),
};

export const SSL_LOG: ZeekLogSpec = {
  path: 'ssl',
  fields: fields(`${ID} version:string cipher:string curve:string server_name:string resumed:bool last_alert:string
    next_protocol:string established:bool ssl_history:string cert_chain_fps:vector[string]
    client_cert_chain_fps:vector[string] sni_matches_cert:bool`),
};

/** Zeek's transport_proto enum: ICMPv6 is `icmp` too (ip_proto tells them apart). */
export function transportProto(proto: number): string {
  return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 || proto === 58 ? 'icmp' : 'unknown_transport';
}

/** Our service names → Zeek's analyzer names. */
const ZEEK_SERVICE: Readonly<Record<string, string>> = { dns: 'dns', mdns: 'dns', tls: 'ssl', http: 'http', ssh: 'ssh', dhcp: 'dhcp' };

/** The service column: only what payload confirmed, in Zeek's names. */
export function connService(r: Pick<FlowRecord, 'service' | 'serviceSeen'>): string | null {
  if (r.service === null || r.serviceSeen !== true) return null;
  return ZEEK_SERVICE[r.service] ?? r.service;
}

export interface RowContext {
  uid: string;
  /** homeNets membership; null when homeNets is empty (local_orig/local_resp stay unset) */
  isLocal: ((ip: string) => boolean) | null;
}

function idColumns(r: FlowRecord, uid: string): ZeekValue[] {
  return [r.startUs, uid, r.srcIp, r.srcPort, r.dstIp, r.dstPort];
}

export function connRow(r: FlowRecord, ctx: RowContext): ZeekValue[] {
  const duration = r.endUs - r.startUs;
  const timed = duration > 0;
  return [
    ...idColumns(r, ctx.uid),
    transportProto(r.proto),
    connService(r),
    timed ? duration : null,
    timed ? r.payloadBytesToServer : null,
    timed ? r.payloadBytesToClient : null,
    // Zeek's conn_state() knows TCP and UDP states; every other protocol (ICMP too) is OTH
    r.proto === 6 || r.proto === 17 ? r.connState : 'OTH',
    ctx.isLocal ? ctx.isLocal(r.srcIp) : null,
    ctx.isLocal ? ctx.isLocal(r.dstIp) : null,
    0,
    r.history === '' ? null : r.history,
    r.pktsToServer,
    r.ipBytesToServer ?? null,
    r.pktsToClient,
    r.ipBytesToClient ?? null,
    r.tunnel ? r.tunnel.parents.map(zeekUid) : null,
    r.proto,
  ];
}

/** The dns.log row of a record, or null when it carried no DNS question (or is a later segment). */
export function dnsRow(r: FlowRecord, ctx: RowContext): ZeekValue[] | null {
  const d = r.dns;
  if (d === null || r.segment !== 0 || d.qname === '') return null;
  // a record read back from the store has no `response`: its answers or a non-zero rcode show one was seen
  const answered = d.response ?? (d.answers.length > 0 || d.rcode !== 0);
  const rrs = d.rrs?.filter((a) => a.data !== '');
  const answers = rrs ? rrs.map((a) => a.data) : d.answers;
  return [
    ...idColumns(r, ctx.uid),
    transportProto(r.proto),
    d.id ?? null,
    null,
    d.qname,
    d.qclass ?? null,
    d.qclass === undefined ? null : qclassName(d.qclass),
    d.qtype,
    qtypeName(d.qtype),
    answered ? d.rcode : null,
    answered ? rcodeName(d.rcode) : null,
    null,
    null,
    null,
    null,
    null,
    answers.length > 0 ? answers : null,
    rrs && rrs.length > 0 ? rrs.map((a) => a.ttl * 1_000_000) : null,
    null,
    null,
    null,
  ];
}

/** The ssl.log row of a record, or null when no ClientHello named a server (or it is a later segment). */
export function sslRow(r: FlowRecord, ctx: RowContext): ZeekValue[] | null {
  if (r.tlsSni === null || r.segment !== 0) return null;
  return [...idColumns(r, ctx.uid), null, null, null, r.tlsSni, null, null, null, null, null, null, null, null];
}
