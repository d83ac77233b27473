/**
 * Route tests of the web server's own routes: sign-in, first-run setup, sessions, CSRF, login rate limiting,
 * security headers, /healthz and /metrics. Real store on a temporary file, real bus; requests through
 * `app.request()` with the client address set the way @hono/node-server sets it.
 */
import t from 'tap';
import { setUserPassword } from '../src/web/password.js';
import { sha256Hex } from '../src/web/session.js';
import { webApp } from '../src/web/server.js';
import { buildWebDeps, fromAddress, WebClient, type TestWeb } from './support/web-deps.js';
import { initTf } from '../src/models/tf-backend.js';

const PASSWORD = 'correct horse battery';
/** the first-run setup code the app is built with (startWebServer makes a random one and prints it) */
const CODE = 'TEST-C0DE';

function setup(t: { teardown(fn: () => void): void }, config: Record<string, string> = {}): { w: TestWeb; app: ReturnType<typeof webApp>; clock: { ms: number }; metricsRefreshed: { n: number } } {
  const w = buildWebDeps({ config });
  t.teardown(() => w.close());
  const clock = { ms: Date.UTC(2026, 10, 21, 8, 0, 0) };
  const metricsRefreshed = { n: 0 };
  w.deps.refreshMetrics = () => metricsRefreshed.n++;
  const app = webApp(w.deps, { nowMs: () => clock.ms, log: () => {}, setupCode: CODE });
  return { w, app, clock, metricsRefreshed };
}

async function addUser(w: TestWeb, username: string, role: 'admin' | 'viewer' = 'admin'): Promise<void> {
  await setUserPassword(w.store, { username, password: PASSWORD, role, actor: 'test', tsUs: 1 });
}

const auditVerbs = (w: TestWeb): string[] => w.store.actions.auditLog({ limit: 1000 }).map((a) => a.action);

t.test('first run: the setup page only for a browser on the appliance', async (t) => {
  const { w, app } = setup(t);
  const remote = new WebClient(app, '192.0.2.10');
  let res = await remote.request('/login');
  t.equal(res.status, 302, 'no user yet: login sends to setup');
  t.equal(res.headers.get('location'), '/setup');
  res = await remote.request('/setup');
  t.equal(res.status, 403, 'setup refused to a remote client');
  t.match(await res.text(), /argus-edge passwd/, 'the refusal says how to set the password');
  res = await remote.request('/setup', { method: 'POST', body: new URLSearchParams({ code: CODE, username: 'admin', password: PASSWORD, confirm: PASSWORD }) });
  t.equal(res.status, 403, 'setup post refused to a remote client');
  t.equal(w.store.auth.users().length, 0, 'no user created');

  // an IPv4-mapped IPv6 address that is not loopback is still remote
  res = await app.request('http://argus.test/setup', {}, fromAddress('::ffff:192.0.2.7'));
  t.equal(res.status, 403);

  const local = new WebClient(app, '127.0.0.1');
  res = await local.request('/setup');
  t.equal(res.status, 200);
  const page = await res.text();
  t.match(page, /name="password"/);
  t.notMatch(page, /<script>[^<]/, 'no inline script');

  res = await local.request('/setup', { method: 'POST', body: new URLSearchParams({ code: CODE, username: 'admin', password: 'short', confirm: 'short' }) });
  t.equal(res.status, 400, 'short password refused');
  t.match(await res.text(), /at least 10 characters/);
  res = await local.request('/setup', { method: 'POST', body: new URLSearchParams({ code: CODE, username: 'admin', password: PASSWORD, confirm: PASSWORD + 'x' }) });
  t.equal(res.status, 400, 'different passwords refused');
  res = await local.request('/setup', { method: 'POST', body: new URLSearchParams({ code: CODE, username: 'bad name!', password: PASSWORD, confirm: PASSWORD }) });
  t.equal(res.status, 400, 'bad user name refused');
  t.equal(w.store.auth.users().length, 0, 'nothing created by refused posts');
  t.match(page, /name="code"/, 'the setup page asks for the code from the log');
  res = await local.request('/setup', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD, confirm: PASSWORD }) });
  t.equal(res.status, 403, 'no setup code: refused, even from loopback');
  res = await local.request('/setup', { method: 'POST', body: new URLSearchParams({ code: 'WRNG-C0DE', username: 'admin', password: PASSWORD, confirm: PASSWORD }) });
  t.equal(res.status, 403, 'a wrong setup code is refused');
  t.match(await res.text(), /Wrong setup code/);
  t.equal(w.store.auth.users().length, 0, 'nothing created without the code');

  res = await local.request('/setup', {
    method: 'POST',
    headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    body: new URLSearchParams({ code: CODE, username: 'admin', password: PASSWORD, confirm: PASSWORD }),
  });
  t.equal(res.status, 403, 'cross-site setup post refused');
  t.equal(w.store.auth.users().length, 0);

  res = await local.request('/setup', { method: 'POST', body: new URLSearchParams({ code: CODE, username: 'admin', password: PASSWORD, confirm: PASSWORD }) });
  t.equal(res.status, 303);
  t.equal(res.headers.get('location'), '/');
  const users = w.store.auth.users();
  t.same(users.map((u) => [u.username, u.role]), [['admin', 'admin']]);
  t.match(users[0]!.passwordHash, /^scrypt\$15\$8\$1\$/, 'stored as an scrypt hash');
  t.not(local.cookie, null, 'signed in right away');
  t.equal((await local.request('/api/v1/health')).status, 200);
  t.ok(auditVerbs(w).includes('user.create'));

  res = await local.request('/setup');
  t.equal(res.status, 302, 'setup is gone once a user exists');
  res = await new WebClient(app, '127.0.0.1').request('/setup', { method: 'POST', body: new URLSearchParams({ code: CODE, username: 'second', password: PASSWORD, confirm: PASSWORD }) });
  t.equal(res.status, 303);
  t.equal(w.store.auth.users().length, 1, 'a second setup post creates nobody');
});

t.test('unauthenticated requests: pages redirect to /login, the API answers 401', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'admin');
  const c = new WebClient(app);
  let res = await c.request('/devices?search=cam');
  t.equal(res.status, 302);
  t.equal(res.headers.get('location'), '/login?next=%2Fdevices%3Fsearch%3Dcam');
  res = await c.request('/', { headers: { 'hx-request': 'true' } });
  t.equal(res.status, 401, 'htmx requests get 401 with HX-Redirect');
  t.equal(res.headers.get('hx-redirect'), '/login');
  res = await c.request('/api/v1/devices');
  t.equal(res.status, 401);
  t.match(await res.json(), { error: /authentication required/ });
  res = await c.request('/api/v1/devices', { method: 'PATCH' });
  t.equal(res.status, 401);
  res = await c.request('/logout', { method: 'POST' });
  t.equal(res.status, 303, 'logout without a session goes to /login');
  res = await c.request('/api/v1/devices', { headers: { cookie: 'argus_session=' + 'A'.repeat(43) } });
  t.equal(res.status, 401, 'a made-up session id is refused');
  res = await c.request('/login');
  t.equal(res.status, 200, 'the login page is public');
  t.match(await res.text(), /name="username"/);
});

t.test('login, session cookie, CSRF, logout', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'admin');
  const c = new WebClient(app);
  let res = await c.login('admin', 'wrong password!!');
  t.equal(res.status, 401);
  t.match(await res.text(), /Wrong user name or password/);
  t.equal(c.cookie, null);
  res = await c.login('nobody', PASSWORD);
  t.equal(res.status, 401, 'unknown user: same answer');
  const failed = w.store.actions.auditLog({ actionPrefix: 'user.login.failed' });
  t.equal(failed.length, 2, 'failed logins audited');
  t.equal(failed[0]!.actor, 'anonymous');

  res = await c.request('/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD, next: '//evil.example/x' }) });
  t.equal(res.status, 400, 'another site as next: refused, no open redirect');
  t.equal(c.cookie, null, 'not signed in by the refused post');
  res = await c.request('/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD, next: '/login' }) });
  t.equal(res.status, 303);
  t.equal(res.headers.get('location'), '/', 'next back to /login becomes the overview');
  const setCookie = res.headers.get('set-cookie')!;
  t.match(setCookie, /^argus_session=[A-Za-z0-9_-]{43};/);
  t.match(setCookie, /HttpOnly/);
  t.match(setCookie, /SameSite=Strict/);
  t.match(setCookie, /Path=\//);
  t.notMatch(setCookie, /Secure/, 'no Secure flag over plain http');
  const rows = w.store.db.prepare('SELECT id_hash FROM web_sessions').all() as { id_hash: string }[];
  t.same(rows.map((r) => r.id_hash), [sha256Hex(c.sessionId!)], 'the store keeps only the hash of the session id');
  t.ok(w.store.actions.auditLog({ actionPrefix: 'user.login' }).some((a) => a.action === 'user.login' && a.actor === 'admin'));

  res = await c.request('/login?next=/alerts');
  t.equal(res.status, 302, 'signed in: /login forwards');
  t.equal(res.headers.get('location'), '/alerts');

  res = await c.request('/logout', { method: 'POST', csrf: false });
  t.equal(res.status, 403, 'logout without the CSRF token refused');
  t.equal((await c.request('/api/v1/health')).status, 200, 'still signed in');
  res = await c.request('/logout', { method: 'POST', csrf: 'x'.repeat(43) });
  t.equal(res.status, 403, 'wrong token refused');
  res = await c.request('/logout', { method: 'POST', body: new URLSearchParams({ _csrf: 'y'.repeat(43) }) , csrf: false });
  t.equal(res.status, 403, 'wrong form token refused');
  t.equal((await c.request('/api/v1/health')).status, 200, 'still signed in');

  const sid = c.sessionId!;
  const { csrfToken } = await import('../src/web/csrf.js');
  res = await c.request('/logout', { method: 'POST', csrf: false, body: new URLSearchParams({ _csrf: csrfToken(sid) }) });
  t.equal(res.status, 303, 'logout with the form field token');
  t.equal(res.headers.get('location'), '/login');
  t.equal(c.cookie, null, 'cookie cleared');
  t.equal((w.store.db.prepare('SELECT count(*) AS n FROM web_sessions').get() as { n: number }).n, 0, 'session deleted');
  res = await c.request('/api/v1/health', { headers: { cookie: `argus_session=${sid}` } });
  t.equal(res.status, 401, 'the old cookie no longer works');
  t.ok(auditVerbs(w).includes('user.logout'));
});

t.test('cross-site login post refused', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'admin');
  const c = new WebClient(app);
  const res = await c.request('/login', {
    method: 'POST',
    headers: { origin: 'http://evil.example' },
    body: new URLSearchParams({ username: 'admin', password: PASSWORD }),
  });
  t.equal(res.status, 403);
  t.equal(c.cookie, null);
  const ok = await c.request('/login', { method: 'POST', headers: { origin: 'http://argus.test', 'sec-fetch-site': 'same-origin' }, body: new URLSearchParams({ username: 'admin', password: PASSWORD }) });
  t.equal(ok.status, 303, 'same-origin post accepted');
});

t.test('login back-off: per (user, address), exponential, and never against a clean address', async (t) => {
  const { w, app, clock } = setup(t, { 'web.loginMaxFailures': '5', 'web.loginWindowMinutes': '15' });
  await addUser(w, 'admin');
  await addUser(w, 'viewer', 'viewer');
  const attacker = new WebClient(app, '198.51.100.9');
  let refused = 0;
  let wrong = 0;
  // 30 wrong passwords for admin from one address, waiting out each back-off the way a patient guesser would
  for (let i = 0; i < 30; i++) {
    const res = await attacker.login('admin', `guess number ${i}`);
    if (res.status === 429) {
      refused++;
      clock.ms += Number(res.headers.get('retry-after')) * 1000;
      i--;
      continue;
    }
    t.equal(res.status, 401);
    wrong++;
  }
  t.equal(wrong, 30, '30 wrong passwords tried');
  t.ok(refused >= 25, `the guesser was held back ${refused} times`);
  let res = await attacker.login('admin', PASSWORD);
  t.equal(res.status, 429, 'the guessing address waits, even with the right password');
  const retry = Number(res.headers.get('retry-after'));
  t.ok(retry > 60 && retry <= 15 * 60, `Retry-After ${retry} s (doubled up to the 15 min window)`);
  t.equal(attacker.cookie, null);

  const clean = new WebClient(app, '203.0.113.5');
  t.equal((await clean.login('admin', PASSWORD)).status, 303, 'the real admin signs in from a clean address at once');
  t.equal((await new WebClient(app, '203.0.113.6').login('viewer', PASSWORD)).status, 303, 'so does the viewer');
  t.equal((await attacker.login('viewer', PASSWORD)).status, 429, 'the guessing address waits for every name (30 failures ≥ 4 × 5)');
  const audited = w.store.actions.auditLog({ actionPrefix: 'user.login.failed', limit: 1000 }).length;
  t.equal(audited, 30, 'each wrong password audited once; refused attempts are not');

  clock.ms += 15 * 60_000 + 1000;
  res = await attacker.login('admin', PASSWORD);
  t.equal(res.status, 303, 'the right password is accepted once the wait is over');
  res = await attacker.login('admin', 'one more wrong guess');
  t.equal(res.status, 401, 'and success forgot the pair: a typo is an ordinary failure again');
});

t.test('sessions end after the idle time and after the absolute maximum', async (t) => {
  const { w, app, clock } = setup(t, { 'web.sessionIdleMinutes': '30', 'web.sessionMaxHours': '2' });
  await addUser(w, 'admin');
  const c = new WebClient(app);
  t.equal((await c.login('admin', PASSWORD)).status, 303);
  clock.ms += 29 * 60_000;
  t.equal((await c.request('/api/v1/health')).status, 200, 'used within the idle time');
  clock.ms += 29 * 60_000;
  t.equal((await c.request('/api/v1/health')).status, 200, 'the idle time slides with use');
  clock.ms += 31 * 60_000;
  t.equal((await c.request('/api/v1/health')).status, 401, 'idle too long');

  t.equal((await c.login('admin', PASSWORD)).status, 303);
  for (let i = 0; i < 4; i++) {
    clock.ms += 25 * 60_000;
    t.equal((await c.request('/api/v1/health')).status, 200);
  }
  clock.ms += 25 * 60_000;
  t.equal((await c.request('/api/v1/health')).status, 401, 'past sessionMaxHours despite activity');
});

t.test('a disabled user and a changed password end the session', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'admin');
  const c = new WebClient(app);
  await c.login('admin', PASSWORD);
  const u = w.store.auth.userByName('admin')!;
  w.store.auth.setDisabled(u.id, true);
  t.equal((await c.request('/api/v1/health')).status, 401);
  t.equal((await c.login('admin', PASSWORD)).status, 401, 'a disabled user cannot sign in');
  w.store.auth.setDisabled(u.id, false);
  t.equal((await c.login('admin', PASSWORD)).status, 303);
  await setUserPassword(w.store, { username: 'admin', password: 'another password 2', role: 'admin', actor: 'test', tsUs: 2 });
  t.equal((await c.request('/api/v1/health')).status, 401, 'a new password signs everyone out');
});

t.test('viewer: reads, may sign out, refused on every write', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'viewer', 'viewer');
  w.store.devices.upsert({ mac: '02:00:00:00:00:01', tsUs: 1 });
  const c = new WebClient(app);
  await c.login('viewer', PASSWORD);
  t.equal((await c.request('/api/v1/devices')).status, 200);
  const res = await c.request('/api/v1/devices/02:00:00:00:00:01', { method: 'PATCH', json: { label: 'x' } });
  t.equal(res.status, 403);
  t.match(await res.json(), { error: /read-only/ });
  t.equal(w.store.devices.get('02:00:00:00:00:01')!.label, null, 'nothing changed');
  t.equal((await c.request('/api/v1/tokens', { method: 'POST', json: { name: 'x' } })).status, 403);
  t.equal(w.store.auth.tokens().length, 0);
  t.equal((await c.request('/logout', { method: 'POST' })).status, 303, 'a viewer may sign out');
});

t.test('security headers, /healthz and /metrics without sign-in', async (t) => {
  const { w, app, metricsRefreshed } = setup(t);
  await addUser(w, 'admin');
  for (const path of ['/healthz', '/login', '/api/v1/devices', '/nope']) {
    const res = await app.request(`http://argus.test${path}`, {}, fromAddress('192.0.2.1'));
    const csp = res.headers.get('content-security-policy') ?? '';
    t.match(csp, /default-src 'self'/, `${path}: CSP`);
    t.match(csp, /script-src 'self'(;|$)/, `${path}: scripts only from self`);
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, `${path}: nothing inline`);
    t.equal(res.headers.get('x-frame-options'), 'DENY');
    t.equal(res.headers.get('referrer-policy'), 'no-referrer');
    t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  }
  let h = await app.request('http://argus.test/healthz', {}, fromAddress('192.0.2.1'));
  t.equal(h.status, 200);
  t.match(await h.json(), { status: 'ok', packets: 10, flows: 2, activeFlows: 1, model: null }, 'no model before one is loaded');
  await initTf(() => {});
  await w.models.start();
  h = await app.request('http://argus.test/healthz', {}, fromAddress('192.0.2.1'));
  t.match(await h.json(), { model: /^default@/ }, 'the bundled model once loaded');
  const m = await app.request('http://argus.test/metrics', {}, fromAddress('192.0.2.1'));
  t.equal(m.status, 200);
  t.match(m.headers.get('content-type'), /text\/plain/);
  t.equal(metricsRefreshed.n, 1, 'refreshMetrics ran before answering');
  const nf = await app.request('http://argus.test/api/v1/nope', { headers: { authorization: 'Bearer nope' } }, fromAddress('192.0.2.1'));
  t.equal(nf.status, 401, 'a malformed bearer token is refused');
});

t.test('oversized bodies are refused before any route reads them', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'admin');
  const c = new WebClient(app);
  await c.login('admin', PASSWORD);
  const res = await c.request('/api/v1/tokens', { method: 'POST', json: { name: 'x'.repeat(300_000) } });
  t.equal(res.status, 413);
  t.equal(w.store.auth.tokens().length, 0);
});

t.test('dashboard pages: redirect before sign-in, served after; page forms need the CSRF token', async (t) => {
  const { w, app } = setup(t);
  await addUser(w, 'admin');
  const mac = '02:00:00:00:00:01';
  w.store.devices.upsert({ mac, tsUs: 1 });
  const pages = ['/', '/devices', `/devices/${mac}`, '/alerts', '/quarantine', '/models', '/audit', '/settings'];
  const c = new WebClient(app);
  for (const p of pages) {
    const res = await c.request(p);
    t.equal(res.status, 302, `${p} before sign-in`);
    t.equal(res.headers.get('location'), `/login?next=${encodeURIComponent(p)}`);
  }
  const post = await c.request(`/devices/${mac}/label`, { method: 'POST', body: new URLSearchParams({ label: 'x' }) });
  t.equal(post.status, 303, 'a page form post before sign-in goes to /login');
  t.equal(post.headers.get('location'), '/login');

  await c.login('admin', PASSWORD);
  for (const p of pages) {
    const res = await c.request(p);
    t.equal(res.status, 200, `${p} signed in`);
    t.match(res.headers.get('content-type'), /text\/html/);
    t.equal(res.headers.get('cache-control'), 'no-store');
  }
  const js = await c.request('/static/htmx.min.js');
  t.equal(js.status, 200, 'static files are served');
  t.equal((await new WebClient(app).request('/static/style.css')).status, 200, 'static files need no sign-in');

  const before = w.store.actions.auditLog().length;
  let res = await c.request(`/devices/${mac}/label`, { method: 'POST', csrf: false, body: new URLSearchParams({ label: 'Hall', _csrf: 'B'.repeat(43) }) });
  t.equal(res.status, 403, 'a page form with a wrong token is refused');
  t.match(await res.text(), /CSRF/);
  res = await c.request(`/devices/${mac}/label`, { method: 'POST', csrf: false, body: new URLSearchParams({ label: 'Hall' }) });
  t.equal(res.status, 403, 'a page form without a token is refused');
  t.equal(w.store.devices.get(mac)!.label, null, 'nothing changed');
  t.equal(w.store.actions.auditLog().length, before);
  const { csrfToken } = await import('../src/web/csrf.js');
  res = await c.request(`/devices/${mac}/label`, { method: 'POST', csrf: false, body: new URLSearchParams({ label: 'Hall', _csrf: csrfToken(c.sessionId!) }) });
  t.not(res.status, 403, 'the right form token passes');
});

t.test('parallel guesses cannot slip past the login limit', async (t) => {
  const { w, app } = setup(t, { 'web.loginMaxFailures': '5' });
  await addUser(w, 'admin');
  const c = new WebClient(app, '198.51.100.77');
  const codes = await Promise.all(Array.from({ length: 20 }, (_, i) => c.login('admin', `parallel guess ${i}`).then((r) => r.status)));
  t.equal(codes.filter((s) => s === 401).length, 5, 'five checked');
  t.equal(codes.filter((s) => s === 429).length, 15, 'the rest refused without a check');
});
