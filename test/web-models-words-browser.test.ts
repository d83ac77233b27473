/**
 * The Models page as a home admin reads it, in a real browser (headless Debian Chromium through playwright-core) at
 * 1280×800 and 390×844, on the real model manager with the bundled model: the state, when it alerts and what
 * changed at the last retrain are in words. Model jargon (the detectors' algorithms, tail fits, quantiles,
 * "peaks", "benign", "scores") appears nowhere in that text, and a raw figure (a threshold such as 0.999366) only
 * as a small code beside the words. The page is bounded in height, the raw details closed, and opened, in a box
 * of bounded height.
 */
import t from 'tap';
import { initTf } from '../src/models/tf-backend.js';
import { NEEDS_CHROMIUM, adminPage } from './support/demo-dashboard.js';
import { buildWebDeps } from './support/web-deps.js';
import { MODEL_JARGON } from './support/model-words.js';

const PASSWORD = 'demo-password-123';
const SIZES = [[1280, 800], [390, 844]] as const;

t.test('the Models page in words, bounded in height', { skip: NEEDS_CHROMIUM, timeout: 120_000 }, async (t) => {
  const web = buildWebDeps();
  t.teardown(() => web.close());
  await initTf(() => {});
  await web.models.start(); // the bundled model
  const { server, page, problems } = await adminPage(t, web.store, web.deps, PASSWORD);

  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(server.url + '/models');
    // the words a person reads: the cards' text without their small codes (raw figures and config keys)
    const words = (await page.evaluate(`[...document.querySelectorAll('#model-state, #model-changes')].map((e) => { const c = e.cloneNode(true); c.querySelectorAll('code, details').forEach((x) => x.remove()); return c.textContent; }).join(' ').replace(/\\s+/g, ' ')`)) as string;
    t.match(words, /Using the default\S* model that ships with Argus Edge/, `${w} px: which model checks the flows`);
    t.match(words, /about one normal flow in [\d,]+ raises an alert/, `${w} px: how often it alerts, in words`);
    t.match(words, /When it alerts: bundled set by the bundled model/, `${w} px: who set the threshold in force`);
    t.notMatch(words, MODEL_JARGON, `${w} px: no model jargon (${MODEL_JARGON.exec(words)?.[0]})`);
    t.notMatch(words, /\d\.\d{3,}/, `${w} px: no raw figure outside a small code (${/\S*\d\.\d{3,}\S*/.exec(words)?.[0]})`);
    const raws = (await page.evaluate(`[...document.querySelectorAll('#model-state code, #model-changes code')].map((c) => c.textContent)`)) as string[];
    t.ok(raws.some((c) => /^threshold \d\.\d{6}$/.test(c)), `${w} px: the threshold in force stays as a small code (${raws.join(' | ')})`);
    const height = (await page.evaluate('document.scrollingElement.scrollHeight')) as number;
    t.ok(height <= (w < 600 ? 2400 : 1200), `${w} px: the page is ${height} px tall`);
    t.ok(((await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth')) as number) <= 0, `${w} px: no sideways scrolling`);
    t.notOk(await page.isVisible('#model-raw pre'), `${w} px: the raw details are closed`);
    await page.click('#model-raw summary');
    const box = (await page.evaluate(`document.querySelector('#model-raw pre').getBoundingClientRect().height`)) as number;
    t.ok(box > 50 && box <= 330, `${w} px: opened, the raw details box is ${Math.round(box)} px tall`);
  }
  t.same(problems, [], 'no console errors, CSP violations or failed requests');
});
