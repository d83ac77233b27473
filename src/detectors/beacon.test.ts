import t from 'tap';
import { flowRecord } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { BeaconDetector, isNewAnsweredConnection } from './beacon.js';
import { resolveDetectorConfig } from './config.js';
import type { FlowRecord } from '../flow/flow-record.js';

const T0 = 1_700_000_000_000_000;
const S = (s: number): number => T0 + Math.round(s * 1e6);

function checkIn(i: number, atS: number, o: Partial<FlowRecord> = {}): FlowRecord {
  return flowRecord({ flowId: i + 1, startUs: S(atS), endUs: S(atS + 0.2), srcIp: '10.99.0.2', dstIp: '203.0.113.50', dstPort: 443, srcPort: 50000 + i, tlsSni: 'c2.example', ...o });
}

function run(flows: FlowRecord[], patch = {}): Alert[] {
  const alerts: Alert[] = [];
  const d = new BeaconDetector(resolveDetectorConfig(patch), (a) => alerts.push(a));
  for (const f of flows) d.onFlow(f);
  return alerts;
}

/** deterministic jitter in [-1, 1] */
const jit = (i: number): number => (((i * 7919) % 200) - 100) / 100;

t.test('a jittered 30 s timer is a beacon', async (t) => {
  const alerts = run(Array.from({ length: 20 }, (_, i) => checkIn(i, i * 30 + 4 * jit(i))));
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'c2.beacon');
  t.equal(a.srcIp, '10.99.0.2');
  t.same(a.targets, ['203.0.113.50']);
  t.match(a.signature, /c2\.example.*every 3\d\.\d s/);
  t.equal(a.evidence[0]!.count, 10);
});

t.test('records out of start order are placed by start time', async (t) => {
  const flows = Array.from({ length: 12 }, (_, i) => checkIn(i, i * 30));
  [flows[3], flows[4]] = [flows[4]!, flows[3]!];
  t.equal(run(flows).length, 1);
});

t.test('irregular, too few, bursts, local and infrastructure traffic: no alert', async (t) => {
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 30 + 25 * jit(i)))).length, 0, 'irregular (browsing)');
  t.equal(run(Array.from({ length: 9 }, (_, i) => checkIn(i, i * 30))).length, 0, 'too few');
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 0.1))).length, 0, 'one burst');
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 30, { dstIp: '10.99.0.9' }))).length, 0, 'LAN destination');
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 30, { srcIp: '127.0.0.1', dstIp: '127.0.0.1' }))).length, 0, 'loopback');
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 30, { dstPort: 123, proto: 17, protoName: 'UDP' }))).length, 0, 'NTP');
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 1200))).length, 0, 'slower than maxIntervalSeconds');
  // keep-alives of one connection re-exported after each idle timeout: no SYN, not new connections
  const keepalive = Array.from({ length: 30 }, (_, i) => checkIn(i, i * 60, { history: 'DA', connState: 'OTH', srcPort: 50000 }));
  t.notOk(isNewAnsweredConnection(keepalive[0]!));
  t.equal(run(keepalive).length, 0, 'keep-alives');
  // SYN retries to a dead server
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 30, { history: 'S', connState: 'S0' }))).length, 0, 'unanswered');
});
