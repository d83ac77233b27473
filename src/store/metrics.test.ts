import t from 'tap';
import { Metrics } from './metrics.js';
import { Bus } from '../bus.js';

/** The value of one sample line in the exposition text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('totals become counters; a restarted total continues instead of going back', async (t) => {
  const m = new Metrics({ processMetrics: false });
  m.update({ packets: 100, bytes: 6400, drops: { kernel: 2 }, decodeEvents: { 'decoder.ipv4.trunc_pkt': 3 }, flowsActive: 12, flowsEnded: { fin: 5, idle: 1 }, flowsEvicted: 0 });
  m.update({ packets: 150, bytes: 9000, drops: { kernel: 2, interface: 1 }, decodeEvents: { 'decoder.ipv4.trunc_pkt': 4 }, flowsActive: 7, flowsEnded: { fin: 9, idle: 1 } });
  m.update({ packets: 20 }); // capture restarted: +20, not -130
  m.update({ storeQueueDepth: 42, storeDropped: { flow: 3 }, sinkQueueDepth: { influx: 9 }, sinkDropped: { influx: 5 } });
  const text = await m.metricsText();
  t.equal(sample(text, 'argus_packets_total'), 170);
  t.equal(sample(text, 'argus_bytes_total'), 9000);
  t.equal(sample(text, 'argus_packet_drops_total{where="kernel"}'), 2);
  t.equal(sample(text, 'argus_packet_drops_total{where="interface"}'), 1);
  t.equal(sample(text, 'argus_decode_events_total{event="decoder.ipv4.trunc_pkt"}'), 4);
  t.equal(sample(text, 'argus_flows_active'), 7);
  t.equal(sample(text, 'argus_flows_ended_total{reason="fin"}'), 9);
  t.equal(sample(text, 'argus_store_queue_depth'), 42);
  t.equal(sample(text, 'argus_store_dropped_total{kind="flow"}'), 3);
  t.equal(sample(text, 'argus_sink_queue_depth{sink="influx"}'), 9);
  t.equal(sample(text, 'argus_sink_dropped_total{sink="influx"}'), 5);
  t.match(m.contentType, /text\/plain/);
  t.notMatch(text, /process_cpu/, 'no process metrics when turned off');
});

t.test('alerts from the bus and scoring latency', async (t) => {
  const m = new Metrics({ processMetrics: false });
  const bus = new Bus(() => {});
  m.attach(bus);
  const a = { kind: 'dos.synflood', severity: 1 } as const;
  bus.emit('alert', a as never);
  bus.emit('alert', a as never);
  m.observeScoringLatency(0.002);
  m.observeScoringLatency(0.3);
  const text = await m.metricsText();
  t.equal(sample(text, 'argus_alerts_total{kind="dos.synflood",severity="1"}'), 2);
  t.equal(sample(text, 'argus_scoring_latency_seconds_count'), 2);
  t.equal(sample(text, 'argus_scoring_latency_seconds_bucket{le="0.0025"}'), 1);
});

t.test('two registries do not collide, and process metrics are there by default', async (t) => {
  const a = new Metrics();
  const b = new Metrics();
  a.update({ packets: 1 });
  t.equal(sample(await b.metricsText(), 'argus_packets_total'), 0);
  t.match(await a.metricsText(), /argus_process_cpu_seconds_total/);
});
