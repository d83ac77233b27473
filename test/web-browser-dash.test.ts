/**
 * The dashboard fixes in a real browser (headless Debian Chromium through playwright-core) at 1280×800 and
 * 390×844, on an appliance that replayed the bundled demo capture with the bundled model scoring every flow:
 * chart axes that fit their data (trust history of points sharing one timestamp, the anomaly rate), the Models
 * page in words and of bounded height, forms that redirect after a post (a reload sends nothing again), no
 * "Scan now" in replay mode, the page naming its clock. Leaves screenshots of /models and a device page in both
 * themes in test-artifacts/.
 */
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../src/appliance.js';
import { assetPath, projectRoot } from '../src/assets.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import { setConfigOrigin } from '../src/config/edit.js';
import { createLogger } from '../src/log.js';
import { startWebServer } from '../src/web/server.js';
import { createUser } from './support/web-seed.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const PASSWORD = 'demo-password-123';
const SAME_TS_MAC = '02:bb:00:00:00:01';
const SIZES = [[1280, 800], [390, 844]] as const;

interface Scales {
  x: { min: number; max: number };
  rate?: { min: number; max: number };
  alerts?: { min: number; max: number };
}

t.test('dashboard fixes in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`, timeout: 240_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'argus-browser-dash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({
    flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.host': '127.0.0.1', 'web.port': '0', 'models.learn': 'false', 'eve.path': '' },
  });
  // Settings writes into the file the appliance started from: the project's documented config.yaml, copied
  const configFile = join(dir, 'config.yaml');
  copyFileSync(join(projectRoot(), 'config.yaml'), configFile);
  setConfigOrigin(config, { file: configFile, overridden: new Map() });
  const app = await Appliance.start(config, createLogger('warn'));
  const { pipeline, store } = app;
  const r = await replayFile(assetPath('demo/demo.pcap'), pipeline.pkt, pipeline.handlePacket, { onIdle: () => pipeline.flushOutputs() });
  t.equal(r.error ?? null, null, 'the demo capture replays');
  pipeline.flushOutputs();
  store.flush();
  t.ok(pipeline.scorer!.scored > 1000, `${pipeline.scorer!.scored} flows scored`);
  // a device whose trust points share one timestamp (a burst of evidence in one flush)
  const tsUs = app.nowUs();
  store.devices.upsert({ mac: SAME_TS_MAC, tsUs, hostname: 'burst' });
  for (const score of [90, 70, 55]) {
    store.devices.recordTrust({ mac: SAME_TS_MAC, tsUs, score, behavioral: score, vulnerability: 100, reputation: 100, level: score >= 75 ? 'normal' : 'warning', explanation: [] });
  }
  await createUser(store, 'admin', PASSWORD, 'admin');
  const server = await startWebServer(app.webDeps());
  t.teardown(async () => {
    await server.close();
    await app.stop();
  });
  const base = server.url;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  // a viewer in New York: the charts draw in their time zone and name UTC on hover
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'America/New_York' });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  await page.goto(base + '/login');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('main button[type=submit]')]);

  const scales = (id: string) => page.evaluate(`(() => { const u = document.getElementById('${id}')._uplot; return u ? { x: u.scales.x, rate: u.scales.rate, alerts: u.scales.alerts } : null; })()`) as Promise<Scales | null>;
  // polled with evaluate (the page's CSP forbids the eval that a string predicate of waitForFunction needs)
  const waitChart = async (id: string) => {
    const end = Date.now() + 5000;
    while (!(await page.evaluate(`!!document.getElementById('${id}')?._uplot`))) {
      if (Date.now() > end) throw new Error(`chart ${id} was not drawn within 5 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const height = () => page.evaluate('document.documentElement.scrollHeight') as Promise<number>;
  const overflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;

  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    // trust history: points sharing a timestamp get an hour around them, not 2026–2028
    await page.goto(`${base}/devices/${SAME_TS_MAC}`);
    await waitChart('chart-trust');
    const tr = (await scales('chart-trust'))!;
    t.ok(tr.x.max - tr.x.min <= 3600 * 1.01, `${w} px: trust time axis spans ${Math.round(tr.x.max - tr.x.min)} s for points sharing one timestamp`);
    t.ok(tr.x.min <= tsUs / 1e6 && tsUs / 1e6 <= tr.x.max, 'and holds them');

    // anomaly rate: a share axis from 0 to a little above the data, a count axis that holds the largest bar
    await page.goto(base + '/');
    await waitChart('chart-anomaly');
    const series = (await (await page.request.get(base + '/ui/overview/series')).json()) as { anomaly: { t: number[]; a: number[]; b: number[] } };
    const stored = store.db.prepare('SELECT count(*) AS n, sum(alert) AS alerts FROM anomaly_events').get() as { n: number; alerts: number };
    t.ok(series.anomaly.t.length <= 49, `${series.anomaly.t.length} buckets of 30 min over 24 h, not one per scored flow`);
    t.equal(series.anomaly.b.reduce((x, y) => x + y, 0), stored.alerts, `the buckets hold all ${stored.alerts} anomalies`);
    const an = (await scales('chart-anomaly'))!;
    const maxRate = Math.max(...series.anomaly.a);
    const maxCount = Math.max(...series.anomaly.b);
    t.ok(maxCount > 0, `the replay raised ${maxCount} anomalies in its busiest bucket`);
    t.ok(an.rate!.max <= 1 && an.rate!.max >= maxRate && an.rate!.max <= Math.max(0.001, maxRate * 1.2), `${w} px: the rate axis tops at ${(an.rate!.max * 100).toFixed(2)} % for a peak of ${(maxRate * 100).toFixed(2)} %`);
    t.ok(an.alerts!.max >= maxCount && an.alerts!.max <= Math.ceil(maxCount * 1.1) + 1, `the count axis tops at ${an.alerts!.max} for ${maxCount} anomalies`);
    const fit = (await page.evaluate(`(() => { const u = document.getElementById('chart-anomaly')._uplot; return u.axes.slice(1).map((a) => ({ size: a._size, longest: Math.max(...(a._values || ['']).map((v) => String(v).length)), values: a._values })); })()`)) as { size: number; longest: number; values: string[] }[];
    for (const a of fit) t.ok(a.size >= a.longest * 7, `${w} px: axis labels ${JSON.stringify(a.values)} fit in ${a.size} px`);
    t.match(await page.textContent('#clock-note'), /packet time \(replay mode\)/, 'the page says which clock its times are in');
    // 2026-01-15 10:00 UTC is 05:00 in New York
    t.equal(await page.evaluate(`(() => { const u = document.getElementById('chart-anomaly')._uplot; return u.series[0].value(u, 1768471200); })()`), '2026-01-15 05:00 (10:00 UTC)', 'the hovered time in the viewer\'s zone, UTC beside it');

    // the time range picker: the charts and the top lists follow it, and it stays in the address
    for (const [range, span] of [['1h', 3600], ['7d', 7 * 86_400]] as const) {
      await Promise.all([page.waitForURL((u) => u.searchParams.get('range') === range), page.click(`nav.range a[data-range="${range}"]`)]);
      await waitChart('chart-traffic');
      const x = (await scales('chart-traffic'))!.x;
      t.ok(Math.abs(x.max - x.min - span) <= 3600, `${w} px, ${range}: the traffic chart spans ${Math.round((x.max - x.min) / 3600)} h`);
      t.equal(await page.getAttribute(`nav.range a[data-range="${range}"]`, 'aria-current'), 'true', `${range} is marked as chosen`);
      t.ok((await overflow()) <= 1, `${w} px, ${range}: the overview does not scroll sideways`);
    }
    t.ok((await page.locator('#top-names tbody tr').count()) > 0, `${w} px: top DNS names of the demo network`);
    t.ok((await page.locator('#top-devices tbody tr').count()) > 0, `${w} px: top devices by traffic`);
    t.ok(await page.isVisible('#top-destinations'), 'top destinations on the internet');

    // the Models page: words, a bounded height, raw details closed and bounded when opened
    await page.goto(base + '/models');
    t.match(await page.textContent('#model-state'), /Using the default\S* model that ships with Argus Edge/, `${w} px: the model state in words`);
    const hModels = await height();
    t.ok(hModels < (w < 500 ? 4000 : 2000), `${w} px: /models is ${hModels} px tall`);
    t.ok((await overflow()) <= 1, `${w} px: /models does not scroll sideways`);
    t.notOk(await page.isVisible('#model-raw pre'), 'raw details are closed');
    await page.click('#model-raw summary');
    const preH = (await page.evaluate(`document.querySelector('#model-raw pre').getBoundingClientRect().height`)) as number;
    t.ok(preH > 50 && preH <= 330, `opened, the raw details box is ${Math.round(preH)} px tall`);
    await page.click('#retrain summary');
    t.match(await page.textContent('#retrain'), /What it learns from:.*What it leaves out:/s, 'the retrain confirmation says what it learns from and leaves out');
  }

  // forms redirect after a post: the browser lands on a page a reload can repeat
  await page.setViewportSize({ width: 1280, height: 800 });
  const mac = store.devices.query({ limit: 1, orderBy: 'trust' })[0]!.mac;
  await page.goto(`${base}/devices/${mac}`);
  t.equal(await page.locator(`form[action="/devices/${mac}/scan"]`).count(), 0, 'no "Scan now" in replay mode');
  t.match(await page.textContent('#device-actions'), /No scans in replay mode/);
  await page.fill('input[name=label]', 'Hall camera');
  await Promise.all([page.waitForURL(/done=renamed/), page.click('form[action$="/label"] button')]);
  t.equal(new URL(page.url()).pathname, `/devices/${mac}`, 'after renaming the address is the device page, not the POST URL');
  const audits = store.actions.auditLog({ actionPrefix: 'device.label' }).length;
  await page.reload();
  t.equal(store.actions.auditLog({ actionPrefix: 'device.label' }).length, audits, 'a reload sends nothing again');
  await page.goto(base + '/settings');
  await page.fill('form[action="/settings/tokens"] input[name=name]', 'grafana');
  await Promise.all([page.waitForURL(/done=token-created/), page.click('form[action="/settings/tokens"] button')]);
  t.match(await page.textContent('pre.token'), /^ae_/, 'the new token is shown once, on /settings');
  await page.reload();
  t.equal(store.auth.tokens().length, 1, 'a reload creates no second token');
  t.equal(await page.locator('pre.token').count(), 0, 'and shows the token no more');

  // Settings: a policy key changed in the form is in effect at once and in the file for the next start
  await page.goto(base + '/settings');
  await page.selectOption('#cfg-response\\.newDevice', 'alert');
  await Promise.all([page.waitForURL(/\/settings/), page.click('#config-form button[type=submit]')]);
  t.match(await page.textContent('main'), /In effect now: A device seen for the first time/, 'the page says the change is in effect');
  t.equal(config.response.newDevice, 'alert', 'the running policy has it');
  t.equal(loadConfig({ file: configFile }).response.newDevice, 'alert', 'and the file has it');

  // screenshots of /models and a device page in both themes, at both widths
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      for (const [name, path] of [['models', '/models'], ['device', `/devices/${mac}`], ['overview', '/'], ['devices', '/devices'], ['settings', '/settings'], ['alerts', '/alerts'], ['quarantine', '/quarantine'], ['audit', '/audit']] as const) {
        await page.goto(base + path);
        if (name === 'device' || name === 'overview') await waitChart(name === 'device' ? 'chart-trust' : 'chart-anomaly');
        await page.screenshot({ path: join(ARTIFACTS, `dash-${name}-${scheme}-${w}.png`), fullPage: true });
        if (name === 'device') {
          await page.locator('section.card', { has: page.locator('#chart-trust') }).screenshot({ path: join(ARTIFACTS, `dash-trust-${scheme}-${w}.png`) });
          await page.screenshot({ path: join(ARTIFACTS, `dash-device-top-${scheme}-${w}.png`) });
        }
        if (name === 'overview') await page.locator('section.card', { has: page.locator('#chart-anomaly') }).screenshot({ path: join(ARTIFACTS, `dash-anomaly-${scheme}-${w}.png`) });
        t.ok((await overflow()) <= 1, `${name} ${scheme} ${w} px does not scroll sideways`);
      }
    }
  }
  t.same(problems, [], 'no script errors');
});
