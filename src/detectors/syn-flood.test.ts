import t from 'tap';
import { flowRecord, flags } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { resolveDetectorConfig } from './config.js';
import { isHalfOpen, SynFloodDetector } from './syn-flood.js';
import type { FlowRecord } from '../flow/flow-record.js';

const T0 = 1_700_000_000_000_000;
const S = (s: number): number => T0 + Math.round(s * 1e6);

function halfOpen(i: number, o: Partial<FlowRecord> = {}): FlowRecord {
  return flowRecord({
    flowId: i + 1,
    startUs: S(i * 0.001),
    endUs: S(i * 0.001),
    srcIp: `198.51.${(i >> 8) & 255}.${i & 255}`,
    dstIp: '10.99.0.3',
    srcPort: 1024 + (i % 60000),
    dstPort: 80,
    service: null,
    pktsToServer: 1,
    pktsToClient: 0,
    payloadBytesToServer: 0,
    payloadBytesToClient: 0,
    tcpFlagsToServer: 0x02,
    tcpFlagsToClient: 0,
    flagCountsToServer: flags({ syn: 1 }),
    flagCountsToClient: flags(),
    history: 'S',
    connState: 'S0',
    endReason: 'idle',
    tlsSni: null,
    ...o,
  });
}

function run(flows: FlowRecord[]): Alert[] {
  const alerts: Alert[] = [];
  const d = new SynFloodDetector(resolveDetectorConfig(), (a) => alerts.push(a));
  for (const f of flows) d.onFlow(f);
  return alerts;
}

t.test('spoofed flood: many sources, the alert names none', async (t) => {
  const alerts = run(Array.from({ length: 5000 }, (_, i) => halfOpen(i)));
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'dos.synflood');
  t.equal(a.srcIp, '0.0.0.0', 'no single source');
  t.same(a.targets, ['10.99.0.3']);
  t.equal(a.destPort, 80);
  t.equal(a.severity, 1);
  t.match(a.signature, /likely spoofed/);
  t.equal(a.suggestedResponse, 'rate-limit');
});

t.test('single-source flood names the source', async (t) => {
  const alerts = run(Array.from({ length: 1000 }, (_, i) => halfOpen(i, { srcIp: '198.51.100.7' })));
  t.equal(alerts[0]?.srcIp, '198.51.100.7');
  t.equal(alerts[0]?.suggestedResponse, 'block');
});

t.test('half-open means unanswered or never acknowledged, not refused', async (t) => {
  t.ok(isHalfOpen(halfOpen(0)));
  t.ok(isHalfOpen(halfOpen(0, { connState: 'OTH', history: 'Sh', pktsToClient: 1 })), 'SYN-ACK never acknowledged');
  t.ok(isHalfOpen(halfOpen(0, { connState: 'RSTO', history: 'ShR', pktsToClient: 1 })), 'SYN-ACK answered by the attacker kernel RST');
  t.notOk(isHalfOpen(halfOpen(0, { connState: 'REJ', history: 'Sr', pktsToClient: 1 })), 'closed port');
  t.notOk(isHalfOpen(halfOpen(0, { connState: 'RSTO', history: 'ShAR' })), 'connect then reset');
  t.notOk(isHalfOpen(halfOpen(0, { proto: 17, protoName: 'UDP' })));
  // a client stuck retrying a closed port thousands of times is not a flood
  t.equal(run(Array.from({ length: 5000 }, (_, i) => halfOpen(i, { srcIp: '10.99.0.2', connState: 'REJ', history: 'Sr' }))).length, 0);
});

t.test('a vertical scan, a slow trickle and completed connections are not floods', async (t) => {
  t.equal(run(Array.from({ length: 2000 }, (_, i) => halfOpen(i, { dstPort: 1 + i, srcIp: '198.51.100.7' }))).length, 0, 'one attempt per port');
  t.equal(run(Array.from({ length: 1000 }, (_, i) => halfOpen(i, { startUs: S(i), endUs: S(i) }))).length, 0, 'one per second');
  t.equal(run(Array.from({ length: 1000 }, (_, i) => halfOpen(i, { connState: 'SF', history: 'ShADadFf' }))).length, 0, 'completed');
});

t.test('late records (exported after the idle timeout) still count inside their window', async (t) => {
  // records come in export order: each burst of S0 flows 30 s after it started, interleaved with newer ones
  const flows: FlowRecord[] = [];
  for (let i = 0; i < 300; i++) flows.push(halfOpen(i, { startUs: S(100 + i * 0.01), endUs: S(100 + i * 0.01) }));
  flows.unshift(halfOpen(9999, { startUs: S(130), endUs: S(130), dstIp: '10.99.0.9' }));
  t.equal(run(flows).length, 1);
});
