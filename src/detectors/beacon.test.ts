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
  t.equal(run(Array.from({ length: 30 }, (_, i) => checkIn(i, i * 30, { dstIp: '10.99.0.9' })), { beacon: { ignoreHomeDestinations: true } }).length, 0, 'LAN destination, when ignored');
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

t.test('a beacon to a LAN host is judged by default, at severity 2; outside ones are severity 1', async (t) => {
  const lan = run(Array.from({ length: 20 }, (_, i) => checkIn(i, i * 2 + 0.1 * jit(i), { dstIp: '10.99.0.9', dstPort: 8080, tlsSni: null })));
  t.equal(lan.length, 1);
  t.equal(lan[0]!.severity, 2);
  t.match(lan[0]!.signature, /to LAN host 10\.99\.0\.9:8080 every 2\.0 s/);
  t.equal(run(Array.from({ length: 20 }, (_, i) => checkIn(i, i * 30)))[0]!.severity, 1);
});

t.test('polling once a second is not a beacon; neither are a password guesser\'s connections', async (t) => {
  // a dashboard asking a LAN device for its state: 60 GETs a minute, each answered
  const poll = Array.from({ length: 60 }, (_, i) => checkIn(i, i * 1.0 + 0.05 * jit(i), { dstIp: '10.99.0.9', dstPort: 8080, tlsSni: null, service: 'http' }));
  t.same(run(poll), []);
  // FTP logins refused every 2 s, and SSH attempts every 2.5 s: the brute-force detector's
  const ftp = Array.from({ length: 30 }, (_, i) => checkIn(i, i * 2, { dstPort: 21, service: 'ftp', tlsSni: null, authReplies: { failures: 1, successes: 0 } }));
  t.same(run(ftp), []);
  const ssh = Array.from({ length: 30 }, (_, i) => checkIn(i, i * 2.5, { dstPort: 22, service: 'ssh', tlsSni: null, payloadBytesToServer: 1200, endUs: S(i * 2.5 + 0.3) }));
  t.same(run(ssh), []);
});
