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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, DEMO_PASSWORD, NEEDS_CHROMIUM, ReplayHold, launchChromium, openPage, signIn, startDemoDashboard } from './support/demo-dashboard.js';
import { createUser } from './support/web-seed.js';

const CAMERA = 'b0:c5:54:30:00:30';
const S = 1_000_000;

t.test('npm start on a fast replay: the camera scan is one incident with a working dry-run quarantine', { skip: NEEDS_CHROMIUM, timeout: 300_000 }, async (t) => {
  const { pipeline, store, server, replay: replayDemo } = await startDemoDashboard(t, { name: 'incidents-browser' });
  t.equal(pipeline.models.state, 'learning', 'a fresh appliance learns its network (the bundled model scores meanwhile)');
  await createUser(store, 'admin', DEMO_PASSWORD, 'admin');

  // the replay, paused at 5 minutes of packet time and stopped after the second pass of the loop
  const hold = new ReplayHold(300 * S);
  const ac = new AbortController();
  const replay = replayDemo((p) => {
    const held = hold.check(p);
    if (held !== null) return held.then(() => pipeline.handlePacket(p));
    // the demo is ten minutes long; its second pass starts one second after the first ends
    if (hold.sinceFirstUs(p) >= 1200 * S) {
      ac.abort();
      return;
    }
    pipeline.handlePacket(p);
  }, ac.signal);
  await hold.reached;
  pipeline.flushOutputs();
  store.flush();

  const browser = await launchChromium(t);
  const problems: string[] = [];
  const page = await openPage(browser, 1280, 800, problems);
  await signIn(page, server);

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
  hold.release();
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
