import t from 'tap';
import { flowRecord, flags } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { resolveDetectorConfig } from './config.js';
import { PortScanDetector, probeKind } from './port-scan.js';
import type { FlowRecord } from '../flow/flow-record.js';

const T0 = 1_700_000_000_000_000;
const S = (s: number): number => T0 + Math.round(s * 1e6);

function synProbe(i: number, o: Partial<FlowRecord> = {}): FlowRecord {
  return flowRecord({
    flowId: i + 1,
    startUs: S(i * 0.01),
    endUs: S(i * 0.01),
    srcIp: '10.99.0.66',
    dstIp: '10.99.0.3',
    srcPort: 40000,
    dstPort: 1 + i,
    service: null,
    pktsToServer: 1,
    pktsToClient: 1,
    payloadBytesToServer: 0,
    payloadBytesToClient: 0,
    tcpFlagsToServer: 0x02,
    tcpFlagsToClient: 0x14,
    flagCountsToServer: flags({ syn: 1 }),
    flagCountsToClient: flags({ rst: 1, ack: 1 }),
    history: 'Sr',
    connState: 'REJ',
    endReason: 'rst',
    tlsSni: null,
    ...o,
  });
}

function run(flows: FlowRecord[], patch = {}): Alert[] {
  const alerts: Alert[] = [];
  const d = new PortScanDetector(resolveDetectorConfig(patch), (a) => alerts.push(a));
  for (const f of flows) d.onFlow(f);
  return alerts;
}

t.test('probe classification follows nmap techniques', async (t) => {
  t.equal(probeKind(synProbe(0), 256), 'syn-rejected');
  t.equal(probeKind(synProbe(0, { connState: 'S0', history: 'S', pktsToClient: 0, tcpFlagsToClient: 0 }), 256), 'syn');
  t.equal(probeKind(synProbe(0, { tcpFlagsToServer: 0x01, history: 'Fr', connState: 'RSTR' }), 256), 'fin');
  t.equal(probeKind(synProbe(0, { tcpFlagsToServer: 0x29, history: 'Fr', connState: 'RSTR' }), 256), 'xmas');
  t.equal(probeKind(synProbe(0, { tcpFlagsToServer: 0, history: 'r', connState: 'RSTRH' }), 256), 'null');
  t.equal(probeKind(synProbe(0, { tcpFlagsToServer: 0x10, history: 'Ar', connState: 'RSTRH' }), 256), 'ack');
  // a keep-alive ACK answered by an ACK is not a probe
  t.equal(probeKind(synProbe(0, { tcpFlagsToServer: 0x10, tcpFlagsToClient: 0x10, history: 'Aa', connState: 'OTH' }), 256), null);
  t.equal(probeKind(synProbe(0, { proto: 17, protoName: 'UDP', pktsToClient: 0, payloadBytesToServer: 40, connState: 'S0' }), 256), 'udp');
  t.equal(probeKind(synProbe(0, { proto: 17, protoName: 'UDP', pktsToClient: 1, payloadBytesToServer: 40, connState: 'SF' }), 256), null);
  // a session with data is never a probe
  t.equal(probeKind(flowRecord(), 256), null);
});

t.test('vertical scan: one alert naming the scanner and target, with evidence', async (t) => {
  const alerts = run(Array.from({ length: 1000 }, (_, i) => synProbe(i)));
  t.equal(alerts.length, 1, 'suppressed after the first');
  const a = alerts[0]!;
  t.equal(a.kind, 'scan.port.vertical');
  t.equal(a.srcIp, '10.99.0.66');
  t.same(a.targets, ['10.99.0.3']);
  t.equal(a.tsUs, S(29 * 0.01), 'packet time of the flow that crossed the threshold');
  t.match(a.evidence[0]!.text, /30 distinct ports of 10\.99\.0\.3/);
  t.ok(a.evidence.some((e) => (e.flowIds?.length ?? 0) > 0 && (e.flowIds?.length ?? 0) <= 20), 'bounded flow ids');
  t.equal(a.suggestedResponse, 'quarantine', 'a LAN device scanning is quarantined');
  t.ok(a.id.startsWith('scan.port.vertical:10.99.0.66:'));
});

t.test('below the threshold, or spread beyond the window: no alert', async (t) => {
  t.equal(run(Array.from({ length: 29 }, (_, i) => synProbe(i))).length, 0);
  // 40 ports, one every 5 s: never 30 within 60 s
  t.equal(run(Array.from({ length: 40 }, (_, i) => synProbe(i, { startUs: S(i * 5), endUs: S(i * 5) }))).length, 0);
  // many sessions with data to many ports (a busy server) are not probes
  t.equal(run(Array.from({ length: 100 }, (_, i) => flowRecord({ flowId: i, dstPort: 1000 + i, startUs: S(i * 0.1), endUs: S(i * 0.1 + 1) }))).length, 0);
});

t.test('horizontal scan of one port across hosts, UDP included', async (t) => {
  const flows = Array.from({ length: 25 }, (_, i) =>
    synProbe(i, { dstIp: `10.99.1.${i + 1}`, dstPort: 23, connState: 'S0', history: 'S', pktsToClient: 0, tcpFlagsToClient: 0, startUs: S(i * 10), endUs: S(i * 10) }),
  );
  const alerts = run(flows);
  t.equal(alerts.length, 1);
  t.equal(alerts[0]!.kind, 'scan.port.horizontal');
  t.equal(alerts[0]!.destPort, 23);
  t.equal(alerts[0]!.severity, 1, 'a LAN device sweeping a port is how worms spread');
  t.equal(alerts[0]!.targets.length, 20, 'targets bounded by maxAlertTargets');

  const udp = Array.from({ length: 25 }, (_, i) =>
    synProbe(i, { proto: 17, protoName: 'UDP', dstIp: `10.99.1.${i + 1}`, dstPort: 161, connState: 'S0', pktsToClient: 0, payloadBytesToServer: 40, history: 'D' }),
  );
  t.equal(run(udp)[0]?.kind, 'scan.port.horizontal');
  // multicast/broadcast "probes" (SSDP, mDNS) are never counted
  const group = udp.map((f, i) => ({ ...f, dstIp: i % 2 ? '239.255.255.250' : '10.99.1.255' }));
  t.equal(run(group).length, 0);
});

t.test('state stays bounded under a flood of distinct sources', async (t) => {
  const alerts: Alert[] = [];
  const d = new PortScanDetector(resolveDetectorConfig({ maxTracked: 100 }), (a) => alerts.push(a));
  for (let i = 0; i < 5000; i++) d.onFlow(synProbe(0, { srcIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, flowId: i }));
  const s = d.stats();
  t.ok(s.tracked <= 200 + 100, `tracked ${s.tracked}`);
  t.ok(s.evicted >= 4800, `evicted ${s.evicted}`);
  t.equal(alerts.length, 0);
});
