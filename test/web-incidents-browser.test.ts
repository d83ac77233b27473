/**
 * What `npm start` shows, in a real browser, on a fast replay: the appliance as `argus-edge run --mode replay
 * --loop` builds it (bundled model, inventory, trust, dry-run policy, web server on 127.0.0.1) replays the demo
 * capture without real-time pacing. At five minutes of packet time the replay waits while headless Chromium
 * checks the Overview: the learning banner, and the scanning camera as one incident in "Needs attention" whose
 * Quarantine (dry run) button works. Then the replay runs on into a second pass of the loop, which must not add
 * incidents, only count. Screenshots of Overview and Alerts at 1280×800 and 390×844, light and dark, are left
 * in test-artifacts/ (incidents-*.png).
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../src/appliance.js';
import { assetPath } from '../src/assets.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import type { Packet } from '../src/decode/packet.js';
import { createLogger } from '../src/log.js';
import { startWebServer } from '../src/web/server.js';
import { setUserPassword } from '../src/web/password.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const PASSWORD = 'demo-password-123';
const CAMERA = 'b0:c5:54:30:00:30';
const S = 1_000_000;

t.test('npm start on a fast replay: the camera scan is one incident with a working dry-run quarantine', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`, timeout: 300_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'argus-incidents-browser-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({ flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.host': '127.0.0.1', 'web.port': '0', 'eve.path': join(dir, 'eve.json'), 'capture.loop': 'true' } });
  const app = await Appliance.start(config, createLogger('warn'));
  const pipeline = app.pipeline;
  const store = app.store;
  t.equal(pipeline.models.state, 'learning', 'a fresh appliance learns its network (the bundled model scores meanwhile)');
  await setUserPassword(store, { username: 'admin', password: PASSWORD, role: 'admin', actor: 'test', tsUs: 1 });
  const server = await startWebServer(app.webDeps(), { log: () => {} });
  t.teardown(async () => {
    await server.close();
    await app.stop();
  });

  // the replay, paused at 5 minutes of packet time and stopped after the second pass of the loop
  let firstUs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let atFive!: () => void;
  const reachedFive = new Promise<void>((r) => (atFive = r));
  let paused = false;
  const ac = new AbortController();
  const onPacket = (p: Packet): void | Promise<void> => {
    if (firstUs === 0) firstUs = p.tsUs;
    if (!paused && p.tsUs - firstUs >= 300 * S) {
      paused = true;
      atFive();
      return gate.then(() => pipeline.handlePacket(p));
    }
    // the demo is ten minutes long; its second pass starts one second after the first ends
    if (p.tsUs - firstUs >= 1200 * S) {
      ac.abort();
      return;
    }
    pipeline.handlePacket(p);
  };
  const replay = replayFile(assetPath('demo/demo.pcap'), pipeline.pkt, onPacket, { loop: true, signal: ac.signal, onIdle: () => pipeline.flushOutputs() });
  await reachedFive;
  pipeline.flushOutputs();
  store.flush();

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url + '/login');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('main button[type=submit]')]);

  // five minutes in: the learning banner and the camera's scan in Needs attention
  t.match(await page.textContent('#learning-banner'), /Still learning this network/, 'the learning banner');
  const attention = page.locator('#attention');
  const scan = attention.locator('li.incident', { hasText: 'Port scan' });
  t.equal(await scan.count(), 1, 'the port scan is one incident');
  const text = (await scan.textContent())!.replace(/\s+/g, ' ');
  t.match(text, /garden-cam/, 'named by the device');
  t.match(text, /probed the ports of 192\.168\.1\.50/, 'what it did, in a sentence');
  t.match(text, /[\d,]+ alerts \([\d,]+ unusual flows\)/, 'its anomaly flows are inside it');
  const inc = store.incidents.query({ kind: 'scan.port.vertical', device: CAMERA })[0]!;
  t.ok(inc.anomalyCount >= 500, `the scan's anomaly flows joined it (${inc.anomalyCount})`);
  t.equal(store.incidents.count({ kind: 'anomaly', device: CAMERA }), 0, 'none of them is an incident of its own');
  t.ok(store.actions.query({ mac: CAMERA, state: 'active' }).length === 0, 'not quarantined yet');
  await page.screenshot({ path: join(ARTIFACTS, 'incidents-overview-5min-1280.png'), fullPage: true });

  // Quarantine (dry run) works from the card
  await Promise.all([page.waitForURL(/done=quarantined-dry/), scan.locator('button', { hasText: 'Quarantine (dry run)' }).click()]);
  t.match(await page.textContent('main'), /Quarantine recorded as a dry run/, 'it says what happened');
  const q = store.actions.query({ mac: CAMERA, state: 'active' });
  t.equal(q.length, 1, 'an active quarantine of the camera');
  t.equal(q[0]!.dryRun, true, 'as a dry run (replay is not inline)');
  t.equal(await attention.locator('li.incident', { hasText: 'Port scan' }).locator('button', { hasText: 'Release' }).count(), 1, 'the incident now offers Release');
  await page.reload();
  t.equal(store.actions.query({ mac: CAMERA }).length, 1, 'a reload does not send the form again');

  // the rest of the first pass and a whole second pass of the loop: counts grow, incidents do not multiply
  const before = store.incidents.count();
  release();
  const r = await replay;
  t.equal(r.error ?? null, null);
  t.ok(r.passes >= 2, `two passes of the demo (${r.passes} started)`);
  pipeline.flushOutputs();
  store.flush();
  const after = store.incidents.query({ limit: 100 });
  const alerts = (store.db.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
  t.ok(after.length <= before + 2, `a second pass adds no incidents of its own (${before} after 5 min, ${after.length} after two passes, ${alerts} alerts)`);
  t.ok(after.length <= 8, `a handful of incidents, not hundreds of rows (${after.length})`);
  const again = store.incidents.get(inc.id)!;
  t.ok(again.count > inc.count * 1.5, `the next pass's scan joined the same incident (${inc.count} → ${again.count})`);
  t.equal(store.incidents.count({ kind: 'scan.port.vertical', device: CAMERA }), 1, 'still one scan incident');
  await page.goto(server.url + '/alerts');
  const rows = await page.locator('#incidents-body tr').count();
  t.equal(rows, after.filter((i) => !i.muted).length, `the Alerts page lists incidents (${rows} rows for ${alerts} alerts)`);
  t.match(await page.textContent('select[name=kind]'), /Port scan/, 'the kind filter in words');

  // screenshots, both widths, both themes
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of [[1280, 800], [390, 844]] as const) {
      await page.setViewportSize({ width: w, height: h });
      for (const [name, path] of [['overview', '/'], ['alerts', '/alerts']] as const) {
        await page.goto(server.url + path);
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(ARTIFACTS, `incidents-${name}-${w}-${scheme}.png`), fullPage: true });
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
        t.ok(overflow <= 1, `${name} at ${w} px (${scheme}) does not scroll sideways (${overflow} px)`);
      }
    }
  }
  t.same(problems, [], 'no script errors, CSP violations or failed requests');
});
