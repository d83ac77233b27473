/**
 * DNS rebinding against first-run setup, in a real browser: headless Chromium resolves `evil.example` to
 * 127.0.0.1 (`--host-resolver-rules`), as a rebinding DNS server would once the attacker's page is loaded. The
 * attacker's page (served by the browser's request interception, standing in for the attacker's own server)
 * then talks to the appliance from its own origin: GET and POST /setup, even with the right setup code, and a
 * read of /settings. Every one must be refused with 421 and no administrator created, while the same browser
 * reaching the appliance by 127.0.0.1 gets the setup page.
 *
 * Chromium's own Private/Local Network Access checks are switched off: they block this attack in current
 * Chromium only, and the appliance must hold against every browser (and older Chromium) on its own.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebServer } from '../src/web/server.js';
import { buildWebDeps } from './support/web-deps.js';

const CHROMIUM = '/usr/bin/chromium';

t.test('DNS rebinding to 127.0.0.1 cannot reach setup', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`, timeout: 90_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'argus-rebind-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const w = buildWebDeps({ config: { 'web.host': '127.0.0.1', 'web.allowedHosts': '' } });
  t.teardown(() => w.close());
  const server = await startWebServer(w.deps, { log: () => {} });
  t.teardown(() => server.close());
  t.ok(server.needsSetup, 'a fresh appliance waits for setup');
  const port = server.address.port;
  const evil = `http://evil.example:${port}`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', `--host-resolver-rules=MAP evil.example 127.0.0.1`, '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks'] });
  t.teardown(() => browser.close());
  const page = await (await browser.newContext()).newPage();
  // the attacker's page: only this path is answered by the interception; everything else goes to the network,
  // where evil.example now resolves to the appliance
  await page.route(`${evil}/attack`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>cute cats</title><p>cats</p>' }));
  await page.goto(`${evil}/attack`);
  t.equal(await page.title(), 'cute cats', 'the attacker page is loaded from evil.example');

  // a string, not a function: the test's TypeScript loader would add helpers the page does not have
  const script = `(async () => {
    const out = {};
    const grab = async (name, p) => { const r = await p; out[name] = { status: r.status, text: (await r.text()).slice(0, 200) }; };
    await grab('get-setup', fetch('/setup'));
    const body = new URLSearchParams({ code: ${JSON.stringify(server.setupCode)}, username: 'mallory', password: 'mallory-password-1', confirm: 'mallory-password-1' });
    await grab('post-setup', fetch('/setup', { method: 'POST', body }));
    await grab('settings', fetch('/settings'));
    await grab('api', fetch('/api/v1/health'));
    await grab('healthz', fetch('/healthz'));
    return out;
  })()`;
  const results = (await page.evaluate(script)) as Record<string, { status: number; text: string }>;
  t.equal(Object.keys(results).length, 5, 'five requests made from the attacker page');
  for (const [name, r] of Object.entries(results)) t.equal(r.status, 421, `${name} from evil.example: 421 (${r.text.slice(0, 60)})`);
  t.equal(w.store.auth.users().length, 0, 'no administrator was created, even with the right setup code');

  // a top-level visit by that name is refused too
  const res = await page.goto(`${evil}/setup`);
  t.equal(res?.status(), 421, 'navigating to evil.example/setup: 421');

  // the control: an appliance told to answer to evil.example (web.allowedHosts) is reached by the same page, so
  // the 421s above are the Host check's doing, not the browser's
  const w2 = buildWebDeps({ config: { 'web.host': '127.0.0.1', 'web.allowedHosts': 'evil.example' } });
  t.teardown(() => w2.close());
  const open = await startWebServer(w2.deps, { log: () => {} });
  t.teardown(() => open.close());
  const evil2 = `http://evil.example:${open.address.port}`;
  await page.route(`${evil2}/attack`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>cats again</title>' }));
  await page.goto(`${evil2}/attack`);
  const reached = (await page.evaluate(`fetch('/setup').then((r) => r.status)`)) as number;
  t.equal(reached, 200, 'control: with evil.example allowed, the rebound page reaches /setup');

  // the same browser by the appliance's own address sees the setup page
  const own = await page.goto(`http://127.0.0.1:${port}/setup`);
  t.equal(own?.status(), 200, 'http://127.0.0.1/setup is served');
  t.ok(await page.locator('input[name=code]').count(), 'and asks for the setup code');
  const local = await page.goto(`http://localhost:${port}/setup`);
  t.equal(local?.status(), 200, 'http://localhost/setup is served');
});
