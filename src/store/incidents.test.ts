import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../bus.js';
import { ALERT_KINDS, type Alert } from '../detectors/alert.js';
import { attachIncidents } from '../incidents/index.js';
import { Store } from './db.js';
import { MUTES_SETTING } from './incidents.js';

const S = 1_000_000;
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) * 1000;
const CAM = '02:00:00:00:00:30';
let n = 0;
function alert(kind: Alert['kind'], tsS: number, over: Partial<Alert> = {}): Alert {
  return {
    id: `${kind}:${n++}`,
    tsUs: T0 + tsS * S,
    kind,
    signature: `${kind} from the camera`,
    severity: kind === 'anomaly' ? 3 : 2,
    confidence: 0.8,
    srcIp: '10.0.0.30',
    srcMac: CAM,
    targets: ['10.0.0.50'],
    destPort: null,
    proto: 'TCP',
    evidence: [{ text: `${kind} evidence` }],
    suggestedResponse: kind === 'anomaly' ? 'monitor' : 'quarantine',
    ...over,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'argus-incidents-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A store on disk and a tracker on one bus, in the order the pipeline attaches them. */
function open(path: string) {
  const store = Store.open({ path, flushIntervalMs: 1000, log: () => {} });
  const bus = new Bus((m) => {
    throw new Error(m);
  });
  store.attach(bus);
  const tracker = attachIncidents(bus, { anomalyJoinSeconds: 60 });
  tracker.restore(store.incidents.openIncidents());
  return { store, bus, tracker };
}

t.test('incidents and every membership survive a round trip through the file', async (t) => {
  const path = join(dir, 'round.db');
  const a = open(path);
  // 300 anomaly flows before the detector fires (more than a pending group holds whole), then the scan alert
  for (let i = 0; i < 300; i++) a.bus.emit('alert', alert('anomaly', i * 0.1));
  const scan = alert('scan.port.vertical', 31);
  a.bus.emit('alert', scan);
  for (let i = 0; i < 20; i++) a.bus.emit('alert', alert('anomaly', 32 + i * 0.1));
  a.bus.emit('alert', alert('c2.beacon', 40, { targets: ['203.0.113.66'], srcMac: '02:00:00:00:00:60', srcIp: '10.0.0.60' }));
  a.store.close();

  const b = Store.open({ path, log: () => {} });
  t.teardown(() => b.close());
  const rows = b.incidents.query({ order: 'severity' });
  t.equal(rows.length, 2, 'two incidents: the scan with its anomaly flows, and the beacon');
  const inc = rows.find((r) => r.kind === 'scan.port.vertical')!;
  t.equal(inc.count, 321);
  t.equal(inc.anomalyCount, 320);
  t.equal(inc.state, 'open');
  t.equal(inc.severity, 'medium');
  t.equal(inc.suggestedResponse, 'quarantine');
  t.equal(inc.firstUs, T0, 'first seen is the first anomaly flow');
  t.equal(b.incidents.memberCount(inc.id), 321, 'every member alert names the incident, past the tracker’s bounded list');
  t.equal(b.alerts.get(scan.id)!.incidentId, inc.id);
  t.equal(b.alerts.query({ incidentId: inc.id, limit: 1000 }).length, 321);
  t.same(b.incidents.kinds(ALERT_KINDS), ['scan.port.vertical', 'c2.beacon'], 'each kind once, in the order of ALERT_KINDS');
  t.equal(b.incidents.count({ state: 'open', device: CAM }), 1, 'by device');
  t.equal(b.incidents.query({ minSeverity: 'high' }).length, 0, 'by severity');
  const page1 = b.incidents.query({ limit: 1 });
  const page2 = b.incidents.query({ limit: 1, before: { lastUs: page1[0]!.lastUs, id: page1[0]!.id } });
  t.not(page1[0]!.id, page2[0]!.id, 'keyset paging moves on');
});

t.test('acknowledging an incident acknowledges its members, also those that join later; escalation asks again', async (t) => {
  const path = join(dir, 'ack.db');
  const a = open(path);
  t.teardown(() => a.store.close());
  for (let i = 0; i < 5; i++) a.bus.emit('alert', alert('bruteforce.ssh', i));
  a.store.flush();
  const inc = a.store.incidents.query()[0]!;
  t.ok(a.store.incidents.acknowledge(inc.id));
  t.equal(a.store.alerts.query({ incidentId: inc.id, acknowledged: false }).length, 0, 'no member left unacknowledged');
  const late = alert('bruteforce.ssh', 6);
  a.bus.emit('alert', late);
  a.store.flush();
  t.equal(a.store.alerts.get(late.id)!.acknowledged, true, 'a member joining an acknowledged incident is acknowledged');
  t.equal(a.store.incidents.get(inc.id)!.acknowledged, true);
  for (let i = 7; i < 12; i++) a.bus.emit('alert', alert('bruteforce.ssh', i));
  a.store.flush();
  const now = a.store.incidents.get(inc.id)!;
  t.equal(now.severity, 'high', 'the tenth alert escalates');
  t.equal(now.acknowledged, false, 'an escalated incident needs attention again');
  t.notOk(a.store.incidents.acknowledge('inc-nope'), 'unknown id');
});

t.test('mutes are applied in the query, before the list is cut', async (t) => {
  const path = join(dir, 'mute.db');
  const a = open(path);
  t.teardown(() => a.store.close());
  for (let d = 0; d < 10; d++) a.bus.emit('alert', alert('scan.port.vertical', d, { srcMac: `02:00:00:00:01:${String(d).padStart(2, '0')}` }));
  a.store.flush();
  const muted = '02:00:00:00:01:09';
  a.store.registry.setSetting(MUTES_SETTING, [{ mac: muted, kind: 'scan.port.vertical', actor: 'admin', sinceUs: T0 }], T0);
  t.equal(a.store.incidents.setMuted(muted, 'scan.port.vertical', true), 1);
  const top = a.store.incidents.query({ state: 'open', muted: false, limit: 5 });
  t.equal(top.length, 5, 'the list stays full');
  t.notOk(top.some((i) => i.srcMac === muted), 'and the muted device is not in it');
  // a new incident of a muted device and kind starts muted
  a.tracker.finish(T0 + 100 * S, true);
  a.bus.emit('alert', alert('scan.port.vertical', 20_000, { srcMac: muted }));
  a.store.flush();
  const again = a.store.incidents.query({ device: muted, state: 'open' })[0]!;
  t.equal(again.muted, true);
  t.equal(a.store.incidents.needsAttentionBySeverity().medium, 0, 'muted and closed ones do not need attention');
});

t.test('open incidents are restored after a restart and continue', async (t) => {
  const path = join(dir, 'restart.db');
  const a = open(path);
  a.bus.emit('alert', alert('dns.tunnel', 0, { targets: ['t.example'] }));
  a.bus.emit('alert', alert('dns.tunnel', 10, { targets: ['t.example'] }));
  // a live appliance that stops leaves its incidents open
  a.tracker.finish(T0 + 20 * S, false);
  a.store.close();

  const b = open(path);
  t.teardown(() => b.store.close());
  t.equal(b.tracker.stats().open, 1, 'the open incident is back in the tracker');
  const opens: string[] = [];
  b.bus.on('incident', (e) => e.change === 'open' && opens.push(e.incident.id));
  b.bus.emit('alert', alert('dns.tunnel', 30, { targets: ['t.example'] }));
  b.store.flush();
  t.same(opens, [], 'no second incident');
  const rows = b.store.incidents.query();
  t.equal(rows.length, 1);
  t.equal(rows[0]!.count, 3);
  t.equal(b.store.incidents.memberCount(rows[0]!.id), 3);
});

t.test('closed incidents are bounded by count, oldest first; open ones stay', async (t) => {
  const a = open(join(dir, 'trim.db'));
  t.teardown(() => a.store.close());
  for (let d = 0; d < 6; d++) a.bus.emit('alert', alert('c2.beacon', d, { srcMac: `02:00:00:00:02:0${d}` }));
  a.tracker.finish(T0 + 10 * S, true);
  a.bus.emit('alert', alert('c2.beacon', 20, { srcMac: '02:00:00:00:02:09' }));
  a.store.flush();
  t.equal(a.store.incidents.trim(4), 2);
  t.equal(a.store.incidents.evicted, 2);
  t.equal(a.store.incidents.count({ state: 'closed' }), 4);
  t.equal(a.store.incidents.count({ state: 'open' }), 1);
  t.notOk(a.store.incidents.query().some((i) => i.srcMac === '02:00:00:00:02:00'), 'the oldest went first');
});
