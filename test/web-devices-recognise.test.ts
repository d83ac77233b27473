/**
 * Devices people recognise, on a real store: a type with an icon guessed from what the device announced (and
 * corrected by an admin, audited), online/offline, a "new" badge for a day, traffic per device from the
 * rollups, and the gateway named as such.
 */
import t from 'tap';
import { webApp } from '../src/web/server.js';
import { buildWebDeps, WebClient } from './support/web-deps.js';
import { createUser, seedDashboard, seedMac } from './support/web-seed.js';
import { GATEWAY_MAC } from './support/store-flows.js';

const PASSWORD = 'correct horse battery';
const OLD_MAC = '02:cc:00:00:00:01';

t.test('device types, presence, traffic and the gateway', async (t) => {
  let endUs = 0;
  const web = buildWebDeps({ nowUs: () => endUs });
  t.teardown(() => web.close());
  endUs = seedDashboard(web.store, { devices: 12, alerts: 10 });
  const s = web.store;
  s.devices.upsert({ mac: GATEWAY_MAC, tsUs: endUs - 3 * 86_400_000_000 });
  s.devices.upsert({ mac: GATEWAY_MAC, tsUs: endUs });
  s.devices.upsert({ mac: OLD_MAC, tsUs: endUs - 3 * 86_400_000_000, hostname: 'Living-Room-TV' });
  s.devices.upsert({ mac: OLD_MAC, tsUs: endUs - 2 * 3_600_000_000 });
  await createUser(s, 'admin', PASSWORD, 'admin');
  const admin = new WebClient(webApp(web.deps, { log: () => {} }));
  t.equal((await admin.login('admin', PASSWORD)).status, 303);

  const list = await (await admin.request('/devices?sort=mac')).text();
  const row = (mac: string) => list.split('<tr>').find((r) => r.includes(`href="/devices/${mac}"`)) ?? '';
  t.match(row(GATEWAY_MAC), /aria-label="router"[^]*>Gateway<\/a>[^]*st-gateway"[^>]*>gateway/, 'the gateway is named as such, with the router icon');
  t.match(row(OLD_MAC), /aria-label="TV or streamer"[^]*st-offline">offline/, 'a TV from its hostname, offline after 2 h away');
  t.notMatch(row(OLD_MAC), /st-new/, 'not new: first seen 3 days ago');
  t.match(row(seedMac(2)), /aria-label="smart plug or light"[^]*st-online">online[^]*st-new"[^>]*>new/, 'an Espressif device is a plug, online and new');

  let page = await (await admin.request(`/devices/${seedMac(1)}`)).text();
  t.match(page, /id="device-type">phone <span class="muted small">\(guessed: made by Apple/, 'the type says what it was guessed from');
  const rollup = s.db.prepare('SELECT sum(bytes_out) AS o, sum(bytes_in) AS i FROM flow_rollups WHERE device = ?').get(seedMac(0)) as { o: number; i: number };
  t.ok(rollup.o > 0, 'device 0 has traffic in the rollups');
  const p0 = await (await admin.request(`/devices/${seedMac(0)}`)).text();
  t.match(p0, /id="device-traffic">[\d.]+ (B|KiB|MiB) sent, [\d.]+ (B|KiB|MiB) received <span class="muted small">\(40 flows\)/, 'traffic sent and received over 24 h');

  let r = await admin.request(`/devices/${seedMac(1)}/type`, { method: 'POST', body: new URLSearchParams({ type: 'tablet' }) });
  t.equal(r.status, 303);
  t.equal(r.headers.get('location'), `/devices/${seedMac(1)}?done=type-set`);
  page = await (await admin.request(r.headers.get('location')!)).text();
  t.match(page, /id="device-type">tablet <span class="muted small">\(set by an admin\)/, 'the correction is shown');
  t.match(page, /Device type saved/);
  t.match(s.actions.auditLog({ actionPrefix: 'device.type' })[0], { actor: 'admin', target: seedMac(1), detail: { from: null, to: 'tablet' } });
  r = await admin.request(`/devices/${seedMac(1)}/type`, { method: 'POST', body: new URLSearchParams({ type: 'toaster' }) });
  t.equal(r.status, 303, 'an unknown type is refused with a redirect');
  t.match(await (await admin.request(`/devices/${seedMac(1)}`)).text(), /flash-error" role="alert">the type must be one of/);
  t.equal(s.devices.get(seedMac(1))!.deviceType, 'tablet', 'and changes nothing');
  r = await admin.request(`/devices/${seedMac(1)}/type`, { method: 'POST', body: new URLSearchParams({ type: '' }) });
  t.equal(s.devices.get(seedMac(1))!.deviceType, null, 'an empty choice goes back to the guess');
  t.match(await (await admin.request(`/devices/${seedMac(1)}`)).text(), /guessed: made by Apple/);
});
