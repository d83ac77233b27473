import t from 'tap';
import { flowRecord } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { resolveDetectorConfig } from './config.js';
import { UploadDetector } from './upload.js';

const T0 = 1_700_000_000_000_000;
const H = 3600e6;

function upload(atH: number, bytes: number, dstIp = '203.0.113.80', flowId = 1) {
  const start = T0 + Math.round(atH * H);
  return flowRecord({ flowId, startUs: start, endUs: start + 60e6, srcIp: '10.99.0.2', dstIp, payloadBytesToServer: bytes });
}

function detector(alerts: Alert[]) {
  return new UploadDetector(resolveDetectorConfig(), (a) => alerts.push(a));
}

t.test('a device uploading far more than its baseline to one destination', async (t) => {
  const alerts: Alert[] = [];
  const d = detector(alerts);
  // ten hours of ordinary 2 MB uploads per hour
  for (let h = 0; h < 10; h++) d.onFlow(upload(h + 0.5, 2_000_000, '203.0.113.10', h));
  t.equal(alerts.length, 0);
  const b = d.baselineOf('10.99.0.2')!;
  t.ok(b.windowsSeen >= 9 && b.baseline > 1_000_000 && b.baseline < 2_000_001, `baseline ${b.baseline}`);
  // then 200 MB to a new destination within the hour, in 20 MB pieces
  for (let k = 0; k < 10; k++) d.onFlow(upload(10.1 + k * 0.05, 20_000_000, '198.51.100.99', 100 + k));
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'exfil.upload');
  t.equal(a.srcIp, '10.99.0.2');
  t.same(a.targets, ['198.51.100.99']);
  t.ok(a.evidence[0]!.count! >= 50_000_000);
  t.same(a.evidence[0]!.flowIds, [100, 101, 102]);
});

t.test('no baseline yet, big but usual uploads, and LAN transfers: no alert', async (t) => {
  let alerts: Alert[] = [];
  let d = detector(alerts);
  for (let k = 0; k < 10; k++) d.onFlow(upload(0.1 + k * 0.01, 20_000_000, '198.51.100.99', k));
  t.equal(alerts.length, 0, 'a device seen for the first time has no baseline');

  alerts = [];
  d = detector(alerts);
  // a camera that uploads 300 MB every hour keeps doing so
  for (let h = 0; h < 12; h++) d.onFlow(upload(h + 0.5, 300_000_000, '203.0.113.10', h));
  t.equal(alerts.length, 0, 'usual volume');

  alerts = [];
  d = detector(alerts);
  for (let h = 0; h < 10; h++) d.onFlow(upload(h + 0.5, 1_000_000, '203.0.113.10', h));
  for (let k = 0; k < 10; k++) d.onFlow(upload(10.1 + k * 0.05, 20_000_000, '10.99.0.50', 100 + k));
  t.equal(alerts.length, 0, 'backup to a LAN NAS');
});

t.test('data leaving a device in total far beyond its own history, spread over many destinations', async (t) => {
  const alerts: Alert[] = [];
  const d = detector(alerts);
  // ten hours of 4 MB per hour, 1 MB each to four cloud services
  for (let h = 0; h < 10; h++) for (let k = 0; k < 4; k++) d.onFlow(upload(h + 0.1 + k * 0.1, 1_000_000, `203.0.113.${10 + k}`, h * 10 + k));
  t.same(alerts, []);
  // then 40 MB to each of 30 hosts within the hour: no destination stands out (each 40 MB < minBytes), the total does
  for (let k = 0; k < 30; k++) d.onFlow(upload(10.05 + k * 0.02, 40_000_000, `198.51.100.${k + 1}`, 500 + k));
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'exfil.upload');
  t.equal(a.srcIp, '10.99.0.2');
  t.match(a.signature, /^Abnormal upload from 10\.99\.0\.2 \(\d+\.\d MB to \d+ destinations in 60 min, baseline \d\.\d MB\)/);
  t.ok(a.targets.length > 1 && a.targets.length <= 20, 'the destinations are named');
  // an ordinary hour afterwards: nothing new
  for (let k = 0; k < 4; k++) d.onFlow(upload(11.2 + k * 0.1, 1_000_000, `203.0.113.${10 + k}`, 900 + k));
  t.equal(alerts.length, 1);
});
