/**
 * The Settings page's layout in a real browser (headless Debian Chromium through playwright-core) at 1280×800 and
 * 390×844, with the documented config.yaml as the file it edits: no card carries a tail of empty space (cards side
 * by side used to stretch to the tallest, leaving 1,371 px of blank under Integrations), and the
 * page is bounded in height (it was 2,362 px on a desktop). On a phone a switch sits beside its label, where it
 * took a line of its own. The running values say how often unusual traffic alerts, not a "calibrated quantile".
 */
import t from 'tap';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/assets.js';
import { setConfigOrigin } from '../src/config/edit.js';
import { NEEDS_CHROMIUM, adminPage } from './support/demo-dashboard.js';
import { buildWebDeps } from './support/web-deps.js';

const PASSWORD = 'demo-password-123';
/** width, height, the page's height bound */
const SIZES = [[1280, 800, 1900], [390, 844, 3900]] as const;
/** blank space a card may keep below its last line (its padding and a margin) */
const TAIL_PX = 40;

t.test('Settings without empty space, at desktop and phone width', { skip: NEEDS_CHROMIUM, timeout: 120_000 }, async (t) => {
  const web = buildWebDeps();
  t.teardown(() => web.close());
  const configFile = join(web.dir, 'config.yaml');
  copyFileSync(join(projectRoot(), 'config.yaml'), configFile);
  setConfigOrigin(web.deps.config, { file: configFile, overridden: new Map() });
  const { server, page, problems } = await adminPage(t, web.store, web.deps, PASSWORD);

  for (const [w, h, most] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(server.url + '/settings');
    t.ok(await page.isVisible('#config-form'), `${w} px: the configuration form`);
    const running = (await page.textContent('#config .kv'))!;
    t.match(running, /unusual traffic\s*about 1 false alert per device per day, at most one in 1,000 normal flows alerts/, `${w} px: the running anomaly setting in words`);
    t.notMatch(running, /quantile|calibrat/, `${w} px: and without model jargon`);
    const height = (await page.evaluate('document.scrollingElement.scrollHeight')) as number;
    t.ok(height <= most, `${w} px: the page is ${height} px tall (at most ${most})`);
    t.ok(((await page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth')) as number) <= 0, `${w} px: no sideways scrolling`);
    const tails = (await page.evaluate(`[...document.querySelectorAll('main .card')].map((c) => {
      const bottom = Math.max(...[...c.children].map((x) => x.getBoundingClientRect().bottom));
      return [c.querySelector('h2')?.textContent ?? c.id, Math.round(c.getBoundingClientRect().bottom - bottom)];
    })`)) as [string, number][];
    t.ok(tails.length >= 5, `${w} px: ${tails.length} cards`);
    for (const [name, tail] of tails) t.ok(tail <= TAIL_PX, `${w} px: the ${name} card ends ${tail} px below its last line`);
    // a switch sits beside its label, on the phone too (it had a line of its own under the label)
    const [label, select] = (await page.evaluate(`(() => { const r = document.querySelector('#cfg-response\\\\.autoQuarantine').closest('.cfg-row'); return [r.querySelector('label').getBoundingClientRect(), r.querySelector('select').getBoundingClientRect()].map((b) => ({ top: b.top, bottom: b.bottom, left: b.left })); })()`)) as { top: number; bottom: number; left: number }[];
    t.ok(select!.top < label!.bottom && select!.left > label!.left, `${w} px: the auto-quarantine switch is beside its label (label ${Math.round(label!.top)}–${Math.round(label!.bottom)} px, switch from ${Math.round(select!.top)} px)`);
  }
  t.same(problems, [], 'no console errors, CSP violations or failed requests');
});
