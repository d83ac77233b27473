/**
 * The dashboard in a real browser: headless Debian Chromium driven by playwright-core against the appliance's
 * web server on 127.0.0.1, with a real store filled by replaying the bundled demo capture through the pipeline
 * (device inventory and trust scoring attached to its bus). Creates the administrator, signs in, finds a device,
 * quarantines it (dry run), finds the action in the audit log, sees an incident arrive over SSE, acknowledges it, and
 * leaves screenshots of the main pages at phone and desktop widths in test-artifacts/.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../src/appliance.js';
import { assetPath } from '../src/assets.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startWebServer, type WebServer } from '../src/web/server.js';
import { sseStats } from '../src/web/sse.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const PASSWORD = 'demo-password-123';

t.test('dashboard in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`, timeout: 120_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'argus-browser-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({
    flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.host': '127.0.0.1', 'web.port': '0', 'models.enabled': 'false', 'eve.path': '' },
  });
  // the appliance as `argus-edge run --mode replay` builds it: inventory, trust, policy (dry-run firewall), web
  const app = await Appliance.start(config, createLogger('warn'));
  const pipeline = app.pipeline;
  const store = app.store;
  const r = await replayFile(assetPath('demo/demo.pcap'), pipeline.pkt, pipeline.handlePacket, { onIdle: () => pipeline.flushOutputs() });
  t.equal(r.error ?? null, null, 'the demo capture replays');
  pipeline.flushOutputs();
  store.flush();
  t.ok(store.devices.count() > 0, `the replay found ${store.devices.count()} devices`);
  t.ok(app.policy.dryRun, 'replay mode: the firewall is a dry run');
  const deps = app.webDeps();
  const server: WebServer = await startWebServer(deps);
  t.teardown(async () => {
    await server.close();
    await app.stop();
  });
  const base = server.url;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // failed loads are reported with their address by the response handler below
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('pageerror', (e) => problems.push(e.message));

  /** Submits a sign-in form (setup or login) in the browser and checks that it is accepted. */
  const submitSignIn = async (path: '/setup' | '/login', fields: Record<string, string>): Promise<void> => {
    for (const [k, v] of Object.entries(fields)) await page.fill(`input[name=${k}]`, v);
    await Promise.all([page.waitForLoadState('load'), page.waitForURL((u) => u.pathname !== path || true), page.click('main button[type=submit]')]);
    await page.waitForLoadState('load');
    const refused = new URL(page.url()).pathname === path;
    t.notOk(refused, `the ${path} form is accepted from the browser${refused ? ` (refused: ${(await page.textContent('main'))?.trim().slice(0, 120)})` : ''}`);
  };

  // first run: the setup page creates the administrator and signs in; then sign out and in again
  await page.goto(base + '/');
  t.match(page.url(), /\/setup$/, 'a fresh appliance asks for an administrator');
  await submitSignIn('/setup', { code: server.setupCode, username: 'admin', password: PASSWORD, confirm: PASSWORD });
  await Promise.all([page.waitForURL(/\/login$/), page.click('form[action="/logout"] button')]);
  await submitSignIn('/login', { username: 'admin', password: PASSWORD });
  t.equal(await page.textContent('h1'), 'Overview', 'signed in');

  // a device from the replay shows in the table; open it and quarantine it
  await page.goto(base + '/devices');
  const first = page.locator('#devices-table tbody tr a').first();
  await first.waitFor({ timeout: 5000 });
  const href = (await first.getAttribute('href'))!;
  t.match(href, /^\/devices\/[0-9a-f:]{17}$/, 'a device is listed');
  await Promise.all([page.waitForURL(base + href), first.click()]);
  const mac = href.slice('/devices/'.length);
  await page.fill('form[action$="/quarantine"] input[name=reason]', 'browser test');
  await Promise.all([page.waitForURL(/done=quarantined/), page.click('form[action$="/quarantine"] button')]);
  t.match(await page.textContent('#device-actions'), /active quarantine since/, 'the device page shows the quarantine');
  t.equal(store.actions.query({ mac, state: 'active' }).length, 1, 'an active (dry-run) quarantine in the store');
  await page.goto(base + '/audit');
  const auditText = (await page.textContent('#audit-table'))!;
  t.match(auditText, /action\.create/, 'the audit log lists the action');
  t.match(auditText, new RegExp(`admin\\s*action\\.create\\s*${mac}`), 'with the user and the device');

  // a new incident arrives over SSE without a reload: Needs attention is replaced, a toast says so
  await page.goto(base + '/');
  const deadline = Date.now() + 5000;
  while (sseStats(deps).clients < 1 && Date.now() < deadline) await page.waitForTimeout(50);
  t.ok(sseStats(deps).clients >= 1, 'the page opened the event stream');
  await page.waitForTimeout(200);
  const sent = Date.now();
  pipeline.bus.emit('alert', {
    id: 'browser-live-1', tsUs: app.nowUs(), kind: 'dns.tunnel', signature: 'Live alert from the browser test', severity: 1, confidence: 1,
    srcIp: '192.168.1.50', srcMac: mac, targets: ['tunnel.browser.example'], destPort: 53, proto: 'udp', evidence: [{ text: 'emitted on the bus' }], suggestedResponse: 'quarantine',
  });
  const liveCard = page.locator('#attention li.incident', { hasText: 'tunnel.browser.example' });
  await liveCard.waitFor({ timeout: 3000 });
  t.ok(Date.now() - sent <= 3000, `the incident appeared after ${Date.now() - sent} ms`);
  t.ok(await page.locator('#toasts .toast', { hasText: 'Live alert from the browser test' }).count() >= 1, 'and a toast');

  // acknowledging it posts, redirects back to the overview and takes it off the list
  await Promise.all([page.waitForURL(/done=acked-incident/), liveCard.locator('button', { hasText: 'Acknowledge' }).click()]);
  t.equal(new URL(page.url()).pathname, '/', 'back on the overview');
  t.equal(await page.locator('#attention li.incident', { hasText: 'tunnel.browser.example' }).count(), 0, 'off the Needs attention list');
  t.equal(store.alerts.get('browser-live-1')?.acknowledged, true, 'its alert is acknowledged in the store');

  // the device filter re-renders the table as you type
  await page.goto(base + '/devices');
  const before = await page.locator('#devices-table tbody tr').count();
  await page.fill('input[name=q]', 'garden');
  const until = Date.now() + 3000;
  while ((await page.locator('#devices-table tbody tr').count()) !== 1 && Date.now() < until) await page.waitForTimeout(50);
  t.equal(await page.locator('#devices-table tbody tr').count(), 1, 'one device left');
  t.ok(before > 1, `the filter narrows ${before} devices to 1`);
  t.match(page.url(), /q=garden/, 'and the address follows the filter');

  // screenshots at phone and desktop widths
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [w, h] of [[390, 844], [1280, 900]] as const) {
    await page.setViewportSize({ width: w, height: h });
    const pages = [['overview', '/'], ['devices', '/devices'], ['device', href], ['alerts', '/alerts'], ['quarantine', '/quarantine'], ['models', '/models'], ['audit', '/audit'], ['settings', '/settings']] as const;
    for (const [name, path] of pages) {
      await page.goto(base + path);
      await page.waitForTimeout(400); // charts draw after their JSON arrives
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${w}.png`), fullPage: true });
      // a string: the test is compiled without the DOM library
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      t.ok(overflow <= 1, `${name} at ${w} px does not scroll sideways (${overflow} px)`);
    }
  }
  // on a phone the navigation folds behind ☰
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/');
  const devicesLink = page.locator('.nav-links a', { hasText: 'Devices' });
  t.notOk(await devicesLink.isVisible(), 'the menu is folded at 390 px');
  await page.click('label.nav-burger');
  t.ok(await devicesLink.isVisible(), 'and opens on ☰');
  await page.setViewportSize({ width: 1280, height: 900 });

  // dark theme: the system preference, then the toggle (remembered across pages)
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(base + href);
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(ARTIFACTS, 'device-dark-1280.png'), fullPage: true });
  const bg = async () => (await page.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
  t.equal(await bg(), 'rgb(15, 19, 24)', 'dark background under prefers-color-scheme: dark');
  await page.click('#theme-toggle');
  t.equal(await bg(), 'rgb(246, 247, 249)', 'the toggle switches to light');
  await page.goto(base + '/devices');
  t.equal(await bg(), 'rgb(246, 247, 249)', 'and the choice is remembered');

  t.same(problems, [], 'no script errors, CSP violations or failed requests');
});
