import t from 'tap';
import { flowRecord } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { BruteForceDetector, loginServiceKind } from './brute-force.js';
import { resolveDetectorConfig } from './config.js';
import type { FlowRecord } from '../flow/flow-record.js';

const T0 = 1_700_000_000_000_000;
const S = (s: number): number => T0 + Math.round(s * 1e6);

function attempt(i: number, o: Partial<FlowRecord> = {}): FlowRecord {
  return flowRecord({
    flowId: i + 1,
    startUs: S(i * 5),
    endUs: S(i * 5 + 3),
    srcIp: '203.0.113.9',
    dstIp: '10.99.0.3',
    srcPort: 40000 + i,
    dstPort: 22,
    service: 'ssh',
    payloadBytesToServer: 1133 + (i % 3),
    payloadBytesToClient: 1863,
    history: 'ShAdDafF',
    tlsSni: null,
    ...o,
  });
}

function run(flows: FlowRecord[]): Alert[] {
  const alerts: Alert[] = [];
  const d = new BruteForceDetector(resolveDetectorConfig(), (a) => alerts.push(a));
  for (const f of flows) d.onFlow(f);
  return alerts;
}

t.test('service kinds from the hint, then the port', async (t) => {
  t.equal(loginServiceKind(attempt(0)), 'bruteforce.ssh');
  t.equal(loginServiceKind(attempt(0, { service: 'ssh', dstPort: 902 })), 'bruteforce.ssh');
  t.equal(loginServiceKind(attempt(0, { service: null, dstPort: 2323 })), 'bruteforce.telnet');
  t.equal(loginServiceKind(attempt(0, { service: null, dstPort: 3389 })), 'bruteforce.rdp');
  t.equal(loginServiceKind(attempt(0, { service: 'ftp', dstPort: 21 })), 'bruteforce.ftp');
  t.equal(loginServiceKind(attempt(0, { service: 'http', dstPort: 8080 })), 'bruteforce.http');
  t.equal(loginServiceKind(attempt(0, { service: 'tls', dstPort: 443 })), null);
  t.equal(loginServiceKind(attempt(0, { proto: 17, protoName: 'UDP' })), null);
});

t.test('SSH guessing: one alert per suppression window', async (t) => {
  const alerts = run(Array.from({ length: 60 }, (_, i) => attempt(i)));
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'bruteforce.ssh');
  t.equal(a.srcIp, '203.0.113.9');
  t.equal(a.destPort, 22);
  t.same(a.targets, ['10.99.0.3']);
  t.equal(a.suggestedResponse, 'block', 'an outside source is blocked');
  t.match(a.evidence[0]!.text, /10 short SSH connections/);
  t.equal(a.evidence[0]!.flowIds?.length, 10);
});

t.test('telnet, FTP and RDP by port', async (t) => {
  for (const [port, kind] of [[23, 'bruteforce.telnet'], [21, 'bruteforce.ftp'], [3389, 'bruteforce.rdp']] as const) {
    const alerts = run(Array.from({ length: 12 }, (_, i) => attempt(i, { dstPort: port, service: null, payloadBytesToServer: 24 })));
    t.equal(alerts[0]?.kind, kind, `${port}`);
  }
});

t.test('sessions, dissimilar connections and slow pace are not brute force', async (t) => {
  // an admin's sessions: long, or large
  t.equal(run(Array.from({ length: 20 }, (_, i) => attempt(i, { endUs: S(i * 5 + 600) }))).length, 0, 'long sessions');
  t.equal(run(Array.from({ length: 20 }, (_, i) => attempt(i, { payloadBytesToServer: 100_000 }))).length, 0, 'file transfers');
  // a person's sessions differ in size
  t.equal(run(Array.from({ length: 20 }, (_, i) => attempt(i, { payloadBytesToServer: 200 + ((i * 7919) % 10) * 900 }))).length, 0, 'dissimilar');
  // 9 attempts within the window
  t.equal(run(Array.from({ length: 9 }, (_, i) => attempt(i))).length, 0, 'below threshold');
  // rejected connections (closed port) are not attempts
  t.equal(run(Array.from({ length: 30 }, (_, i) => attempt(i, { history: 'Sr', connState: 'REJ', payloadBytesToServer: 0 }))).length, 0);
});

t.test('HTTP needs a fast pace: a device polling every 10 s is not an attack', async (t) => {
  const poll = Array.from({ length: 100 }, (_, i) => attempt(i, { dstPort: 80, service: 'http', startUs: S(i * 10), endUs: S(i * 10 + 0.2), payloadBytesToServer: 300 }));
  t.equal(run(poll).length, 0);
  const guess = Array.from({ length: 100 }, (_, i) => attempt(i, { dstPort: 80, service: 'http', startUs: S(i * 0.5), endUs: S(i * 0.5 + 0.2), payloadBytesToServer: 300 }));
  const alerts = run(guess);
  t.equal(alerts.length, 1);
  t.equal(alerts[0]!.kind, 'bruteforce.http');
});
