/**
 * Route tests of the JSON API (/api/v1): every endpoint with a session (and its CSRF token) or an API token,
 * unauthenticated access, wrong CSRF tokens, bad input and the viewer role — checking the store to see that a
 * refused request changed nothing. Real store on a temporary file, real bus, a store-backed action service.
 */
import t from 'tap';
import type { Alert } from '../src/detectors/alert.js';
import { setUserPassword } from '../src/web/password.js';
import { sha256Hex } from '../src/web/session.js';
import { webApp } from '../src/web/server.js';
import { makeFlow } from './support/store-flows.js';
import { incidentId } from '../src/incidents/index.js';
import { buildWebDeps, WebClient, type TestWeb } from './support/web-deps.js';
import { initTf } from '../src/models/tf-backend.js';
import { syntheticBenign } from './support/flow-records.js';

const PASSWORD = 'correct horse battery';
const MAC1 = '02:00:00:00:00:01';
const MAC2 = '02:00:00:00:00:02';
const T0 = 1_763_700_000_000_000; // µs
/** the incident of MAC1's alerts (2, 4, 6): ids are stable, kind + key + first µs */
const INC1 = incidentId('scan.port.vertical', `scan.port.vertical|${MAC1}|10.99.0.200`, T0 + 2_000_000);

function alert(i: number, o: Partial<Alert> = {}): Alert {
  return {
    id: `scan.port.vertical:10.99.0.${i}:${T0 + i}`,
    tsUs: T0 + i * 1_000_000,
    kind: 'scan.port.vertical',
    signature: `Vertical port scan ${i}`,
    severity: ((i % 3) + 1) as 1 | 2 | 3,
    confidence: 0.9,
    srcIp: `10.99.0.${i}`,
    srcMac: i % 2 === 0 ? MAC1 : MAC2,
    targets: ['10.99.0.200'],
    destPort: null,
    proto: 'tcp',
    evidence: [{ text: `${i} ports` }],
    suggestedResponse: 'monitor',
    ...o,
  };
}

async function fixture(t: { teardown(fn: () => void): void }): Promise<{ w: TestWeb; app: ReturnType<typeof webApp>; admin: WebClient; viewer: WebClient }> {
  const w = buildWebDeps({ nowUs: () => T0 + 3_600_000_000 });
  t.teardown(() => w.close());
  const s = w.store;
  s.devices.upsert({ mac: MAC1, tsUs: T0, hostname: 'camera', vendor: 'Acme' });
  s.devices.upsert({ mac: MAC2, tsUs: T0 + 10, hostname: 'laptop', vendor: 'Other' });
  s.devices.addAddress(MAC1, '10.99.0.2', T0, 'dhcp');
  s.devices.recordTrust({ mac: MAC1, tsUs: T0 + 5, score: 40, behavioral: 30, vulnerability: 50, reputation: 60, level: 'alert', explanation: [{ factor: 'behavioral', delta: -20, text: 'scan' }] });
  s.devices.recordTrust({ mac: MAC2, tsUs: T0 + 5, score: 90, behavioral: 90, vulnerability: 90, reputation: 90, level: 'normal', explanation: [] });
  s.registry.startScan('10.99.0.2', MAC1, T0);
  // through the bus, as the pipeline does: stored, and folded into one incident per device
  for (let i = 1; i <= 6; i++) w.bus.emit('alert', alert(i));
  for (let i = 1; i <= 12; i++) s.addFlow(makeFlow(i, T0 + i * 1_000_000, 4));
  s.flush();
  await setUserPassword(s, { username: 'admin', password: PASSWORD, role: 'admin', actor: 'test', tsUs: 1 });
  await setUserPassword(s, { username: 'viewer', password: PASSWORD, role: 'viewer', actor: 'test', tsUs: 1 });
  const app = webApp(w.deps, { log: () => {} });
  const admin = new WebClient(app);
  const viewer = new WebClient(app, '192.0.2.11');
  for (const [c, u] of [[admin, 'admin'], [viewer, 'viewer']] as const) {
    if ((await c.login(u, PASSWORD)).status !== 303) throw new Error(`${u} cannot sign in`);
  }
  return { w, app, admin, viewer };
}

const counts = (w: TestWeb) => ({
  audit: w.store.actions.auditLog({ limit: 1000 }).length,
  actions: w.store.actions.query({ limit: 1000 }).length,
  tokens: w.store.auth.tokens().length,
  labels: w.store.devices.query().map((d) => d.label),
  acked: w.store.alerts.query({ acknowledged: true }).length,
  incidentsAcked: w.store.incidents.count({ acknowledged: true }),
  mutes: JSON.stringify(w.store.registry.setting('alerts.mutes') ?? []),
  allow: w.actions.allowListEntries().length,
  training: w.models.state === 'training',
  models: w.store.registry.models().length,
});

/** every write endpoint with a valid body, for the refusal tests */
const WRITES: [string, string, unknown][] = [
  ['PATCH', `/api/v1/devices/${MAC1}`, { label: 'x' }],
  ['POST', `/api/v1/alerts/${encodeURIComponent(alert(1).id)}/ack`, {}],
  ['POST', `/api/v1/incidents/${INC1}/ack`, {}],
  ['POST', `/api/v1/incidents/${INC1}/mute`, {}],
  ['POST', '/api/v1/actions', { kind: 'quarantine', mac: MAC1, reason: 'r' }],
  ['POST', '/api/v1/actions/1/release', {}],
  ['POST', '/api/v1/actions/1/approve', {}],
  ['POST', '/api/v1/actions/1/deny', {}],
  ['POST', '/api/v1/allow-list', { entry: MAC2 }],
  ['POST', '/api/v1/models/retrain', {}],
  ['POST', '/api/v1/tokens', { name: 'ci' }],
  ['DELETE', '/api/v1/tokens/1', undefined],
];
const READS = ['/api/v1/devices', `/api/v1/devices/${MAC1}`, '/api/v1/alerts', '/api/v1/incidents', `/api/v1/incidents/${INC1}`, '/api/v1/flows', '/api/v1/actions', '/api/v1/allow-list', '/api/v1/models', '/api/v1/health', '/api/v1/tokens'];

t.test('every endpoint refuses a request without credentials (401) and changes nothing', async (t) => {
  const { w, app } = await fixture(t);
  w.store.actions.create({ tsUs: T0, kind: 'quarantine', state: 'pending', mac: MAC2, ip: null, reason: 'p', alertId: null, actor: 'system', expiresUs: null, dryRun: true });
  const before = counts(w);
  const anon = new WebClient(app);
  for (const p of READS) t.equal((await anon.request(p)).status, 401, `GET ${p}`);
  for (const [method, p, json] of WRITES) t.equal((await anon.request(p, { method, json })).status, 401, `${method} ${p}`);
  t.same(counts(w), before);
});

t.test('every write refuses a wrong or missing CSRF token (403) and changes nothing', async (t) => {
  const { w, admin } = await fixture(t);
  w.store.actions.create({ tsUs: T0, kind: 'quarantine', state: 'pending', mac: MAC2, ip: null, reason: 'p', alertId: null, actor: 'system', expiresUs: null, dryRun: true });
  const before = counts(w);
  for (const [method, p, json] of WRITES) {
    t.equal((await admin.request(p, { method, json, csrf: false })).status, 403, `${method} ${p} without token`);
    const res = await admin.request(p, { method, json, csrf: 'A'.repeat(43) });
    t.equal(res.status, 403, `${method} ${p} with a wrong token`);
    t.match(await res.json(), { error: /CSRF/ });
  }
  t.same(counts(w), before);
  t.equal(w.store.actions.get(1)!.state, 'pending');
});

t.test('viewer: every read allowed, every write refused (403), nothing changed', async (t) => {
  const { w, viewer } = await fixture(t);
  w.store.actions.create({ tsUs: T0, kind: 'quarantine', state: 'pending', mac: MAC2, ip: null, reason: 'p', alertId: null, actor: 'system', expiresUs: null, dryRun: true });
  const before = counts(w);
  for (const p of READS) t.equal((await viewer.request(p)).status, 200, `GET ${p}`);
  for (const [method, p, json] of WRITES) t.equal((await viewer.request(p, { method, json })).status, 403, `${method} ${p}`);
  t.same(counts(w), before);
});

t.test('devices: list, filters, one device, label', async (t) => {
  const { w, admin } = await fixture(t);
  let body = (await (await admin.request('/api/v1/devices')).json()) as { devices: { mac: string; ip: string | null }[] };
  t.same(body.devices.map((d) => d.mac).sort(), [MAC1, MAC2]);
  w.store.devices.addAddress(MAC1, '10.99.0.9', T0 + 100, 'arp');
  body = (await (await admin.request('/api/v1/devices?sort=mac')).json()) as typeof body;
  t.same(body.devices.map((d) => d.ip), ['10.99.0.9', null], 'each device with the address it used most recently (none seen: null)');
  t.match((body.devices as unknown as { type: unknown }[]).map((d) => d.type), [
    { type: 'camera', source: 'guess', because: 'hostname camera' },
    { type: 'laptop', source: 'guess', because: 'hostname laptop' },
  ], 'and what kind of device it is');
  body = (await (await admin.request('/api/v1/devices?search=CAM')).json()) as typeof body;
  t.same(body.devices.map((d) => d.mac), [MAC1], 'search is case-insensitive');
  body = (await (await admin.request('/api/v1/devices?level=normal')).json()) as typeof body;
  t.same(body.devices.map((d) => d.mac), [MAC2]);
  body = (await (await admin.request('/api/v1/devices?sort=trust&limit=1')).json()) as typeof body;
  t.same(body.devices.map((d) => d.mac), [MAC1], 'least trusted first');
  body = (await (await admin.request('/api/v1/devices?sort=trust&limit=1&offset=1')).json()) as typeof body;
  t.same(body.devices.map((d) => d.mac), [MAC2]);
  for (const q of ['level=bogus', 'limit=0', 'limit=5000', 'limit=abc', 'offset=-1', 'sort=name', 'colour=red', `search=${'x'.repeat(101)}`]) {
    const res = await admin.request(`/api/v1/devices?${q}`);
    t.equal(res.status, 400, q);
    t.type(((await res.json()) as { error: string }).error, 'string');
  }

  const res = await admin.request(`/api/v1/devices/${MAC1.toUpperCase().replaceAll(':', '-')}`);
  t.equal(res.status, 200, 'MAC in any case and with dashes');
  const d = (await res.json()) as Record<string, unknown[]> & { device: { mac: string } };
  t.equal(d.device.mac, MAC1);
  t.equal((d.device as unknown as { ip: string }).ip, '10.99.0.9', 'one device carries its address too');
  const devAlerts = d.alerts as { severity: 1 | 2 | 3; severityName: string }[];
  t.same(devAlerts.map((a) => a.severityName), devAlerts.map((a) => ({ 1: 'high', 2: 'medium', 3: 'low' })[a.severity]), 'its alerts name their severity');
  t.equal(d.addresses!.length, 2);
  t.equal(d.trustHistory!.length, 1);
  t.equal(d.alerts!.length, 3, 'alerts of this MAC');
  t.equal(d.scans!.length, 1);
  t.same(d.actions, []);
  t.equal((await admin.request('/api/v1/devices/02:00:00:00:00:99')).status, 404);
  t.equal((await admin.request('/api/v1/devices/not-a-mac')).status, 400);

  const before = counts(w);
  for (const json of [{ label: 'a\u0007b' }, { label: 'x'.repeat(65) }, { label: 5 }, {}, { label: 'ok', extra: 1 }]) {
    t.equal((await admin.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', json })).status, 400, JSON.stringify(json).slice(0, 40));
  }
  t.equal((await admin.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', body: '{bad json', headers: { 'content-type': 'application/json' } })).status, 400);
  t.equal((await admin.request('/api/v1/devices/02:00:00:00:00:99', { method: 'PATCH', json: { label: 'x' } })).status, 404);
  t.same(counts(w), before, 'refused label changes changed nothing');

  const ok = await admin.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', json: { label: '  Front door camera ' } });
  t.equal(ok.status, 200);
  t.equal(((await ok.json()) as { device: { label: string } }).device.label, 'Front door camera');
  t.equal(w.store.devices.get(MAC1)!.label, 'Front door camera');
  const a = w.store.actions.auditLog({ actionPrefix: 'device.label' })[0]!;
  t.match(a, { actor: 'admin', target: MAC1, detail: { from: null, to: 'Front door camera' } });
  t.equal((await admin.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', json: { label: null } })).status, 200);
  t.equal(w.store.devices.get(MAC1)!.label, null, 'null removes the label');
});

t.test('alerts: filters, paging, acknowledge', async (t) => {
  const { w, admin } = await fixture(t);
  const get = async (q: string) => (await (await admin.request(`/api/v1/alerts${q}`)).json()) as { alerts: Alert[]; next: string | null };
  t.equal((await get('')).alerts.length, 6);
  t.same((await get('?severity=1')).alerts.map((a) => a.severity), [1, 1], 'severity 1: high only');
  t.same((await get('?severity=high')).alerts.map((a) => a.severity), [1, 1], 'severity=high is the same filter');
  t.same((await get('?severity=medium')).alerts.map((a) => a.severity).sort(), [1, 1, 2, 2], 'medium: medium and high');
  const words = (await get('')).alerts as (Alert & { severityName: string })[];
  t.same(words.map((a) => a.severityName), words.map((a) => ({ 1: 'high', 2: 'medium', 3: 'low' })[a.severity]), 'every alert says its severity in words beside the number');
  t.equal((await get(`?mac=${MAC1}`)).alerts.length, 3);
  t.equal((await get('?ip=10.99.0.3')).alerts.length, 1);
  t.equal((await get(`?since=${T0 + 4_000_000}`)).alerts.length, 3, 'since in µs');
  t.equal((await get(`?since=${new Date((T0 + 4_000_000) / 1000).toISOString()}`)).alerts.length, 3, 'since as ISO 8601');
  t.equal((await get('?kind=dns.tunnel')).alerts.length, 0);
  const seen: string[] = [];
  let page = await get('?limit=4');
  seen.push(...page.alerts.map((a) => a.id));
  t.type(page.next, 'string');
  page = await get(`?limit=4&before=${page.next}`);
  seen.push(...page.alerts.map((a) => a.id));
  t.equal(page.next, null, 'last page');
  t.equal(new Set(seen).size, 6, 'two pages, every alert once');
  for (const q of ['severity=4', 'severity=urgent', 'kind=nope', 'mac=xyz', 'ip=10.0.0', 'since=yesterday', 'before=garbage', 'acknowledged=maybe', 'limit=-3']) {
    t.equal((await admin.request(`/api/v1/alerts?${q}`)).status, 400, q);
  }

  const id = alert(2).id;
  const path = `/api/v1/alerts/${encodeURIComponent(id)}/ack`;
  const before = counts(w);
  t.equal((await admin.request('/api/v1/alerts/nope/ack', { method: 'POST' })).status, 404);
  t.equal((await admin.request(path, { method: 'POST', json: { acknowledged: 'perhaps' } })).status, 400);
  t.same(counts(w), before);
  const res = await admin.request(path, { method: 'POST' });
  t.equal(res.status, 200);
  t.equal(((await res.json()) as { alert: { acknowledged: boolean } }).alert.acknowledged, true);
  t.equal(w.store.alerts.get(id)!.acknowledged, true);
  t.match(w.store.actions.auditLog({ actionPrefix: 'alert.ack' })[0], { actor: 'admin', target: id });
  t.equal((await get('?acknowledged=true')).alerts.length, 1);
  t.equal((await admin.request(path, { method: 'POST', json: { acknowledged: false } })).status, 200);
  t.equal(w.store.alerts.get(id)!.acknowledged, false);
});

t.test('incidents: filters with severity in words, paging, one incident with its alerts, acknowledge, mute', async (t) => {
  const { w, admin } = await fixture(t);
  type Inc = { id: string; severity: string; count: number; srcMac: string; acknowledged: boolean; muted: boolean; state: string };
  const get = async (q: string) => (await (await admin.request(`/api/v1/incidents${q}`)).json()) as { incidents: Inc[]; next: string | null };
  const all = await get('');
  t.equal(all.incidents.length, 2, 'six alerts of two devices: two incidents');
  t.ok(all.incidents.every((i) => ['low', 'medium', 'high', 'critical'].includes(i.severity)), 'severity as a word');
  t.same(all.incidents.map((i) => i.count), [3, 3]);
  t.equal((await get(`?mac=${MAC1}`)).incidents[0]!.id, INC1);
  t.equal((await get('?severity=critical')).incidents.length, 0);
  t.equal((await get('?severity=low&state=open')).incidents.length, 2);
  const p1 = await get('?limit=1');
  t.type(p1.next, 'string');
  const p2 = await get(`?limit=1&before=${p1.next}`);
  t.not(p2.incidents[0]!.id, p1.incidents[0]!.id, 'paging');
  for (const q of ['severity=2', 'severity=huge', 'state=maybe', 'kind=nope', 'mac=x', 'before=garbage', 'limit=0', 'muted=perhaps']) t.equal((await admin.request(`/api/v1/incidents?${q}`)).status, 400, q);
  const one = (await (await admin.request(`/api/v1/incidents/${INC1}`)).json()) as { incident: Inc; alerts: Alert[]; alertsStored: number };
  t.equal(one.alerts.length, 3, 'with its member alerts');
  t.equal(one.alertsStored, 3);
  t.equal((await admin.request('/api/v1/incidents/inc-nope')).status, 404);

  const before = counts(w);
  t.equal((await admin.request(`/api/v1/incidents/${INC1}/ack`, { method: 'POST', json: { acknowledged: 'perhaps' } })).status, 400);
  t.equal((await admin.request(`/api/v1/incidents/${INC1}/ack`, { method: 'POST', json: { other: 1 } })).status, 400);
  t.same(counts(w), before, 'refused requests change nothing');
  let res = await admin.request(`/api/v1/incidents/${INC1}/ack`, { method: 'POST' });
  t.equal(res.status, 200);
  t.equal(((await res.json()) as { incident: Inc }).incident.acknowledged, true);
  t.equal(w.store.alerts.query({ incidentId: INC1, acknowledged: true }).length, 3, 'its alerts are acknowledged with it');
  t.match(w.store.actions.auditLog({ actionPrefix: 'incident.ack' })[0], { actor: 'admin', target: INC1 });
  res = await admin.request(`/api/v1/incidents/${INC1}/mute`, { method: 'POST' });
  t.equal(((await res.json()) as { incident: Inc }).incident.muted, true);
  t.equal((await get('')).incidents.length, 1, 'a muted incident is left out of the list');
  t.equal((await get('?muted=any')).incidents.length, 2, 'unless asked for');
  t.match(w.store.registry.setting('alerts.mutes'), [{ mac: MAC1, kind: 'scan.port.vertical' }]);
  res = await admin.request(`/api/v1/incidents/${INC1}/mute`, { method: 'POST', json: { muted: false } });
  t.equal(((await res.json()) as { incident: Inc }).incident.muted, false);
  t.same(w.store.registry.setting('alerts.mutes'), []);
});

t.test('alerts whose ids hold wire data (spaces, slashes, %, unicode) are acknowledged through the API', async (t) => {
  const { w, admin } = await fixture(t);
  const ids = [
    `dns.tunnel:10.99.0.7:a b c.tunnel.example:${T0}`,
    `dns.tunnel:10.99.0.7:x/y%2Fz?#.example:${T0}`,
    `anomaly:1:AbC+/dEf=:${T0}:0`,
    `dns.tunnel:10.99.0.7:bücher\u00a0.example:${T0}`,
  ];
  for (const [i, id] of ids.entries()) w.store.alerts.insert(alert(20 + i, { id, kind: 'dns.tunnel' }));
  for (const id of ids) {
    const res = await admin.request(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST' });
    t.equal(res.status, 200, `${JSON.stringify(id)} acknowledged`);
    t.equal(w.store.alerts.get(id)?.acknowledged, true);
  }
  t.equal((await admin.request(`/api/v1/alerts/${encodeURIComponent('a\u0001b')}/ack`, { method: 'POST' })).status, 400, 'a control character is refused');
  t.equal((await admin.request('/api/v1/alerts/%E0%A4%A/ack', { method: 'POST' })).status < 500, true, 'a malformed escape is no 5xx');
});

t.test('urlSafeAlertId: ids that need no escaping, distinct and deterministic', async (t) => {
  const { urlSafeAlertId, isUrlSafeAlertId } = await import('../src/detectors/alert-id.js');
  const safe = 'scan.port.vertical:10.99.0.1:1700000000000000';
  t.equal(urlSafeAlertId(safe), safe, 'a safe id is kept');
  const a = urlSafeAlertId('dns.tunnel:10.0.0.5:a b.example:1');
  const b = urlSafeAlertId('dns.tunnel:10.0.0.5:a/b.example:1');
  t.ok(isUrlSafeAlertId(a) && isUrlSafeAlertId(b), `${a} and ${b} are URL-safe`);
  t.not(a, b, 'ids that differ only in unsafe characters stay distinct');
  t.equal(urlSafeAlertId('dns.tunnel:10.0.0.5:a b.example:1'), a, 'deterministic');
  t.equal(urlSafeAlertId(a), a, 'idempotent');
  t.equal(new URL(`http://x/api/v1/alerts/${a}/ack`).pathname, `/api/v1/alerts/${a}/ack`, 'nothing to escape in a path');
  t.ok(urlSafeAlertId('x'.repeat(500) + ' ').length <= 200, 'bounded length');
});

t.test('flows: filters and paging', async (t) => {
  const { admin } = await fixture(t);
  const get = async (q: string) => (await (await admin.request(`/api/v1/flows${q}`)).json()) as { flows: { id: number; srcMac: string; srcIp: string }[]; next: number | null };
  t.equal((await get('')).flows.length, 12);
  const byMac = await get('?mac=02:99:00:00:00:01');
  t.equal(byMac.flows.length, 3);
  t.ok(byMac.flows.every((f) => f.srcMac === '02:99:00:00:00:01'));
  t.ok((await get('?ip=10.99.0.11')).flows.every((f) => f.srcIp === '10.99.0.11'));
  t.equal((await get(`?since=${T0 + 10_000_000}`)).flows.length, 3);
  const p1 = await get('?limit=5');
  t.equal(p1.next, p1.flows[4]!.id);
  const p2 = await get(`?limit=5&beforeId=${p1.next}`);
  t.ok(p2.flows.every((f) => f.id < p1.next!));
  for (const q of ['mac=1', 'ip=300.1.1.1', 'beforeId=0', 'limit=1001', 'port=80']) t.equal((await admin.request(`/api/v1/flows?${q}`)).status, 400, q);
});

t.test('actions: quarantine, block, release, approve, deny; policy refusals are 409', async (t) => {
  const { w, admin } = await fixture(t);
  const before = counts(w);
  for (const json of [
    { kind: 'quarantine', mac: 'zz:00:00:00:00:01' },
    { kind: 'quarantine' },
    { kind: 'rate-limit', mac: MAC1 },
    { kind: 'block', target: '10.0.0.0/33' },
    { kind: 'block', target: '2001:db8::/129' },
    { kind: 'block', target: 'example.com' },
    { kind: 'quarantine', mac: MAC1, reason: 'x'.repeat(501) },
    { kind: 'quarantine', mac: MAC1, target: '10.0.0.1' },
    { kind: 'quarantine', mac: MAC1, seconds: 0 },
    { kind: 'quarantine', mac: MAC1, seconds: 'an hour' },
    { kind: 'quarantine', mac: MAC1, seconds: 604_801 },
  ]) {
    const res = await admin.request('/api/v1/actions', { method: 'POST', json });
    t.equal(res.status, 400, JSON.stringify(json).slice(0, 60));
  }
  t.same(counts(w), before, 'bad requests changed nothing');

  let res = await admin.request('/api/v1/actions', { method: 'POST', json: { kind: 'quarantine', mac: MAC1, reason: 'scanning' } });
  t.equal(res.status, 201);
  const q = ((await res.json()) as { action: { id: number; state: string; actor: string } }).action;
  t.match(q, { state: 'active', actor: 'admin' });
  t.equal(w.store.actions.get(q.id)!.mac, MAC1);
  t.ok(w.store.actions.auditLog({ actionPrefix: 'action.create' }).some((a) => a.actor === 'admin'), 'audited by the action service');
  res = await admin.request('/api/v1/actions', { method: 'POST', json: { kind: 'quarantine', mac: MAC1, reason: 'again', seconds: 3600 } });
  t.equal(res.status, 409, 'the service refuses a second quarantine');
  t.match(await res.json(), { error: /already/ });
  res = await admin.request('/api/v1/actions', { method: 'POST', body: new URLSearchParams({ kind: 'block', target: '203.0.113.0/24', reason: 'c2' }) });
  t.equal(res.status, 201, 'form bodies work too');

  const list = (await (await admin.request('/api/v1/actions?state=active')).json()) as { actions: { id: number }[]; dryRun: boolean };
  t.equal(list.actions.length, 2);
  t.equal(list.dryRun, true);
  t.equal(((await (await admin.request('/api/v1/actions?kind=block')).json()) as { actions: unknown[] }).actions.length, 1);
  for (const qs of ['state=on', 'kind=nuke', 'mac=1', 'beforeId=x']) t.equal((await admin.request(`/api/v1/actions?${qs}`)).status, 400, qs);

  res = await admin.request(`/api/v1/actions/${q.id}/release`, { method: 'POST', json: { reason: 'false positive' } });
  t.equal(res.status, 200);
  t.equal(w.store.actions.get(q.id)!.state, 'released');
  t.equal((await admin.request(`/api/v1/actions/${q.id}/release`, { method: 'POST' })).status, 409, 'already released');
  t.equal((await admin.request('/api/v1/actions/9999/release', { method: 'POST' })).status, 404);
  t.equal((await admin.request('/api/v1/actions/abc/release', { method: 'POST' })).status, 400);
  t.equal((await admin.request('/api/v1/actions/0/deny', { method: 'POST' })).status, 400);
  t.equal((await admin.request(`/api/v1/actions/${q.id}/approve`, { method: 'POST', json: { reason: 'x' } })).status, 400, 'approve takes no reason');

  const p1 = w.store.actions.create({ tsUs: T0, kind: 'quarantine', state: 'pending', mac: MAC2, ip: null, reason: 'trust critical', alertId: null, actor: 'system', expiresUs: null, dryRun: true });
  const p2 = w.store.actions.create({ tsUs: T0, kind: 'block', state: 'pending', mac: null, ip: '198.51.100.7', reason: 'intel', alertId: null, actor: 'system', expiresUs: null, dryRun: true });
  t.equal((await admin.request(`/api/v1/actions/${p1}/approve`, { method: 'POST' })).status, 200);
  t.equal(w.store.actions.get(p1)!.state, 'active');
  t.equal((await admin.request(`/api/v1/actions/${p2}/deny`, { method: 'POST', json: { reason: 'known host' } })).status, 200);
  t.equal(w.store.actions.get(p2)!.state, 'denied');
  t.equal((await admin.request(`/api/v1/actions/${p2}/approve`, { method: 'POST' })).status, 409, 'a denied action cannot be approved');
  const verbs = w.store.actions.auditLog({ actor: 'admin', actionPrefix: 'action.' }).map((a) => a.action);
  t.same(verbs.sort(), ['action.approve', 'action.create', 'action.create', 'action.deny', 'action.release']);
  res = await admin.request('/api/v1/actions', { method: 'POST', json: { kind: 'quarantine', mac: MAC1, reason: 'an hour', seconds: 3600 } });
  t.equal(res.status, 201, 'a manual quarantine with its own duration');
  const timed = w.store.actions.get(((await res.json()) as { action: { id: number } }).action.id)!;
  t.equal((timed.expiresUs! - timed.createdUs) / 1e6, 3600, 'expires after the seconds asked for');
});

t.test('allow-list', async (t) => {
  const { w, admin } = await fixture(t);
  t.same(((await (await admin.request('/api/v1/allow-list')).json()) as { entries: unknown[] }).entries, []);
  for (const entry of ['AA-BB-CC-DD-EE-FF', '192.0.2.1', '2001:db8::/48']) {
    t.equal((await admin.request('/api/v1/allow-list', { method: 'POST', json: { entry, reason: 'printer' } })).status, 201, entry);
  }
  const before = counts(w);
  for (const entry of ['printer', '192.0.2.0/40', '', 42]) t.equal((await admin.request('/api/v1/allow-list', { method: 'POST', json: { entry } })).status, 400, String(entry));
  t.same(counts(w), before);
  t.equal((await admin.request('/api/v1/allow-list', { method: 'POST', json: { entry: '192.0.2.1' } })).status, 409);
  const entries = ((await (await admin.request('/api/v1/allow-list')).json()) as { entries: { entry: string }[] }).entries.map((e) => e.entry);
  t.same(entries, ['aa:bb:cc:dd:ee:ff', '192.0.2.1', '2001:db8::/48'], 'MACs normalised');
  t.equal((await admin.request('/api/v1/actions', { method: 'POST', json: { kind: 'quarantine', mac: 'aa:bb:cc:dd:ee:ff' } })).status, 409, 'allow-listed device is never quarantined');
});

t.test('models and health', async (t) => {
  const { w, admin } = await fixture(t);
  await initTf(() => {});
  await w.models.start(); // the bundled model
  // from a device without the fixture's incidents: a device's flows during its incidents are not learnt from
  for (const f of syntheticBenign(300, 4, w.deps.nowUs() - 3_600_000_000)) w.store.addFlow({ ...f, srcIp: '10.98.0.2', srcMac: '02:00:00:00:00:98' });
  w.store.flush();
  const m = (await (await admin.request('/api/v1/models')).json()) as { status: { state: string; activeId: string }; models: unknown[] };
  t.equal(m.status.state, 'scoring');
  t.match(m.status.activeId, /^default@/);
  t.same(m.models, []);
  t.equal((await admin.request('/api/v1/models/retrain', { method: 'POST', json: { now: true } })).status, 400);
  const res = await admin.request('/api/v1/models/retrain', { method: 'POST' });
  t.equal(res.status, 202);
  t.equal(w.models.state, 'training', 'a real training started');
  const again = await admin.request('/api/v1/models/retrain', { method: 'POST' });
  t.equal(again.status, 409);
  t.match(await again.json(), { error: /already running/ });
  t.same(w.store.actions.auditLog({ actionPrefix: 'model.retrain' }).map((a) => a.detail), [{ ok: false, via: 'session' }, { ok: true, via: 'session' }]);

  w.capture.packets = 1234;
  w.integrations[0]!.ok = false;
  const h = (await (await admin.request('/api/v1/health')).json()) as Record<string, any>;
  t.equal(h.capture.packets, 1234);
  t.equal(h.integrations[0].ok, false);
  t.equal(h.respond.dryRun, true);
  t.equal(h.models.state, 'training');
  t.ok(h.store.fileBytes > 0);
  t.equal((await admin.request('/api/v1/health?x=1')).status, 400);

  await w.models.pending;
  t.equal(w.models.lastError, null, 'the training finished');
  const after = (await (await admin.request('/api/v1/models')).json()) as { status: { state: string; activeId: string }; models: { id: string; active: boolean }[] };
  t.equal(after.status.state, 'scoring');
  t.match(after.status.activeId, /^local@/, 'the model trained on the stored flows scores now');
  t.match(after.models, [{ id: after.status.activeId, active: true }]);
  const rb = await admin.request('/api/v1/models/rollback', { method: 'POST' });
  t.equal(rb.status, 409, 'no roll back past the first model of this network');
  t.match(await rb.json(), { error: /no earlier model of this network/ });
  t.equal((await admin.request('/api/v1/models/rollback', { method: 'POST', json: { to: 'x' } })).status, 400);
});

t.test('API tokens: created once with a session, used as bearer without CSRF, revoked', async (t) => {
  const { w, app, admin, viewer } = await fixture(t);
  let res = await admin.request('/api/v1/tokens', { method: 'POST', json: {} });
  t.equal(res.status, 400, 'a name is required');
  res = await admin.request('/api/v1/tokens', { method: 'POST', json: { name: 'x'.repeat(65) } });
  t.equal(res.status, 400);
  t.equal(w.store.auth.tokens().length, 0);
  res = await admin.request('/api/v1/tokens', { method: 'POST', json: { name: 'grafana', scope: 'write' } });
  t.equal(res.status, 201);
  const created = (await res.json()) as { id: number; token: string };
  t.match(created.token, /^ae_[A-Za-z0-9_-]{43}$/);
  const row = w.store.auth.tokens()[0]!;
  t.equal(row.tokenHash, sha256Hex(created.token), 'stored as its SHA-256');
  const dump = JSON.stringify(w.store.db.prepare('SELECT * FROM api_tokens').all());
  t.notOk(dump.includes(created.token), 'the token itself is not in the store');
  t.match(w.store.actions.auditLog({ actionPrefix: 'token.create' })[0], { actor: 'admin', target: 'grafana' });

  const list = await (await admin.request('/api/v1/tokens')).text();
  t.notOk(list.includes(created.token) || list.includes(row.tokenHash), 'listing shows neither token nor hash');
  t.match(JSON.parse(list), { tokens: [{ id: created.id, name: 'grafana', user: 'admin', scope: 'write', expired: false, revoked: false }] });
  t.same(((await (await viewer.request('/api/v1/tokens')).json()) as { tokens: unknown[] }).tokens, [], "a viewer sees only their own tokens");

  const bearer = new WebClient(app, '192.0.2.50');
  const auth = { authorization: `Bearer ${created.token}` };
  res = await bearer.request('/api/v1/devices', { headers: auth });
  t.equal(res.status, 200);
  t.not(w.store.auth.tokens()[0]!.lastUsedUs, null, 'use recorded');
  res = await bearer.request(`/api/v1/devices/${MAC2}`, { method: 'PATCH', headers: auth, json: { label: 'laptop' } });
  t.equal(res.status, 200, 'no CSRF needed with a bearer token');
  t.match(w.store.actions.auditLog({ actionPrefix: 'device.label' })[0], { actor: 'admin', detail: { via: 'token' } });
  res = await bearer.request('/api/v1/tokens', { method: 'POST', headers: auth, json: { name: 'more' } });
  t.equal(res.status, 403, 'a token cannot mint tokens');
  t.equal((await bearer.request('/', { headers: auth })).status, 302, 'a token does not open the pages');
  t.equal((await bearer.request('/api/v1/devices', { headers: { authorization: `Bearer ae_${'A'.repeat(43)}` } })).status, 401);
  t.equal((await bearer.request('/api/v1/devices', { headers: { authorization: `Basic YWRtaW46eA==` } })).status, 401);

  t.equal((await admin.request('/api/v1/tokens/999', { method: 'DELETE' })).status, 404);
  t.equal((await admin.request('/api/v1/tokens/x', { method: 'DELETE' })).status, 400);
  t.equal((await bearer.request(`/api/v1/tokens/${created.id}`, { method: 'DELETE', headers: auth })).status, 403, 'a token cannot revoke');
  t.equal((await admin.request(`/api/v1/tokens/${created.id}`, { method: 'DELETE', csrf: false })).status, 403);
  t.equal(w.store.auth.tokens()[0]!.revoked, false);
  res = await admin.request(`/api/v1/tokens/${created.id}`, { method: 'DELETE' });
  t.equal(res.status, 200);
  t.equal(w.store.auth.tokens()[0]!.revoked, true);
  t.ok(w.store.actions.auditLog({ actionPrefix: 'token.revoke' }).length === 1);
  t.equal((await bearer.request('/api/v1/devices', { headers: auth })).status, 401, 'revoked');

  // a viewer's token reads but cannot write
  const vu = w.store.auth.userByName('viewer')!;
  const { randomBytes } = await import('node:crypto');
  const vt = 'ae_' + randomBytes(32).toString('base64url');
  w.store.auth.createToken(vu.id, 'viewer token', sha256Hex(vt), 1, { scope: 'read', expiresUs: null });
  const vauth = { authorization: `Bearer ${vt}` };
  t.equal((await bearer.request('/api/v1/alerts', { headers: vauth })).status, 200);
  t.equal((await bearer.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', headers: vauth, json: { label: 'v' } })).status, 403);
  t.equal(w.store.devices.get(MAC1)!.label, null);
});

t.test('API token scopes and expiry: a read token cannot quarantine', async (t) => {
  const { w, app, admin, viewer } = await fixture(t);
  const make = async (json: Record<string, unknown>) => {
    const res = await admin.request('/api/v1/tokens', { method: 'POST', json });
    t.equal(res.status, 201, `token ${JSON.stringify(json)} created`);
    return { authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
  };
  const read = await make({ name: 'dashboards' });
  const write = await make({ name: 'home assistant', scope: 'write', expiresDays: 30 });
  const adm = await make({ name: 'ops', scope: 'admin', expiresDays: 1 });
  const rows = w.store.auth.tokens();
  t.same(rows.map((r) => r.scope), ['read', 'write', 'admin'], 'default scope is read');
  const day = 86_400_000_000;
  const life = (i: number) => Math.round((rows[i]!.expiresUs! - rows[i]!.createdUs) / day);
  t.same([life(0), life(1), life(2)], [90, 30, 1], 'expiry: 90 days by default, else as asked');
  for (const json of [{ name: 'a', scope: 'root' }, { name: 'b', expiresDays: 0 }, { name: 'c', expiresDays: 5000 }, { name: 'd', expiresDays: 'soon' }]) {
    t.equal((await admin.request('/api/v1/tokens', { method: 'POST', json })).status, 400, `${JSON.stringify(json)} refused`);
  }
  t.equal((await viewer.request('/api/v1/tokens', { method: 'POST', json: { name: 'mine', scope: 'write' } })).status, 403, 'a viewer makes no tokens through the API');

  const bearer = new WebClient(app, '192.0.2.60');
  const before = counts(w);
  t.equal((await bearer.request('/api/v1/devices', { headers: read })).status, 200, 'read token: GET');
  let res = await bearer.request('/api/v1/actions', { method: 'POST', headers: read, json: { kind: 'quarantine', mac: MAC1, reason: 'by a read token' } });
  t.equal(res.status, 403, 'read token: quarantine refused');
  t.match(await res.json(), { error: /scope is 'read'.*needs 'write'/ });
  t.match(res.headers.get('www-authenticate'), /insufficient_scope/);
  t.equal((await bearer.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', headers: read, json: { label: 'x' } })).status, 403, 'read token: label refused');
  t.same(counts(w), before, 'nothing changed by the read token');

  res = await bearer.request('/api/v1/actions', { method: 'POST', headers: write, json: { kind: 'quarantine', mac: MAC1, reason: 'by a write token' } });
  t.equal(res.status, 201, 'write token: quarantine');
  const actionId = ((await res.json()) as { action: { id: number } }).action.id;
  t.equal((await bearer.request('/api/v1/allow-list', { method: 'POST', headers: write, json: { entry: '10.99.0.77' } })).status, 403, 'write token: allow-list refused');
  t.equal((await bearer.request('/api/v1/models/retrain', { method: 'POST', headers: write })).status, 403, 'write token: retrain refused');
  t.equal((await bearer.request(`/api/v1/actions/${actionId}/release`, { method: 'POST', headers: write, json: { reason: 'done' } })).status, 200, 'write token: release');
  t.equal((await bearer.request('/api/v1/allow-list', { method: 'POST', headers: adm, json: { entry: '10.99.0.77' } })).status, 201, 'admin token: allow-list');
  t.equal((await bearer.request('/api/v1/tokens', { method: 'POST', headers: adm, json: { name: 'more' } })).status, 403, 'no scope mints tokens');

  // expiry: the admin token's day is over
  w.store.db.prepare('UPDATE api_tokens SET expires_us = ? WHERE name = ?').run(Date.now() * 1000 - 1, 'ops');
  res = await bearer.request('/api/v1/devices', { headers: adm });
  t.equal(res.status, 401, 'an expired token is refused');
  t.match(await res.json(), { error: /expired/ });
  const listed = (await (await admin.request('/api/v1/tokens')).json()) as { tokens: { name: string; expired: boolean }[] };
  t.same(listed.tokens.map((x) => [x.name, x.expired]), [['dashboards', false], ['home assistant', false], ['ops', true]]);

  // a token of an admin later made a viewer is read-only, whatever its scope
  const u = w.store.auth.userByName('admin')!;
  w.store.db.prepare("UPDATE web_users SET role = 'viewer' WHERE id = ?").run(u.id);
  t.equal((await bearer.request(`/api/v1/devices/${MAC1}`, { method: 'PATCH', headers: write, json: { label: 'y' } })).status, 403, 'scope capped by the role');
});
