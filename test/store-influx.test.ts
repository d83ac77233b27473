/**
 * InfluxDB sink against a real server (Debian's victoria-metrics, InfluxDB v2 write API on 127.0.0.1):
 * a real capture is replayed into the store and the sink, the points read back through the export API must
 * match the store; then the server is stopped mid-replay and restarted, and the producer must never have
 * waited, no exception may have escaped, and the points missing must equal the sink's drop counter.
 */
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { decodePacket } from '../src/decode/decode.js';
import { DecodeStats } from '../src/decode/events.js';
import { Packet } from '../src/decode/packet.js';
import { DEFAULT_FLOW_CONFIG, FlowTable } from '../src/flow/flow-table.js';
import { Store } from '../src/store/db.js';
import { InfluxSink } from '../src/store/influx.js';
import { OTHER_DEVICE } from '../src/store/influx-points.js';
import { VictoriaMetrics, freePort, haveVictoriaMetrics, type ExportedSeries } from './support/victoria-metrics.js';

const CAPTURE = join(import.meta.dirname, '../../shared/pcaps/benign/madea-smarthome-11h.pcap');
const skip = !haveVictoriaMetrics() ? 'victoria-metrics is not installed (/usr/bin/victoria-metrics)' : !existsSync(CAPTURE) ? `capture not present: ${CAPTURE}` : false;


/**
 * Replays the capture into `sink` (and `store` when given); `hook(fraction)` runs between packets every
 * 500 packets and may pause the replay (the test's server control); returns the longest synchronous call
 * into the sink, in ms.
 */
async function replay(sink: InfluxSink, store: Store | null, hook?: (fraction: number) => Promise<void>): Promise<{ maxCallMs: number; packets: number }> {
  let maxCallMs = 0;
  const timed = (fn: () => void): void => {
    const t0 = performance.now();
    fn();
    const d = performance.now() - t0;
    if (d > maxCallMs) maxCallMs = d;
  };
  const table = new FlowTable(DEFAULT_FLOW_CONFIG, (f) => {
    store?.addFlow(f);
    timed(() => sink.flow(f));
  });
  const stats = new DecodeStats();
  const pkt = new Packet();
  let packets = 0;
  let bytes = 0;
  const total = 100_000; // capinfos: 100 k packets
  await readCaptureFile(CAPTURE, pkt, (p) => {
    packets++;
    bytes += p.wirelen;
    p.reset();
    if (decodePacket(p, stats) && p.ipVersion !== 0) table.add(p);
    else table.advance(p.tsUs);
    store?.tick(p.tsUs);
    timed(() => sink.captureTotals(p.tsUs, { packets, bytes, drops: 0 }));
    // let the sink's sends run now and then, as the live capture loop does between buffers
    if (packets % 500 === 0) return (hook?.(packets / total) ?? Promise.resolve()).then(() => new Promise<void>((r) => setImmediate(r)));
  });
  table.flush('shutdown');
  store?.flush();
  return { maxCallMs, packets };
}

t.test('InfluxDB sink against victoria-metrics', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-influx-'));
  const vm = new VictoriaMetrics(join(dir, 'vm'), await freePort());
  t.teardown(async () => {
    await vm.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const escaped: unknown[] = [];
  const onEscape = (e: unknown): void => void escaped.push(e);
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  t.teardown(() => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
  });
  await vm.start();

  await t.test('points read back equal the store', async (t) => {
    const store = Store.open({ path: join(dir, 'replay.db'), log: () => {} });
    const sink = new InfluxSink({ url: vm.url, token: 'unused', org: 'argus', bucket: 'argus', sensor: 'replay', intervalMs: 60_000, log: () => {} });
    await replay(sink, store);
    await sink.close();
    const st = sink.stats();
    t.equal(st.pointsDropped, 0);
    t.equal(st.pointsRejected, 0);
    t.equal(st.pointsWritten, st.pointsQueued, `${st.pointsWritten} lines written in ${st.requests} requests`);
    await vm.forceFlush();

    const bytesOut = await vm.export('device_traffic_bytes_out{sensor="replay"}');
    const flowsOrig = await vm.export('device_traffic_flows_orig{sensor="replay"}');
    // an endpoint known only by its address (a responder that never answered) is device="other" in InfluxDB
    const rollups = store.db
      .prepare(
        `SELECT CASE WHEN device GLOB '??:??:??:??:??:??' THEN device ELSE '${OTHER_DEVICE}' END AS device, sum(bytes_out) AS bytesOut, sum(flows_orig) AS flowsOrig
         FROM flow_rollups GROUP BY 1`,
      )
      .all() as { device: string; bytesOut: number; flowsOrig: number }[];
    t.ok(rollups.length > 5, `${rollups.length} devices in the store`);
    const sumBy = (series: ExportedSeries[]): Map<string, number> =>
      new Map(series.map((s) => [s.metric.device!, s.values.reduce((a, v) => a + v, 0)]));
    const vmBytes = sumBy(bytesOut);
    const vmFlows = sumBy(flowsOrig);
    t.same(new Set(vmBytes.keys()), new Set(rollups.map((r) => r.device)), 'the same devices');
    for (const r of rollups) {
      if (vmBytes.get(r.device) !== r.bytesOut || vmFlows.get(r.device) !== r.flowsOrig) {
        t.fail(`device ${r.device}: store ${r.bytesOut} B / ${r.flowsOrig} flows, server ${vmBytes.get(r.device)} B / ${vmFlows.get(r.device)} flows`);
      }
    }
    t.equal([...vmFlows.values()].reduce((a, v) => a + v, 0), store.flows.count(), 'every stored flow is counted once');
    const capture = await vm.export('capture_packets{sensor="replay"}');
    t.equal(capture.reduce((a, s) => a + s.values.reduce((b, v) => b + v, 0), 0), 100_000, 'capture packets add up to the file');
    store.close();
  });

  await t.test('server stopped and restarted mid-replay: no stall, no escape, drops counted exactly', async (t) => {
    const logs: string[] = [];
    const sink = new InfluxSink({
      url: vm.url, token: 'unused', org: 'argus', bucket: 'argus', sensor: 'outage', intervalMs: 60_000,
      batchSize: 100, flushIntervalMs: 20, maxBufferLines: 400, retryMinMs: 20, retryMaxMs: 200, timeoutMs: 2000,
      log: (m) => logs.push(m),
    });
    let phase: 'up' | 'down' | 'back' = 'up';
    let writtenBeforeStop = 0;
    let queuedAtStop = 0;
    let queuedAtRestart = 0;
    const r = await replay(sink, null, async (fraction) => {
      if (phase === 'up' && fraction >= 0.25) {
        phase = 'down';
        await vm.stop();
        writtenBeforeStop = sink.stats().pointsWritten;
        queuedAtStop = sink.stats().pointsQueued;
      } else if (phase === 'down' && fraction >= 0.6) {
        phase = 'back';
        queuedAtRestart = sink.stats().pointsQueued;
        await vm.start();
      }
    });
    t.equal(phase, 'back', 'the server was stopped and restarted during the replay');
    // a send waiting on the dead server would take the request timeout (2 s); half of it leaves room for GC
    // pauses and a loaded machine
    t.ok(r.maxCallMs < 1000, `the longest synchronous call into the sink took ${r.maxCallMs.toFixed(2)} ms`);
    t.ok(queuedAtRestart - queuedAtStop > 400, `${queuedAtRestart - queuedAtStop} lines produced while the server was down (buffer 400)`);
    t.ok(writtenBeforeStop > 0, 'lines were delivered before the stop');
    await sink.close();
    const st = sink.stats();
    t.ok(st.failures > 0, `${st.failures} failed requests while the server was down`);
    t.ok(st.pointsDropped > 0, `${st.pointsDropped} lines dropped`);
    t.equal(st.pointsRejected, 0);
    t.equal(st.buffered + st.inFlight, 0);
    t.equal(st.pointsWritten + st.pointsDropped, st.pointsQueued, 'every line was either written or counted as dropped');
    t.match(logs.join('\n'), /write failed/);
    const onServer = await vm.settledLines('outage', st.pointsWritten);
    t.equal(onServer, st.pointsWritten, `the server holds exactly the ${st.pointsWritten} lines written`);
    t.equal(st.pointsQueued - onServer, st.pointsDropped, 'missing lines = the drop counter');
  });

  t.same(escaped, [], 'no exception or unhandled rejection escaped');
});
