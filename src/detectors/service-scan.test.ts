import t from 'tap';
import { flowRecord, stats } from '../../test/support/flow-records.js';
import type { Alert } from './alert.js';
import { resolveDetectorConfig } from './config.js';
import { ServiceScanDetector, serviceProbe } from './service-scan.js';
import type { FlowRecord } from '../flow/flow-record.js';

const T0 = 1_700_000_000_000_000;
const S = (s: number): number => T0 + Math.round(s * 1e6);

/** a connection from 10.99.0.10 to 10.99.0.11:port lasting `durS`, with the given payloads and client pause */
function conn(port: number, atS: number, durS: number, toServer: number, toClient: number, pauseS: number, flowId: number): FlowRecord {
  return flowRecord({
    flowId,
    srcIp: '10.99.0.10',
    dstIp: '10.99.0.11',
    srcPort: 40000 + flowId,
    dstPort: port,
    service: null,
    tlsSni: null,
    startUs: S(atS),
    endUs: S(atS + durS),
    pktsToServer: 5,
    pktsToClient: 4,
    payloadBytesToServer: toServer,
    payloadBytesToClient: toClient,
    history: toServer > 0 ? 'ShADadfF' : 'ShAdFf',
    iatToServer: stats(4, 100, Math.round(pauseS * 1e6), Math.round((pauseS * 1e6) / 4), 1000),
  });
}

function run(flows: FlowRecord[]): Alert[] {
  const alerts: Alert[] = [];
  const d = new ServiceScanDetector(resolveDetectorConfig({ homeNets: ['10.99.0.0/16'] }), (a) => alerts.push(a));
  for (const f of flows) d.onFlow(f);
  return alerts;
}

t.test('what a probe connection is', async (t) => {
  const c = resolveDetectorConfig().portScan;
  const p = (f: FlowRecord) => serviceProbe(f, c.serviceMaxSeconds, c.serviceMaxClientBytes);
  t.equal(p(conn(22, 0, 0.1, 0, 21, 0.05, 1)), 'banner-grab', 'SSH banner read, nothing said');
  t.equal(p(conn(80, 0, 6, 18, 1147, 5, 2)), 'null-probe', 'five silent seconds, then GET /');
  t.equal(p(conn(80, 0, 5, 0, 0, 5, 3)), 'silent');
  t.equal(p(conn(80, 0, 0.01, 0, 0, 0.005, 7)), null, 'a port check: connect and close at once');
  t.equal(p(conn(80, 0, 0.05, 300, 1147, 0.01, 4)), null, 'an ordinary request');
  t.equal(p(conn(22, 0, 30.5, 0, 21, 30, 5)), null, 'too long');
  t.equal(p(conn(80, 0, 6, 5000, 1147, 5, 6)), null, 'a request with a body after a pause');
});

t.test('nmap -sV of three ports is a service scan; three ordinary services are not', async (t) => {
  const scan = [conn(22, 0, 0.1, 0, 21, 0.05, 1), conn(80, 0.1, 6, 18, 1147, 5, 2), conn(8080, 0.1, 6, 18, 1147, 5, 3), conn(8080, 6.2, 5, 4, 0, 5, 4)];
  const alerts = run(scan);
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.equal(a.kind, 'scan.service');
  t.equal(a.srcIp, '10.99.0.10');
  t.same(a.targets, ['10.99.0.11']);
  t.equal(a.severity, 2);
  t.match(a.signature, 'Service scan of 10.99.0.11 from 10.99.0.10 (3 services: 22, 80, 8080)');
  // a client using SSH, a web UI and an API of one server: it speaks at once
  const benign = [conn(22, 0, 20, 3000, 5000, 0.5, 10), conn(80, 1, 0.2, 400, 20000, 0.01, 11), conn(8080, 2, 0.1, 300, 900, 0.01, 12), conn(443, 3, 1, 700, 9000, 0.1, 13)];
  t.same(run(benign), []);
  t.same(run(scan.slice(0, 2)), [], 'two ports');
});
