/**
 * Notifications from the running appliance: the demo capture replayed through `Appliance` (the code path of
 * `argus-edge run --mode replay`) with a webhook channel on a local HTTP server. Every incident that opens or
 * escalates is announced once, a device's later incidents within notify.groupSeconds arrive as one grouped
 * message, and nothing else is sent. Quiet hours hold low and medium notices until they end.
 */
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { Appliance } from '../src/appliance.js';
import { assetPath } from '../src/assets.js';
import { replayFile } from '../src/capture/replay.js';
import { loadConfig } from '../src/config.js';
import type { IncidentEvent } from '../src/incidents/types.js';
import { createLogger } from '../src/log.js';
import { Notifier } from '../src/notify/notifier.js';
import type { Notice } from '../src/notify/types.js';

async function hookServer() {
  const bodies: Record<string, unknown>[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      bodies.push(JSON.parse(b));
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { bodies, url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

t.test('the demo replay announces each incident once and groups a device’s storm into one message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hook = await hookServer();
  t.teardown(hook.close);
  const config = loadConfig({
    flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.port': '0', 'models.enabled': 'false', 'eve.path': '' },
    env: { ARGUS_EDGE_NOTIFY_CHANNELS: JSON.stringify([{ type: 'webhook', name: 'hook', url: hook.url, minSeverity: 'low', topics: ['incident.open', 'incident.escalate', 'incident.group'] }]) },
  });
  const app = await Appliance.start(config, createLogger('warn'));
  const events: IncidentEvent[] = [];
  app.pipeline.bus.on('incident', (e) => events.push(e));
  const r = await replayFile(assetPath('demo/demo.pcap'), app.pipeline.pkt, app.pipeline.handlePacket, { onIdle: () => app.pipeline.flushOutputs() });
  t.equal(r.error ?? null, null);
  await app.stop();
  for (let i = 0; i < 100 && hook.bodies.length < 1; i++) await sleep(20);

  const announced = events.filter((e) => e.change === 'open' || e.change === 'escalate');
  t.ok(announced.length >= 2, `the demo raises incidents (${announced.map((e) => `${e.change} ${e.incident.kind} ${e.incident.srcIp}`).join(', ')})`);
  // expected: per device, the first announcement goes out alone; the rest within groupSeconds are one message
  const expected: string[] = [];
  const lastSent = new Map<string, number>();
  const held = new Map<string, number>();
  for (const e of announced) {
    const dev = e.incident.srcMac ?? e.incident.srcIp;
    const last = lastSent.get(dev);
    if (last !== undefined && e.tsUs - last < config.notify.groupSeconds * 1e6 && e.incident.severity !== 'critical') held.set(dev, (held.get(dev) ?? 0) + 1);
    else {
      expected.push(`${e.change === 'open' ? 'incident.open' : 'incident.escalate'} ${e.incident.kind}`);
      lastSent.set(dev, e.tsUs);
    }
  }
  for (const n of held.values()) expected.push(`incident.group ${n}`);
  const got = hook.bodies.map((b) => (b.topic === 'incident.group' ? `incident.group ${(b.group as { count: number }).count}` : `${b.topic} ${b.kind}`));
  t.same(got.sort(), expected.sort(), 'exactly the expected messages');
  t.ok(held.size > 0, 'the scanning camera’s second incident is grouped');
  const first = hook.bodies.find((b) => b.topic === 'incident.open')!;
  t.match(first.links, [{ url: /^http:\/\/127\.0\.0\.1:0\/alerts$/ }], 'links point at the dashboard');
});

t.test('quiet hours hold low and medium notices and send them as one message when they end; critical goes at once', async (t) => {
  const sent: Notice[] = [];
  const ch = { name: 'mem', type: 'webhook', send: async (n: Notice) => void sent.push(n) };
  const cfg = { channels: [{ type: 'webhook' as const, name: 'mem', minSeverity: 'low' as const, kinds: [], devices: [], topics: [], url: 'http://127.0.0.1:1/', format: 'json' as const, secret: '', headers: {} }], dashboardUrl: '', groupSeconds: 0, quietHours: '22:00-07:00', dailySummaryHour: -1, queueSize: 10, maxAttempts: 1 };
  const n = new Notifier(cfg, { dashboardUrl: 'http://a', deviceName: () => null, newDevice: 'allow', warn: () => {} }, [ch]);
  const at = (h: number, m = 0) => new Date(2026, 11, 2, h, m).getTime() * 1000;
  const base = { kind: 'scan.port.vertical', device: 'm', deviceName: null, links: [], data: {}, text: '' };
  n.offer({ ...base, id: '1', topic: 'incident.open', severity: 'medium', tsUs: at(3), title: 'a' });
  n.offer({ ...base, id: '2', topic: 'incident.open', severity: 'low', tsUs: at(4), title: 'b' });
  n.offer({ ...base, id: '3', topic: 'incident.open', severity: 'critical', tsUs: at(5), title: 'c' });
  n.tick(at(6, 59));
  await sleep(20);
  t.same(sent.map((s) => s.title), ['c'], 'only the critical one during quiet hours');
  n.tick(at(7, 1));
  await sleep(20);
  t.equal(sent.length, 2);
  t.equal(sent[1]!.topic, 'incident.group');
  t.equal(sent[1]!.title, '2 notifications held during quiet hours');
  t.equal(sent[1]!.severity, 'medium');
  await n.close();
});

t.test('the daily summary: the last 24 hours from the store, once, at the configured hour', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-summary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const hook = await hookServer();
  t.teardown(hook.close);
  // the demo capture ends at 10:09:45 UTC; the summary hour is the next local hour after it
  const endLocal = new Date(Date.UTC(2026, 0, 15, 10, 9, 45));
  const hour = (endLocal.getHours() + 1) % 24;
  const config = loadConfig({
    flags: { mode: 'replay', 'store.path': join(dir, 'argus-edge.db'), 'web.port': '0', 'models.enabled': 'false', 'eve.path': '', 'notify.dailySummaryHour': String(hour) },
    env: { ARGUS_EDGE_NOTIFY_CHANNELS: JSON.stringify([{ type: 'webhook', url: hook.url, topics: ['summary.daily'] }]) },
  });
  const app = await Appliance.start(config, createLogger('warn'));
  const r = await replayFile(assetPath('demo/demo.pcap'), app.pipeline.pkt, app.pipeline.handlePacket, { onIdle: () => app.pipeline.flushOutputs() });
  t.equal(r.error ?? null, null);
  app.pipeline.flushOutputs();
  app.store.flush();
  t.equal(hook.bodies.length, 0, 'no summary before its hour');
  const at = new Date(endLocal);
  at.setHours(hour, 0, 0, 0);
  if (at.getTime() < endLocal.getTime()) at.setDate(at.getDate() + 1);
  app.notifier.tick(at.getTime() * 1000 + 1_000_000);
  app.notifier.tick(at.getTime() * 1000 + 2_000_000);
  for (let i = 0; i < 100 && hook.bodies.length < 1; i++) await sleep(20);
  const devices = app.store.devices.count();
  await app.stop();
  t.equal(hook.bodies.length, 1, 'one summary');
  const s = hook.bodies[0] as { topic: string; title: string; summary: { alertsByKind: { kind: string; count: number }[]; trustFell: { mac: string; to: number }[]; newDevices: unknown[]; capture: { packets: number } } };
  t.equal(s.topic, 'summary.daily');
  const kinds = s.summary.alertsByKind.map((k) => k.kind).sort();
  t.ok(kinds.includes('scan.port.vertical'), `alerts by kind from the store: ${kinds.join(', ')}`);
  t.ok(s.summary.trustFell.length >= 1, 'the scanning camera lost trust');
  t.equal(s.summary.newDevices.length, Math.min(devices, 20), 'every device of the capture is new in its first day');
  t.equal(s.summary.capture.packets, app.pipeline.packets);
  t.match(s.title, /^Daily summary for \d{4}-\d\d-\d\d: \d+ alerts, \d+ devices? lost trust, \d+ new$/);
});
