/**
 * Deterministic FlowRecords for the store's tests and benchmark: flow `i` of a small LAN (devices taking
 * turns as originator, talking to remote hosts behind one gateway MAC), every field filled so the store's
 * round trip can be checked field by field.
 */
import type { ConnState, FlowRecord, SeriesStats } from '../../src/flow/flow-record.js';

const STATES: ConnState[] = ['SF', 'SF', 'SF', 'S0', 'REJ', 'RSTO', 'SF', 'OTH'];

function stats(n: number, base: number): SeriesStats {
  return { count: n, min: base, max: base * 3, mean: base * 1.5 + 0.25, std: base / 3 };
}

/** The MAC of LAN device `d` (0..255). */
export function deviceMac(d: number): string {
  return `02:99:00:00:00:${d.toString(16).padStart(2, '0')}`;
}

/** The gateway's MAC: the responder side of every flow from makeFlow. */
export const GATEWAY_MAC = '02:99:00:00:01:01';

/** Flow number `i` (1-based) ending at `endUs`; `devices` LAN devices take turns as originator. */
export function makeFlow(i: number, endUs: number, devices = 8): FlowRecord {
  const d = i % devices;
  const state = STATES[i % STATES.length]!;
  const pkts = 2 + (i % 17);
  return {
    flowId: i,
    segment: 0,
    startUs: endUs - 1_000 * (1 + (i % 500)),
    endUs,
    ipVersion: 4,
    proto: 6,
    protoName: 'TCP',
    srcIp: `10.99.0.${10 + d}`,
    srcPort: 30000 + (i % 30000),
    dstIp: `10.99.${1 + (i % 7)}.${i % 250}`,
    dstPort: [443, 80, 22, 53, 8080][i % 5]!,
    vlan: i % 11 === 0 ? [42] : [],
    srcMac: deviceMac(d),
    dstMac: GATEWAY_MAC,
    communityId: `1:${Buffer.from(`flow-${i}`).toString('base64')}`,
    service: i % 3 === 0 ? 'tls' : null,
    pktsToServer: pkts,
    pktsToClient: state === 'S0' ? 0 : pkts - 1,
    bytesToServer: pkts * 90 + i,
    bytesToClient: state === 'S0' ? 0 : (pkts - 1) * 700,
    payloadBytesToServer: pkts * 30,
    payloadBytesToClient: state === 'S0' ? 0 : (pkts - 1) * 640,
    tcpFlagsToServer: 0x1b,
    tcpFlagsToClient: state === 'S0' ? 0 : 0x12,
    flagCountsToServer: { fin: 1, syn: 1, rst: 0, psh: pkts - 2, ack: pkts - 1, urg: 0, ece: 0, cwr: 0 },
    flagCountsToClient: { fin: 1, syn: 1, rst: state === 'REJ' ? 1 : 0, psh: 1, ack: 2, urg: 0, ece: 0, cwr: 0 },
    history: state === 'REJ' ? 'Sr' : state === 'S0' ? 'S' : 'ShADadFf',
    connState: state,
    endReason: state === 'REJ' ? 'rst' : 'fin',
    iat: stats(pkts - 1, 1200),
    iatToServer: stats(pkts - 2, 2100),
    iatToClient: stats(pkts - 2, 1900),
    pktLenToServer: stats(pkts, 90),
    pktLenToClient: stats(pkts - 1, 700),
    firstTtlToServer: 64,
    firstTtlToClient: state === 'S0' ? -1 : 57,
    firstWindowToServer: 64240,
    firstWindowToClient: state === 'S0' ? -1 : 65160,
    dns: i % 13 === 0 ? { qname: `host${i}.example.org`, qtype: 1, rcode: 0, answers: ['10.99.5.5'] } : null,
    tlsSni: i % 3 === 0 ? `svc${i % 20}.example.net` : null,
    httpHost: null,
  };
}
