import t from 'tap';
import type { Alert } from '../detectors/alert.js';
import type { IncidentEvent } from '../incidents/index.js';
import { parseLabels } from '../models/eval.js';
import { EvalAccumulator, roleOf } from './score.js';

const S = 1_000_000;
function alert(tsS: number, over: Partial<Alert> = {}): Alert {
  return {
    id: `a${tsS}`,
    tsUs: tsS * S,
    kind: 'scan.port.vertical',
    signature: 'scan',
    severity: 2,
    confidence: 1,
    srcIp: '10.0.0.66',
    srcMac: '02:00:00:00:00:66',
    targets: ['10.0.0.1'],
    destPort: null,
    proto: 'TCP',
    evidence: [],
    suggestedResponse: 'monitor',
    ...over,
  };
}

t.test('roleOf: victim labels by prefix', async (t) => {
  t.equal(roleOf('victim:syn-flood'), 'victim');
  t.equal(roleOf('Victim: flood'), 'victim');
  t.equal(roleOf('victimised-scan'), 'source');
  t.equal(roleOf('nmap-syn-scan'), 'source');
});

t.test("a late alert goes to its host's window that just ended, never to an earlier one; grace bounds it", async (t) => {
  const labels = parseLabels('100 110 10.0.0.66 first\n200 210 10.0.0.66 second\n100 300 02:00:00:00:00:77 by-mac\n');
  const acc = new EvalAccumulator(labels, { graceS: 60 });
  acc.addAlert(alert(105), 106 * S); // inside first
  acc.addAlert(alert(215), 230 * S); // after second, within grace: second, not first
  acc.addAlert(alert(400), 400 * S); // beyond the grace of every window: false
  acc.addAlert(alert(150, { srcIp: '10.0.0.77', srcMac: '02:00:00:00:00:77', kind: 'anomaly' }), 151 * S); // named by MAC
  const r = acc.report(null, [], 2);
  t.same(
    r.labels.map((l) => [l.label, l.detected, l.delayS, l.alerts, l.firstKind]),
    [
      ['first', true, 6, 1, 'scan.port.vertical'],
      ['second', true, 30, 1, 'scan.port.vertical'],
      ['by-mac', true, 51, 1, 'anomaly'],
    ],
  );
  t.equal(r.labels[2]!.detectorDelayS, null, 'only an anomaly alert named it');
  t.equal(r.falseAlerts, 1);
  t.equal(r.falseAlertsPerHour, 0.5);
  t.equal(r.alerts, 4);
});

t.test('incidents: the window of their first member alert, delay from when they opened; victims by target', async (t) => {
  const labels = parseLabels('100 110 10.0.0.66 scan\n100 110 10.0.0.1 victim:scan\n500 600 10.0.0.66 later-attack\n');
  const acc = new EvalAccumulator(labels, { graceS: 0 });
  const inc = (firstS: number, lastS: number) =>
    ({
      id: `inc-${firstS}`,
      key: 'k',
      kind: 'anomaly',
      device: '02:00:00:00:00:66',
      srcIp: '10.0.0.66',
      srcMac: '02:00:00:00:00:66',
      target: '*',
      title: '',
      severity: 'low',
      state: 'open',
      count: 1,
      anomalyCount: 1,
      firstUs: firstS * S,
      lastUs: lastS * S,
      targets: ['10.0.0.1'],
      evidence: [],
      alertIds: [],
      maxAlertSeverity: 3,
      confidence: 1,
      suggestedResponse: 'monitor',
    }) as IncidentEvent['incident'];
  // an anomaly incident that opened 300 s after its first member and grew into the later attack's window
  acc.addIncident({ change: 'open', tsUs: 101 * S, incident: inc(101, 101), memberIds: [] }, 401 * S);
  acc.addIncident({ change: 'update', tsUs: 550 * S, incident: inc(101, 550), memberIds: [] }, 550 * S);
  const r = acc.report(null, [], 1);
  t.equal(r.incidents, 1);
  t.same(r.labels.map((l) => [l.label, l.detected, l.incidentDelayS, l.incidents]), [
    ['scan', true, 301, 1],
    ['victim:scan', true, 301, 1],
    ['later-attack', false, null, 0],
  ]);
  t.equal(r.falseIncidents, 0);
  t.throws(() => new EvalAccumulator(labels, { graceS: -1 }), /grace/);
  t.throws(() => acc.report(null, [], 1), /once/);
});

t.test("the host's MAC names it (its link-local address, an incident keyed by MAC); a router's MAC names nobody", async (t) => {
  const labels = parseLabels('100 200 10.0.0.66 attack\n100 200 203.0.113.9 remote-attack\n');
  const acc = new EvalAccumulator(labels, { graceS: 0, isHome: (ip) => ip.startsWith('10.') });
  const flow = (srcIp: string, srcMac: string) => acc.addFlow({ startUs: 10 * S, endUs: 11 * S, srcIp, dstIp: '10.0.0.1', srcMac }, null);
  flow('10.0.0.66', '02:00:00:00:00:66');
  flow('203.0.113.9', '02:00:00:00:00:01'); // the router's MAC carries every remote address ...
  flow('10.0.0.1', '02:00:00:00:00:01'); // ... and its own
  acc.addAlert(alert(150, { srcIp: 'fe80::66', srcMac: '02:00:00:00:00:66', kind: 'anomaly' }), 150 * S);
  acc.addAlert(alert(160, { srcIp: '198.51.100.7', srcMac: '02:00:00:00:00:01', kind: 'anomaly' }), 160 * S);
  acc.addAlert(alert(170, { srcIp: '10.0.0.5', srcMac: '02:00:00:00:00:66' }), 170 * S); // another IPv4 host: not by MAC
  const r = acc.report(null, [], 1);
  t.same(r.labels.map((l) => [l.label, l.detected, l.alerts]), [
    ['attack', true, 1],
    ['remote-attack', false, 0],
  ]);
  t.equal(r.falseAlerts, 2, "another remote address behind the router's MAC, another LAN address: not the labelled host");
  t.equal(r.flows, 3);
});
