/**
 * Prometheus metrics (`prom-client`) for `/metrics`: one registry per process (not prom-client's global
 * one, so tests and a second pipeline do not collide).
 *
 * The pipeline keeps its own plain-number counters on the fast path and hands their totals to
 * `update()` now and then (every second, or at scrape time); prom-client objects are never touched per
 * packet. Totals become counter increments here, so a counter that starts again from zero (capture
 * restarted) simply continues instead of going backwards.
 *
 * Metric names follow Prometheus conventions: `argus_` prefix, `_total` counters, base units (seconds, bytes).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Bus } from '../bus.js';
import type { Alert } from '../detectors/alert.js';

/** Totals since start; any field left out is not updated. */
export interface PipelineCounters {
  packets?: number;
  bytes?: number;
  /** packets lost before decoding, by where: 'kernel' (libpcap ps_drop), 'interface' (ps_ifdrop), 'queue' */
  drops?: Record<string, number>;
  /** decoder events by dotted name ('decoder.ipv4.trunc_pkt', …) */
  decodeEvents?: Record<string, number>;
  /** flows in the flow table now */
  flowsActive?: number;
  /** exported flow records by end reason (fin, rst, idle, active, evicted, shutdown) */
  flowsEnded?: Record<string, number>;
  /** flows removed to stay under the table cap (the same as flowsEnded.evicted when that is given) */
  flowsEvicted?: number;
  /** one-packet half-open flows of a detected SYN flood counted into its incident instead of exported */
  flowsFolded?: number;
  /** items waiting in the store's write queue, and dropped from it by kind */
  storeQueueDepth?: number;
  storeDropped?: Record<string, number>;
  /** lines waiting in each sink ('influx', 'eve'), and dropped by each */
  sinkQueueDepth?: Record<string, number>;
  sinkDropped?: Record<string, number>;
  /** lines each forwarding sink delivered, and its failed attempts ('forward_syslog', 'forward_http') */
  sinkSent?: Record<string, number>;
  sinkErrors?: Record<string, number>;
  /** store rows deleted to stay under a cap, by reason ('size': store.maxSizeMB, 'count': store.maxDevices, …) and table */
  storeEvictions?: Record<string, Record<string, number>>;
  /** 1 while the evidence alone keeps the store above store.maxSizeMB */
  storeOverCap?: boolean;
  /** entries dropped from capped in-memory tables (devices, remote hosts, trust, detectors), by table */
  memoryEvictions?: Record<string, number>;
  /** new devices counted during a device flood but not tracked or stored one by one */
  floodDevicesUnstored?: number;
}

export interface MetricsOptions {
  /** also export Node's process metrics (CPU, memory, event loop lag, GC); default true */
  processMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly packets: Counter;
  private readonly bytes: Counter;
  private readonly drops: Counter<'where'>;
  private readonly decodeEvents: Counter<'event'>;
  private readonly flowsActive: Gauge;
  private readonly flowsEnded: Counter<'reason'>;
  private readonly flowsEvicted: Counter;
  private readonly flowsFolded: Counter;
  private readonly alerts: Counter<'kind' | 'severity'>;
  private readonly scoring: Histogram;
  private readonly storeDepth: Gauge;
  private readonly storeDropped: Counter<'kind'>;
  private readonly sinkDepth: Gauge<'sink'>;
  private readonly sinkDropped: Counter<'sink'>;
  private readonly sinkSent: Counter<'sink'>;
  private readonly sinkErrors: Counter<'sink'>;
  private readonly storeEvictions: Counter<'table' | 'reason'>;
  private readonly storeOverCap: Gauge;
  private readonly memoryEvictions: Counter<'table'>;
  private readonly floodUnstored: Counter;
  /** last total seen per metric and label value, to turn totals into increments */
  private readonly last = new Map<string, number>();

  constructor(opts: MetricsOptions = {}) {
    const r = [this.registry];
    this.packets = new Counter({ name: 'argus_packets_total', help: 'Packets captured', registers: r });
    this.bytes = new Counter({ name: 'argus_bytes_total', help: 'Bytes captured (frame length on the wire)', registers: r });
    this.drops = new Counter({ name: 'argus_packet_drops_total', help: 'Packets lost before decoding, by where', labelNames: ['where'], registers: r });
    this.decodeEvents = new Counter({ name: 'argus_decode_events_total', help: 'Decoder events (malformed or unusual packets), by event name', labelNames: ['event'], registers: r });
    this.flowsActive = new Gauge({ name: 'argus_flows_active', help: 'Flows in the flow table', registers: r });
    this.flowsEnded = new Counter({ name: 'argus_flows_ended_total', help: 'Flow records exported, by end reason', labelNames: ['reason'], registers: r });
    this.flowsEvicted = new Counter({ name: 'argus_flows_evicted_total', help: 'Flows removed to stay under the flow table cap', registers: r });
    this.flowsFolded = new Counter({ name: 'argus_flows_folded_total', help: 'Half-open flows of a detected SYN flood counted into its incident instead of exported', registers: r });
    this.alerts = new Counter({ name: 'argus_alerts_total', help: 'Alerts raised, by kind and severity', labelNames: ['kind', 'severity'], registers: r });
    this.scoring = new Histogram({
      name: 'argus_scoring_latency_seconds',
      help: 'Time to score one batch of flows with the models',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    });
    this.storeDepth = new Gauge({ name: 'argus_store_queue_depth', help: "Items waiting in the store's write queue", registers: r });
    this.storeDropped = new Counter({ name: 'argus_store_dropped_total', help: 'Items dropped because the store queue was full, by kind', labelNames: ['kind'], registers: r });
    this.sinkDepth = new Gauge({ name: 'argus_sink_queue_depth', help: 'Lines waiting in each output sink', labelNames: ['sink'], registers: r });
    this.sinkDropped = new Counter({ name: 'argus_sink_dropped_total', help: 'Lines dropped by each output sink (buffer full or server refused)', labelNames: ['sink'], registers: r });
    this.sinkSent = new Counter({ name: 'argus_sink_sent_total', help: 'Lines each forwarding sink delivered to its receiver', labelNames: ['sink'], registers: r });
    this.sinkErrors = new Counter({ name: 'argus_sink_errors_total', help: 'Failed delivery attempts of each forwarding sink (refused or broken connections, failed requests)', labelNames: ['sink'], registers: r });
    this.storeEvictions = new Counter({
      name: 'argus_store_evictions_total',
      help: "Store rows deleted to stay under a cap, by table and reason ('size': store.maxSizeMB, 'count': store.maxDevices or store.maxAddressesPerDevice); never evidence",
      labelNames: ['table', 'reason'],
      registers: r,
    });
    this.storeOverCap = new Gauge({ name: 'argus_store_over_cap', help: '1 while the evidence alone (kept until its retention) keeps the store above store.maxSizeMB', registers: r });
    this.memoryEvictions = new Counter({ name: 'argus_memory_evictions_total', help: 'Entries dropped from capped in-memory tables keyed by wire values, by table', labelNames: ['table'], registers: r });
    this.floodUnstored = new Counter({ name: 'argus_flood_devices_unstored_total', help: 'New devices counted during a device flood but not tracked or stored one by one', registers: r });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'argus_' });
  }

  /** Applies the pipeline's totals (see PipelineCounters). */
  update(c: PipelineCounters): void {
    if (c.packets !== undefined) this.total(this.packets, 'packets', c.packets);
    if (c.bytes !== undefined) this.total(this.bytes, 'bytes', c.bytes);
    if (c.drops !== undefined) this.totals(this.drops, 'drops', 'where', c.drops);
    if (c.decodeEvents !== undefined) this.totals(this.decodeEvents, 'decode', 'event', c.decodeEvents);
    if (c.flowsActive !== undefined) this.flowsActive.set(c.flowsActive);
    if (c.flowsEnded !== undefined) this.totals(this.flowsEnded, 'ended', 'reason', c.flowsEnded);
    if (c.flowsEvicted !== undefined) this.total(this.flowsEvicted, 'evicted', c.flowsEvicted);
    if (c.flowsFolded !== undefined) this.total(this.flowsFolded, 'folded', c.flowsFolded);
    if (c.storeQueueDepth !== undefined) this.storeDepth.set(c.storeQueueDepth);
    if (c.storeDropped !== undefined) this.totals(this.storeDropped, 'storeDropped', 'kind', c.storeDropped);
    if (c.sinkQueueDepth !== undefined) for (const [sink, n] of Object.entries(c.sinkQueueDepth)) this.sinkDepth.set({ sink }, n);
    if (c.sinkDropped !== undefined) this.totals(this.sinkDropped, 'sinkDropped', 'sink', c.sinkDropped);
    if (c.sinkSent !== undefined) this.totals(this.sinkSent, 'sinkSent', 'sink', c.sinkSent);
    if (c.sinkErrors !== undefined) this.totals(this.sinkErrors, 'sinkErrors', 'sink', c.sinkErrors);
    if (c.storeEvictions !== undefined) {
      for (const [reason, byTable] of Object.entries(c.storeEvictions)) {
        for (const [table, value] of Object.entries(byTable)) {
          const k = `storeEvictions\u0000${reason}\u0000${table}`;
          const prev = this.last.get(k) ?? 0;
          const delta = value >= prev ? value - prev : value;
          if (delta > 0) this.storeEvictions.inc({ table, reason }, delta);
          this.last.set(k, value);
        }
      }
    }
    if (c.storeOverCap !== undefined) this.storeOverCap.set(c.storeOverCap ? 1 : 0);
    if (c.memoryEvictions !== undefined) this.totals(this.memoryEvictions, 'memoryEvictions', 'table', c.memoryEvictions);
    if (c.floodDevicesUnstored !== undefined) this.total(this.floodUnstored, 'floodUnstored', c.floodDevicesUnstored);
  }

  /** Counts one alert (attach() does this from the bus). */
  alert(a: Pick<Alert, 'kind' | 'severity'>): void {
    this.alerts.inc({ kind: a.kind, severity: String(a.severity) });
  }

  /** Records how long scoring took, in seconds (a wall-clock duration: this is about the appliance, not the traffic). */
  observeScoringLatency(seconds: number): void {
    this.scoring.observe(seconds);
  }

  /** Counts alerts from the bus; returns the unsubscribe function. */
  attach(bus: Bus): () => void {
    return bus.on('alert', (a) => this.alert(a));
  }

  /** The text exposition format for GET /metrics. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type to serve metricsText() with. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private total(counter: Counter, key: string, value: number): void {
    const prev = this.last.get(key) ?? 0;
    const delta = value >= prev ? value - prev : value;
    if (delta > 0) counter.inc(delta);
    this.last.set(key, value);
  }

  private totals<L extends string>(counter: Counter<L>, key: string, label: L, values: Record<string, number>): void {
    for (const [name, value] of Object.entries(values)) {
      const k = `${key}\u0000${name}`;
      const prev = this.last.get(k) ?? 0;
      const delta = value >= prev ? value - prev : value;
      if (delta > 0) counter.inc({ [label]: name } as Partial<Record<L, string>>, delta);
      this.last.set(k, value);
    }
  }
}

/** One process-wide Metrics for the web server and the pipeline to share (created on first use). */
let shared: Metrics | undefined;
export function metrics(): Metrics {
  return (shared ??= new Metrics());
}

/** GET /metrics body from the process-wide registry. */
export function metricsText(): Promise<string> {
  return metrics().metricsText();
}
