import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './db.js';
import { makeFlow, deviceMac } from '../../test/support/store-flows.js';
import type { Alert } from '../detectors/alert.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-retention-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000_000;
const NOW = 1_750_000_000_000_000;

function alert(id: string, tsUs: number): Alert {
  return {
    id, tsUs, kind: 'decoy.touch', signature: 'decoy port touched', severity: 1, confidence: 1, srcIp: '10.99.0.9',
    srcMac: null, targets: [], destPort: 2323, proto: 'TCP', evidence: [], suggestedResponse: 'block',
  };
}

const count = (s: Store, table: string): number => (s.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

t.test('age retention removes what is past its period and nothing else', async (t) => {
  const s = Store.open({ path: join(dir, 'age.db'), flowRetentionDays: 7, rollupRetentionDays: 90, batchSize: 5000, log: () => {} });
  // one flow, anomaly event, alert, trust point and audit entry per day, 0..119 days old
  const ages = Array.from({ length: 120 }, (_, d) => d);
  let i = 0;
  for (const d of ages) {
    const ts = NOW - d * DAY - 1; // strictly older than d days
    for (let k = 0; k < 3; k++) s.addFlow(makeFlow(++i, ts - k));
    s.addAnomaly({ tsUs: ts, flowId: i, communityId: 'c', srcIp: '10.99.0.1', dstIp: '10.99.1.1', dstPort: 1, proto: 'TCP', score: 0.1, models: [], threshold: 0.9, alert: false, modelId: 'm' });
    s.addAlert(alert(`a${d}`, ts));
    s.defer(ts, () => {
      s.devices.upsert({ mac: deviceMac(d), tsUs: ts });
      s.devices.recordTrust({ mac: deviceMac(d), tsUs: ts, score: 80, behavioral: 80, vulnerability: 80, reputation: 80, level: 'normal', explanation: [] });
      s.actions.audit({ tsUs: ts, actor: 'system', action: 'test.day', target: String(d), reason: null, detail: null });
    });
  }
  s.flush();
  // actions: terminal ones age out, pending/active never do
  for (const state of ['pending', 'active', 'expired', 'released', 'denied'] as const) {
    s.actions.create({ tsUs: NOW - 100 * DAY, kind: 'block', state, mac: null, ip: '10.99.9.9', reason: 'old', alertId: null, actor: 'system', expiresUs: null, dryRun: false });
    s.actions.create({ tsUs: NOW - 10 * DAY, kind: 'block', state, mac: null, ip: '10.99.9.9', reason: 'recent', alertId: null, actor: 'system', expiresUs: null, dryRun: false });
  }
  const uid = s.auth.createUser('u', 'h', 'viewer', 0);
  s.auth.createSession({ idHash: 'old', userId: uid, createdUs: 0, lastSeenUs: 0, expiresUs: NOW - 1 });
  s.auth.createSession({ idHash: 'live', userId: uid, createdUs: 0, lastSeenUs: 0, expiresUs: NOW + 1 });
  const sid = s.registry.startScan('10.99.0.1', null, NOW - 100 * DAY); // still 'running': kept
  const sid2 = s.registry.startScan('10.99.0.2', null, NOW - 100 * DAY);
  s.registry.finishScan(sid2, NOW - 100 * DAY, 'done', [], [], 90);

  const rollupHoursBefore = count(s, 'flow_rollups');
  // small chunks: the job must come back until done, and its result must not depend on the chunking
  let rounds = 0;
  const total: Record<string, number> = {};
  for (;;) {
    const r = s.retention(NOW, 7);
    rounds++;
    for (const [k, v] of Object.entries(r.deleted)) total[k] = (total[k] ?? 0) + v;
    if (r.done) break;
    t.ok(rounds < 1000, 'terminates');
  }
  t.ok(rounds > 10, `spread over ${rounds} calls`);
  // days 0..6 are younger than 7 days: kept; days 7..119 removed (3 flows a day)
  t.equal(count(s, 'flows'), 7 * 3);
  t.ok(s.flows.query({ limit: 1000 }).every((f) => f.endUs >= NOW - 7 * DAY));
  t.equal(count(s, 'anomaly_events'), 7);
  t.equal(count(s, 'alerts'), 90, 'alerts: days 0..89');
  t.equal(s.alerts.get('a89')?.id, 'a89');
  t.equal(s.alerts.get('a90'), undefined);
  t.equal(count(s, 'trust_history'), 90);
  t.equal(count(s, 'audit_log'), 90);
  t.equal(count(s, 'devices'), 120, 'devices are never aged out');
  t.same(
    s.actions.query({ limit: 100 }).map((a) => `${a.state}/${a.reason}`).sort(),
    ['active/old', 'active/recent', 'denied/recent', 'expired/recent', 'pending/old', 'pending/recent', 'released/recent'],
  );
  t.equal(s.auth.session('live', NOW)?.idHash, 'live');
  t.equal(count(s, 'web_sessions'), 1);
  t.same(s.registry.scans().map((x) => x.id), [sid]);
  // rollups older than 90 days go; the rest still sum what the deleted raw flows carried
  const rollupsLeft = s.db.prepare('SELECT min(hour_us) AS m, sum(flows_orig) AS n FROM flow_rollups').get() as { m: number; n: number };
  t.ok(rollupsLeft.m >= NOW - 90 * DAY - 3_600_000_000, 'no rollup older than the period (to the hour)');
  t.ok(count(s, 'flow_rollups') < rollupHoursBefore);
  t.ok(rollupsLeft.n >= 90 * 3 && rollupsLeft.n <= 91 * 3, `rollups keep 90 days of flow counts (${rollupsLeft.n})`);
  t.same(total.flows, 113 * 3);
  t.same(s.integrityCheck(), ['ok']);
  // a second run finds nothing
  t.same(s.retention(NOW), { deleted: {}, done: true });
  s.close();
});

t.test('the size cap holds while flows stream in, and the newest data survives', async (t) => {
  const capMB = 3;
  const path = join(dir, 'cap.db');
  const s = Store.open({ path, maxSizeMB: capMB, batchSize: 250, log: () => {} });
  const cap = capMB * 1024 * 1024;
  let maxSeen = 0;
  const N = 60_000;
  for (let i = 1; i <= N; i++) {
    s.addFlow(makeFlow(i, NOW + i * 1000));
    if (i % 500 === 0) {
      s.addAlert(alert(`cap-${i}`, NOW + i * 1000));
      const z = s.size();
      maxSeen = Math.max(maxSeen, z.fileBytes + z.walBytes);
    }
  }
  s.flush();
  const z = s.size();
  t.ok(maxSeen <= cap, `file + WAL peaked at ${(maxSeen / 1048576).toFixed(2)} MiB (cap ${capMB} MiB)`);
  t.ok(z.fileBytes + z.walBytes <= cap);
  const left = s.flows.count();
  t.ok(left > 1000 && left < N, `${left} of ${N} flows kept`);
  t.equal(s.flows.query({ limit: 1 })[0]!.flowId, N, 'the newest flow is kept');
  const oldest = s.db.prepare('SELECT min(flow_id) AS m FROM flows').get() as { m: number };
  t.equal(oldest.m, N - left + 1, 'what was evicted is exactly the oldest');
  t.ok((s.stats().capEvictions.flows ?? 0) === N - left, 'evictions counted');
  t.equal(count(s, 'alerts'), N / 500, 'alerts outlive flows under the cap');
  t.same(s.integrityCheck(), ['ok']);
  s.close();
});

t.test("a fleet head's results from its sensors are held under the size cap too, oldest received first", async (t) => {
  const capMB = 3;
  const path = join(dir, 'fleet-cap.db');
  const s = Store.open({ path, maxSizeMB: capMB, log: () => {} });
  const cap = capMB * 1024 * 1024;
  let maxSeen = 0;
  const batches = 400;
  for (let b = 0; b < batches; b++) {
    const items = Array.from({ length: 50 }, (_, i) => ({ key: `incident:inc-${b}-${i}:open:high:`, kind: 'incident' as const, tsUs: NOW + b * 1000 + i, body: { change: 'open', incident: { id: `inc-${b}-${i}`, title: 'x'.repeat(200) } } }));
    t.equal(s.fleet.addResults('s-1', items, 1_000 + b).length, 50);
    const z = s.size();
    maxSeen = Math.max(maxSeen, z.fileBytes + z.walBytes);
  }
  const total = batches * 50;
  const left = s.fleet.resultCount();
  t.ok(maxSeen <= cap, `file + WAL peaked at ${(maxSeen / 1048576).toFixed(2)} MiB (cap ${capMB} MiB)`);
  t.ok(left > 1000 && left < total, `${left} of ${total} results kept`);
  const ids = s.db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM fleet_results').get() as { lo: number; hi: number };
  t.equal(ids.hi, total, 'the newest result is kept');
  t.equal(ids.lo, total - left + 1, 'what was evicted is exactly the oldest received');
  t.equal(s.stats().capEvictions.fleet_results, total - left, 'evictions counted');
  t.same(s.integrityCheck(), ['ok']);
  s.close();
});

t.test('the size cap never deletes evidence: flows, devices seen once and rollups go, alerts, audit, trust history and actions stay', async (t) => {
  const capMB = 3;
  const logs: string[] = [];
  const s = Store.open({ path: join(dir, 'evidence.db'), maxSizeMB: capMB, maxDevices: 1_000_000, batchSize: 500, log: (m) => logs.push(m) });
  const cap = capMB * 1024 * 1024;
  // evidence first: 300 alerts, audit entries and trust points, one quarantine
  for (let i = 0; i < 300; i++) {
    const ts = NOW + i;
    s.addAlert(alert(`ev-${i}`, ts));
    s.defer(ts, () => {
      s.devices.upsert({ mac: deviceMac(i % 200), tsUs: ts });
      s.devices.recordTrust({ mac: deviceMac(i % 200), tsUs: ts, score: 60, behavioral: 60, vulnerability: 80, reputation: 80, level: 'warning', explanation: [] });
      s.actions.audit({ tsUs: ts, actor: 'admin', action: 'test.evidence', target: String(i), reason: null, detail: null });
    });
  }
  s.flush();
  s.actions.create({ tsUs: NOW, kind: 'quarantine', state: 'active', mac: deviceMac(7), ip: null, reason: 'kept', alertId: null, actor: 'admin', expiresUs: null, dryRun: false });
  const before = { alerts: count(s, 'alerts'), audit: count(s, 'audit_log'), trust: count(s, 'trust_history'), actions: count(s, 'actions') };
  // then what an attacker can create: flows and a flood of devices seen once, far past the cap
  let maxSeen = 0;
  for (let i = 1; i <= 40_000; i++) {
    const ts = NOW + 1_000_000 + i * 1000;
    s.addFlow(makeFlow(i, ts));
    const mac = `02:ee:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:01`;
    s.defer(ts, () => {
      s.devices.upsert({ mac, tsUs: ts });
      s.devices.addAddress(mac, `10.200.${(i >> 8) & 255}.${i & 255}`, ts, 'arp');
    });
    if (i % 1000 === 0) {
      const z = s.size();
      maxSeen = Math.max(maxSeen, z.fileBytes + z.walBytes);
    }
  }
  s.flush();
  t.ok(maxSeen <= cap, `file + WAL peaked at ${(maxSeen / 1048576).toFixed(2)} MiB (cap ${capMB} MiB)`);
  t.same({ alerts: count(s, 'alerts'), audit: count(s, 'audit_log'), trust: count(s, 'trust_history'), actions: count(s, 'actions') }, before, 'every evidence row is kept');
  const ev = s.stats().capEvictions;
  t.ok((ev.flows ?? 0) > 0, `flows evicted (${ev.flows})`);
  t.ok((ev.devices ?? 0) > 0, `devices seen once evicted (${ev.devices})`);
  t.equal(ev.alerts, undefined);
  t.equal(ev.audit_log, undefined);
  t.equal(ev.trust_history, undefined);
  for (let d = 0; d < 200; d++) t.ok(s.devices.get(deviceMac(d)), `device ${d} with trust history kept`);
  t.equal(s.overCap, false);
  t.same(s.integrityCheck(), ['ok']);
  s.close();
});

t.test('when the evidence alone outgrows the cap, it is kept and the store says so once', async (t) => {
  const logs: string[] = [];
  const s = Store.open({ path: join(dir, 'over.db'), maxSizeMB: 1, batchSize: 500, log: (m) => logs.push(m) });
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 1500; i++) s.addAlert({ ...alert(`big-${i}`, NOW + i), signature: big });
  s.flush();
  t.equal(count(s, 'alerts'), 1500, 'no alert deleted to make room');
  t.equal(s.overCap, true);
  t.equal(s.stats().overCap, true);
  t.equal(logs.filter((m) => m.includes('the evidence alone')).length, 1, 'said once');
  s.close();
});

t.test('store.maxDevices: the shortest-lived unprotected devices go first, never one that carries evidence or a decision', async (t) => {
  const s = Store.open({ path: join(dir, 'devcap.db'), maxDevices: 100, maxAddressesPerDevice: 4, batchSize: 10_000, log: () => {} });
  const HOUR = 3_600_000_000;
  const mac = (p: string, i: number): string => `02:${p}:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
  // 40 established devices, seen over a day; 10 protected ones seen once (alert, trust, action, label, type, scan)
  s.defer(NOW, () => {
    for (let i = 0; i < 40; i++) {
      s.devices.upsert({ mac: mac('aa', i), tsUs: NOW - 24 * HOUR });
      s.devices.upsert({ mac: mac('aa', i), tsUs: NOW });
    }
    for (let i = 0; i < 10; i++) s.devices.upsert({ mac: mac('bb', i), tsUs: NOW - 48 * HOUR });
    s.devices.recordTrust({ mac: mac('bb', 0), tsUs: NOW, score: 70, behavioral: 70, vulnerability: 100, reputation: 100, level: 'warning', explanation: [] });
    s.devices.setLabel(mac('bb', 1), 'printer');
    s.devices.setType(mac('bb', 2), 'camera');
    s.actions.create({ tsUs: NOW, kind: 'quarantine', state: 'active', mac: mac('bb', 3), ip: null, reason: 'r', alertId: null, actor: 'admin', expiresUs: null, dryRun: false });
    s.registry.startScan('10.0.0.4', mac('bb', 4), NOW);
  });
  s.addAlert({ ...alert('dev-alert', NOW), srcMac: mac('bb', 5) });
  s.flush();
  // a router-like device claiming many addresses keeps the 4 it used last
  s.defer(NOW, () => {
    for (let k = 0; k < 10; k++) s.devices.addAddress(mac('aa', 0), `10.1.0.${k}`, NOW + k, 'arp');
  });
  s.flush();
  t.same(s.devices.addresses(mac('aa', 0)).map((a) => a.ip), ['10.1.0.9', '10.1.0.8', '10.1.0.7', '10.1.0.6'], 'the addresses used last are kept');
  t.equal(s.devices.evictions.device_addresses, 6);
  // then 5,000 spoofed MACs, each seen once
  for (let i = 0; i < 5000; i++) {
    s.defer(NOW + i, () => {
      s.devices.upsert({ mac: mac('cc', i), tsUs: NOW + i });
      s.devices.addAddress(mac('cc', i), `10.2.${i >> 8}.${i & 255}`, NOW + i, 'arp');
    });
    if (i % 1000 === 999) s.flush();
  }
  s.flush();
  t.equal(s.devices.count(), 100, 'the device table is at its cap');
  for (let i = 0; i < 40; i++) t.ok(s.devices.get(mac('aa', i)), `established device ${i} kept`);
  for (let i = 0; i < 6; i++) t.ok(s.devices.get(mac('bb', i)), `protected device ${i} kept`);
  t.equal(s.devices.get(mac('bb', 6)), undefined, 'an unprotected device seen once two days ago is not protected by its age');
  t.equal(s.devices.evictions.devices, 50 + 5000 - 100 + 0, 'every eviction counted');
  t.same(s.stats().countEvictions, s.devices.evictions);
  const orphans = s.db.prepare('SELECT count(*) AS n FROM device_addresses WHERE mac NOT IN (SELECT mac FROM devices)').get() as { n: number };
  t.equal(orphans.n, 0, 'addresses go with their device');
  // the newest spoofed MACs are the ones left
  t.ok(s.devices.get(mac('cc', 4999)), 'the newest of equal lifetime stays');
  t.equal(s.devices.get(mac('cc', 0)), undefined, 'the oldest of equal lifetime went');
  s.close();
});
