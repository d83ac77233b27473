import t from 'tap';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, checkStoreFile, type CommitReport } from './db.js';
import { SCHEMA_VERSION } from './migrations.js';
import { APPLICATION_ID } from './open-check.js';
import { decodeDetail, encodeDetail } from './flows.js';
import { Bus } from '../bus.js';
import type { Alert } from '../detectors/alert.js';
import type { AnomalyEvent } from '../models/anomaly.js';
import { makeFlow, deviceMac, GATEWAY_MAC } from '../../test/support/store-flows.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-db-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = (extra: Partial<Parameters<typeof Store.open>[0]> = {}): Store =>
  Store.open({ path: join(dir, `s${++n}.db`), log: () => {}, ...extra });

const T0 = 1_750_000_000_000_000;

function alert(i: number, tsUs: number): Alert {
  return {
    id: `scan.port.vertical:10.99.0.${i}:${tsUs}`,
    tsUs,
    kind: 'scan.port.vertical',
    signature: `Vertical port scan of 10.99.1.${i}`,
    severity: 2,
    confidence: 0.8,
    srcIp: `10.99.0.${i}`,
    srcMac: deviceMac(i),
    targets: [`10.99.1.${i}`],
    destPort: null,
    proto: 'TCP',
    evidence: [{ text: '1000 ports probed', flowIds: [1, 2], count: 1000 }],
    suggestedResponse: 'monitor',
  };
}

t.test('flows round-trip field by field and feed the hourly rollups', async (t) => {
  const s = open({ batchSize: 10_000 });
  const flows = Array.from({ length: 300 }, (_, i) => makeFlow(i + 1, T0 + i * 20_000_000));
  for (const f of flows) s.addFlow(f);
  s.flush();
  t.equal(s.flows.count(), 300);
  const back = s.flows.query({ limit: 1000 }).reverse();
  for (let i = 0; i < flows.length; i++) {
    const { detail, id, ...cols } = back[i]!;
    const f = flows[i]!;
    t.ok(id > 0);
    const expect = { ...f } as Record<string, unknown>;
    for (const k of Object.keys(detail)) delete expect[k];
    delete expect.ipVersion;
    t.same({ ...cols }, expect, `flow ${i + 1} columns`);
    t.same(detail.dns, f.dns);
    t.same(detail.flagCountsToClient, f.flagCountsToClient);
    t.equal(detail.iat.mean, Math.round(f.iat.mean));
    t.same(detail.pktLenToClient, { ...f.pktLenToClient, mean: Math.round(f.pktLenToClient.mean), std: Math.round(f.pktLenToClient.std) });
    t.equal(detail.vlan.length, f.vlan.length);
    if (i > 5) break; // the remaining rows are checked through the rollups below
  }
  // rollups: per device, the sum over its flows, both as originator and as responder
  const mac = deviceMac(3);
  const mine = flows.filter((f) => f.srcMac === mac);
  const r = s.flows.rollups(mac, 0, Number.MAX_SAFE_INTEGER);
  t.equal(r.reduce((a, x) => a + x.flowsOrig, 0), mine.length);
  t.equal(r.reduce((a, x) => a + x.bytesOut, 0), mine.reduce((a, f) => a + f.bytesToServer, 0));
  t.equal(r.reduce((a, x) => a + x.bytesIn, 0), mine.reduce((a, f) => a + f.bytesToClient, 0));
  t.equal(r.reduce((a, x) => a + x.rejected, 0), mine.filter((f) => f.connState === 'REJ' || f.connState === 'S0').length);
  const gw = s.flows.rollups(GATEWAY_MAC, 0, Number.MAX_SAFE_INTEGER);
  t.equal(gw.reduce((a, x) => a + x.flowsResp, 0), 300, 'the responder side is rolled up too');
  t.ok(r.every((x) => x.hourUs % 3_600_000_000 === 0));
  // filters and keyset paging
  const page1 = s.flows.query({ mac, limit: 10 });
  const page2 = s.flows.query({ mac, limit: 10, beforeId: page1[9]!.id });
  t.equal(page1.length, 10);
  t.ok(page2[0]!.id < page1[9]!.id);
  t.ok(s.flows.query({ connState: 'REJ' }).every((f) => f.connState === 'REJ'));
  s.close();
});

t.test('the queue commits every batchSize items or flushIntervalMs of packet time', async (t) => {
  const reports: CommitReport[] = [];
  const s = open({ batchSize: 100, flushIntervalMs: 1000, onCommit: (r) => reports.push(r) });
  for (let i = 1; i <= 250; i++) s.addFlow(makeFlow(i, T0 + i)); // all within 1 ms
  t.equal(reports.length, 2, 'two full batches');
  t.equal(s.queue.depth, 50);
  s.tick(T0 + 201 + 999_999); // the oldest waiting flow ended at T0 + 201
  t.equal(reports.length, 2, 'not yet a second old');
  s.tick(T0 + 201 + 1_000_000);
  t.equal(reports.length, 3, 'flushed by packet time');
  t.equal(s.flows.count(), 250);
  // alerts report their ids only after commit; a duplicate id keeps the first row
  s.addAlert(alert(1, T0 + 2_000_000));
  s.addAlert({ ...alert(1, T0 + 2_000_000), signature: 'changed' });
  t.equal(s.alerts.query().length, 0, 'not committed yet');
  const r = s.flush()!;
  t.same(r.alertIds, [alert(1, T0 + 2_000_000).id, alert(1, T0 + 2_000_000).id]);
  t.equal(s.alerts.query().length, 1);
  t.equal(s.alerts.get(alert(1, T0 + 2_000_000).id)!.signature, 'Vertical port scan of 10.99.1.1');
  t.same(s.alerts.get(alert(1, T0 + 2_000_000).id)!.evidence, alert(1, 0).evidence);
  t.equal(s.flush(), null, 'nothing queued');
  s.close();
});

t.test('a locked file keeps the batch queued, drops beyond maxQueue and counts; the lock released, it commits', async (t) => {
  const s = open({ batchSize: 50, maxQueue: 120 });
  s.db.pragma('busy_timeout = 20');
  const other = new Database(s.path);
  other.exec('BEGIN IMMEDIATE'); // another writer holds the write lock
  for (let i = 1; i <= 200; i++) s.addFlow(makeFlow(i, T0 + i));
  t.equal(s.queue.depth, 120);
  t.equal(s.stats().dropped.flow, 80);
  t.ok(s.stats().flushErrors >= 1);
  t.match(s.stats().lastError, /locked|busy/i);
  other.exec('ROLLBACK');
  other.close();
  s.flush();
  t.equal(s.flows.count(), 120, 'everything kept was committed');
  s.close();
});

t.test('a bad deferred write is rejected alone; the rest of its batch commits', async (t) => {
  const s = open({ batchSize: 1000 });
  s.addFlow(makeFlow(1, T0));
  s.defer(T0, (db) => db.prepare('INSERT INTO no_such_table VALUES (1)').run());
  s.addFlow(makeFlow(2, T0 + 1));
  const r = s.flush()!;
  t.equal(r.rejected, 1);
  t.equal(r.flows, 2);
  t.equal(s.flows.count(), 2);
  t.equal(s.flows.rollups(deviceMac(1), 0, Number.MAX_SAFE_INTEGER)[0]!.flowsOrig, 1, 'rollups counted once');
  s.close();
});

t.test('bus events reach the store', async (t) => {
  const s = open({ batchSize: 1000 });
  const bus = new Bus(() => {});
  const off = s.attach(bus);
  bus.emit('flow.end', makeFlow(1, T0));
  bus.emit('alert', alert(2, T0));
  const ev: AnomalyEvent = {
    tsUs: T0,
    flowId: 1,
    communityId: '1:x',
    srcIp: '10.99.0.2',
    dstIp: '10.99.1.1',
    dstPort: 443,
    proto: 'TCP',
    score: 0.97,
    models: [{ name: 'autoencoder', raw: 0.3, calibrated: 0.97 }],
    threshold: 0.9,
    alert: true,
    modelId: 'default-2026-01-01',
  };
  bus.emit('anomaly', ev);
  off();
  bus.emit('flow.end', makeFlow(3, T0));
  s.flush();
  t.equal(s.flows.count(), 1);
  t.equal(s.alerts.query().length, 1);
  const a = s.alerts.anomalies({ onlyAlerts: true });
  t.equal(a.length, 1);
  t.same({ ...a[0], id: undefined }, { ...ev, id: undefined });
  s.close();
  // 'alerts' keeps only the events at the threshold
  const s2 = open({ anomalyEvents: 'alerts' });
  const bus2 = new Bus(() => {});
  s2.attach(bus2);
  bus2.emit('anomaly', ev);
  bus2.emit('anomaly', { ...ev, flowId: 2, score: 0.1, alert: false });
  s2.flush();
  t.same(s2.alerts.anomalies().map((x) => x.flowId), [1]);
  s2.close();
});

t.test('devices, addresses and trust history', async (t) => {
  const s = open();
  const mac = deviceMac(7);
  s.devices.upsert({ mac, tsUs: 200, vendor: 'Acme' });
  s.devices.upsert({ mac, tsUs: 100, hostname: 'cam-7' }); // out of order: first_seen moves back only
  s.devices.upsert({ mac, tsUs: 300 });
  s.devices.addAddress(mac, '10.99.0.17', 100, 'dhcp');
  s.devices.addAddress(mac, '10.99.0.18', 500, 'arp');
  s.devices.recordTrust({ mac, tsUs: 400, score: 62, behavioral: 50, vulnerability: 80, reputation: 60, level: 'warning', explanation: [{ factor: 'behavioral', delta: -20, text: 'port scan' }] });
  const d = s.devices.get(mac)!;
  t.same([d.firstSeenUs, d.lastSeenUs, d.hostname, d.vendor, d.trustScore, d.trustLevel], [100, 300, 'cam-7', 'Acme', 62, 'warning']);
  t.same(s.devices.addresses(mac).map((a) => a.ip), ['10.99.0.18', '10.99.0.17']);
  t.equal(s.devices.macForIp('10.99.0.17'), mac);
  t.equal(s.devices.macForIp('10.99.0.18', 400), undefined, 'not yet used at 400');
  t.equal(s.devices.trustHistory(mac)[0]!.explanation[0]!.text, 'port scan');
  t.equal(s.devices.query({ search: 'CAM' }).length, 1);
  t.equal(s.devices.query({ search: '%' }).length, 0, 'LIKE wildcards are literal');
  t.ok(s.devices.setLabel(mac, 'Front door'));
  t.equal(s.devices.query({ trustLevel: 'warning' })[0]!.label, 'Front door');
  // deferred sightings commit with the next batch
  s.defer(600, () => s.devices.upsert({ mac: deviceMac(8), tsUs: 600 }));
  t.equal(s.devices.count(), 1);
  s.flush();
  t.equal(s.devices.count(), 2);
  s.close();
});

t.test('mayHold: no for a MAC never stored, yes once stored, no again after the cap evicted it; kept across a reopen', async (t) => {
  const path = join(dir, `s${++n}.db`);
  const s = Store.open({ path, log: () => {}, maxDevices: 16 });
  const mac = (i: number) => `02:f1:00:00:00:${i.toString(16).padStart(2, '0')}`;
  t.notOk(s.devices.mayHold(mac(1)), 'an empty table holds nothing');
  s.devices.upsert({ mac: mac(1), tsUs: 100 });
  s.devices.upsert({ mac: mac(1), tsUs: 500 }); // lifetime 400: outlives the ones below
  t.ok(s.devices.mayHold(mac(1)));
  for (let i = 2; i <= 20; i++) s.devices.upsert({ mac: mac(i), tsUs: 200 + i });
  t.equal(s.devices.enforceCap(), 4, 'four of the devices seen once go');
  const kept = new Set(s.db.prepare('SELECT mac FROM devices').pluck().all() as string[]);
  t.equal(kept.size, 16);
  for (let i = 1; i <= 20; i++) t.equal(s.devices.mayHold(mac(i)), kept.has(mac(i)), `${mac(i)} ${kept.has(mac(i)) ? 'kept' : 'evicted'}`);
  t.ok(kept.has(mac(1)), 'the device seen twice is kept');
  s.close();
  const again = Store.open({ path, log: () => {}, maxDevices: 16 });
  for (let i = 1; i <= 20; i++) t.equal(again.devices.mayHold(mac(i)), kept.has(mac(i)), 'the same after a reopen');
  // a row written by another connection is found once the store reads the table again
  const other = new Database(path);
  other.prepare("INSERT INTO devices (mac, first_seen_us, last_seen_us) VALUES ('02:f1:00:00:01:00', 1, 1)").run();
  other.close();
  again.devices.resync();
  t.ok(again.devices.mayHold('02:f1:00:00:01:00'));
  again.close();
});

t.test('actions move only from the state they are in; the audit log records who and why', async (t) => {
  const s = open();
  const id = s.actions.create({ tsUs: 10, kind: 'quarantine', state: 'pending', mac: deviceMac(1), ip: '10.99.0.11', reason: 'trust 12', alertId: null, actor: 'system', expiresUs: 1000, dryRun: true });
  t.ok(s.actions.transition(id, 'pending', 'active', 20));
  t.notOk(s.actions.transition(id, 'pending', 'denied', 21), 'a second approver loses');
  t.same(s.actions.due(999), []);
  t.equal(s.actions.due(1000)[0]!.id, id);
  t.equal(s.actions.get(id)!.dryRun, true);
  t.equal(s.actions.get(id)!.updatedUs, 20);
  const aid = s.actions.audit({ tsUs: 20, actor: 'admin', action: 'action.approve', target: String(id), reason: 'confirmed', detail: { via: 'web' } });
  s.actions.audit({ tsUs: 30, actor: 'system', action: 'action.expire', target: String(id), reason: null, detail: null });
  t.same(s.actions.auditLog({ actionPrefix: 'action.appr' }).map((a) => a.id), [aid]);
  t.same(s.actions.auditLog({ actor: 'admin' })[0]!.detail, { via: 'web' });
  t.equal(s.actions.query({ state: 'active' }).length, 1);
  s.close();
});

t.test('web users, sessions and API tokens', async (t) => {
  const s = open();
  const uid = s.auth.createUser('admin', 'scrypt$hash', 'admin', 1);
  t.throws(() => s.auth.createUser('admin', 'x', 'viewer', 2), /UNIQUE/);
  s.auth.createSession({ idHash: 'h1', userId: uid, createdUs: 10, lastSeenUs: 10, expiresUs: 100 });
  t.equal(s.auth.session('h1', 50)?.userId, uid);
  t.equal(s.auth.session('h1', 100), undefined, 'expired');
  t.ok(s.auth.touchSession('h1', 60, 200));
  t.equal(s.auth.session('h1', 150)?.lastSeenUs, 60);
  const tid = s.auth.createToken(uid, 'grafana', 'th1', 5, { scope: 'read', expiresUs: null });
  t.equal(s.auth.useToken('th1', 77)?.name, 'grafana');
  t.equal(s.auth.tokens(uid)[0]!.lastUsedUs, 77);
  t.ok(s.auth.revokeToken(tid));
  t.equal(s.auth.useToken('th1', 78), undefined);
  t.ok(s.auth.setPassword(uid, 'scrypt$new'));
  t.equal(s.auth.session('h1', 150), undefined, 'a new password ends sessions');
  t.ok(s.auth.deleteUser(uid));
  t.same(s.auth.users(), []);
  s.close();
});

t.test('scans, model registry, settings', async (t) => {
  const s = open();
  const sid = s.registry.startScan('10.99.0.5', deviceMac(5), 10);
  t.ok(s.registry.finishScan(sid, 20, 'done', [{ port: 23, proto: 'tcp' }], [{ id: 'telnet-open' }], 40));
  t.same(s.registry.scans({ mac: deviceMac(5) })[0]!.openPorts, [{ port: 23, proto: 'tcp' }]);
  const m = { id: 'default-1', name: 'default', createdUs: 1, featureSchema: 1, threshold: 0.9, path: 'models/default', metrics: { auc: 0.97 }, active: true };
  s.registry.putModel(m);
  s.registry.putModel({ ...m, id: 'default-2', createdUs: 2 });
  t.equal(s.registry.activeModel()!.id, 'default-2', 'activating one deactivates the other');
  t.ok(s.registry.activateModel('default-1'));
  t.notOk(s.registry.activateModel('nope'));
  t.same(s.registry.activeModel()!.metrics, { auc: 0.97 });
  s.registry.setSetting('respond.mode', 'approval', 3);
  s.registry.setSetting('respond.mode', 'auto', 4);
  t.same(s.registry.settings(), { 'respond.mode': 'auto' });
  t.equal(s.registry.setting('missing'), undefined);
  s.close();
});

t.test('integrity check of a closed file, read-only', async (t) => {
  const s = open();
  s.addFlow(makeFlow(1, T0));
  const path = s.path;
  s.close();
  s.close(); // twice is fine
  const r = checkStoreFile(path);
  t.same(r, { ok: true, schemaVersion: SCHEMA_VERSION, messages: ['ok'], applicationId: APPLICATION_ID });
  t.throws(() => checkStoreFile(join(dir, 'missing.db')));
});

t.test('the detail blob survives awkward strings and degenerate statistics', async (t) => {
  const f = {
    ...makeFlow(7, T0),
    dns: { qname: 'a"b\\c\u0001.\u00e9xample', qtype: 16, rcode: 3, answers: ['"txt"', '\u2028'] },
    tlsSni: 'sni"\\',
    httpHost: '',
    iat: { count: 0, min: 0, max: 0, mean: Number.NaN, std: Number.POSITIVE_INFINITY },
  };
  const d = decodeDetail(encodeDetail(f));
  t.same(d.dns, f.dns);
  t.equal(d.tlsSni, f.tlsSni);
  t.equal(d.httpHost, '', 'an empty host is not taken for null');
  t.same(d.iat, { count: 0, min: 0, max: 0, mean: 0, std: 0 });
  t.throws(() => decodeDetail('[2]'), /layout 2/);
});
