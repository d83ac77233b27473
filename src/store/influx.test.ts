/**
 * InfluxSink's HTTP behaviour against a local HTTP server whose answers the test chooses (503, 400, …):
 * victoria-metrics (test/store-influx.test.ts) accepts every request, so the retry and rejection paths are
 * exercised here. The server is real HTTP on 127.0.0.1; the request the sink sends is checked as sent.
 */
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { InfluxSink } from './influx.js';

interface Seen {
  url: string;
  auth: string | undefined;
  encoding: string | undefined;
  lines: string[];
}

/** Starts a server answering each request with the next status from `statuses` (then 204). */
async function server(statuses: number[]): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, encoding: req.headers['content-encoding'], lines: body.toString().split('\n') });
      const status = statuses.shift() ?? 204;
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '0' } : {}) });
      res.end(status === 204 ? undefined : JSON.stringify({ code: 'x', message: `status ${status}` }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => srv.close(() => r())) };
}

const line = (i: number): string => `m,sensor=s v=${i}i ${1_750_000_000_000_000 + i}`;

t.test('the request: v2 write path, µs precision, token header, gzip for big bodies', async (t) => {
  const s = await server([]);
  t.teardown(s.close);
  const sink = new InfluxSink({ url: s.url, token: 'user:password', org: 'o g', bucket: 'db/rp', batchSize: 1000, flushIntervalMs: 5, log: () => {} });
  for (let i = 0; i < 100; i++) sink.pushLine(line(i));
  await sink.close();
  t.equal(s.seen.length, 1);
  t.equal(s.seen[0]!.url, '/api/v2/write?org=o%20g&bucket=db%2Frp&precision=us');
  t.equal(s.seen[0]!.auth, 'Token user:password');
  t.equal(s.seen[0]!.encoding, 'gzip');
  t.same(s.seen[0]!.lines, Array.from({ length: 100 }, (_, i) => line(i)));
  t.match(sink.stats(), { pointsQueued: 100, pointsWritten: 100, pointsDropped: 0, buffered: 0 });
});

t.test('5xx: the batch is kept and retried with backoff, in order, without duplicates', async (t) => {
  const s = await server([503, 500, 502]);
  t.teardown(s.close);
  const logs: string[] = [];
  const sink = new InfluxSink({ url: s.url, token: 't', org: 'o', bucket: 'b', batchSize: 10, flushIntervalMs: 5, retryMinMs: 10, retryMaxMs: 40, log: (m) => logs.push(m) });
  for (let i = 0; i < 25; i++) sink.pushLine(line(i));
  const deadline = Date.now() + 5000;
  while (sink.stats().pointsWritten < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await sink.close();
  const st = sink.stats();
  t.equal(st.failures, 3);
  t.equal(st.pointsWritten, 25);
  t.equal(st.pointsDropped, 0);
  const delivered = s.seen.slice(3).flatMap((x) => x.lines);
  t.same(delivered, Array.from({ length: 25 }, (_, i) => line(i)), 'every line once, in order');
  t.equal(logs.length, 1, 'repeated failures are logged once');
});

t.test('400: a malformed batch is dropped and counted as rejected, the rest goes on', async (t) => {
  const s = await server([400]);
  t.teardown(s.close);
  const sink = new InfluxSink({ url: s.url, token: 't', org: 'o', bucket: 'b', batchSize: 5, flushIntervalMs: 5, log: () => {} });
  for (let i = 0; i < 12; i++) sink.pushLine(line(i));
  await sink.close();
  t.match(sink.stats(), { pointsQueued: 12, pointsRejected: 5, pointsWritten: 7, pointsDropped: 0 });
});

t.test('no server: the producer never waits, the oldest lines are dropped, close() accounts for the rest', async (t) => {
  const s = await server([]);
  const url = s.url;
  await s.close(); // nothing listens there now: connection refused
  const sink = new InfluxSink({ url, token: 't', org: 'o', bucket: 'b', batchSize: 50, flushIntervalMs: 1, maxBufferLines: 200, retryMinMs: 5, retryMaxMs: 20, log: () => {} });
  let slowest = 0;
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    sink.pushLine(line(i));
    slowest = Math.max(slowest, performance.now() - t0);
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5)); // let sends fail in between
  }
  // waiting on the network would take a request; 100 ms leaves room for a GC pause on a loaded machine
  t.ok(slowest < 100, `slowest push ${slowest.toFixed(3)} ms`);
  const mid = sink.stats();
  t.ok(mid.failures > 0);
  t.ok(mid.buffered + mid.inFlight <= 200 + 50, 'memory stays bounded');
  await sink.close();
  const st = sink.stats();
  t.equal(st.pointsWritten, 0);
  t.equal(st.pointsDropped, 1000, 'every line is accounted for as dropped');
  t.match(st.lastError, /ECONNREFUSED|connect/i);
});

t.test('off when the url is empty', async (t) => {
  t.equal(InfluxSink.fromConfig({ url: '', token: '', org: '', bucket: '' }), null);
  t.throws(() => new InfluxSink({ url: '', token: '', org: '', bucket: '' }));
});
