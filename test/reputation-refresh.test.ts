/**
 * Feeds over HTTP from a server this test starts on 127.0.0.1: first fetch, the last good copy on disk used
 * at start and when a refresh fails (server gone, HTTP 500, an HTML error page, a body over the size cap, a
 * server that never answers), conditional GET, the refresh schedule, and file feeds re-read on change.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { FeedSpec } from '../src/config/intel-schema.js';
import { defaultConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { Reputation, type IntelConfig } from '../src/trust/reputation.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP server on 127.0.0.1 whose behaviour the test swaps; counts requests. */
async function feedServer(t: { teardown(fn: () => unknown): void }): Promise<{ url: string; set(h: Handler): void; requests: IncomingMessage[] }> {
  let handler: Handler = (_q, s) => s.end('');
  const requests: IncomingMessage[] = [];
  const server = createServer((q, s) => {
    requests.push(q);
    handler(q, s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, set: (h) => (handler = h), requests };
}

const DROP = '; Spamhaus DROP\n192.0.2.0/24 ; SBL1\n198.51.100.7/32 ; SBL2\n';
const DROP2 = '; Spamhaus DROP, next day\n203.0.113.0/24 ; SBL3\n';

function cfg(feeds: FeedSpec[], cacheDir: string, more: Partial<IntelConfig> = {}): IntelConfig {
  return { ...defaultConfig().intel, feeds, cacheDir, fetchTimeoutSeconds: 2, ...more };
}

t.test('a URL feed is fetched, kept on disk and used from there when refreshes fail', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-url-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await feedServer(t);
  srv.set((_q, s) => s.writeHead(200, { 'content-type': 'text/plain', etag: '"v1"' }).end(DROP));
  const feeds: FeedSpec[] = [{ name: 'drop', url: `${srv.url}/drop.txt`, path: null, format: 'auto', kind: 'drop' }];
  let now = 1_700_000_000_000;
  const logs: string[] = [];
  const log = createLogger('info', (l) => logs.push(l));

  const a = await Reputation.load(cfg(feeds, dir, { maxFeedMB: 1 }), log, { now: () => now });
  t.equal(a.lookupIp('192.0.2.9'), null, 'nothing before the first fetch (no copy yet)');
  await a.refresh();
  t.match(a.lookupIp('192.0.2.9'), { feed: 'drop', entry: '192.0.2.0/24', note: 'SBL1', kind: 'drop' }, 'fetched and indexed');
  t.match(a.feeds()[0], { format: 'spamhaus', ips: 2, failures: 0, updatedAt: now, lastError: null });
  t.ok(existsSync(join(dir, 'drop.txt')), 'the copy is on disk');
  t.equal(srv.requests.length, 1);

  // within refreshHours nothing is fetched
  now += 3_600_000;
  await a.refresh();
  t.equal(srv.requests.length, 1, 'not due yet');

  // past refreshHours: a conditional GET; 304 keeps the copy
  now += 24 * 3_600_000;
  srv.set((q, s) => (q.headers['if-none-match'] === '"v1"' ? s.writeHead(304).end() : s.writeHead(200).end(DROP2)));
  const builds = a.builds;
  await a.refresh();
  t.equal(srv.requests.length, 2);
  t.equal(srv.requests[1]!.headers['if-none-match'], '"v1"', 'sent the ETag');
  t.equal(a.builds, builds, '304: no rebuild');
  t.ok(a.lookupIp('192.0.2.9'));

  // a failing server: counted and logged, the copy stays in use, retried only after the retry interval
  for (const [what, h] of [
    ['HTTP 500', (_q: IncomingMessage, s: ServerResponse) => s.writeHead(500).end('oops')],
    ['an HTML error page', (_q: IncomingMessage, s: ServerResponse) => s.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>\n<h1>Service unavailable</h1>\n</body></html>\n')],
    ['a body over the cap', (_q: IncomingMessage, s: ServerResponse) => s.writeHead(200).end('192.0.2.1\n'.repeat(200_000))],
    ['a server that never answers', () => {}],
  ] as const) {
    now += 25 * 3_600_000;
    srv.set(h);
    const before = a.feeds()[0]!.failures;
    const t0 = Date.now();
    await a.refresh();
    t.equal(a.feeds()[0]!.failures, before + 1, `${what}: counted`);
    t.ok(a.lookupIp('192.0.2.9'), `${what}: the last good copy stays in use`);
    t.notOk(a.lookupIp('203.0.113.1'));
    if (what === 'a server that never answers') t.ok(Date.now() - t0 < 5000, 'the fetch timeout bounds it');
    const n = srv.requests.length;
    now += 60_000;
    await a.refresh();
    t.equal(srv.requests.length, n, `${what}: not retried within the retry interval`);
  }
  t.match(logs.join('\n'), /HTTP 500/);
  t.match(logs.join('\n'), /no entries in \d+ lines.*keeping the last good copy/);
  t.match(logs.join('\n'), /larger than intel\.maxFeedMB/);
  t.match(logs.join('\n'), /no complete answer within 2 s/);

  // a new instance (a restart) with the server unreachable: the index comes from the copy at once
  srv.set((_q, s) => s.destroy());
  const b = await Reputation.load(cfg(feeds, dir, { maxFeedMB: 1 }), log, { now: () => now });
  t.match(b.lookupIp('198.51.100.7'), { feed: 'drop', note: 'SBL2' }, 'loaded from the last good copy before any refresh');
  await b.refresh(true);
  t.equal(b.feeds()[0]!.failures, 1, 'the failed refresh is counted');
  t.ok(b.lookupIp('198.51.100.7'), 'and changes nothing');

  // the list changes: the next fetch replaces it
  srv.set((_q, s) => s.writeHead(200).end(DROP2));
  await b.refresh(true);
  t.ok(b.lookupIp('203.0.113.1'));
  t.equal(b.lookupIp('192.0.2.9'), null, 'entries gone from the list are gone from the index');
});

t.test('a copy fetched from another URL is not used for a feed whose URL changed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-url-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await feedServer(t);
  srv.set((_q, s) => s.end(DROP));
  const a = await Reputation.load(cfg([{ name: 'x', url: `${srv.url}/a`, path: null, format: 'auto', kind: 'other' }], dir), createLogger('error'));
  await a.refresh();
  t.ok(a.lookupIp('192.0.2.1'));
  const b = await Reputation.load(cfg([{ name: 'x', url: `${srv.url}/b`, path: null, format: 'auto', kind: 'other' }], dir), createLogger('error'));
  t.equal(b.lookupIp('192.0.2.1'), null);
});

t.test('startRefresh fetches at once and on its ticker; file feeds are re-read when they change', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-rep-url-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const srv = await feedServer(t);
  srv.set((_q, s) => s.end('evil.example\n'));
  const file = join(dir, 'local.txt');
  writeFileSync(file, '192.0.2.77\n');
  const feeds: FeedSpec[] = [
    { name: 'web', url: `${srv.url}/d`, path: null, format: 'domains', kind: 'phishing' },
    { name: 'local', url: null, path: file, format: 'ip', kind: 'other' },
  ];
  const rep = await Reputation.load(cfg(feeds, join(dir, 'cache')), createLogger('error'), { tickMs: 50 });
  t.teardown(() => rep.stop());
  t.ok(rep.lookupIp('192.0.2.77'), 'the file feed is there at start');
  t.equal(rep.lookupDomain('www.evil.example'), null);
  rep.startRefresh();
  for (let i = 0; i < 100 && rep.lookupDomain('www.evil.example') === null; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(rep.lookupDomain('www.evil.example'), { feed: 'web', entry: 'evil.example', kind: 'phishing' });

  writeFileSync(file, '192.0.2.78\n');
  utimesSync(file, new Date(), new Date(Date.now() + 5000)); // a new mtime even on coarse-timestamp filesystems
  for (let i = 0; i < 100 && rep.lookupIp('192.0.2.78') === null; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(rep.lookupIp('192.0.2.78'), 'the changed file was re-read');
  t.equal(rep.lookupIp('192.0.2.77'), null);
  t.equal(srv.requests.length, 1, 'the URL feed is not fetched again on every tick');

  // the file disappears: logged once, its last copy stays in use
  rmSync(file);
  utimesSync(dir, new Date(), new Date());
  await new Promise((r) => setTimeout(r, 200));
  t.ok(rep.lookupIp('192.0.2.78'), 'the copy of a vanished file stays in use');
  t.equal(rep.feeds()[1]!.failures, 1, 'one failure, not one per tick');
});
