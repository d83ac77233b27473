/**
 * A head's fleet pages on a real store filled through the real fleet API (signed requests from three sensors):
 * the Sensors page with state, last heartbeat, capabilities, load, queue, version and model; every sensor's
 * incidents and devices with a sensor column and filter; the assign-scan form (admins only, the same checks and
 * audit entry as the JSON API); the navigation link only on a head.
 */
import t, { type Test } from 'tap';
import { fleetView } from '../src/fleet/index.js';
import { webApp } from '../src/web/server.js';
import { buildWebDeps, WebClient } from './support/web-deps.js';
import { createUser } from './support/web-seed.js';
import { seedFleet } from './support/fleet-seed.js';

const PASSWORD = 'correct horse battery';

async function setup(t: Test, head = true) {
  const web = buildWebDeps({ config: head ? { 'fleet.role': 'head' } : {} });
  t.teardown(() => web.close());
  const seeded = await seedFleet(web.store.fleet);
  if (head) web.deps.fleet = fleetView(web.store.fleet, web.deps.config.fleet.staleSeconds);
  await createUser(web.store, 'admin', PASSWORD, 'admin');
  await createUser(web.store, 'viewer', PASSWORD, 'viewer');
  const app = webApp(web.deps);
  const admin = new WebClient(app);
  t.equal((await admin.login('admin', PASSWORD)).status, 303, 'admin signs in');
  const viewer = new WebClient(app);
  t.equal((await viewer.login('viewer', PASSWORD)).status, 303, 'viewer signs in');
  return { web, app, admin, viewer, ...seeded };
}

const rowOf = (page: string, id: string): string => {
  const i = page.indexOf(`id="sensor-${id}"`);
  return i < 0 ? '' : page.slice(i, page.indexOf('</tr>', i));
};

t.test('the Sensors page shows each sensor with its state, heartbeat, capabilities, load, queue, version and model', async (t) => {
  const { admin, attic, garage, shed, app } = await setup(t);
  const res = await admin.request('/fleet');
  t.equal(res.status, 200);
  const page = await res.text();
  t.match(page, /<a href="\/fleet" aria-current="page">Sensors<\/a>/, 'the navigation links the Sensors page, highlighted');
  t.notMatch(page, /style="|<script>[^<]/, 'no inline script or style');
  t.match(page, /3 sensors, 2 online/);
  const a = rowOf(page, attic.id);
  t.match(a, /<b>attic<\/b>/);
  t.match(a, /badge st-online">online/, 'attic is online');
  t.match(a, />\d{1,2} s ago</, 'its last heartbeat, in seconds ago');
  t.match(a, /<code>inline<\/code> on <code>br0<\/code>/, 'mode and interface');
  t.match(a, /st-online">inline</, 'inline possible');
  t.match(a, /scope 192\.168\.1\.0\/24/, 'its scan scope');
  t.match(a, /2,345 packets\/s, 17 drops/, 'its load');
  t.match(a, /4 results waiting/, 'its outbox queue');
  t.match(a, /<code>0\.9\.1<\/code>/, 'the version of its last heartbeat');
  t.match(a, /model-attic-1[\s\S]*st-scoring">scoring/, 'its model and state');
  const g = rowOf(page, garage.id);
  t.match(g, /no nmap/, 'garage has no nmap');
  t.match(g, /st-learning">learning/);
  const s = rowOf(page, shed.id);
  t.match(s, /badge st-stale">stale/, 'shed, silent for 10 minutes, is stale');
  t.match(s, /10 min ago/);
  t.match(page, /<form method="post" action="\/fleet\/assign"/, 'an admin gets the assign form');
  t.match(page, new RegExp(`<option value="${attic.id}">attic</option>`), 'with each sensor to choose');

  const api = (await (await admin.request('/api/v1/fleet/sensors')).json()) as { sensors: { id: string; status: string }[] };
  t.same(Object.fromEntries(api.sensors.map((x) => [x.id, x.status])), { [attic.id]: 'online', [garage.id]: 'online', [shed.id]: 'stale' }, 'the page and the JSON API agree');
  for (const p of ['/fleet', '/fleet/incidents', '/fleet/devices']) {
    const body = await (await admin.request(p)).text();
    t.match(body, /<nav class="nav"/, `${p} has the navigation`);
    t.match(body, /hx-sse:connect="\/events"/, `${p} opens the live stream`);
    t.notMatch(body, /<script>(?!<\/script>)|style="/, `${p} has no inline script or style`);
    const anon = await new WebClient(app).request(p);
    t.equal(anon.status, 302, `${p} sends an anonymous visitor to sign in`);
  }
});

t.test('fleet incidents and devices: a sensor column and a sensor filter', async (t) => {
  const { admin, attic, garage } = await setup(t);
  const inc = await (await admin.request('/fleet/incidents')).text();
  t.match(inc, /3 incidents/);
  t.match(inc, /garage<\/a>[\s\S]*SSH password guessing[\s\S]*attic<\/a>[\s\S]*Data hidden in DNS names[\s\S]*attic<\/a>[\s\S]*Port scan of 203\.0\.113\.5/, 'newest first, each with its sensor');
  t.match(inc, /sev-high sev-critical">critical/, 'severity in words');
  const onlyAttic = await (await admin.request(`/fleet/incidents?sensor=${attic.id}`)).text();
  t.match(onlyAttic, /2 incidents/);
  t.notMatch(onlyAttic, /SSH password guessing/, 'the filter leaves the other sensors out');
  t.match(onlyAttic, new RegExp(`<option value="${attic.id}" selected>attic`), 'the filter shows what is chosen');
  const dev = await (await admin.request('/fleet/devices')).text();
  t.match(dev, /3 devices/);
  t.match(dev, /attic<\/a><\/td>\s*<td>garden-cam[\s\S]*192\.168\.1\.30[\s\S]*Espressif Inc\.[\s\S]*41 <small>alert/, 'a device with the trust change its sensor reported');
  t.match(dev, /garage<\/a><\/td>\s*<td>tv-box/);
  const onlyGarage = await (await admin.request(`/fleet/devices?sensor=${garage.id}`)).text();
  t.match(onlyGarage, /1 device\b/);
  t.notMatch(onlyGarage, /garden-cam/);
  const unknown = await admin.request('/fleet/devices?sensor=s-nope');
  t.equal(unknown.status, 404, 'an unknown sensor is a 404');
  t.match(await unknown.text(), /no sensor s-nope/);
});

t.test('assign a scan: admins only, the same checks and audit entry as the JSON API', async (t) => {
  const { admin, viewer, attic, garage, web } = await setup(t);
  let res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: attic.id, targets: '192.168.1.0/24, 192.168.1.7', ports: '1-1000' }) });
  t.equal(res.status, 303);
  t.equal(res.headers.get('location'), '/fleet?done=assigned');
  t.match(await (await admin.request(res.headers.get('location')!)).text(), /Scan assigned/);
  const rows = web.store.db.prepare('SELECT sensor_id AS s, targets, ports, state, actor FROM fleet_assignments ORDER BY id').all() as { s: string; targets: string; ports: string; state: string; actor: string }[];
  t.same(rows, [{ s: attic.id, targets: '["192.168.1.0/24","192.168.1.7"]', ports: '1-1000', state: 'pending', actor: 'admin' }], 'recorded as pending for attic');
  const entry = web.store.actions.auditLog({ actionPrefix: 'fleet.assign', limit: 5 })[0];
  t.equal(entry?.actor, 'admin', 'audited with the user as actor');
  t.equal(entry?.target, attic.id);
  t.match((await (await admin.request('/fleet')).text()), new RegExp(`id="sensor-${attic.id}"[\\s\\S]*?1 assignment open`), 'the page shows it waiting');

  // automatic: garage does not take assignments, attic's scope holds the target
  res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: 'auto', targets: '192.168.1.50', ports: '' }) });
  t.equal(res.status, 303);
  t.equal((web.store.db.prepare('SELECT sensor_id AS s FROM fleet_assignments ORDER BY id DESC LIMIT 1').get() as { s: string }).s, attic.id, 'automatic picks the sensor whose scope fits');

  // refusals: the same reason as the API gives, the form kept, nothing recorded
  const before = web.store.fleet.queueLengths().get(attic.id);
  res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: attic.id, targets: 'not-an-address', ports: '1-1000' }) });
  t.equal(res.status, 303, 'a refused form goes back to the page');
  const back = await (await admin.request('/fleet')).text();
  t.match(back, /targets must list 1 to 16 IP addresses or CIDR prefixes/, 'with the reason');
  t.match(back, /name="targets"[^>]*value="not-an-address"/, 'and what was typed');
  const api = await admin.request(`/api/v1/fleet/sensors/${attic.id}/assign`, { method: 'POST', json: { kind: 'scan', targets: ['not-an-address'], ports: '1-1000' } });
  t.equal(api.status, 400);
  t.match(((await api.json()) as { error: string }).error, /targets must list 1 to 16 IP addresses or CIDR prefixes/, 'the API refuses it with the same words');
  res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: attic.id, targets: '192.168.1.7', ports: '1-1000; rm -rf /' }) });
  t.match(await (await admin.request('/fleet')).text(), /ports must be an nmap port list/);
  res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: 'auto', targets: '10.9.9.9' }) });
  t.match(await (await admin.request('/fleet')).text(), /no sensor accepts assignments with these targets/);
  res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: 's-unknown', targets: '192.168.1.7' }), headers: { 'hx-request': 'true' } });
  t.equal(res.status, 404, 'an unknown sensor: 404 (htmx gets the status)');
  t.equal(web.store.fleet.queueLengths().get(attic.id), before, 'nothing recorded by a refusal');

  // a viewer sees, cannot assign
  const vpage = await (await viewer.request('/fleet')).text();
  t.match(vpage, /Only an admin can assign scans/);
  t.notMatch(vpage, /action="\/fleet\/assign"/, 'no form for a viewer');
  t.match(vpage, /garage/);
  t.equal((await viewer.request('/fleet/incidents')).status, 200, 'a viewer reads the fleet incidents');
  res = await viewer.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: garage.id, targets: '192.168.2.0/24' }) });
  t.equal(res.status, 403, 'a viewer cannot assign');
  res = await admin.request('/fleet/assign', { method: 'POST', body: new URLSearchParams({ sensor: attic.id, targets: '192.168.1.7' }), csrf: false });
  t.equal(res.status, 403, 'no CSRF token: refused');
  t.equal((web.store.db.prepare('SELECT count(*) AS n FROM fleet_assignments').get() as { n: number }).n, 2, 'only the two good assignments exist');
});

t.test('an appliance that is not a head has no fleet pages and no Sensors link', async (t) => {
  const { admin } = await setup(t, false);
  const page = await (await admin.request('/')).text();
  t.notMatch(page, /href="\/fleet"/, 'no Sensors link');
  const res = await admin.request('/fleet');
  t.equal(res.status, 404);
  t.match(await res.text(), /not a fleet head/);
  t.equal((await admin.request('/fleet/incidents')).status, 404);
});
