/**
 * A dead collector never slows capture. A capture of 20,000 flows is replayed with EVE forwarding on, to a
 * syslog TCP collector and to an HTTP one that are each either hung (they accept the connection and never read
 * or answer) or down (the port refuses), and compared to the same replay without forwarding:
 *
 * - the EVE file is the same, line for line;
 * - the replay takes about as long (a generous bound: at most twice the time plus 2 s);
 * - structurally, whatever the machine's load: the event loop is never held by the forwarder (no turn near
 *   timeoutSeconds, which is what waiting for the collector would cost), the queue never holds more than its
 *   cap (plus the one batch or socket write in flight), and at every moment dropped = offered − sent − queued.
 *
 * The replay yields to the event loop every 256 packets, as a live capture does between libpcap callbacks,
 * so the forwarders get their turns while capture goes on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { Forwarder } from '../src/forward/index.js';
import { SyslogForwarder } from '../src/forward/syslog.js';
import { closedPort, hungListener } from './support/forward-receivers.js';
import { manyFlowsCapture, replayWithForward, sameLines, type ReplayResult } from './support/forward-run.js';

const FLOWS = 20_000;
const YIELD_EVERY = 256;
const QUEUE = 2000;
/** an HTTP batch in flight is out of the queue */
const BATCH = 500;
/**
 * a syslog stream's lines handed to the socket and not yet taken by the kernel: one turn's write (512 lines,
 * syslog.ts LINES_PER_TURN) and what may still sit in user space before it (256 KiB, STREAM_HIGH_WATER, of
 * messages of at least 180 bytes)
 */
const IN_SOCKET = 512 + Math.ceil((256 * 1024) / 180);
/**
 * the longest event-loop turn allowed during the replay: waiting for a collector even once would take
 * timeoutSeconds (1 s); the replay's own longest turns (its slices, the flow table's sweeps) are 50–250 ms here
 */
const MAX_TURN_MS = 900;
const SHUTDOWN_S = 0.5;

const dir = mkdtempSync(join(tmpdir(), 'argus-forward-dead-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pcap = join(dir, 'many.pcap');
manyFlowsCapture(pcap, FLOWS);

interface Watched {
  r: ReplayResult;
  /** the event loop's longest turn during the replay, ms */
  maxTurnMs: number;
  /** the pipeline's shutdown, ms: its flow table's final flush (one long turn), then the forwarders' close */
  shutdownMs: number;
  /** per forwarder kind: lines offered, the most held at once, samples where the counts did not add up */
  seen: Record<string, { offered: number; maxQueued: number; samples: number; offBy: number }>;
}

/** Replays the capture with `flags`, watching the forwarders (every offered line counted, stats sampled every few ms). */
async function watchedReplay(flags: Record<string, string>): Promise<Watched> {
  const seen: Watched['seen'] = {};
  const fwds: Forwarder[] = [];
  const sample = (): void => {
    for (const f of fwds) {
      const st = f.stats();
      const w = seen[f.kind]!;
      w.samples++;
      w.maxQueued = Math.max(w.maxQueued, st.queued);
      if (st.dropped !== w.offered - st.sent - st.queued) w.offBy++;
    }
  };
  const timer = setInterval(sample, 2);
  const h = monitorEventLoopDelay({ resolution: 5 });
  let shutdownAt = 0;
  try {
    const r = await replayWithForward(pcap, dir, flags, {
      yieldEvery: YIELD_EVERY,
      beforeShutdown: async () => {
        h.disable();
        shutdownAt = performance.now();
      },
      onStart: (p) => {
        h.enable();
        for (const f of p.forwarders) {
          const w = (seen[f.kind] = { offered: 0, maxQueued: 0, samples: 0, offBy: 0 });
          const offer = f.offer.bind(f);
          f.offer = (line) => {
            w.offered++;
            offer(line);
          };
          fwds.push(f);
        }
      },
    });
    const shutdownMs = performance.now() - shutdownAt;
    sample();
    return { r, maxTurnMs: h.max / 1e6, shutdownMs, seen };
  } finally {
    h.disable();
    clearInterval(timer);
  }
}

const forward = (syslogPort: number, httpPort: number): Record<string, string> => ({
  'eve.forward.syslog.enabled': 'true',
  'eve.forward.syslog.url': `tcp://127.0.0.1:${syslogPort}`,
  'eve.forward.http.enabled': 'true',
  'eve.forward.http.url': `http://127.0.0.1:${httpPort}/`,
  'eve.forward.http.batchLines': String(BATCH),
  'eve.forward.queueLines': String(QUEUE),
  'eve.forward.timeoutSeconds': '1',
  'eve.forward.shutdownSeconds': String(SHUTDOWN_S),
});

let base: Watched;
t.before(async () => {
  base = await watchedReplay({});
});

for (const kind of ['hung (accepts, never reads or answers)', 'down (connection refused)'] as const) {
  t.test(`collectors ${kind}: the same EVE file, about the same time, the loop never held, the queue within its cap`, async (t) => {
    const hung = kind.startsWith('hung');
    let syslogPort: number;
    let httpPort: number;
    if (hung) {
      const s = await hungListener();
      const h = await hungListener();
      t.teardown(() => Promise.all([s.close(), h.close()]));
      syslogPort = s.port;
      httpPort = h.port;
    } else {
      syslogPort = await closedPort();
      httpPort = await closedPort();
    }
    const w = await watchedReplay(forward(syslogPort, httpPort));
    const { r } = w;

    t.ok(base.r.lines.length > FLOWS, `${base.r.lines.length} EVE lines without forwarding`);
    sameLines(t, r.lines, base.r.lines, 'the EVE file is the one written without forwarding');
    const bound = 2 * base.r.wallMs + 2000;
    t.ok(r.wallMs <= bound, `replay ${r.wallMs.toFixed(0)} ms with forwarding, ${base.r.wallMs.toFixed(0)} ms without (bound ${bound.toFixed(0)} ms); CPU ${r.cpuMs.toFixed(0)} vs ${base.r.cpuMs.toFixed(0)} ms`);
    t.ok(w.maxTurnMs < MAX_TURN_MS, `longest event-loop turn during the replay ${w.maxTurnMs.toFixed(0)} ms (without forwarding ${base.maxTurnMs.toFixed(0)} ms; bound ${MAX_TURN_MS} ms)`);
    const shutdownBound = 2 * base.shutdownMs + SHUTDOWN_S * 1000 + 1000;
    t.ok(w.shutdownMs <= shutdownBound, `shutdown ${w.shutdownMs.toFixed(0)} ms, ${base.shutdownMs.toFixed(0)} ms without forwarding (shutdownSeconds ${SHUTDOWN_S}; bound ${shutdownBound.toFixed(0)} ms)`);

    for (const f of r.pipeline.forwarders) {
      const s = w.seen[f.kind]!;
      const st = f.stats();
      const cap = QUEUE + (f.kind === 'http' ? BATCH : IN_SOCKET);
      t.equal(s.offered, r.lines.length, `${f.kind}: offered every EVE line`);
      t.ok(s.maxQueued <= cap, `${f.kind}: at most ${s.maxQueued} lines held (queueLines ${QUEUE}, bound ${cap})`);
      t.ok(s.samples >= 20 && s.offBy === 0, `${f.kind}: dropped = offered − sent − queued in all ${s.samples} samples`);
      t.equal(st.queued, 0, `${f.kind}: nothing held after shutdown`);
      t.equal(st.dropped, s.offered - st.sent, `${f.kind}: ${st.dropped} dropped = ${s.offered} offered − ${st.sent} sent`);
      if (f.kind === 'http' || !hung) t.equal(st.sent, 0, `${f.kind}: nothing counted as sent`);
      // a hung TCP collector's kernel buffers take some lines (written, so sent) before they fill up
      else t.ok(st.sent > 0 && st.sent < s.offered, `${f.kind}: ${st.sent} lines went into the socket before it filled up`);
      if (!hung) t.match(st.lastError, /ECONNREFUSED/, `${f.kind}: ${st.errors} refused attempts`);
    }
  });
}

t.test('a hung syslog collector is reported as failing the whole time, and reconnected with a growing back-off', async (t) => {
  const hung = await hungListener();
  t.teardown(() => hung.close());
  const warnings: string[] = [];
  const f = new SyslogForwarder({ transport: 'tcp', host: '127.0.0.1', port: hung.port, facility: 'local5', appName: 'argus-edge', hostname: 'h', ca: '', insecure: false, maxMessageBytes: 8192, queueLines: 5000, timeoutMs: 300, warn: (m) => warnings.push(m) });
  const line = JSON.stringify({ timestamp: '2026-01-15T10:00:00.000001+0000', event_type: 'flow', pad: 'x'.repeat(300) });
  // lines keep coming (the kernel's buffers of each new connection fill within a few turns) for about 4 s
  let firstFailAt = -1;
  let healthyAfterFailing = 0;
  const end = performance.now() + 4000;
  while (performance.now() < end) {
    for (let k = 0; k < 2000; k++) f.offer(line);
    await sleep(20);
    const st = f.stats();
    if (firstFailAt < 0 && st.errors > 0) firstFailAt = performance.now();
    else if (firstFailAt >= 0 && st.lastError === null) healthyAfterFailing++;
  }
  const st = f.stats();
  t.ok(firstFailAt > 0, 'the stalled connection is given up');
  t.equal(healthyAfterFailing, 0, 'from the first failure on, lastError is never cleared: a collector that reads nothing is not delivering');
  t.match(st.lastError, /nothing accepted for 300 ms/);
  t.same(warnings.length, 1, `said once while failing: ${warnings.join(' | ')}`);
  // back-off 0.5 s, 1 s, 2 s after stalls of 0.3 s: at most 3 connections in the 4 s (4 or more without it)
  t.ok(hung.accepted >= 2 && hung.accepted <= 3, `${hung.accepted} connections in 4 s (back-off growing from 0.5 s)`);
  await f.close(100);
  const fin = f.stats();
  t.equal(fin.queued, 0, 'nothing held after close');
});
