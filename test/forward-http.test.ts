/**
 * EVE forwarding over HTTP against a real node:http collector on 127.0.0.1, in each format the forwarder
 * speaks (ndjson, Elasticsearch bulk, Loki push; gzip or not): every request body is parsed and its lines
 * checked against the EVE file lines of the replay that produced them — none lost, none twice, in order,
 * batches within batchLines, the headers the settings ask for. Then what happens when the collector is not
 * well: 5xx and 429 answers (retried with back-off, every line arrives once), a refused batch (dropped and
 * counted), a collector that is down (the queue stays within its cap, the oldest lines go and are counted),
 * and shutdown (what is queued is sent within shutdownSeconds; a collector that never answers costs
 * shutdownSeconds and no more).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { HttpForwarder, type HttpForwardSettings } from '../src/forward/http.js';
import { manyFlowsCapture, replayWithForward, sameLines } from './support/forward-run.js';
import { closedPort, httpCollector, hungListener, type ReceivedRequest } from './support/forward-receivers.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-forward-http-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pcap = join(dir, 'flows.pcap');
manyFlowsCapture(pcap, 1200);

const http = (url: string, more: Record<string, string> = {}): Record<string, string> => ({ 'eve.forward.http.enabled': 'true', 'eve.forward.http.url': url, ...more });

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

/** The lines of an ndjson body: one per line, the body ending in a newline. */
function ndjsonLines(body: string): string[] {
  if (!body.endsWith('\n')) throw new Error('an ndjson body ends in a newline');
  return body.slice(0, -1).split('\n');
}

/** An EVE timestamp (`2026-01-15T10:00:00.123456+0000`) in Unix nanoseconds, worked out on its own here. */
function eveNanos(line: string): bigint {
  const ts = (JSON.parse(line) as { timestamp: string }).timestamp;
  const m = /^(.{19})\.(\d{6})([+-]\d\d)(\d\d)$/.exec(ts);
  if (m === null) throw new Error(`unexpected timestamp ${ts}`);
  return BigInt(Date.parse(`${m[1]}${m[3]}:${m[4]}`)) * 1_000_000n + BigInt(m[2]!) * 1000n;
}

const eventType = (line: string): string => (JSON.parse(line) as { event_type: string }).event_type;

/** Settings of an HttpForwarder used on its own (without a pipeline). */
const direct = (url: string, more: Partial<HttpForwardSettings> = {}): HttpForwardSettings => ({
  url,
  format: 'ndjson',
  index: 'argus-edge',
  job: 'argus-edge',
  host: 'sensor-1',
  batchLines: 10,
  flushMs: 20,
  gzip: false,
  headers: {},
  queueLines: 1000,
  timeoutMs: 2000,
  warn: () => {},
  ...more,
});
const synthetic = (n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ timestamp: '2026-01-15T10:00:00.000001+0000', flow_id: i, event_type: 'flow' }));

t.test('ndjson: every EVE line once, in order, in batches of at most batchLines, with the token and the extra headers', async (t) => {
  const c = await httpCollector();
  t.teardown(() => c.close());
  process.env.ARGUS_TEST_FORWARD_TOKEN = 's3cret-token';
  t.teardown(() => void delete process.env.ARGUS_TEST_FORWARD_TOKEN);
  const r = await replayWithForward(
    pcap,
    dir,
    http(`${c.url}/ingest`, { 'eve.forward.http.batchLines': '250', 'eve.forward.http.flushSeconds': '0.2', 'eve.forward.http.token': 'env:ARGUS_TEST_FORWARD_TOKEN', 'eve.forward.http.headers': 'X-Scope-OrgID: tenant-7' }),
    { yieldEvery: 64 },
  );
  t.ok(r.lines.length >= 1200, `${r.lines.length} EVE lines`);
  const batches = c.requests.map((q) => ndjsonLines(q.body));
  sameLines(t, batches.flat(), r.lines, 'the bodies, one after the other, are the EVE file');
  t.ok(batches.every((b) => b.length >= 1 && b.length <= 250), `batch sizes ${Math.min(...batches.map((b) => b.length))}..${Math.max(...batches.map((b) => b.length))}, within 1..250`);
  t.ok(batches.length >= Math.ceil(r.lines.length / 250), `${batches.length} requests`);
  const heads = c.requests.map((q) => ({ method: q.method, url: q.url, ct: q.headers['content-type'], auth: q.headers.authorization, org: q.headers['x-scope-orgid'], ua: q.headers['user-agent'], ce: q.headers['content-encoding'] }));
  t.same(new Set(heads.map((h) => JSON.stringify(h))), new Set([JSON.stringify({ method: 'POST', url: '/ingest', ct: 'application/x-ndjson', auth: 'Bearer s3cret-token', org: 'tenant-7', ua: 'argus-edge' })]), 'POST, ndjson, Bearer token from env:, X-Scope-OrgID, no Content-Encoding');
  t.match(r.pipeline.forwarders[0]!.stats(), { kind: 'http', target: `ndjson ${c.url}/ingest`, sent: r.lines.length, dropped: 0, errors: 0, queued: 0, lastError: null });
});

t.test('elastic, gzip: a create action for the index before every line, compressed on the wire', async (t) => {
  const bulkOk = (q: Omit<ReceivedRequest, 'status'>): string => JSON.stringify({ took: 1, errors: false, items: Array.from({ length: ndjsonLines(q.body).length / 2 }, () => ({ create: { _index: 'eve-test', status: 201 } })) });
  const c = await httpCollector((q) => ({ status: 200, body: bulkOk(q) }));
  t.teardown(() => c.close());
  const r = await replayWithForward(pcap, dir, http(`${c.url}/_bulk`, { 'eve.forward.http.format': 'elastic', 'eve.forward.http.index': 'eve-test', 'eve.forward.http.gzip': 'true', 'eve.forward.http.batchLines': '400' }), { yieldEvery: 64 });
  const action = JSON.stringify({ create: { _index: 'eve-test' } });
  const docs: string[] = [];
  let badPairs = 0;
  let maxDocs = 0;
  for (const q of c.requests) {
    const l = ndjsonLines(q.body);
    if (l.length % 2 !== 0) badPairs++;
    for (let i = 0; i < l.length; i += 2) {
      if (l[i] !== action) badPairs++;
      docs.push(l[i + 1]!);
    }
    maxDocs = Math.max(maxDocs, l.length / 2);
  }
  t.equal(badPairs, 0, 'action line, document line, …, the body ending in a newline');
  sameLines(t, docs, r.lines, 'the documents are the EVE file');
  t.ok(maxDocs <= 400, `at most 400 documents a request (${maxDocs})`);
  t.ok(c.requests.every((q) => q.headers['content-encoding'] === 'gzip' && q.headers['content-type'] === 'application/x-ndjson' && q.wireBytes < Buffer.byteLength(q.body) / 3), 'Content-Encoding: gzip, the wire bytes a fraction of the body');
  t.match(r.pipeline.forwarders[0]!.stats(), { target: `elastic ${c.url}/_bulk`, sent: r.lines.length, dropped: 0, errors: 0 });

  // a 200 with errors: true is Elasticsearch refusing single documents: those are dropped and counted, not retried
  let refusedTotal = 0;
  const picky = await httpCollector((q) => {
    const n = ndjsonLines(q.body).length / 2;
    const items = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? { create: { _index: 'eve-test', status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [flow.age]' } } } : { create: { _index: 'eve-test', status: 201 } }));
    refusedTotal += items.filter((x) => 'error' in x.create).length;
    return { status: 200, body: JSON.stringify({ took: 1, errors: refusedTotal > 0, items }) };
  });
  t.teardown(() => picky.close());
  const r2 = await replayWithForward(pcap, dir, http(`${picky.url}/_bulk`, { 'eve.forward.http.format': 'elastic', 'eve.forward.http.batchLines': '400' }), { yieldEvery: 64 });
  t.ok(refusedTotal > 0, `${refusedTotal} documents refused`);
  sameLines(t, picky.requests.flatMap((q) => ndjsonLines(q.body).filter((_, i) => i % 2 === 1)), r2.lines, 'each document sent once (a refused document is not retried)');
  t.match(r2.pipeline.forwarders[0]!.stats(), { sent: r2.lines.length - refusedTotal, dropped: refusedTotal, errors: 0, queued: 0, lastError: /mapper_parsing_exception: failed to parse field/ });
});

t.test('loki: a stream per event type labelled job/host/event_type, values [the line\'s own time in ns, line] in time order', async (t) => {
  const c = await httpCollector(() => ({ status: 204 }));
  t.teardown(() => c.close());
  const r = await replayWithForward(pcap, dir, http(`${c.url}/loki/api/v1/push`, { 'eve.forward.http.format': 'loki', 'eve.forward.http.batchLines': '300' }), { yieldEvery: 64 });
  t.ok(c.requests.every((q) => q.headers['content-type'] === 'application/json' && q.url === '/loki/api/v1/push'), 'JSON to the push path');
  type Push = { streams: { stream: Record<string, string>; values: [string, string][] }[] };
  let off = 0;
  let bad = 0;
  let maxLines = 0;
  const types = new Set<string>();
  for (const [k, q] of c.requests.entries()) {
    const push = JSON.parse(q.body) as Push;
    const n = push.streams.reduce((s, x) => s + x.values.length, 0);
    maxLines = Math.max(maxLines, n);
    // this request carries the next n lines of the file: grouped by type, each group in time order (file order on a tie)
    const chunk = r.lines.slice(off, off + n);
    off += n;
    const want = new Map<string, [string, string][]>();
    for (const l of chunk) {
      const type = eventType(l);
      if (!want.has(type)) want.set(type, []);
      want.get(type)!.push([String(eveNanos(l)), l]);
    }
    for (const v of want.values()) v.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : BigInt(a[0]) > BigInt(b[0]) ? 1 : 0));
    const got = new Map(push.streams.map((s) => [s.stream.event_type ?? '?', s.values]));
    const labelsOk = push.streams.every((s) => JSON.stringify(s.stream) === JSON.stringify({ job: 'argus-edge', host: hostname(), event_type: s.stream.event_type }));
    const ok = labelsOk && push.streams.length === want.size && [...want].every(([type, v]) => JSON.stringify(got.get(type)) === JSON.stringify(v));
    for (const type of want.keys()) types.add(type);
    if (!ok && bad++ === 0) t.fail(`request ${k} is not lines ${off - n}..${off - 1} of the file as Loki streams`);
  }
  t.equal(bad, 0, 'each request: the next lines of the file, a stream per event type with {job, host, event_type}, [ns of the line\'s timestamp, line] sorted by time');
  t.equal(off, r.lines.length, `every line once (${off} of ${r.lines.length})`);
  t.ok(maxLines <= 300, `at most 300 lines a request (${maxLines})`);
  t.ok(types.size >= 2, `streams of ${[...types].join(', ')}`);
  t.match(r.pipeline.forwarders[0]!.stats(), { target: `loki ${c.url}/loki/api/v1/push`, sent: r.lines.length, dropped: 0 });
});

t.test('503, then 429, then 200: the batch is retried after 0.5 s and 1 s, and every line arrives once, in order', async (t) => {
  const c = await httpCollector((_, i) => ({ status: i === 0 ? 503 : i === 1 ? 429 : 200 }));
  t.teardown(() => c.close());
  let offered = 0;
  const r = await replayWithForward(pcap, dir, http(c.url, { 'eve.forward.http.batchLines': '500', 'eve.forward.http.flushSeconds': '0.05' }), {
    yieldEvery: 64,
    onStart: (p) => {
      const f = p.forwarders[0]!;
      const offer = f.offer.bind(f);
      f.offer = (l) => void (offered++, offer(l));
    },
    // the retries happen while capture goes on, not at shutdown (which sends at once)
    beforeShutdown: (p) => until(() => p.forwarders[0]!.stats().sent >= offered, 15_000),
  });
  t.same(c.requests.slice(0, 3).map((q) => q.status), [503, 429, 200]);
  const gap1 = c.requests[1]!.atMs - c.requests[0]!.atMs;
  const gap2 = c.requests[2]!.atMs - c.requests[1]!.atMs;
  t.ok(gap1 >= 450 && gap2 >= 950 && gap2 > gap1, `back-off between attempts: ${gap1.toFixed(0)} ms, then ${gap2.toFixed(0)} ms (0.5 s doubling)`);
  const first = ndjsonLines(c.requests[0]!.body);
  t.same(ndjsonLines(c.requests[2]!.body).slice(0, first.length), first, 'the failed batch goes again first');
  sameLines(t, c.requests.filter((q) => q.status === 200).flatMap((q) => ndjsonLines(q.body)), r.lines, 'the accepted bodies are the EVE file: every line once, in order');
  t.match(r.pipeline.forwarders[0]!.stats(), { sent: r.lines.length, dropped: 0, errors: 2, queued: 0, lastError: null });
});

t.test('user:password in the URL is sent as HTTP Basic auth (fetch refuses a URL with credentials), and never shown', async (t) => {
  const c = await httpCollector();
  t.teardown(() => c.close());
  const warnings: string[] = [];
  const url = `http://elastic:p%40ss%3Aword@127.0.0.1:${c.port}/_bulk`;
  const f = new HttpForwarder(direct(url, { warn: (m) => warnings.push(m) }));
  const lines = synthetic(25);
  for (const l of lines) f.offer(l);
  await until(() => f.stats().sent + f.stats().dropped === 25 || f.stats().errors > 0, 5000).catch(() => {});
  t.match(f.stats(), { sent: 25, errors: 0, lastError: null });
  t.same(c.requests.flatMap((q) => ndjsonLines(q.body)), lines);
  t.same(new Set(c.requests.map((q) => `${q.url} ${q.headers.authorization}`)), new Set([`/_bulk Basic ${Buffer.from('elastic:p@ss:word').toString('base64')}`]), 'the path as given, the decoded user and password as Basic credentials');
  t.equal(f.target, `ndjson http://127.0.0.1:${c.port}/_bulk`);
  t.notMatch([f.target, f.stats().lastError, ...warnings].join('\n'), /p%40ss|p@ss/, 'the password appears nowhere');
  await f.close(1000);

  // an explicit Authorization (token or headers) wins over the URL's
  const g = new HttpForwarder(direct(url, { headers: { authorization: 'Bearer tok' } }));
  g.offer(lines[0]!);
  await until(() => g.stats().sent === 1, 5000).catch(() => {});
  t.equal(c.requests.at(-1)?.headers.authorization, 'Bearer tok');
  await g.close(1000);
});

t.test('a batch the collector refuses (400) is dropped and counted, not retried; a warning says so', async (t) => {
  const c = await httpCollector((_, i) => ({ status: i === 1 ? 400 : 200 }));
  t.teardown(() => c.close());
  const warnings: string[] = [];
  const f = new HttpForwarder(direct(c.url, { warn: (m) => warnings.push(m) }));
  const lines = synthetic(30);
  for (const l of lines) f.offer(l);
  await until(() => f.stats().sent + f.stats().dropped === 30);
  t.same(c.requests.map((q) => q.status), [200, 400, 200], 'three requests: no retry of the refused one');
  t.same(c.requests.filter((q) => q.status === 200).flatMap((q) => ndjsonLines(q.body)), [...lines.slice(0, 10), ...lines.slice(20)]);
  t.match(f.stats(), { sent: 20, dropped: 10, errors: 1, queued: 0 });
  t.match(warnings[0], /HTTP 400 \(the batch is dropped\)/);
  await f.close(1000);
});

t.test('collector down: the queue stays within queueLines, the oldest lines go and are counted; the newest arrive once it is up', async (t) => {
  const port = await closedPort();
  const f = new HttpForwarder(direct(`http://127.0.0.1:${port}/`, { queueLines: 100, batchLines: 50, flushMs: 10, timeoutMs: 1000 }));
  const lines = synthetic(1000);
  let maxQueued = 0;
  let accountingOff = 0;
  for (let i = 0; i < lines.length; i++) {
    f.offer(lines[i]!);
    const st = f.stats();
    maxQueued = Math.max(maxQueued, st.queued);
    if (st.sent + st.dropped + st.queued !== i + 1) accountingOff++;
    if (i % 50 === 49) await sleep(5);
  }
  // a batch in flight is out of the queue: queueLines plus one batch at most
  t.ok(maxQueued <= 100 + 50, `at most ${maxQueued} lines held (queueLines 100, batchLines 50)`);
  t.equal(accountingOff, 0, 'after every line: sent + dropped + queued = lines offered');
  const down = f.stats();
  t.ok(down.errors >= 1 && down.sent === 0 && down.dropped >= 850, `${down.errors} refused attempts, ${down.dropped} dropped, lastError ${down.lastError}`);
  t.match(down.lastError, /ECONNREFUSED/);

  const c = await httpCollector(() => ({ status: 200 }), port);
  t.teardown(() => c.close());
  await until(() => f.stats().queued === 0, 15_000);
  const st = f.stats();
  const got = c.requests.flatMap((q) => ndjsonLines(q.body));
  t.ok(st.sent >= 50 && st.sent <= 150, `${st.sent} lines sent once the collector is up`);
  t.same(got, lines.slice(lines.length - st.sent), 'exactly the newest lines, once each, in order');
  t.equal(st.sent + st.dropped, lines.length, 'the rest are counted as dropped');
  t.equal(st.lastError, null);
  await f.close(1000);
});

t.test('queueLines below batchLines: a full queue is sent, not left to drop lines until the flush time', async (t) => {
  const c = await httpCollector();
  t.teardown(() => c.close());
  const f = new HttpForwarder(direct(c.url, { queueLines: 100, batchLines: 500, flushMs: 10_000 }));
  const lines = synthetic(400);
  for (let i = 0; i < lines.length; i++) {
    f.offer(lines[i]!);
    if (i % 50 === 49) await sleep(50);
  }
  await until(() => f.stats().sent === 400, 5_000).catch(() => {});
  t.match(f.stats(), { sent: 400, dropped: 0 });
  t.same(c.requests.flatMap((q) => ndjsonLines(q.body)), lines);
  await f.close(1000);
});

t.test('shutdown sends what is queued within shutdownSeconds; a collector that never answers costs shutdownSeconds, no more', async (t) => {
  // nothing is sent during the replay (no full batch, a long flush time): shutdown sends it all to a slow collector
  const slow = await httpCollector(() => ({ status: 200, delayMs: 150 }));
  t.teardown(() => slow.close());
  let before = { sent: -1, queued: -1 };
  let t0 = 0;
  const r = await replayWithForward(pcap, dir, http(slow.url, { 'eve.forward.http.batchLines': '600', 'eve.forward.http.flushSeconds': '3600', 'eve.forward.shutdownSeconds': '5' }), {
    beforeShutdown: async (p) => {
      // the full batches the replay produced are being sent; wait for those, so what is left is a partial batch
      await until(() => p.forwarders[0]!.stats().queued < 600);
      before = p.forwarders[0]!.stats();
      t0 = performance.now();
    },
  });
  const ms = performance.now() - t0;
  t.ok(before.queued > 0, `${before.queued} lines still queued when shutdown starts`);
  sameLines(t, slow.requests.flatMap((q) => ndjsonLines(q.body)), r.lines, 'all of them arrive');
  t.ok(ms < 5000, `shutdown took ${ms.toFixed(0)} ms (shutdownSeconds 5)`);
  t.match(r.pipeline.forwarders[0]!.stats(), { sent: r.lines.length, dropped: 0, queued: 0 });

  // a collector that takes the request and never answers: shutdown gives up after shutdownSeconds
  const hung = await hungListener({ discard: true });
  t.teardown(() => hung.close());
  let t1 = 0;
  const h = await replayWithForward(pcap, dir, http(`http://127.0.0.1:${hung.port}/`, { 'eve.forward.shutdownSeconds': '1', 'eve.forward.timeoutSeconds': '30' }), {
    beforeShutdown: async () => void (t1 = performance.now()),
  });
  const hungMs = performance.now() - t1;
  t.ok(hungMs >= 900 && hungMs < 3000, `shutdown took ${hungMs.toFixed(0)} ms (shutdownSeconds 1, timeoutSeconds 30)`);
  t.ok(hung.accepted >= 1, 'the request was made');
  t.match(h.pipeline.forwarders[0]!.stats(), { sent: 0, dropped: h.lines.length, queued: 0 }, 'every line, the batch in flight included, counted as dropped at once');
  // (fetch may open a spare connection when a request is aborted; what matters is that the request's closes)
  await until(() => hung.closed >= 1, 2000).catch(() => {});
  t.ok(hung.closed >= 1, 'the unanswered request is given up (its connection closed), not left running for timeoutSeconds');
});
