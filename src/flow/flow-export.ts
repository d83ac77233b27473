/**
 * Turns a flow's raw state in the FlowStore into a FlowRecord: strings, derived conn_state, Community ID and
 * statistics are computed here, once per exported record, never per packet.
 */
import { ipToString, macToString } from '../decode/addr.js';
import { communityId } from './community-id.js';
import type { EndReason, FlowRecord, SeriesStats, TcpFlagCounts, TunnelParent } from './flow-record.js';
import {
  F_BYTES_TC,
  F_BYTES_TS,
  F_IAT,
  F_IAT_TC,
  F_IAT_TS,
  F_IP_BYTES_TC,
  F_IP_BYTES_TS,
  F_LAST,
  F_LEN_TC,
  F_LEN_TS,
  F_MAC_ORIG,
  F_MAC_RESP,
  F_PAYLOAD_TC,
  F_PAYLOAD_TS,
  F_START,
  U_FIRST_TC,
  U_FIRST_TS,
  U_FLAGCNT_TC,
  U_FLAGCNT_TS,
  U_FLAGS,
  U_FLOW_ID,
  U_PKTS_TC,
  U_PKTS_TS,
  U_PORTS,
  U_PROTO,
  U_SEGMENT,
  U_VLAN,
  Evidence,
  type FlowStore,
} from './flow-store.js';
import { serviceOf } from './service-ports.js';
import { TCP_STATE_WIDTH, connState } from './tcp-state.js';

/** EVE's protocol names; other protocols are spelled as their number. */
export function protoName(proto: number): string {
  switch (proto) {
    case 6:
      return 'TCP';
    case 17:
      return 'UDP';
    case 1:
      return 'ICMP';
    case 58:
      return 'IPv6-ICMP';
    case 132:
      return 'SCTP';
    case 47:
      return 'GRE';
    default:
      return String(proto);
  }
}

function series(f: Float64Array, o: number, count: number): SeriesStats {
  if (count <= 0) return { count: 0, min: 0, max: 0, mean: 0, std: 0 };
  return { count, min: f[o + 2], max: f[o + 3], mean: f[o], std: Math.sqrt(f[o + 1] / count) };
}

function flagCounts(u: Uint32Array, o: number): TcpFlagCounts {
  return {
    fin: u[o],
    syn: u[o + 1],
    rst: u[o + 2],
    psh: u[o + 3],
    ack: u[o + 4],
    urg: u[o + 5],
    ece: u[o + 6],
    cwr: u[o + 7],
  };
}

const addrScratchO = new Uint32Array(4);
const addrScratchR = new Uint32Array(4);

/**
 * The key of the flow in `slot`: protocol, IP version, both ports (originator's low 16 bits), its VLAN tags;
 * the two addresses are copied into addrScratchO / addrScratchR.
 */
function slotKey(store: FlowStore, slot: number): { proto: number; ipVersion: 4 | 6; ports: number; vlan: number[] } {
  const u = store.u;
  const ub = store.ub(slot);
  const protoWord = u[ub + U_PROTO]!;
  const vlanWord = u[ub + U_VLAN]!;
  const vlan: number[] = [];
  if ((vlanWord & 0xfff) !== 0) vlan.push(vlanWord & 0xfff);
  if (vlanWord >>> 12 !== 0) vlan.push(vlanWord >>> 12);
  for (let i = 0; i < 4; i++) {
    addrScratchO[i] = store.origAddr[slot * 4 + i]!;
    addrScratchR[i] = store.respAddr[slot * 4 + i]!;
  }
  return { proto: protoWord & 0xff, ipVersion: ((protoWord >>> 8) & 0xf) === 6 ? 6 : 4, ports: u[ub + U_PORTS]!, vlan };
}

/**
 * Build the record of `slot` (a new object the caller owns). `seed` is the Community ID seed.
 * The store is not modified.
 */
export function exportRecord(store: FlowStore, slot: number, reason: EndReason, seed: number): FlowRecord {
  const f = store.f;
  const u = store.u;
  const fb = store.fb(slot);
  const ub = store.ub(slot);
  const { proto, ipVersion, ports, vlan } = slotKey(store, slot);
  const origPort = ports & 0xffff;
  const respPort = ports >>> 16;
  const pktsTs = u[ub + U_PKTS_TS];
  const pktsTc = u[ub + U_PKTS_TC];
  const payloadTs = f[fb + F_PAYLOAD_TS];
  const payloadTc = f[fb + F_PAYLOAD_TC];
  const history = store.history[slot];
  const firstTs = u[ub + U_FIRST_TS];
  const firstTc = u[ub + U_FIRST_TC];
  const macO = f[fb + F_MAC_ORIG];
  const macR = f[fb + F_MAC_RESP];
  const isTcp = proto === 6;
  const dns = store.dns[slot];

  const rec: FlowRecord = {
    flowId: u[ub + U_FLOW_ID],
    segment: u[ub + U_SEGMENT],
    startUs: f[fb + F_START],
    endUs: f[fb + F_LAST],
    ipVersion,
    proto,
    protoName: protoName(proto),
    srcIp: ipToString(addrScratchO, ipVersion),
    srcPort: origPort,
    dstIp: ipToString(addrScratchR, ipVersion),
    dstPort: respPort,
    vlan,
    srcMac: macO >= 0 ? macToString(macO) : null,
    dstMac: macR >= 0 ? macToString(macR) : null,
    communityId: communityId(ipVersion, proto, addrScratchO, origPort, addrScratchR, respPort, seed),
    service: serviceOf(store, slot, proto, origPort, respPort),
    serviceSeen: store.evidence[slot] !== Evidence.NONE,
    pktsToServer: pktsTs,
    pktsToClient: pktsTc,
    bytesToServer: f[fb + F_BYTES_TS],
    bytesToClient: f[fb + F_BYTES_TC],
    payloadBytesToServer: payloadTs,
    payloadBytesToClient: payloadTc,
    ipBytesToServer: f[fb + F_IP_BYTES_TS],
    ipBytesToClient: f[fb + F_IP_BYTES_TC],
    tcpFlagsToServer: u[ub + U_FLAGS] & 0xff,
    tcpFlagsToClient: (u[ub + U_FLAGS] >>> 8) & 0xff,
    flagCountsToServer: flagCounts(u, ub + U_FLAGCNT_TS),
    flagCountsToClient: flagCounts(u, ub + U_FLAGCNT_TC),
    history,
    connState: connState(proto, store.tcp, slot * TCP_STATE_WIDTH, history, payloadTs, payloadTc, pktsTs, pktsTc),
    endReason: reason,
    iat: series(f, fb + F_IAT, pktsTs + pktsTc - 1),
    iatToServer: series(f, fb + F_IAT_TS, pktsTs - 1),
    iatToClient: series(f, fb + F_IAT_TC, pktsTc - 1),
    pktLenToServer: series(f, fb + F_LEN_TS, pktsTs),
    pktLenToClient: series(f, fb + F_LEN_TC, pktsTc),
    firstTtlToServer: firstTs !== 0 ? firstTs & 0xff : -1,
    firstTtlToClient: firstTc !== 0 ? firstTc & 0xff : -1,
    firstWindowToServer: firstTs !== 0 && isTcp ? (firstTs >>> 8) & 0xffff : -1,
    firstWindowToClient: firstTc !== 0 && isTcp ? (firstTc >>> 8) & 0xffff : -1,
    dns: dns === null ? null : { qname: dns.qname, qtype: dns.qtype, qclass: dns.qclass, rcode: dns.rcode, answers: dns.answers.slice(), id: dns.id, response: dns.response, rrs: dns.rrs.slice() },
    tlsSni: store.tlsSni[slot],
    httpHost: store.httpHost[slot],
  };
  const failures = store.authReplies[2 * slot]!;
  const successes = store.authReplies[2 * slot + 1]!;
  if (failures + successes > 0) rec.authReplies = { failures, successes };
  const tunnel = store.tunnel[slot];
  // a copy: the flow's own keeps collecting parents for its later segments
  if (tunnel !== null) rec.tunnel = { ...tunnel, parents: tunnel.parents.slice() };
  return rec;
}

/**
 * The identity of the flow in `slot` as its current segment's record will show it: what a flow carried inside
 * it names as its tunnel parent. Called once per tunnelled flow and new parent, never per packet.
 */
export function tunnelParentOf(store: FlowStore, slot: number, seed: number): TunnelParent {
  const f = store.f;
  const u = store.u;
  const fb = store.fb(slot);
  const ub = store.ub(slot);
  const { proto, ipVersion, ports, vlan } = slotKey(store, slot);
  return {
    flowId: u[ub + U_FLOW_ID],
    segment: u[ub + U_SEGMENT],
    startUs: f[fb + F_START],
    vlan,
    communityId: communityId(ipVersion, proto, addrScratchO, ports & 0xffff, addrScratchR, ports >>> 16, seed),
    proto,
    protoName: protoName(proto),
    srcIp: ipToString(addrScratchO, ipVersion),
    srcPort: ports & 0xffff,
    dstIp: ipToString(addrScratchR, ipVersion),
    dstPort: ports >>> 16,
  };
}
