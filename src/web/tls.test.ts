import t from 'tap';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWebDeps } from '../../test/support/web-deps.js';
import { setUserPassword } from './password.js';
import { startWebServer } from './server.js';
import { loadOrCreateTls } from './tls.js';

function get(url: string, o: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; cert: X509Certificate | null }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? request : httpRequest)(
      u,
      { method: o.method ?? 'GET', headers: o.headers, rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        const sock = res.socket as { getPeerX509Certificate?: () => X509Certificate | undefined } | null;
        const cert = sock?.getPeerX509Certificate?.() ?? null;
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, cert }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

const noOpenssl = hasOpenssl() ? false : 'the openssl program is not installed (apt-get install openssl)';

t.test('web.tls: a self-signed certificate is generated beside the store and served', { skip: noOpenssl }, async (t) => {
  const w = buildWebDeps({ config: { 'web.tls': 'true', 'web.host': '127.0.0.1' } });
  t.teardown(() => w.close());
  await setUserPassword(w.store, { username: 'admin', password: 'tls password 1', role: 'admin', actor: 'test', tsUs: 1 });
  const server = await startWebServer(w.deps, { log: () => {} });
  t.teardown(() => server.close());
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(server.tls?.generated, true);
  t.equal(server.needsSetup, false);
  const certFile = join(w.dir, 'web-cert.pem');
  const keyFile = join(w.dir, 'web-key.pem');
  t.equal(server.tls?.certFile, certFile);
  t.ok(existsSync(certFile));
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'key file mode 0600');

  const h = await get(`${server.url}/healthz`);
  t.equal(h.status, 200);
  t.match(JSON.parse(h.body), { status: 'ok' });
  const served = h.cert!;
  const onDisk = new X509Certificate(readFileSync(certFile));
  t.equal(served.fingerprint256, onDisk.fingerprint256, 'the generated certificate is the one served');
  t.ok(served.checkIP('127.0.0.1'), 'valid for 127.0.0.1');
  t.ok(served.checkHost('localhost'));
  t.equal(h.headers['x-frame-options'], 'DENY');

  const login = await get(`${server.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: 'tls password 1' }).toString(),
  });
  t.equal(login.status, 303);
  const cookie = String(login.headers['set-cookie']);
  t.match(cookie, /^__Host-argus_session=/, '__Host- prefix over TLS');
  t.match(cookie, /Secure/);
  t.match(cookie, /HttpOnly/);
  const api = await get(`${server.url}/api/v1/health`, { headers: { cookie: cookie.split(';')[0]! } });
  t.equal(api.status, 200, 'the secure cookie signs in');
  await server.close();

  // a second start reuses the files
  const again = await startWebServer(w.deps, { log: () => {} });
  t.equal(again.tls?.generated, false);
  t.equal((await get(`${again.url}/healthz`)).cert!.fingerprint256, onDisk.fingerprint256);
  await again.close();
});

t.test('configured certificate files must exist', async (t) => {
  const w = buildWebDeps();
  t.teardown(() => w.close());
  await t.rejects(loadOrCreateTls({ host: '127.0.0.1', certFile: join(w.dir, 'missing.pem'), keyFile: join(w.dir, 'k.pem') }, w.deps.config.store.path), /web\.certFile .*missing\.pem does not exist/);
  writeFileSync(join(w.dir, 'c.pem'), 'x');
  await t.rejects(loadOrCreateTls({ host: '127.0.0.1', certFile: join(w.dir, 'c.pem'), keyFile: join(w.dir, 'k.pem') }, w.deps.config.store.path), /web\.keyFile/);
});

t.test('plain http server; a taken port gives a clear message', async (t) => {
  const w = buildWebDeps();
  t.teardown(() => w.close());
  const s = await startWebServer(w.deps, { log: () => {} });
  t.teardown(() => s.close());
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(s.tls, null);
  t.equal(s.needsSetup, true, 'no user yet');
  t.equal((await get(`${s.url}/healthz`)).status, 200);
  const r = await get(`${s.url}/api/v1/devices`);
  t.equal(r.status, 401);
  const taken = { ...w.deps, config: { ...w.deps.config, web: { ...w.deps.config.web, port: s.address.port } } };
  await t.rejects(startWebServer(taken, { log: () => {} }), new RegExp(`web.port ${s.address.port} on 127.0.0.1 is already in use`));
});
