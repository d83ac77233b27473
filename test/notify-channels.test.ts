/**
 * Notification channels against real listeners on 127.0.0.1: an HTTP server standing in for Slack, Discord,
 * Teams, Matrix and ntfy (the bodies are checked against the shapes those services document), a UDP and a TCP
 * syslog listener (RFC 5424 header, RFC 6587 octet counting), and a webhook whose server is down and comes back.
 */
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { checkChannel, type ChannelConfig } from '../src/notify/channel-config.js';
import { Invalid } from '../src/config/fields.js';
import { Notifier, type NotifyConfig } from '../src/notify/notifier.js';
import { formatSyslog } from '../src/notify/syslog.js';
import type { Notice } from '../src/notify/types.js';

interface Got {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP listener on 127.0.0.1 recording every request; `status` decides the answer. */
async function listener(status: () => number = () => 200) {
  const got: Got[] = [];
  const srv = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.statusCode = status();
      res.end('ok');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return { got, port, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

function channel(o: Record<string, unknown>): ChannelConfig {
  const c = checkChannel(o);
  if (c instanceof Invalid) throw new Error(c.expected);
  return c;
}

function config(channels: ChannelConfig[], over: Partial<NotifyConfig> = {}): NotifyConfig {
  return { channels, dashboardUrl: 'http://argus.lan:8080', groupSeconds: 300, quietHours: '', dailySummaryHour: -1, queueSize: 100, maxAttempts: 8, ...over };
}

function notice(over: Partial<Notice> = {}): Notice {
  return {
    id: `n-${Math.random()}`,
    topic: 'incident.open',
    severity: 'high',
    tsUs: Date.UTC(2026, 11, 1, 3, 0, 0) * 1000,
    title: 'garden-cam (192.168.1.30): Horizontal scan of the LAN <script>',
    text: '6 hosts probed on 23/tcp\nOpen the dashboard.',
    kind: 'scan.port.horizontal',
    device: '02:00:00:00:00:30',
    deviceName: 'garden-cam',
    links: [{ label: 'Open device', url: 'http://argus.lan:8080/devices/02%3A00%3A00%3A00%3A00%3A30' }],
    data: { incident: { id: 'inc-1' } },
    ...over,
  };
}

const warnings: string[] = [];
const opts = { dashboardUrl: 'http://argus.lan:8080', deviceName: () => null, newDevice: 'allow' as const, warn: (m: string) => warnings.push(m), baseDelayMs: 50, maxDelayMs: 200, timeoutMs: 2000 };

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

t.test('webhook presets: bodies as Slack, Discord, Teams and Matrix take them; json signed with HMAC', async (t) => {
  const srv = await listener();
  t.teardown(srv.close);
  const chans = [
    channel({ type: 'webhook', name: 'slack', url: `${srv.url}/slack`, format: 'slack' }),
    channel({ type: 'webhook', name: 'discord', url: `${srv.url}/discord`, format: 'discord' }),
    channel({ type: 'webhook', name: 'teams', url: `${srv.url}/teams`, format: 'teams' }),
    channel({ type: 'webhook', name: 'matrix', url: `${srv.url}/_matrix/client/v3/rooms/!r:lan/send/m.room.message`, format: 'matrix', headers: { Authorization: 'env:ARGUS_TEST_MATRIX' } }),
    channel({ type: 'webhook', name: 'json', url: `${srv.url}/json`, secret: 'env:ARGUS_TEST_HMAC' }),
  ];
  process.env.ARGUS_TEST_HMAC = 'k3y';
  process.env.ARGUS_TEST_MATRIX = 'Bearer syt_matrix';
  const n = new Notifier(config(chans), opts);
  n.offer(notice({ id: 'one' }));
  await until(() => srv.got.length === 5);
  await n.close();
  const by = Object.fromEntries(srv.got.map((g) => [g.url.split('/')[1] === '_matrix' ? 'matrix' : g.url.slice(1), g]));

  const slack = JSON.parse(by.slack!.body);
  t.equal(slack.text, '[HIGH] garden-cam (192.168.1.30): Horizontal scan of the LAN <script>', 'slack: text is the notification fallback');
  t.equal(slack.blocks[0].type, 'section');
  t.equal(slack.blocks[0].text.type, 'mrkdwn');
  t.match(slack.blocks[0].text.text, /&lt;script&gt;/, 'slack: mrkdwn escapes < and >');
  t.equal(slack.blocks[1].elements[0].type, 'button');

  const discord = JSON.parse(by.discord!.body);
  t.type(discord.content, 'string');
  t.equal(discord.embeds[0].color, 0xef4444);
  t.match(discord.embeds[0].timestamp, /^2026-12-01T03:00:00\.000Z$/);
  t.ok(discord.embeds[0].title.length <= 256);

  const teams = JSON.parse(by.teams!.body);
  t.equal(teams.type, 'message');
  t.equal(teams.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
  t.equal(teams.attachments[0].content.type, 'AdaptiveCard');
  t.equal(teams.attachments[0].content.actions[0].type, 'Action.OpenUrl');

  const matrix = by.matrix!;
  t.equal(matrix.method, 'PUT', 'matrix: events are sent with PUT and a transaction id');
  t.match(matrix.url, /\/send\/m\.room\.message\/one$/);
  t.equal(matrix.headers.authorization, 'Bearer syt_matrix', 'secrets in headers come from the environment');
  const mbody = JSON.parse(matrix.body);
  t.equal(mbody.msgtype, 'm.text');
  t.equal(mbody.format, 'org.matrix.custom.html');
  t.match(mbody.formatted_body, /&lt;script&gt;/);

  const json = by.json!;
  const ts = json.headers['x-argus-timestamp'] as string;
  t.equal(json.headers['x-argus-signature'], `sha256=${createHmac('sha256', 'k3y').update(`${ts}.${json.body}`).digest('hex')}`, 'json: HMAC-SHA256 over timestamp.body');
  const body = JSON.parse(json.body);
  t.same([body.version, body.topic, body.severity, body.kind, body.device, body.incident.id], [1, 'incident.open', 'high', 'scan.port.horizontal', '02:00:00:00:00:30', 'inc-1']);
  t.notOk(warnings.some((w) => w.includes('k3y')), 'no secret in the log');
});

t.test('ntfy: JSON publishing with title, priority, tags, click and view actions', async (t) => {
  const srv = await listener();
  t.teardown(srv.close);
  const n = new Notifier(config([channel({ type: 'ntfy', server: srv.url, topic: 'argus-home', token: 'tk_1' })]), opts);
  n.offer(notice({ severity: 'critical' }));
  await until(() => srv.got.length === 1);
  await n.close();
  const g = srv.got[0]!;
  t.equal(g.url, '/');
  t.equal(g.headers.authorization, 'Bearer tk_1');
  const b = JSON.parse(g.body);
  t.equal(b.topic, 'argus-home');
  t.equal(b.priority, 5);
  t.same(b.tags, ['rotating_light', 'scan.port.horizontal']);
  t.equal(b.click, 'http://argus.lan:8080/devices/02%3A00%3A00%3A00%3A00%3A30');
  t.same(b.actions, [{ action: 'view', label: 'Open device', url: b.click }]);
});

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) argus-edge (\d+) (\S+) (\[argus@32473 [^\]]*(?:\\\][^\]]*)*\]) (.*)$/s;

t.test('syslog: RFC 5424 over UDP, and over TCP with octet counting', async (t) => {
  const udp = createSocket('udp4');
  const dgrams: string[] = [];
  udp.on('message', (m) => dgrams.push(m.toString('utf8')));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  t.teardown(() => udp.close());
  let tcpData = '';
  const tcp = createTcpServer((s) => s.on('data', (d) => (tcpData += d.toString('utf8'))));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  t.teardown(() => tcp.close());

  const n = new Notifier(
    config([
      channel({ type: 'syslog', host: '127.0.0.1', port: udp.address().port, transport: 'udp', facility: 'local3' }),
      channel({ type: 'syslog', host: '127.0.0.1', port: (tcp.address() as { port: number }).port, transport: 'tcp' }),
    ]),
    opts,
  );
  n.offer(notice({ id: 'a', title: 'x "quoted" ]bracket\\' }));
  n.offer(notice({ id: 'b', severity: 'medium', device: '02:00:00:00:00:31' }));
  await until(() => dgrams.length === 2 && (tcpData.match(/argus-edge/g) ?? []).length === 2);
  await n.close();
  const m = RFC5424.exec(dgrams[0]!);
  t.ok(m, `RFC 5424 line: ${dgrams[0]}`);
  t.equal(Number(m![1]), 19 * 8 + 3, 'PRI: local3 × 8 + err (high)');
  t.equal(m![2], '2026-12-01T03:00:00.000Z');
  t.equal(m![5], 'incident');
  t.match(m![6], /topic="incident\.open"/);
  t.match(m![6], /device="02:00:00:00:00:30"/);
  t.equal(Number(RFC5424.exec(dgrams[1]!)![1]), 19 * 8 + 4, 'medium → warning');
  // octet counting: LEN SP MSG, LEN counts the bytes of MSG
  const frames: string[] = [];
  let rest = Buffer.from(tcpData, 'utf8');
  while (rest.length > 0) {
    const sp = rest.indexOf(0x20);
    const len = Number(rest.subarray(0, sp).toString('ascii'));
    t.ok(Number.isInteger(len) && len > 0, `frame length ${len}`);
    frames.push(rest.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    rest = rest.subarray(sp + 1 + len);
  }
  t.equal(frames.length, 2);
  t.ok(frames.every((f) => RFC5424.test(f)), 'each TCP frame is one RFC 5424 message');
  t.equal(Number(RFC5424.exec(frames[0]!)![1]), 16 * 8 + 3, 'default facility local0');
  const sd = formatSyslog(notice({ kind: 'k"]\\' }), 'local0');
  t.match(sd, /kind="k\\"\\]\\\\"/, 'SD values escape ", ] and \\');
});

t.test('a dead server does not slow the caller; queued notices arrive when it returns; bounds are counted', async (t) => {
  // find a free port, then leave it closed: the webhook is refused until the server starts there
  const probe = await listener();
  const port = probe.port;
  await probe.close();
  const n = new Notifier(config([channel({ type: 'webhook', name: 'down', url: `http://127.0.0.1:${port}/hook` })], { queueSize: 50, maxAttempts: 1000, groupSeconds: 0 }), opts);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 60; i++) n.offer(notice({ id: `d${i}`, device: `02:00:00:00:01:${String(i).padStart(2, '0')}` }));
  const offerMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await sleep(600);
  lag.disable();
  const h = n.health()[0]!;
  t.equal(h.queued, 50, 'the queue holds its bound');
  t.equal(h.dropped, 10, 'the rest are refused and counted');
  t.ok(h.failures >= 2, `retries are counted (${h.failures})`);
  t.equal(h.sent, 0);
  t.ok(offerMs < 50, `offering 60 notices to a dead channel took ${offerMs.toFixed(1)} ms`);
  t.ok(lag.max / 1e6 < 100, `event-loop delay stayed low while it retried (max ${(lag.max / 1e6).toFixed(1)} ms)`);
  t.ok(warnings.filter((w) => w.startsWith('notify down:')).length === 1, 'one warning when it starts failing, not one per retry');
  // the server comes back on the same port
  const srv = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  let got = 0;
  srv.on('request', () => got++);
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  await until(() => got === 50, 10_000);
  t.equal(got, 50, 'every queued notice is delivered after the server returns');
  t.equal(n.health()[0]!.sent, 50);
  await n.close();
});

t.test('a notice that always fails becomes a dead letter after maxAttempts', async (t) => {
  const srv = await listener(() => 500);
  t.teardown(srv.close);
  const n = new Notifier(config([channel({ type: 'webhook', name: 'err', url: srv.url })], { maxAttempts: 3 }), opts);
  n.offer(notice());
  await until(() => n.health()[0]!.deadLetters === 1);
  t.equal(srv.got.length, 3);
  t.match(n.health()[0]!.lastError, /HTTP 500/);
  await n.close();
});

t.test('channel settings are checked with the key named', async (t) => {
  const bad = (o: Record<string, unknown>) => {
    const r = checkChannel(o);
    return r instanceof Invalid ? r.expected : 'accepted';
  };
  t.match(bad({ url: 'http://x' }), /'type' is required/);
  t.match(bad({ type: 'pager' }), /'type' must be one of webhook, ntfy, email, mqtt, syslog/);
  t.match(bad({ type: 'webhook', url: 'ftp://x' }), /'url' must be an http or https URL/);
  t.match(bad({ type: 'webhook', url: 'http://x', colour: 'red' }), /unknown key 'colour'/);
  t.match(bad({ type: 'webhook', url: 'http://x', minSeverity: 'urgent' }), /'minSeverity' must be one of low, medium, high, critical/);
  t.match(bad({ type: 'ntfy', topic: 'has space' }), /'topic' must be/);
  t.match(bad({ type: 'syslog', host: '127.0.0.1', port: 70000 }), /'port'/);
  t.match(bad({ type: 'webhook', url: 'http://x', topics: ['incident.nope'] }), /topics are/);
  t.equal(bad({ type: 'syslog', host: '127.0.0.1' }), 'accepted');
});
