/**
 * The Overview's packet counter never goes backwards, in a real browser (headless Debian Chromium through
 * playwright-core). The appliance replays the demo capture with --loop, paced so that three passes take a few
 * seconds, while two tabs (desktop and phone) show the Overview: the capture card comes from the page render
 * and then from the live stream every 100 ms, the tabs reload and navigate away and back. Every figure either
 * tab shows is read after each step: per tab it never decreases, it is never ahead of the pipeline's own count,
 * and it runs on across the passes of the loop (no per-pass figure, no reset at the start of a pass).
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { setSseLimits } from '../src/web/sse.js';
import { DEMO_PACKETS } from './support/argus-run.js';
import { DEMO_PASSWORD, NEEDS_CHROMIUM, launchChromium, openPage, signIn, startDemoDashboard } from './support/demo-dashboard.js';
import { createUser } from './support/web-seed.js';

t.test('the Overview packet counter only moves forward, over three passes of a looping replay', { skip: NEEDS_CHROMIUM, timeout: 240_000 }, async (t) => {
  const { pipeline, store, server, replay: replayDemo } = await startDemoDashboard(t, {
    name: 'packets-monotone',
    eve: false,
    webDeps: (deps) => setSseLimits(deps, { statsMs: 100 }),
  });
  await createUser(store, 'admin', DEMO_PASSWORD, 'admin');

  const browser = await launchChromium(t);
  const problems: string[] = [];
  const tab = async (width: number, height: number) => {
    const page = await openPage(browser, width, height, problems, { consoleErrors: false });
    await signIn(page, server);
    return page;
  };
  const tabs = [await tab(1280, 800), await tab(390, 844)];

  // three passes, paced: a 2 ms pause every 10 packets spreads each pass over a few seconds
  let delivered = 0;
  const ac = new AbortController();
  const replay = replayDemo((p) => {
    if (delivered >= 3 * DEMO_PACKETS) {
      ac.abort();
      return;
    }
    pipeline.handlePacket(p);
    if (++delivered % 10 === 0) return sleep(2);
  }, ac.signal);
  let running = true;
  void replay.finally(() => (running = false));

  const shown = tabs.map((): number[] => []);
  const ahead: string[] = [];
  const read = async (i: number, why: string) => {
    const text = await tabs[i]!.textContent('#capture-health dd:nth-of-type(2)', { timeout: 5000 });
    const n = Number(text!.trim().split(' ')[0]!.replace(/,/g, ''));
    if (n > pipeline.packets) ahead.push(`tab ${i} ${why}: ${n} > ${pipeline.packets}`);
    shown[i]!.push(n);
  };
  for (let step = 0; running || step < 5; step++) {
    for (let i = 0; i < tabs.length; i++) {
      const page = tabs[i]!;
      if (step % 7 === 3) await page.reload();
      else if (step % 11 === 5) {
        await page.goto(server.url + '/devices');
        await page.goBack();
      }
      await read(i, `step ${step}`);
    }
    await sleep(40);
    if (step > 2000) break;
  }
  const r = await replay;
  t.equal(r.error ?? null, null, 'the replay ran cleanly');
  t.ok(r.passes >= 3, `three passes of the demo (${r.passes})`);
  t.equal(pipeline.packets, 3 * DEMO_PACKETS, 'the pipeline counted every packet of the three passes');
  // a last look once the stream has had time to send the final count
  await sleep(400);
  for (let i = 0; i < tabs.length; i++) await read(i, 'at the end');

  for (let i = 0; i < tabs.length; i++) {
    const seq = shown[i]!;
    const back = seq.flatMap((n, k) => (k > 0 && n < seq[k - 1]! ? [`${seq[k - 1]} → ${n} (read ${k})`] : []));
    t.same(back, [], `tab ${i}: the counter never went backwards over ${seq.length} readings`);
    t.ok(seq.some((n) => n > DEMO_PACKETS && n < 2 * DEMO_PACKETS), `tab ${i}: it showed the second pass as a running total (no per-pass figure)`);
    t.equal(seq[seq.length - 1], pipeline.packets, `tab ${i}: it ends on the pipeline's count`);
  }
  t.same(ahead, [], 'never ahead of the pipeline');
  t.same(problems, [], 'no script errors or failed requests');
});
