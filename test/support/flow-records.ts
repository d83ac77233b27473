/**
 * Hand-built FlowRecords for model tests and benchmarks: `flowRecord(overrides)` gives one fully populated
 * record, `syntheticBenign(n, seed)` a seeded mix of ordinary home-network flows (HTTPS, DNS, NTP, MQTT),
 * and `syntheticScan(n, seed)` SYN-scan probes (one SYN, no reply or a RST).
 */
import type { FlowRecord, SeriesStats, TcpFlagCounts } from '../../src/flow/flow-record.js';
import { Prng } from '../../src/models/prng.js';

export function stats(count: number, min: number, max: number, mean: number, std: number): SeriesStats {
  return { count, min, max, mean, std };
}

export function flags(p: Partial<TcpFlagCounts> = {}): TcpFlagCounts {
  return { fin: 0, syn: 0, rst: 0, psh: 0, ack: 0, urg: 0, ece: 0, cwr: 0, ...p };
}

const ZERO = stats(0, 0, 0, 0, 0);

export function flowRecord(o: Partial<FlowRecord> = {}): FlowRecord {
  return {
    flowId: 1,
    segment: 0,
    startUs: 1_700_000_000_000_000,
    endUs: 1_700_000_000_500_000,
    ipVersion: 4,
    proto: 6,
    protoName: 'TCP',
    srcIp: '10.99.0.2',
    srcPort: 51000,
    dstIp: '10.99.0.3',
    dstPort: 443,
    vlan: [],
    srcMac: '02:00:00:00:00:02',
    dstMac: '02:00:00:00:00:03',
    communityId: '1:test',
    service: 'tls',
    pktsToServer: 10,
    pktsToClient: 8,
    bytesToServer: 1500,
    bytesToClient: 6000,
    payloadBytesToServer: 800,
    payloadBytesToClient: 5400,
    tcpFlagsToServer: 0x1b,
    tcpFlagsToClient: 0x1b,
    flagCountsToServer: flags({ syn: 1, ack: 9, psh: 3, fin: 1 }),
    flagCountsToClient: flags({ syn: 1, ack: 8, psh: 4, fin: 1 }),
    history: 'ShADadFf',
    connState: 'SF',
    endReason: 'fin',
    iat: stats(17, 100, 200_000, 29_000, 50_000),
    iatToServer: stats(9, 200, 210_000, 55_000, 70_000),
    iatToClient: stats(7, 150, 190_000, 70_000, 60_000),
    pktLenToServer: stats(10, 66, 583, 150, 160),
    pktLenToClient: stats(8, 66, 1514, 750, 600),
    firstTtlToServer: 64,
    firstTtlToClient: 57,
    firstWindowToServer: 64240,
    firstWindowToClient: 65160,
    dns: null,
    tlsSni: 'example.org',
    httpHost: null,
    ...o,
  };
}

/** seeded mix of ordinary flows; times advance from `t0Us` */
export function syntheticBenign(n: number, seed = 7, t0Us = 1_700_000_000_000_000): FlowRecord[] {
  const rng = new Prng(seed);
  const out: FlowRecord[] = [];
  let t = t0Us;
  for (let i = 0; i < n; i++) {
    t += 1000 + rng.int(200_000);
    const kind = rng.next();
    const jitter = (x: number): number => Math.max(1, Math.round(x * (0.6 + 0.8 * rng.next())));
    if (kind < 0.45) {
      const pf = jitter(12);
      const pb = jitter(14);
      const dur = jitter(800_000);
      out.push(
        flowRecord({
          flowId: i + 1,
          startUs: t,
          endUs: t + dur,
          srcPort: 32768 + rng.int(28000),
          dstPort: rng.next() < 0.8 ? 443 : 80,
          pktsToServer: pf,
          pktsToClient: pb,
          bytesToServer: pf * jitter(120),
          bytesToClient: pb * jitter(700),
          payloadBytesToServer: pf * jitter(60),
          payloadBytesToClient: pb * jitter(640),
          flagCountsToServer: flags({ syn: 1, ack: pf - 1, psh: jitter(3), fin: 1 }),
          flagCountsToClient: flags({ syn: 1, ack: pb, psh: jitter(4), fin: 1 }),
          iat: stats(pf + pb - 1, jitter(50), dur / 2, dur / (pf + pb), jitter(dur / 8)),
          iatToServer: stats(pf - 1, jitter(100), dur / 2, dur / pf, jitter(dur / 6)),
          iatToClient: stats(pb - 1, jitter(100), dur / 2, dur / pb, jitter(dur / 6)),
          pktLenToServer: stats(pf, 66, jitter(600), jitter(120), jitter(150)),
          pktLenToClient: stats(pb, 66, 1514, jitter(700), jitter(500)),
          firstTtlToClient: 64 - jitter(8),
        }),
      );
    } else if (kind < 0.8) {
      const q = ['example.org', 'api.vendor.com', 'time.cloudflare.com', 'cdn.example.net'][rng.int(4)]!;
      out.push(
        flowRecord({
          flowId: i + 1,
          startUs: t,
          endUs: t + jitter(20_000),
          proto: 17,
          protoName: 'UDP',
          srcPort: 32768 + rng.int(28000),
          dstPort: 53,
          service: 'dns',
          pktsToServer: 1,
          pktsToClient: 1,
          bytesToServer: jitter(75),
          bytesToClient: jitter(120),
          payloadBytesToServer: jitter(33),
          payloadBytesToClient: jitter(80),
          tcpFlagsToServer: 0,
          tcpFlagsToClient: 0,
          flagCountsToServer: flags(),
          flagCountsToClient: flags(),
          history: 'Dd',
          connState: 'SF',
          endReason: 'idle',
          iat: stats(1, 20_000, 20_000, 20_000, 0),
          iatToServer: ZERO,
          iatToClient: ZERO,
          pktLenToServer: stats(1, 75, 75, 75, 0),
          pktLenToClient: stats(1, 120, 120, 120, 0),
          firstWindowToServer: -1,
          firstWindowToClient: -1,
          dns: { qname: q, qtype: rng.next() < 0.7 ? 1 : 28, rcode: 0, answers: ['1.2.3.4'] },
          tlsSni: null,
        }),
      );
    } else {
      const dur = jitter(30_000_000);
      const p = jitter(20);
      out.push(
        flowRecord({
          flowId: i + 1,
          startUs: t,
          endUs: t + dur,
          srcPort: 32768 + rng.int(28000),
          dstPort: 8883,
          service: 'tls',
          pktsToServer: p,
          pktsToClient: p,
          bytesToServer: p * jitter(90),
          bytesToClient: p * jitter(90),
          payloadBytesToServer: p * jitter(30),
          payloadBytesToClient: p * jitter(30),
          flagCountsToServer: flags({ syn: 1, ack: p - 1, psh: p - 2 }),
          flagCountsToClient: flags({ syn: 1, ack: p, psh: p - 2 }),
          history: 'ShADad',
          connState: 'S1',
          endReason: 'idle',
          iat: stats(2 * p - 1, jitter(1000), dur / 3, dur / (2 * p), jitter(dur / 10)),
          iatToServer: stats(p - 1, jitter(1000), dur / 3, dur / p, jitter(dur / 10)),
          iatToClient: stats(p - 1, jitter(1000), dur / 3, dur / p, jitter(dur / 10)),
          pktLenToServer: stats(p, 66, jitter(200), jitter(90), jitter(30)),
          pktLenToClient: stats(p, 66, jitter(200), jitter(90), jitter(30)),
          tlsSni: 'mqtt.vendor.com',
        }),
      );
    }
  }
  return out;
}

/** seeded SYN-scan probes from one scanner */
export function syntheticScan(n: number, seed = 9, t0Us = 1_700_000_100_000_000): FlowRecord[] {
  const rng = new Prng(seed);
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = t0Us + i * 300;
    const rej = rng.next() < 0.9;
    out.push(
      flowRecord({
        flowId: 100_000 + i,
        startUs: t,
        endUs: t + (rej ? 80 : 0),
        srcIp: '10.99.0.66',
        srcPort: 40000 + rng.int(2),
        dstPort: 1 + rng.int(1024),
        service: null,
        pktsToServer: 1,
        pktsToClient: rej ? 1 : 0,
        bytesToServer: 58,
        bytesToClient: rej ? 54 : 0,
        payloadBytesToServer: 0,
        payloadBytesToClient: 0,
        tcpFlagsToServer: 0x02,
        tcpFlagsToClient: rej ? 0x14 : 0,
        flagCountsToServer: flags({ syn: 1 }),
        flagCountsToClient: rej ? flags({ rst: 1, ack: 1 }) : flags(),
        history: rej ? 'Sr' : 'S',
        connState: rej ? 'REJ' : 'S0',
        endReason: rej ? 'rst' : 'idle',
        iat: rej ? stats(1, 80, 80, 80, 0) : ZERO,
        iatToServer: ZERO,
        iatToClient: ZERO,
        pktLenToServer: stats(1, 58, 58, 58, 0),
        pktLenToClient: rej ? stats(1, 54, 54, 54, 0) : ZERO,
        firstTtlToServer: 40 + rng.int(20),
        firstTtlToClient: rej ? 64 : -1,
        firstWindowToServer: 1024,
        firstWindowToClient: rej ? 0 : -1,
        tlsSni: null,
      }),
    );
  }
  return out;
}
