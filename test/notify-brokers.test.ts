/**
 * The e-mail and MQTT channels against real servers on 127.0.0.1: an SMTP server (the smtp-server library)
 * that requires STARTTLS and authentication, and Debian's mosquitto with a real subscriber checking the
 * Home Assistant discovery topics, the retained device state and the incident events. mosquitto is started
 * and stopped by the test; it skips with the reason when mosquitto is not installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { SMTPServer } from 'smtp-server';
import t from 'tap';
import { Bus } from '../src/bus.js';
import { Invalid } from '../src/config/fields.js';
import { checkChannel, type ChannelConfig } from '../src/notify/channel-config.js';
import { Notifier } from '../src/notify/notifier.js';
import type { Notice } from '../src/notify/types.js';
import { generateSelfSigned } from '../src/web/tls.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

function channel(o: Record<string, unknown>): ChannelConfig {
  const c = checkChannel(o);
  if (c instanceof Invalid) throw new Error(c.expected);
  return c;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(25);
}

const notice: Notice = {
  id: 'inc-scan-1:open:high',
  topic: 'incident.open',
  severity: 'high',
  tsUs: Date.UTC(2026, 11, 1, 3, 0) * 1000,
  title: 'garden-cam (192.168.1.30): Horizontal scan of the LAN',
  text: '6 hosts probed on 23/tcp',
  kind: 'scan.port.horizontal',
  device: '02:00:00:00:00:30',
  deviceName: 'garden-cam',
  links: [{ label: 'Open device', url: 'http://argus.lan:8080/devices/02%3A00%3A00%3A00%3A00%3A30' }],
  data: {},
};
const opts = { dashboardUrl: 'http://argus.lan:8080', deviceName: (m: string) => (m === '02:00:00:00:00:30' ? 'garden-cam' : null), newDevice: 'allow' as const, warn: () => {}, baseDelayMs: 50, maxDelayMs: 500, timeoutMs: 3000 };
const base = { dashboardUrl: '', groupSeconds: 0, quietHours: '', dailySummaryHour: -1, queueSize: 100, maxAttempts: 20 };

t.test('e-mail over SMTP with STARTTLS and authentication: plain text and HTML', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-smtp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await generateSelfSigned(join(dir, 'cert.pem'), join(dir, 'key.pem'), ['localhost', '127.0.0.1']);
  const mails: { from: string; to: string[]; raw: string; secure: boolean; user: string | undefined }[] = [];
  const server = new SMTPServer({
    key: readFileSync(join(dir, 'key.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'argus' && auth.password === 's3cret') cb(null, { user: 'argus' });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, secure: session.secure, user: session.user as string | undefined });
        cb();
      });
    },
    logger: false,
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  writeFileSync(join(dir, 'pw'), 's3cret\n');
  const n = new Notifier(
    { ...base, channels: [channel({ type: 'email', host: '127.0.0.1', port, security: 'starttls', user: 'argus', password: `file:${join(dir, 'pw')}`, from: 'Argus Edge <argus@home.test>', to: ['admin@home.test'], tlsVerify: false })] },
    opts,
  );
  n.offer(notice);
  await until(() => mails.length === 1);
  await n.close();
  t.equal(mails.length, 1, n.health()[0]!.lastError ?? 'delivered');
  const m = mails[0]!;
  t.ok(m.secure, 'the session was upgraded with STARTTLS before the message');
  t.equal(m.user, 'argus', 'authenticated with the password from the file');
  t.equal(m.from, 'argus@home.test');
  t.same(m.to, ['admin@home.test']);
  const headers = m.raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
  t.match(headers, /^Subject: \[Argus Edge\] HIGH: garden-cam \(192\.168\.1\.30\): Horizontal scan of the LAN/m);
  t.match(m.raw, /Content-Type: text\/plain/);
  t.match(m.raw, /Content-Type: text\/html/);
  t.match(m.raw, /X-Argus-Notice: inc-scan-1:open:high/);
});

t.test('e-mail refused without TLS when STARTTLS is required', async (t) => {
  const server = new SMTPServer({ disabledCommands: ['STARTTLS'], authOptional: true, onData(s, _x, cb) { s.resume(); s.on('end', () => cb()); }, logger: false });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const n = new Notifier({ ...base, maxAttempts: 1, channels: [channel({ type: 'email', host: '127.0.0.1', port, from: 'a@home.test', to: ['b@home.test'] })] }, opts);
  n.offer(notice);
  await until(() => n.health()[0]!.deadLetters === 1);
  t.equal(n.health()[0]!.deadLetters, 1, 'not sent in the clear');
  t.match(n.health()[0]!.lastError, /STARTTLS|TLS/i);
  await n.close();
});

t.test('MQTT with Home Assistant discovery on a real mosquitto', { skip: existsSync(MOSQUITTO) ? false : `${MOSQUITTO} is not installed (apt-get install mosquitto)` }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-mqtt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const startBroker = async () => {
    const p = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => {
        const c = createServer();
        c.once('error', () => r(true));
        c.listen(port, '127.0.0.1', () => c.close(() => r(false)));
      });
      if (ok) break;
      await sleep(50);
    }
    return p;
  };
  let broker = await startBroker();
  t.teardown(() => broker.kill());

  const seen = new Map<string, string>();
  const events: string[] = [];
  const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200 });
  t.teardown(() => sub.end(true));
  sub.on('message', (topic, payload) => {
    seen.set(topic, payload.toString('utf8'));
    if (topic.endsWith('/incident')) events.push(payload.toString('utf8'));
  });
  await new Promise<void>((r) => sub.on('connect', () => sub.subscribe(['homeassistant/#', 'argus-edge/#'], { qos: 1 }, () => r())));

  const bus = new Bus();
  const n = new Notifier({ ...base, channels: [channel({ type: 'mqtt', url: `mqtt://127.0.0.1:${port}` })] }, opts);
  n.attach(bus);
  await until(() => seen.get('argus-edge/status') === 'online');
  t.equal(seen.get('argus-edge/status'), 'online', 'availability topic');
  bus.emit('trust.change', { tsUs: notice.tsUs, mac: '02:00:00:00:00:30', ip: '192.168.1.30', score: 12.34, behavioral: 5, vulnerability: 100, reputation: 100, level: 'critical', previousLevel: 'alert', explanation: [] });
  n.offer(notice);
  const node = 'argus_020000000030';
  await until(() => seen.has(`homeassistant/event/${node}/incident/config`) && events.length === 1 && seen.has(`argus-edge/device/020000000030/state`));
  const score = JSON.parse(seen.get(`homeassistant/sensor/${node}/trust_score/config`) ?? '{}');
  t.equal(score.state_topic, 'argus-edge/device/020000000030/state');
  t.equal(score.value_template, '{{ value_json.trust_score }}');
  t.equal(score.unique_id, `${node}_trust_score`);
  t.same(score.device.connections, [['mac', '02:00:00:00:00:30']]);
  t.equal(score.device.name, 'garden-cam');
  t.equal(score.availability_topic, 'argus-edge/status');
  t.ok(seen.has(`homeassistant/sensor/${node}/trust_level/config`));
  const q = JSON.parse(seen.get(`homeassistant/binary_sensor/${node}/quarantined/config`) ?? '{}');
  t.equal(q.payload_on, 'ON');
  const ev = JSON.parse(seen.get(`homeassistant/event/${node}/incident/config`) ?? '{}');
  t.same(ev.event_types, ['incident']);
  t.same(JSON.parse(seen.get('argus-edge/device/020000000030/state')!), { trust_score: 12.3, trust_level: 'critical', quarantined: false, ip: '192.168.1.30' });
  t.equal(JSON.parse(events[0]!).event_type, 'incident');
  t.equal(JSON.parse(seen.get('argus-edge/notice')!).id, notice.id);

  // a quarantine changes the binary sensor's state (retained)
  bus.emit('action', { tsUs: notice.tsUs, verb: 'action.create', action: { id: 7, createdUs: 0, updatedUs: 0, kind: 'quarantine', state: 'active', mac: '02:00:00:00:00:30', ip: null, reason: 'critical', alertId: null, actor: 'system', expiresUs: null, dryRun: true } });
  await until(() => JSON.parse(seen.get('argus-edge/device/020000000030/state')!).quarantined === true);
  t.equal(JSON.parse(seen.get('argus-edge/device/020000000030/state')!).quarantined, true);

  // the broker goes away: a notice waits in the queue and arrives after it returns; state is published again
  broker.kill();
  await new Promise((r) => broker.once('exit', r));
  await sleep(300);
  n.offer({ ...notice, id: 'while-down', topic: 'incident.escalate', severity: 'critical' });
  await sleep(300);
  t.equal(n.health()[0]!.sent < 3 || n.health()[0]!.queued >= 1, true, 'the notice waits while the broker is down');
  seen.clear();
  broker = await startBroker();
  await until(() => seen.get('argus-edge/notice') !== undefined && JSON.parse(seen.get('argus-edge/notice')!).id === 'while-down', 20_000);
  t.equal(JSON.parse(seen.get('argus-edge/notice') ?? '{}').id, 'while-down', 'delivered after the broker returned');
  await until(() => seen.has('argus-edge/device/020000000030/state'), 5000);
  t.ok(seen.has(`homeassistant/sensor/${node}/trust_score/config`), 'discovery is announced again to the new broker');
  await n.close();
});
