/**
 * The web holes found by attacking the dashboard: Host header check (DNS rebinding), the open redirect through
 * `next`, and bad input that used to answer 500 with a stack trace in the log. Real store, real app, requests
 * through `app.request()` with the client address set as @hono/node-server sets it.
 */
import t from 'tap';
import { setUserPassword } from '../src/web/password.js';
import { safeNext } from '../src/web/auth.js';
import { hostOf } from '../src/web/host-check.js';
import { webApp } from '../src/web/server.js';
import { buildWebDeps, fromAddress, WebClient } from './support/web-deps.js';

const PASSWORD = 'correct horse battery';

async function setup(t: { teardown(fn: () => void): void }) {
  const w = buildWebDeps();
  t.teardown(() => w.close());
  const logged: string[] = [];
  const app = webApp(w.deps, { log: (m) => logged.push(m), setupCode: 'ABCD-EFGH', machineNames: () => ['192.0.2.44', 'fe80::1', 'argus-pi', 'argus-pi.local'] });
  await setUserPassword(w.store, { username: 'admin', password: PASSWORD, role: 'admin', actor: 'test', tsUs: 1 });
  return { w, app, logged };
}

t.test('hostOf reads the host part of a Host header', async (t) => {
  t.equal(hostOf('Argus.Test:8080'), 'argus.test');
  t.equal(hostOf('[::1]:8080'), '::1');
  t.equal(hostOf('192.0.2.1'), '192.0.2.1');
  t.equal(hostOf('example.com.'), 'example.com', 'a trailing dot is the same name');
  t.equal(hostOf('evil.example@127.0.0.1'), null);
  t.equal(hostOf(''), null);
  t.equal(hostOf(undefined), null);
});

t.test('Host header: the appliance’s names are served, any other name gets 421', async (t) => {
  const { app } = await setup(t);
  const at = (host: string, path = '/healthz') => app.request(`http://${host}${path}`, {}, fromAddress('127.0.0.1'));
  for (const host of ['localhost:8080', '127.0.0.1:8080', '127.3.4.5', '[::1]:8080', '192.0.2.44:8080', '[fe80::1]', 'argus-pi', 'ARGUS-PI.local:8080', 'argus.test']) {
    t.equal((await at(host)).status, 200, `${host} is served`);
  }
  for (const host of ['evil.example', 'evil.example:8080', '192.0.2.45', 'localhost.evil.example', 'argus-pi.evil.example']) {
    for (const path of ['/healthz', '/setup', '/login', '/api/v1/health']) {
      const res = await at(host, path);
      t.equal(res.status, 421, `${host}${path} refused`);
    }
  }
  const res = await at('evil.example', '/login');
  t.match(await res.text(), /web\.allowedHosts/, 'the refusal says how to allow a name');
  t.match(res.headers.get('content-security-policy'), /default-src 'self'/, 'security headers on the refusal too');
  const forged = await app.request('http://127.0.0.1/healthz', { headers: { host: 'evil.example' } }, fromAddress('127.0.0.1'));
  t.equal(forged.status, 421, 'a Host header that differs from the URL is checked too');
  const c = new WebClient(app);
  t.equal((await c.login('admin', PASSWORD)).status, 303);
  const health = (await (await c.request('/api/v1/health')).json()) as { web: { hostRefused: number; login: { pairs: number } } };
  t.ok(health.web.hostRefused >= 22, `refusals are counted (${health.web.hostRefused}) in /api/v1/health`);
});

t.test('web.allowedHosts adds names', async (t) => {
  const w = buildWebDeps({ config: { 'web.allowedHosts': 'argus.home.arpa, argus.test' } });
  t.teardown(() => w.close());
  const app = webApp(w.deps, { log: () => {}, machineNames: () => [] });
  t.equal((await app.request('http://argus.home.arpa:8443/healthz')).status, 200);
  t.equal((await app.request('http://other.home.arpa/healthz')).status, 421);
});

t.test('safeNext: a single leading slash, no backslash, no control characters', async (t) => {
  t.equal(safeNext(undefined), '/');
  t.equal(safeNext(''), '/');
  t.equal(safeNext('/alerts?kind=dns.tunnel'), '/alerts?kind=dns.tunnel');
  t.equal(safeNext('/login?next=/x'), '/', 'back to the sign-in itself becomes the overview');
  for (const bad of ['//evil.example/x', '/\t/127.0.0.1:18401/phish', '/\\evil.example', '/a\\b', '/x\r\nSet-Cookie: a=b', '/x\n', 'https://evil.example/', 'alerts', '/\u0000', '/' + 'a'.repeat(2001)]) {
    t.equal(safeNext(bad), null, `${JSON.stringify(bad.slice(0, 40))} refused`);
  }
});

t.test('the measured open redirect and the 500s are clean 400s, nothing in the log', async (t) => {
  const { app, logged } = await setup(t);
  const c = new WebClient(app);
  t.equal((await c.login('admin', PASSWORD)).status, 303);
  // the measured case: a signed-in user following the link
  let res = await c.request('/login?next=%2F%09%2F127.0.0.1:18401%2Fphish');
  t.equal(res.status, 400, 'tab in next: 400');
  t.equal(res.headers.get('location'), null, 'no redirect at all');
  for (const next of ['%2F%2Fevil.example', '%2F%5Cevil.example', 'https:%2F%2Fevil.example', '%2Fx%0D%0ASet-Cookie:%20a=b', '%2Fx%0A']) {
    res = await c.request(`/login?next=${next}`);
    t.equal(res.status, 400, `next=${next}: 400`);
  }
  const anon = new WebClient(app);
  res = await anon.request('/login?next=%2Fx%0D%0ALocation:%20//evil.example');
  t.equal(res.status, 400, 'CR/LF in next before sign-in: 400');
  res = await anon.request('/login', { method: 'POST', body: new URLSearchParams({ username: 'admin', password: PASSWORD, next: '/x\r\nSet-Cookie: a=b' }) });
  t.equal(res.status, 400, 'CR/LF in the posted next: 400');
  t.equal(anon.cookie, null, 'and no sign-in');

  const multipart = (body: string, type = 'multipart/form-data; boundary=XyZ') =>
    anon.request('/login', { method: 'POST', headers: { 'content-type': type }, body });
  res = await multipart('--XyZ\r\nContent-Disposition: form-data; name="username"\r\n\r\nadmin\r\n--XyZ\r\nbroken');
  t.equal(res.status, 400, 'a truncated multipart body: 400');
  t.match(await res.text(), /form body could not be read/);
  res = await multipart('garbage', 'multipart/form-data');
  t.equal(res.status, 400, 'multipart without a boundary: 400');
  res = await anon.request('/setup', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=q' }, body: '--q\r\nbroken' });
  t.not(res.status, 500, `a malformed setup body is not a 500 (${res.status})`);

  // the API and the dashboard forms with the same bodies
  res = await c.request('/api/v1/devices/02:00:00:00:00:01', { method: 'PATCH', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: '--XyZ\r\nbroken' });
  t.equal(res.status, 400, 'API: malformed multipart is 400');
  t.match(await res.json(), { error: /form body/ });
  for (const path of ['/alerts?before=%E0%A4%A', '/devices?search=%ZZ', '/devices/%E0', '/api/v1/alerts?since=%E0%A4%A', '/api/v1/devices/%ZZ', '/audit?actor=%00']) {
    res = await c.request(path);
    t.ok(res.status < 500, `${path}: ${res.status}, not a 5xx`);
  }
  t.same(logged, [], 'nothing logged: no stack trace for bad input');
});
