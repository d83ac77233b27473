import t from 'tap';
import { CONN_STATES } from '../flow/flow-record.js';
import { flags, flowRecord, stats } from '../../test/support/flow-records.js';
import { FEATURE_COUNT, FEATURES, PORT_CLASSES, extractFeatures, featureNames, portClass } from './flow-features.js';

function features(rec: ReturnType<typeof flowRecord>): Record<string, number> {
  const out = new Float32Array(FEATURE_COUNT + 3).fill(99);
  extractFeatures(rec, out, 3);
  t.same(Array.from(out.subarray(0, 3)), [99, 99, 99], 'nothing written before the offset');
  const m: Record<string, number> = {};
  featureNames.forEach((n, i) => (m[n] = out[3 + i]!));
  return m;
}

t.test('schema: names unique, every feature documented', async (t) => {
  t.equal(new Set(featureNames).size, FEATURE_COUNT);
  for (const f of FEATURES) t.ok(f.doc.length > 5, `${f.name} documented`);
});

t.test('TCP flow: every feature against a hand computation', async (t) => {
  const rec = flowRecord({
    startUs: 1_000_000,
    endUs: 3_000_000, // 2 s
    srcPort: 51000,
    dstPort: 443,
    pktsToServer: 10,
    pktsToClient: 6,
    bytesToServer: 1000,
    bytesToClient: 3000,
    payloadBytesToServer: 400,
    payloadBytesToClient: 2600,
    flagCountsToServer: flags({ syn: 1, fin: 1, ack: 9, psh: 2, urg: 1, ece: 1 }),
    flagCountsToClient: flags({ syn: 1, fin: 1, rst: 2, ack: 6, psh: 3, cwr: 2 }),
    connState: 'RSTR',
    iat: stats(15, 2000, 500_000, 133_000, 120_000),
    iatToServer: stats(9, 3000, 600_000, 222_000, 150_000),
    iatToClient: stats(5, 4000, 700_000, 400_000, 160_000),
    pktLenToServer: stats(10, 60, 400, 100, 90),
    pktLenToClient: stats(6, 66, 1514, 500, 450),
    firstTtlToServer: 64,
    firstTtlToClient: 118,
    firstWindowToServer: 64240,
    firstWindowToClient: -1,
    dns: null,
    tlsSni: 'a.example',
    httpHost: null,
    service: 'tls',
    segment: 0,
  });
  const f = features(rec);
  const expect: Record<string, number> = {
    duration_s: 2,
    pkts_fwd: 10,
    pkts_bwd: 6,
    bytes_fwd: 1000,
    bytes_bwd: 3000,
    payload_fwd: 400,
    payload_bwd: 2600,
    pkt_ratio_bwd: 6 / 16,
    byte_ratio_bwd: 3000 / 4000,
    payload_share: 3000 / 4000,
    pkt_rate: 16 / 2,
    byte_rate: 4000 / 2,
    iat_mean_ms: 133,
    iat_std_ms: 120,
    iat_min_ms: 2,
    iat_max_ms: 500,
    iat_fwd_mean_ms: 222,
    iat_fwd_std_ms: 150,
    iat_bwd_mean_ms: 400,
    iat_bwd_std_ms: 160,
    len_fwd_mean: 100,
    len_fwd_std: 90,
    len_fwd_min: 60,
    len_fwd_max: 400,
    len_bwd_mean: 500,
    len_bwd_std: 450,
    len_bwd_min: 66,
    len_bwd_max: 1514,
    syn_fwd: 1,
    syn_bwd: 1,
    fin_fwd: 1,
    fin_bwd: 1,
    rst_fwd: 0,
    rst_bwd: 2,
    psh_fwd: 2,
    psh_bwd: 3,
    ack_fwd: 9,
    ack_bwd: 6,
    urg: 1,
    proto_tcp: 1,
    proto_udp: 0,
    proto_icmp: 0,
    proto_other: 0,
    sport_wellknown: 0,
    has_dns: 0,
    dns_qname_len: 0,
    dns_qname_entropy: 0,
    dns_answers: 0,
    dns_rcode_error: 0,
    dns_qtype_unusual: 0,
    has_tls_sni: 1,
    has_http_host: 0,
    service_known: 1,
  };
  for (const s of CONN_STATES) expect[`state_${s}`] = s === 'RSTR' ? 1 : 0;
  for (const c of PORT_CLASSES) expect[`dport_${c}`] = c === 'web' ? 1 : 0;
  t.same(Object.keys(expect).sort(), [...featureNames].sort(), 'every feature has an expected value');
  for (const name of featureNames) t.ok(Math.abs(f[name]! - expect[name]!) <= 1e-4 * Math.max(1, Math.abs(expect[name]!)), `${name}: ${f[name]} ≈ ${expect[name]}`);
});

t.test('DNS over UDP/IPv6, continuation segment, zero duration', async (t) => {
  const rec = flowRecord({
    startUs: 5_000_000,
    endUs: 5_000_000,
    ipVersion: 6,
    proto: 17,
    protoName: 'UDP',
    srcPort: 53,
    dstPort: 5353,
    pktsToServer: 1,
    pktsToClient: 0,
    bytesToServer: 0,
    bytesToClient: 0,
    flagCountsToServer: flags(),
    flagCountsToClient: flags(),
    connState: 'S0',
    firstTtlToServer: 255,
    firstTtlToClient: -1,
    firstWindowToServer: -1,
    dns: { qname: 'aab', qtype: 16, rcode: 3, answers: [] },
    tlsSni: null,
    service: null,
    segment: 2,
  });
  const f = features(rec);
  t.equal(f.duration_s, 0);
  t.equal(f.pkt_rate, 0, 'no rate without a duration');
  t.equal(f.byte_ratio_bwd, 0, 'no ratio without bytes');
  t.equal(f.pkt_ratio_bwd, 0);
  t.equal(f.proto_udp, 1);
  t.equal(f.dport_dns, 1);
  t.equal(f.sport_wellknown, 1);
  t.equal(f.state_S0, 1);
  t.equal(f.state_SF, 0, 'one-hot cleared from a previous row');
  t.equal(f.has_dns, 1);
  t.equal(f.dns_qname_len, 3);
  // 'aab': p(a) = 2/3, p(b) = 1/3
  const h = -(2 / 3) * Math.log2(2 / 3) - (1 / 3) * Math.log2(1 / 3); // 0.9183 bits per character
  t.ok(Math.abs(f.dns_qname_entropy! - h) < 1e-5, `entropy ${f.dns_qname_entropy} ≈ ${h}`);
  t.equal(f.dns_rcode_error, 1);
  t.equal(f.dns_qtype_unusual, 1, 'TXT is unusual');
  t.equal(f.service_known, 0);
});

t.test('ICMP has no port class; corrupt values become 0', async (t) => {
  const f = features(flowRecord({ proto: 1, protoName: 'ICMP', srcPort: 8, dstPort: 0, connState: 'OTH', iat: stats(1, NaN, Infinity, NaN, 0) }));
  t.equal(f.proto_icmp, 1);
  t.equal(f.dport_none, 1);
  t.equal(f.dport_web, 0);
  t.equal(f.sport_wellknown, 0);
  t.equal(f.iat_mean_ms, 0);
  t.equal(f.iat_max_ms, 0);
  t.equal(portClass(6, 2323), 'remote');
  t.equal(portClass(17, 40000), 'registered');
  t.equal(portClass(6, 50000), 'ephemeral');
  t.equal(portClass(6, 111), 'wellknown');
  t.equal(portClass(58, 443), 'none');
});

t.test('a record cut while open and established counts as SF; S1 that went idle stays S1', async (t) => {
  for (const endReason of ['shutdown', 'active'] as const) {
    const f = features(flowRecord({ proto: 6, connState: 'S1', endReason }));
    t.equal(f.state_SF, 1, `S1 ended by ${endReason}: SF`);
    t.equal(f.state_S1, 0, `S1 ended by ${endReason}: not S1`);
  }
  const idle = features(flowRecord({ proto: 6, connState: 'S1', endReason: 'idle' }));
  t.equal(idle.state_S1, 1, 'S1 ended by the idle timeout stays S1');
  t.equal(idle.state_SF, 0);
  const cutOth = features(flowRecord({ proto: 6, connState: 'OTH', endReason: 'shutdown' }));
  t.equal(cutOth.state_OTH, 1, 'only S1 is remapped');
});
