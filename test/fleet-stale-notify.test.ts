/**
 * A head tells the admin when a sensor goes stale and when it comes back: the head's own stale logic
 * (src/fleet/stale-watch.ts) over a real store whose sensors registered and heartbeat through the real, signed
 * fleet API, handing its notices to the real Notifier, which delivers them to a webhook (json format) on a local
 * HTTP listener. Checks one message per change, one message for several sensors, the hourly limit of a
 * flapping sensor and the grace after the head starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { StaleWatch } from '../src/fleet/index.js';
import { checkChannel, type ChannelConfig } from '../src/notify/channel-config.js';
import { Invalid } from '../src/config/fields.js';
import { Notifier } from '../src/notify/notifier.js';
import { Store } from '../src/store/db.js';
import { fleetClient } from './support/fleet-seed.js';

interface Body {
  topic: string;
  severity: string;
  title: string;
  text: string;
  links: { url: string }[];
  sensors: { name: string; staleTimesUnannounced: number }[];
}

async function webhook() {
  const got: Body[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(JSON.parse(body) as Body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

t.test('stale and back notices reach a real webhook, once per change, grouped and rate-limited', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-stale-'));
  const store = Store.open({ path: join(dir, 'head.db'), log: () => {} });
  const hook = await webhook();
  const ch = checkChannel({ type: 'webhook', url: hook.url, format: 'json', minSeverity: 'medium' });
  if (ch instanceof Invalid) throw new Error(ch.expected);
  const notifier = new Notifier(
    { channels: [ch as ChannelConfig], dashboardUrl: 'http://head.lan:8080', groupSeconds: 300, quietHours: '', dailySummaryHour: -1, queueSize: 100, maxAttempts: 3 },
    { dashboardUrl: 'http://head.lan:8080', deviceName: () => null, newDevice: 'allow', warn: () => {}, baseDelayMs: 20, maxDelayMs: 50, timeoutMs: 2000 },
  );
  t.teardown(async () => {
    await notifier.close(1000);
    await hook.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const t0 = Date.UTC(2026, 11, 2, 3, 0, 0);
  const head = fleetClient(store.fleet, t0);
  const attic = await head.register('attic');
  const garage = await head.register('garage');
  t.equal((await head.heartbeat(attic)).status, 200);
  t.equal((await head.heartbeat(garage)).status, 200);
  const clock = { ms: t0 };
  const watch = new StaleWatch(store.fleet, { staleSeconds: 300, dashboardUrl: 'http://head.lan:8080', nowMs: () => clock.ms });
  const step = async (ms: number, beat: (typeof attic)[] = []): Promise<number> => {
    clock.ms = t0 + ms;
    head.clock.ms = clock.ms;
    for (const s of beat) t.equal((await head.heartbeat(s)).status, 200, `${s.name} heartbeats at +${ms / 1000} s`);
    const notices = watch.check();
    for (const n of notices) notifier.offer(n);
    return notices.length;
  };
  const delivered = async (n: number) => {
    const end = Date.now() + 5000;
    while (hook.got.length < n && Date.now() < end) await sleep(20);
    await sleep(100);
    return hook.got.length;
  };

  t.equal(await step(200_000), 0, 'within staleSeconds: nothing');
  t.equal(await step(250_000, [garage]), 0);
  t.equal(await step(310_000), 1, 'attic silent for 310 s: one notice');
  t.equal(await delivered(1), 1, 'delivered to the webhook');
  t.match(hook.got[0], { topic: 'sensor.stale', severity: 'high', title: 'Sensor attic is stale: no heartbeat for 5 min', links: [{ url: 'http://head.lan:8080/fleet' }] });
  t.match(hook.got[0]!.text, /attic: last heartbeat 2026-12-02 03:00:00 UTC/);
  t.equal(await step(320_000), 0, 'still stale: not announced again');
  t.equal(await step(400_000, [attic]), 1, 'attic heartbeats again: one notice');
  await delivered(2);
  t.match(hook.got[1], { topic: 'sensor.back', title: 'Sensor attic reports again after 7 min of silence' });

  // flapping inside the hour: the second stale spell and its end are counted, not sent
  t.equal(await step(500_000, [garage]), 0);
  t.equal(await step(710_000, [garage]), 0, 'attic stale again 10 min after its first message: held back');
  t.equal(await step(720_000, [attic, garage]), 0, 'and its return is not announced either');
  // a whole-fleet silence, over an hour after attic's first message: one message for both
  t.equal(await step(4_000_000, []), 1, 'both stale at once: one message');
  await delivered(3);
  t.equal(hook.got.length, 3, 'three messages so far, no more');
  t.match(hook.got[2], { topic: 'sensor.stale', title: '2 sensors are stale: attic, garage' });
  t.match(hook.got[2]!.text, /attic: last heartbeat .* \(stale 1 more time since the last message\)/, 'the held-back spell is said');
  t.same(hook.got[2]!.sensors.map((s) => [s.name, s.staleTimesUnannounced]), [['attic', 1], ['garage', 0]]);
  t.equal(await step(4_100_000, [attic, garage]), 1, 'both back: one message');
  await delivered(4);
  t.match(hook.got[3], { topic: 'sensor.back', title: '2 sensors report again: attic, garage' });

  // a revoked sensor is the admin's doing: nothing is announced
  store.fleet.revoke(garage.id);
  t.equal(await step(4_500_000, [attic]), 0, 'revoked garage: no stale notice');

  // a head that starts after its own outage gives every sensor staleSeconds to check in
  clock.ms = t0 + 9_000_000;
  const fresh = new StaleWatch(store.fleet, { staleSeconds: 300, dashboardUrl: 'http://head.lan:8080', nowMs: () => clock.ms });
  t.same(fresh.check(), [], 'right after a restart: attic, silent 75 min, is not called stale yet');
  clock.ms += 290_000;
  t.same(fresh.check(), [], 'nor within staleSeconds of the start');
  clock.ms += 20_000;
  const late = fresh.check();
  t.same(late.map((n) => n.title), ['Sensor attic is stale: no heartbeat for 5 min'], 'then it is, counted from the start');
  await delivered(4);
  t.equal(hook.got.length, 4, 'nothing else reached the webhook');
});
