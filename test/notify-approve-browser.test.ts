/**
 * Approving from the phone, in headless Chromium: the demo replay with response.requireApproval makes the
 * scanning camera's quarantine wait; the webhook receives an action.pending notice whose review link opens the
 * dashboard's review page after sign-in; the admin approves there and the action becomes active, audited with
 * who and how. Opening the link without a session, or with one but without the confirming POST, changes nothing.
 */
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { Appliance } from '../src/appliance.js';
import { assetPath } from '../src/assets.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startWebServer } from '../src/web/server.js';
import { createUser } from './support/web-seed.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

t.test('approve a pending quarantine from a notification link', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`, timeout: 180_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'argus-approve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bodies: Record<string, any>[] = [];
  const hook = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      bodies.push(JSON.parse(b));
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => hook.close(() => r())));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;

  const config = loadConfig({
    flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.host': '127.0.0.1', 'web.port': '0', 'eve.path': '', 'response.autoQuarantine': 'true', 'response.requireApproval': 'true' },
    env: { ARGUS_EDGE_NOTIFY_CHANNELS: JSON.stringify([{ type: 'webhook', url: hookUrl, minSeverity: 'low', topics: ['action.pending', 'action.active'] }]) },
  });
  const app = await Appliance.start(config, createLogger('warn'));
  const r = await replayFile(assetPath('demo/demo.pcap'), app.pipeline.pkt, app.pipeline.handlePacket, { onIdle: () => app.pipeline.flushOutputs() });
  t.equal(r.error ?? null, null);
  app.pipeline.flushOutputs();
  app.store.flush();
  const server = await startWebServer(app.webDeps());
  t.teardown(async () => {
    await server.close();
    await app.stop();
  });
  // the dashboard's real address is known only now: links are built from notify.dashboardUrl, so rewrite
  for (let i = 0; i < 100 && !bodies.some((b) => b.topic === 'action.pending'); i++) await sleep(20);
  const pending = bodies.find((b) => b.topic === 'action.pending');
  t.ok(pending, `an action.pending notice was sent (${bodies.map((b) => b.topic).join(', ') || 'none'})`);
  if (!pending) return;
  const review = pending.links.find((l: { label: string }) => /Review/.test(l.label));
  t.match(review?.url, /\/actions\/\d+\/review$/, 'it carries a review link');
  const id = Number(/\/actions\/(\d+)\/review$/.exec(review.url)![1]);
  const link = `${server.url}/actions/${id}/review`;
  t.equal(app.store.actions.get(id)?.state, 'pending');

  // the link alone, without a session: sign-in is asked for, nothing changes
  const anon = await fetch(link, { redirect: 'manual' });
  t.ok([302, 303].includes(anon.status), `without a session the link redirects to sign-in (${anon.status})`);
  t.match(anon.headers.get('location') ?? '', /^\/login/);
  t.equal(app.store.actions.get(id)?.state, 'pending', 'opening the link changes nothing');

  await createUser(app.store, 'admin', 'approve-password-1');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  t.teardown(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await page.goto(link);
  t.match(new URL(page.url()).pathname, /^\/login/, 'the phone is sent to sign in first');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'approve-password-1');
  await Promise.all([page.waitForURL((u) => u.pathname === `/actions/${id}/review`), page.click('main button[type=submit]')]);
  t.equal(new URL(page.url()).pathname, `/actions/${id}/review`, 'after sign-in the review page opens');
  t.match(await page.textContent('h1'), /Quarantine/);
  t.equal(app.store.actions.get(id)?.state, 'pending', 'the review page alone changes nothing');
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'review-phone.png'), fullPage: true });
  await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Approve")')]);
  await page.waitForLoadState('load');
  t.equal(app.store.actions.get(id)?.state, 'active', 'approved: the quarantine is active (dry run)');
  t.match(await page.textContent('main'), /no longer waiting/);
  const audit = app.store.actions.auditLog({ limit: 20 });
  t.ok(audit.some((a) => a.action === 'action.approve' && a.actor === 'admin'), 'the approval is audited with who');
  t.ok(audit.some((a) => a.action === 'action.review' && a.actor === 'admin' && /notification link/.test(a.reason ?? '')), 'and how');
  for (let i = 0; i < 100 && !bodies.some((b) => b.topic === 'action.active'); i++) await sleep(20);
  t.ok(bodies.some((b) => b.topic === 'action.active' && b.action.id === id), 'the approval is announced too');
});
