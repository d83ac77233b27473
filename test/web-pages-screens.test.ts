/**
 * Every dashboard page as a home admin sees it after the demo's scan phase, in a real browser (headless Debian
 * Chromium through playwright-core): the appliance as `npm start` builds it replays the demo capture without
 * pacing and waits at five minutes of packet time, the camera's scan done. Setup (before any user exists),
 * sign-in, Overview, Devices, the camera's and the router's device pages, Alerts, an incident, Quarantine (empty
 * and with the camera's dry-run quarantine), Models, Audit and Settings are loaded at 1280×800 and 390×844, in
 * the light and the dark theme (prefers-color-scheme, which the pages follow unless the toggle chose one), and
 * left as full-page screenshots in test-artifacts/pages-<page>-<width>-<theme>.png for a person to look at.
 *
 * What can fail without a person: every page answers without a 4xx/5xx (its own request and every resource),
 * logs no console error or CSP violation, has its h1, does not scroll sideways on the phone, and in the dark
 * theme draws its text lighter than its background.
 */
import t from 'tap';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { setConfigOrigin } from '../src/config/edit.js';
import { gatewayMac } from '../src/web/device-facts.js';
import { ARTIFACTS, DEMO_PASSWORD, NEEDS_CHROMIUM, ReplayHold, launchChromium, openPage, signIn, startDemoDashboard } from './support/demo-dashboard.js';
import { createUser } from './support/web-seed.js';

const CAMERA = 'b0:c5:54:30:00:30';
const S = 1_000_000;
const SIZES = [[1280, 800], [390, 844]] as const;
const SCHEMES = ['light', 'dark'] as const;

/** Relative luminance of a CSS rgb()/rgba() colour (WCAG), or null when it cannot be read. */
function luminance(css: string): number | null {
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(css);
  if (m === null) return null;
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => {
    const c = Number(x) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

t.test('every page after the demo scan, both widths, both themes', { skip: NEEDS_CHROMIUM, timeout: 400_000 }, async (t) => {
  const { pipeline, store, server, replay: replayDemo } = await startDemoDashboard(t, {
    name: 'pages-screens',
    // Settings shows the editable keys of the file the appliance started from: the documented config.yaml, copied
    configure: (config, dir) => {
      const configFile = join(dir, 'config.yaml');
      copyFileSync(join(projectRoot(), 'config.yaml'), configFile);
      setConfigOrigin(config, { file: configFile, overridden: new Map() });
    },
  });

  // the replay, held at 5 minutes of packet time (the camera's scan is over) until the screenshots are taken
  const hold = new ReplayHold(300 * S);
  const ac = new AbortController();
  const replay = replayDemo((p) => {
    const held = hold.check(p);
    if (held !== null) return held.then(() => ac.abort());
    pipeline.handlePacket(p);
  }, ac.signal);
  t.teardown(async () => {
    hold.release();
    await replay;
  });
  await hold.reached;
  pipeline.flushOutputs();
  store.flush();

  const browser = await launchChromium(t);
  const problems: string[] = [];
  const page = await openPage(browser, 1280, 800, problems);
  mkdirSync(ARTIFACTS, { recursive: true });

  /** Loads `path` at every size and theme, checks it and leaves its screenshots. */
  const shoot = async (name: string, path: string, h1: RegExp) => {
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [w, h] of SIZES) {
        await page.setViewportSize({ width: w, height: h });
        problems.length = 0;
        const res = await page.goto(server.url + path);
        const where = `${name} at ${w} px (${scheme})`;
        t.ok(res !== null && res.status() < 400, `${where}: HTTP ${res?.status()}`);
        // charts are drawn from a fetch after load
        await page.waitForTimeout(400);
        const head = await page.locator('h1').first().textContent({ timeout: 2000 }).catch(() => null);
        t.match(head ?? '', h1, `${where}: its h1 (${head?.trim()})`);
        const sideways = (await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth')) as number;
        t.ok(sideways <= 0, `${where}: no sideways scrolling (${sideways} px too wide)`);
        if (w < 600) {
          // a table wider than its box scrolls inside it: on a phone that hid the Trust column and the Release button
          const hidden = (await page.evaluate('[...document.querySelectorAll(".table-wrap")].filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map((e) => (e.closest("section")?.querySelector("h2")?.textContent ?? "?").trim() + " (" + (e.scrollWidth - e.clientWidth) + " px)")')) as string[];
          t.same(hidden, [], `${where}: every table fits the phone's width`);
        }
        if (scheme === 'dark') {
          const [fg, bg] = (await page.evaluate('[getComputedStyle(document.querySelector("main")).color, getComputedStyle(document.body).backgroundColor]')) as [string, string];
          const lf = luminance(fg);
          const lb = luminance(bg);
          t.ok(lf !== null && lb !== null && lf > lb + 0.3, `${where}: light text (${fg}) on a dark background (${bg})`);
        }
        await page.screenshot({ path: join(ARTIFACTS, `pages-${name}-${w}-${scheme}.png`), fullPage: true });
        t.same(problems, [], `${where}: no console errors, CSP violations or failed requests`);
      }
    }
  };

  // before anyone has an account: the setup page (this is the machine itself, so it is offered)
  await shoot('setup', '/setup', /set up|setup|welcome/i);
  await createUser(store, 'admin', DEMO_PASSWORD, 'admin');
  await shoot('login', '/login', /sign in/i);

  await signIn(page, server);

  const scan = store.incidents.query({ kind: 'scan.port.vertical', device: CAMERA })[0];
  t.ok(scan !== undefined, "the camera's scan is an incident");
  const router = gatewayMac(store);
  t.ok(router !== null, `the router is known (${router})`);

  const pages: [string, string, RegExp][] = [
    ['overview', '/', /Overview/],
    ['devices', '/devices', /Devices/],
    ['device-camera', `/devices/${CAMERA}`, /garden-cam|b0:c5:54/i],
    ['device-router', `/devices/${router}`, /Gateway/],
    ['alerts', '/alerts', /Alerts|Incidents/],
    ['incident', `/incidents/${scan!.id}`, /Port scan by garden-cam/],
    ['quarantine', '/quarantine', /Quarantine/],
    ['models', '/models', /Model/],
    ['audit', '/audit', /Audit/],
    ['settings', '/settings', /Settings/],
  ];
  for (const [name, path, h1] of pages) await shoot(name, path, h1);

  // what looking at the screenshots changed
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(server.url + '/');
  const tops = (await page.textContent('#top-devices'))!;
  // on a phone a short DNS name keeps one line: the number columns beside it take only their figures' width
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(server.url + '/');
  const names = (await page.evaluate(`[...document.querySelectorAll('#top-names .clip2, #top-destinations .clip2')].map((n) => [n.textContent.trim(), Math.round(n.getBoundingClientRect().height)])`)) as [string, number][];
  t.ok(names.length >= 10, `${names.length} names in the top lists`);
  t.same(names.filter(([, h]) => h > 30), [], 'every top DNS name and destination name keeps to one line on a phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  t.notMatch(tops, /192\.168\.1\.30/, "the camera's address is not a top device of its own beside garden-cam");
  await page.goto(server.url + `/incidents/${scan!.id}`);
  t.ok((await page.locator('tbody tr').count()) <= 25, 'an incident page lists its 25 newest member alerts, not 100');
  const gap = (await page.evaluate(`document.querySelector('main section.card').getBoundingClientRect().top - document.querySelector('main ul.incidents.card').getBoundingClientRect().bottom`)) as number;
  t.ok(gap >= 8, `the incident's card and its Evidence card are ${gap} px apart, not touching`);
  // the anomaly model's evidence in words: its per-model scores ("isolation-forest 0.902") only in a code's title
  const words = (await page.evaluate(`(() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('code').forEach((c) => c.remove()); return m.textContent; })()`)) as string;
  t.notMatch(words, /isolation-forest|autoencoder|anomaly score|\(score [\d.]+\)/, `the incident page speaks no model jargon (${/\S*(isolation-forest|autoencoder|anomaly score|score [\d.]+)\S*/.exec(words)?.[0]})`);
  t.ok((await page.locator('code[title*="isolation-forest"]').count()) > 0, 'the per-model scores stay in the title of a small code');
  const evidence = await page.locator('section:has(h2:text("Evidence")) li').allTextContents();
  t.equal(new Set(evidence.map((e) => e.replace(/\s*\(× \d+\)$/, ''))).size, evidence.length, `each evidence line once (${evidence.length} lines)`);
  await page.goto(server.url + `/devices/${CAMERA}`);
  t.equal(await page.locator('#device-alerts details[open]').count(), 0, "the camera's raw alerts are folded under its incidents");
  t.match((await page.textContent('#device-alerts summary'))!, /\d+ newest alerts/);
  // a recommendation is a sentence; the alert kind it comes from is a small code, not "(scan.port.vertical)"
  const advice = (await page.evaluate(`[...document.querySelectorAll('main li')].filter((li) => li.querySelector('.badge[class*="resp-"]')).map((li) => { const c = li.cloneNode(true); c.querySelectorAll('code').forEach((e) => e.remove()); return c.textContent.trim(); })`)) as string[];
  t.ok(advice.length > 0, `${advice.length} recommendations for the camera`);
  t.same(advice.filter((a) => /\([a-z]+(\.[a-z]+)+\)/.test(a)), [], 'no raw alert kind in brackets in a recommendation');
  // the audit log's action codes stay on one line at desktop width ("respond.no|tify" broke mid-word)
  await page.goto(server.url + '/audit');
  const broken = (await page.evaluate(`[...document.querySelectorAll('#audit-table tbody td:nth-child(3) code')].filter((c) => c.getClientRects().length > 1 || c.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(c).lineHeight || '20')).map((c) => c.textContent)`)) as string[];
  t.ok((await page.locator('#audit-table tbody tr').count()) > 0, 'the audit log has rows');
  t.same(broken, [], 'every action code on one line');
  // the live packet-rate panel of a held replay says that nothing arrives rather than waiting for ever
  await page.goto(server.url + '/');
  const live = page.locator('[data-chart="live"]');
  await live.getByText(/No packets are arriving now; this replay has read [\d,]+ packets/).waitFor({ timeout: 15_000 }).catch(() => {});
  t.match((await live.textContent()) ?? '', /No packets are arriving now; this replay has read [\d,]+ packets/, 'the live panel of a held replay');

  // the camera quarantined (dry run) from its incident: Quarantine lists it, the Overview offers Release
  await page.goto(server.url + '/');
  const card = page.locator('#attention li.incident', { hasText: 'Port scan' });
  await Promise.all([page.waitForURL(/done=quarantined-dry/), card.locator('button', { hasText: 'Quarantine (dry run)' }).click()]);
  t.equal(store.actions.query({ mac: CAMERA, state: 'active' }).length, 1, 'the camera is in (dry-run) quarantine');
  await shoot('quarantine-active', '/quarantine', /Quarantine/);
  await shoot('overview-quarantined', '/', /Overview/);
  hold.release();
  t.equal((await replay).error ?? null, null, 'the replay ends cleanly');
});
