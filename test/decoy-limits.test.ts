/**
 * Decoys under a connection flood from 127.0.0.1: rounds of 1,000 concurrent connections, each sending a
 * few bytes and then nothing. The open count never exceeds maxConnections (the rest are closed at once
 * and counted), every client socket ends closed, and the heap after a round is where it was after the
 * first one (no growth per connection handled). Alerts stay one per (source, port) per window.
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { Bus } from '../src/bus.js';
import { defaultConfig } from '../src/config.js';
import type { Alert } from '../src/detectors/alert.js';
import { Decoys } from '../src/detectors/decoy.js';
import { createLogger } from '../src/log.js';
import { freePort } from './support/victoria-metrics.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Opens `n` connections at once to the ports in turn, each writes `payload`; resolves when all have closed. */
function flood(ports: number[], n: number, payload: Buffer, timeoutMs: number): Promise<{ closed: number; errors: number; timedOut: number }> {
  return new Promise((resolve) => {
    let closed = 0;
    let errors = 0;
    const open = new Set<ReturnType<typeof connect>>();
    const timer = setTimeout(() => {
      const timedOut = open.size;
      for (const s of open) s.destroy();
      resolve({ closed, errors, timedOut });
    }, timeoutMs);
    for (let i = 0; i < n; i++) {
      const s = connect(ports[i % ports.length]!, '127.0.0.1');
      open.add(s);
      s.on('connect', () => s.write(payload));
      s.on('error', () => errors++);
      s.on('close', () => {
        open.delete(s);
        closed++;
        if (closed === n) {
          clearTimeout(timer);
          resolve({ closed, errors, timedOut: 0 });
        }
      });
    }
  });
}

t.test('1,000 concurrent connections: the count limit holds, memory stays bounded, every socket closes', async (t) => {
  const ports = [await freePort(), await freePort()];
  const bus = new Bus();
  const alerts: Alert[] = [];
  bus.on('alert', (a) => alerts.push(a));
  const maxConnections = 100;
  const cfg = { ...defaultConfig().decoys, enabled: true, host: '127.0.0.1', ports, captureBytes: 256, idleTimeoutSeconds: 0.5, maxConnections };
  const d = new Decoys(cfg, bus, createLogger('error'), { homeNets: ['127.0.0.0/8'] });
  t.teardown(() => d.stop());
  t.same((await d.start()).map((s) => s.ok), [true, true]);

  let peakOpen = 0;
  const sampler = setInterval(() => (peakOpen = Math.max(peakOpen, d.stats().open)), 5);
  t.teardown(() => clearInterval(sampler));
  // a few bytes and then silence: each accepted connection holds its slot until the idle timeout, so the
  // flood meets the limit
  const payload = Buffer.from('HELO x\r\n');
  const heap: number[] = [];
  const rss: number[] = [];
  for (let round = 0; round < 3; round++) {
    const r = await flood(ports, 1000, payload, 30000);
    t.equal(r.closed, 1000, `round ${round + 1}: every client socket closed`);
    t.equal(r.timedOut, 0);
    for (let i = 0; i < 50 && d.stats().open > 0; i++) await new Promise((res) => setTimeout(res, 20));
    t.equal(d.stats().open, 0, 'no decoy connection left open');
    gc();
    heap.push(process.memoryUsage().heapUsed);
    rss.push(process.memoryUsage().rss);
  }
  clearInterval(sampler);
  const s = d.stats();
  t.ok(peakOpen <= maxConnections, `at most ${maxConnections} open at once (peak ${peakOpen})`);
  t.equal(s.accepted + s.refused, 3000, 'every connection was either handled or refused');
  t.ok(s.refused >= 1000, `most of the flood was refused at the limit (${s.refused})`);
  t.ok(s.bytesCaptured <= s.accepted * 256, 'at most captureBytes kept per connection');
  t.equal(s.alerts, 2, 'one alert per (source, port) in the window');
  t.equal(s.suppressed, s.accepted - 2);
  t.equal(alerts.length, 2);
  const growth = heap[2]! - heap[0]!;
  t.ok(growth < 4 * 1048576, `heap after round 3 within 4 MiB of round 1 (${(growth / 1048576).toFixed(2)} MiB)`);
  t.ok(rss[2]! - rss[0]! < 32 * 1048576, `RSS growth bounded (${((rss[2]! - rss[0]!) / 1048576).toFixed(1)} MiB)`);
  t.comment(`accepted ${s.accepted}, refused ${s.refused}, peak open ${peakOpen}, heap ${heap.map((h) => (h / 1048576).toFixed(1)).join(' / ')} MiB`);
});
