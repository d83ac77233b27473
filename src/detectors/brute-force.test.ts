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

t.test('HTTP is judged by the answers: a device polling a page answered 200 once a second is not brute force', async (t) => {
  // 60 GETs in a minute, each its own connection, each answered 200
  const poll = Array.from({ length: 60 }, (_, i) =>
    attempt(i, { dstPort: 80, service: 'http', startUs: S(i), endUs: S(i + 0.05), payloadBytesToServer: 300, authReplies: { failures: 0, successes: 1 } }),
  );
  t.same(run(poll), []);
  // the same pace without any visible answer (a capture that missed the replies) is not counted either
  t.same(run(poll.map((f) => ({ ...f, authReplies: undefined }))), []);
  // 30 logins answered 401
  const guess = Array.from({ length: 30 }, (_, i) =>
    attempt(i, { dstPort: 80, service: 'http', startUs: S(i * 0.5), endUs: S(i * 0.5 + 0.2), payloadBytesToServer: 300 + (i % 7) * 40, authReplies: { failures: 1, successes: 0 } }),
  );
  const alerts = run(guess);
  t.equal(alerts.length, 1);
  t.equal(alerts[0]!.kind, 'bruteforce.http');
  t.equal(alerts[0]!.severity, 2);
  t.match(alerts[0]!.evidence[0]!.text, /20 failed HTTP logins \(answered by the server\)/);
  // one keep-alive connection carrying 25 failures counts 25
  t.equal(run([attempt(0, { dstPort: 8080, service: 'http', authReplies: { failures: 25, successes: 0 } })]).length, 1);
});

t.test('a login that succeeds after the guesses is severity 1', async (t) => {
  const ftp = Array.from({ length: 12 }, (_, i) => attempt(i, { dstPort: 21, service: 'ftp', payloadBytesToServer: 24, authReplies: { failures: 1, successes: 0 } }));
  ftp.push(attempt(12, { dstPort: 21, service: 'ftp', payloadBytesToServer: 24, authReplies: { failures: 0, successes: 1 } }));
  const alerts = run(ftp);
  t.same(alerts.map((a) => [a.kind, a.severity]), [['bruteforce.ftp', 2], ['bruteforce.ftp', 1]]);
  t.match(alerts[1]!.signature, /succeeded after 12 attempts/);
  t.match(alerts[1]!.evidence[0]!.text, /FTP 230/);
  // SSH: a long session after the attempts
  const ssh = Array.from({ length: 12 }, (_, i) => attempt(i));
  ssh.push(attempt(12, { endUs: S(12 * 5 + 900), payloadBytesToServer: 90_000 }));
  t.same(run(ssh).map((a) => a.severity), [2, 1]);
  // an FTP client that logs in fine every minute (a camera uploading snapshots) is no guesser
  t.same(run(Array.from({ length: 90 }, (_, i) => attempt(i, { dstPort: 21, service: 'ftp', startUs: S(i * 60), endUs: S(i * 60 + 2), payloadBytesToServer: 60, authReplies: { failures: 0, successes: 1 } }))), []);
});

t.test('slow guessing: one SSH attempt every 20-60 s for an hour', async (t) => {
  let at = 0;
  const flows: FlowRecord[] = [];
  for (let i = 0; at < 3600; i++) {
    flows.push(attempt(i, { startUs: S(at), endUs: S(at + 2) }));
    at += 20 + ((i * 7919) % 41); // 20..60 s, deterministic
  }
  t.ok(flows.length < 180 && flows.length > 60, `${flows.length} attempts`);
  const alerts = run(flows);
  t.ok(alerts.length >= 1 && alerts.every((a) => a.kind === 'bruteforce.ssh' && a.srcIp === '203.0.113.9'), alerts.map((a) => a.signature).join('\n'));
  t.ok(alerts[0]!.tsUs - S(0) < 15 * 60e6, 'found within a quarter of an hour');
  // one every 75 s: 8 per short window, never enough there; the long window finds it
  const slower = run(Array.from({ length: 44 }, (_, i) => attempt(i, { startUs: S(i * 75), endUs: S(i * 75 + 2) })));
  t.equal(slower.length, 1);
  t.match(slower[0]!.signature, /^Slow SSH brute force against 10\.99\.0\.3:22/);
  t.match(slower[0]!.evidence[0]!.text, /40 short SSH connections to 10\.99\.0\.3:22 within 3,600 s \(threshold 40\)/);
  // one every 120 s for an hour: 30, below both
  t.same(run(Array.from({ length: 30 }, (_, i) => attempt(i, { startUs: S(i * 120), endUs: S(i * 120 + 2) }))), []);
});
