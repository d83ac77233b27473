/**
 * An older reading of the capture card never replaces a newer one, in a real browser (headless Debian Chromium
 * through playwright-core) against the appliance's web server while a paced replay runs.
 *
 * The card reaches the Overview by more than one path: the page itself, then the live stream every statsMs, and
 * again after every reconnect of the stream. Each answer used to replace the card whole, so whichever arrived
 * last won, not whichever was read last. Here one answer is held back as a slow route or proxy would: the test
 * reads a real frame of the server's own stream early (an older reading), lets the page show newer figures, and
 * when the stream reconnects (the server closes it after maxAgeMs) answers that reconnect with the older frame.
 * Then a whole page answered late: htmx's history restore (a back within the page, as after an hx-push-url swap)
 * fetches the Overview again; the server's answer is held back until the stream has shown more, then swapped in.
 * Every value the counter ever shows is recorded by a MutationObserver; it must never go down, and the page must
 * have received each older answer after showing more (so the race did happen). A card of another epoch (a
 * restarted appliance) is still taken, and the counter ends on the pipeline's count. At desktop and phone width.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Appliance } from '../src/appliance.js';
import { assetPath } from '../src/assets.js';
import { firstPacketUs, replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import type { Packet } from '../src/decode/packet.js';
import { createLogger } from '../src/log.js';
import { startWebServer } from '../src/web/server.js';
import { setSseLimits } from '../src/web/sse.js';
import { createUser } from './support/web-seed.js';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'demo-password-123';
/** packets in one pass of the demo capture */
const DEMO_PACKETS = 4847;

/** The packet count a capture card shows, from its HTML (an SSE frame's data or the page). */
function packetsOf(cardHtml: string): number | null {
  const m = /<dt>Packets<\/dt><dd>([\d,]+)/.exec(cardHtml);
  return m === null ? null : Number(m[1]!.replace(/,/g, ''));
}

/**
 * Records, in the page, every packet figure the counter shows (a MutationObserver on the whole body, so a value
 * that shows for a moment is seen too) and every capture card the live stream hands to htmx. A plain string:
 * the test's own functions would carry the TypeScript loader's helpers into the page.
 */
const RECORDER = `
  window.__shown = []; window.__received = [];
  function argusShown() {
    var d = document.querySelector('#capture-health dd:nth-of-type(2)');
    if (!d) return;
    var n = Number(d.textContent.trim().split(' ')[0].replace(/,/g, ''));
    var s = window.__shown;
    if (s.length === 0 || s[s.length - 1] !== n) s.push(n);
  }
  document.addEventListener('DOMContentLoaded', function () {
    argusShown();
    new MutationObserver(argusShown).observe(document.body, { childList: true, subtree: true, characterData: true });
    document.addEventListener('htmx:sse:before:message', function (e) {
      var m = /<dt>Packets<\\/dt><dd>([\\d,]+)/.exec((e.detail && e.detail.message && e.detail.message.data) || '');
      if (m) window.__received.push({ packets: Number(m[1].replace(/,/g, '')), shownBefore: Math.max.apply(null, window.__shown.concat([0])) });
    });
  });
`;

t.test('an older capture reading delivered after a newer one does not turn the packet counter back', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`, timeout: 180_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'argus-counter-order-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const demo = assetPath('demo/demo.pcap');
  const config = loadConfig({ flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.host': '127.0.0.1', 'web.port': '0', 'eve.path': '', 'capture.loop': 'true' } });
  const app = await Appliance.start(config, createLogger('warn'), { clockStartUs: (await firstPacketUs(demo))! });
  const { pipeline, store } = app;
  await createUser(store, 'admin', PASSWORD, 'admin');
  const deps = app.webDeps();
  // statistics every 100 ms; each stream is closed after 2 s, so the page reconnects as it does every 30 min
  setSseLimits(deps, { statsMs: 100, maxAgeMs: 2000 });
  const server = await startWebServer(deps, { log: () => {} });
  t.teardown(async () => {
    await server.close();
    await app.stop();
  });

  // two passes, paced (a 5 ms pause every 10 packets): the count moves for several seconds
  let delivered = 0;
  const ac = new AbortController();
  const onPacket = (p: Packet): void | Promise<void> => {
    if (delivered >= 2 * DEMO_PACKETS) {
      ac.abort();
      return;
    }
    pipeline.handlePacket(p);
    if (++delivered % 10 === 0) return sleep(5);
  };
  const replay = replayFile(demo, pipeline.pkt, onPacket, { loop: true, signal: ac.signal, onIdle: () => pipeline.flushOutputs() });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());

  const run = async (label: string, width: number, height: number) => {
    const context = await browser.newContext({ viewport: { width, height } });
    await context.addInitScript({ content: RECORDER });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(server.url + '/login');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('main button[type=submit]')]);

    // an older reading: the first capture frame of the server's own stream, read now with the page's session
    const cookie = (await context.cookies(server.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    const sse = new AbortController();
    const res = await fetch(server.url + '/events', { headers: { Cookie: cookie, Accept: 'text/event-stream' }, signal: sse.signal });
    t.equal(res.status, 200, `${label}: the test reads the live stream too`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let older: string | null = null;
    for (let i = 0; i < 200 && older === null; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      older = buf.split('\n\n').find((f) => f.includes('hx-target="#capture-health"')) ?? null;
    }
    sse.abort();
    const olderPackets = packetsOf(older ?? '');
    t.ok(olderPackets !== null, `${label}: a capture frame of the live stream (${olderPackets} packets)`);

    // the page shows newer figures from its own stream before the older frame comes
    const shownMax = async () => Math.max(0, ...((await page.evaluate('window.__shown')) as number[]));
    for (let i = 0; i < 100 && (await shownMax()) <= olderPackets!; i++) await sleep(50);
    t.ok((await shownMax()) > olderPackets!, `${label}: the page showed more than ${olderPackets} before the older frame arrived`);

    // the first reconnect is answered late, with the older frame; the next one goes to the server again
    let connects = 0;
    let answer: string | null = older;
    await page.route('**/events', async (route) => {
      connects++;
      const body = answer;
      answer = null;
      if (body === null) return route.continue();
      await route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' }, body: `: connected\n\n${body}\n\n` });
    });
    for (let i = 0; i < 200 && connects < 2; i++) await sleep(50);
    t.ok(connects >= 2, `${label}: the page reconnected after the held-back answer (${connects} reconnects)`);

    const received = (await page.evaluate('window.__received')) as { packets: number; shownBefore: number }[];
    t.ok(received.some((r) => r.packets === olderPackets && r.shownBefore > olderPackets!), `${label}: the older frame reached htmx after the page had shown more`);
    const shown = (await page.evaluate('window.__shown')) as number[];
    const back = shown.flatMap((n, k) => (k > 0 && n < shown[k - 1]! ? [`${shown[k - 1]} → ${n}`] : []));
    t.same(back, [], `${label}: the counter never went backwards over the ${shown.length} values it showed`);

    // a whole page answered late: htmx's history restore (a back within the page, as after an hx-push-url swap)
    // fetches the Overview again and swaps the body in; the server's answer is read at once and handed over only
    // once the live stream has shown more
    let rendered: number | null = null;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let restored = false;
    await page.route((u) => u.pathname === '/', async (route) => {
      if (route.request().headers()['hx-history-restore-request'] !== 'true') return route.continue();
      const res = await route.fetch();
      const body = await res.text();
      rendered = packetsOf(body);
      await released;
      await route.fulfill({ response: res, body });
      restored = true;
    });
    await page.evaluate("document.getElementById('toasts').setAttribute('data-old', '1'); history.pushState({ htmx: true }, '', '/?range=1h'); history.back()");
    for (let i = 0; i < 100 && rendered === null; i++) await sleep(50);
    t.ok(rendered !== null, `${label}: htmx fetched the page again for the history restore (${rendered} packets)`);
    for (let i = 0; i < 100 && (await shownMax()) <= rendered!; i++) await sleep(50);
    t.ok((await shownMax()) > rendered!, `${label}: the page showed more than ${rendered} before the page's answer arrived`);
    release();
    for (let i = 0; i < 100 && !restored; i++) await sleep(50);
    await page.waitForFunction("!document.getElementById('toasts').hasAttribute('data-old')", null, { timeout: 5000 });
    t.pass(`${label}: the late page was swapped in`);
    const shown2 = (await page.evaluate('window.__shown')) as number[];
    // from the last value before the late page on
    const since = shown2.slice(shown.length - 1);
    const back2 = since.flatMap((n, k) => (k > 0 && n < since[k - 1]! ? [`${since[k - 1]} → ${n}`] : []));
    t.same(back2, [], `${label}: the counter did not go back with the late page (${since.length} values)`);
    const liveCount = await page.locator('#live').count();
    t.equal(liveCount, 1, `${label}: one live element after the restore`);

    // a restarted appliance (another epoch) counts from the start again: its figures are taken, lower or not
    answer = older!.replace(/data-taken="[^".]+\./, 'data-taken="restarted.');
    const before = connects;
    for (let i = 0; i < 200 && connects < before + 2; i++) await sleep(50);
    const afterRestart = (await page.evaluate('window.__shown')) as number[];
    t.ok(afterRestart.slice(shown2.length).includes(olderPackets!), `${label}: a card of another epoch is shown although its count is lower`);

    // and the live stream goes on: the counter ends on the pipeline's count
    await replay;
    await sleep(500);
    const last = await page.textContent('#capture-health dd:nth-of-type(2)');
    t.equal(packetsOf(`<dt>Packets</dt><dd>${last!.trim().split(' ')[0]}`), pipeline.packets, `${label}: it ends on the pipeline's count (${pipeline.packets})`);
    t.same(problems, [], `${label}: no script errors`);
    await context.close();
  };
  await Promise.all([run('desktop', 1280, 800), run('phone', 390, 844)]);
  t.equal((await replay).error ?? null, null, 'the replay ran cleanly');
});
