/**
 * Settings that change things, through the dashboard's routes on a real store and a real configuration file
 * (the project's own documented config.yaml, copied): values are checked by the schema, written back with
 * the file's comments kept, applied at once where the stage reads them live (the response policy acts on the
 * next new device), refused whole when any value or the result is wrong, never written over an environment
 * override; users are added, re-roled and removed with the last admin protected; anyone changes their own
 * password. Every change is audited.
 */
import t, { type Test as TestBase } from 'tap';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { setConfigOrigin } from '../src/config/edit.js';
import { projectRoot } from '../src/assets.js';
import { registerPages } from '../src/web/pages.js';
import { webApp } from '../src/web/server.js';
import { buildWebDeps, WebClient } from './support/web-deps.js';
import { createUser } from './support/web-seed.js';

const PASSWORD = 'correct horse battery';

async function setup(t: TestBase, o: { file?: boolean; overridden?: Map<string, string> } = {}) {
  const web = buildWebDeps();
  t.teardown(() => web.close());
  const file = join(web.dir, 'config.yaml');
  copyFileSync(join(projectRoot(), 'config.yaml'), file);
  setConfigOrigin(web.deps.config, { file: o.file === false ? null : file, overridden: o.overridden ?? new Map() });
  await createUser(web.store, 'admin', PASSWORD, 'admin');
  await createUser(web.store, 'viewer', PASSWORD, 'viewer');
  const app = webApp(web.deps);
  if (!app.routes.some((r) => r.path === '/settings')) registerPages(app);
  const admin = new WebClient(app);
  t.equal((await admin.login('admin', PASSWORD)).status, 303);
  return { web, app, admin, file };
}

/** Posts a form and follows the redirect; returns the status of the post and the page it lands on. */
async function post(client: WebClient, path: string, fields: Record<string, string>): Promise<{ status: number; location: string; page: string }> {
  const r = await client.request(path, { method: 'POST', body: new URLSearchParams(fields) });
  const location = r.headers.get('location') ?? '';
  const page = r.status === 303 && location.startsWith('/settings') ? await (await client.request(location)).text() : await r.text();
  return { status: r.status, location, page };
}

t.test('configuration: checked, written back with comments, applied at once where it can be', async (t) => {
  const { web, admin, file } = await setup(t);
  const before = readFileSync(file, 'utf8');
  const page = await (await admin.request('/settings')).text();
  t.match(page, /<form method="post" action="\/settings\/config"/, 'an admin gets the form');
  t.match(page, /Saved into <code>[^<]*config\.yaml<\/code>/);
  t.match(page, /id="cfg-response\.newDevice"[\s\S]*applies at once/, 'the policy keys apply at once');
  t.match(page, /id="cfg-mode"[\s\S]*?after a restart/, 'the mode needs a restart');

  const r = await post(admin, '/settings/config', { 'response.newDevice': 'quarantine', mode: 'inline', homeNets: '192.168.7.0/24, fd00::/8', 'trust.weights.behavioral': '0.6' });
  t.equal(r.status, 303);
  t.match(r.page, /Saved to [^ ]*config\.yaml\. In effect now: A device seen for the first time\. From the next start \(restart the service\): Mode, Home networks/, 'the page says what applies now and what after a restart');
  const after = readFileSync(file, 'utf8');
  t.match(after, /# passive: watch a mirror port or host NIC/, 'the file keeps its comments');
  const reloaded = loadConfig({ file });
  t.same([reloaded.mode, reloaded.homeNets, reloaded.response.newDevice, reloaded.trust.weights.behavioral], ['inline', ['192.168.7.0/24', 'fd00::/8'], 'quarantine', 0.6], 'a start reads the new values');
  t.equal(reloaded.trust.weights.vulnerability, 0.3, 'keys that were not changed keep their values');
  const comments = (text: string) => text.split('\n').filter((l) => l.trimStart().startsWith('#'));
  t.same(comments(after), comments(before), 'every comment line is still there, in order');
  t.equal(web.deps.config.response.newDevice, 'quarantine', 'the running policy has the new value');
  t.equal(web.deps.config.mode, 'passive', 'the mode stays as started until a restart');

  // the policy acts on the next new device with the new setting
  web.actions.start(web.deps.nowUs());
  t.teardown(() => web.actions.stop());
  web.bus.emit('device.new', { tsUs: web.deps.nowUs(), mac: '02:00:00:00:77:01', ips: ['192.168.7.9'], hostname: 'newcomer', vendor: null, randomMac: false });
  web.store.flush();
  t.ok(web.store.actions.query({ mac: '02:00:00:00:77:01', limit: 5 }).some((a) => a.kind === 'quarantine'), 'the new device is held in quarantine');

  const audits = web.store.actions.auditLog({ actionPrefix: 'settings.change' });
  t.same(audits.map((a) => [a.actor, a.target]).sort(), [['admin', 'homeNets'], ['admin', 'mode'], ['admin', 'response.newDevice'], ['admin', 'trust.weights.behavioral']], 'one audit entry per changed key, by the user');
  t.same(audits.find((a) => a.target === 'mode')!.detail, { from: 'passive', to: 'inline', applied: 'restart' });

  const same = await post(admin, '/settings/config', { 'response.newDevice': 'quarantine' });
  t.match(same.location, /done=settings-unchanged/, 'saving the same value changes nothing');
});

t.test('a wrong value or a wrong result is refused whole and the file stays as it was', async (t) => {
  const { web, admin, file } = await setup(t);
  const before = readFileSync(file, 'utf8');
  const bad = await post(admin, '/settings/config', { 'response.quarantineSeconds': 'an hour', 'response.autoQuarantine': 'true' });
  t.match(bad.page, /Not saved: Quarantine length \(seconds\): expected/, 'the key is named in words');
  const zero = await post(admin, '/settings/config', { 'trust.weights.behavioral': '0', 'trust.weights.vulnerability': '0', 'trust.weights.reputation': '0' });
  t.match(zero.page, /Not saved: trust\.weights: at least one of behavioral, vulnerability, reputation must be above 0/, 'rules across keys are checked as at start');
  const net = await post(admin, '/settings/config', { homeNets: '192.168.1.0/33' });
  t.match(net.page, /Not saved: Home networks/);
  t.equal(readFileSync(file, 'utf8'), before, 'the file is untouched');
  t.equal(web.deps.config.response.autoQuarantine, false, 'and so is the running configuration');
  t.same(web.store.actions.auditLog({ actionPrefix: 'settings.' }), []);
});

t.test('a key an environment variable sets is shown, not written; no file means nothing to save to', async (t) => {
  const { admin, file } = await setup(t, { overridden: new Map([['mode', 'ARGUS_EDGE_MODE']]) });
  const page = await (await admin.request('/settings')).text();
  t.match(page, /id="cfg-mode" disabled[\s\S]*?set by <code>ARGUS_EDGE_MODE<\/code>, which wins over the file/);
  await post(admin, '/settings/config', { mode: 'inline' });
  t.equal(loadConfig({ file }).mode, 'passive', 'the overridden key is not written');

  const none = await setup(t, { file: false });
  t.match(await (await none.admin.request('/settings')).text(), /started on its built-in defaults, without a configuration file/);
  const r = await post(none.admin, '/settings/config', { mode: 'inline' });
  t.match(r.page, /start it with --config FILE/);
});

t.test('users: add, change role, remove; the last admin and the signed-in user are protected', async (t) => {
  const { web, app, admin } = await setup(t);
  const added = await post(admin, '/settings/users', { username: 'kim', role: 'viewer', password: 'a long enough one' });
  t.match(added.location, /done=user-added/);
  const kim = web.store.auth.userByName('kim')!;
  t.equal(kim.role, 'viewer');
  t.match((await post(admin, '/settings/users', { username: 'kim', role: 'viewer', password: 'a long enough one' })).page, /a user named kim exists already/);
  t.match((await post(admin, '/settings/users', { username: 'lee', role: 'viewer', password: 'short' })).page, /at least 10 characters/);
  t.match((await post(admin, '/settings/users', { username: 'lee', role: 'root', password: 'a long enough one' })).page, /the role must be admin or viewer/);

  const kimClient = new WebClient(app);
  t.equal((await kimClient.login('kim', 'a long enough one')).status, 303);
  t.match((await post(admin, `/settings/users/${kim.id}/role`, { role: 'admin' })).location, /done=user-role/);
  t.equal(web.store.auth.userById(kim.id)!.role, 'admin');
  t.equal((await kimClient.request('/settings')).status, 302, 'a re-roled user signs in again');

  const me = web.store.auth.userByName('admin')!;
  t.match((await post(admin, `/settings/users/${me.id}/remove`, {})).page, /cannot remove your own account/);
  t.match((await post(admin, `/settings/users/${kim.id}/remove`, {})).location, /done=user-removed/);
  t.equal(web.store.auth.userByName('kim'), undefined);
  t.match((await post(admin, `/settings/users/${me.id}/role`, { role: 'viewer' })).page, /admin is the only admin: make another user admin first/, 'the last admin cannot be demoted');
  t.same(web.store.actions.auditLog({ actionPrefix: 'user.' }).filter((a) => a.action !== 'user.login').map((a) => `${a.action} ${a.target} by ${a.actor}`).reverse(), ['user.create kim by admin', 'user.role kim by admin', 'user.remove kim by admin']);

  const viewer = new WebClient(app);
  await viewer.login('viewer', PASSWORD);
  const vpage = await (await viewer.request('/settings')).text();
  t.notMatch(vpage, /id="users"|action="\/settings\/config"/, 'a viewer sees neither users nor the form');
  t.equal((await viewer.request('/settings/users', { method: 'POST', body: new URLSearchParams({ username: 'x', role: 'admin', password: 'a long enough one' }) })).status, 403, 'nor can post them');
});

t.test('everyone changes their own password; the old one and old sessions stop working', async (t) => {
  const { web, app } = await setup(t);
  const viewer = new WebClient(app);
  await viewer.login('viewer', PASSWORD);
  const other = new WebClient(app);
  await other.login('viewer', PASSWORD);
  t.match((await post(viewer, '/settings/password', { current: 'wrong one entirely', password: 'new secret words', repeat: 'new secret words' })).page, /the current password is not right/);
  t.match((await post(viewer, '/settings/password', { current: PASSWORD, password: 'new secret words', repeat: 'new secret wordz' })).page, /the two new passwords differ/);
  const ok = await viewer.request('/settings/password', { method: 'POST', body: new URLSearchParams({ current: PASSWORD, password: 'new secret words', repeat: 'new secret words' }) });
  t.equal(ok.status, 303);
  t.equal(ok.headers.get('location'), '/login', 'to sign in again');
  t.equal((await other.request('/settings')).status, 302, 'every session of the user ended');
  t.equal((await new WebClient(app).login('viewer', PASSWORD)).status, 401, 'the old password is refused');
  t.equal((await new WebClient(app).login('viewer', 'new secret words')).status, 303, 'the new one works');
  t.same(web.store.actions.auditLog({ actionPrefix: 'user.password' }).map((a) => a.actor), ['viewer']);
});
