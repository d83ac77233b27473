import t from 'tap';
import type { Alert } from '../detectors/alert.js';
import { IncidentTracker } from './tracker.js';
import type { IncidentEvent } from './types.js';

const S = 1_000_000;
let n = 0;
function alert(kind: Alert['kind'], tsS: number, over: Partial<Alert> = {}): Alert {
  return {
    id: `${kind}:${n++}`,
    tsUs: tsS * S,
    kind,
    signature: `${kind} title`,
    severity: kind === 'anomaly' ? 3 : 2,
    confidence: 0.7,
    srcIp: '10.0.0.66',
    srcMac: '02:00:00:00:00:66',
    targets: ['10.0.0.10'],
    destPort: null,
    proto: 'TCP',
    evidence: [{ text: `${kind} evidence ${n}` }],
    suggestedResponse: 'monitor',
    ...over,
  };
}

function track(cfg = {}) {
  const events: IncidentEvent[] = [];
  const tr = new IncidentTracker((e) => events.push(e), cfg);
  return { tr, events, changes: () => events.map((e) => `${e.change} ${e.incident.kind}`) };
}

t.test('a scan and its anomaly flows are one incident, before and after the detector fires', async (t) => {
  const { tr, events, changes } = track();
  for (let i = 0; i < 30; i++) tr.onAlert(alert('anomaly', 100 + i * 0.1));
  tr.onAlert(alert('scan.port.vertical', 104));
  for (let i = 0; i < 500; i++) tr.onAlert(alert('anomaly', 105 + i * 0.1));
  tr.tick(2000 * S);
  tr.finish(2000 * S, true);
  const opened = events.filter((e) => e.change === 'open');
  t.equal(opened.length, 1, changes().filter((c) => !c.startsWith('update')).join(', '));
  const closed = events.filter((e) => e.change === 'close');
  t.equal(closed.length, 1);
  const inc = closed[0]!.incident;
  t.equal(inc.kind, 'scan.port.vertical');
  t.equal(inc.count, 531);
  t.equal(inc.anomalyCount, 530);
  t.equal(inc.firstUs, 100 * S, 'first seen is the first anomaly flow');
  t.equal(inc.severity, 'medium', 'anomaly members do not escalate a detector incident');
  t.match(inc.id, /^inc-scan-port-vertical-[0-9a-f]{8}-104000000$/, 'the id names the alert that opened it');
  t.ok(inc.evidence[0]!.text.startsWith('scan.port.vertical'), 'the detector evidence comes first');
  t.ok(inc.evidence.some((e) => e.text.startsWith('anomaly evidence')), 'anomaly evidence fills the rest');
});

t.test('anomaly alerts nobody claims open an anomaly incident of their own once due', async (t) => {
  const { tr, events } = track({ anomalyJoinSeconds: 300 });
  tr.onAlert(alert('anomaly', 10));
  tr.onAlert(alert('anomaly', 20));
  tr.tick(200 * S);
  t.equal(events.length, 0, 'held while a detector could still claim them');
  tr.tick(311 * S);
  t.equal(events.length, 1);
  t.equal(events[0]!.change, 'open');
  t.equal(events[0]!.incident.kind, 'anomaly');
  t.equal(events[0]!.incident.count, 2);
  t.equal(events[0]!.incident.target, '*');
  tr.onAlert(alert('anomaly', 400));
  t.equal(events.at(-1)!.change, 'update');
  t.equal(events.at(-1)!.incident.count, 3, 'later anomalies of the device join it');
});

t.test('same key within the window joins; after the window a new incident; other targets are other incidents', async (t) => {
  const { tr, events } = track({ windowSeconds: 600, closeAfterSeconds: 3600 });
  tr.onAlert(alert('bruteforce.ssh', 0, { targets: ['10.0.0.5'] }));
  tr.onAlert(alert('bruteforce.ssh', 500, { targets: ['10.0.0.5'] }));
  tr.onAlert(alert('bruteforce.ssh', 510, { targets: ['10.0.0.6'] }));
  tr.onAlert(alert('bruteforce.ssh', 1200, { targets: ['10.0.0.5'] }));
  t.same(
    events.map((e) => `${e.change} ${e.incident.target}`),
    ['open 10.0.0.5', 'update 10.0.0.5', 'open 10.0.0.6', 'close 10.0.0.5', 'open 10.0.0.5'],
  );
});

t.test('severity rises with the count and never falls; anomaly-only stops at medium', async (t) => {
  const { tr, events } = track({ escalateEvery: 3 });
  for (let i = 0; i < 9; i++) tr.onAlert(alert('c2.beacon', i, { severity: 2 }));
  const sev = events.map((e) => `${e.change}:${e.incident.severity}`);
  t.same(sev, ['open:medium', 'update:medium', 'escalate:high', 'update:high', 'update:high', 'update:high', 'update:high', 'update:high', 'escalate:critical']);
  const b = track({ escalateEvery: 2, anomalyJoinSeconds: 1 });
  for (let i = 0; i < 64; i++) b.tr.onAlert(alert('anomaly', i * 0.01, { srcMac: '02:00:00:00:00:01' }));
  b.tr.finish(10 * S, true);
  t.equal(b.events.find((e) => e.change === 'close')!.incident.severity, 'medium');
});

t.test('quiet incidents close on tick; open ones are bounded; restore continues an incident', async (t) => {
  const { tr, events } = track({ closeAfterSeconds: 60, maxOpen: 2 });
  tr.onAlert(alert('scan.port.vertical', 0, { srcMac: 'a' }));
  tr.onAlert(alert('scan.port.vertical', 1, { srcMac: 'b' }));
  tr.onAlert(alert('scan.port.vertical', 2, { srcMac: 'c' }));
  t.equal(tr.stats().open, 2);
  t.equal(tr.stats().evicted, 1);
  t.equal(events.filter((e) => e.change === 'close')[0]!.incident.device, 'a', 'the least recently updated closes first');
  tr.tick(100 * S);
  t.equal(tr.stats().open, 0);
  const open = track();
  open.tr.onAlert(alert('dns.tunnel', 0, { targets: ['tunnel.example'] }));
  const saved = open.tr.openIncidents();
  const again = track();
  again.tr.restore(saved);
  again.tr.onAlert(alert('dns.tunnel', 30, { targets: ['tunnel.example'] }));
  t.equal(again.events[0]!.change, 'update');
  t.equal(again.events[0]!.incident.id, saved[0]!.id);
  t.equal(again.events[0]!.incident.count, 2);
});

t.test('bad configuration is refused', async (t) => {
  t.throws(() => new IncidentTracker(() => {}, { windowSeconds: 0 }), /windowSeconds/);
  t.throws(() => new IncidentTracker(() => {}, { escalateEvery: 1 }), /escalateEvery/);
});

t.test('the next pass of a scan takes its waiting anomaly flows in; every member id is handed on once', async (t) => {
  const { tr, events } = track({ anomalyJoinSeconds: 300, windowSeconds: 3600 });
  tr.onAlert(alert('scan.port.vertical', 0));
  // ten minutes later (a replay loop): anomaly flows first, then the detector again
  const ids: string[] = [];
  for (let i = 0; i < 250; i++) {
    const a = alert('anomaly', 600 + i * 0.01);
    ids.push(a.id);
    tr.onAlert(a);
  }
  tr.onAlert(alert('scan.port.vertical', 604));
  tr.tick(2000 * S);
  tr.finish(2000 * S, true);
  t.equal(events.filter((e) => e.change === 'open').length, 1, 'still one incident');
  const members = events.flatMap((e) => e.memberIds);
  t.equal(members.length, 252, 'both detector alerts and all 250 anomaly flows, past the 200 held whole');
  t.equal(new Set(members).size, 252, 'each once');
  t.ok(ids.every((id) => members.includes(id)));
  t.equal(events.at(-1)!.incident.count, 252);
  t.equal(events.at(-1)!.incident.suggestedResponse, 'monitor');
});
